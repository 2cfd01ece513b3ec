"""Benchmark: the console in Debian's Chromium — page weight of the main pages, and the time to first
render of the leaderboard with 1,000 riders against the (trivial) login page, in the same run.

Loads the demo world plus 1,000 riders with points in 满春园社区 into a temporary SQLite file, serves
the app on loopback (werkzeug, threaded) and opens each page in a fresh browser profile (no cache).

Run: .venv/bin/python bench/bench_console.py [--riders N] [--runs N]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from app.auth.models import Role, User, UserStatus  # noqa: E402
from app.demo import DEMO_PASSWORD, MANCHUNYUAN, seed_demo  # noqa: E402
from app.extensions import db  # noqa: E402
from app.points.service import adjust_points  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.support.browser import CHINA, CHROMIUM, LAUNCH_ARGS, serving  # noqa: E402

SECRETARY = "13900000001"
PAGES = ("/console/leaderboard", "/console/leaderboard?period=all", "/console/reports", "/console/map",
         "/console/stats", "/console/riders", "/console/reports/1")
# Transferred bytes of the document and every resource, and the first paint, as the browser saw them.
MEASURE = """async () => {
  const fcp = await new Promise((resolve) => {
    new PerformanceObserver((list) => {
      const entry = list.getEntriesByName('first-contentful-paint')[0];
      if (entry) resolve(entry.startTime);
    }).observe({type: 'paint', buffered: true});
  });
  const nav = performance.getEntriesByType('navigation')[0];
  const resources = performance.getEntriesByType('resource');
  return {bytes: nav.transferSize + resources.reduce((sum, r) => sum + r.transferSize, 0),
          html: nav.transferSize, requests: 1 + resources.length, fcp,
          ttfb: nav.responseStart - nav.requestStart};
}"""


def add_riders(count: int) -> None:
    """`count` active riders in 满春园社区, each with a different number of points (real ledger rows)."""
    secretary = db.session.scalar(select(User).where(User.phone == SECRETARY))
    password_hash = secretary.password_hash
    riders = [User(phone=f"137{i:08d}", name=f"骑手{i:04d}", role=Role.RIDER, status=UserStatus.ACTIVE,
                   area_code=MANCHUNYUAN, platform="meituan", password_hash=password_hash)
              for i in range(count)]
    db.session.add_all(riders)
    db.session.commit()
    for index, rider in enumerate(riders):
        adjust_points(actor=secretary, rider_id=rider.id, delta=1 + index % 100, reason="基准测试积分")


def measure(browser: Any, url: str, path: str, *, log_in: bool) -> dict[str, Any]:
    context = browser.new_context(base_url=url, viewport={"width": 1366, "height": 768}, **CHINA)
    page = context.new_page()
    if log_in:
        page.goto("/console/")
        page.get_by_label("手机号").fill(SECRETARY)
        page.get_by_label("密码").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # every page as a first visit
    page.goto(path)
    page.wait_for_load_state("load")
    result = page.evaluate(MEASURE)
    result["rows"] = page.locator("table tbody tr").count()
    context.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--riders", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/bench.db"
            UPLOAD_DIR = f"{tmp}/uploads"
            RATE_LIMIT_LOGIN = "10000/minute"

        app = create_app(Config)
        with app.app_context():
            flask_migrate.upgrade()
            list(seed_demo())
            add_riders(args.riders)
        with serving(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            print(f"page weight (first visit, no cache, uncompressed), {args.riders} riders + demo data:")
            for path in PAGES:
                m = measure(browser, url, path, log_in=True)
                print(f"  {path:<34} {m['bytes'] / 1024:7.1f} KiB in {m['requests']} requests "
                      f"(HTML {m['html'] / 1024:.1f} KiB, {m['rows']} table rows)")
            board = [measure(browser, url, "/console/leaderboard?period=all", log_in=True) for _ in range(args.runs)]
            trivial = [measure(browser, url, "/console/", log_in=False) for _ in range(args.runs)]
            browser.close()
    fcp_board = statistics.median(m["fcp"] for m in board)
    fcp_trivial = statistics.median(m["fcp"] for m in trivial)
    ttfb_board = statistics.median(m["ttfb"] for m in board)
    ttfb_trivial = statistics.median(m["ttfb"] for m in trivial)
    print(f"first contentful paint, median of {args.runs}:")
    print(f"  leaderboard ({board[0]['rows']} rows of {args.riders} riders): {fcp_board:6.0f} ms "
          f"(server {ttfb_board:.0f} ms)")
    print(f"  login page (trivial):                  {fcp_trivial:6.0f} ms (server {ttfb_trivial:.0f} ms)")
    print(f"  ratio leaderboard / trivial: {fcp_board / fcp_trivial:.2f}x")


if __name__ == "__main__":
    main()
