"""Partial spatial indexes for the map's low zooms: medium-voltage lines, major and secondary roads.

A tile below zoom 14 draws only these (dispatch/gis/tiles_store.py); with the whole table's index
alone, a city-wide tile read every low-voltage line and street under it and threw most away.

Revision ID: 0013
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

MAJOR_ROADS = "highway IN ('motorway', 'motorway_link', 'trunk', 'trunk_link', 'primary', 'primary_link')"
SECONDARY_ROADS = ("highway IN ('motorway', 'motorway_link', 'trunk', 'trunk_link', 'primary', 'primary_link', "
                   "'secondary', 'secondary_link', 'tertiary', 'tertiary_link')")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_index('ix_lines_geom_mv', 'lines', ['geom'], unique=False, postgresql_using='gist',
                    postgresql_where=sa.text('voltage_kv >= 1'))
    op.create_index('ix_roads_geom_major', 'roads', ['geom'], unique=False, postgresql_using='gist',
                    postgresql_where=sa.text(MAJOR_ROADS))
    op.create_index('ix_roads_geom_secondary', 'roads', ['geom'], unique=False, postgresql_using='gist',
                    postgresql_where=sa.text(SECONDARY_ROADS))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index('ix_roads_geom_secondary', table_name='roads', postgresql_using='gist')
    op.drop_index('ix_roads_geom_major', table_name='roads', postgresql_using='gist')
    op.drop_index('ix_lines_geom_mv', table_name='lines', postgresql_using='gist')
