"""Integration rules: admins issue keys scoped to an area; a key is checked by its hash."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import Select, select

from app.auth.models import User
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.geo import service as geo
from app.integrations.models import Integration

KEY_PREFIX = "gs_"


@dataclass(frozen=True)
class IssuedIntegration:
    """A new integration with its key and callback secret: the only time either is shown."""

    integration: Integration
    api_key: str
    callback_secret: str


def hash_key(api_key: str) -> str:
    """What is stored of an API key (a random 256-bit key needs no slow hash)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def create_integration(*, actor: User, name: str, area_code: str,
                       callback_url: str | None = None) -> IssuedIntegration:
    """Issue an integration's key for one area (the key is returned once and stored hashed)."""
    geo.get_area(code=area_code)  # NotFound for an unknown area
    api_key = KEY_PREFIX + secrets.token_urlsafe(32)
    callback_secret = secrets.token_urlsafe(32)
    integration = Integration(name=name, area_code=area_code, key_hash=hash_key(api_key),
                              key_prefix=api_key[:10], callback_url=callback_url,
                              callback_secret=callback_secret, active=True, created_by_id=actor.id)
    db.session.add(integration)
    db.session.commit()
    return IssuedIntegration(integration=integration, api_key=api_key, callback_secret=callback_secret)


def list_integrations() -> Select[tuple[Integration]]:
    """Every integration, newest first (to be paginated by the caller)."""
    return select(Integration).order_by(Integration.id.desc())


def set_integration_active(*, integration_id: int, active: bool) -> Integration:
    """Disable an integration (its key stops working at once) or enable it again."""
    integration = db.session.get(Integration, integration_id)
    if integration is None:
        raise NotFound("找不到这个接入方。", code="integration_not_found")
    integration.active = active
    db.session.commit()
    return integration


def integration_for_key(api_key: str | None) -> Integration:
    """The active integration holding this key; Forbidden for a missing, unknown or disabled key."""
    if not api_key or len(api_key) > 200:
        raise Forbidden("缺少或无效的 api_key。", code="invalid_api_key")
    wanted = hash_key(api_key)
    integration = db.session.scalar(select(Integration).where(Integration.key_hash == wanted))
    # The lookup is by hash; compare again in constant time all the same.
    if integration is None or not hmac.compare_digest(integration.key_hash, wanted):
        raise Forbidden("缺少或无效的 api_key。", code="invalid_api_key")
    if not integration.active:
        raise Forbidden("这个接入方已停用。", code="integration_disabled")
    return integration
