"""Evidence beyond calls: smart-meter events, SCADA device events, tripped switches, nested outages.

Revision ID: 0021
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('meter_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('event_key', sa.Text(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("kind IN ('last_gasp', 'power_restored')", name=op.f('ck_meter_events_kind')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_meter_events_customer_id_customers')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_meter_events_report_id_reports')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meter_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_meter_events_event_key'))
    )
    op.create_index('ix_meter_events_customer_id_at', 'meter_events', ['customer_id', 'at'])
    op.create_index('ix_meter_events_at', 'meter_events', ['at'])
    op.create_table('device_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('event_key', sa.Text(), nullable=False),
    sa.Column('device_code', sa.Text(), nullable=False),
    sa.Column('operation', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('effect', sa.Text(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.CheckConstraint("operation IN ('open', 'lockout', 'closed')", name=op.f('ck_device_events_operation')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_device_events_incident_id_incidents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_events')),
    sa.UniqueConstraint('event_key', name=op.f('uq_device_events_event_key'))
    )
    op.create_index('ix_device_events_device_code_at', 'device_events', ['device_code', 'at'])
    op.add_column('switches', sa.Column('tripped_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('parent_incident_id', sa.BigInteger(), nullable=True))
    op.create_foreign_key(op.f('fk_incidents_parent_incident_id_incidents'), 'incidents', 'incidents',
                          ['parent_incident_id'], ['id'])
    op.create_index(op.f('ix_incidents_parent_incident_id'), 'incidents', ['parent_incident_id'])
    op.create_index('ix_incidents_restored_at', 'incidents', ['restored_at'])
    # Head-ends name meters, not accounts: the meter number is the customer layer's "meter" property.
    op.execute("CREATE INDEX ix_customers_meter ON customers ((props->>'meter')) WHERE props ? 'meter'")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute("DROP INDEX ix_customers_meter")
    op.drop_index('ix_incidents_restored_at', table_name='incidents')
    op.drop_index(op.f('ix_incidents_parent_incident_id'), table_name='incidents')
    op.drop_constraint(op.f('fk_incidents_parent_incident_id_incidents'), 'incidents', type_='foreignkey')
    op.drop_column('incidents', 'parent_incident_id')
    op.drop_column('switches', 'tripped_at')
    op.drop_index('ix_device_events_device_code_at', table_name='device_events')
    op.drop_table('device_events')
    op.drop_index('ix_meter_events_at', table_name='meter_events')
    op.drop_index('ix_meter_events_customer_id_at', table_name='meter_events')
    op.drop_table('meter_events')
