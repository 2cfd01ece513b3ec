"""SMS and WeChat services on loopback: each verifies requests as the real one documents, answers as told.

Aliyun SendSms (RPC, HMAC-SHA1 signature), Tencent Cloud SendSms (TC3-HMAC-SHA256) and the WeChat
Official Account (access_token, template messages, OAuth code → openid). The verification here is
written from the providers' documents, independently of the client code under test.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, quote_plus, urlsplit

from tests.support.loopback import LoopbackServer


@dataclass
class Call:
    path: str
    headers: dict[str, str]
    body: bytes
    params: dict[str, Any]  # the parsed form, JSON body or query
    valid: bool  # the signature (or token) verified
    problem: str = ""


class _ProviderServer(LoopbackServer):
    """http.server on 127.0.0.1:0 in a thread; subclasses answer each request."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._script: deque[Any] = deque()
        self._lock = threading.Lock()
        super().__init__()

    @property
    def base_url(self) -> str:
        return self.origin

    def answer(self, *answers: Any) -> None:
        """The next calls get these answers, in order (then the normal success)."""
        with self._lock:
            self._script.extend(answers)

    def _next(self) -> Any:
        with self._lock:
            return self._script.popleft() if self._script else None

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, answer = server.handle(self.command, self.path, headers, body)
                raw = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            do_GET = do_POST = _serve  # noqa: N815 (http.server's naming)

            def log_message(self, *_: Any) -> None:
                pass

        return Handler


# --- Aliyun SMS ----------------------------------------------------------------------------------

def aliyun_encode(text: str) -> str:
    """The documented recipe: URL-encode (UTF-8), then '+' → %20, '*' → %2A, %7E → '~'."""
    return quote_plus(text, safe="").replace("+", "%20").replace("*", "%2A").replace("%7E", "~")


class AliyunSmsServer(_ProviderServer):
    """Dysmsapi SendSms: checks the common parameters, the nonce, the time and the HMAC-SHA1 signature."""

    def __init__(self, *, access_key_id: str, access_key_secret: str) -> None:
        super().__init__()
        self.key_id, self.secret = access_key_id, access_key_secret
        self._nonces: set[str] = set()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        query = urlsplit(path).query
        pairs = parse_qsl(body.decode() if method == "POST" else query, keep_blank_values=True)
        params = dict(pairs)
        problem = self._problem(method, params)
        self._record(Call(path, headers, body, params, valid=not problem, problem=problem))
        request_id = str(uuid.uuid4()).upper()
        if problem:
            return 400, {"RequestId": request_id, "Code": problem, "Message": problem}
        scripted = self._next()
        if scripted is not None:
            status, code = scripted
            return status, {"RequestId": request_id, "Code": code, "Message": f"scripted {code}"}
        return 200, {"RequestId": request_id, "Code": "OK", "Message": "OK", "BizId": f"{int(time.time())}^0"}

    def _problem(self, method: str, params: dict[str, str]) -> str:
        required = ("AccessKeyId", "Action", "Format", "RegionId", "SignatureMethod", "SignatureNonce",
                    "SignatureVersion", "Timestamp", "Version", "PhoneNumbers", "SignName", "TemplateCode",
                    "Signature")
        missing = [name for name in required if not params.get(name)]
        if missing:
            return f"MissingParameter.{missing[0]}"
        if params["AccessKeyId"] != self.key_id:
            return "InvalidAccessKeyId.NotFound"
        if (params["Action"], params["Version"], params["SignatureMethod"], params["SignatureVersion"]) != (
                "SendSms", "2017-05-25", "HMAC-SHA1", "1.0"):
            return "InvalidParameter"
        stamp = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        if abs((datetime.now(timezone.utc) - stamp).total_seconds()) > 900:
            return "InvalidTimeStamp.Expired"
        if params["SignatureNonce"] in self._nonces:
            return "SignatureNonceUsed"
        self._nonces.add(params["SignatureNonce"])
        if params["Signature"] != self.signature(method, params):
            return "SignatureDoesNotMatch"
        json.loads(params.get("TemplateParam") or "{}")
        return ""

    def signature(self, method: str, params: dict[str, str]) -> str:
        pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
        canonical = "&".join(aliyun_encode(k) + "=" + aliyun_encode(v) for k, v in pairs)
        string_to_sign = method + "&" + aliyun_encode("/") + "&" + aliyun_encode(canonical)
        mac = hmac.new((self.secret + "&").encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha1)
        return base64.b64encode(mac.digest()).decode()


# --- Tencent Cloud SMS ---------------------------------------------------------------------------

