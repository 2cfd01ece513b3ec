"""Fixtures for reports: a mapped community, a rider with a token, and a phone-like uploader."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.images import jpeg_bytes
from tests.mapdata import COMMUNITY, IN_WEST, load_small_map


@pytest.fixture(params=[False, True], ids=["write-after-decoding", "write-while-decoding"])
def write_timing(request, monkeypatch) -> bool:
    """The report's write transaction begun once its photos are decoded (as on SQLite) and while
    they decode (as on PostgreSQL), whichever database the suite runs on."""
    import dataclasses

    from app.reports import api

    chosen = api._policy
    monkeypatch.setattr(api, "_policy", lambda: dataclasses.replace(chosen(), write_while_decoding=request.param))
    return request.param


@pytest.fixture
def mapped(app):
    load_small_map(app)
    return COMMUNITY


@pytest.fixture
def rider(app, mapped):
    return make_user(app, Role.RIDER, area_code=mapped, name="张骑手", platform="meituan")


@pytest.fixture
def rider_headers(app, rider):
    return auth_headers(app, rider)


def phone_photo(seed: int = 0, *, at: tuple[float, float] = IN_WEST, **kwargs: Any) -> bytes:
    """A small phone JPEG with GPS and capture time, distinct per seed."""
    kwargs.setdefault("taken_at", datetime.now(timezone.utc).replace(microsecond=0))
    return jpeg_bytes(96, 72, gps=at, seed=seed, **kwargs)


@pytest.fixture
def submit(client, rider_headers) -> Callable[..., Any]:
    """POST a multipart report as the phone app does; returns the response."""

    def _submit(*, photos: list[tuple[bytes, str]] | None = None, headers: dict[str, str] | None = None,
                at: tuple[float, float] = IN_WEST, **fields: Any):
        import io

        form: dict[str, Any] = {"category": "flying_lead_charging", "lat": str(at[0]), "lon": str(at[1]),
                                "description": "三楼窗户拉线给电动车充电"}
        form.update({k: v for k, v in fields.items() if v is not None})
        form = {k: v for k, v in form.items() if v != "__omit__"}
        if photos is None:
            photos = [(phone_photo(at=at), "IMG_0001.jpg")]
        form["photos"] = [(io.BytesIO(data), name) for data, name in photos]
        return client.post("/api/v1/reports", data=form, content_type="multipart/form-data",
                           headers={**rider_headers, **(headers or {})})

    return _submit


def count_reports(app) -> int:
    from app.extensions import db
    from app.reports.models import Report

    with app.app_context():
        return db.session.query(Report).count()


@pytest.fixture
def put_on_duty(app):
    """Put a grid worker on duty at a point (through the presence service)."""

    def _on_duty(worker, at: tuple[float, float]) -> None:
        from app.auth.models import User
        from app.dispatch.presence import set_duty
        from app.extensions import db

        with app.app_context():
            set_duty(worker=db.session.get(User, worker.id), on_duty=True, lat=at[0], lon=at[1])

    return _on_duty


@pytest.fixture
def staff(app, mapped, put_on_duty):
    """Two grid workers on duty near IN_WEST, a dispatcher, a department, a secretary."""
    from tests.mapdata import DISTRICT

    near = make_user(app, Role.GRID_WORKER, area_code=mapped, name="近网格员")
    far = make_user(app, Role.GRID_WORKER, area_code=mapped, name="远网格员")
    put_on_duty(near, (IN_WEST[0] + 0.0005, IN_WEST[1]))
    put_on_duty(far, (IN_WEST[0] + 0.002, IN_WEST[1]))
    return {
        "near": near, "far": far,
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "department": make_user(app, Role.DEPARTMENT, area_code=DISTRICT),
        "other_department": make_user(app, Role.DEPARTMENT, area_code="640106"),
        "secretary": make_user(app, Role.SECRETARY, area_code=mapped),
    }


def act(client, app, user, report_id: int, action: str, body: dict | None = None, **kwargs):
    """POST an action as `user`; JSON body unless kwargs give multipart data."""
    from tests.factories import auth_headers as headers_for

    if "data" in kwargs:
        return client.post(f"/api/v1/reports/{report_id}/{action}", headers=headers_for(app, user),
                           content_type="multipart/form-data", **kwargs)
    return client.post(f"/api/v1/reports/{report_id}/{action}", headers=headers_for(app, user),
                       json=body)
