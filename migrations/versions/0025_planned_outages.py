"""Planned outages: the work planned on a switch for a window, the calls that joined one, and
their customers' notifications (a notification is about an incident or a planned outage).

Revision ID: 0025
Revises: 0024
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('planned_outages',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('switch_id', sa.Integer(), nullable=False),
    sa.Column('switching', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('planned_by', sa.Text(), nullable=False),
    sa.Column('state', sa.Text(), server_default='upcoming', nullable=False),
    sa.Column('revision', sa.Integer(), server_default='0', nullable=False),
    sa.Column('buses', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('customers_affected', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_by', sa.Text(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_by', sa.Text(), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_7d_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_24h_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('upcoming', 'out', 'restored', 'cancelled')", name=op.f('ck_planned_outages_state')),
    sa.CheckConstraint('window_end > window_start', name=op.f('ck_planned_outages_window_ends_after_start')),
    sa.ForeignKeyConstraint(['switch_id'], ['switches.id'], name=op.f('fk_planned_outages_switch_id')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_planned_outages_zone_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_outages'))
    )
    op.create_index('ix_planned_outages_window_start', 'planned_outages', ['window_start'], unique=False)
    op.create_table('planned_outage_calls',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('planned_outage_id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('channel_client_id', sa.Integer(), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('account_no', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('bus_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("channel IN ('hotline', 'ivr', 'app', 'wechat', 'sms', 'ami', 'staff')", name=op.f('ck_planned_outage_calls_channel')),
    sa.CheckConstraint("kind IN ('no_power', 'partial_power', 'low_voltage', 'flicker', 'wire_down', 'fire', 'other')", name=op.f('ck_planned_outage_calls_kind')),
    sa.ForeignKeyConstraint(['bus_id'], ['buses.id'], name=op.f('fk_planned_outage_calls_bus_id')),
    sa.ForeignKeyConstraint(['channel_client_id'], ['channel_clients.id'], name=op.f('fk_planned_outage_calls_channel_client_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_planned_outage_calls_customer_id')),
    sa.ForeignKeyConstraint(['planned_outage_id'], ['planned_outages.id'], name=op.f('fk_planned_outage_calls_planned_outage_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_planned_outage_calls'))
    )
    op.create_index(op.f('ix_planned_outage_calls_planned_outage_id'), 'planned_outage_calls', ['planned_outage_id'], unique=False)
    op.create_index('uq_planned_outage_calls_client_external_id', 'planned_outage_calls', ['channel_client_id', 'external_id'], unique=True, postgresql_where=sa.text('channel_client_id IS NOT NULL'))
    op.create_index('uq_planned_outage_calls_desk_external_id', 'planned_outage_calls', ['external_id'], unique=True, postgresql_where=sa.text('channel_client_id IS NULL'))
    op.alter_column('notifications', 'notice_id', existing_type=sa.BigInteger(), nullable=True)
    op.alter_column('notifications', 'incident_id', existing_type=sa.BigInteger(), nullable=True)
    op.add_column('notifications', sa.Column('planned_outage_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f('fk_notifications_planned_outage_id'), 'notifications', 'planned_outages', ['planned_outage_id'], ['id'])
    op.create_check_constraint(op.f('ck_notifications_one_subject'), 'notifications', '(incident_id IS NULL) <> (planned_outage_id IS NULL)')
    op.create_index('uq_notifications_planned', 'notifications', ['customer_id', 'planned_outage_id', 'stage', 'revision'], unique=True, postgresql_where=sa.text('planned_outage_id IS NOT NULL'))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("DELETE FROM notifications WHERE planned_outage_id IS NOT NULL")
    op.drop_index('uq_notifications_planned', table_name='notifications', postgresql_where=sa.text('planned_outage_id IS NOT NULL'))
    op.drop_constraint(op.f('ck_notifications_one_subject'), 'notifications', type_='check')
    op.drop_constraint(op.f('fk_notifications_planned_outage_id'), 'notifications', type_='foreignkey')
    op.drop_column('notifications', 'planned_outage_id')
    op.alter_column('notifications', 'incident_id', existing_type=sa.BigInteger(), nullable=False)
    op.alter_column('notifications', 'notice_id', existing_type=sa.BigInteger(), nullable=False)
    op.drop_index('uq_planned_outage_calls_desk_external_id', table_name='planned_outage_calls', postgresql_where=sa.text('channel_client_id IS NULL'))
    op.drop_index('uq_planned_outage_calls_client_external_id', table_name='planned_outage_calls', postgresql_where=sa.text('channel_client_id IS NOT NULL'))
    op.drop_index(op.f('ix_planned_outage_calls_planned_outage_id'), table_name='planned_outage_calls')
    op.drop_table('planned_outage_calls')
    op.drop_index('ix_planned_outages_window_start', table_name='planned_outages')
    op.drop_table('planned_outages')
