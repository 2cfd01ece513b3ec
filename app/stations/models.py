"""Tables of 红色驿站: one row per station, kept by its community's secretary."""
from __future__ import annotations

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.models import TimestampMixin
from app.extensions import db

# The services a station may offer: a fixed list, so the phone app can show one icon for each.
SERVICES: tuple[str, ...] = ("饮水", "充电", "热饭", "休息", "卫生间", "电动车充电")


class Station(TimestampMixin, db.Model):
    """A 红色驿站 of a community: where it is, when it is open, what it offers."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(60), nullable=False)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    hours: Mapped[str] = mapped_column(String(60), nullable=False)
    services: Mapped[list[str]] = mapped_column(JSON, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    __table_args__ = (
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="position"),
    )
