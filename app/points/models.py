"""Tables of honour points: the append-only ledger and the per-period totals kept from it."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.common.clock import utcnow
from app.common.models import UTCDateTime
from app.extensions import db

REASONS_SQL = ("'report_confirmed', 'urgent_bonus', 'first_reporter_bonus', 'confirmation', "
               "'rejected_invalid', 'invalid_penalty', 'adjustment', 'suggestion_adopted', 'policy_delivery'")
SCOPE_ALL = "*"  # scope_code of the everyone leaderboard


class LedgerEntry(db.Model):
    """One change of a rider's points, with its reason; never updated or deleted."""

    __tablename__ = "point_ledger"

    id: Mapped[int] = mapped_column(primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("reports.id"))
    # Where the points count: the report's community (or the rider's, for adjustments) and its
    # street and district, copied at write time so that a later map change leaves history alone.
    community_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    street_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    district_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"))
    # What earned an award that is not a report: "suggestion:12", "delivery:7".
    source: Mapped[str | None] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(32), nullable=False)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=False)

    __table_args__ = (
        # Exactly-once awards: a retried or raced award hits this and inserts nothing.
        UniqueConstraint("report_id", "rider_id", "reason", name="uq_point_ledger_award"),
        UniqueConstraint("source", "rider_id", "reason", name="uq_point_ledger_source_award"),
        CheckConstraint(f"reason IN ({REASONS_SQL})", name="reason"),
        # An award comes from a report or from another source, never both, never neither.
        CheckConstraint("reason = 'adjustment' OR (report_id IS NULL) <> (source IS NULL)",
                        name="award_has_origin"),
        CheckConstraint(
            "reason <> 'adjustment' OR (report_id IS NULL AND created_by_id IS NOT NULL "
            "AND delta <> 0 AND note IS NOT NULL)", name="adjustment_has_author_and_note"),
        # A rider's entries newest first (a keyset page), and today's awards for the daily cap.
        Index("ix_point_ledger_rider_newest", "rider_id", "created_at", "id"),
    )


class PointsTotal(db.Model):
    """A rider's points and judged reports in one scope (area or everyone) and period; a cache of
    the ledger, changed in the same transaction as each entry (`flask points verify` checks it)."""

    __tablename__ = "points_totals"

    scope_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    period_kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    period_start: Mapped[date] = mapped_column(Date, primary_key=True)
    rider_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    points: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    valid_reports: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (
        CheckConstraint("period_kind IN ('week', 'month', 'year', 'all')", name="period_kind"),
        # A leaderboard is one backward range scan of this index: top points of one board.
        Index("ix_points_totals_board", "scope_code", "period_kind", "period_start", "points",
              "rider_id"),
    )


@event.listens_for(LedgerEntry, "before_update")
@event.listens_for(LedgerEntry, "before_delete")
def _refuse_ledger_change(_mapper: Any, _connection: Any, entry: LedgerEntry) -> None:
    # Append-only: a correction is a new entry (an adjustment), never an edit.
    raise RuntimeError(f"point ledger entry {entry.id} is append-only")
