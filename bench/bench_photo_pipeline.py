"""Benchmark: process_photo against a naive full decode on a 12 MP phone JPEG; prints times, ratio, memory.

Run: .venv/bin/python bench/bench_photo_pipeline.py [--rounds N]
"""
from __future__ import annotations

import argparse
import io
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from app.photos.pipeline import PhotoLimits, fit_within, process_photo  # noqa: E402
from tests.images import jpeg_bytes  # noqa: E402

LONG_EDGE = PhotoLimits().long_edge


def phone_jpeg() -> bytes:
    """4032×3024 with camera-like grain and a phone's EXIF (GPS, capture time, make/model): ≈ 3.4 MB."""
    return jpeg_bytes(4032, 3024, gps=(38.4872, 106.2309), taken_at=datetime(2026, 5, 1, 10, 30),
                      noise=0.09, quality=90, seed=7)


def naive(data: bytes) -> bytes:
    """What one writes first: decode every pixel, resize, save."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        small = image.resize(fit_within(image.size, LONG_EDGE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=85)
    return buffer.getvalue()


def pipeline(data: bytes) -> bytes:
    return process_photo(data).image


VARIANTS: dict[str, Callable[[bytes], bytes]] = {"naive": naive, "process_photo": pipeline}


def median_ms(data: bytes, rounds: int) -> dict[str, float]:
    """Interleaved rounds, so that machine noise hits both variants alike."""
    timings: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for run in VARIANTS.values():  # warm-up: imports, plugin registration, caches
        run(data)
    for _ in range(rounds):
        for name, run in VARIANTS.items():
            start = time.perf_counter()
            run(data)
            timings[name].append((time.perf_counter() - start) * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def python_heap_peak_mb(data: bytes, run: Callable[[bytes], bytes]) -> float:
    """tracemalloc's peak: Python objects only (input/output bytes), not Pillow's pixel buffers."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    run(data)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def process_peak_mb(path: Path, name: str) -> float:
    """Peak resident memory added by one run in a fresh process: counts Pillow's C pixel buffers too."""
    output = subprocess.run([sys.executable, __file__, "--child", name, str(path)],
                            check=True, capture_output=True, text=True)
    return float(output.stdout.strip())


def child(name: str, path: str) -> None:
    data = Path(path).read_bytes()
    VARIANTS[name](jpeg_bytes(64, 48))  # load every lazily imported module before the baseline
    before = _proc_status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # Linux: restart the peak (VmHWM) from now
    VARIANTS[name](data)
    print((_proc_status_kb("VmHWM") - before) / 1024)


def _proc_status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--child", nargs=2, metavar=("VARIANT", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    data = phone_jpeg()
    processed = process_photo(data)
    print(f"input: 4032x3024 JPEG with EXIF, {len(data) / 2**20:.2f} MB; "
          f"output {processed.width}x{processed.height}, {len(processed.image) / 1024:.0f} KB "
          f"+ thumbnail {len(processed.thumbnail) / 1024:.0f} KB")
    medians = median_ms(data, args.rounds)
    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo_file:
        photo_file.write(data)
        photo_file.flush()
        for name, ms in medians.items():
            heap = python_heap_peak_mb(data, VARIANTS[name])
            rss = process_peak_mb(Path(photo_file.name), name)
            print(f"{name:>14}: median {ms:7.1f} ms | peak per photo: tracemalloc {heap:5.1f} MB, "
                  f"RSS growth {rss:5.1f} MB")
    ratio = medians["naive"] / medians["process_photo"]
    print(f"process_photo is {ratio:.2f}x the speed of the naive decode "
          f"(and also reads EXIF, orients, thumbnails and hashes); rounds={args.rounds}")


if __name__ == "__main__":
    main()
