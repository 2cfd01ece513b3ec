"""The report state machine: the one place that changes a report's status and writes its timeline."""
from __future__ import annotations

from app.auth.models import User
from app.common import clock
from app.extensions import db
from app.reports.models import Report, ReportEvent, Status


def record_submission(*, report: Report, actor: User) -> ReportEvent:
    """The first event of every timeline: the rider's submission."""
    event = ReportEvent(report_id=report.id, action="submit", from_status=None,
                        to_status=Status.SUBMITTED, actor_id=actor.id, at=clock.utcnow())
    db.session.add(event)
    db.session.flush()
    return event
