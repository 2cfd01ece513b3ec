"""SMS adapters: the development console, Aliyun SendSms (RPC, HMAC-SHA1), Tencent Cloud SendSms (TC3)."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import requests

from app.notifications.channel_rules import SendResult, china_time_text
from app.notifications.push import Outcome

# Provider codes after which the same message may go through later (throttling, their outages).
ALIYUN_RETRY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling", "Throttling.User",
                                "Throttling.Api", "ServiceUnavailable", "InternalError",
                                "SignatureNonceUsed"})
TENCENT_RETRY_PREFIXES = ("InternalError", "RequestLimitExceeded", "LimitExceeded.PhoneNumberThirtySecondLimit",
                          "LimitExceeded.PhoneNumberOneHourLimit", "FailedOperation.FailResolvePacket")


@dataclass(frozen=True)
class SmsMessage:
    """One templated SMS: never free text, only an approved template and its parameters."""

    phone: str  # mainland mobile, 11 digits
    template_code: str
    params: Mapping[str, str]  # in the template's order
    sign_name: str
    reference: str  # our delivery id, echoed back by the provider


class SmsSender(Protocol):
    name: str

    def send(self, message: SmsMessage) -> SendResult: ...


class ConsoleSms:
    """Development: prints each SMS (phone, template, parameters) on the deliverer's output."""

    name = "console"

    def __init__(self, write: Callable[[str], Any] | None = None) -> None:
        self._write = write or (lambda line: print(line, file=sys.stdout, flush=True))

    def send(self, message: SmsMessage) -> SendResult:
        params = json.dumps(dict(message.params), ensure_ascii=False)
        now = china_time_text(datetime.now(timezone.utc))
        self._write(f"[短信 {now}] 发往 {message.phone} 【{message.sign_name}】 模板 {message.template_code} "
                    f"参数 {params}")
        return SendResult(Outcome.DELIVERED, "OK", message_id=f"console-{message.reference}")


class AliyunSms:
    """Aliyun SMS (Dysmsapi 2017-05-25 SendSms) over its RPC API, signed with HMAC-SHA1."""

    name = "aliyun"

    def __init__(self, *, access_key_id: str, access_key_secret: str, endpoint: str, timeout: float) -> None:
        self._key_id, self._secret = access_key_id, access_key_secret
        self._endpoint, self._timeout = endpoint, timeout
        self._session = requests.Session()

    def send(self, message: SmsMessage) -> SendResult:
        """POST one SendSms call; never raises for what the network or Aliyun does."""
        params = {
            "AccessKeyId": self._key_id, "Action": "SendSms", "Format": "JSON", "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
            "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "Version": "2017-05-25",
            "PhoneNumbers": message.phone, "SignName": message.sign_name,
            "TemplateCode": message.template_code, "OutId": message.reference,
            "TemplateParam": json.dumps(dict(message.params), ensure_ascii=False, separators=(",", ":")),
        }
        params["Signature"] = aliyun_signature(params, secret=self._secret, method="POST")
        try:
            response = self._session.post(self._endpoint, data=params, timeout=self._timeout)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            return SendResult(Outcome.RETRY, None, f"network: {type(exc).__name__}")
        return _aliyun_result(response.status_code, answer)


def _aliyun_result(status: int, answer: dict[str, Any]) -> SendResult:
    code = str(answer.get("Code") or status)
    detail = str(answer.get("Message") or "")[:200]
    if code == "OK":
        return SendResult(Outcome.DELIVERED, code, message_id=answer.get("BizId"))
    if code in ALIYUN_RETRY_CODES or status >= 500 or status == 429:
        return SendResult(Outcome.RETRY, code, detail)
    return SendResult(Outcome.REJECTED, code, detail)


def percent_encode(text: str) -> str:
    """RFC 3986 encoding as Aliyun's RPC signature defines it (space → %20, ~ kept)."""
    return quote(text, safe="~")


