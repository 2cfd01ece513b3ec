"""Tables of 社情民意: one row per suggestion, with the secretary's reply on it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db

CONTENT_LENGTH = (5, 1000)
REPLY_LENGTH = (2, 1000)


class SuggestionStatus(StrEnum):
    OPEN = "open"
    REPLIED = "replied"


class Suggestion(TimestampMixin, db.Model):
    """A rider's suggestion to their community's secretary, and her reply and decision (采纳 or not)."""

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    # The rider's community when they sent it: its secretary answers, even if the rider moves later.
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), nullable=False)
    content: Mapped[str] = mapped_column(String(CONTENT_LENGTH[1]), nullable=False)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=SuggestionStatus.OPEN)
    reply: Mapped[str | None] = mapped_column(String(REPLY_LENGTH[1]))
    adopted: Mapped[bool | None] = mapped_column(Boolean)
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    rider: Mapped[User] = relationship(foreign_keys=[rider_id], lazy="joined")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'replied')", name="status"),
        CheckConstraint("status = 'open' OR (reply IS NOT NULL AND adopted IS NOT NULL "
                        "AND replied_at IS NOT NULL)", name="replied_has_answer"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="whole_place"),
        Index("ix_suggestions_area_newest", "area_code", "id"),
        Index("ix_suggestions_rider_newest", "rider_id", "id"),
    )
