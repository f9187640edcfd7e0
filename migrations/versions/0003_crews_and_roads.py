"""Depots, crews, crew position history, road network.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('depots',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_depots')),
    sa.UniqueConstraint('code', name=op.f('uq_depots_code'))
    )
    op.create_geospatial_index('ix_depots_geom', 'depots', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('road_nodes',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('x_e7', sa.BigInteger(), nullable=False),
    sa.Column('y_e7', sa.BigInteger(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_nodes')),
    sa.UniqueConstraint('x_e7', 'y_e7', name=op.f('uq_road_nodes_x_e7_y_e7'))
    )
    op.create_geospatial_index('ix_road_nodes_geom', 'road_nodes', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('crews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('members', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False),
    sa.Column('headcount', sa.Integer(), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('skills', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False),
    sa.Column('on_duty', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('status', sa.Text(), server_default='available', nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('position_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("status IN ('available', 'assigned', 'en_route', 'on_site', 'off_duty')", name=op.f('ck_crews_status')),
    sa.CheckConstraint('headcount > 0', name=op.f('ck_crews_headcount_positive')),
    sa.ForeignKeyConstraint(['depot_id'], ['depots.id'], name=op.f('fk_crews_depot_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crews')),
    sa.UniqueConstraint('code', name=op.f('uq_crews_code'))
    )
    op.create_index(op.f('ix_crews_depot_id'), 'crews', ['depot_id'], unique=False)
    op.create_geospatial_index('ix_crews_geom', 'crews', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('roads',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('source_node_id', sa.BigInteger(), nullable=False),
    sa.Column('target_node_id', sa.BigInteger(), nullable=False),
    sa.Column('highway', sa.Text(), nullable=False),
    sa.Column('maxspeed_kmh', sa.Float(), nullable=True),
    sa.Column('oneway', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("oneway IN ('no', 'yes', '-1')", name=op.f('ck_roads_oneway')),
    sa.CheckConstraint('maxspeed_kmh IS NULL OR maxspeed_kmh > 0', name=op.f('ck_roads_maxspeed_positive')),
    sa.ForeignKeyConstraint(['source_node_id'], ['road_nodes.id'], name=op.f('fk_roads_source_node_id')),
    sa.ForeignKeyConstraint(['target_node_id'], ['road_nodes.id'], name=op.f('fk_roads_target_node_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roads')),
    sa.UniqueConstraint('code', name=op.f('uq_roads_code'))
    )
    op.create_geospatial_index('ix_roads_geom', 'roads', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_roads_source_node_id'), 'roads', ['source_node_id'], unique=False)
    op.create_index(op.f('ix_roads_target_node_id'), 'roads', ['target_node_id'], unique=False)
    op.create_geospatial_table('crew_positions',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('accuracy_m', sa.Float(), nullable=True),
    sa.Column('speed_mps', sa.Float(), nullable=True),
    sa.Column('heading_deg', sa.Float(), nullable=True),
    sa.Column('extra', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.CheckConstraint('accuracy_m IS NULL OR accuracy_m >= 0', name=op.f('ck_crew_positions_accuracy_nonnegative')),
    sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_crew_positions_crew_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_crew_positions'))
    )
    op.create_index('ix_crew_positions_crew_id_at', 'crew_positions', ['crew_id', 'at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_crew_positions_crew_id_at', table_name='crew_positions')
    op.drop_geospatial_table('crew_positions')
    op.drop_index(op.f('ix_roads_target_node_id'), table_name='roads')
    op.drop_index(op.f('ix_roads_source_node_id'), table_name='roads')
    op.drop_geospatial_index('ix_roads_geom', table_name='roads', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('roads')
    op.drop_geospatial_index('ix_crews_geom', table_name='crews', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_crews_depot_id'), table_name='crews')
    op.drop_geospatial_table('crews')
    op.drop_geospatial_index('ix_road_nodes_geom', table_name='road_nodes', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('road_nodes')
    op.drop_geospatial_index('ix_depots_geom', table_name='depots', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('depots')
