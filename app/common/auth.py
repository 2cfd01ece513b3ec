"""Access decorators: a valid token, an active account, one of the allowed roles."""
from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask_jwt_extended import current_user, verify_jwt_in_request

from app.errors import Forbidden

F = TypeVar("F", bound=Callable[..., Any])


def roles_required(*roles: str) -> Callable[[F], F]:
    """Require an access token of an active user whose role is one of roles (any role if none)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            verify_jwt_in_request()
            if roles and current_user.role not in roles:
                raise Forbidden("你的角色不能这样做。", code="role_not_allowed")
            return view(*args, **kwargs)

        _document_bearer_auth(wrapper, roles)
        return wrapper  # type: ignore[return-value]

    return decorator


def _document_bearer_auth(view: Callable[..., Any], roles: tuple[str, ...]) -> None:
    """Mark the view in the OpenAPI document as needing a bearer token (and which roles)."""
    doc = view.__dict__.setdefault("_apidoc", {})
    manual = doc.setdefault("manual_doc", {})
    manual["security"] = [{"bearerAuth": []}]
    if roles:
        manual["description"] = (manual.get("description", "") + f"\n\nRoles: {', '.join(roles)}.").strip()
