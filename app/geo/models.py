"""Tables of the grid map."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db


class Level(StrEnum):
    DISTRICT = "district"
    STREET = "street"
    COMMUNITY = "community"
    GRID = "grid"
    MICRO_GRID = "micro_grid"


LEVEL_ORDER: tuple[Level, ...] = tuple(Level)
# What each level is called where a person reads it.
LEVEL_TEXT: dict[str, str] = {Level.DISTRICT: "区县", Level.STREET: "街道", Level.COMMUNITY: "社区",
                              Level.GRID: "网格", Level.MICRO_GRID: "微网格"}


class Area(TimestampMixin, db.Model):
    """One node of the district → street → community → grid → micro_grid tree."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    level: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    parent_code: Mapped[str | None] = mapped_column(
        String(32), ForeignKey("areas.code"), nullable=True, index=True
    )
    # GeoJSON geometry (Polygon or MultiPolygon, WGS84 lon/lat); null until the map is imported.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    min_lon: Mapped[float | None] = mapped_column(Float)
    min_lat: Mapped[float | None] = mapped_column(Float)
    max_lon: Mapped[float | None] = mapped_column(Float)
    max_lat: Mapped[float | None] = mapped_column(Float)
    # A loose-quadtree tile key of the bounding box ("zoom/x/y", see geometry.tile_of): locate
    # probes the point's ≤84 keys on an index instead of range-scanning half the table.
    tile: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (
        CheckConstraint(
            "level IN ('district', 'street', 'community', 'grid', 'micro_grid')", name="level"
        ),
        Index("ix_areas_bbox", "min_lat", "max_lat", "min_lon", "max_lon"),
        # Covering: the box test runs inside the index, rows are read only for real matches.
        Index("ix_areas_tile_bbox", "tile", "min_lat", "max_lat", "min_lon", "max_lon"),
    )


class AreaWorker(db.Model):
    """A grid worker responsible for a grid or micro-grid (docs/ARCHITECTURE.md, "Assignment", step 4)."""

    __tablename__ = "area_workers"

    area_code: Mapped[str] = mapped_column(String(32), ForeignKey("areas.code"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
