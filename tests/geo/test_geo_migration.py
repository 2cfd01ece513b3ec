"""The geo migration gives tile keys to areas that already had a bounding box."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa

from app.extensions import db
from app.geo.geometry import BBox, tile_of
from tests.support.apps import scratch_sqlite_app


def test_upgrade_backfills_tiles_of_existing_areas(app, tmp_path):
    scratch = scratch_sqlite_app(tmp_path)
    with scratch.app_context():
        flask_migrate.upgrade(revision="0001_foundation")
        with db.engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO areas (code, name, level, min_lon, min_lat, max_lon, max_lat,"
                    " created_at, updated_at) VALUES ('640106', 'x', 'district', 106.1, 38.4,"
                    " 106.3, 38.5, '2026-01-01', '2026-01-01'), ('640107', 'y', 'district',"
                    " NULL, NULL, NULL, NULL, '2026-01-01', '2026-01-01')"
                )
            )
        flask_migrate.upgrade(revision="0002_geo")
        with db.engine.connect() as conn:
            tiles = dict(conn.execute(sa.text("SELECT code, tile FROM areas")).all())
        db.engine.dispose()
    assert tiles == {"640106": tile_of(BBox(106.1, 38.4, 106.3, 38.5)), "640107": None}
