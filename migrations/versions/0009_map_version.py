"""The map's version, moved on by imports and switching, so that cached map tiles are checked cheaply.

Revision ID: 0009
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column('grid_state', sa.Column('map_version', sa.BigInteger(), server_default='1', nullable=False))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_column('grid_state', 'map_version')
