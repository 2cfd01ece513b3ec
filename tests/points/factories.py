"""Builders for points and stats tests: an area tree, riders, and reports inserted directly."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask

from app.auth.models import Role, User
from app.extensions import db
from app.points import service
from app.reports.models import Report
from app.stats.aggregates import count_new_report
from tests.factories import make_community, make_user

DISTRICT, OTHER_DISTRICT = "640106", "640205"
STREET, OTHER_STREET = "640106001", "640106002"
HOME, NEIGHBOUR, ACROSS, FAR = "640106001001", "640106001002", "640106002001", "640205001001"
T0 = datetime(2026, 11, 18, 2, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in China
_offsets = itertools.count()


def make_world(app: Flask) -> dict[str, str]:
    """Two streets of one district (three communities) and a community in another district."""
    for code in (HOME, NEIGHBOUR, ACROSS, FAR):
        make_community(app, code)
    return {"district": DISTRICT, "street": STREET, "home": HOME, "neighbour": NEIGHBOUR,
            "across": ACROSS, "far": FAR}


def make_rider(app: Flask, name: str = "张三丰", *, community: str | None = HOME,
               platform: str | None = "meituan") -> User:
    return make_user(app, Role.RIDER, area_code=community, name=name, platform=platform)


def make_report(app: Flask, reporter: User | int, *, category: str = "streetlight_out",
                community: str | None = HOME, district: str | None = "auto", status: str = "submitted",
                created_at: datetime | None = None, accepted_at: datetime | None = None,
                resolved_at: datetime | None = None, duplicate_of: int | None = None) -> int:
    """Insert a report row as the workflow would leave it; returns its id."""
    reporter_id = reporter if isinstance(reporter, int) else reporter.id
    if district == "auto":
        district = community[:6] if community else None
    created_at = created_at or T0 + timedelta(seconds=next(_offsets))
    with app.app_context():
        report = Report(reporter_id=reporter_id, category_code=category, status=status, lat=38.48,
                        lon=106.23, community_code=community, area_code=community,
                        district_code=district, created_at=created_at, updated_at=created_at,
                        accepted_at=accepted_at, resolved_at=resolved_at, duplicate_of_id=duplicate_of,
                        flags=[])
        db.session.add(report)
        db.session.flush()
        count_new_report(report)  # as submission does: the monthly statistics include it
        db.session.commit()
        return report.id


def confirm(app: Flask, report_id: int) -> list[tuple[int, str, int]]:
    """What the workflow does on dispatch/resolve: award, then commit; (rider, reason, delta) written."""
    with app.app_context():
        entries = service.award_for_confirmation(report=db.session.get(Report, report_id))
        written = [(e.rider_id, e.reason, e.delta) for e in entries]
        db.session.commit()
        return written


def reject(app: Flask, report_id: int, reason: str = "invalid") -> list[tuple[int, str, int]]:
    """What the workflow does on reject: record, then commit."""
    with app.app_context():
        entries = service.penalize_rejection(report=db.session.get(Report, report_id), reason=reason)
        written = [(e.rider_id, e.reason, e.delta) for e in entries]
        db.session.commit()
        return written


def adjust(app: Flask, actor: User, rider: User, delta: int, reason: str = "社区活动加分") -> Any:
    with app.app_context():
        entry = service.adjust_points(actor=db.session.get(User, actor.id), rider_id=rider.id,
                                      delta=delta, reason=reason)
        return entry.id
