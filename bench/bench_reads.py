"""Benchmark: report lists, statistics and conditional GETs at 1,000,000 reports in one district,
as ratios to a trivial request (GET /api/v1/categories) timed in the same run.

Bulk-loads the rows (executemany on SQLite, COPY on PostgreSQL; not through HTTP) into a fresh
database, builds the monthly and daily totals with `rebuild_totals()`, then times requests through the
app in-process (Flask's test client: routing, JWT, queries, JSON; no sockets) and, with --http,
through a real gunicorn on loopback.

Run: .venv/bin/python bench/bench_reads.py [--reports N] [--runs N] [--explain] [--http]
     SQLite (a temporary file) by default; PostgreSQL with
     DATABASE_URL=postgresql+psycopg://gridsnap:gridsnap@127.0.0.1:5432/gridsnap (a database of
     its own is created on that server and dropped afterwards).
"""
from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from flask_jwt_extended import create_access_token  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app.auth import service as auth_service  # noqa: E402
from app.auth.models import User  # noqa: E402
from app.extensions import db  # noqa: E402
from app.points.periods import china_date  # noqa: E402
from app.stats.aggregates import rebuild_totals  # noqa: E402
from bench.bulk_load import loader_for, settle  # noqa: E402
from bench.scratch import bench_app  # noqa: E402
from tests.support.servers import gunicorn  # noqa: E402

DISTRICT = "640205"
STREETS, COMMUNITIES = 8, 40
CATEGORIES = ("flying_lead_charging", "ebike_in_corridor", "fire_exit_blocked", "streetlight_out",
              "illegal_parking", "illegal_ads", "garbage", "road_damage", "manhole_cover", "other")
# Where reports end up after three years: most are closed.
STATUSES = (("closed", 0.70), ("resolved", 0.05), ("rejected", 0.08), ("dispatched", 0.03),
            ("escalated", 0.02), ("accepted", 0.04), ("assigned", 0.05), ("submitted", 0.03))
PHOTOGRAPHED = 20_000  # the newest reports get a photo row: the ones list pages show
CHUNK = 50_000
YEARS = 3
# The measurements (SQLite, 1M reports, trivial request ≈ 2.5 ms).
BEFORE = {"list": "190–210 ms ≈80×", "page500": "313 ms ≈125×", "community": "880 ms ≈350×",
          "district": "10.6 s ≈4,000×"}


def main() -> None:
    args = _arguments()
    with bench_app(prefix="bench-reads") as bench:
        app = bench.app
        with app.app_context():
            dialect = db.engine.dialect.name
            print(f"== {dialect}: {args.reports:,} reports in one district ({COMMUNITIES} communities), "
                  f"{args.riders:,} riders, {args.years} years")
            world = _fill(args, dialect)
            tokens = _tokens(app, world)
        _compare(app, world, tokens, runs=args.runs, explain=args.explain, client=app.test_client(),
                 label="in-process (Flask test client)")
        if args.http:
            with gunicorn({"DATABASE_URL": bench.database_url, "UPLOAD_DIR": str(bench.upload_dir),
                           "GRIDSNAP_ENV": "development", "GUNICORN_THREADS": "2"}) as server:
                _compare(app, world, tokens, runs=args.runs, explain=False, client=HttpClient(server.base),
                         label="over HTTP (gunicorn, 1 worker, loopback, keep-alive)")


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=1_000_000)
    parser.add_argument("--riders", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per request")
    parser.add_argument("--explain", action="store_true", help="print the query plans of the lists")
    parser.add_argument("--http", action="store_true",
                        help="also time through a real gunicorn (1 worker) on loopback, as a phone would")
    parser.add_argument("--years", type=int, default=YEARS,
                        help="spread the reports over this many years up to now (fewer: denser days)")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------

def _fill(args: argparse.Namespace, dialect: str) -> dict[str, Any]:
    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    load = loader_for(dialect)
    started = time.perf_counter()
    communities = _load_areas(load, now)
    people = _load_people(load, rng, communities, args.riders, now)
    first_report = 1
    for chunk in _report_chunks(rng, args.reports, people, communities, now, years=args.years):
        load("reports", REPORT_COLUMNS, chunk)
        first_report += len(chunk)
    newest = range(max(1, first_report - PHOTOGRAPHED), first_report)
    load("report_photos", PHOTO_COLUMNS, [(i, "report", f"{i:064x}.jpg", f"{i + 1:064x}.jpg", f"{i:016x}",
                                           1600, 1200, now) for i in newest])
    if dialect == "postgresql":  # the ids were given: move the sequences past them
        for table in ("areas", "users", "reports", "report_photos"):
            if table != "areas":
                db.session.execute(db.text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))"))
    db.session.commit()
    filled = time.perf_counter() - started
    started = time.perf_counter()
    rows = rebuild_totals()
    print(f"   filled in {filled:.0f} s; rebuild_totals: {rows:,} monthly and daily totals rows in "
          f"{time.perf_counter() - started:.1f} s")
    settle()
    return {**people, "now": now, "communities": communities}


