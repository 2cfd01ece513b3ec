"""reads at scale: daily report totals beside the monthly ones, so that no statistics window reads reports

Revision ID: 0018_day_totals
Revises: 0017_leaflets
Create Date: 2026-12-07 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018_day_totals'
down_revision = '0017_leaflets'
branch_labels = None
depends_on = None


def upgrade():
    # Existing reports are counted by `flask stats rebuild`, once, after this upgrade.
    op.create_table('report_day_counts',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category_code', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('within_deadline', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope_code', 'day', 'category_code', 'status',
                            name=op.f('pk_report_day_counts'))
    )
    op.create_table('report_day_durations',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('measure', sa.String(length=8), nullable=False),
    sa.Column('bucket', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.CheckConstraint("measure IN ('accept', 'resolve')", name=op.f('ck_report_day_durations_measure')),
    sa.PrimaryKeyConstraint('scope_code', 'day', 'measure', 'bucket',
                            name=op.f('pk_report_day_durations'))
    )
    op.create_table('report_day_reporters',
    sa.Column('scope_code', sa.String(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reports', sa.Integer(), nullable=False),
    sa.Column('valid_reports', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'],
                            name=op.f('fk_report_day_reporters_reporter_id_users')),
    sa.PrimaryKeyConstraint('scope_code', 'day', 'reporter_id', name=op.f('pk_report_day_reporters'))
    )


def downgrade():
    op.drop_table('report_day_reporters')
    op.drop_table('report_day_durations')
    op.drop_table('report_day_counts')
