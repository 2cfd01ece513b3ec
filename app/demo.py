"""The demo world that `flask seed demo` loads: a corner of Yinchuan's 金凤区 and its people."""
from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from app.auth.models import Role, User, UserStatus
from app.auth.passwords import hash_password
from app.extensions import db
from app.geo.models import Area

DEMO_PASSWORD = "Demo1234"
ADMIN_PHONE = "13900000000"

# (phone, name, role, area_code, platform)
DEMO_PEOPLE: tuple[tuple[str, str, str, str | None, str | None], ...] = (
    (ADMIN_PHONE, "平台管理员", Role.ADMIN, None, None),
    ("13900000001", "马书记", Role.SECRETARY, "640106001001", None),
    ("13900000011", "王网格", Role.GRID_WORKER, "640106001001", None),
    ("13900000012", "李网格", Role.GRID_WORKER, "640106001001", None),
    ("13900000013", "赵网格", Role.GRID_WORKER, "640106001001", None),
    ("13900000021", "金凤区指挥中心", Role.DISPATCHER, "640106", None),
    ("13900000031", "金凤区城管局", Role.DEPARTMENT, "640106", None),
    ("13900000032", "金凤区市政所", Role.DEPARTMENT, "640106", None),
    ("13900000101", "张骑手", Role.RIDER, "640106001001", "meituan"),
    ("13900000102", "刘骑手", Role.RIDER, "640106001001", "eleme"),
    ("13900000103", "杨快递", Role.RIDER, "640106001001", "sf_express"),
)


def seed_demo() -> Iterator[str]:
    """Load the demo world unless it is there already; yields lines to print."""
    if db.session.scalar(select(User).where(User.phone == ADMIN_PHONE)) is not None:
        yield "demo data already loaded; nothing to do"
        return
    yield from _seed_areas()
    password_hash = hash_password(DEMO_PASSWORD)
    for phone, name, role, area_code, platform in DEMO_PEOPLE:
        db.session.add(User(phone=phone, name=name, role=role, area_code=area_code,
                            platform=platform, status=UserStatus.ACTIVE, password_hash=password_hash))
    db.session.commit()
    yield f"demo accounts (password for all: {DEMO_PASSWORD}):"
    for phone, name, role, area_code, _ in DEMO_PEOPLE:
        yield f"  {role:<12} {phone}  {name}  {area_code or ''}"


# Plain rows until the grid map import lands; (code, name, level, parent).
DEMO_AREAS = (
    ("640106", "金凤区", "district", None),
    ("640106001", "满城北街街道", "street", "640106"),
    ("640106001001", "满春园社区", "community", "640106001"),
)


def _seed_areas() -> Iterator[str]:
    for code, name, level, parent in DEMO_AREAS:
        db.session.add(Area(code=code, name=name, level=level, parent_code=parent))
    db.session.flush()
    yield f"areas: {len(DEMO_AREAS)}"
