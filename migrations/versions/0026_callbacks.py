"""Call-backs after restoration: each customer who called about an incident is asked, once it is
restored, whether power is back.

Revision ID: 0026
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('callbacks',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('report_id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Text(), server_default='pending', nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Text(), nullable=True),
    sa.Column('answer_client_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('new_incident_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'power_back', 'still_out', 'unreachable')", name=op.f('ck_callbacks_status')),
    sa.CheckConstraint('customer_id IS NOT NULL OR phone IS NOT NULL', name=op.f('ck_callbacks_someone_to_call')),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_callbacks_attempts_nonnegative')),
    sa.ForeignKeyConstraint(['answer_client_id'], ['channel_clients.id'], name=op.f('fk_callbacks_answer_client_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_callbacks_customer_id')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_callbacks_incident_id')),
    sa.ForeignKeyConstraint(['new_incident_id'], ['incidents.id'], name=op.f('fk_callbacks_new_incident_id')),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_callbacks_report_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_callbacks'))
    )
    op.create_index('ix_callbacks_pending_due', 'callbacks', ['due_at', 'id'], unique=False, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('uq_callbacks_customer', 'callbacks', ['incident_id', 'customer_id'], unique=True, postgresql_where=sa.text('customer_id IS NOT NULL'))
    op.create_index('uq_callbacks_phone', 'callbacks', ['incident_id', 'phone'], unique=True, postgresql_where=sa.text('customer_id IS NULL'))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index('uq_callbacks_phone', table_name='callbacks', postgresql_where=sa.text('customer_id IS NULL'))
    op.drop_index('uq_callbacks_customer', table_name='callbacks', postgresql_where=sa.text('customer_id IS NOT NULL'))
    op.drop_index('ix_callbacks_pending_due', table_name='callbacks', postgresql_where=sa.text("status = 'pending'"))
    op.drop_table('callbacks')
