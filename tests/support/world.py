"""Two sides of the map, each with one person of every role and reports in every state: the world
an authorisation test acts in ("own" objects on our side, "other" objects on the far side)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from flask import Flask
from flask_jwt_extended import create_access_token, create_refresh_token

from app.auth import service as auth_service
from app.auth.models import Role, User
from app.extensions import db
from app.reports.models import Report, ReportEvent
from tests.factories import make_user
from tests.mapdata import (
    COMMUNITY,
    DISTRICT,
    FAR_COMMUNITY,
    FAR_COMMUNITY_GRID,
    GRID_WEST,
    IN_FAR_COMMUNITY,
    IN_WEST,
    OTHER_DISTRICT,
    load_wider_map,
)

STAFF_ROLES = ("rider", "grid_worker", "secretary", "dispatcher", "department")
REPORT_STATES = ("assigned", "accepted", "escalated", "dispatched", "resolved")


@dataclass
class Side:
    """One community with its district: its people, and its reports by state."""

    community: str
    district: str
    grid: str
    point: tuple[float, float]
    people: dict[str, User] = field(default_factory=dict)
    reports: dict[str, int] = field(default_factory=dict)
    targets: dict[str, User] = field(default_factory=dict)  # accounts to act on, never actors


@dataclass
class World:
    own: Side
    other: Side
    admin: User
    headers: dict[int, dict[str, str]] = field(default_factory=dict)

    def side(self, relation: str) -> Side:
        return self.own if relation == "own" else self.other

    def actor(self, role: str) -> User | None:
        """The acting user of a role (our side's); None for anonymous."""
        if role == "anonymous":
            return None
        return self.admin if role == "admin" else self.own.people[role]


def build_world(app: Flask) -> World:
    load_wider_map(app)
    own = Side(COMMUNITY, DISTRICT, GRID_WEST, IN_WEST)
    other = Side(FAR_COMMUNITY, OTHER_DISTRICT, FAR_COMMUNITY_GRID, IN_FAR_COMMUNITY)
    for side, tag in ((own, "甲"), (other, "乙")):
        for role in STAFF_ROLES:
            area = side.district if role in ("dispatcher", "department") else side.community
            side.people[role] = make_user(app, role, area_code=area, name=f"{tag}{role}")
        side.targets = {
            "rider": make_user(app, Role.RIDER, area_code=side.community, name=f"{tag}目标骑手"),
            "pending": make_user(app, Role.RIDER, area_code=side.community, status="pending"),
            "grid_worker": make_user(app, Role.GRID_WORKER, area_code=side.community),
            "secretary": make_user(app, Role.SECRETARY, area_code=side.community),
            "department": make_user(app, Role.DEPARTMENT, area_code=side.district),
        }
        with app.app_context():
            side.reports = {state: _report(side, state) for state in REPORT_STATES}
            db.session.commit()
    return World(own=own, other=other, admin=make_user(app, Role.ADMIN, name="管理员"))


def _report(side: Side, state: str) -> int:
    now = datetime.now(timezone.utc)
    people = side.people
    values: dict[str, Any] = {
        "reporter_id": people["rider"].id, "category_code": "flying_lead_charging", "status": state,
        "lat": side.point[0], "lon": side.point[1], "area_code": side.grid,
        "community_code": side.community, "district_code": side.district,
        "assigned_to_id": people["grid_worker"].id if state in ("assigned", "accepted", "resolved") else None,
        "department_id": people["department"].id if state == "dispatched" else None,
        "resolved_at": now if state == "resolved" else None,
        "due_at": now + timedelta(days=3) if state == "dispatched" else None,
    }
    report = Report(**values)
    db.session.add(report)
    db.session.flush()
    db.session.add(ReportEvent(report_id=report.id, action="submit", to_status="submitted",
                               actor_id=people["rider"].id, at=now))
    return report.id


def tokens_for(app: Flask, user: User) -> tuple[str, str]:
    """(access, refresh) tokens of a fresh login session of the user."""
    with app.app_context():
        session = auth_service.start_session(user=db.session.get(User, user.id),
                                             lifetime=app.config["JWT_REFRESH_TOKEN_EXPIRES"])
        claims = {"sid": session.id, "role": user.role}
        return (create_access_token(identity=str(user.id), additional_claims=claims),
                create_refresh_token(identity=str(user.id), additional_claims=claims))
