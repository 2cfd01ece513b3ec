"""points: the honour-point ledger and its per-period totals

Revision ID: 0005_points
Revises: 0004_notifications
Create Date: 2026-11-24 04:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0005_points'
down_revision = '0004_notifications'
branch_labels = None
depends_on = None

REASONS_SQL = ("'report_confirmed', 'urgent_bonus', 'first_reporter_bonus', 'confirmation', "
               "'rejected_invalid', 'invalid_penalty', 'adjustment'")


def upgrade():
    op.create_table('point_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rider_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.Column('community_code', sa.String(length=32), nullable=True),
    sa.Column('street_code', sa.String(length=32), nullable=True),
    sa.Column('district_code', sa.String(length=32), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('delta', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint(f"reason IN ({REASONS_SQL})", name=op.f('ck_point_ledger_reason')),
    sa.CheckConstraint("reason = 'adjustment' OR report_id IS NOT NULL",
                       name=op.f('ck_point_ledger_award_has_report')),
    sa.CheckConstraint("reason <> 'adjustment' OR (report_id IS NULL AND created_by_id IS NOT NULL "
                       "AND delta <> 0 AND note IS NOT NULL)",
                       name=op.f('ck_point_ledger_adjustment_has_author_and_note')),
    sa.ForeignKeyConstraint(['community_code'], ['areas.code'], name=op.f('fk_point_ledger_community_code_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_point_ledger_created_by_id_users')),
    sa.ForeignKeyConstraint(['district_code'], ['areas.code'], name=op.f('fk_point_ledger_district_code_areas')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_point_ledger_report_id_reports')),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], name=op.f('fk_point_ledger_rider_id_users')),
    sa.ForeignKeyConstraint(['street_code'], ['areas.code'], name=op.f('fk_point_ledger_street_code_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_point_ledger')),
    sa.UniqueConstraint('report_id', 'rider_id', 'reason', name='uq_point_ledger_award')
    )
    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_point_ledger_rider_created', ['rider_id', 'created_at'], unique=False)

    op.create_table('points_totals',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('period_kind', sa.String(length=8), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('rider_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('valid_reports', sa.Integer(), nullable=False),
    sa.CheckConstraint("period_kind IN ('week', 'month', 'year', 'all')",
                       name=op.f('ck_points_totals_period_kind')),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], name=op.f('fk_points_totals_rider_id_users')),
    sa.PrimaryKeyConstraint('scope_code', 'period_kind', 'period_start', 'rider_id',
                            name=op.f('pk_points_totals'))
    )
    with op.batch_alter_table('points_totals', schema=None) as batch_op:
        batch_op.create_index('ix_points_totals_board',
                              ['scope_code', 'period_kind', 'period_start', 'points', 'rider_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('points_totals', schema=None) as batch_op:
        batch_op.drop_index('ix_points_totals_board')

    op.drop_table('points_totals')
    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_point_ledger_rider_created')

    op.drop_table('point_ledger')
