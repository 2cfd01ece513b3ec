"""Benchmark: POST /api/v1/reports end-to-end over loopback HTTP (gunicorn) against the bare photo pipeline.

Run: .venv/bin/python bench/bench_submit.py [--n 15] [--warmup 2]
     DATABASE_URL=postgresql://user:pw@127.0.0.1:5432/db .venv/bin/python bench/bench_submit.py
     (PostgreSQL: a scratch database is created beside the given one and dropped afterwards)

Both sides get the same 12 MP phone JPEGs (one per report, so every upload is new content that the
store really writes and fsyncs); each report is located, screened, assigned and notified for real.
The server decodes on its photo threads (PHOTO_THREADS) while the request thread screens, routes and
records, so a request's latency overlaps work that its CPU time (printed too) still counts.
"""
from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from PIL import Image, ImageOps  # noqa: E402
from urllib3.filepost import encode_multipart_formdata  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Role, User  # noqa: E402
from app.dispatch.presence import set_duty  # noqa: E402
from app.extensions import db  # noqa: E402
from app.photos.pipeline import process_photo  # noqa: E402
from bench.bench_photo_pipeline import phone_jpeg, process_peak_mb  # noqa: E402
from bench.submit_app import bench_config  # noqa: E402
from tests.factories import auth_headers, make_user  # noqa: E402
from tests.images import make_exif  # noqa: E402
from tests.mapdata import COMMUNITY, load_small_map  # noqa: E402
from tests.support.databases import scratch_database  # noqa: E402

CHINA = timezone(timedelta(hours=8))
WORKER_POSTS = [(38.478, 106.214), (38.482, 106.220), (38.479, 106.226)]
# Report points inside the test community, ≥ 160 m apart: none is linked as another's duplicate.
REPORT_POINTS = [(38.4765 + 0.0015 * row, 106.212 + 0.002 * col) for row in range(6) for col in range(9)]
CATEGORIES = ["flying_lead_charging", "ebike_in_corridor", "fire_exit_blocked"]
SUBMIT_PATH = "/api/v1/reports"


@dataclass(frozen=True)
class Upload:
    photo: bytes
    fields: dict[str, str]


# --- the photos and the reports ----------------------------------------------------------------

