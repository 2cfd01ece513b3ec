"""Tables of reports: the report, its photos, its timeline, and idempotent submissions."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common.clock import utcnow
from app.common.models import TimestampMixin, UTCDateTime
from app.extensions import db
from app.photos.references import PHOTO_FILE

if TYPE_CHECKING:
    from app.photos.intake import IntakePhoto


class Status(StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    ESCALATED = "escalated"
    DISPATCHED = "dispatched"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"


# What each status is called where a person reads it (the app, the console, notifications).
STATUS_TEXT: dict[str, str] = {
    Status.SUBMITTED: "已提交", Status.ASSIGNED: "已派给网格员", Status.ACCEPTED: "网格员已接单",
    Status.ESCALATED: "已上报区指挥中心", Status.DISPATCHED: "已派至职能部门", Status.RESOLVED: "已处置",
    Status.CLOSED: "已办结", Status.REJECTED: "未受理",
}

OPEN_STATUSES = (Status.SUBMITTED, Status.ASSIGNED, Status.ACCEPTED, Status.ESCALATED,
                 Status.DISPATCHED)


class Report(TimestampMixin, db.Model):
    """One hazard a rider reported; status changes only through reports.workflow."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a report an integration filed (a hotline's citizen is nobody's account). Indexed with
    # created_at for the rider's newest-first list (see __table_args__).
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    integration_id: Mapped[int | None] = mapped_column(ForeignKey("integrations.id"), index=True)
    # The integration's own reference for the request: a retry with it gets the first report.
    external_id: Mapped[str | None] = mapped_column(String(100))
    category_code: Mapped[str] = mapped_column(ForeignKey("categories.code"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default=Status.SUBMITTED)
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    description: Mapped[str | None] = mapped_column(String(500))
    address: Mapped[str | None] = mapped_column(String(200))
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The located chain, denormalised for scoping and stats: most specific area, its community, district.
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    community_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    distance_m: Mapped[float | None] = mapped_column(Float)
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assign_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"), index=True)
    flags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rating: Mapped[int | None] = mapped_column(Integer)
    # Bumped by every transition: a stale read can never win the conditional update.
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    photos: Mapped[list[ReportPhoto]] = relationship(
        back_populates="report", order_by="ReportPhoto.id", lazy="selectin")

    __table_args__ = (
        CheckConstraint(
            "status IN ('submitted', 'assigned', 'accepted', 'escalated', 'dispatched', "
            "'resolved', 'closed', 'rejected')", name="status"),
        CheckConstraint("lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180", name="coordinates"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("reporter_id IS NOT NULL OR integration_id IS NOT NULL", name="has_source"),
        UniqueConstraint("integration_id", "external_id", name="uq_reports_integration_external_id"),
        # Duplicate detection looks for open reports of one category near a point, recent first.
        Index("ix_reports_category_status_lat_lon", "category_code", "status", "lat", "lon"),
        Index("ix_reports_status_created", "status", "created_at"),
        # Each role's list, newest first, walks one of these backwards from a cursor (keyset pages).
        Index("ix_reports_newest", "created_at", "id"),
        Index("ix_reports_reporter_newest", "reporter_id", "created_at", "id"),
        Index("ix_reports_assigned_newest", "assigned_to_id", "created_at", "id"),
        Index("ix_reports_department_newest", "department_id", "created_at", "id"),
        Index("ix_reports_community_newest", "community_code", "created_at", "id"),
        Index("ix_reports_district_newest", "district_code", "created_at", "id"),
        Index("ix_reports_district_status_newest", "district_code", "status", "created_at", "id"),
    )


class ReportPhoto(db.Model):
    """A processed photo of a report (content-addressed files in the photo store)."""

    __tablename__ = "report_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="report")
    image_key: Mapped[str] = mapped_column(String(100), nullable=False, info=PHOTO_FILE)
    thumbnail_key: Mapped[str] = mapped_column(String(100), nullable=False, info=PHOTO_FILE)
    phash: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    width: Mapped[int] = mapped_column(Integer, nullable=False)
    height: Mapped[int] = mapped_column(Integer, nullable=False)
    exif_lat: Mapped[float | None] = mapped_column(Float)
    exif_lon: Mapped[float | None] = mapped_column(Float)
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    report: Mapped[Report] = relationship(back_populates="photos")

    __table_args__ = (CheckConstraint("kind IN ('report', 'resolution')", name="kind"),)


def photo_row(report_id: int, photo: IntakePhoto, *, kind: str) -> ReportPhoto:
    """The report_photos row of a stored photo."""
    p = photo.processed
    return ReportPhoto(report_id=report_id, kind=kind, image_key=photo.files.image_key,
                       thumbnail_key=photo.files.thumbnail_key, phash=p.phash, width=p.width,
                       height=p.height, exif_lat=p.exif_lat, exif_lon=p.exif_lon,
                       captured_at=p.captured_at)


class ReportEvent(db.Model):
    """One step of a report's timeline; written in the same transaction as the change."""

    __tablename__ = "report_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id"), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16), nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[str | None] = mapped_column(Text)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("report_photos.id"))
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)


class IdempotencyRecord(db.Model):
    """An Idempotency-Key of a submission or a report action: a retry with the same key gets the
    first answer, never a second effect (response_status None: the request is still running)."""

    __tablename__ = "idempotency_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    key: Mapped[str] = mapped_column(String(100), nullable=False)
    request_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    response_status: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (UniqueConstraint("user_id", "key", name="uq_idempotency_records_user_key"),)
