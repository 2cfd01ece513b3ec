"""What the production smoke test asks of a running server, over HTTP on loopback: ready, login,
submit a report, list it (and a 304), open the notification stream; both workers answer."""
from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.images import jpeg_bytes  # noqa: E402
from tests.mapdata import COMMUNITY, IN_WEST, small_map  # noqa: E402


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None, *, headers: dict[str, str] | None = None,
             raw: bytes | None = None, content_type: str = "application/json") -> tuple[int, Any, Any]:
        data = raw if raw is not None else json.dumps(body).encode() if body is not None else None
        sent = {**({"Content-Type": content_type} if data else {}), **(headers or {})}
        if self.token:
            sent["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=sent)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, payload, got = response.status, response.read(), response.headers
        except urllib.error.HTTPError as error:
            status, payload, got = error.code, error.read(), error.headers
        return status, json.loads(payload) if payload else None, got


def expect(what: str, condition: bool, detail: Any = "") -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what} {detail}")
    print(f"   ok: {what}")


def wait_until_ready(client: Client) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            status, body, _ = client.call("GET", "/readyz")
            if status == 200:
                expect("/readyz: database and Redis reachable", body["checks"] == {
                    "database": "ok", "rate_limit_storage": "ok"}, body)
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("FAILED: the server did not become ready within 120 s")


def multipart(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, (filename, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: image/jpeg\r\n\r\n".encode() + content + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def main(base: str, admin_phone: str, admin_password: str) -> None:
    admin, rider = Client(base), Client(base)
    wait_until_ready(admin)
    status, body, _ = admin.call("POST", "/api/v1/auth/login", {"phone": admin_phone, "password": admin_password})
    expect("the admin the recipe created logs in", status == 200, body)
    admin.token = body["access_token"]
    status, body, _ = admin.call("POST", "/api/v1/areas/import", small_map())
    expect("the admin imports a map", status == 200, body)
    status, body, _ = admin.call("POST", f"/api/v1/communities/{COMMUNITY}/invites", {})
    expect("the admin invites riders", status == 201, body)
    phone, password = "13700001234", "Rider-Pass-2026"
    status, body, _ = rider.call("POST", "/api/v1/auth/register", {
        "phone": phone, "password": password, "name": "张骑手", "invite_code": body["invite_code"]})
    expect("a rider registers with the invite", status == 201 and body["status"] == "active", body)
    status, body, _ = rider.call("POST", "/api/v1/auth/login", {"phone": phone, "password": password})
    expect("the rider logs in", status == 200, body)
    rider.token = body["access_token"]

    form, kind = multipart({"category": "flying_lead_charging", "lat": str(IN_WEST[0]), "lon": str(IN_WEST[1]),
                            "description": "楼道飞线充电"}, {"photos": ("hazard.jpg", jpeg_bytes(96, 72, gps=IN_WEST))})
    status, body, _ = rider.call("POST", "/api/v1/reports", raw=form, content_type=kind,
                                 headers={"Idempotency-Key": f"smoke-{uuid.uuid4().hex}"})
    expect("the rider submits a report with a photo", status == 201, body)
    report_id = body["id"]

    for attempt in range(6):  # several requests: both workers answer, from the shared database
        status, body, headers = rider.call("GET", "/api/v1/reports")
        expect(f"the list shows it (request {attempt + 1})", status == 200 and body["items"][0]["id"] == report_id)
    status, body, _ = rider.call("GET", "/api/v1/reports", headers={"If-None-Match": headers["ETag"]})
    expect("an unchanged list is a 304 without a body", status == 304 and body is None)

    request = urllib.request.Request(f"{base}/api/v1/notifications/stream?access_token={rider.token}")
    with urllib.request.urlopen(request, timeout=30) as stream:
        first = stream.read(1)
        expect("the notification stream opens (SSE)", stream.status == 200 and first != b""
               and stream.headers.get_content_type() == "text/event-stream")


if __name__ == "__main__":
    main(*sys.argv[1:])
