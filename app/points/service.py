"""Writing honour points: awards when a report proves real, rejections, adjustments by secretaries."""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import aliased

from app.auth.models import Role, User
from app.categories.models import Category
from app.common import clock
from app.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service as geo_service
from app.geo.models import Level
from app.points import rules
from app.points.models import LedgerEntry
from app.points.periods import china_date, china_midnight
from app.points.rules import Award, Reason
from app.points.totals import add_to_totals
from app.reports.models import Report

_MAX_DUPLICATE_HOPS = 5  # a duplicate of a duplicate...: follow to the original, but never loop


@dataclass(frozen=True)
class Place:
    """The areas an entry counts in."""

    community_code: str | None = None
    street_code: str | None = None
    district_code: str | None = None


# --- called by the report workflow, inside its transaction (flush only) ----------------------

def award_for_confirmation(*, report: Report) -> list[LedgerEntry]:
    """Credit the hazard of a report confirmed real (itself, or its original if it is a duplicate);
    exactly once per (report, rider, reason), so calling again is harmless. Flushes, never commits."""
    hazard = _original_of(report)
    category = db.session.get(Category, hazard.category_code)
    if category is None:
        raise NotFound("这条上报的类别已不存在。", code="category_not_found")
    duplicates = _confirming_duplicates(hazard)
    awards = rules.confirmation_awards(
        hazard=rules.Hazard(hazard.id, hazard.reporter_id, category.points, category.urgent),
        confirmations=[rules.Confirmation(dup.id, dup.reporter_id) for dup in duplicates],
    )
    reports = {hazard.id: hazard, **{dup.id: dup for dup in duplicates}}
    now = clock.utcnow()
    _lock_riders({award.rider_id for award in awards})
    # Entries written by an earlier confirmation are in today's sum already: cap only the new ones.
    awards = rules.apply_daily_cap(_not_yet_written(awards), earned_today=_earned_today(
        {award.rider_id for award in awards}, now))
    return _write(awards, reports=reports, at=now)


def penalize_rejection(*, report: Report, reason: str) -> list[LedgerEntry]:
    """Record a rejected report (reason 'invalid' or 'duplicate'): no points, and a penalty from the
    3rd invalid one within 30 days; exactly once per report. Flushes, never commits."""
    if reason not in ("invalid", "duplicate"):
        raise ValueError(f"unknown rejection reason {reason!r}")
    if reason == "duplicate":
        return []  # credited as a confirmation when its original is confirmed
    if report.reporter_id is None:
        return []  # filed by an integration: no rider to penalize
    now = clock.utcnow()
    _lock_riders({report.reporter_id})
    since = now - timedelta(days=rules.INVALID_WINDOW_DAYS)
    invalid_before = db.session.scalar(
        select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.rider_id == report.reporter_id, LedgerEntry.reason == Reason.REJECTED_INVALID,
            LedgerEntry.report_id != report.id, LedgerEntry.created_at > since)
    ) or 0
    record, *penalty = rules.rejection_awards(report_id=report.id, rider_id=report.reporter_id,
                                               rejection=reason, invalid_before=invalid_before)
    recorded = _write([record], reports={report.id: report}, at=now)
    # A retry finds the record already there and must not add a penalty it did not earn then.
    return recorded + (_write(penalty, reports={report.id: report}, at=now) if recorded else [])


def award_once(*, award: Award) -> LedgerEntry | None:
    """Write one award keyed by its source (a suggestion, a delivery), unless it is there already;
    the new entry, or None for a repeat. Flushes, never commits."""
    if award.source is None:
        raise ValueError("award_once is for awards with a source; reports go through their workflow")
    entries = _write([award], reports={}, at=clock.utcnow())
    return entries[0] if entries else None


def lock_rider(*, rider_id: int) -> None:
    """Serialise this rider's point writes until the transaction ends (for a cap read then written)."""
    _lock_riders({rider_id})


# --- a use case of its own -------------------------------------------------------------------

def adjust_points(*, actor: User, rider_id: int, delta: int, reason: str) -> LedgerEntry:
    """A secretary (of the rider's community) or an admin adds or removes points, with a reason."""
    rider = db.session.get(User, rider_id)
    if rider is None:
        raise NotFound("找不到这名骑手。", code="rider_not_found")
    if actor.role == Role.SECRETARY:
        # Scope before role: a secretary learns nothing of accounts outside her community.
        if rider.area_code is None or rider.area_code != actor.area_code:
            raise Forbidden("这名骑手不属于你的社区。", code="outside_your_area")
    elif actor.role != Role.ADMIN:
        raise Forbidden()
    if rider.role != Role.RIDER:
        raise Unprocessable("只有骑手有荣誉积分。", code="not_a_rider")
    try:
        award = rules.adjustment_award(rider_id=rider.id, delta=delta, reason=reason)
    except ValueError as exc:
        raise ValidationFailed(str(exc), code="invalid_adjustment") from None
    entries = _write([award], reports={}, at=clock.utcnow(), created_by_id=actor.id)
    db.session.commit()
    return entries[0]


# --- helpers (flush only) --------------------------------------------------------------------