def _load_areas(load: Callable[..., None], now: datetime) -> list[str]:
    areas = [(DISTRICT, "大武口区", "district", None)]
    streets = [f"{DISTRICT}{n:03d}" for n in range(1, STREETS + 1)]
    areas += [(code, f"街道{code}", "street", DISTRICT) for code in streets]
    communities = [f"{streets[n % STREETS]}{n // STREETS + 1:03d}" for n in range(COMMUNITIES)]
    areas += [(code, f"社区{code}", "community", code[:9]) for code in communities]
    load("areas", ("code", "name", "level", "parent_code", "created_at", "updated_at"),
         [(*area, now, now) for area in areas])
    return communities


def _load_people(load: Callable[..., None], rng: random.Random, communities: Sequence[str], riders: int,
                 now: datetime) -> dict[str, Any]:
    """Riders, a grid worker per community, a secretary, a dispatcher, a department, an admin."""
    rows, user_id = [], 0

    def person(name: str, role: str, area: str | None, platform: str | None = None) -> int:
        nonlocal user_id
        user_id += 1
        rows.append((user_id, f"13{user_id:09d}", "x", name, role, "active", area, platform, now, now))
        return user_id

    rider_ids = [person(f"骑手{i:05d}", "rider", rng.choice(communities), rng.choice(("meituan", "eleme")))
                 for i in range(riders)]
    workers = {code: person(f"网格员{code[-3:]}", "grid_worker", code) for code in communities}
    people = {"riders": rider_ids, "workers": workers,
              "secretary": person("书记", "secretary", communities[0]),
              "dispatcher": person("区指挥中心", "dispatcher", DISTRICT),
              "department": person("城管局", "department", DISTRICT),
              "admin": person("管理员", "admin", None)}
    load("users", ("id", "phone", "password_hash", "name", "role", "status", "area_code", "platform",
                   "created_at", "updated_at"), rows)
    return people


REPORT_COLUMNS = ("id", "reporter_id", "category_code", "status", "lat", "lon", "area_code",
                  "community_code", "district_code", "assigned_to_id", "department_id", "flags",
                  "assign_attempts", "version", "accepted_at", "resolved_at", "created_at", "updated_at")
PHOTO_COLUMNS = ("report_id", "kind", "image_key", "thumbnail_key", "phash", "width", "height", "created_at")


def _report_chunks(rng: random.Random, count: int, people: dict[str, Any], communities: Sequence[str],
                   now: datetime, *, years: int) -> Iterator[list[tuple]]:
    """Reports spread evenly over the years up to now, oldest first (ids grow with time)."""
    span = years * 365 * 86400
    weights = [rng.paretovariate(1.2) for _ in people["riders"]]
    statuses, shares = zip(*STATUSES, strict=True)
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        reporters = rng.choices(people["riders"], weights=weights, k=size)
        chosen = rng.choices(statuses, weights=shares, k=size)
        chunk = []
        for reporter, status in zip(reporters, chosen, strict=True):
            done += 1
            at = now - timedelta(seconds=int(span * (1 - done / count)))
            chunk.append(_report_row(rng, done, reporter, status, at, people, communities))
        yield chunk


