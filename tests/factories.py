"""Test data builders: users, areas and tokens, written through the real models."""
from __future__ import annotations

import itertools
from typing import Any

from flask import Flask
from flask_jwt_extended import create_access_token

from app.auth import service as auth_service
from app.auth.models import Role, User, UserStatus
from app.auth.passwords import hash_password
from app.extensions import db
from app.geo.models import Area

PASSWORD = "Passw0rd!"
_phones = itertools.count(13700000000)


def next_phone() -> str:
    return str(next(_phones))


def make_area(app: Flask, code: str, level: str, parent_code: str | None = None, *,
              name: str | None = None, geometry: dict[str, Any] | None = None) -> str:
    """Insert one area row (no map import); returns its code."""
    with app.app_context():
        db.session.add(Area(code=code, name=name or f"area {code}", level=level,
                            parent_code=parent_code, geometry=geometry))
        db.session.commit()
    return code


def make_community(app: Flask, code: str = "640106001001") -> str:
    """A district → street → community chain; returns the community code."""
    district, street = code[:6], code[:9]
    with app.app_context():
        for area_code, level, parent in ((district, "district", None), (street, "street", district),
                                         (code, "community", street)):
            if db.session.get(Area, area_code) is None:
                db.session.add(Area(code=area_code, name=f"{level} {area_code}", level=level,
                                    parent_code=parent))
        db.session.commit()
    return code


def make_user(app: Flask, role: str = Role.RIDER, *, area_code: str | None = None,
              status: str = UserStatus.ACTIVE, phone: str | None = None, name: str | None = None,
              password: str = PASSWORD, platform: str | None = None) -> User:
    """Insert a user and give back a detached, fully loaded instance."""
    with app.app_context():
        user = User(phone=phone or next_phone(), password_hash=hash_password(password),
                    name=name or f"{role} user", role=role, status=status, area_code=area_code,
                    platform=platform)
        db.session.add(user)
        db.session.commit()
        db.session.refresh(user)
        db.session.expunge(user)
    return user


def auth_headers(app: Flask, user: User) -> dict[str, str]:
    """A bearer header for user, through a real login session."""
    with app.app_context():
        session = auth_service.start_session(user=db.session.get(User, user.id),
                                             lifetime=app.config["JWT_REFRESH_TOKEN_EXPIRES"])
        token = create_access_token(identity=str(user.id),
                                    additional_claims={"sid": session.id, "role": user.role})
    return {"Authorization": f"Bearer {token}"}


def in_db(app: Flask, stmt: Any) -> Any:
    """One value read from the database outside any request (a count, a sum, a column)."""
    with app.app_context():
        return db.session.scalar(stmt)
