"""Tables of 社情民意: one row per suggestion, with the secretary's reply on it, and its photos."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.common.clock import utcnow
from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db
from app.photos.intake import IntakePhoto
from app.photos.references import PHOTO_FILE

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
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # The fingerprint of the request that used the key: the same key with another request is a 422.
    request_hash: Mapped[str | None] = mapped_column(String(64))

    rider: Mapped[User] = relationship(foreign_keys=[rider_id], lazy="joined")
    # Loaded for a whole page at once: every list shows each suggestion's photos.
    photos: Mapped[list[SuggestionPhoto]] = relationship(
        order_by="SuggestionPhoto.position", lazy="selectin", back_populates="suggestion")

    __table_args__ = (
        CheckConstraint("status IN ('open', 'replied')", name="status"),
        CheckConstraint("status = 'open' OR (reply IS NOT NULL AND adopted IS NOT NULL "
                        "AND replied_at IS NOT NULL)", name="replied_has_answer"),
        CheckConstraint("(lat IS NULL) = (lon IS NULL)", name="whole_place"),
        Index("ix_suggestions_area_newest", "area_code", "id"),
        Index("ix_suggestions_rider_newest", "rider_id", "id"),
        # A retried submission (same key) is the same suggestion: the database settles a race.
        UniqueConstraint("rider_id", "idempotency_key", name="uq_suggestions_rider_key"),
    )


class SuggestionPhoto(db.Model):
    """A photo of a suggestion: cleaned by the photo pipeline, its files in the photo store."""

    __tablename__ = "suggestion_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id"), nullable=False, index=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False)  # the order the rider chose them in
    image_key: Mapped[str] = mapped_column(String(100), nullable=False, info=PHOTO_FILE)
    thumbnail_key: Mapped[str] = mapped_column(String(100), nullable=False, info=PHOTO_FILE)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    suggestion: Mapped[Suggestion] = relationship(back_populates="photos")

    __table_args__ = (UniqueConstraint("suggestion_id", "position", name="uq_suggestion_photos_position"),)

    @classmethod
    def of(cls, photo: IntakePhoto, *, position: int) -> SuggestionPhoto:
        """The row of a stored photo (the suggestion is set by the caller)."""
        return cls(position=position, image_key=photo.files.image_key,
                   thumbnail_key=photo.files.thumbnail_key, width=photo.processed.width,
                   height=photo.processed.height)
