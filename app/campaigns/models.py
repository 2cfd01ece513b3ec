"""Tables of 送政策上门: a community's campaigns and the deliveries riders record for them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db
from app.photos.intake import IntakePhoto
from app.photos.references import PHOTO_FILE

TITLE_LENGTH = (2, 60)
BODY_LENGTH = (2, 2000)
NOTE_LENGTH = 200
MAX_POINTS_PER_DELIVERY = 10
MAX_DAILY_CAP = 100  # leaflets a rider is credited for per campaign and China day
MAX_COUNT = 50  # leaflets in one delivery record


class CampaignStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class LeafletKind(StrEnum):
    IMAGE = "image"  # cleaned like a report photo: a JPEG and its thumbnail
    PDF = "pdf"  # kept as sent, after its content was checked


@dataclass(frozen=True)
class Leaflet:
    """A campaign's leaflet file in the upload store (a thumbnail for images only)."""

    kind: str
    key: str
    thumbnail_key: str | None


class Campaign(TimestampMixin, db.Model):
    """A community's campaign: what riders hand out, when, and what each leaflet earns."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), nullable=False, index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH[1]), nullable=False)
    body: Mapped[str] = mapped_column(String(BODY_LENGTH[1]), nullable=False)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)  # China dates, both included
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    points_per_delivery: Mapped[int] = mapped_column(Integer, nullable=False)
    daily_cap: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=CampaignStatus.ACTIVE)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The leaflet riders hand out, by its key in the upload store (None: no leaflet).
    leaflet_kind: Mapped[str | None] = mapped_column(String(8))
    leaflet_key: Mapped[str | None] = mapped_column(String(68), info=PHOTO_FILE)
    leaflet_thumbnail_key: Mapped[str | None] = mapped_column(String(68), info=PHOTO_FILE)

    __table_args__ = (
        CheckConstraint("status IN ('active', 'closed')", name="status"),
        CheckConstraint("(leaflet_key IS NULL) = (leaflet_kind IS NULL) "
                        "AND (leaflet_kind IS NULL OR leaflet_kind IN ('image', 'pdf'))", name="leaflet"),
        CheckConstraint("starts_on <= ends_on", name="period"),
        CheckConstraint(f"points_per_delivery BETWEEN 0 AND {MAX_POINTS_PER_DELIVERY}", name="points"),
        CheckConstraint(f"daily_cap BETWEEN 1 AND {MAX_DAILY_CAP}", name="daily_cap"),
    )

    @property
    def leaflet(self) -> Leaflet | None:
        if self.leaflet_key is None or self.leaflet_kind is None:
            return None
        return Leaflet(kind=self.leaflet_kind, key=self.leaflet_key, thumbnail_key=self.leaflet_thumbnail_key)


class Delivery(db.Model):
    """Leaflets a rider handed over at one place (never whom to: no name, phone or door number)."""

    __tablename__ = "campaign_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), nullable=False)
    rider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    # Leaflets of this delivery within the rider's daily cap: those earn points.
    credited: Mapped[int] = mapped_column(Integer, nullable=False)
    points: Mapped[int] = mapped_column(Integer, nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))  # coverage by grid
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    china_day: Mapped[date] = mapped_column(Date, nullable=False)  # the day the cap counts in
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    # The fingerprint of the request that used the key: the same key with another request is a 422.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    # The photo of the leaflet handed over, if the rider took one (never of a person or a door).
    photo_key: Mapped[str | None] = mapped_column(String(100), info=PHOTO_FILE)
    photo_thumbnail_key: Mapped[str | None] = mapped_column(String(100), info=PHOTO_FILE)
    photo_width: Mapped[int | None] = mapped_column(Integer)
    photo_height: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        # A retried delivery (same key) is the same delivery: the database settles a race.
        UniqueConstraint("rider_id", "idempotency_key", name="uq_campaign_deliveries_rider_key"),
        CheckConstraint(f"count BETWEEN 1 AND {MAX_COUNT}", name="count"),
        CheckConstraint("credited BETWEEN 0 AND count AND points >= 0", name="credited"),
        Index("ix_campaign_deliveries_cap", "campaign_id", "rider_id", "china_day"),
        CheckConstraint("(photo_key IS NULL) = (photo_thumbnail_key IS NULL)", name="whole_photo"),
    )

    @property
    def photo(self) -> DeliveryPhoto | None:
        """The leaflet photo's files, or None."""
        if self.photo_key is None or self.photo_thumbnail_key is None:
            return None
        return DeliveryPhoto(self.photo_key, self.photo_thumbnail_key, self.photo_width, self.photo_height)

    def attach_photo(self, photo: IntakePhoto) -> None:
        """Name a stored photo as this delivery's."""
        self.photo_key, self.photo_thumbnail_key = photo.files.image_key, photo.files.thumbnail_key
        self.photo_width, self.photo_height = photo.processed.width, photo.processed.height


@dataclass(frozen=True)
class DeliveryPhoto:
    """A delivery's photo files, as SignedPhoto shows them."""

    image_key: str
    thumbnail_key: str
    width: int | None
    height: int | None
