"""Benchmark: what the SMS channel adds to writing a notification, and how fast the deliverer drains SMS.

Writes N `assigned` notifications (one per report, in its own transaction, as a submission does) with
SMS off and then on, and drains N due SMS through the console provider (output discarded), against
draining the same number that the decision skips because they were seen.

Run: .venv/bin/python bench/bench_channels.py [--n N]   (a temporary SQLite file; PostgreSQL with
     DATABASE_URL=postgresql+psycopg://… pointing at a fresh database)
"""
from __future__ import annotations

import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import update  # noqa: E402

from app.auth.models import Role, User  # noqa: E402
from app.common import clock  # noqa: E402
from app.extensions import db  # noqa: E402
from app.notifications import service  # noqa: E402
from app.notifications.channels import ChannelSenders, ChannelSettings, deliver_channels  # noqa: E402
from app.notifications.delivery import DeliveryPolicy  # noqa: E402
from app.notifications.models import ChannelDelivery, Notification  # noqa: E402
from app.notifications.sms import ConsoleSms  # noqa: E402
from app.reports.models import Report  # noqa: E402
from bench.scratch import bench_app  # noqa: E402

POLICY = DeliveryPolicy(max_attempts=8, retry_base_seconds=30, retry_max_seconds=3600, lease_seconds=600)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=2000)
    n = parser.parse_args().n
    with bench_app(prefix="bench-channels", SMS_QUIET_HOURS="", SMS_USER_DAILY_CAP=10 * n,
                   SMS_DAILY_BUDGET=10 * n) as bench, bench.app.app_context():
        app = bench.app
        report_ids, worker_id = _world(n)
        off = _time_notify(app, report_ids, worker_id, provider="")
        on = _time_notify(app, report_ids, worker_id, provider="console")
        off = min(off, _time_notify(app, report_ids, worker_id, provider=""))  # order must not matter
        print(f"notify, SMS off: {off * 1000 / n:.3f} ms each; SMS on: {on * 1000 / n:.3f} ms each "
              f"(×{on / off:.2f})")
        seen = _time_drain(app, n, seen=True)
        _time_notify(app, report_ids, worker_id, provider="console")
        sent = _time_drain(app, n, seen=False)
        print(f"drain {n} due SMS: skipped as seen {seen * 1000 / n:.3f} ms each; sent by console "
              f"{sent * 1000 / n:.3f} ms each ({n / sent:.0f} SMS/s)")


def _world(n: int) -> tuple[list[int], int]:
    rider = User(phone="13600000001", password_hash="x", name="骑手", role=Role.RIDER)
    worker = User(phone="13600000002", password_hash="x", name="网格员", role=Role.GRID_WORKER)
    db.session.add_all([rider, worker])
    db.session.flush()
    reports = [Report(reporter_id=rider.id, category_code="garbage", lat=38.48, lon=106.23, status="assigned",
                      assigned_to_id=worker.id, assigned_at=clock.utcnow(), address="正源街12号")
               for _ in range(n)]
    db.session.add_all(reports)
    db.session.commit()
    return [r.id for r in reports], worker.id


def _time_notify(app, report_ids: list[int], worker_id: int, *, provider: str) -> float:
    app.config["SMS_PROVIDER"] = provider
    start = time.perf_counter()
    for report_id in report_ids:
        service.notify(user_id=worker_id, kind="assigned", report_id=report_id, title="新的垃圾乱堆待处理",
                       body="正源街12号")
        db.session.commit()
    return time.perf_counter() - start


def _time_drain(app, n: int, *, seen: bool) -> float:
    """Make n SMS rows due (marking their notifications seen or not), then drain them."""
    pending = db.session.scalars(update(ChannelDelivery).where(ChannelDelivery.status == "pending")
                                 .values(next_attempt_at=clock.utcnow() - timedelta(seconds=1))
                                 .returning(ChannelDelivery.notification_id)).all()[:n]
    if seen:
        db.session.execute(update(Notification).where(Notification.id.in_(pending))
                           .values(seen_at=clock.utcnow()))
    db.session.commit()
    senders = ChannelSenders(sms=ConsoleSms(write=lambda _line: None))
    settings = ChannelSettings.from_config(app.config)
    start = time.perf_counter()
    drained = 0
    while drained < n:
        claimed = deliver_channels(senders=senders, settings=settings, max_batch=50, policy=POLICY).claimed
        if not claimed:
            break
        drained += claimed
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
