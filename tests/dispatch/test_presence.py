"""Grid workers on duty and the nearest available one, checked against brute force."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import pytest
from geopy.distance import geodesic

from app.auth.models import Role, User, UserStatus
from app.dispatch import assignment, nearest, presence
from app.dispatch.models import WorkerPresence
from app.dispatch.policy import EXTENSION_KEY, AssignmentPolicy
from app.errors import Conflict, Forbidden, Unprocessable
from app.extensions import db
from app.geo import service
from app.geo.proximity import Candidate, nearest_by_scan
from tests.factories import make_community, make_user
from tests.geo.conftest import LIZI, MANCHUN

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)
HERE = (38.48, 106.22)


@pytest.fixture
def clock(monkeypatch):
    """A clock the test moves by hand."""
    state = {"now": NOW}
    monkeypatch.setattr("app.common.clock.utcnow", lambda: state["now"])
    return state


@pytest.fixture
def communities(app):
    make_community(app, MANCHUN)
    make_community(app, LIZI)


def worker(app, area_code=MANCHUN, **kwargs):
    return make_user(app, Role.GRID_WORKER, area_code=area_code, **kwargs)


def on_duty_at(person, lat, lon):
    presence.set_duty(worker=db.session.get(User, person.id), on_duty=True, lat=lat, lon=lon)


def nearest_id(lat=HERE[0], lon=HERE[1], **kwargs):
    found = nearest.nearest_available_worker(lat, lon, community=MANCHUN, **kwargs)
    return None if found is None else found[0].id


# --- duty and location -----------------------------------------------------------------------


def test_on_duty_then_off_duty_forgets_the_position(app, app_ctx, communities, clock):
    me = worker(app)
    shown = presence.set_duty(worker=me, on_duty=True, lat=38.48, lon=106.22, accuracy_m=8)
    assert shown.on_duty and shown.fresh and shown.fresh_until == NOW + timedelta(minutes=15)
    assert nearest_id() == me.id
    shown = presence.set_duty(worker=me, on_duty=False, lat=38.48, lon=106.22)
    assert not shown.on_duty and shown.lat is None
    row = db.session.get(WorkerPresence, me.id)
    assert (row.on_duty, row.lat, row.lon, row.located_at) == (False, None, None, None)
    assert nearest_id() is None


def test_going_on_duty_needs_a_position(app, app_ctx, communities):
    with pytest.raises(Unprocessable):
        presence.set_duty(worker=worker(app), on_duty=True)


def test_only_grid_workers_have_duty(app, app_ctx, communities):
    rider = make_user(app, Role.RIDER, area_code=MANCHUN)
    with pytest.raises(Forbidden):
        presence.set_duty(worker=rider, on_duty=True, lat=38.48, lon=106.22)


def test_location_while_off_duty_is_refused_and_stores_nothing(app, app_ctx, communities):
    me = worker(app)
    with pytest.raises(Conflict):
        presence.record_location(worker=me, lat=38.48, lon=106.22)
    presence.set_duty(worker=me, on_duty=False)
    with pytest.raises(Conflict):
        presence.record_location(worker=me, lat=38.48, lon=106.22)
    assert db.session.get(WorkerPresence, me.id).lat is None


def test_freshness_window_and_a_new_location_renews_it(app, app_ctx, communities, clock):
    me = worker(app)
    on_duty_at(me, 38.481, 106.22)
    clock["now"] = NOW + timedelta(minutes=15)
    assert nearest_id() == me.id
    assert presence.get_presence(worker=me).fresh
    clock["now"] = NOW + timedelta(minutes=15, seconds=1)
    assert nearest_id() is None
    assert not presence.get_presence(worker=me).fresh
    assert nearest_id(policy=AssignmentPolicy(fresh_minutes=30)) == me.id
    presence.record_location(worker=me, lat=38.482, lon=106.22, accuracy_m=5)
    found, distance = nearest.nearest_available_worker(*HERE, community=MANCHUN)
    assert found.id == me.id
    assert distance == pytest.approx(geodesic(HERE, (38.482, 106.22)).meters)


def test_the_window_comes_from_config(app, app_ctx, communities, clock, monkeypatch):
    monkeypatch.setitem(app.config, "PRESENCE_FRESH_MINUTES", 5)
    # Read once, when the app is built: as if it were built with this configuration.
    monkeypatch.setitem(app.extensions, EXTENSION_KEY, AssignmentPolicy.from_config(app.config))
    me = worker(app)
    on_duty_at(me, 38.481, 106.22)
    clock["now"] = NOW + timedelta(minutes=6)
    assert nearest_id() is None


# --- nearest available worker ----------------------------------------------------------------


def test_only_workers_of_that_community_active_and_not_excluded(app, app_ctx, communities, clock):
    mine, neighbour = worker(app), worker(app, area_code=LIZI)
    disabled = worker(app, status=UserStatus.DISABLED)
    on_duty_at(disabled, 38.4801, 106.22)
    on_duty_at(neighbour, 38.4802, 106.22)
    on_duty_at(mine, 38.49, 106.22)
    assert nearest_id() == mine.id
    assert nearest_id(exclude=[mine.id]) is None
    assert nearest.nearest_available_worker(*HERE, community=LIZI)[0].id == neighbour.id


def test_a_worker_moved_to_another_community_stops_counting_for_the_old_one(
    app, app_ctx, communities, clock
):
    me = worker(app)
    on_duty_at(me, 38.481, 106.22)
    db.session.get(User, me.id).area_code = LIZI
    db.session.commit()
    assert nearest_id() is None


def test_caseload_cap_and_ties(app, app_ctx, communities, clock):
    near, twin, far = worker(app), worker(app), worker(app)
    on_duty_at(near, 38.481, 106.22)
    on_duty_at(twin, 38.481, 106.22)
    on_duty_at(far, 38.49, 106.22)
    assert nearest_id() == min(near.id, twin.id)
    assert nearest_id(caseload_of=lambda ids: {min(near.id, twin.id): 1}) == max(near.id, twin.id)
    full = {near.id: 10, twin.id: 12, far.id: 9}
    assert nearest_id(caseload_of=lambda ids: full) == far.id
    assert nearest_id(caseload_of=lambda ids: full, policy=AssignmentPolicy(caseload_cap=13)) == near.id
    assert nearest_id(caseload_of=lambda ids: {**full, far.id: 10}) is None


def test_the_circle_decides_not_the_box(app, app_ctx, communities, clock):
    """One worker in the first box's corner (farther), one just outside its edge (nearer)."""
    radius = nearest.FIRST_RADIUS_M
    corner = geodesic(meters=radius * 1.3).destination(HERE, 45)
    edge = geodesic(meters=radius * 1.05).destination(HERE, 0)
    in_corner, past_edge = worker(app), worker(app)
    on_duty_at(in_corner, corner.latitude, corner.longitude)
    on_duty_at(past_edge, edge.latitude, edge.longitude)
    assert nearest_id() == past_edge.id


