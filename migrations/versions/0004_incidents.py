"""Incidents, customer fault reports and the incident timeline.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_geospatial_table('incidents',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Text(), server_default='new', nullable=False),
    sa.Column('device_kind', sa.Text(), nullable=False),
    sa.Column('device_id', sa.BigInteger(), nullable=True),
    sa.Column('device_code', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry', nullable=False), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('zone_class', sa.Text(), nullable=False),
    sa.Column('unlocated', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('hazard', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('customers_affected', sa.Integer(), server_default='0', nullable=False),
    sa.Column('first_report_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('arrival_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('restore_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.BigInteger(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(status = 'merged') = (merged_into_id IS NOT NULL)", name=op.f('ck_incidents_merged_has_target')),
    sa.CheckConstraint("device_kind IN ('source', 'line', 'switch', 'transformer', 'customer', 'location')", name=op.f('ck_incidents_device_kind')),
    sa.CheckConstraint("status IN ('new', 'assigned', 'accepted', 'en_route', 'on_site', 'restored', 'closed', 'cancelled', 'merged')", name=op.f('ck_incidents_status')),
    sa.CheckConstraint("zone_class IN ('urban', 'rural', 'remote')", name=op.f('ck_incidents_zone_class')),
    sa.CheckConstraint('customers_affected >= 0', name=op.f('ck_incidents_customers_affected_nonnegative')),
    sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_incidents_crew_id')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['incidents.id'], name=op.f('fk_incidents_merged_into_id')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_incidents_zone_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incidents'))
    )
    op.create_index(op.f('ix_incidents_crew_id'), 'incidents', ['crew_id'], unique=False)
    op.create_geospatial_index('ix_incidents_geom', 'incidents', ['geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index('ix_incidents_status', 'incidents', ['status'], unique=False)
    op.create_index(op.f('ix_incidents_zone_id'), 'incidents', ['zone_id'], unique=False)
    op.create_geospatial_table('incident_events',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('actor', sa.Text(), nullable=True),
    sa.Column('geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('data', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_incident_events_incident_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident_events'))
    )
    op.create_index('ix_incident_events_incident_id_at', 'incident_events', ['incident_id', 'at'], unique=False)
    op.create_geospatial_table('reports',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Text(), server_default='no_power', nullable=False),
    sa.Column('hazard', sa.Boolean(), server_default='false', nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('account_no', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('reported_geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('located_method', sa.Text(), nullable=True),
    sa.Column('located_geom', Geometry(geometry_type='POINT', srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('bus_id', sa.Integer(), nullable=True),
    sa.Column('transformer_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('distance_m', sa.Float(), nullable=True),
    sa.Column('incident_id', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("channel IN ('hotline', 'app', 'wechat', 'sms', 'ami', 'staff')", name=op.f('ck_reports_channel')),
    sa.CheckConstraint("kind IN ('no_power', 'partial_power', 'low_voltage', 'flicker', 'wire_down', 'fire', 'other')", name=op.f('ck_reports_kind')),
    sa.CheckConstraint('distance_m IS NULL OR distance_m >= 0', name=op.f('ck_reports_distance_nonnegative')),
    sa.ForeignKeyConstraint(['bus_id'], ['buses.id'], name=op.f('fk_reports_bus_id')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_reports_customer_id')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_reports_incident_id')),
    sa.ForeignKeyConstraint(['transformer_id'], ['transformers.id'], name=op.f('fk_reports_transformer_id')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_reports_zone_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('external_id', name=op.f('uq_reports_external_id'))
    )
    op.create_index(op.f('ix_reports_customer_id'), 'reports', ['customer_id'], unique=False)
    op.create_index(op.f('ix_reports_incident_id'), 'reports', ['incident_id'], unique=False)
    op.create_geospatial_index('ix_reports_located_geom', 'reports', ['located_geom'], unique=False, postgresql_using='gist', postgresql_ops={})
    op.create_index(op.f('ix_reports_transformer_id'), 'reports', ['transformer_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_reports_transformer_id'), table_name='reports')
    op.drop_geospatial_index('ix_reports_located_geom', table_name='reports', postgresql_using='gist', column_name='located_geom')
    op.drop_index(op.f('ix_reports_incident_id'), table_name='reports')
    op.drop_index(op.f('ix_reports_customer_id'), table_name='reports')
    op.drop_geospatial_table('reports')
    op.drop_index('ix_incident_events_incident_id_at', table_name='incident_events')
    op.drop_geospatial_table('incident_events')
    op.drop_index(op.f('ix_incidents_zone_id'), table_name='incidents')
    op.drop_index('ix_incidents_status', table_name='incidents')
    op.drop_geospatial_index('ix_incidents_geom', table_name='incidents', postgresql_using='gist', column_name='geom')
    op.drop_index(op.f('ix_incidents_crew_id'), table_name='incidents')
    op.drop_geospatial_table('incidents')
