"""geo: area tile keys, responsible workers of grids, grid workers' presence (last position)

Revision ID: 0002_geo
Revises: 0001_foundation

areas.tile is a loose-quadtree key ("zoom/x/y") of an area's bounding box; locate looks areas
up by the keys near the point. Rows that already have a box get their tile here.
"""

import math

import sqlalchemy as sa
from alembic import op

TILE_ZOOMS = (20, 17, 14, 11, 8, 5, 2, 0)
TILE_MARGIN_DEG = 1e-9


# revision identifiers, used by Alembic.
revision = "0002_geo"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def _tile_xy(lon, lat, zoom):
    count = 2**zoom
    x = min(int(math.floor((lon + 180.0) / (360.0 / count))), count - 1)
    y = min(int(math.floor((lat + 90.0) / (180.0 / count))), count - 1)
    return x, y


def _tile_of(min_lon, min_lat, max_lon, max_lat):
    # Frozen copy of app.geo.geometry.tile_of, so that this migration never changes.
    zoom = next(
        zoom
        for zoom in TILE_ZOOMS
        if 360.0 / 2**zoom >= max_lon - min_lon + TILE_MARGIN_DEG
        and 180.0 / 2**zoom >= max_lat - min_lat + TILE_MARGIN_DEG
        or zoom == 0
    )
    x, y = _tile_xy(min_lon, min_lat, zoom)
    return f"{zoom}/{x}/{y}"


def _add_area_tiles():
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tile", sa.String(length=24), nullable=True))
        batch_op.create_index(
            "ix_areas_tile_bbox", ["tile", "min_lat", "max_lat", "min_lon", "max_lon"], unique=False
        )
    areas = sa.table(
        "areas",
        sa.column("code", sa.String),
        sa.column("tile", sa.String),
        *(sa.column(name, sa.Float) for name in ("min_lon", "min_lat", "max_lon", "max_lat")),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(
            areas.c.code, areas.c.min_lon, areas.c.min_lat, areas.c.max_lon, areas.c.max_lat
        ).where(areas.c.min_lon.is_not(None))
    ).all()
    for code, *box in rows:
        conn.execute(areas.update().where(areas.c.code == code).values(tile=_tile_of(*box)))


def upgrade():
    _add_area_tiles()
    op.create_table(
        "area_workers",
        sa.Column("area_code", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["area_code"], ["areas.code"], name=op.f("fk_area_workers_area_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_area_workers_user_id_users")
        ),
        sa.PrimaryKeyConstraint("area_code", "user_id", name=op.f("pk_area_workers")),
    )
    with op.batch_alter_table("area_workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_area_workers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "worker_presence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("community_code", sa.String(length=32), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("located_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "lat IS NULL OR (lat >= -90 AND lat <= 90)", name=op.f("ck_worker_presence_lat_range")
        ),
        sa.CheckConstraint(
            "lon IS NULL OR (lon >= -180 AND lon <= 180)", name=op.f("ck_worker_presence_lon_range")
        ),
        sa.CheckConstraint(
            "accuracy_m IS NULL OR accuracy_m >= 0",
            name=op.f("ck_worker_presence_accuracy_positive"),
        ),
        sa.CheckConstraint(
            "NOT on_duty OR (lat IS NOT NULL AND lon IS NOT NULL AND located_at IS NOT NULL)",
            name=op.f("ck_worker_presence_on_duty_has_position"),
        ),
        sa.ForeignKeyConstraint(
            ["community_code"], ["areas.code"], name=op.f("fk_worker_presence_community_code_areas")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_worker_presence_user_id_users")
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_worker_presence")),
    )
    with op.batch_alter_table("worker_presence", schema=None) as batch_op:
        batch_op.create_index(
            "ix_worker_presence_duty_community_lat_lon",
            ["on_duty", "community_code", "lat", "lon"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("worker_presence", schema=None) as batch_op:
        batch_op.drop_index("ix_worker_presence_duty_community_lat_lon")
    op.drop_table("worker_presence")
    with op.batch_alter_table("area_workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_area_workers_user_id"))
    op.drop_table("area_workers")
    with op.batch_alter_table("areas", schema=None) as batch_op:
        batch_op.drop_index("ix_areas_tile_bbox")
        batch_op.drop_column("tile")
