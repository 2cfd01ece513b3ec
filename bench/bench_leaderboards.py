"""Benchmark: top-50 leaderboards from the maintained totals against a GROUP BY over the raw ledger.

Fills a fresh database with a year of ledger entries (default 1,000,000; 20,000 riders; 122
communities in 8 streets of 2 districts), builds the totals with `rebuild_totals()`, then times the
leaderboard service for every period × scope and the plain GROUP BY in the same run.

Run: .venv/bin/python bench/bench_leaderboards.py [--entries N] [--riders N] [--runs N]
     SQLite (a temporary file) by default; PostgreSQL with
     DATABASE_URL=postgresql+psycopg://gridsnap:gridsnap@127.0.0.1:5432/<a fresh database>
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import case, func, select  # noqa: E402

from app.auth.models import User  # noqa: E402
from app.extensions import db  # noqa: E402
from app.points import standings  # noqa: E402
from app.points.models import LedgerEntry  # noqa: E402
from app.points.periods import Period, china_midnight, period_end, period_start  # noqa: E402
from app.points.rules import REPORT_REASONS, VALID_REASONS  # noqa: E402
from app.points.totals import rebuild_totals  # noqa: E402
from app.reports.models import Report  # noqa: E402
from bench.bulk_load import loader_for, settle  # noqa: E402
from bench.scratch import bench_app  # noqa: E402

DISTRICTS = ("640202", "640205")
STREETS_PER_DISTRICT = 4
COMMUNITIES = 122
CATEGORIES = ("flying_lead_charging", "ebike_in_corridor", "fire_exit_blocked", "streetlight_out",
              "illegal_parking", "illegal_ads", "garbage", "other")
# Each report leaves two entries of one rider: (reason, delta) pairs and how often they happen.
ENTRY_PAIRS = ((("report_confirmed", 10), ("urgent_bonus", 5)),
               (("report_confirmed", 4), ("first_reporter_bonus", 3)),
               (("rejected_invalid", 0), ("invalid_penalty", -5)))
PAIR_WEIGHTS = (0.45, 0.50, 0.05)
CHUNK = 50_000
ADMIN_PHONE = "13800000000"


def main() -> None:
    args = _arguments()
    with bench_app(prefix="bench-points") as bench, bench.app.app_context():
        dialect = db.engine.dialect.name
        print(f"== {dialect}: {args.entries:,} ledger entries, {args.riders:,} riders, "
              f"{COMMUNITIES} communities")
        world = _fill(args, dialect)
        _compare(world, runs=args.runs)


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--riders", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=15, help="timed runs per leaderboard")
    parser.add_argument("--seed", type=int, default=2026)
    return parser.parse_args()


# --- data ------------------------------------------------------------------------------------

def _fill(args: argparse.Namespace, dialect: str) -> dict[str, Any]:
    rng = random.Random(args.seed)
    now = datetime.now(timezone.utc)
    load = loader_for(dialect)
    started = time.perf_counter()
    areas = _areas()
    load("areas", ("code", "name", "level", "parent_code", "created_at", "updated_at"),
         [(code, name, level, parent, now, now) for code, name, level, parent in areas])
    communities = [code for code, _n, level, _p in areas if level == "community"]
    homes = [rng.choice(communities) for _ in range(args.riders)]
    first_user = _load_people(load, rng, homes, now)
    rider_ids = list(range(first_user, first_user + args.riders))
    weights = [rng.paretovariate(1.2) for _ in rider_ids]  # a few riders report a lot, most a little
    parents = {code: parent for code, _n, _l, parent in areas}
    first_report = _next_id("reports")
    for chunk in _report_chunks(rng, args.entries // 2, rider_ids, weights, homes, first_user, now):
        reports, entries = _rows_of(chunk, first_report, parents)
        load("reports", REPORT_COLUMNS + _report_extras(), [r + _extra_values() for r in reports])
        load("point_ledger", LEDGER_COLUMNS, entries)
        first_report += len(chunk)
    db.session.commit()
    filled = time.perf_counter() - started
    started = time.perf_counter()
    rows = rebuild_totals()
    print(f"   filled in {filled:.1f} s; rebuild_totals: {rows:,} totals rows in "
          f"{time.perf_counter() - started:.1f} s")
    settle()
    admin = db.session.scalar(select(User).where(User.phone == ADMIN_PHONE))
    return {"admin": admin, "areas": areas, "now": now, "rider": rider_ids[0]}


def _load_people(load: Callable[..., None], rng: random.Random, homes: Sequence[str],
                 now: datetime) -> int:
    """The riders (one per home) and an admin; the id of the first rider."""
    first_user = _next_id("users")
    riders = [(f"139{i:08d}", "x", f"骑手{i:05d}", "rider", "active", home,
               rng.choice(("meituan", "eleme")), now, now) for i, home in enumerate(homes)]
    admin = (ADMIN_PHONE, "x", "管理员", "admin", "active", None, None, now, now)
    load("users", ("phone", "password_hash", "name", "role", "status", "area_code", "platform",
                   "created_at", "updated_at"), [*riders, admin])
    return first_user


def _areas() -> list[tuple[str, str, str, str | None]]:
    areas: list[tuple[str, str, str, str | None]] = []
    streets = []
    for district in DISTRICTS:
        areas.append((district, f"区{district}", "district", None))
        for number in range(1, STREETS_PER_DISTRICT + 1):
            street = f"{district}{number:03d}"
            streets.append(street)
            areas.append((street, f"街道{street}", "street", district))
    for number in range(COMMUNITIES):
        street = streets[number % len(streets)]
        code = f"{street}{number // len(streets) + 1:03d}"
        areas.append((code, f"社区{code}", "community", street))
    return areas


REPORT_COLUMNS = ("id", "reporter_id", "category_code", "status", "lat", "lon", "area_code",
                  "community_code", "district_code", "flags", "assign_attempts", "created_at", "updated_at")
LEDGER_COLUMNS = ("rider_id", "report_id", "community_code", "street_code", "district_code", "reason",
                  "delta", "created_at")


def _report_extras() -> tuple[str, ...]:
    return ("version",) if "version" in Report.__table__.c else ()


def _extra_values() -> tuple[Any, ...]:
    return (0,) if "version" in Report.__table__.c else ()


def _report_chunks(rng: random.Random, count: int, rider_ids: Sequence[int], weights: Sequence[float],
                   homes: Sequence[str], first_user: int, now: datetime) -> Iterator[list[tuple]]:
    """(rider, community, pair, created_at) per report, in chunks; a year back from now."""
    year = 365 * 24 * 3600
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        riders = rng.choices(rider_ids, weights=weights, k=size)
        pairs = rng.choices(range(len(ENTRY_PAIRS)), weights=PAIR_WEIGHTS, k=size)
        chunk = []
        for rider, pair in zip(riders, pairs, strict=True):
            home = homes[rider - first_user]
            community = home if rng.random() < 0.85 else None  # sometimes away from home
            at = now - timedelta(seconds=rng.random() * year)
            chunk.append((rider, community or _random_community(rng, homes), pair, at))
        done += size
        yield chunk


def _random_community(rng: random.Random, homes: Sequence[str]) -> str:
    return homes[rng.randrange(len(homes))]


def _rows_of(chunk: list[tuple], first_id: int, parents: dict[str, str | None]) -> tuple[list, list]:
    reports, entries = [], []
    for offset, (rider, community, pair, at) in enumerate(chunk):
        report_id = first_id + offset
        street = parents[community]
        district = parents[street] if street else None
        status = "rejected" if pair == 2 else "resolved"
        reports.append((report_id, rider, CATEGORIES[report_id % len(CATEGORIES)], status, 38.98, 106.38,
                        community, community, district, "[]", 1, at, at))
        for reason, delta in ENTRY_PAIRS[pair]:
            entries.append((rider, report_id, community, street, district, reason, delta, at))
    return reports, entries


def _next_id(table: str) -> int:
    return (db.session.execute(db.text(f"SELECT max(id) FROM {table}")).scalar() or 0) + 1








# --- timing ----------------------------------------------------------------------------------

def _compare(world: dict[str, Any], *, runs: int) -> None:
    samples = {level: [code for code, _n, lvl, _p in world["areas"] if lvl == level][:5]
               for level in ("community", "street", "district")}
    print(f"   top-50 leaderboard, median of {runs} runs (ms); GROUP BY median of {max(3, runs // 3)}")
    print(f"   {'period':<7}{'scope':<11}{'service':>10}{'GROUP BY':>12}{'ratio':>9}")
    worst = 0.0
    for period in Period:
        for scope in ("community", "street", "district", "all"):
            areas = samples.get(scope, [None])
            service_ms = _median_ms(runs, areas, lambda area, s=scope, p=period: _service_board(
                world["admin"], s, area, p))
            group_ms = _median_ms(max(3, runs // 3), areas, lambda area, s=scope, p=period: _group_by_board(
                s, area, p, world["now"]))
            _check_same(world["admin"], scope, areas[0], period, world["now"])
            worst = max(worst, service_ms)
            print(f"   {period.value:<7}{scope:<11}{service_ms:>10.2f}{group_ms:>12.1f}"
                  f"{group_ms / service_ms:>8.0f}×")
    rider = db.session.get(User, world["rider"])
    rider_ms = _median_ms(runs, [None], lambda _a: _service_board(rider, "community", None, Period.MONTH))
    print(f"   rider view (community, month, masked names + own row): {rider_ms:.2f} ms")
    print(f"   slowest service leaderboard: {worst:.2f} ms (target ≤ 20 ms)")


def _median_ms(runs: int, areas: Sequence[str | None], call: Callable[[str | None], Any]) -> float:
    call(areas[0])  # warm-up: caches, prepared plans
    timings = []
    for run in range(runs):
        area = areas[run % len(areas)]
        started = time.perf_counter()
        call(area)
        timings.append((time.perf_counter() - started) * 1000)
        db.session.remove()  # no identity-map help between runs
    return statistics.median(timings)


def _service_board(actor: User, scope: str, area: str | None, period: Period) -> list[int]:
    board = standings.leaderboard(actor=actor, scope=scope, area_code=area, period=period, limit=50)
    return [row["points"] for row in board["rows"]]


def _group_by_board(scope: str, area: str | None, period: Period, now: datetime) -> list[int]:
    """The plain way: sum the raw ledger for this board and period, top 50."""
    points = func.sum(LedgerEntry.delta).label("points")
    stmt = select(LedgerEntry.rider_id, points,
                  func.sum(case((LedgerEntry.reason.in_(REPORT_REASONS), 1), else_=0)),
                  func.sum(case((LedgerEntry.reason.in_(VALID_REASONS), 1), else_=0)))
    column = {"community": LedgerEntry.community_code, "street": LedgerEntry.street_code,
              "district": LedgerEntry.district_code}.get(scope)
    if column is not None:
        stmt = stmt.where(column == area)
    if period != Period.ALL:
        start = period_start(period, now)
        stmt = stmt.where(LedgerEntry.created_at >= china_midnight(start),
                          LedgerEntry.created_at < china_midnight(period_end(period, start)))
    rows = db.session.execute(stmt.group_by(LedgerEntry.rider_id).order_by(points.desc()).limit(50))
    return [row.points for row in rows]


def _check_same(admin: User, scope: str, area: str | None, period: Period, now: datetime) -> None:
    service = _service_board(admin, scope, area, period)
    plain = _group_by_board(scope, area, period, now)
    if service != plain:
        raise SystemExit(f"totals and ledger disagree on {scope} {area} {period}: "
                         f"{service[:5]} vs {plain[:5]}")


if __name__ == "__main__":
    main()
