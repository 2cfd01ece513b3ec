"""Benchmark: submit and list latency with 200 open notification streams vs none, and how late events arrive.

Run: .venv/bin/python bench/bench_streams.py [--streams 200] [--rounds 15]
     DATABASE_URL=postgresql+psycopg://user:pw@127.0.0.1:5432/db .venv/bin/python bench/bench_streams.py
     (PostgreSQL: a scratch database is created beside the given one and dropped afterwards)

The production layout on loopback: gunicorn (2 workers × 4 threads, gthread) serves the API, the stream
server (`flask notifications serve`) holds the streams. Each phase runs the same rounds (a rider submits a
report with a photo, then lists reports) while this process commits notifications for the stream users at
a steady rate, as other requests would; the middle phase also holds the streams open, the phases
before and after it (half the rounds each) make the baseline. Each event's delay
is its arrival on the stream minus the moment its transaction committed (reports: minus created_at,
which is earlier still, so that delay is an overestimate).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from urllib3.filepost import encode_multipart_formdata  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Role, User, UserStatus  # noqa: E402
from app.auth.passwords import hash_password  # noqa: E402
from app.dispatch.presence import set_duty  # noqa: E402
from app.extensions import db  # noqa: E402
from app.notifications import service  # noqa: E402
from bench.submit_app import bench_config  # noqa: E402
from tests.factories import auth_headers, next_phone  # noqa: E402
from tests.images import jpeg_bytes  # noqa: E402
from tests.mapdata import COMMUNITY, load_small_map  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402

WORKER_POSTS = [(38.478, 106.214), (38.482, 106.220), (38.479, 106.226)]
STREAM_PATH = "/api/v1/notifications/stream"
NOTIFY_PER_SECOND = 20
MIN_STREAMING_SECONDS = 10.0  # enough events for a p95, however fast the rounds go
TIMEOUT = 60.0


# --- the world -------------------------------------------------------------------------------------

def prepare(database_url: str, upload_dir: str, streams: int) -> tuple[object, dict, list[dict]]:
    """Migrate, map, three grid workers on duty; the app, the rider's header, the stream users' headers."""
    app = create_app(bench_config(database_url=database_url, upload_dir=upload_dir))
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):
        flask_migrate.upgrade()
    load_small_map(app)
    password_hash = hash_password("Bench1234")  # once: the cost is argon2's, not what is measured
    with app.app_context():
        rider = User(phone=next_phone(), password_hash=password_hash, name="bench rider", role=Role.RIDER,
                     status=UserStatus.ACTIVE, area_code=COMMUNITY)
        workers = [User(phone=next_phone(), password_hash=password_hash, name=f"网格员{n}",
                        role=Role.GRID_WORKER, status=UserStatus.ACTIVE, area_code=COMMUNITY)
                   for n in range(len(WORKER_POSTS))]
        riders = [User(phone=next_phone(), password_hash=password_hash, name=f"骑手{n}", role=Role.RIDER,
                       status=UserStatus.ACTIVE, area_code=COMMUNITY)
                  for n in range(streams - len(workers))]
        db.session.add_all([rider, *workers, *riders])
        db.session.commit()
        for worker, (lat, lon) in zip(workers, WORKER_POSTS, strict=True):
            set_duty(worker=worker, on_duty=True, lat=lat, lon=lon, accuracy_m=10)
        db.session.commit()
        # auth_headers needs only id and role; plain values outlive this session
        rider_user = SimpleNamespace(id=rider.id, role=rider.role)
        stream_users = [SimpleNamespace(id=user.id, role=user.role) for user in [*workers, *riders]]
        db.session.remove()
    rider_headers = auth_headers(app, rider_user)
    holders = [{"id": user.id, "headers": auth_headers(app, user)} for user in stream_users]
    return app, rider_headers, holders


# --- servers ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with open(log, "wb") as out:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)


def wait_answering(process: subprocess.Popen, port: int, log: Path) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/api/v1/categories")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server did not answer within {TIMEOUT:.0f} s:\n{log.read_text()}")


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process we started (gunicorn's master stops its own workers); then wait."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# --- clients ---------------------------------------------------------------------------------------

def request(port: int, method: str, path: str, *, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_rounds(port: int, rider: dict[str, str], rounds: int, offset: int) -> tuple[list[float], list[float]]:
    """Submit then list, `rounds` times; their latencies in ms."""
    submits, lists = [], []
    for index in range(offset, offset + rounds):
        lat, lon = 38.4765 + 0.0015 * (index % 6), 106.212 + 0.002 * (index // 6 % 9)
        body, content_type = encode_multipart_formdata({
            "category": "flying_lead_charging", "lat": str(lat), "lon": str(lon),
            "photos": ("p.jpg", jpeg_bytes(800, 600, gps=(lat, lon), seed=index), "image/jpeg")})
        headers = {**rider, "Content-Type": content_type, "Idempotency-Key": uuid.uuid4().hex}
        began = time.perf_counter()
        status, answer = request(port, "POST", "/api/v1/reports", body=body, headers=headers)
        submits.append((time.perf_counter() - began) * 1000)
        if status != 201:
            raise RuntimeError(f"submit answered {status}: {answer[:300]!r}")
        began = time.perf_counter()
        status, answer = request(port, "GET", "/api/v1/reports?per_page=20", headers=rider)
        lists.append((time.perf_counter() - began) * 1000)
        if status != 200:
            raise RuntimeError(f"list answered {status}: {answer[:300]!r}")
    return submits, lists


class Notifier(threading.Thread):
    """Commits notifications for random stream users at a steady rate, noting each commit's time."""

    def __init__(self, app, user_ids: list[int]) -> None:  # type: ignore[no-untyped-def]
        super().__init__(daemon=True)
        self.app, self.user_ids = app, user_ids
        self.committed: dict[int, float] = {}
        self.stopping = threading.Event()

    def run(self) -> None:
        rng = random.Random(7)
        with self.app.app_context():
            while not self.stopping.wait(1 / NOTIFY_PER_SECOND):
                row_id = service.notify(user_id=rng.choice(self.user_ids), kind="status_changed",
                                        title="进展", body="你关注的上报有进展").id
                db.session.commit()  # (reading row.id after this would begin a transaction, on SQLite
                self.committed[row_id] = time.time()  # a write-locking one: the id is taken before)
            db.session.remove()


