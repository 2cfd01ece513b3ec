"""A rider's ledger entries by cursor: newest first, each once; another rider's cursor is refused."""
from __future__ import annotations

from app.auth.models import Role
from tests.factories import auth_headers, make_user
from tests.points.factories import HOME, adjust, make_rider


def test_entries_walk_newest_first_and_a_cursor_is_the_riders_own(client, app, world, now):
    secretary = make_user(app, Role.SECRETARY, area_code=HOME)
    rider, other = make_rider(app), make_rider(app, "李四")
    ids = []
    for step in range(5):
        now.advance(minutes=1 if step != 3 else 0)  # two entries at the same instant: the id orders them
        ids.append(adjust(app, secretary, rider, step + 1, "社区活动加分"))
    headers = auth_headers(app, rider)
    seen, cursors = [], []
    while True:
        query = {"per_page": 2, **({"cursor": cursors[-1]} if cursors else {})}
        body = client.get("/api/v1/me/points", query_string=query, headers=headers).get_json()
        seen += [entry["id"] for entry in body["entries"]]
        if body["next"] is None:
            break
        cursors.append(body["next"])
    assert seen == ids[::-1] and len(cursors) == 2
    refused = client.get("/api/v1/me/points", query_string={"cursor": cursors[0]},
                         headers=auth_headers(app, other))
    assert refused.status_code == 400 and refused.get_json()["error"]["code"] == "foreign_cursor"
