"""Raced awards: threads on their own connections never award twice nor past the cap."""
from __future__ import annotations

import threading
from collections.abc import Callable

from app.extensions import db
from app.points import rules, service
from app.reports.models import Report
from tests.points.conftest import ledger, ledger_balance, mismatches, total
from tests.points.factories import confirm, make_report, make_rider, reject

THREADS = 6


def _race(app, work: Callable[[], None], copies: int = THREADS) -> None:
    """Run copies of work at once, each in its own app context (own session and connection)."""
    barrier = threading.Barrier(copies)
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                job()
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001  (re-raised in the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(work,)) for _ in range(copies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def _award(report_id: int) -> Callable[[], None]:
    def job() -> None:
        service.award_for_confirmation(report=db.session.get(Report, report_id))
        db.session.commit()
    return job


def test_racing_confirmations_award_once(app, world, now):
    first, second = make_rider(app, "甲一"), make_rider(app, "乙二")
    original = make_report(app, first, category="flying_lead_charging")
    make_report(app, second, duplicate_of=original)
    _race(app, _award(original))
    assert sorted((rider, reason) for rider, _rep, reason, _d in ledger(app)) == sorted([
        (first.id, "report_confirmed"), (first.id, "urgent_bonus"), (first.id, "first_reporter_bonus"),
        (second.id, "confirmation")])
    assert total(app, first.id) == (10 + rules.URGENT_BONUS + rules.FIRST_REPORTER_BONUS, 1, 1)
    assert mismatches(app) == []


def test_racing_awards_of_one_rider_stop_at_the_daily_cap(app, world, now):
    rider = make_rider(app)
    reports = iter([make_report(app, rider, category="flying_lead_charging") for _ in range(THREADS)])
    lock = threading.Lock()

    def award_next() -> None:
        with lock:
            report_id = next(reports)
        _award(report_id)()

    _race(app, award_next)
    assert ledger_balance(app, rider.id) == rules.DAILY_CAP  # 6 × 15 = 90 asked, 60 given
    assert total(app, rider.id) == (rules.DAILY_CAP, THREADS, THREADS)
    assert mismatches(app) == []


def test_racing_rejections_record_and_penalise_once(app, world, now):
    rider = make_rider(app)
    for _ in range(2):
        reject(app, make_report(app, rider))
    third = make_report(app, rider)

    def job() -> None:
        service.penalize_rejection(report=db.session.get(Report, third), reason="invalid")
        db.session.commit()

    _race(app, job)
    assert [(reason, delta) for _r, report, reason, delta in ledger(app) if report == third] == [
        ("rejected_invalid", 0), ("invalid_penalty", rules.INVALID_PENALTY)]
    assert confirm(app, make_report(app, rider)) == [(rider.id, "report_confirmed", 4)]
    assert mismatches(app) == []