class Streams(threading.Thread):
    """Holds one SSE connection per user on an asyncio loop; notes each event's arrival time."""

    def __init__(self, port: int, holders: list[dict], *, after: int) -> None:
        super().__init__(daemon=True)
        self.port, self.holders, self.after = port, holders, after
        self.arrived: dict[int, float] = {}
        self.created: dict[int, float] = {}
        self.kinds: dict[int, str] = {}
        self.connected = 0
        self.failed: list[str] = []
        self.ready = threading.Event()
        self.loop = asyncio.new_event_loop()
        self._closing = asyncio.Event()

    def run(self) -> None:
        self.loop.run_until_complete(self._main())

    async def _main(self) -> None:
        tasks = [asyncio.create_task(self._hold(holder)) for holder in self.holders]
        await self._closing.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _hold(self, holder: dict) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            auth = holder["headers"]["Authorization"]
            writer.write(f"GET {STREAM_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {auth}\r\n"
                         f"Last-Event-ID: {self.after}\r\nAccept: text/event-stream\r\n\r\n".encode())
            status = await reader.readline()
            if b" 200 " not in status:
                self.failed.append(status.decode().strip())
                return
            await self._read(reader)
        finally:
            writer.close()

    async def _read(self, reader: asyncio.StreamReader) -> None:
        counted = False
        while line := await reader.readline():
            text = line.decode(errors="replace")
            if text.startswith(": connected") and not counted:
                counted = True
                self.connected += 1
                if self.connected == len(self.holders):
                    self.ready.set()
            # chunked framing lines ("1a3\r\n") are not SSE fields and are skipped
            if text.startswith("data: "):
                item = json.loads(text[6:])
                self.arrived.setdefault(item["id"], time.time())
                self.created[item["id"]] = datetime.fromisoformat(item["created_at"]).timestamp()
                self.kinds[item["id"]] = item["kind"]

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self._closing.set)
        self.join(30)


# --- the run ---------------------------------------------------------------------------------------

def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def describe(name: str, values: list[float]) -> str:
    return (f"{name:<28} median {statistics.median(values):7.1f} ms   p95 {percentile(values, 0.95):7.1f} ms"
            f"   max {max(values):7.1f} ms")


