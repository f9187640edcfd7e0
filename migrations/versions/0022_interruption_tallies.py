"""Customer interruptions tallied by quarter hour, zone, planned, cause and duration (filled from
the interruptions there are), in place of the log of writes that the per-process cache of past
years' daily SAIDI needed.

Revision ID: 0022
Revises: 0021
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('interruption_tallies',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('quarter', sa.DateTime(timezone=True), nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=True),
    sa.Column('planned', sa.Boolean(), nullable=False),
    sa.Column('cause', sa.Text(), nullable=True),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('interruptions', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interruption_tallies'))
    )
    op.create_index(op.f('ix_interruption_tallies_quarter'), 'interruption_tallies', ['quarter'])
    op.execute(
        "INSERT INTO interruption_tallies (quarter, zone_code, planned, cause, seconds, interruptions) "
        "SELECT date_bin('15 minutes', started_at, TIMESTAMPTZ '2000-01-01 00:00Z'), zone_code, planned, cause, "
        "date_part('epoch', restored_at - started_at), count(*) FROM customer_interruptions GROUP BY 1, 2, 3, 4, 5")
    op.drop_table('interruption_changes')


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('interruption_changes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('earliest_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interruption_changes'))
    )
    op.create_index(op.f('ix_interruption_changes_earliest_started_at'), 'interruption_changes',
                    ['earliest_started_at'])
    op.drop_table('interruption_tallies')
