"""channels: SMS and WeChat deliveries beside Web Push, notifications.seen_at, preferences, SMS usage

Revision ID: 0007_topic
Revises: 0005_points
Create Date: 2026-12-06 21:00:31.493273

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007_topic'
down_revision = '0005_points'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sms_usage',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('scope', sa.String(length=24), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.CheckConstraint('count >= 0', name=op.f('ck_sms_usage_count_non_negative')),
    sa.PrimaryKeyConstraint('day', 'scope', name=op.f('pk_sms_usage'))
    )
    op.create_table('wechat_tokens',
    sa.Column('app_id', sa.String(length=64), nullable=False),
    sa.Column('access_token', sa.String(length=512), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('app_id', name=op.f('pk_wechat_tokens'))
    )
    op.create_table('notification_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('sms_enabled', sa.Boolean(), nullable=False),
    sa.Column('wechat_enabled', sa.Boolean(), nullable=False),
    sa.Column('quiet_start', sa.String(length=5), nullable=True),
    sa.Column('quiet_end', sa.String(length=5), nullable=True),
    sa.Column('wechat_openid', sa.String(length=64), nullable=True),
    sa.Column('wechat_bound_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_preferences')),
    sa.UniqueConstraint('wechat_openid', name=op.f('uq_notification_preferences_wechat_openid'))
    )
    op.create_table('channel_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('notification_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claim_token', sa.String(length=32), nullable=True),
    sa.Column('charged', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('provider', sa.String(length=16), nullable=True),
    sa.Column('last_code', sa.String(length=64), nullable=True),
    sa.Column('last_error', sa.String(length=200), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('sms', 'wechat')", name=op.f('ck_channel_deliveries_channel')),
    sa.CheckConstraint("status IN ('pending', 'sent', 'failed', 'skipped')", name=op.f('ck_channel_deliveries_status')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_channel_deliveries_attempts_non_negative')),
    sa.ForeignKeyConstraint(['notification_id'], ['notifications.id'], name=op.f('fk_channel_deliveries_notification_id_notifications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_channel_deliveries_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_deliveries')),
    sa.UniqueConstraint('notification_id', 'channel', name='uq_channel_deliveries_notification_channel')
    )
    with op.batch_alter_table('channel_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_channel_deliveries_due', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_channel_deliveries_user_id'), ['user_id'], unique=False)

    op.create_table('channel_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('provider', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('message_id', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['channel_deliveries.id'], name=op.f('fk_channel_attempts_delivery_id_channel_deliveries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_attempts'))
    )
    with op.batch_alter_table('channel_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_channel_attempts_delivery_id'), ['delivery_id'], unique=False)

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_notifications_report_id', ['report_id'], unique=False)



def downgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_report_id')
        batch_op.drop_column('seen_at')

    with op.batch_alter_table('channel_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_attempts_delivery_id'))

    op.drop_table('channel_attempts')
    with op.batch_alter_table('channel_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_channel_deliveries_user_id'))
        batch_op.drop_index('ix_channel_deliveries_due')

    op.drop_table('channel_deliveries')
    op.drop_table('notification_preferences')
    op.drop_table('wechat_tokens')
    op.drop_table('sms_usage')
