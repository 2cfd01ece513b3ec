"""Tables of accounts: users, login sessions, community invites."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db


class Role(StrEnum):
    RIDER = "rider"
    GRID_WORKER = "grid_worker"
    SECRETARY = "secretary"
    DISPATCHER = "dispatcher"
    DEPARTMENT = "department"
    ADMIN = "admin"


class UserStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    DISABLED = "disabled"


class User(TimestampMixin, db.Model):
    """A person with one role; area_code is their community (or district for dispatch staff)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(16), unique=True, nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    name: Mapped[str] = mapped_column(String(50), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=UserStatus.ACTIVE)
    area_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("areas.code"), nullable=True, index=True
    )
    platform: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint(
            "role IN ('rider', 'grid_worker', 'secretary', 'dispatcher', 'department', 'admin')",
            name="role",
        ),
        CheckConstraint("status IN ('active', 'pending', 'disabled')", name="status"),
    )

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE


class AuthSession(db.Model):
    """One login; its access and refresh tokens die together when it is revoked (logout)."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Invite(db.Model):
    """A community's invite code: riders who register with it are active at once."""

    __tablename__ = "invites"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    community_code: Mapped[str] = mapped_column(
        String(32), ForeignKey("areas.code"), nullable=False, index=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    max_uses: Mapped[int] = mapped_column(Integer, nullable=False)
    uses: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        CheckConstraint("uses >= 0 AND uses <= max_uses", name="uses_within_max"),
    )
