"""Customer notifications: the notices of incidents' stages (written with the change), the
messages fanned out from them (one per customer, or zone's service person, and stage), and the
customers' opt-out.

Revision ID: 0023
Revises: 0022
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('incident_notices',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), server_default='0', nullable=False),
    sa.Column('etr_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fanned_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("stage IN ('received', 'en_route', 'on_site', 'etr_changed', 'restored')", name=op.f('ck_incident_notices_stage')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_notices_incident_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_notices')),
    sa.UniqueConstraint('incident_id', 'stage', 'revision', name=op.f('uq_incident_notices_incident_id_stage_revision'))
    )
    op.create_index('ix_incident_notices_pending', 'incident_notices', ['id'], unique=False, postgresql_where=sa.text('fanned_out_at IS NULL'))
    op.create_table('notifications',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('notice_id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('stage', sa.Text(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Text(), server_default='pending', nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed', 'skipped')", name=op.f('ck_notifications_status')),
    sa.CheckConstraint('(customer_id IS NULL) <> (zone_id IS NULL)', name=op.f('ck_notifications_one_recipient')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_notifications_customer_id')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_notifications_incident_id')),
    sa.ForeignKeyConstraint(['notice_id'], ['incident_notices.id'], name=op.f('fk_notifications_notice_id')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_notifications_zone_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications'))
    )
    op.create_index('ix_notifications_due', 'notifications', ['next_attempt_at'], unique=False, postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.create_index('ix_notifications_incident_id', 'notifications', ['incident_id'], unique=False)
    op.create_index('uq_notifications_customer', 'notifications', ['customer_id', 'incident_id', 'stage', 'revision'], unique=True, postgresql_where=sa.text('customer_id IS NOT NULL'))
    op.create_index('uq_notifications_zone', 'notifications', ['zone_id', 'incident_id', 'stage', 'revision'], unique=True, postgresql_where=sa.text('zone_id IS NOT NULL'))
    op.add_column('customers', sa.Column('notify_opt_out', sa.Boolean(), server_default='false', nullable=False))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_column('customers', 'notify_opt_out')
    op.drop_index('uq_notifications_zone', table_name='notifications', postgresql_where=sa.text('zone_id IS NOT NULL'))
    op.drop_index('uq_notifications_customer', table_name='notifications', postgresql_where=sa.text('customer_id IS NOT NULL'))
    op.drop_index('ix_notifications_incident_id', table_name='notifications')
    op.drop_index('ix_notifications_due', table_name='notifications', postgresql_where=sa.text("status IN ('pending', 'sending')"))
    op.drop_table('notifications')
    op.drop_index('ix_incident_notices_pending', table_name='incident_notices', postgresql_where=sa.text('fanned_out_at IS NULL'))
    op.drop_table('incident_notices')
