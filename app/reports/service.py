"""Report use cases: submit from a phone (idempotently), list and read within scope."""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value

from app.auth.models import User
from app.categories.models import Category
from app.categories.service import get_active_category
from app.common import clock
from app.common.db import commit_keeping_loaded, reading_only
from app.common.idempotency import fingerprint
from app.common.pagination import Keyset, KeysetPage, keyset_page, rows_in_order
from app.dispatch.assignment import nearest_candidate
from app.dispatch.policy import current_policy
from app.errors import Forbidden, NotFound, Unprocessable, ValidationFailed
from app.extensions import db
from app.geo import service as geo
from app.geo.models import Area, Level
from app.photos import intake
from app.photos.pipeline import PhotoLimits
from app.photos.storage import PhotoStore
from app.photos.threads import PhotoWorkers
from app.points import service as points
from app.reports import idempotency, workflow
from app.reports.models import OPEN_STATUSES, IdempotencyRecord, Report, Status, photo_row
from app.reports.screening import (
    Lookback,
    ScreeningPolicy,
    flags_for,
    look_back,
    still_open,
    with_photo_flags,
    with_reuse_flag,
)
from app.reports.visibility import follows_as_duplicate, in_scope_sql, require_visible, visible_scopes
from app.stats import aggregates as stats

CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class SubmitPolicy:
    max_photos: int = 6
    photo_limits: PhotoLimits = field(default_factory=PhotoLimits)
    screening: ScreeningPolicy = field(default_factory=ScreeningPolicy)
    # Begin the report's write transaction while its photos decode, not after. Right where writers
    # lock rows (PostgreSQL): the routing's round trips then run beside the decode. Not on SQLite,
    # whose one write lock would be held through the decode, queueing every other writer behind it.
    write_while_decoding: bool = False


def submit_policy(config: Mapping[str, Any], *, photo_limits: PhotoLimits,
                  write_while_decoding: bool) -> SubmitPolicy:
    """The submission policy the app's configuration sets."""
    return SubmitPolicy(
        max_photos=config["MAX_PHOTOS_PER_REPORT"], photo_limits=photo_limits,
        screening=ScreeningPolicy(
            duplicate_radius_m=config["DUPLICATE_RADIUS_M"],
            duplicate_window=timedelta(hours=config["DUPLICATE_WINDOW_HOURS"]),
            exif_far_m=config["EXIF_FAR_M"], stale_after=timedelta(hours=config["STALE_PHOTO_HOURS"]),
            burst_count=config["BURST_REPORTS"], burst_window=timedelta(minutes=config["BURST_MINUTES"])),
        write_while_decoding=write_while_decoding,
    )


@dataclass(frozen=True)
class Submission:
    report: Report
    replayed: bool  # True when an Idempotency-Key retry got the first answer again
    areas: list[Area] = field(default_factory=list)  # the located chain, already loaded
    people: list[User] = field(default_factory=list)  # the worker it was meant for, already loaded


def submit_report(*, rider: User, fields: dict[str, Any], photos: Sequence[bytes],
                  idempotency_key: str | None, store: PhotoStore, workers: PhotoWorkers,
                  policy: SubmitPolicy = SubmitPolicy()) -> Submission:
    """A rider's new report: photos cleaned and stored, located, screened, recorded — or, for a
    retried Idempotency-Key, the report the first attempt created."""
    intake.check_photo_count(photos, maximum=policy.max_photos)
    _check_captured_at(fields.get("captured_at"))
    with reading_only():  # cheap checks first, without SQLite's write lock
        if idempotency_key:
            earlier = _earlier_submission(rider.id, idempotency_key, lambda: fingerprint(fields, photos))
            if earlier is not None:
                return Submission(report=earlier, replayed=True)
        category = get_active_category(fields["category"])  # held: routing's push names it
        commit_keeping_loaded(db.session())  # hold no transaction while photos are decoded
    with intake.photo_intake(photos, limits=policy.photo_limits, store=store, workers=workers) as incoming:
        # The photo threads decode; meanwhile this thread does what needs no pixels.
        request_hash = fingerprint(fields, photos)
        around = _look_around(reporter_id=rider.id, fields=fields, policy=policy)
        try:
            report = _record_report(source=_Source(rider=rider), category=category, fields=fields,
                                    around=around, incoming=incoming,
                                    idempotency=(idempotency_key, request_hash), policy=policy)
        except _KeyTaken:
            # Another attempt with this key won the race; answer with what it created.
            db.session.rollback()
            earlier = _earlier_submission(rider.id, idempotency_key or "", lambda: request_hash)
            if earlier is None:  # pragma: no cover - the winner committed before we saw the conflict
                raise
            return Submission(report=earlier, replayed=True)
        incoming.keep()
    return Submission(report=report, replayed=False, areas=around.chain,
                      people=[around.candidate[0]] if around.candidate else [])


