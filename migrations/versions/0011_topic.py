"""reads at scale: newest-first indexes for each role's report list

Revision ID: 0011_topic
Revises: 0005_points
Create Date: 2026-12-06 21:30:00

"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_topic'
down_revision = '0005_points'
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


def downgrade():
    with op.batch_alter_table('reports', schema=None) as batch_op:
        for name, columns in REPLACED.items():
            batch_op.create_index(name, columns, unique=False)
        for name in NEWEST:
            batch_op.drop_index(name)
