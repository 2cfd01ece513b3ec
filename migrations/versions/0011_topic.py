"""reads at scale: newest-first indexes for each role's report list and a rider's ledger; monthly report totals

Revision ID: 0011_topic
Revises: 0012_topic
Create Date: 2026-12-06 21:30:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_topic'
down_revision = '0012_topic'
branch_labels = None
depends_on = None

# The single-column indexes these replace: each is the first column of a newest-first index.
REPLACED = {
    'ix_reports_reporter_id': ['reporter_id'],
    'ix_reports_assigned_to_id': ['assigned_to_id'],
    'ix_reports_department_id': ['department_id'],
    'ix_reports_community_code': ['community_code'],
    'ix_reports_district_code': ['district_code'],
}
NEWEST = {
    'ix_reports_newest': ['created_at', 'id'],
    'ix_reports_reporter_newest': ['reporter_id', 'created_at', 'id'],
    'ix_reports_assigned_newest': ['assigned_to_id', 'created_at', 'id'],
    'ix_reports_department_newest': ['department_id', 'created_at', 'id'],
    'ix_reports_community_newest': ['community_code', 'created_at', 'id'],
    'ix_reports_district_newest': ['district_code', 'created_at', 'id'],
    'ix_reports_district_status_newest': ['district_code', 'status', 'created_at', 'id'],
}


def upgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for name, columns in NEWEST.items():
            batch_op.create_index(name, columns, unique=False)
        for name in REPLACED:
            batch_op.drop_index(name)
    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_point_ledger_rider_newest', ['rider_id', 'created_at', 'id'], unique=False)
        batch_op.drop_index('ix_point_ledger_rider_created')
    # Existing reports are counted by `flask stats rebuild`, once, after this upgrade.
    _create_totals()


def _create_totals():
    op.create_table('report_month_counts',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('within_deadline', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope_code', 'month', 'category_code', 'status',
                            name=op.f('pk_report_month_counts'))
    )
    op.create_table('report_month_durations',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('measure', sa.String(length=8), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.CheckConstraint("measure IN ('accept', 'resolve')", name=op.f('ck_report_month_durations_measure')),
    sa.PrimaryKeyConstraint('scope_code', 'month', 'measure', 'bucket',
                            name=op.f('pk_report_month_durations'))
    )
    op.create_table('report_month_reporters',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('valid_reports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'],
                            name=op.f('fk_report_month_reporters_reporter_id_users')),
    sa.PrimaryKeyConstraint('scope_code', 'month', 'reporter_id', name=op.f('pk_report_month_reporters'))
    )


def downgrade():
    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.create_index('ix_point_ledger_rider_created', ['rider_id', 'created_at'], unique=False)
        batch_op.drop_index('ix_point_ledger_rider_newest')
    op.drop_table('report_month_reporters')
    op.drop_table('report_month_durations')
    op.drop_table('report_month_counts')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for name, columns in REPLACED.items():
            batch_op.create_index(name, columns, unique=False)
        for name in NEWEST:
            batch_op.drop_index(name)