@dataclass(frozen=True)
class IntegrationSource:
    """An integration filing a report: only inside its area, under its own reference if it gives one."""

    integration_id: int
    name: str
    area_code: str
    external_id: str | None = None


def submit_from_integration(*, source: IntegrationSource, fields: dict[str, Any], photos: Sequence[bytes],
                            store: PhotoStore, workers: PhotoWorkers,
                            policy: SubmitPolicy = SubmitPolicy()) -> Submission:
    """A report an integration (the 12345 hotline) files: located, screened, routed like a rider's,
    earning nobody points; a retry with the same external_id gets the first report."""
    with reading_only():
        earlier = _integration_report(source, fields)
        if earlier is not None:
            return Submission(report=earlier, replayed=True)
        category = get_active_category(fields["category"])
        commit_keeping_loaded(db.session())
    with intake.photo_intake(photos, limits=policy.photo_limits, store=store, workers=workers) as incoming:
        around = _look_around(reporter_id=None, fields=fields, policy=policy)
        _require_inside(around.chain, source.area_code)
        try:
            report = _record_report(source=_Source(integration=source), category=category, fields=fields,
                                    around=around, incoming=incoming, idempotency=(None, ""),
                                    policy=policy)
        except IntegrityError:
            # The same external_id won a race; answer with what it created.
            db.session.rollback()
            earlier = _integration_report(source, fields)
            if earlier is None:  # pragma: no cover - not a duplicate reference after all
                raise
            return Submission(report=earlier, replayed=True)
        incoming.keep()
    return Submission(report=report, replayed=False, areas=around.chain,
                      people=[around.candidate[0]] if around.candidate else [])


def _integration_report(source: IntegrationSource, fields: dict[str, Any]) -> Report | None:
    """The report filed earlier under this reference (None if none was); 422 if that request was a
    different one (another service, point or description)."""
    if not source.external_id:
        return None
    report = db.session.scalar(select(Report).where(Report.integration_id == source.integration_id,
                                                    Report.external_id == source.external_id))
    if report is not None and (report.category_code, report.lat, report.lon, report.description) != (
            fields["category"], fields["lat"], fields["lon"], fields.get("description")):
        raise Unprocessable("这个 external_id 已用于另一条请求。", code="external_id_reused")
    return report


def _require_inside(chain: Sequence[Area], area_code: str) -> None:
    """An integration's key files reports only inside its own area."""
    if not any(area.code == area_code for area in chain):
        raise Forbidden("这个位置不在该接入方的服务区域内。", code="outside_integration_area",
                        details={"area_code": area_code})


@dataclass(frozen=True)
class _Source:
    """Who files a report: a rider (who earns points for it) or an integration."""

    rider: User | None = None
    integration: IntegrationSource | None = None


class _KeyTaken(Exception):
    pass


@dataclass(frozen=True)
class _Surroundings:
    """What the database says about a report before it is written."""

    chain: list[Area]  # the areas its point lies in, smallest first
    lookback: Lookback  # the open report it duplicates, the rider's recent reports
    candidate: tuple[User, float] | None  # the nearest available worker (re-checked under the lock)


def _look_around(*, reporter_id: int | None, fields: dict[str, Any], policy: SubmitPolicy) -> _Surroundings:
    """Reads only, made while the photos decode and outside the write transaction."""
    lat, lon = fields["lat"], fields["lon"]
    with reading_only():
        chain = geo.locate(lat=lat, lon=lon)
        lookback = look_back(reporter_id=reporter_id, category=fields["category"], lat=lat, lon=lon,
                             now=clock.utcnow(), policy=policy.screening)
        candidate = None if lookback.original else nearest_candidate(  # a duplicate is not routed
            lat=lat, lon=lon, community=_code_at(chain, Level.COMMUNITY), policy=current_policy())
        commit_keeping_loaded(db.session())
    return _Surroundings(chain=chain, lookback=lookback, candidate=candidate)