def test_far_away_workers_are_still_found(app, app_ctx, communities, clock):
    me = worker(app)
    on_duty_at(me, 36.98, 105.91)  # some 170 km away
    found, distance = nearest.nearest_available_worker(*HERE, community=MANCHUN)
    assert found.id == me.id and 150_000 < distance < 200_000


def _random_world(app, rng):
    """Workers in and around one community, in every state that matters."""
    users = [
        User(
            phone=f"1350000{i:04d}",
            password_hash="x",
            name=f"w{i}",
            role=role,
            status=UserStatus.DISABLED if rng.random() < 0.05 else UserStatus.ACTIVE,
            area_code=LIZI if rng.random() < 0.1 else MANCHUN,
        )
        for i, role in enumerate([Role.GRID_WORKER] * 100 + [Role.RIDER] * 5)
    ]
    db.session.add_all(users)
    db.session.flush()
    for user in users:
        spread = rng.choice([0.02, 0.02, 0.02, 0.5, 5.0])
        on_duty = rng.random() < 0.8
        db.session.add(
            WorkerPresence(
                user_id=user.id,
                on_duty=on_duty,
                community_code=user.area_code,
                lat=HERE[0] + rng.uniform(-spread, spread),
                lon=HERE[1] + rng.uniform(-spread, spread),
                located_at=NOW - timedelta(minutes=rng.choice([0, 3, 14, 15, 16, 40])),
                updated_at=NOW,
            )
        )
    db.session.commit()
    caseloads = {user.id: rng.randint(0, 12) for user in users}
    return users, caseloads


def _brute_force(rows, caseloads, lat, lon, exclude):
    eligible = [
        Candidate(row["id"], row["lat"], row["lon"], caseloads[row["id"]])
        for row in rows
        if row["role"] == Role.GRID_WORKER
        and row["status"] == UserStatus.ACTIVE
        and row["area_code"] == MANCHUN
        and row["on_duty"]
        and row["id"] not in exclude
        and row["located_at"] >= NOW - timedelta(minutes=15)
        and caseloads[row["id"]] < 10
    ]
    found = nearest_by_scan(lat, lon, eligible)
    return None if found is None else (found[0].user_id, found[1])


def test_nearest_equals_brute_force_on_1000_random_points(app, app_ctx, communities, clock):
    rng = random.Random(20261124)
    users, caseloads = _random_world(app, rng)
    rows = [
        {
            "id": u.id,
            "role": u.role,
            "status": u.status,
            "area_code": u.area_code,
            **{name: getattr(p, name) for name in ("on_duty", "lat", "lon", "located_at")},
        }
        for u in users
        for p in [db.session.get(WorkerPresence, u.id)]
    ]

    def count(ids):
        return {i: caseloads[i] for i in ids}

    for n in range(1000):
        spread = rng.choice([0.03, 0.03, 0.03, 1.5, 20.0])
        lat = HERE[0] + rng.uniform(-spread, spread)
        lon = HERE[1] + rng.uniform(-spread, spread)
        exclude = set(rng.sample([u.id for u in users], rng.choice([0, 0, 3, 30])))
        found = nearest.nearest_available_worker(
            lat, lon, community=MANCHUN, exclude=exclude, caseload_of=count
        )
        got = None if found is None else (found[0].id, found[1])
        expected = _brute_force(rows, caseloads, lat, lon, exclude)
        assert got == expected, (lat, lon)
        if n % 50 == 0:
            scan = nearest.scan_nearest_available_worker(
                lat, lon, community=MANCHUN, exclude=exclude, caseload_of=count
            )
            assert (None if scan is None else (scan[0].id, scan[1])) == expected


# --- demo ------------------------------------------------------------------------------------


def test_demo_workers_are_stationed_in_their_grids(app, app_ctx, demo_map, clock):
    staff = [worker(app) for _ in range(3)]
    assert presence.station_demo_workers(workers=staff) == 3
    chain = service.locate(lat=38.48, lon=106.22)
    report = SimpleNamespace(area_code=chain[0].code)
    assert assignment.responsible_worker(report).id in {w.id for w in staff}
    found, distance = nearest.nearest_available_worker(38.48, 106.22, community=MANCHUN)
    assert found.id in {w.id for w in staff} and distance < 1500
