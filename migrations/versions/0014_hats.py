"""the rider's other hats: 红色驿站 stations, 社情民意 suggestions, 送政策上门 campaigns
and deliveries; ledger awards with a source

Revision ID: 0014_hats
Revises: 0011_topic
Create Date: 2026-12-06 22:40:00

"""
import sqlalchemy as sa
from alembic import op

OLD_REASONS = ("'report_confirmed', 'urgent_bonus', 'first_reporter_bonus', 'confirmation', "
               "'rejected_invalid', 'invalid_penalty', 'adjustment'")
NEW_REASONS = OLD_REASONS + ", 'suggestion_adopted', 'policy_delivery'"

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

    op.create_table('suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rider_id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=32), nullable=False),
    sa.Column('content', sa.String(length=1000), nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reply', sa.String(length=1000), nullable=True),
    sa.Column('adopted', sa.Boolean(), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('open', 'replied')", name=op.f('ck_suggestions_status')),
    sa.CheckConstraint("status = 'open' OR (reply IS NOT NULL AND adopted IS NOT NULL "
                       "AND replied_at IS NOT NULL)", name=op.f('ck_suggestions_replied_has_answer')),
    sa.CheckConstraint('(lat IS NULL) = (lon IS NULL)', name=op.f('ck_suggestions_whole_place')),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_suggestions_area_code_areas')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['users.id'], name=op.f('fk_suggestions_replied_by_id_users')),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], name=op.f('fk_suggestions_rider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestions'))
    )
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.create_index('ix_suggestions_area_newest', ['area_code', 'id'], unique=False)
        batch_op.create_index('ix_suggestions_rider_newest', ['rider_id', 'id'], unique=False)

    op.create_table('campaigns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_code', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=60), nullable=False),
    sa.Column('body', sa.String(length=2000), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('points_per_delivery', sa.Integer(), nullable=False),
    sa.Column('daily_cap', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('active', 'closed')", name=op.f('ck_campaigns_status')),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_campaigns_period')),
    sa.CheckConstraint('points_per_delivery BETWEEN 0 AND 10', name=op.f('ck_campaigns_points')),
    sa.CheckConstraint('daily_cap BETWEEN 1 AND 100', name=op.f('ck_campaigns_daily_cap')),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_campaigns_area_code_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_campaigns_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaigns'))
    )
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaigns_area_code'), ['area_code'], unique=False)

    op.create_table('campaign_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('rider_id', sa.Integer(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('credited', sa.Integer(), nullable=False),
    sa.Column('points', sa.Integer(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('grid_code', sa.String(length=32), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=True),
    sa.Column('china_day', sa.Date(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=100), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('count BETWEEN 1 AND 50', name=op.f('ck_campaign_deliveries_count')),
    sa.CheckConstraint('credited BETWEEN 0 AND count AND points >= 0',
                       name=op.f('ck_campaign_deliveries_credited')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'],
                            name=op.f('fk_campaign_deliveries_campaign_id_campaigns')),
    sa.ForeignKeyConstraint(['grid_code'], ['areas.code'], name=op.f('fk_campaign_deliveries_grid_code_areas')),
    sa.ForeignKeyConstraint(['rider_id'], ['users.id'], name=op.f('fk_campaign_deliveries_rider_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_deliveries')),
    sa.UniqueConstraint('rider_id', 'idempotency_key', name='uq_campaign_deliveries_rider_key')
    )
    with op.batch_alter_table('campaign_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_campaign_deliveries_cap', ['campaign_id', 'rider_id', 'china_day'],
                              unique=False)

    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint('uq_point_ledger_source_award', ['source', 'rider_id', 'reason'])
        batch_op.drop_constraint(op.f('ck_point_ledger_award_has_report'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_point_ledger_award_has_origin'),
            "reason = 'adjustment' OR (report_id IS NULL) <> (source IS NULL)")
        batch_op.drop_constraint(op.f('ck_point_ledger_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_point_ledger_reason'), f"reason IN ({NEW_REASONS})")


def downgrade():
    # Awards with a source have no place in the old ledger: their points leave the totals with them
    # (run `flask points rebuild` after a downgrade).
    op.execute("DELETE FROM point_ledger WHERE source IS NOT NULL")
    with op.batch_alter_table('point_ledger', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_point_ledger_reason'), type_='check')
        batch_op.create_check_constraint(op.f('ck_point_ledger_reason'), f"reason IN ({OLD_REASONS})")
        batch_op.drop_constraint(op.f('ck_point_ledger_award_has_origin'), type_='check')
        batch_op.create_check_constraint(op.f('ck_point_ledger_award_has_report'),
                                         "reason = 'adjustment' OR report_id IS NOT NULL")
        batch_op.drop_constraint('uq_point_ledger_source_award', type_='unique')
        batch_op.drop_column('source')

    with op.batch_alter_table('campaign_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_campaign_deliveries_cap')
    op.drop_table('campaign_deliveries')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaigns_area_code'))
    op.drop_table('campaigns')

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index('ix_suggestions_rider_newest')
        batch_op.drop_index('ix_suggestions_area_newest')
    op.drop_table('suggestions')

    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stations_area_code'))
    op.drop_table('stations')