def _record_report(*, source: _Source, category: Category, fields: dict[str, Any], around: _Surroundings,
                   incoming: intake.PhotoIntake, idempotency: tuple[str | None, str],
                   policy: SubmitPolicy) -> Report:
    """One transaction: the report, its first event, its routing, its photos, the idempotency claim.
    It begins once the photos are decoded (or while they decode: policy.write_while_decoding), adds
    the flags their EXIF and perceptual hashes raise as these come, and waits for their files only
    at the end: the thumbnails, the JPEG encoding and the writes overlap with screening and routing."""
    if not policy.write_while_decoding:
        incoming.decoded()
    now = clock.utcnow()
    lat, lon = fields["lat"], fields["lon"]
    captured_at = fields["captured_at"].astimezone(UTC) if fields.get("captured_at") else None
    chain, original = around.chain, still_open(around.lookback.original)
    integration = source.integration
    report = Report(
        reporter_id=source.rider.id if source.rider else None,
        integration_id=integration.integration_id if integration else None,
        external_id=integration.external_id if integration else None,
        category_code=category.code, status=Status.SUBMITTED,
        lat=lat, lon=lon, description=fields.get("description"), address=fields.get("address"),
        captured_at=captured_at,
        area_code=chain[0].code if chain else None,
        community_code=_code_at(chain, Level.COMMUNITY), district_code=_code_at(chain, Level.DISTRICT),
        duplicate_of_id=original.id if original else None,
        flags=flags_for(lookback=around.lookback, captured_at=captured_at, located=bool(chain), now=now,
                        policy=policy.screening),
    )
    db.session.add(report)
    db.session.flush()
    with stats.one_write():  # recorded and routed: the totals count it once, where it ends up
        stats.count_new_report(report)
        workflow.record_submission(report=report, actor=source.rider,
                                   note=f"{integration.name}转办" if integration else None)
        if original is None:
            workflow.route(report=report, new=True, candidate=around.candidate)
        elif original.status == Status.DISPATCHED:  # a confirmation of a hazard already proved real
            points.award_for_confirmation(report=report)
    flags = with_photo_flags(report.flags, incoming.decoded(), lat=lat, lon=lon, now=now, policy=policy.screening)
    flags = with_reuse_flag(flags, incoming.phashes())
    if flags != report.flags:
        report.flags = flags
    photos = [photo_row(report.id, photo, kind="report") for photo in incoming.stored()]
    db.session.add_all(photos)
    db.session.flush()
    set_committed_value(report, "photos", photos)  # a new report has no others: no query to load them
    if source.rider is not None:
        _claim_key(idempotency, rider=source.rider, report=report)
    commit_keeping_loaded(db.session())  # all of it was written just now: nothing to re-read
    return report


def _claim_key(idempotency: tuple[str | None, str], *, rider: User, report: Report) -> None:
    """Record the Idempotency-Key; _KeyTaken if a concurrent attempt holds it (on PostgreSQL the
    insert waits until that attempt ends)."""
    key, fingerprint = idempotency
    if not key:
        return
    db.session.add(IdempotencyRecord(user_id=rider.id, key=key, request_hash=fingerprint,
                                     report_id=report.id, response_status=201))
    try:
        db.session.flush()
    except IntegrityError:
        raise _KeyTaken() from None


def _earlier_submission(user_id: int, key: str, request_hash: Callable[[], str]) -> Report | None:
    """The report an earlier request with this key created (None if none did)."""
    record = idempotency.earlier(user_id=user_id, key=key, request_hash=request_hash)
    return db.session.get(Report, record.report_id) if record is not None else None


def _check_captured_at(captured_at: datetime | None) -> None:
    if captured_at is not None and captured_at > clock.utcnow() + CLOCK_SKEW:
        raise ValidationFailed("拍摄时间不能晚于现在。", code="captured_in_future",
                               details={"fields": {"captured_at": ["不能晚于现在。"]}})


def _code_at(chain: Sequence[Any], level: Level) -> str | None:
    return next((area.code for area in chain if area.level == level), None)


# --- reading -----------------------------------------------------------------------------------

REPORT_KEYSET = Keyset(id=Report.id, at=Report.created_at)


