"""Grid: zones, buses, sources, lines, switches, transformers, customers.

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('buses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('voltage_kv', sa.Float(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('voltage_kv > 0', name=op.f('ck_buses_voltage_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_buses')),
    sa.UniqueConstraint('code', name=op.f('uq_buses_code'))
    )
    op.create_geospatial_index('ix_buses_geom', 'buses', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('zones',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('class', sa.Text(), nullable=False),
    sa.Column('arrival_target_min', sa.Integer(), nullable=True),
    sa.Column('restore_target_min', sa.Integer(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='MULTIPOLYGON', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("class IN ('urban', 'rural', 'remote')", name=op.f('ck_zones_class')),
    sa.CheckConstraint('arrival_target_min > 0', name=op.f('ck_zones_arrival_target_positive')),
    sa.CheckConstraint('restore_target_min > 0', name=op.f('ck_zones_restore_target_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zones')),
    sa.UniqueConstraint('code', name=op.f('uq_zones_code'))
    )
    op.create_geospatial_index('ix_zones_geom', 'zones', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('from_bus_id', sa.Integer(), nullable=False),
    sa.Column('to_bus_id', sa.Integer(), nullable=False),
    sa.Column('voltage_kv', sa.Float(), nullable=False),
    sa.Column('feeder', sa.Text(), nullable=True),
    sa.Column('length_m', sa.Float(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='LINESTRING', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('from_bus_id <> to_bus_id', name=op.f('ck_lines_distinct_buses')),
    sa.CheckConstraint('voltage_kv > 0', name=op.f('ck_lines_voltage_positive')),
    sa.ForeignKeyConstraint(['from_bus_id'], ['buses.id'], name=op.f('fk_lines_from_bus_id')),
    sa.ForeignKeyConstraint(['to_bus_id'], ['buses.id'], name=op.f('fk_lines_to_bus_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lines')),
    sa.UniqueConstraint('code', name=op.f('uq_lines_code'))
    )
    op.create_index(op.f('ix_lines_from_bus_id'), 'lines', ['from_bus_id'], unique=False)
    op.create_geospatial_index('ix_lines_geom', 'lines', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_lines_to_bus_id'), 'lines', ['to_bus_id'], unique=False)
    op.create_geospatial_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('bus_id', sa.Integer(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['bus_id'], ['buses.id'], name=op.f('fk_sources_bus_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources')),
    sa.UniqueConstraint('code', name=op.f('uq_sources_code'))
    )
    op.create_index(op.f('ix_sources_bus_id'), 'sources', ['bus_id'], unique=False)
    op.create_geospatial_index('ix_sources_geom', 'sources', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_geospatial_table('switches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('from_bus_id', sa.Integer(), nullable=False),
    sa.Column('to_bus_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('normally_open', sa.Boolean(), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("kind IN ('breaker', 'recloser', 'fuse', 'sectionalizer', 'disconnector')", name=op.f('ck_switches_kind')),
    sa.CheckConstraint('from_bus_id <> to_bus_id', name=op.f('ck_switches_distinct_buses')),
    sa.ForeignKeyConstraint(['from_bus_id'], ['buses.id'], name=op.f('fk_switches_from_bus_id')),
    sa.ForeignKeyConstraint(['to_bus_id'], ['buses.id'], name=op.f('fk_switches_to_bus_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_switches')),
    sa.UniqueConstraint('code', name=op.f('uq_switches_code'))
    )
    op.create_index(op.f('ix_switches_from_bus_id'), 'switches', ['from_bus_id'], unique=False)
    op.create_geospatial_index('ix_switches_geom', 'switches', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_switches_to_bus_id'), 'switches', ['to_bus_id'], unique=False)
    op.create_geospatial_table('transformers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('hv_bus_id', sa.Integer(), nullable=False),
    sa.Column('lv_bus_id', sa.Integer(), nullable=False),
    sa.Column('kva', sa.Float(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('hv_bus_id <> lv_bus_id', name=op.f('ck_transformers_distinct_buses')),
    sa.CheckConstraint('kva > 0', name=op.f('ck_transformers_kva_positive')),
    sa.ForeignKeyConstraint(['hv_bus_id'], ['buses.id'], name=op.f('fk_transformers_hv_bus_id')),
    sa.ForeignKeyConstraint(['lv_bus_id'], ['buses.id'], name=op.f('fk_transformers_lv_bus_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transformers')),
    sa.UniqueConstraint('code', name=op.f('uq_transformers_code'))
    )
    op.create_geospatial_index('ix_transformers_geom', 'transformers', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_transformers_hv_bus_id'), 'transformers', ['hv_bus_id'], unique=False)
    op.create_index(op.f('ix_transformers_lv_bus_id'), 'transformers', ['lv_bus_id'], unique=False)
    op.create_geospatial_table('customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account_no', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('address', sa.Text(), nullable=False),
    sa.Column('bus_id', sa.Integer(), nullable=True),
    sa.Column('transformer_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.Text(), nullable=False),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('props', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("priority IN ('normal', 'important', 'critical', 'life_support')", name=op.f('ck_customers_priority')),
    sa.CheckConstraint('bus_id IS NOT NULL OR transformer_id IS NOT NULL', name=op.f('ck_customers_attached')),
    sa.ForeignKeyConstraint(['bus_id'], ['buses.id'], name=op.f('fk_customers_bus_id')),
    sa.ForeignKeyConstraint(['transformer_id'], ['transformers.id'], name=op.f('fk_customers_transformer_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers')),
    sa.UniqueConstraint('account_no', name=op.f('uq_customers_account_no'))
    )
    op.create_index(op.f('ix_customers_bus_id'), 'customers', ['bus_id'], unique=False)
    op.create_geospatial_index('ix_customers_geom', 'customers', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_customers_phone'), 'customers', ['phone'], unique=False)
    op.create_index(op.f('ix_customers_transformer_id'), 'customers', ['transformer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_customers_transformer_id'), table_name='customers')
    op.drop_index(op.f('ix_customers_phone'), table_name='customers')
    op.drop_geospatial_index('ix_customers_geom', table_name='customers', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_customers_bus_id'), table_name='customers')
    op.drop_geospatial_table('customers')
    op.drop_index(op.f('ix_transformers_lv_bus_id'), table_name='transformers')
    op.drop_index(op.f('ix_transformers_hv_bus_id'), table_name='transformers')
    op.drop_geospatial_index('ix_transformers_geom', table_name='transformers', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('transformers')
    op.drop_index(op.f('ix_switches_to_bus_id'), table_name='switches')
    op.drop_geospatial_index('ix_switches_geom', table_name='switches', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_switches_from_bus_id'), table_name='switches')
    op.drop_geospatial_table('switches')
    op.drop_geospatial_index('ix_sources_geom', table_name='sources', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_sources_bus_id'), table_name='sources')
    op.drop_geospatial_table('sources')
    op.drop_index(op.f('ix_lines_to_bus_id'), table_name='lines')
    op.drop_geospatial_index('ix_lines_geom', table_name='lines', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_lines_from_bus_id'), table_name='lines')
    op.drop_geospatial_table('lines')
    op.drop_geospatial_index('ix_zones_geom', table_name='zones', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('zones')
    op.drop_geospatial_index('ix_buses_geom', table_name='buses', postgresql_using='gist', column_name='geom')
    op.drop_geospatial_table('buses')
