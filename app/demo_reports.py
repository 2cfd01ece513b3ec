"""Demo reports for `flask seed demo`: every state of the loop, run through the real use cases, so
that the console and the app have timelines, photos, points and queues to show."""
from __future__ import annotations

import io
import random
from collections.abc import Callable, Iterator
from datetime import timedelta

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
Ending = Callable[[Report, dict[str, User]], None]


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


def _worker(report: Report, people: dict[str, User]) -> User:
    return next(user for user in people.values() if user.id == report.assigned_to_id)


def _accept(report: Report, people: dict[str, User]) -> None:
    handling.accept(actor=_worker(report, people), report_id=report.id)


def _resolve(report: Report, people: dict[str, User], actor: User | None = None) -> None:
    handling.resolve(actor=actor or _worker(report, people), report_id=report.id, note="已现场处置完毕",
                     photos=[_photo(report.id * 97)], store=photo_store(), limits=photo_limits(),
                     workers=photo_workers())


def _escalate(report: Report, people: dict[str, User]) -> None:
    handling.escalate(actor=_worker(report, people), report_id=report.id, reason="需职能部门处置")


def _dispatch(report: Report, people: dict[str, User], hours: int = 48) -> None:
    _escalate(report, people)
    handling.dispatch(actor=people[DISPATCHER], report_id=report.id,
                      department_id=people[DEPARTMENT].id, due_at=clock.utcnow() + timedelta(hours=hours))


def _overdue(report: Report, people: dict[str, User]) -> None:
    _dispatch(report, people, hours=1)
    # Demo only: a deadline that has already passed, for the overdue queue (the sweep flags it).
    db.session.execute(update(Report).where(Report.id == report.id)
                       .values(due_at=clock.utcnow() - timedelta(hours=3)))
    db.session.commit()


def _closed(rating: int) -> Ending:
    def close(report: Report, people: dict[str, User]) -> None:
        _accept(report, people)
        _resolve(report, people)
        rider = next(user for user in people.values() if user.id == report.reporter_id)
        handling.evaluate(actor=rider, report_id=report.id, rating=rating, comment="处理得很及时，谢谢")

    return close


def _resolved_by_department(report: Report, people: dict[str, User]) -> None:
    _dispatch(report, people)
    _resolve(report, people, actor=people[DEPARTMENT])


# (rider phone, category, grid post, offset in metres north, description, address, what happens next)
DEMO_REPORTS: tuple[tuple[str, str, int, int, str, str, Ending | None], ...] = (
    ("13900000101", "flying_lead_charging", 0, 0, "3号楼二单元窗户拉出电线给电动车充电",
     "满春园小区3号楼", _closed(5)),
    ("13900000102", "manhole_cover", 1, 0, "人行道井盖缺了一角，晚上容易绊倒", "满城北街与宁安大街路口",
     _closed(4)),
    ("13900000103", "manhole_cover", 2, 120, "井盖下沉约五厘米", "满春园东门", _dispatch),
    ("13900000101", "manhole_cover", 3, 150, "雨水井盖被车压碎", "满城北街公交站旁", _overdue),
    ("13900000102", "flying_lead_charging", 2, -150, "地下室入口私拉电线", "满春园12号楼", _escalate),
    ("13900000103", "flying_lead_charging", 1, 200, "楼道里给电瓶充电", "满春园7号楼", _accept),
    ("13900000101", "manhole_cover", 0, -200, "井盖松动，车过有响声", "满春园西门", None),
    ("13900000102", "manhole_cover", 3, -120, "检查井盖板断裂", "满城北街88号", _resolved_by_department),
)


def seed_demo_reports(*, password: str, community: str) -> Iterator[str]:
    """The demo reports and a rider waiting for approval, unless they are there already."""
    people = {user.phone: user for user in db.session.scalars(select(User))}
    first_rider = people.get("13900000101")
    if first_rider is None or db.session.scalar(
            select(Report.id).where(Report.reporter_id == first_rider.id).limit(1)) is not None:
        return
    posts = [post for post in worker_posts() if post.community_code == community]
    for index, (phone, category, post, north_m, description, address, ending) in enumerate(DEMO_REPORTS):
        submission = submit_report(
            rider=people[phone], photos=[_photo(index)], idempotency_key=None, store=photo_store(),
            workers=photo_workers(),
            fields={"category": category, "lat": posts[post].lat + north_m / 111_000,
                    "lon": posts[post].lon, "description": description, "address": address})
        if ending is not None:
            ending(submission.report, people)
    yield f"{len(DEMO_REPORTS)} demo reports in 满春园社区, in every state of the loop"
    if PENDING_RIDER[0] not in people:
        phone, name, platform = PENDING_RIDER
        register_rider(phone=phone, password=password, name=name, platform=platform, area_code=community)
        yield f"a rider waiting for approval: {phone} {name}"
