"""The outbox of live messages, written in the transaction of each change, and the relay's progress.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('topic', sa.Text(), nullable=False),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('crew_ids', postgresql.ARRAY(sa.Integer()), server_default='{}', nullable=False),
    sa.CheckConstraint("topic IN ('incident', 'crew', 'closure', 'map', 'alert')", name=op.f('ck_outbox_topic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox'))
    )
    op.create_index('ix_outbox_at', 'outbox', ['at'], unique=False)
    op.create_table('outbox_relay',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('relayed_to', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('deleted_to', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_outbox_relay_one_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox_relay'))
    )
    op.execute("INSERT INTO outbox_relay (id) VALUES (1)")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_table('outbox_relay')
    op.drop_index('ix_outbox_at', table_name='outbox')
    op.drop_table('outbox')
