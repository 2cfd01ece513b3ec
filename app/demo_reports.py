"""Demo reports for `flask seed demo`: every state of the loop, run through the real use cases at the
times they would have happened over the past weeks, so that the console and the app have timelines,
photos, points, queues, deadlines and a weekly trend to show."""
from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from PIL import Image, ImageDraw
from sqlalchemy import select, update

from app.auth.models import User
from app.auth.service import register_rider
from app.common import clock
from app.extensions import db
from app.geo.demo_map import worker_posts
from app.photos.service import photo_limits, photo_store, photo_workers
from app.reports import handling
from app.reports.models import Report
from app.reports.service import submit_report

PENDING_RIDER = ("13900000104", "孙骑手", "jd")
DISPATCHER, DEPARTMENT = "13900000021", "13900000031"


class _Story:
    """One demo report's people and its moment in time, which each step moves on."""

    def __init__(self, report: Report, people: dict[str, User], at: datetime) -> None:
        self.report, self.people, self.at = report, people, at

    def later(self, minutes: float) -> _Story:
        self.at += timedelta(minutes=minutes)
        clock.utcnow = lambda: self.at
        return self

    def person(self, user_id: int | None) -> User:
        return next(user for user in self.people.values() if user.id == user_id)


Ending = Callable[[_Story], None]


@contextmanager
def _clock_stopped() -> Iterator[None]:
    # The clock is the one seam for moving time (as tests do): the use cases run as on those days.
    real = clock.utcnow
    try:
        yield
    finally:
        clock.utcnow = real


def _photo(seed: int) -> bytes:
    """A small JPEG of its own (distinct shapes, so no two demo photos look reused)."""
    rng = random.Random(seed)
    image = Image.new("RGB", (640, 480), tuple(rng.randrange(90, 200) for _ in range(3)))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(600), rng.randrange(440)
        box = (x, y, x + rng.randrange(30, 200), y + rng.randrange(30, 160))
        draw.rectangle(box, fill=tuple(rng.randrange(256) for _ in range(3)))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _accept(story: _Story) -> None:
    report = story.later(9).report
    handling.accept(actor=story.person(report.assigned_to_id), report_id=report.id)


def _resolve(story: _Story, actor: User | None = None, minutes: float = 150) -> None:
    report = story.later(minutes).report
    handling.resolve(actor=actor or story.person(report.assigned_to_id), report_id=report.id,
                     note="已现场处置完毕", photos=[_photo(report.id * 97)], store=photo_store(),
                     limits=photo_limits(), workers=photo_workers())


def _escalate(story: _Story) -> None:
    report = story.later(35).report
    handling.escalate(actor=story.person(report.assigned_to_id), report_id=report.id, reason="需职能部门处置")


def _dispatch(story: _Story) -> None:
    _escalate(story)
    story.later(20)
    handling.dispatch(actor=story.people[DISPATCHER], report_id=story.report.id,
                      department_id=story.people[DEPARTMENT].id, due_at=story.at + timedelta(hours=48))


def _closed(rating: int) -> Ending:
    def close(story: _Story) -> None:
        _accept(story)
        _resolve(story)
        story.later(240)
        handling.evaluate(actor=story.person(story.report.reporter_id), report_id=story.report.id,
                          rating=rating, comment="处理得很及时，谢谢")

    return close


def _resolved_by_department(story: _Story) -> None:
    _dispatch(story)
    _resolve(story, actor=story.people[DEPARTMENT], minutes=600)


# (rider, category, grid post, metres north, days ago, description, address, what happens next)
DEMO_REPORTS: tuple[tuple[str, str, int, int, float, str, str, Ending | None], ...] = (
    ("13900000101", "flying_lead_charging", 0, 0, 38, "3号楼二单元窗户拉出电线给电动车充电",
     "满春园小区3号楼", _closed(5)),
    ("13900000102", "manhole_cover", 1, 0, 31, "人行道井盖缺了一角，晚上容易绊倒", "满城北街与宁安大街路口",
     _closed(4)),
    ("13900000103", "garbage", 2, 60, 24, "楼下垃圾桶满溢", "满春园5号楼", _closed(5)),
    ("13900000101", "flying_lead_charging", 3, 60, 17, "车棚里私拉插座", "满春园车棚", _closed(3)),
    ("13900000102", "manhole_cover", 3, -120, 3, "检查井盖板断裂", "满城北街88号", _resolved_by_department),
    ("13900000101", "manhole_cover", 3, 150, 4, "雨水井盖被车压碎", "满城北街公交站旁", _dispatch),
    ("13900000103", "manhole_cover", 2, 120, 0.8, "井盖下沉约五厘米", "满春园东门", _dispatch),
    ("13900000102", "flying_lead_charging", 2, -150, 0.3, "地下室入口私拉电线", "满春园12号楼", _escalate),
    ("13900000103", "flying_lead_charging", 1, 200, 0.1, "楼道里给电瓶充电", "满春园7号楼", _accept),
    ("13900000101", "manhole_cover", 0, -200, 0.01, "井盖松动，车过有响声", "满春园西门", None),
)


def seed_demo_reports(*, password: str, community: str) -> Iterator[str]:
    """The demo reports and a rider waiting for approval, unless they are there already."""
    people = {user.phone: user for user in db.session.scalars(select(User))}
    first_rider = people.get("13900000101")
    if first_rider is None or db.session.scalar(
            select(Report.id).where(Report.reporter_id == first_rider.id).limit(1)) is not None:
        return
    posts = [post for post in worker_posts() if post.community_code == community]
    now = clock.utcnow()
    with _clock_stopped():
        for index, (phone, category, post, north_m, days, text, address, ending) in enumerate(DEMO_REPORTS):
            story = _Story(None, people, now - timedelta(days=days)).later(0)  # type: ignore[arg-type]
            story.report = submit_report(
                rider=people[phone], photos=[_photo(index)], idempotency_key=None, store=photo_store(),
                workers=photo_workers(),
                fields={"category": category, "lat": posts[post].lat + north_m / 111_000,
                        "lon": posts[post].lon, "description": text, "address": address}).report
            _dated(story.report.id, story.at)
            if ending is not None:
                ending(story)
    yield f"{len(DEMO_REPORTS)} demo reports in 满春园社区 over the past weeks, in every state of the loop"
    if PENDING_RIDER[0] not in people:
        phone, name, platform = PENDING_RIDER
        register_rider(phone=phone, password=password, name=name, platform=platform, area_code=community)
        yield f"a rider waiting for approval: {phone} {name}"


def _dated(report_id: int, at: datetime) -> None:
    # A row's own created_at takes the wall clock as its default; the demo's happened back then.
    db.session.execute(update(Report).where(Report.id == report_id).values(created_at=at, updated_at=at))
    db.session.commit()
