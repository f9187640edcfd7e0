"""``grid_state.road_network_version``: moves on only when an import changes the roads themselves,
not with a closure (which moves ``road_version`` alone). The routing engine rebuilds its contraction
hierarchy (minutes at province scale) on the first, and only re-customises its weights on the
second (dispatch/routing/hierarchy.py).

Revision ID: 0028
Revises: 0027
"""
import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('grid_state', sa.Column('road_network_version', sa.BigInteger(), server_default='1',
                                          nullable=False))
    op.execute("UPDATE grid_state SET road_network_version = nextval('grid_versions')")


def downgrade() -> None:
    op.drop_column('grid_state', 'road_network_version')