def list_reports(*, viewer: User, status: str | None = None, category: str | None = None,
                 since: datetime | None = None, until: datetime | None = None, mine: bool = False,
                 area: str | None = None, flag: str | None = None, overdue: bool = False,
                 open_only: bool = False, cursor: str | None = None, page: int = 1,
                 per_page: int = 20) -> KeysetPage:
    """A page of the viewer's reports, newest first, filtered: each row's keys and versions
    (`load_reports` gives the reports). area: a grid or micro-grid and what lies in it; overdue:
    dispatched and past the department's deadline. A cursor is refused unless made for this viewer
    and these filters."""
    filters = _report_filters(status=status, category=category, since=since, until=until, area=area,
                              flag=flag, overdue=overdue, open_only=open_only)
    scope = visible_scopes(viewer)
    if mine:  # only what is in the viewer's hands, within what they may see
        branches = [and_(Report.assigned_to_id == viewer.id, or_(*scope)),
                    and_(Report.department_id == viewer.id, or_(*scope))]
    else:
        branches = scope
    keys = select(Report.created_at, Report.id, Report.version, Report.updated_at, Report.duplicate_of_id)
    binding = json.dumps(["reports", viewer.id, viewer.role, viewer.area_code, status, category,
                          since.isoformat() if since else None, until.isoformat() if until else None,
                          mine, area, flag, overdue, open_only])
    return keyset_page([keys.where(branch, *filters) for branch in branches], keyset=REPORT_KEYSET,
                       cursor=cursor, binding=binding, page=page, per_page=per_page)


def _report_filters(*, status: str | None, category: str | None, since: datetime | None,
                    until: datetime | None, area: str | None, flag: str | None, overdue: bool,
                    open_only: bool) -> list[Any]:
    """The WHERE terms of a report list's filters."""
    filters: list[Any] = []
    if status:
        filters.append(Report.status == status)
    if open_only:
        filters.append(Report.status.in_(OPEN_STATUSES))
    if overdue:
        filters += [Report.status == Status.DISPATCHED, Report.due_at < clock.utcnow()]
    if category:
        filters.append(Report.category_code == category)
    if since:
        filters.append(Report.created_at >= since)
    if until:
        filters.append(Report.created_at < until)
    if area:
        inner = select(Area.code).where(Area.parent_code == area)
        filters.append(or_(Report.area_code == area, Report.area_code.in_(inner)))
    if flag:
        # Flags are a short JSON list of known words: a text match works alike on both engines.
        filters.append(cast(Report.flags, String).like(f'%"{flag}"%'))
    return filters


def page_version(page: KeysetPage) -> list[Any]:
    """What a page of reports shows that can change: each row's version and its original's."""
    originals = {row.duplicate_of_id for row in page.rows if row.duplicate_of_id}
    versions = dict(db.session.execute(select(Report.id, Report.version).where(
        Report.id.in_(originals))).all()) if originals else {}
    return [(row.id, row.version, row.updated_at.isoformat(), versions.get(row.duplicate_of_id))
            for row in page.rows]


def load_reports(page: KeysetPage) -> list[Report]:
    """The reports of a page, in its order."""
    return rows_in_order(Report, [row.id for row in page.rows])


def get_report(*, viewer: User, report_id: int) -> Report:
    """One report the viewer may see; 404 if there is none, 403 if it is not theirs to see."""
    report = db.session.get(Report, report_id)
    if report is None:
        raise NotFound("找不到这条上报。", code="report_not_found")
    require_visible(viewer, report)
    return report


_original, _confirming = Report.__table__.alias("original"), Report.__table__.alias("confirming")
# Made once: an ORM alias of the wide reports table costs more to build than the query takes to run.
_VALIDATOR_SUBQUERIES = (
    select(_original.c.version).where(_original.c.id == Report.duplicate_of_id).scalar_subquery(),
    select(func.count()).where(_confirming.c.duplicate_of_id == Report.id).scalar_subquery(),
    select(func.max(_confirming.c.id)).where(_confirming.c.duplicate_of_id == Report.id).scalar_subquery(),
)


def report_validator(*, viewer: User, report_id: int) -> list[Any]:
    """What a report's single GET shows that can change (it, its original, its confirmations), read
    in one query without loading the report; 404 if there is none, 403 if it is not theirs to see."""
    row = db.session.execute(select(
        Report.id, Report.version, Report.updated_at, in_scope_sql(viewer), *_VALIDATOR_SUBQUERIES,
    ).where(Report.id == report_id)).first()
    if row is None:
        raise NotFound("找不到这条上报。", code="report_not_found")
    report_id, version, updated_at, in_scope, original_version, count, newest = row
    if not in_scope and not follows_as_duplicate(viewer, report_id):
        raise Forbidden("你无权查看这条上报。", code="not_your_report")
    return [report_id, version, updated_at.isoformat(), original_version, count, newest]