def make_uploads(count: int) -> list[Upload]:
    """`count` distinct phone photos, each of a different point, with that point's EXIF GPS and a
    capture time minutes ago. Pixels differ (inverted patches), so hashes and stored files differ."""
    base = Image.open(io.BytesIO(phone_jpeg()))
    base.load()
    uploads = []
    for index in range(count):
        lat, lon = REPORT_POINTS[index % len(REPORT_POINTS)]
        category = CATEGORIES[(index // len(REPORT_POINTS)) % len(CATEGORIES)]
        taken = datetime.now(CHINA) - timedelta(minutes=3)
        exif = make_exif(gps=(lat + 0.0001, lon - 0.0001), taken_at=taken)
        image = _with_inverted_patches(base, seed=index)
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=90, exif=exif.tobytes())
        fields = {"category": category, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                  "description": f"楼上窗口拉线给电动车充电 #{index}", "address": "满春园小区",
                  "captured_at": taken.isoformat(timespec="seconds")}
        uploads.append(Upload(photo=buffer.getvalue(), fields=fields))
    return uploads


def _with_inverted_patches(base: Image.Image, *, seed: int) -> Image.Image:
    image = base.copy()
    rng = random.Random(seed)
    width, height = image.size
    for _ in range(2):
        left, top = rng.randrange(0, width // 2), rng.randrange(0, height // 2)
        box = (left, top, left + width // 3, top + height // 3)
        image.paste(ImageOps.invert(image.crop(box)), box)
    return image


def multipart(upload: Upload, index: int) -> tuple[bytes, str]:
    """The request body as a phone's HTTP stack sends it (built before timing: not server work)."""
    parts = list(upload.fields.items()) + [("photos", (f"IMG_{index:04d}.JPG", upload.photo, "image/jpeg"))]
    return encode_multipart_formdata(parts)


# --- the scratch environment -------------------------------------------------------------------

def prepare_database(database_url: str, upload_dir: str) -> dict[str, str]:
    """Migrate, import the test map, put three grid workers on duty; the rider's auth header."""
    app = create_app(bench_config(database_url=database_url, upload_dir=upload_dir))
    with app.app_context(), contextlib.redirect_stderr(io.StringIO()):  # Alembic's INFO lines
        flask_migrate.upgrade()
    load_small_map(app)
    rider = make_user(app, Role.RIDER, name="bench rider")
    workers = [make_user(app, Role.GRID_WORKER, area_code=COMMUNITY, name=f"grid worker {i}")
               for i in range(len(WORKER_POSTS))]
    with app.app_context():
        for worker, (lat, lon) in zip(workers, WORKER_POSTS, strict=True):
            set_duty(worker=db.session.get(User, worker.id), on_duty=True, lat=lat, lon=lon, accuracy_m=10)
        db.session.remove()
    headers = auth_headers(app, rider)
    with app.app_context():
        db.engine.dispose()
    return headers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, database_url: str, upload_dir: str, folder: Path) -> subprocess.Popen:
    env = {**os.environ, "BENCH_DATABASE_URL": database_url, "BENCH_UPLOAD_DIR": upload_dir,
           "BENCH_TIMING_LOG": str(folder / "app-times.log"), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
               "--worker-class", "sync", "--chdir", str(ROOT), "--log-level", "warning",
               "--error-logfile", str(folder / "gunicorn.log"), "bench.submit_app:create_bench_app()"]
    return subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)


def wait_until_serving(server: subprocess.Popen, port: int, folder: Path, timeout: float = 30) -> int:
    """Block until the app answers HTTP; the PID of gunicorn's (single) worker process."""
    log_path = folder / "gunicorn.log"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            status, _ = request(port, "GET", "/api/v1/categories", body=None, headers={})
            workers = _children(server.pid)
            if status < 500 and len(workers) == 1:
                return workers[0]
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{log_path.read_text()}")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.send_signal(signal.SIGTERM)  # gunicorn's master stops its worker, then itself
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


# --- measuring -------------------------------------------------------------------------------------

def request(port: int, method: str, path: str, *, body: bytes | None,
            headers: dict[str, str]) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def submit(port: int, body: tuple[bytes, str], auth: dict[str, str]) -> dict:
    """One report, with its own Idempotency-Key; the 201 answer."""
    payload, content_type = body
    headers = {**auth, "Content-Type": content_type, "Idempotency-Key": f"bench-{uuid.uuid4().hex}"}
    status, answer = request(port, "POST", SUBMIT_PATH, body=payload, headers=headers)
    if status != 201:
        raise RuntimeError(f"submit answered {status}: {answer[:500]!r}")
    return json.loads(answer)


@dataclass
class Timings:
    pipeline_ms: list[float] = field(default_factory=list)
    pipeline_cpu_ms: list[float] = field(default_factory=list)
    submit_ms: list[float] = field(default_factory=list)
    answers: list[dict] = field(default_factory=list)


def run_interleaved(port: int, uploads: list[Upload], bodies: list[tuple[bytes, str]],
                    auth: dict[str, str]) -> Timings:
    """For each photo: process_photo here, then POST it to the server (the two never overlap), so
    load from other processes on this shared machine hits both sides alike."""
    timings = Timings()
    for upload, body in zip(uploads, bodies, strict=True):
        begin, begin_cpu = time.perf_counter(), time.process_time()
        process_photo(upload.photo)
        timings.pipeline_ms.append((time.perf_counter() - begin) * 1000)
        timings.pipeline_cpu_ms.append((time.process_time() - begin_cpu) * 1000)
        begin = time.perf_counter()
        timings.answers.append(submit(port, body, auth))
        timings.submit_ms.append((time.perf_counter() - begin) * 1000)
    return timings


def cpu_ms(pid: int) -> float:
    """CPU time (user + system, all threads) the process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def status_kb(pid: int | str, name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{name} not in /proc/{pid}/status")


@dataclass(frozen=True)
class Peak:
    before_mb: float  # resident just before
    peak_mb: float  # high-water mark while the action ran (VmHWM, restarted just before)

    @property
    def growth_mb(self) -> float:
        return self.peak_mb - self.before_mb


def with_peak(pids: list[int | str], action):  # type: ignore[no-untyped-def]
    """Run `action`; its result and, per process, the peak RSS above what was resident before."""
    before = [status_kb(pid, "VmRSS") for pid in pids]
    for pid in pids:  # Linux: restart VmHWM from the current RSS
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    result = action()
    return result, [Peak(rss / 1024, status_kb(pid, "VmHWM") / 1024) for pid, rss in zip(pids, before, strict=True)]


def server_times_ms(folder: Path, count: int) -> list[float]:
    """The last `count` submits' time inside the app, as the server logged them (AppTimer)."""
    lines = (folder / "app-times.log").read_text().splitlines()
    return [float(line.split()[2]) for line in lines if line.startswith(f"POST {SUBMIT_PATH} ")][-count:]


# --- report ---------------------------------------------------------------------------------------

def summarise(answers: list[dict], upload_dir: str) -> str:
    statuses = Counter(answer["status"] for answer in answers)
    flags = Counter(flag for answer in answers for flag in answer["flags"])
    located = sum(1 for answer in answers if answer["area"])
    duplicates = sum(1 for answer in answers if answer["duplicate_of"])
    files = sum(1 for _ in Path(upload_dir).rglob("*.jpg"))
    return (f"server work done: located {located}/{len(answers)}, statuses {dict(statuses)}, "
            f"flags {dict(flags)}, duplicates {duplicates}; {files} files in UPLOAD_DIR")


def print_cpu(timings: Timings, server_cpu_ms: float) -> None:
    per_report = server_cpu_ms / len(timings.submit_ms)
    per_photo = statistics.mean(timings.pipeline_cpu_ms)
    print(f"CPU per report (user + system): server worker {per_report:.1f} ms, all its threads "
          f"(/proc/<pid>/stat, {1000 / os.sysconf('SC_CLK_TCK'):.0f} ms ticks) | pipeline {per_photo:.1f} ms")
    print(f"  CPU ratio pipeline / server: {per_photo / per_report:.2f} (the throughput ratio of a server whose "
          f"cores are all busy, where overlapping within a request gains nothing)")


def print_speed(timings: Timings, server_ms: list[float]) -> None:
    pipeline, submits = timings.pipeline_ms, timings.submit_ms
    p_rate, e_rate = 1000 * len(pipeline) / sum(pipeline), 1000 * len(submits) / sum(submits)
    ratio = e_rate / p_rate
    print(f"pipeline   process_photo, in this process : median {statistics.median(pipeline):6.1f} ms "
          f"(min {min(pipeline):6.1f}) | {p_rate:5.2f} photos/s")
    print(f"end-to-end POST, gunicorn 1 sync worker    : median {statistics.median(submits):6.1f} ms "
          f"(min {min(submits):6.1f}) | {e_rate:5.2f} reports/s")
    print("  (client-side wall time per request: connect, send ~3.3 MB multipart, server work, 201 JSON;")
    print("   reports one after another, interleaved with the pipeline runs; rates = n / sum of times)")
    transport = [client - server for client, server in zip(submits, server_ms, strict=True)]
    print(f"  of which inside the app (WSGI call, server clock): median {statistics.median(server_ms):6.1f} ms; "
          f"HTTP + gunicorn outside it: median {statistics.median(transport):.1f} ms")
    typical = statistics.median(pipeline) / statistics.median(submits)
    verdict = "meets" if min(ratio, typical) >= 0.8 else "BELOW"
    print(f"ratio end-to-end / pipeline throughput: {ratio:.2f} (n / sum of times); {typical:.2f} (ratio of the "
          f"medians, which a few disturbed runs do not sway)  ({verdict} the 0.8 target); "
          f"median overhead per report {statistics.median(submits) - statistics.median(pipeline):+.1f} ms")
    print(f"  best-case ratio (fastest pipeline run / fastest report, least disturbed by other load on the "
          f"machine): {min(pipeline) / min(submits):.2f}, overhead {min(submits) - min(pipeline):+.1f} ms")


def print_memory(*, first: Peak | None, steady: Peak, pipeline: Peak, fresh_mb: float) -> None:
    print("peak memory (RSS high-water mark, VmHWM in /proc/<pid>/status: counts Pillow's C buffers too):")
    if first is not None:
        print(f"  server worker, its first upload: idle {first.before_mb:.0f} MB -> peak {first.peak_mb:.0f} MB, "
              f"growth {first.growth_mb:.1f} MB per upload (photo modules preloaded at start; includes the "
              f"request path's own one-time set-up)")
    print(f"  server worker, measured uploads: resident {steady.before_mb:.0f} MB -> peak {steady.peak_mb:.0f} MB, "
          f"growth {steady.growth_mb:.1f} MB (the allocator keeps and reuses what earlier uploads freed)")
    print(f"  pipeline only: fresh process, first photo: growth {fresh_mb:.1f} MB (bench_photo_pipeline's child); "
          f"this process over the measured photos: {pipeline.before_mb:.0f} -> {pipeline.peak_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=15, help="measured reports / photos (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured ones before them (default 2)")
    args = parser.parse_args()
    if args.n < 1 or args.warmup < 0:
        parser.error("--n must be at least 1 and --warmup at least 0")
    uploads = make_uploads(args.warmup + args.n)
    bodies = [multipart(upload, index) for index, upload in enumerate(uploads)]
    sizes = [len(upload.photo) / 2**20 for upload in uploads]
    print(f"input: {len(uploads)} distinct 4032x3024 phone JPEGs (EXIF GPS + DateTimeOriginal), "
          f"{min(sizes):.2f}-{max(sizes):.2f} MB; n={args.n}, warmup={args.warmup}")
    with tempfile.NamedTemporaryFile(suffix=".jpg") as photo_file:
        photo_file.write(uploads[0].photo)
        photo_file.flush()
        fresh_mb = process_peak_mb(Path(photo_file.name), "process_photo")
    with scratch_database(os.environ.get("DATABASE_URL"), prefix="gridsnap_bench_submit") as database_url, \
            tempfile.TemporaryDirectory(prefix="gridsnap-bench-") as folder:
        workdir, upload_dir = Path(folder), str(Path(folder) / "uploads")
        auth = prepare_database(database_url, upload_dir)
        port = free_port()
        server = start_server(port, database_url, upload_dir, workdir)
        try:
            worker = wait_until_serving(server, port, workdir)
            split, first = args.warmup, None
            if split:
                _, (first,) = with_peak([worker], lambda: run_interleaved(port, uploads[:1], bodies[:1], auth))
                run_interleaved(port, uploads[1:split], bodies[1:split], auth)
            cpu_before = cpu_ms(worker)
            timings, (steady, pipeline) = with_peak(
                [worker, "self"], lambda: run_interleaved(port, uploads[split:], bodies[split:], auth))
            server_cpu_ms = cpu_ms(worker) - cpu_before
        finally:
            stop_server(server)
        print(f"database: {database_url.split(':', 1)[0]}; server: gunicorn, 1 sync worker, 127.0.0.1:{port}")
        print(summarise(timings.answers, upload_dir))
        server_ms = server_times_ms(workdir, args.n)
    print_speed(timings, server_ms)
    print_cpu(timings, server_cpu_ms)
    print_memory(first=first, steady=steady, pipeline=pipeline, fresh_mb=fresh_mb)


if __name__ == "__main__":
    main()
