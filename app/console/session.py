"""Who sits at the desk: a login kept in Flask's signed session cookie, re-checked on every request."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import g, redirect, request, session, url_for

from app.auth import service as auth
from app.auth.models import Role, User
from app.errors import Forbidden

CONSOLE_ROLES = (Role.SECRETARY, Role.DISPATCHER, Role.DEPARTMENT, Role.ADMIN)


class NotForYourRole(Forbidden):
    code, message = "console_role_refused", "这个页面不对您的角色开放。"


def log_in(*, user: User, lifetime: timedelta) -> None:
    """Start a login session (the same kind the API's tokens carry) and remember it in the cookie."""
    login = auth.start_session(user=user, lifetime=lifetime)
    session.clear()  # a fresh cookie at login: no session fixation
    session.permanent = True
    session["uid"], session["sid"] = user.id, login.id


def log_out() -> None:
    """Revoke the login and forget the cookie."""
    if session.get("sid"):
        auth.revoke_session(session_id=session["sid"])
    session.clear()


def desk_user() -> User | None:
    """The logged-in staff member, if their login is live and their account still active."""
    if "desk_user" not in g:
        uid, sid = session.get("uid"), session.get("sid")
        user = auth.active_user(uid) if uid and auth.is_session_live(sid) else None
        g.desk_user = user if user is not None and user.role in CONSOLE_ROLES else None
    return g.desk_user


def desk_page(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A page for logged-in staff of these roles (any console role if none); passes them as `me`."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            user = desk_user()
            if user is None:
                return redirect(url_for("console.index", next=request.full_path.rstrip("?")))
            if roles and user.role not in roles:
                raise NotForYourRole()
            return view(*args, me=user, **kwargs)

        return wrapper

    return decorator
