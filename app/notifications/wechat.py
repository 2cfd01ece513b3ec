"""The WeChat Official Account adapter: access_token kept fresh, template messages, OAuth code → openid."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import requests
from sqlalchemy import delete

from app.common import clock
from app.extensions import db
from app.notifications.channel_rules import SendResult
from app.notifications.models import WechatToken
from app.notifications.push import Outcome

# The token is renewed this long before WeChat's expires_in runs out.
TOKEN_MARGIN = timedelta(minutes=5)
TOKEN_INVALID = frozenset({40001, 40014, 42001})  # invalid, malformed, expired access_token
RETRY_ERRCODES = frozenset({-1, 45009, 45011, 45047})  # system busy, API quota, frequency limits


class WechatError(Exception):
    """WeChat answered with an errcode (or not at all)."""

    def __init__(self, errcode: int | None, errmsg: str) -> None:
        super().__init__(f"{errcode}: {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


@dataclass(frozen=True)
class WechatMessage:
    """One template message: who (openid), which approved template, the link back, the field values."""

    openid: str
    template_id: str
    url: str
    data: Mapping[str, str]


class WechatSender(Protocol):
    name: str

    def send(self, message: WechatMessage) -> SendResult: ...


class TokenStore(Protocol):
    def get(self, app_id: str) -> str | None: ...

    def put(self, app_id: str, token: str, expires_at: datetime) -> None: ...

    def drop(self, app_id: str) -> None: ...


class DatabaseTokenStore:
    """One token per Official Account in the database: every process shares it (a new one kills the old)."""

    def get(self, app_id: str) -> str | None:
        row = db.session.get(WechatToken, app_id)
        fresh = row is not None and row.expires_at > clock.utcnow()
        token = row.access_token if fresh else None
        db.session.commit()
        return token

    def put(self, app_id: str, token: str, expires_at: datetime) -> None:
        db.session.merge(WechatToken(app_id=app_id, access_token=token, expires_at=expires_at))
        db.session.commit()

    def drop(self, app_id: str) -> None:
        db.session.execute(delete(WechatToken).where(WechatToken.app_id == app_id))
        db.session.commit()


class WechatClient:
    """Calls the Official Account API at api_base (configurable, so tests point it at loopback)."""

    name = "wechat"

    def __init__(self, *, app_id: str, app_secret: str, api_base: str, timeout: float,
                 tokens: TokenStore | None = None) -> None:
        self._app_id, self._secret = app_id, app_secret
        self._base, self._timeout = api_base.rstrip("/"), timeout
        self._tokens = tokens or DatabaseTokenStore()
        self._session = requests.Session()

    def send(self, message: WechatMessage) -> SendResult:
        """Send one template message; a rejected token is renewed once and the message sent again."""
        body = {"touser": message.openid, "template_id": message.template_id, "url": message.url,
                "data": {key: {"value": value} for key, value in message.data.items()}}
        for renew in (False, True):
            try:
                token = self.access_token(renew=renew)
                answer = self._call("POST", "/cgi-bin/message/template/send",
                                    params={"access_token": token}, json=body)
            except WechatError as exc:
                return _classify(exc.errcode, exc.errmsg)
            errcode = int(answer.get("errcode") or 0)
            if errcode == 0:
                return SendResult(Outcome.DELIVERED, "0", message_id=str(answer.get("msgid") or "") or None)
            if errcode not in TOKEN_INVALID or renew:
                return _classify(errcode, str(answer.get("errmsg") or ""))
        raise AssertionError("unreachable")  # pragma: no cover

    def access_token(self, *, renew: bool = False) -> str:
        """The cached token while it lasts; a new one from /cgi-bin/token when it ends or was refused."""
        if not renew:
            cached = self._tokens.get(self._app_id)
            if cached:
                return cached
        answer = self._call("GET", "/cgi-bin/token", params={
            "grant_type": "client_credential", "appid": self._app_id, "secret": self._secret})
        token, expires_in = answer.get("access_token"), int(answer.get("expires_in") or 0)
        if not token:
            raise WechatError(answer.get("errcode"), str(answer.get("errmsg") or "no access_token"))
        self._tokens.put(self._app_id, token, clock.utcnow() + timedelta(seconds=expires_in) - TOKEN_MARGIN)
        return token

    def openid_for_code(self, code: str) -> str:
        """The user's openid for an OAuth code (snsapi_base); WechatError if WeChat refuses the code."""
        answer = self._call("GET", "/sns/oauth2/access_token", params={
            "appid": self._app_id, "secret": self._secret, "code": code, "grant_type": "authorization_code"})
        openid = answer.get("openid")
        if not openid:
            raise WechatError(answer.get("errcode"), str(answer.get("errmsg") or "no openid"))
        return str(openid)

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self._session.request(method, self._base + path, timeout=self._timeout, **kwargs)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise WechatError(None, f"network: {type(exc).__name__}") from exc
        if response.status_code >= 500:
            raise WechatError(-1, f"HTTP {response.status_code}")
        if not isinstance(answer, dict):
            raise WechatError(None, "not a JSON object")
        errcode = answer.get("errcode")
        if errcode not in (None, 0) and int(errcode) not in TOKEN_INVALID:
            raise WechatError(int(errcode), str(answer.get("errmsg") or ""))
        return answer


def _classify(errcode: int | None, errmsg: str) -> SendResult:
    code = str(errcode) if errcode is not None else None
    if errcode is None or errcode in RETRY_ERRCODES:
        return SendResult(Outcome.RETRY, code, errmsg[:200])
    return SendResult(Outcome.REJECTED, code, errmsg[:200])


def wechat_client_from(config: Mapping[str, Any]) -> WechatClient | None:
    """The Official Account client when WECHAT_APP_ID and WECHAT_APP_SECRET are set, else None."""
    if not (config.get("WECHAT_APP_ID") and config.get("WECHAT_APP_SECRET")):
        return None
    return WechatClient(app_id=config["WECHAT_APP_ID"], app_secret=config["WECHAT_APP_SECRET"],
                        api_base=config["WECHAT_API_BASE"], timeout=float(config["SMS_TIMEOUT_SECONDS"]))
