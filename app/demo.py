"""The demo world that `flask seed demo` loads: Yinchuan's 金凤区 and Tongxin's 豫海镇, with people."""
from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from sqlalchemy import select

from app.auth.models import Invite, Role, User, UserStatus
from app.auth.passwords import hash_password
from app.common import clock
from app.demo_hats import seed_demo_hats
from app.demo_reports import seed_demo_reports
from app.dispatch.presence import station_demo_workers
from app.extensions import db
from app.geo.service import load_demo_map

DEMO_PASSWORD = "Demo1234"
ADMIN_PHONE = "13900000000"
DEMO_INVITE = "MCY2026A"
MANCHUNYUAN, FUXING = "640106001001", "640324100001"  # 满春园社区 (银川), 富兴社区 (同心)

# (phone, name, role, area_code, platform)
DEMO_PEOPLE: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    (ADMIN_PHONE, "平台管理员", Role.ADMIN, None, None),
    ("13900000001", "马书记", Role.SECRETARY, MANCHUNYUAN, None),
    ("13900000011", "王网格", Role.GRID_WORKER, MANCHUNYUAN, None),
    ("13900000012", "李网格", Role.GRID_WORKER, MANCHUNYUAN, None),
    ("13900000013", "赵网格", Role.GRID_WORKER, MANCHUNYUAN, None),
    ("13900000021", "金凤区指挥中心", Role.DISPATCHER, "640106", None),
    ("13900000031", "金凤区城管局", Role.DEPARTMENT, "640106", None),
    ("13900000032", "金凤区供电所", Role.DEPARTMENT, "640106", None),
    ("13900000101", "张骑手", Role.RIDER, MANCHUNYUAN, "meituan"),
    ("13900000102", "刘骑手", Role.RIDER, MANCHUNYUAN, "eleme"),
    ("13900000103", "杨快递", Role.RIDER, MANCHUNYUAN, "sf_express"),
    ("13900000201", "丁书记", Role.SECRETARY, FUXING, None),
    ("13900000211", "马网格", Role.GRID_WORKER, FUXING, None),
    ("13900000212", "冶网格", Role.GRID_WORKER, FUXING, None),
    ("13900000221", "同心县指挥中心", Role.DISPATCHER, "640324", None),
    ("13900000301", "海骑手", Role.RIDER, FUXING, "meituan"),
)


def seed_demo() -> Iterator[str]:
    """Load the demo world unless it is there already; yields lines to print."""
    if db.session.scalar(select(User).where(User.phone == ADMIN_PHONE)) is not None:
        # A world seeded before the demo had reports gets them now.
        added = list(seed_demo_reports(password=DEMO_PASSWORD, community=MANCHUNYUAN))
        added += list(_seed_hats())
        yield from added or ["demo data already loaded; nothing to do"]
        return
    result = load_demo_map()
    yield f"map: {result.created} areas created, {result.updated} updated, {result.unchanged} unchanged"
    password_hash = hash_password(DEMO_PASSWORD)
    people = [User(phone=phone, name=name, role=role, area_code=area_code, platform=platform,
                   status=UserStatus.ACTIVE, password_hash=password_hash)
              for phone, name, role, area_code, platform in DEMO_PEOPLE]
    db.session.add_all(people)
    db.session.flush()
    db.session.add(Invite(code=DEMO_INVITE, community_code=MANCHUNYUAN, created_by_id=people[1].id,
                          max_uses=100, expires_at=clock.utcnow() + timedelta(days=365)))
    stationed = station_demo_workers(workers=people)
    db.session.commit()
    yield f"{stationed} grid workers on duty in their grids; invite code for 满春园社区: {DEMO_INVITE}"
    yield f"demo accounts (password for all: {DEMO_PASSWORD}):"
    for phone, name, role, area_code, _ in DEMO_PEOPLE:
        yield f"  {role:<12} {phone}  {name}  {area_code or ''}"
    yield from seed_demo_reports(password=DEMO_PASSWORD, community=MANCHUNYUAN)
    yield from _seed_hats()


def _seed_hats() -> Iterator[str]:
    return seed_demo_hats(community=MANCHUNYUAN, secretary_phone="13900000001", rider_phone="13900000101")
