"""Tables of dispatch: where each grid worker is and whether they are on duty."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.models import UTCDateTime
from app.extensions import db


class WorkerPresence(db.Model):
    """A grid worker's duty flag and LAST position only: a track is personal data, not kept."""

    __tablename__ = "worker_presence"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    # The worker's community when they last reported, copied so that one index serves
    # "on-duty workers of this community inside this box"; users.area_code stays the truth.
    community_code: Mapped[str | None] = mapped_column(String(32), ForeignKey("areas.code"))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    located_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)

    __table_args__ = (
        # Equality on duty and community, range on lat, lon inside the index (docs/ARCHITECTURE.md, section 5).
        Index(
            "ix_worker_presence_duty_community_lat_lon", "on_duty", "community_code", "lat", "lon"
        ),
        CheckConstraint("lat IS NULL OR (lat >= -90 AND lat <= 90)", name="lat_range"),
        CheckConstraint("lon IS NULL OR (lon >= -180 AND lon <= 180)", name="lon_range"),
        CheckConstraint("accuracy_m IS NULL OR accuracy_m >= 0", name="accuracy_positive"),
        CheckConstraint(
            "NOT on_duty OR (lat IS NOT NULL AND lon IS NOT NULL AND located_at IS NOT NULL)",
            name="on_duty_has_position",
        ),
    )
