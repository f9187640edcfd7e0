"""The tripped switches by a partial index: inference reads them on most storm calls, and a
province has tens of thousands of switches (a scan took 30 ms a call). The column's statistics
too: a grid import analysed the columns looked up then, not this one, and the planner, guessing
that most switches are tripped, would scan them all anyway.

Revision ID: 0031
Revises: 0030
"""
import sqlalchemy as sa
from alembic import op

revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_index('ix_switches_tripped', 'switches', ['id'], unique=False,
                    postgresql_where=sa.text('tripped_at IS NOT NULL'))
    op.execute("ANALYZE switches (tripped_at)")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index('ix_switches_tripped', table_name='switches', postgresql_where=sa.text('tripped_at IS NOT NULL'))
