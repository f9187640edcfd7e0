"""Customer interruptions (recorded at restoration, imported from history, and a log of those writes)
and the switching log.

Revision ID: 0018
Revises: 0017
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('customer_interruptions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('account_no', sa.Text(), nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restored_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('planned', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('event_ref', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("source IN ('recorded', 'imported')", name=op.f('ck_customer_interruptions_source')),
    sa.CheckConstraint('restored_at >= started_at', name=op.f('ck_customer_interruptions_restored_after_start')),
    sa.CheckConstraint('(incident_id IS NOT NULL) <> (event_ref IS NOT NULL)',
                       name=op.f('ck_customer_interruptions_one_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_interruptions'))
    )
    op.create_index('uq_customer_interruptions_incident_account', 'customer_interruptions',
                    ['incident_id', 'account_no'], unique=True, postgresql_where=sa.text('incident_id IS NOT NULL'))
    op.create_index('uq_customer_interruptions_ref_account', 'customer_interruptions',
                    ['event_ref', 'account_no'], unique=True, postgresql_where=sa.text('event_ref IS NOT NULL'))
    op.create_index('ix_customer_interruptions_started_at', 'customer_interruptions', ['started_at'],
                    postgresql_include=['restored_at', 'planned', 'zone_code', 'account_no', 'cause'])
    op.create_index('ix_customer_interruptions_account_no', 'customer_interruptions', ['account_no'])
    op.create_index(op.f('ix_customer_interruptions_incident_id'), 'customer_interruptions', ['incident_id'])
    op.create_table('interruption_changes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('earliest_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interruption_changes'))
    )
    op.create_index(op.f('ix_interruption_changes_earliest_started_at'), 'interruption_changes',
                    ['earliest_started_at'])
    op.create_table('switch_operations',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('switch_code', sa.Text(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_switch_operations'))
    )
    op.create_index('ix_switch_operations_at', 'switch_operations', ['at'])


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_table('switch_operations')
    op.drop_table('interruption_changes')
    op.drop_table('customer_interruptions')
