"""Screening a new report: the open report it duplicates, and anti-abuse flags for staff."""
from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.extensions import db
from app.geo.proximity import geodesic_m
from app.photos.exif import PhotoMetadata
from app.reports.models import OPEN_STATUSES, Report, ReportPhoto

METRES_PER_DEGREE_LAT = 111_320.0


@dataclass(frozen=True)
class ScreeningPolicy:
    duplicate_radius_m: float = 50
    duplicate_window: timedelta = timedelta(hours=72)
    exif_far_m: float = 300
    stale_after: timedelta = timedelta(hours=24)
    burst_count: int = 5
    burst_window: timedelta = timedelta(minutes=10)


@dataclass(frozen=True)
class Lookback:
    """What earlier reports say about a new one. Read while its photos decode, before the write
    transaction: a report sent at the same instant may not be seen (on PostgreSQL it never was)."""

    original: Report | None  # the open report it duplicates
    recent_by_reporter: int  # the reporter's reports within the burst window


def look_back(*, reporter_id: int | None, category: str, lat: float, lon: float, now: datetime,
              policy: ScreeningPolicy) -> Lookback:
    return Lookback(original=find_original(category=category, lat=lat, lon=lon, now=now, policy=policy),
                    recent_by_reporter=_recent_reports_by(reporter_id, since=now - policy.burst_window))


def find_original(*, category: str, lat: float, lon: float, now: datetime,
                  policy: ScreeningPolicy) -> Report | None:
    """The earliest open report of this category within the radius and window, if any."""
    dlat = policy.duplicate_radius_m / METRES_PER_DEGREE_LAT
    dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
    candidates = db.session.scalars(
        select(Report).where(
            Report.category_code == category,
            Report.status.in_(OPEN_STATUSES),
            Report.duplicate_of_id.is_(None),
            Report.lat.between(lat - dlat, lat + dlat),
            Report.lon.between(lon - dlon, lon + dlon),
            Report.created_at >= now - policy.duplicate_window,
        ).order_by(Report.created_at, Report.id)
    )
    return next((r for r in candidates
                 if geodesic_m(lat, lon, r.lat, r.lon) <= policy.duplicate_radius_m), None)


def still_open(original: Report | None) -> Report | None:
    """The original found by look_back, its status read again inside the write transaction; None
    if it has been closed since (the new report is then routed on its own)."""
    if original is None:
        return None
    db.session.refresh(original, attribute_names=["status"])
    return original if original.status in OPEN_STATUSES else None


# The order flags are listed in, wherever they were found.
FLAGS = ("outside_service_area", "exif_far_from_claim", "stale_photo", "reused_photo", "burst")


def flags_for(*, lookback: Lookback, captured_at: datetime | None, located: bool, now: datetime,
              policy: ScreeningPolicy) -> list[str]:
    """Flags shown to staff that the report's own fields and the rider's history tell, known before
    its photos are decoded (with_photo_flags and with_reuse_flag add theirs); none blocks the report."""
    flags = []
    if not located:
        flags.append("outside_service_area")
    if captured_at is not None and _stale(captured_at, now=now, policy=policy):
        flags.append("stale_photo")
    if lookback.recent_by_reporter + 1 >= policy.burst_count:
        flags.append("burst")
    return flags


def with_photo_flags(flags: Sequence[str], photos: Sequence[PhotoMetadata], *, lat: float, lon: float,
                     now: datetime, policy: ScreeningPolicy) -> list[str]:
    """`flags`, plus what the photos' EXIF tells: taken far from the claimed point, or long ago."""
    found = set(flags)
    if any(p.lat is not None and p.lon is not None
           and geodesic_m(lat, lon, p.lat, p.lon) > policy.exif_far_m for p in photos):
        found.add("exif_far_from_claim")
    if any(p.captured_at is not None and _stale(p.captured_at, now=now, policy=policy) for p in photos):
        found.add("stale_photo")
    return _in_order(found)


def with_reuse_flag(flags: Sequence[str], phashes: Collection[str]) -> list[str]:
    """`flags`, plus reused_photo if an earlier report holds a photo with the same perceptual hash."""
    if not _photo_used_before(phashes):
        return list(flags)
    return _in_order({*flags, "reused_photo"})


def _in_order(flags: Collection[str]) -> list[str]:
    return sorted(flags, key=FLAGS.index)


def _stale(captured_at: datetime, *, now: datetime, policy: ScreeningPolicy) -> bool:
    return captured_at < now - policy.stale_after


def _photo_used_before(phashes: Collection[str]) -> bool:
    # Exact perceptual-hash equality: indexed, and what a re-sent or re-encoded photo gives.
    return db.session.scalar(
        select(func.count()).select_from(ReportPhoto)
        .where(ReportPhoto.phash.in_(set(phashes)), ReportPhoto.kind == "report")
    ) > 0


def _recent_reports_by(reporter_id: int | None, *, since: datetime) -> int:
    if reporter_id is None:
        return 0  # an integration files for many citizens: no rider's burst to count
    return db.session.scalar(
        select(func.count()).select_from(Report)
        .where(Report.reporter_id == reporter_id, Report.created_at >= since)
    ) or 0
