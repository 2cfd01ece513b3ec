"""integrations: hashed API keys scoped to an area, reports they file, the status-callback outbox

Revision ID: 0012_topic
Revises: 0007_topic
Create Date: 2026-12-06 22:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012_topic'
down_revision = '0007_topic'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('integrations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('area_code', sa.String(length=32), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('key_prefix', sa.String(length=12), nullable=False),
    sa.Column('callback_url', sa.String(length=500), nullable=True),
    sa.Column('callback_secret', sa.String(length=64), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['area_code'], ['areas.code'], name=op.f('fk_integrations_area_code_areas')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_integrations_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integrations')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_integrations_key_hash'))
    )
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.alter_column('reporter_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('integration_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_reports_integration_id'), ['integration_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_reports_integration_id_integrations'), 'integrations',
                                    ['integration_id'], ['id'])
        batch_op.create_unique_constraint('uq_reports_integration_external_id',
                                          ['integration_id', 'external_id'])
        batch_op.create_check_constraint(op.f('ck_reports_has_source'),
                                         'reporter_id IS NOT NULL OR integration_id IS NOT NULL')

    op.create_table('callback_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('integration_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('last_status', sa.Integer(), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed')", name=op.f('ck_callback_deliveries_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_callback_deliveries_attempts_non_negative')),
    sa.ForeignKeyConstraint(['event_id'], ['report_events.id'],
                            name=op.f('fk_callback_deliveries_event_id_report_events')),
    sa.ForeignKeyConstraint(['integration_id'], ['integrations.id'],
                            name=op.f('fk_callback_deliveries_integration_id_integrations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_callback_deliveries_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callback_deliveries')),
    sa.UniqueConstraint('integration_id', 'event_id', name='uq_callback_deliveries_integration_event')
    )
    with op.batch_alter_table('callback_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_callback_deliveries_due', ['status', 'next_attempt_at'], unique=False)


def downgrade():
    with op.batch_alter_table('callback_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_callback_deliveries_due')
    op.drop_table('callback_deliveries')
    # Reports without a rider cannot survive a schema where every report has one.
    op.execute("DELETE FROM report_events WHERE report_id IN (SELECT id FROM reports WHERE reporter_id IS NULL)")
    op.execute("DELETE FROM report_photos WHERE report_id IN (SELECT id FROM reports WHERE reporter_id IS NULL)")
    op.execute("DELETE FROM notifications WHERE report_id IN (SELECT id FROM reports WHERE reporter_id IS NULL)")
    op.execute("UPDATE reports SET duplicate_of_id = NULL WHERE duplicate_of_id IN "
               "(SELECT id FROM reports WHERE reporter_id IS NULL)")
    op.execute("DELETE FROM reports WHERE reporter_id IS NULL")
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_reports_has_source'), type_='check')
        batch_op.drop_constraint('uq_reports_integration_external_id', type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_reports_integration_id_integrations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_reports_integration_id'))
        batch_op.drop_column('external_id')
        batch_op.drop_column('integration_id')
        batch_op.alter_column('reporter_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('integrations')