class TencentSmsServer(_ProviderServer):
    """SendSms 2021-01-11: rebuilds the TC3-HMAC-SHA256 signature from the headers it received."""

    def __init__(self, *, secret_id: str, secret_key: str) -> None:
        super().__init__()
        self.secret_id, self.secret_key = secret_id, secret_key

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        problem = self._problem(method, path, headers, body)
        params = json.loads(body or b"{}") if not problem.startswith("InvalidParameter.Json") else {}
        self._record(Call(path, headers, body, params, valid=not problem, problem=problem))
        request_id = str(uuid.uuid4())
        if problem:
            return 200, {"Response": {"Error": {"Code": problem, "Message": problem}, "RequestId": request_id}}
        scripted = self._next()
        if isinstance(scripted, str) and scripted.startswith(("InternalError", "RequestLimitExceeded")):
            return 200, {"Response": {"Error": {"Code": scripted, "Message": "scripted"}, "RequestId": request_id}}
        code = scripted or "Ok"
        sent = [{"SerialNo": f"2028:{uuid.uuid4().hex}", "PhoneNumber": phone, "Fee": 1, "SessionContext":
                 params.get("SessionContext", ""), "Code": code, "Message": "send success" if code == "Ok"
                 else "scripted", "IsoCode": "CN"} for phone in params["PhoneNumberSet"]]
        return 200, {"Response": {"SendStatusSet": sent, "RequestId": request_id}}

    def _problem(self, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
        if method != "POST" or path != "/":
            return "InvalidParameter.Method"
        auth = headers.get("authorization", "")
        algorithm, _, rest = auth.partition(" ")
        fields = dict(part.strip().split("=", 1) for part in rest.split(",") if "=" in part)
        if algorithm != "TC3-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= set(fields):
            return "AuthFailure.InvalidAuthorization"
        secret_id, day, service, terminator = fields["Credential"].split("/")
        timestamp = int(headers.get("x-tc-timestamp", "0"))
        if secret_id != self.secret_id:
            return "AuthFailure.SecretIdNotFound"
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire"
        if (service, terminator) != ("sms", "tc3_request") or day != time.strftime("%Y-%m-%d",
                                                                                  time.gmtime(timestamp)):
            return "AuthFailure.InvalidAuthorization"
        if headers.get("x-tc-action") != "SendSms" or headers.get("x-tc-version") != "2021-01-11":
            return "InvalidAction"
        if fields["Signature"] != self._expected(headers, body, fields["SignedHeaders"], day, timestamp):
            return "AuthFailure.SignatureFailure"
        try:
            json.loads(body)
        except ValueError:
            return "InvalidParameter.JsonParseError"
        return ""

    def _expected(self, headers: dict[str, str], body: bytes, signed: str, day: str, timestamp: int) -> str:
        names = signed.split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower()}\n" for name in names)
        canonical_request = "POST\n/\n\n" + canonical_headers + "\n" + signed + "\n" + \
            hashlib.sha256(body).hexdigest()
        string_to_sign = "TC3-HMAC-SHA256\n%d\n%s/sms/tc3_request\n%s" % (
            timestamp, day, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest())

        def sign(key: bytes, msg: str) -> bytes:
            return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()

        secret_signing = sign(sign(sign(("TC3" + self.secret_key).encode("utf-8"), day), "sms"), "tc3_request")
        return hmac.new(secret_signing, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


# --- WeChat Official Account ---------------------------------------------------------------------

class WechatServer(_ProviderServer):
    """/cgi-bin/token, /cgi-bin/message/template/send and /sns/oauth2/access_token, as WeChat answers them."""

    def __init__(self, *, app_id: str, app_secret: str, expires_in: int = 7200) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.expires_in = app_id, app_secret, expires_in
        self.live_tokens: set[str] = set()
        self.codes: dict[str, str] = {}  # OAuth code → openid, each usable once
        self.tokens_issued = 0

    def issue_code(self, openid: str) -> str:
        code = uuid.uuid4().hex
        self.codes[code] = openid
        return code

    def expire_tokens(self) -> None:
        """As when another process fetched a new token or two hours passed."""
        self.live_tokens.clear()

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, dict]:
        parts = urlsplit(path)
        query = dict(parse_qsl(parts.query))
        route = {("GET", "/cgi-bin/token"): self._token,
                 ("POST", "/cgi-bin/message/template/send"): self._template,
                 ("GET", "/sns/oauth2/access_token"): self._oauth}.get((method, parts.path))
        if route is None:
            return 404, {"errcode": 404, "errmsg": "not found"}
        answer = route(query, body)
        self._record(Call(parts.path, headers, body, {**query, **({"json": json.loads(body)} if body else {})},
                          valid=answer.get("errcode", 0) == 0, problem=str(answer.get("errcode", ""))))
        return 200, answer

    def _token(self, query: dict[str, str], _body: bytes) -> dict:
        if query.get("grant_type") != "client_credential":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        if query.get("appid") != self.app_id:
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        token = uuid.uuid4().hex
        self.live_tokens = {token}  # a new token replaces the old one
        self.tokens_issued += 1
        return {"access_token": token, "expires_in": self.expires_in}

    def _template(self, query: dict[str, str], body: bytes) -> dict:
        if query.get("access_token") not in self.live_tokens:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        message = json.loads(body)
        if not message.get("touser") or not message.get("template_id") or not isinstance(message.get("data"),
                                                                                        dict):
            return {"errcode": 47001, "errmsg": "data format error"}
        if not all(isinstance(v, dict) and "value" in v for v in message["data"].values()):
            return {"errcode": 47001, "errmsg": "data format error"}
        scripted = self._next()
        if scripted is not None:
            return {"errcode": scripted, "errmsg": "scripted"}
        return {"errcode": 0, "errmsg": "ok", "msgid": int(time.time() * 1000)}

    def _oauth(self, query: dict[str, str], _body: bytes) -> dict:
        if query.get("appid") != self.app_id or query.get("secret") != self.app_secret:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        if query.get("grant_type") != "authorization_code":
            return {"errcode": 40002, "errmsg": "invalid grant_type"}
        openid = self.codes.pop(query.get("code", ""), None)
        if openid is None:
            return {"errcode": 40029, "errmsg": "invalid code"}
        return {"access_token": uuid.uuid4().hex, "expires_in": 7200, "refresh_token": uuid.uuid4().hex,
                "openid": openid, "scope": "snsapi_base"}