def aliyun_signature(params: Mapping[str, str], *, secret: str, method: str) -> str:
    """Base64 HMAC-SHA1 over METHOD&%2F&encoded(sorted query), keyed with secret + '&'."""
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TencentSms:
    """Tencent Cloud SMS (SendSms, API 2021-01-11), signed with TC3-HMAC-SHA256."""

    name = "tencent"
    SERVICE, VERSION = "sms", "2021-01-11"

    def __init__(self, *, secret_id: str, secret_key: str, sdk_app_id: str, region: str, endpoint: str,
                 timeout: float) -> None:
        self._secret_id, self._secret_key = secret_id, secret_key
        self._app_id, self._region = sdk_app_id, region
        self._endpoint, self._timeout = endpoint, timeout
        self._host = urlsplit(endpoint).netloc
        self._session = requests.Session()

    def send(self, message: SmsMessage) -> SendResult:
        """POST one SendSms call; never raises for what the network or Tencent Cloud does."""
        body = json.dumps({
            "PhoneNumberSet": [f"+86{message.phone}"], "SmsSdkAppId": self._app_id,
            "SignName": message.sign_name, "TemplateId": message.template_code,
            "TemplateParamSet": list(message.params.values()), "SessionContext": message.reference,
        }, ensure_ascii=False, separators=(",", ":")).encode()
        timestamp = int(time.time())
        headers = {"Content-Type": "application/json; charset=utf-8", "Host": self._host,
                   "X-TC-Action": "SendSms", "X-TC-Version": self.VERSION, "X-TC-Region": self._region,
                   "X-TC-Timestamp": str(timestamp)}
        headers["Authorization"] = tc3_authorization(
            secret_id=self._secret_id, secret_key=self._secret_key, service=self.SERVICE, host=self._host,
            action="SendSms", body=body, timestamp=timestamp)
        try:
            response = self._session.post(self._endpoint, data=body, headers=headers, timeout=self._timeout)
            answer = response.json().get("Response") or {}
        except (requests.RequestException, ValueError, AttributeError) as exc:
            return SendResult(Outcome.RETRY, None, f"network: {type(exc).__name__}")
        return _tencent_result(response.status_code, answer)


def _tencent_result(status: int, answer: dict[str, Any]) -> SendResult:
    error = answer.get("Error")
    if error:
        code, detail = str(error.get("Code")), str(error.get("Message") or "")[:200]
    elif answer.get("SendStatusSet"):
        sent = answer["SendStatusSet"][0]
        code, detail = str(sent.get("Code")), str(sent.get("Message") or "")[:200]
        if code == "Ok":
            return SendResult(Outcome.DELIVERED, code, message_id=sent.get("SerialNo"))
    else:
        code, detail = str(status), "no SendStatusSet"
    if code.startswith(TENCENT_RETRY_PREFIXES) or status >= 500:
        return SendResult(Outcome.RETRY, code, detail)
    return SendResult(Outcome.REJECTED, code, detail)


def tc3_authorization(*, secret_id: str, secret_key: str, service: str, host: str, action: str, body: bytes,
                      timestamp: int) -> str:
    """The Authorization header of a Tencent Cloud API 3.0 POST (TC3-HMAC-SHA256)."""
    day = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    signed_headers = "content-type;host;x-tc-action"
    canonical_request = "\n".join([
        "POST", "/", "", f"content-type:application/json; charset=utf-8\nhost:{host}\n"
                         f"x-tc-action:{action.lower()}\n",
        signed_headers, hashlib.sha256(body).hexdigest()])
    scope = f"{day}/{service}/tc3_request"
    string_to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope,
                                hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = _hmac(f"TC3{secret_key}".encode(), day)
    key = _hmac(_hmac(key, service), "tc3_request")
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders={signed_headers}, "
            f"Signature={signature}")


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


# What each provider cannot work without.
REQUIRED_SETTINGS = {"aliyun": ("ALIYUN_ACCESS_KEY_ID", "ALIYUN_ACCESS_KEY_SECRET", "SMS_SIGN_NAME"),
                     "tencent": ("TENCENT_SECRET_ID", "TENCENT_SECRET_KEY", "TENCENT_SMS_APP_ID", "SMS_SIGN_NAME")}


def sms_sender_from(config: Mapping[str, Any]) -> SmsSender | None:
    """The SMS provider SMS_PROVIDER names, configured; None when SMS is off; ValueError if misconfigured."""
    provider = (config.get("SMS_PROVIDER") or "").strip().lower()
    timeout = float(config["SMS_TIMEOUT_SECONDS"])
    missing = [name for name in REQUIRED_SETTINGS.get(provider, ()) if not config.get(name)]
    if missing:
        raise ValueError(f"SMS_PROVIDER={provider} needs {', '.join(missing)}")
    if not provider:
        return None
    if provider == "console":
        return ConsoleSms()
    if provider == "aliyun":
        return AliyunSms(access_key_id=config["ALIYUN_ACCESS_KEY_ID"],
                         access_key_secret=config["ALIYUN_ACCESS_KEY_SECRET"],
                         endpoint=config["ALIYUN_SMS_ENDPOINT"], timeout=timeout)
    if provider == "tencent":
        return TencentSms(secret_id=config["TENCENT_SECRET_ID"], secret_key=config["TENCENT_SECRET_KEY"],
                          sdk_app_id=config["TENCENT_SMS_APP_ID"], region=config["TENCENT_SMS_REGION"],
                          endpoint=config["TENCENT_SMS_ENDPOINT"], timeout=timeout)
    raise ValueError(f"SMS_PROVIDER must be console, aliyun, tencent or empty, not {provider!r}")