def _report_row(rng: random.Random, report_id: int, reporter: int, status: str, at: datetime,
                people: dict[str, Any], communities: Sequence[str]) -> tuple:
    community = communities[rng.randrange(len(communities))]
    handled = status in ("accepted", "resolved", "closed")
    accepted = at + timedelta(seconds=int(rng.lognormvariate(7, 1))) if handled else None
    resolved = accepted + timedelta(seconds=int(rng.lognormvariate(9.5, 1))) if status in (
        "resolved", "closed") else None
    worker = people["workers"][community] if status not in ("submitted", "escalated") else None
    department = people["department"] if status == "dispatched" else None
    return (report_id, reporter, CATEGORIES[report_id % len(CATEGORIES)], status, 39.0, 106.4, community,
            community, DISTRICT, worker, department, "[]", 1, 1, accepted, resolved, at, resolved or at)








def _tokens(app: Any, world: dict[str, Any]) -> dict[str, dict[str, str]]:
    """A bearer header per role, each through a real login session."""
    ids = {"secretary": world["secretary"], "dispatcher": world["dispatcher"], "admin": world["admin"],
           "grid_worker": world["workers"][world["communities"][0]], "rider": world["riders"][0]}
    headers = {}
    for role, user_id in ids.items():
        user = db.session.get(User, user_id)
        session = auth_service.start_session(user=user, lifetime=timedelta(days=1))
        token = create_access_token(identity=str(user_id), additional_claims={"sid": session.id,
                                                                             "role": user.role})
        headers[role] = {"Authorization": f"Bearer {token}"}
    return headers


# --- timing ----------------------------------------------------------------------------------

class HttpClient:
    """The few calls the timings make, over one kept-alive HTTP connection."""

    def __init__(self, base: str) -> None:
        self.connection = http.client.HTTPConnection(base.removeprefix("http://"), timeout=60)

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        self.connection.request("GET", url, headers=headers or {})
        response = self.connection.getresponse()
        body = response.read()
        return SimpleNamespace(status_code=response.status, headers=response.headers,
                               get_json=lambda: json.loads(body))


