"""flask-jwt-extended hooks: who a token belongs to, whether its login is still live, JSON errors."""
from __future__ import annotations

from typing import Any

from flask import Flask, g

from app.auth import service
from app.errors import error_response
from app.extensions import jwt


def register_token_callbacks(_app: Flask) -> None:
    """Tie tokens to users and login sessions; render token failures in the error shape."""

    # The blocklist check (first) reads the login with its user; the user lookup (next) reuses that
    # user, found by the token's own jti, instead of reading it again.
    @jwt.token_in_blocklist_loader
    def _session_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
        live, user = service.live_session_user(payload.get("sid"), int(payload["sub"]))
        if user is not None and payload.get("jti"):
            g.setdefault("token_users", {})[payload["jti"]] = user
        return not live

    @jwt.user_lookup_loader
    def _load_user(_header: dict[str, Any], payload: dict[str, Any]):  # type: ignore[no-untyped-def]
        user = g.get("token_users", {}).pop(payload.get("jti"), None)
        if user is None:
            return service.active_user(int(payload["sub"]))
        return user if user.is_active else None

    def unauthorized(code: str, message: str):  # type: ignore[no-untyped-def]
        return error_response(401, code, message, headers={"WWW-Authenticate": "Bearer"})

    jwt.unauthorized_loader(lambda _reason: unauthorized("missing_token", "请先登录。"))
    jwt.invalid_token_loader(
        lambda _reason: unauthorized("invalid_token", "登录信息无效，请重新登录。"))
    jwt.expired_token_loader(
        lambda _h, _p: unauthorized("token_expired", "登录已过期，请重新登录。"))
    jwt.revoked_token_loader(
        lambda _h, _p: unauthorized("token_revoked", "你已退出登录，请重新登录。"))
    jwt.user_lookup_error_loader(
        lambda _h, _p: unauthorized("account_inactive", "这个账号现在不能使用。"))
    jwt.needs_fresh_token_loader(lambda _h, _p: unauthorized("fresh_login_required", "请重新登录。"))
