"""photos on the rider's other hats: suggestion photos, a leaflet photo on a delivery, and
Idempotency-Keys on suggestions

Revision ID: 0016_hat_photos
Revises: 0014_hats
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016_hat_photos'
down_revision = '0014_hats'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('suggestion_photos',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('image_key', sa.String(length=100), nullable=False),
    sa.Column('thumbnail_key', sa.String(length=100), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id'],
                            name=op.f('fk_suggestion_photos_suggestion_id_suggestions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_photos')),
    sa.UniqueConstraint('suggestion_id', 'position', name='uq_suggestion_photos_position')
    )
    with op.batch_alter_table('suggestion_photos', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_photos_suggestion_id'), ['suggestion_id'], unique=False)

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('idempotency_key', sa.String(length=100), nullable=True))
        batch_op.create_unique_constraint('uq_suggestions_rider_key', ['rider_id', 'idempotency_key'])

    with op.batch_alter_table('campaign_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('photo_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('photo_thumbnail_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('photo_width', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('photo_height', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_campaign_deliveries_whole_photo'),
                                         '(photo_key IS NULL) = (photo_thumbnail_key IS NULL)')


def downgrade():
    # The photo rows go; their files stay in the store until `flask photos gc` finds them unnamed.
    with op.batch_alter_table('campaign_deliveries', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_campaign_deliveries_whole_photo'), type_='check')
        batch_op.drop_column('photo_height')
        batch_op.drop_column('photo_width')
        batch_op.drop_column('photo_thumbnail_key')
        batch_op.drop_column('photo_key')

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_constraint('uq_suggestions_rider_key', type_='unique')
        batch_op.drop_column('idempotency_key')

    with op.batch_alter_table('suggestion_photos', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_photos_suggestion_id'))
    op.drop_table('suggestion_photos')
