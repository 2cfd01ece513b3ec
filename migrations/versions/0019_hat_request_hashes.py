"""suggestions and deliveries remember the fingerprint of the request behind their Idempotency-Key

Revision ID: 0019_hat_request_hashes
Revises: 0018_day_totals
Create Date: 2026-12-07 01:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_hat_request_hashes'
down_revision = '0018_day_totals'
branch_labels = None
depends_on = None


def upgrade():
    # Rows written before this have no fingerprint: their key replays whatever comes with it, as before.
    for table in ('suggestions', 'campaign_deliveries'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('request_hash', sa.String(length=64), nullable=True))


def downgrade():
    for table in ('campaign_deliveries', 'suggestions'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('request_hash')
