"""``grid_state.grid_version``: moves on only when an import changes the grid itself (buses, lines,
switches, transformers, sources, customers), not with a switching (which moves
``topology_version`` alone). A process whose topology is of the same grid then reads the
switches' states only and traces again from what it holds: a fraction of a second at province
scale, where reading and tracing the whole grid took every process seconds after each switching.

Revision ID: 0032
Revises: 0031
"""
import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('grid_state', sa.Column('grid_version', sa.BigInteger(), server_default='1', nullable=False))
    op.execute("UPDATE grid_state SET grid_version = nextval('grid_versions')")


def downgrade() -> None:
    op.drop_column('grid_state', 'grid_version')
