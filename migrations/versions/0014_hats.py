"""the rider's other hats: 红色驿站 stations

Revision ID: 0014_hats
Revises: 0011_topic
Create Date: 2026-12-06 22:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014_hats'
down_revision = '0011_topic'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('hours', sa.String(length=60), nullable=False),
    sa.Column('services', sa.JSON(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180',
                       name=op.f('ck_stations_position')),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_stations_area_code_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stations_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stations'))
    )
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stations_area_code'), ['area_code'], unique=False)


def downgrade():
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stations_area_code'))
    op.drop_table('stations')
