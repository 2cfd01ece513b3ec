"""Grid map benchmark: import, point → grid, nearest available worker vs a naive geodesic scan.

Run: .venv/bin/python bench/bench_geo.py    (SQLite in a temp file)
     DATABASE_URL=postgresql+psycopg://user:pw@127.0.0.1:5432/db .venv/bin/python bench/bench_geo.py
     (PostgreSQL: a scratch database is created next to the given one and dropped afterwards)
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Role, User, UserStatus  # noqa: E402
from app.common import clock  # noqa: E402
from app.dispatch.models import WorkerPresence  # noqa: E402
from app.dispatch.nearest import nearest_available_worker, scan_nearest_available_worker  # noqa: E402
from app.extensions import db  # noqa: E402
from app.geo import service  # noqa: E402
from app.geo.demo_map import build_tiled_map  # noqa: E402
from app.geo.geometry import BBox, bbox_of  # noqa: E402
from app.geo.models import Area  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402

WORKERS = 10_000
LOCATE_CALLS = 2_000
NEAREST_CALLS = 1_000
NAIVE_CALLS = 10
SEED = 2316


def timed(label: str, action: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = action()
    print(f"{label:<46} {time.perf_counter() - started:8.3f} s   {result}")
    return result


@dataclass
class Timing:
    """Milliseconds per call."""

    median: float
    mean: float
    p95: float

    def __str__(self) -> str:
        return f"{self.median:.3f} ms/call median ({self.mean:.3f} mean, {self.p95:.3f} p95)"


def per_call(calls: list[Callable[[], object]]) -> tuple[Timing, list[object]]:
    """Time each call; the session is emptied first, so objects are loaded again as in a request."""
    times, results = [], []
    for call in calls:
        db.session.expunge_all()
        started = time.perf_counter()
        results.append(call())
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    return Timing(statistics.median(times), statistics.fmean(times), p95), results


def import_maps() -> tuple[str, BBox]:
    """Shizuishan-sized map (2,316 micro-grids), and a 10,000-feature map next to it."""
    city = build_tiled_map(communities=122, grids=738, micro_grids=2316, code="640205")
    large = build_tiled_map(
        communities=600, grids=2400, micro_grids=6975, code="640206", origin=(106.15, 38.3)
    )
    count = len(large["features"])
    timed(f"import {len(city['features'])} features", lambda: service.import_areas(source=city))
    timed(f"import {count} features", lambda: service.import_areas(source=large))
    timed(f"re-import {count} features (no change)", lambda: service.import_areas(source=large))
    district = bbox_of(db.session.get(Area, "640205").geometry)
    community = db.session.scalar(
        sa.select(Area.code).where(Area.level == "community", Area.parent_code.like("640205%"))
    )
    return community, district


def place_workers(community: str, district: BBox, rng: random.Random) -> None:
    """WORKERS on-duty, fresh grid workers, all of one community: every one is a candidate."""
    now = clock.utcnow()
    users = [
        {
            "phone": f"1880{i:07d}",
            "password_hash": "-",
            "name": f"网格员{i}",
            "role": Role.GRID_WORKER.value,
            "status": UserStatus.ACTIVE.value,
            "area_code": community,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(WORKERS)
    ]
    db.session.execute(sa.insert(User), users)
    ids = db.session.scalars(sa.select(User.id).where(User.area_code == community)).all()
    db.session.execute(
        sa.insert(WorkerPresence),
        [
            {
                "user_id": user_id,
                "on_duty": True,
                "community_code": community,
                "lat": rng.uniform(district.min_lat, district.max_lat),
                "lon": rng.uniform(district.min_lon, district.max_lon),
                "accuracy_m": 10.0,
                "located_at": now - timedelta(minutes=rng.uniform(0, 10)),
                "updated_at": now,
            }
            for user_id in ids
        ],
    )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def run() -> None:
    rng = random.Random(SEED)
    with scratch_database(os.environ.get("DATABASE_URL"), prefix="gridsnap_bench_geo") as url:

        class BenchConfig(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url
            UPLOAD_DIR = tempfile.mkdtemp()

        app = create_app(BenchConfig)
        with app.app_context():
            print(f"engine: {db.engine.dialect.name}")
            flask_migrate.upgrade()
            community, district = import_maps()
            timed(
                f"place {WORKERS} on-duty workers", lambda: place_workers(community, district, rng)
            )
            measure(community, district, rng)
            db.session.remove()
            db.engine.dispose()


def measure(community: str, district: BBox, rng: random.Random) -> None:
    def point() -> tuple[float, float]:
        return (
            rng.uniform(district.min_lat, district.max_lat),
            rng.uniform(district.min_lon, district.max_lon),
        )

    located = [point() for _ in range(LOCATE_CALLS)]
    timing, chains = per_call([lambda p=p: service.locate(lat=p[0], lon=p[1]) for p in located])
    deep = sum(1 for chain in chains if chain and chain[0].level == "micro_grid")
    print(f"locate: {timing}; {deep}/{len(located)} points in a micro-grid")

    queries = [point() for _ in range(NEAREST_CALLS)]
    fast_timing, fast = per_call(
        [lambda p=p: nearest_available_worker(*p, community=community) for p in queries]
    )
    print(f"nearest available worker: {fast_timing}")
    naive_timing, naive = per_call(
        [
            lambda p=p: scan_nearest_available_worker(*p, community=community)
            for p in queries[:NAIVE_CALLS]
        ]
    )
    print(f"naive geodesic scan of {WORKERS} workers: {naive_timing}")
    pairs = zip(fast[:NAIVE_CALLS], naive, strict=True)
    agree = all(a[0].id == b[0].id and a[1] == b[1] for a, b in pairs)
    ratio = naive_timing.median / fast_timing.median
    print(f"ratio naive / nearest (medians): {ratio:.0f}x; same answers: {agree}")
    if not agree:
        raise SystemExit("fast path and brute force disagree")


if __name__ == "__main__":
    run()
