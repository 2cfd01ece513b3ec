"""Report lists by cursor: newest first, each role's scope, stable under inserts, bad cursors refused;
ETags and 304s on lists and single reports."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from app.auth.models import Role, User, UserStatus
from app.common import pagination
from app.extensions import db
from app.reports.models import Report
from tests.factories import auth_headers, make_user
from tests.points.factories import (
    ACROSS,
    DISTRICT,
    FAR,
    HOME,
    NEIGHBOUR,
    T0,
    make_report,
    make_rider,
    make_world,
)


@pytest.fixture
def world(app):
    make_world(app)
    rider = make_rider(app, "张三")
    other = make_rider(app, "李四", community=NEIGHBOUR)
    return {
        "rider": rider, "other": other,
        "secretary": make_user(app, Role.SECRETARY, area_code=HOME),
        "dispatcher": make_user(app, Role.DISPATCHER, area_code=DISTRICT),
        "worker": make_user(app, Role.GRID_WORKER, area_code=HOME),
        "admin": make_user(app, Role.ADMIN),
    }


def _at(minutes: int):
    return T0 + timedelta(minutes=minutes)


def _list(client, app, user, **params):
    return client.get("/api/v1/reports", query_string=params, headers=auth_headers(app, user))


def _walk(client, app, user, **params) -> list[list[int]]:
    """Every page's ids, following `next` to the end."""
    headers = auth_headers(app, user)
    pages, cursor = [], None
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        response = client.get("/api/v1/reports", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        pages.append([item["id"] for item in body["items"]])
        cursor = body["next"]
        if cursor is None:
            return pages
        assert len(pages) < 50


def test_a_cursor_walks_every_report_newest_first_once(client, app, world):
    # Several share a created_at: the id breaks the tie, so none is skipped or repeated.
    ids = [make_report(app, world["rider"], created_at=_at(minute // 2)) for minute in range(11)]
    pages = _walk(client, app, world["secretary"], per_page=3)
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    expected = sorted(ids, key=lambda i: (_at((ids.index(i)) // 2), i), reverse=True)
    assert [i for page in pages for i in page] == expected


def test_the_envelope_numbers_pages_and_says_when_the_total_is_capped(client, app, world, monkeypatch):
    for minute in range(5):
        make_report(app, world["rider"], created_at=_at(minute))
    first = _list(client, app, world["secretary"], per_page=2).get_json()
    assert (first["page"], first["per_page"], first["total"], first["total_capped"]) == (1, 2, 5, False)
    second = _list(client, app, world["secretary"], per_page=2, cursor=first["next"]).get_json()
    assert (second["page"], second["total"]) == (2, 5)
    monkeypatch.setattr(pagination, "TOTAL_CAP", 3)
    capped = _list(client, app, world["secretary"], per_page=2).get_json()
    assert (capped["total"], capped["total_capped"]) == (3, True)


@pytest.mark.parametrize("cap, total, capped", [
    (6, 6, False),  # shared rows counted once
    (5, 5, True),  # no branch past the cap, their union is
    (3, 3, True),  # one branch alone is past it
])
def test_a_total_over_overlapping_branches_is_capped_and_counts_shared_rows_once(
        client, app, world, monkeypatch, cap, total, capped):
    both = [make_report(app, world["rider"], community=HOME, created_at=_at(m)) for m in range(3)]
    assigned_only = [make_report(app, world["rider"], community=NEIGHBOUR, created_at=_at(10 + m))
                     for m in range(2)]
    make_report(app, world["rider"], community=HOME, created_at=_at(20))  # in the community only
    with app.app_context():
        for report_id in both + assigned_only:
            db.session.get(Report, report_id).assigned_to_id = world["worker"].id
        db.session.commit()
    monkeypatch.setattr(pagination, "TOTAL_CAP", cap)
    body = _list(client, app, world["worker"], per_page=2).get_json()
    assert (body["total"], body["total_capped"]) == (total, capped)


def test_new_reports_do_not_shift_the_pages_already_begun(client, app, world):
    old = [make_report(app, world["rider"], created_at=_at(minute)) for minute in range(6)]
    headers = auth_headers(app, world["secretary"])
    first = client.get("/api/v1/reports", query_string={"per_page": 3}, headers=headers).get_json()
    newer = [make_report(app, world["rider"], created_at=_at(100 + minute)) for minute in range(4)]
    second = client.get("/api/v1/reports", query_string={"per_page": 3, "cursor": first["next"]},
                        headers=headers).get_json()
    assert [i["id"] for i in first["items"]] == old[::-1][:3]
    assert [i["id"] for i in second["items"]] == old[::-1][3:]
    assert second["next"] is None
    restart = client.get("/api/v1/reports", query_string={"per_page": 3}, headers=headers).get_json()
    assert [i["id"] for i in restart["items"]] == newer[::-1][:3]


@pytest.mark.parametrize("role", ["secretary", "dispatcher"])  # one index walk; two, merged
def test_old_clients_page_numbers_give_the_same_pages_as_the_cursor(client, app, world, role):
    for minute in range(7):
        make_report(app, world["rider"], community=HOME if minute % 2 else None, created_at=_at(minute))
    if role == "secretary":
        for minute in range(7, 10):
            make_report(app, world["rider"], created_at=_at(minute))
    by_cursor = _walk(client, app, world[role], per_page=3)
    by_number = [[i["id"] for i in _list(client, app, world[role], per_page=3, page=n)
                  .get_json()["items"]] for n in (1, 2, 3, 4)]
    assert by_number[:len(by_cursor)] == by_cursor and by_number[len(by_cursor)] == []
    assert sum(len(page) for page in by_cursor) == (6 if role == "secretary" else 7)
    last = _list(client, app, world[role], per_page=3, page=len(by_cursor)).get_json()
    assert last["next"] is None and last["total"] == sum(len(page) for page in by_cursor)


def test_page_numbers_count_a_report_two_branches_share_once(client, app, world):
    """A grid worker sees what is assigned to them and what is in their community: a report that is
    both comes once, on page numbers as by cursor."""
    ids = [make_report(app, world["rider"], community=HOME if minute % 3 else NEIGHBOUR, created_at=_at(minute))
           for minute in range(8)]
    with app.app_context():
        for report_id in ids[::2]:  # some in the worker's community, some in the neighbour's
            db.session.get(Report, report_id).assigned_to_id = world["worker"].id
        db.session.commit()
    by_cursor = _walk(client, app, world["worker"], per_page=2)
    by_number = [[i["id"] for i in _list(client, app, world["worker"], per_page=2, page=n)
                  .get_json()["items"]] for n in range(1, len(by_cursor) + 1)]
    assert by_number == by_cursor
    seen = [report_id for page in by_cursor for report_id in page]
    assert len(seen) == len(set(seen)) == 7  # all but the neighbour's unassigned one (minute 3)
    assert _list(client, app, world["worker"], per_page=2, page=3).get_json()["total"] == 7


def test_deep_page_numbers_are_refused_with_a_pointer_to_the_cursor(client, app, world):
    response = _list(client, app, world["secretary"], per_page=100, page=101)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "page_too_deep"


def test_each_role_walks_its_own_scope(client, app, world):
    mine = make_report(app, world["rider"], community=HOME, created_at=_at(1))
    neighbour = make_report(app, world["other"], community=NEIGHBOUR, created_at=_at(2))
    across = make_report(app, world["other"], community=ACROSS, created_at=_at(3))
    far = make_report(app, world["other"], community=FAR, created_at=_at(4))
    unrouted = make_report(app, world["rider"], community=None, created_at=_at(5))
    # Assigned to the worker from outside the community, and inside it (in both branches: once).
    assigned_away = make_report(app, world["other"], community=NEIGHBOUR, created_at=_at(6))
    assigned_home = make_report(app, world["other"], community=HOME, created_at=_at(7))
    with app.app_context():
        for report_id in (assigned_away, assigned_home):
            db.session.get(Report, report_id).assigned_to_id = world["worker"].id
        db.session.commit()
    expected = {
        "rider": [unrouted, mine],
        "secretary": [assigned_home, mine],
        "worker": [assigned_home, assigned_away, mine],
        "dispatcher": [assigned_home, assigned_away, unrouted, across, neighbour, mine],
        "admin": [assigned_home, assigned_away, unrouted, far, across, neighbour, mine],
    }
    for role, ids in expected.items():
        pages = _walk(client, app, world[role], per_page=2)
        assert [i for page in pages for i in page] == ids, role
    worker_mine = _walk(client, app, world["worker"], per_page=2, mine="true")
    assert [i for page in worker_mine for i in page] == [assigned_home, assigned_away]


def test_filters_apply_on_every_page(client, app, world):
    wanted = [make_report(app, world["rider"], category="garbage", status="assigned", created_at=_at(m))
              for m in range(0, 10, 2)]
    for m in range(1, 10, 2):
        make_report(app, world["rider"], category="garbage", status="submitted", created_at=_at(m))
    pages = _walk(client, app, world["dispatcher"], per_page=2, status="assigned", category="garbage",
                  since=_at(2).isoformat())
    assert [i for page in pages for i in page] == wanted[1:][::-1]


def _first_cursor(client, app, user, **params) -> str:
    for minute in range(3):
        make_report(app, user if user.role == Role.RIDER else 1, created_at=_at(minute))
    cursor = _list(client, app, user, per_page=1, **params).get_json()["next"]
    assert cursor
    return cursor


@pytest.mark.parametrize("mangle", [
    lambda c: "garbage",
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # a changed signature
    lambda c: c.split(".")[0] + ".e30." + c.split(".", 2)[2],  # a forged payload
    lambda c: "x" * 512,
])
def test_forged_cursors_are_a_400_that_changes_nothing(client, app, world, mangle):
    cursor = _first_cursor(client, app, world["rider"])
    response = _list(client, app, world["rider"], per_page=1, cursor=mangle(cursor))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "invalid_cursor"


def test_another_viewers_or_filters_cursor_is_refused_and_shows_nothing(client, app, world):
    cursor = _first_cursor(client, app, world["rider"])
    stranger = _list(client, app, world["other"], per_page=1, cursor=cursor)
    assert stranger.status_code == 400
    assert stranger.get_json()["error"]["code"] == "foreign_cursor"
    assert "items" not in stranger.get_json()
    other_filter = _list(client, app, world["rider"], per_page=1, cursor=cursor, status="closed")
    assert other_filter.get_json()["error"]["code"] == "foreign_cursor"


def test_a_cursor_from_before_the_viewer_moved_is_refused(client, app, world):
    cursor = _first_cursor(client, app, world["secretary"])
    with app.app_context():
        db.session.get(type(world["secretary"]), world["secretary"].id).area_code = NEIGHBOUR
        db.session.commit()
    response = _list(client, app, world["secretary"], per_page=1, cursor=cursor)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "foreign_cursor"


def test_an_expired_cursor_is_stale(client, app, world, monkeypatch):
    import itsdangerous.timed

    cursor = _first_cursor(client, app, world["rider"])
    later = itsdangerous.timed.time.time() + 25 * 3600
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    response = _list(client, app, world["rider"], per_page=1, cursor=cursor)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "stale_cursor"


# --- ETag and 304 ------------------------------------------------------------------------------

def test_an_unchanged_list_is_a_304_without_a_body(client, app, world):
    make_report(app, world["rider"], created_at=_at(1))
    headers = auth_headers(app, world["secretary"])
    first = client.get("/api/v1/reports", headers=headers)
    etag = first.headers["ETag"]
    assert etag and first.headers["Cache-Control"] == "private, no-cache"
    again = client.get("/api/v1/reports", headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    stale = client.get("/api/v1/reports", headers={**headers, "If-None-Match": '"other"'})
    assert stale.status_code == 200 and stale.get_json()["items"]


def test_a_new_or_changed_report_changes_the_lists_etag(client, app, world):
    report_id = make_report(app, world["rider"], created_at=_at(1))
    headers = auth_headers(app, world["secretary"])
    etag = client.get("/api/v1/reports", headers=headers).headers["ETag"]
    with app.app_context():
        report = db.session.get(Report, report_id)
        report.status, report.version = "assigned", report.version + 1
        db.session.commit()
    changed = client.get("/api/v1/reports", headers={**headers, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    etag = changed.headers["ETag"]
    make_report(app, world["rider"], created_at=_at(2))
    added = client.get("/api/v1/reports", headers={**headers, "If-None-Match": etag})
    assert added.status_code == 200 and len(added.get_json()["items"]) == 2


def test_an_etag_is_the_viewers_own(client, app, world):
    make_report(app, world["rider"], community=HOME, created_at=_at(1))
    etag = _list(client, app, world["secretary"]).headers["ETag"]
    response = client.get("/api/v1/reports", headers={**auth_headers(app, world["worker"]),
                                                      "If-None-Match": etag})
    assert response.status_code == 200


def test_a_single_report_is_a_304_until_it_or_its_confirmations_change(client, app, world):
    report_id = make_report(app, world["rider"], created_at=_at(1))
    headers = auth_headers(app, world["secretary"])
    url = f"/api/v1/reports/{report_id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    assert client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
    make_report(app, world["other"], created_at=_at(2), duplicate_of=report_id)
    confirmed = client.get(url, headers={**headers, "If-None-Match": etag})
    assert confirmed.status_code == 200 and len(confirmed.get_json()["confirmations"]) == 1


def test_a_304_is_never_given_for_a_report_you_may_not_see(client, app, world):
    report_id = make_report(app, world["other"], community=NEIGHBOUR, created_at=_at(1))
    response = client.get(f"/api/v1/reports/{report_id}",
                          headers={**auth_headers(app, world["secretary"]), "If-None-Match": "*"})
    assert response.status_code == 403


def _held_etags(client, app, world, headers) -> list[tuple[str, str]]:
    """(url, ETag) of the secretary's list and of one report, as the app holds them."""
    report_id = make_report(app, world["rider"], community=HOME, created_at=_at(1))
    urls = ["/api/v1/reports", f"/api/v1/reports/{report_id}"]
    held = [(url, client.get(url, headers=headers).headers["ETag"]) for url in urls]
    assert all(client.get(url, headers={**headers, "If-None-Match": etag}).status_code == 304
               for url, etag in held)
    return held


def test_a_revoked_login_gets_401_not_304_with_a_matching_etag(client, app, world):
    headers = auth_headers(app, world["secretary"])
    held = _held_etags(client, app, world, headers)
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    for url, etag in held:
        response = client.get(url, headers={**headers, "If-None-Match": etag})
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "token_revoked"


def test_a_disabled_account_gets_401_not_304_with_a_matching_etag(client, app, world):
    headers = auth_headers(app, world["secretary"])
    held = _held_etags(client, app, world, headers)
    with app.app_context():
        db.session.get(User, world["secretary"].id).status = UserStatus.DISABLED
        db.session.commit()
    for url, etag in held:
        response = client.get(url, headers={**headers, "If-None-Match": etag})
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "account_inactive"


def test_an_expired_token_gets_401_not_304_with_a_matching_etag(client, app, world, monkeypatch):
    headers = auth_headers(app, world["secretary"])
    held = _held_etags(client, app, world, headers)
    import jwt.api_jwt

    later = datetime.now(timezone.utc) + app.config["JWT_ACCESS_TOKEN_EXPIRES"] + timedelta(minutes=1)
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime(later))
    for url, etag in held:
        response = client.get(url, headers={**headers, "If-None-Match": etag})
        assert response.status_code == 401, url
        assert response.get_json()["error"]["code"] == "token_expired"


class _FrozenDatetime:
    """datetime for PyJWT's expiry check, its `now` at a given instant."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self, tz=None):  # noqa: ANN001
        return self.at

    def __getattr__(self, name):  # noqa: ANN001
        return getattr(datetime, name)


def test_another_viewers_etag_of_one_report_is_no_304(client, app, world):
    report_id = make_report(app, world["rider"], community=HOME, created_at=_at(1))
    url = f"/api/v1/reports/{report_id}"
    etag = client.get(url, headers=auth_headers(app, world["secretary"])).headers["ETag"]
    for viewer in ("dispatcher", "worker", "rider"):  # each may see it, none holds this copy
        response = client.get(url, headers={**auth_headers(app, world[viewer]), "If-None-Match": etag})
        assert response.status_code == 200 and response.get_json()["id"] == report_id, viewer
    response = client.get(url, headers={**auth_headers(app, world["other"]), "If-None-Match": etag})
    assert response.status_code == 403 and response.get_json()["error"]["code"] == "not_your_report"


def test_a_missing_report_is_404_whatever_etag_is_sent(client, app, world):
    response = client.get("/api/v1/reports/987654", headers={**auth_headers(app, world["secretary"]),
                                                             "If-None-Match": "*"})
    assert response.status_code == 404 and response.get_json()["error"]["code"] == "report_not_found"


def test_a_rider_following_a_duplicate_revalidates_the_original(client, app, world):
    original = make_report(app, world["other"], community=NEIGHBOUR, created_at=_at(1))
    make_report(app, world["rider"], community=HOME, created_at=_at(2), duplicate_of=original)
    headers = auth_headers(app, world["rider"])
    url = f"/api/v1/reports/{original}"
    first = client.get(url, headers=headers)
    assert first.status_code == 200 and first.get_json()["id"] == original
    again = client.get(url, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_json_is_plain_utf8(client, app, world):
    make_report(app, world["rider"], created_at=_at(1))
    response = _list(client, app, world["secretary"])
    assert "张三".encode() in response.data and b"\\u" not in response.data
    assert response.mimetype == "application/json"


def test_a_list_with_more_pages_stays_fresh_across_seconds(client, app, world, monkeypatch):
    import itsdangerous.timed

    for minute in range(3):
        make_report(app, world["rider"], created_at=_at(minute))
    headers = auth_headers(app, world["secretary"])
    etag = client.get("/api/v1/reports", query_string={"per_page": 1}, headers=headers).headers["ETag"]
    later = itsdangerous.timed.time.time() + 5  # the next cursor is signed anew, with another time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: later)
    again = client.get("/api/v1/reports", query_string={"per_page": 1},
                       headers={**headers, "If-None-Match": etag})
    assert again.status_code == 304
