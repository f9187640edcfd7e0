"""Locating and outage inference: trigram address search, phone digits, grouping calls by feeder
source, topology version.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.create_table('grid_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('topology_version', sa.BigInteger(), server_default='1', nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_grid_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grid_state'))
    )
    # Versions come from a sequence: never handed out twice, even by transactions that rolled back.
    op.execute("CREATE SEQUENCE topology_versions")
    op.execute("INSERT INTO grid_state (id, topology_version) VALUES (1, nextval('topology_versions'))")
    op.add_column('customers', sa.Column('phone_digits', sa.Text(), sa.Computed("regexp_replace(phone, '[^0-9]', '', 'g')", persisted=True), nullable=False))
    op.drop_index(op.f('ix_customers_phone'), table_name='customers')
    op.create_index('ix_customers_address_trgm', 'customers', ['address'], unique=False, postgresql_using='gist', postgresql_ops={'address': 'gist_trgm_ops'})
    op.create_index(op.f('ix_customers_phone_digits'), 'customers', ['phone_digits'], unique=False)
    op.add_column('incidents', sa.Column('source_id', sa.Integer(), nullable=True))
    op.add_column('incidents', sa.Column('zone_defaulted', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('incidents', sa.Column('report_count', sa.Integer(), server_default='0', nullable=False))
    op.alter_column('incidents', 'geom',
               existing_type=Geometry(geometry_type='POINT', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=False, _spatial_index_reflected=True),
               nullable=True)
    op.create_index(op.f('ix_incidents_source_id'), 'incidents', ['source_id'], unique=False)
    op.create_foreign_key(op.f('fk_incidents_source_id'), 'incidents', 'sources', ['source_id'], ['id'])
    op.add_column('reports', sa.Column('zone_defaulted', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('reports', sa.Column('source_id', sa.Integer(), nullable=True))
    op.add_column('reports', sa.Column('arrival_deadline', sa.DateTime(timezone=True), nullable=False))
    op.drop_constraint(op.f('ck_incidents_device_kind'), 'incidents', type_='check')
    op.create_check_constraint(op.f('ck_incidents_device_kind'), 'incidents',
                               "device_kind IN ('source', 'switch', 'transformer', 'location')")
    op.create_index('ix_reports_source_id_received_at', 'reports', ['source_id', 'received_at'], unique=False)
    op.create_foreign_key(op.f('fk_reports_source_id'), 'reports', 'sources', ['source_id'], ['id'])


def downgrade() -> None:
    op.drop_constraint(op.f('fk_reports_source_id'), 'reports', type_='foreignkey')
    op.drop_index('ix_reports_source_id_received_at', table_name='reports')
    op.drop_column('reports', 'arrival_deadline')
    op.drop_column('reports', 'source_id')
    op.drop_constraint(op.f('ck_incidents_device_kind'), 'incidents', type_='check')
    op.create_check_constraint(op.f('ck_incidents_device_kind'), 'incidents',
                               "device_kind IN ('source', 'line', 'switch', 'transformer', 'customer', 'location')")
    op.drop_column('reports', 'zone_defaulted')
    op.drop_constraint(op.f('fk_incidents_source_id'), 'incidents', type_='foreignkey')
    op.drop_index(op.f('ix_incidents_source_id'), table_name='incidents')
    op.alter_column('incidents', 'geom',
               existing_type=Geometry(geometry_type='POINT', srid=4326, dimension=2, from_text='ST_GeomFromEWKT', name='geometry', nullable=False, _spatial_index_reflected=True),
               nullable=False)
    op.drop_column('incidents', 'report_count')
    op.drop_column('incidents', 'zone_defaulted')
    op.drop_column('incidents', 'source_id')
    op.drop_index(op.f('ix_customers_phone_digits'), table_name='customers')
    op.drop_index('ix_customers_address_trgm', table_name='customers', postgresql_using='gist', postgresql_ops={'address': 'gist_trgm_ops'})
    op.create_index(op.f('ix_customers_phone'), 'customers', ['phone'], unique=False)
    op.drop_column('customers', 'phone_digits')
    op.drop_table('grid_state')
    op.execute("DROP SEQUENCE topology_versions")
    op.execute("DROP EXTENSION IF EXISTS pg_trgm")