def _compare(app: Any, world: dict[str, Any], tokens: dict[str, dict[str, str]], *, runs: int,
             explain: bool, client: Any, label: str) -> None:
    today = china_date(world["now"])
    dispatcher, secretary = tokens["dispatcher"], tokens["secretary"]
    page30 = _cursor_of_page(client, dispatcher, 30)
    newest_id = client.get("/api/v1/reports", headers=dispatcher).get_json()["items"][0]["id"]
    year_ago = today - timedelta(days=364)
    this_month = today.replace(day=1)
    cases: list[tuple[str, str, dict[str, str], str, str | None]] = [  # name, url, headers, target, before
        ("GET /categories (trivial)", "/api/v1/categories", {}, "", None),
        ("list, secretary, page 1", "/api/v1/reports", secretary, "≤10×", "list"),
        ("list, dispatcher, page 1", "/api/v1/reports", dispatcher, "≤10×", "list"),
        ("list, grid worker, page 1", "/api/v1/reports", tokens["grid_worker"], "≤10×", None),
        ("list, rider, page 1", "/api/v1/reports", tokens["rider"], "≤10×", None),
        ("list, admin, page 1", "/api/v1/reports", tokens["admin"], "≤10×", None),
        ("list, dispatcher, escalated", "/api/v1/reports?status=escalated", dispatcher, "≤10×", None),
        ("list, dispatcher, page 30 by cursor", f"/api/v1/reports?cursor={page30}", dispatcher, "≤10×", None),
        ("list, dispatcher, ?page=500 (old)", "/api/v1/reports?page=500", dispatcher, "≤10×", "page500"),
        ("one report", f"/api/v1/reports/{newest_id}", dispatcher, "≤10×", None),
        ("stats, community, 30 days", "/api/v1/stats", secretary, "≤60×", "community"),
        ("stats, district, 365 days", f"/api/v1/stats?from={year_ago}&to={today}", dispatcher, "≤60×",
         "district"),
        ("stats, district, 12 whole months",
         f"/api/v1/stats?from={this_month.replace(year=this_month.year - 1)}"
         f"&to={this_month - timedelta(days=1)}", dispatcher, "≤60×", None),
        ("list, dispatcher, If-None-Match → 304", "/api/v1/reports", dispatcher, "≤2×", None),
        ("one report, If-None-Match → 304", f"/api/v1/reports/{newest_id}", dispatcher, "≤2×", None),
    ]
    if explain:
        _explain(app, client, [(name, url, headers) for name, url, headers, _t, _b in cases[1:13]])
    print(f"   {label}: median of {runs} runs (ms); each run times the trivial request right before the "
          "request, and the ratio is the median of those pairs (this machine's load comes and goes)")
    print(f"   {'request':<40}{'ms':>9}{'trivial':>9}{'ratio':>9}  {'target':<7}{'status':>7}  issue (before)")
    trivial = cases[0][1]
    for name, url, headers, target, before in cases[1:]:
        if "If-None-Match" in name:  # the ETag the app holds: taken just now (photo links roll)
            headers = {**headers, "If-None-Match": client.get(url, headers=headers).headers["ETag"]}
        ms, base, ratio, status = _paired_ms(client, url, headers, trivial, runs)
        print(f"   {name:<40}{ms:>9.2f}{base:>9.2f}{ratio:>8.1f}×  {target:<7}{status:>7}  "
              f"{BEFORE.get(before or '', '')}")


def _paired_ms(client: Any, url: str, headers: dict[str, str], trivial: str,
               runs: int) -> tuple[float, float, float, int]:
    """Median ms of the request, of the trivial request timed just before each, and of their ratios."""
    status = client.get(url, headers=headers).status_code  # warm-up
    client.get(trivial)
    pairs = []
    for _ in range(runs):
        base = _timed(client, trivial, {})[0]
        took, status = _timed(client, url, headers)
        pairs.append((took, base))
    return (statistics.median(p[0] for p in pairs), statistics.median(p[1] for p in pairs),
            statistics.median(p[0] / p[1] for p in pairs), status)


def _timed(client: Any, url: str, headers: dict[str, str]) -> tuple[float, int]:
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    return (time.perf_counter() - started) * 1000, response.status_code


def _cursor_of_page(client: Any, headers: dict[str, str], number: int) -> str:
    cursor = None
    for _ in range(number - 1):
        query = f"?cursor={cursor}" if cursor else ""
        cursor = client.get(f"/api/v1/reports{query}", headers=headers).get_json()["next"]
    return cursor


def _explain(app: Any, client: Any, cases: Sequence[tuple[str, str, dict[str, str]]]) -> None:
    """The plan of every query on reports or the totals that each request runs."""
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
    for name, url, headers in cases:
        seen: list[tuple[str, Any]] = []

        def capture(_conn, _cursor, statement, parameters, _context, _many, seen=seen):  # type: ignore[no-untyped-def]
            read = ("FROM reports", "FROM report_month", "FROM report_day")
            if any(table in statement for table in read) and "EXPLAIN" not in statement:
                seen.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        try:
            client.get(url, headers=headers)
        finally:
            event.remove(engine, "before_cursor_execute", capture)
        print(f"-- {name}: {url}")
        with engine.connect() as connection:
            for statement, parameters in seen:
                prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN "
                rows = connection.exec_driver_sql(prefix + statement, parameters).all()
                plan = [row[-1] for row in rows]
                print("   " + " | ".join(str(step) for step in plan)[:400])


if __name__ == "__main__":
    main()