def _write(awards: Sequence[Award], *, reports: Mapping[int, Report], at: datetime,
           created_by_id: int | None = None) -> list[LedgerEntry]:
    """Insert the awards that are not there yet and add those to the totals; the new entries."""
    homes = _homes({award.rider_id for award in awards})
    entries = []
    for award in awards:
        report = reports.get(award.report_id) if award.report_id is not None else None
        place = _place_of(report, homes.get(award.rider_id))
        entry = _insert_once(award, place=place, at=at, created_by_id=created_by_id)
        if entry is not None:
            entries.append(entry)
    add_to_totals(entries)
    return entries


def _insert_once(award: Award, *, place: Place, at: datetime,
                 created_by_id: int | None) -> LedgerEntry | None:
    """INSERT ... ON CONFLICT DO NOTHING on the award key: the entry, or None if it was there."""
    dialect = db.session.get_bind().dialect.name
    stmt = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(LedgerEntry).values(
        rider_id=award.rider_id, report_id=award.report_id, source=award.source,
        reason=award.reason.value,
        delta=award.delta, note=award.note, created_by_id=created_by_id, created_at=at,
        community_code=place.community_code, street_code=place.street_code,
        district_code=place.district_code,
    )
    key = "source" if award.source is not None else "report_id"
    stmt = stmt.on_conflict_do_nothing(index_elements=[key, "rider_id", "reason"])
    return db.session.scalars(stmt.returning(LedgerEntry)).first()


def _lock_riders(rider_ids: Iterable[int]) -> None:
    """Serialise point writes per rider (PostgreSQL row locks in id order; SQLite writers are
    serialised already), so that the daily cap and the strike count are read while stable."""
    ids = sorted(set(rider_ids))
    if ids:
        # NO KEY UPDATE: foreign-key checks from other inserts (reports, entries) are not blocked.
        db.session.execute(select(User.id).where(User.id.in_(ids)).order_by(User.id)
                           .with_for_update(key_share=True))


def _not_yet_written(awards: Sequence[Award]) -> list[Award]:
    """The awards whose (report, rider, reason) is not in the ledger yet, in their order."""
    report_ids = sorted({award.report_id for award in awards if award.report_id is not None})
    written = set(db.session.execute(
        select(LedgerEntry.report_id, LedgerEntry.rider_id, LedgerEntry.reason)
        .where(LedgerEntry.report_id.in_(report_ids))).all()) if report_ids else set()
    return [award for award in awards
            if (award.report_id, award.rider_id, award.reason.value) not in written]


def _earned_today(rider_ids: Iterable[int], now: datetime) -> dict[int, int]:
    """Capped award points each rider got since midnight China time."""
    since = china_midnight(china_date(now))
    rows = db.session.execute(
        select(LedgerEntry.rider_id, func.sum(LedgerEntry.delta))
        .where(LedgerEntry.rider_id.in_(sorted(set(rider_ids))),
               LedgerEntry.reason.in_(rules.CAPPED_REASONS), LedgerEntry.created_at >= since)
        .group_by(LedgerEntry.rider_id)
    )
    return {rider_id: int(total or 0) for rider_id, total in rows}


def _original_of(report: Report) -> Report:
    """The first valid report of the hazard: follow duplicate_of up, but not to one found invalid."""
    seen = {report.id}
    while report.duplicate_of_id is not None and len(seen) <= _MAX_DUPLICATE_HOPS:
        original = db.session.get(Report, report.duplicate_of_id)
        if original is None or original.id in seen or _rejected_as_invalid(original.id):
            break
        seen.add(original.id)
        report = original
    return report


def _rejected_as_invalid(report_id: int) -> bool:
    return db.session.scalar(select(exists().where(
        LedgerEntry.report_id == report_id, LedgerEntry.reason == Reason.REJECTED_INVALID))) or False


def _confirming_duplicates(hazard: Report) -> list[Report]:
    """Reports linked as duplicates of the hazard, oldest first, minus those rejected as invalid."""
    invalid = aliased(LedgerEntry)
    rejected_invalid = exists().where(invalid.report_id == Report.id,
                                      invalid.reason == Reason.REJECTED_INVALID)
    return list(db.session.scalars(
        select(Report).where(Report.duplicate_of_id == hazard.id, ~rejected_invalid)
        .order_by(Report.created_at, Report.id)
    ))


def _homes(rider_ids: Iterable[int]) -> dict[int, str | None]:
    """Each rider's home community."""
    ids = sorted(set(rider_ids))
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.area_code).where(User.id.in_(ids))).all())


def _place_of(report: Report | None, home_community: str | None) -> Place:
    """Where an entry counts: the report's community, else its district, else the rider's home."""
    if report is not None and report.community_code:
        return _community_place(report.community_code)
    if report is not None and report.district_code:
        return Place(district_code=report.district_code)
    return _community_place(home_community) if home_community else Place()


def _community_place(code: str) -> Place:
    levels = {area.level: area.code for area in geo_service.area_chain(code=code)}
    return Place(levels.get(Level.COMMUNITY), levels.get(Level.STREET), levels.get(Level.DISTRICT))
