"""送政策上门 campaigns carry a leaflet file (an image or a PDF in the upload store)

Revision ID: 0017_leaflets
Revises: 0016_hat_photos
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017_leaflets'
down_revision = '0016_hat_photos'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('leaflet_kind', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('leaflet_key', sa.String(length=68), nullable=True))
        batch_op.add_column(sa.Column('leaflet_thumbnail_key', sa.String(length=68), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_campaigns_leaflet'),
            "(leaflet_key IS NULL) = (leaflet_kind IS NULL) "
            "AND (leaflet_kind IS NULL OR leaflet_kind IN ('image', 'pdf'))")


def downgrade():
    # The leaflet files stay in the store until `flask photos gc` finds nothing refers to them.
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaigns_leaflet'), type_='check')
        batch_op.drop_column('leaflet_thumbnail_key')
        batch_op.drop_column('leaflet_key')
        batch_op.drop_column('leaflet_kind')
