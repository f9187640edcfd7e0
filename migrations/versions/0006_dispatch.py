"""Dispatch: road closures and the road graph's version, crews' snapped positions, incident
lifecycle times, SLA warnings recorded once, the open-incidents index of the intake hot path.

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry
from sqlalchemy.dialects import postgresql

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


OPEN = "('new', 'assigned', 'accepted', 'en_route', 'on_site')"


def upgrade() -> None:
    op.create_geospatial_table('road_closures',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('road_ids', postgresql.ARRAY(sa.BigInteger()), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('geom', Geometry(srid=4326, dimension=2, spatial_index=False, from_text='ST_GeomFromEWKT', name='geometry'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('reopened_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_road_closures'))
    )
    op.add_column('crews', sa.Column('position_node_id', sa.BigInteger(), nullable=True))
    op.add_column('grid_state', sa.Column('road_version', sa.BigInteger(), server_default='1', nullable=False))
    op.create_index('uq_incident_events_sla_once', 'incident_events', ['incident_id', 'type'], unique=True, postgresql_where=sa.text("type IN ('at_risk', 'breached', 'restoration_breached')"))
    op.add_column('incidents', sa.Column('critical_customers', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('incidents', sa.Column('required_skill', sa.Text(), server_default='lv', nullable=False))
    op.add_column('incidents', sa.Column('road_node_id', sa.BigInteger(), nullable=True))
    op.add_column('incidents', sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('eta_s', sa.Float(), nullable=True))
    op.add_column('incidents', sa.Column('on_site_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('restored_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('road_nodes', sa.Column('routable', sa.Boolean(), server_default='true', nullable=False))
    op.execute("ALTER SEQUENCE topology_versions RENAME TO grid_versions")
    op.execute("UPDATE grid_state SET road_version = nextval('grid_versions')")
    op.create_index('ix_incidents_open_by_source', 'incidents', ['source_id'], unique=False,
                    postgresql_where=sa.text(f"status IN {OPEN} AND NOT hazard AND NOT unlocated"))


def downgrade() -> None:
    op.drop_index('ix_incidents_open_by_source', table_name='incidents')
    op.execute("ALTER SEQUENCE grid_versions RENAME TO topology_versions")
    op.drop_column('road_nodes', 'routable')
    op.drop_column('incidents', 'closed_at')
    op.drop_column('incidents', 'restored_at')
    op.drop_column('incidents', 'on_site_at')
    op.drop_column('incidents', 'eta_s')
    op.drop_column('incidents', 'assigned_at')
    op.drop_column('incidents', 'road_node_id')
    op.drop_column('incidents', 'required_skill')
    op.drop_column('incidents', 'critical_customers')
    op.drop_index('uq_incident_events_sla_once', table_name='incident_events')
    op.drop_column('grid_state', 'road_version')
    op.drop_column('crews', 'position_node_id')
    op.drop_geospatial_table('road_closures')
