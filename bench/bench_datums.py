"""Datum conversion: the inverse's error at reference points across Ningxia, and what a conversion
costs per call against one geodesic distance (which the submit path already computes).

Run: .venv/bin/python bench/bench_datums.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import prcoords  # noqa: E402
from geopy.distance import geodesic  # noqa: E402

from app.geo.datums import from_wgs84, to_wgs84  # noqa: E402

NINGXIA = {
    "银川": (38.4872, 106.2309), "石嘴山": (39.0133, 106.3765), "吴忠": (37.9975, 106.1987),
    "固原": (36.0160, 106.2425), "中卫": (37.5149, 105.1896), "同心": (36.9800, 105.9140),
}
CALLS = 20_000


def per_call_us(function, *args) -> float:
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(CALLS):
            function(*args)
        runs.append((time.perf_counter() - start) / CALLS * 1e6)
    return statistics.median(runs)


def main() -> None:
    print(f"{'place':6} {'GCJ off m':>9} {'BD off m':>9} {'1-step GCJ⁻¹ m':>15} {'GCJ⁻¹ m':>9} {'BD⁻¹ m':>9}")
    for name, wgs in NINGXIA.items():
        gcj, bd = from_wgs84(*wgs, "gcj02"), from_wgs84(*wgs, "bd09")
        rough = prcoords.gcj_wgs(prcoords.Coords(*gcj), False)
        print(f"{name:6} {geodesic(wgs, gcj).m:9.1f} {geodesic(wgs, bd).m:9.1f} "
              f"{geodesic(wgs, (rough.lat, rough.lon)).m:15.3f} "
              f"{geodesic(wgs, to_wgs84(*gcj, 'gcj02')).m:9.5f} {geodesic(wgs, to_wgs84(*bd, 'bd09')).m:9.5f}")
    point = NINGXIA["银川"]
    gcj = from_wgs84(*point, "gcj02")
    baseline = per_call_us(lambda a, b: geodesic(a, b).m, point, gcj)
    for label, function, args in (("wgs84 → gcj02", from_wgs84, (*point, "gcj02")),
                                  ("gcj02 → wgs84 (iterated)", to_wgs84, (*gcj, "gcj02")),
                                  ("bd09 → wgs84 (iterated)", to_wgs84, (*from_wgs84(*point, "bd09"), "bd09"))):
        took = per_call_us(function, *args)
        print(f"{label:26} {took:7.2f} µs/call  = {took / baseline:5.2f}× one geodesic distance")
    print(f"{'geodesic distance':26} {baseline:7.2f} µs/call")


if __name__ == "__main__":
    main()