def phase(port: int, app, rider: dict[str, str], holders: list[dict], rounds: int,  # type: ignore[no-untyped-def]
          offset: int, min_seconds: float = 0.0) -> tuple[list[float], list[float], Notifier]:
    notifier = Notifier(app, [holder["id"] for holder in holders])
    began = time.monotonic()
    notifier.start()
    try:
        run_rounds(port, rider, 2, offset + 1000)  # warm both paths in this phase's conditions
        submits, lists = run_rounds(port, rider, rounds, offset)
        time.sleep(max(0.0, min_seconds - (time.monotonic() - began)))
    finally:
        notifier.stopping.set()
        notifier.join(30)
    return submits, lists, notifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=200, help="open streams in the second phase")
    parser.add_argument("--rounds", type=int, default=15, help="submit + list rounds per phase")
    args = parser.parse_args()
    if not 4 <= args.streams <= 1000 or not 1 <= args.rounds <= 200:
        parser.error("--streams must be 4..1000 and --rounds 1..200")
    with scratch_database(os.environ.get("DATABASE_URL"), prefix="gridsnap_bench_streams") as database_url, \
            tempfile.TemporaryDirectory(prefix="gridsnap-bench-") as folder:
        upload_dir = str(Path(folder) / "uploads")
        app, rider, holders = prepare(database_url, upload_dir, args.streams)
        api_port, stream_port = free_port(), free_port()
        env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_UPLOAD_DIR": upload_dir,
               "PYTHONPATH": str(ROOT)}
        env.pop("BENCH_TIMING_LOG", None)
        api = start([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{api_port}", "--workers", "2",
                     "--threads", "4", "--worker-class", "gthread", "--log-level", "warning",
                     "bench.submit_app:create_bench_app()"], env, Path(folder) / "api.log")
        streams_server = start([sys.executable, "-m", "flask", "--app", "bench.submit_app:create_bench_app()",
                                "notifications", "serve", "--port", str(stream_port)], env,
                               Path(folder) / "streams.log")
        try:
            wait_answering(api, api_port, Path(folder) / "api.log")
            wait_answering(streams_server, stream_port, Path(folder) / "streams.log")
            report(args, app, api_port, stream_port, rider, holders, database_url)
        except RuntimeError:
            print((Path(folder) / "api.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop(streams_server)
            stop(api)
        with app.app_context():
            db.engine.dispose()


def report(args, app, api_port: int, stream_port: int, rider: dict[str, str], holders: list[dict],  # type: ignore[no-untyped-def]
           database_url: str) -> None:
    print(f"database: {database_url.split(':', 1)[0]}; API: gunicorn 2 workers × 4 threads; streams: "
          f"flask notifications serve; {args.rounds} rounds per phase; {NOTIFY_PER_SECOND} notifications/s")
    # No streams before and after the streaming phase: the baseline is both, so drift on this shared
    # machine (other load coming and going, caches warming) does not favour either side.
    half = max(1, args.rounds // 2)
    quiet_submits, quiet_lists, _ = phase(api_port, app, rider, holders, half, offset=0)
    with app.app_context():
        newest = service.newest_notification_id()  # streams start here: the second phase's events only
        db.session.remove()
    streams = Streams(stream_port, holders, after=newest)
    streams.start()
    try:
        if not streams.ready.wait(TIMEOUT):
            raise RuntimeError(f"only {streams.connected} of {len(holders)} streams connected; "
                               f"refused: {streams.failed[:3]}")
        busy_submits, busy_lists, notifier = phase(api_port, app, rider, holders, args.rounds,
                                                   offset=args.rounds, min_seconds=MIN_STREAMING_SECONDS)
        time.sleep(3)  # the last events reach their streams
    finally:
        streams.stop()
    after_submits, after_lists, _ = phase(api_port, app, rider, holders, args.rounds - half,
                                          offset=3 * args.rounds)
    quiet_submits += after_submits
    quiet_lists += after_lists
    print(describe("submit, no streams", quiet_submits))
    print(describe(f"submit, {len(holders)} streams", busy_submits))
    print(describe("list, no streams", quiet_lists))
    print(describe(f"list, {len(holders)} streams", busy_lists))
    submit_ratio = statistics.median(busy_submits) / statistics.median(quiet_submits)
    list_ratio = statistics.median(busy_lists) / statistics.median(quiet_lists)
    print(f"ratio with/without streams (median): submit {submit_ratio:.2f}×, list {list_ratio:.2f}×  "
          f"(target ≤ 2×)")
    delays = [(streams.arrived[i] - at) * 1000 for i, at in notifier.committed.items() if i in streams.arrived]
    missing = [i for i in notifier.committed if i not in streams.arrived]
    assigned = [(streams.arrived[i] - streams.created[i]) * 1000 for i in streams.arrived
                if streams.kinds.get(i) == "assigned"]
    print(describe(f"event delay ({len(delays)} events)", delays) + "   (target p95 ≤ 1000 ms)")
    if assigned:
        print(describe(f"'assigned' delay ({len(assigned)})", assigned) + "   (from created_at)")
    print(f"events committed while streaming and never received: {len(missing)}")


if __name__ == "__main__":
    main()
