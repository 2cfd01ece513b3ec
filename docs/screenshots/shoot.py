"""Screenshots of the console's main pages on the demo data (Playwright + Debian's Chromium).

    .venv/bin/python docs/screenshots/shoot.py     # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots/shoot.py stations.png campaign.png   # only these
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import flask_migrate  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from app import create_app  # noqa: E402
from app.demo import DEMO_PASSWORD, seed_demo  # noqa: E402
from config import TestingConfig  # noqa: E402
from tests.support.browser import CHINA, CHROMIUM, LAUNCH_ARGS, serving  # noqa: E402

OUT = Path(__file__).resolve().parent
SHOTS = (  # (account, page, file)
    ("13900000001", "/console/", "home-secretary.png"),
    ("13900000001", "/console/leaderboard?period=all", "leaderboard.png"),
    ("13900000001", "/console/riders", "riders.png"),
    ("13900000001", "/console/reports", "reports.png"),
    ("13900000001", "/console/map", "map.png"),
    ("13900000001", "/console/stats", "stats.png"),
    ("13900000001", "/console/suggestions", "suggestions.png"),
    ("13900000001", "/console/campaigns/{campaign}", "campaign.png"),
    ("13900000001", "/console/stations", "stations.png"),
    ("13900000001", "/console/stations/new", "station-new.png"),
    ("13900000021", "/console/reports?status=escalated", "dispatcher-queue.png"),
    ("13900000021", "/console/reports/{escalated}", "report-dispatch.png"),
    ("13900000031", "/console/reports/{dispatched}", "report-department.png"),
    ("13900000031", "/console/reports/{dispatched}", "report-department-tablet.png"),
)
TABLET = {"width": 820, "height": 1180}


def main(wanted: set[str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}/demo.db"
            UPLOAD_DIR = f"{tmp}/uploads"

        app = create_app(Config)
        with app.app_context():
            flask_migrate.upgrade()
            list(seed_demo())
            ids = _report_ids()
        with serving(app) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
            for phone, path, name in SHOTS:
                if wanted and name not in wanted:
                    continue
                viewport = TABLET if "tablet" in name else {"width": 1366, "height": 768}
                context = browser.new_context(base_url=url, viewport=viewport, **CHINA)
                page = context.new_page()
                page.goto("/console/")
                page.get_by_label("手机号").fill(phone)
                page.get_by_label("密码").fill(DEMO_PASSWORD)
                page.get_by_role("button", name="登录").click()
                page.goto(path.format(**ids))
                page.screenshot(path=str(OUT / name), full_page=True)
                context.close()
                print("wrote", OUT / name)
            browser.close()


def _report_ids() -> dict[str, int]:
    from sqlalchemy import select

    from app.extensions import db
    from app.reports.models import Report

    def first(status: str) -> int:
        return db.session.scalar(select(Report.id).where(Report.status == status).order_by(Report.id))

    from app.campaigns.models import Campaign

    return {"escalated": first("escalated"), "dispatched": first("dispatched"),
            "campaign": db.session.scalar(select(Campaign.id).order_by(Campaign.id))}


if __name__ == "__main__":
    main(set(sys.argv[1:]))
