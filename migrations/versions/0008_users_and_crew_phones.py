"""Users, roles and bearer tokens; crew phones: idempotent events, the arrival check, replayed
position batches stored once, a queue of next jobs per crew.

Revision ID: 0008
Revises: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Busy tables (incidents, crew positions) are altered: wait for a lock 10 s at most, rather
    # than queue every request of a running system behind this migration.
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.Text(), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.Text(), nullable=False),
    sa.Column('crew_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), server_default='true', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("(role = 'crew') = (crew_id IS NOT NULL)", name=op.f('ck_users_crew_role_has_crew')),
    sa.CheckConstraint("role IN ('admin', 'supervisor', 'dispatcher', 'crew', 'viewer')", name=op.f('ck_users_role')),
    sa.CheckConstraint('username = lower(username)', name=op.f('ck_users_username_lower_case')),
    sa.ForeignKeyConstraint(['crew_id'], ['crews.id'], name=op.f('fk_users_crew_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_index(op.f('ix_users_crew_id'), 'users', ['crew_id'], unique=False)
    op.create_table('api_tokens',
    sa.Column('id', sa.Text(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_api_tokens_user_id'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens'))
    )
    op.create_index(op.f('ix_api_tokens_user_id'), 'api_tokens', ['user_id'], unique=False)
    op.drop_index(op.f('ix_crew_positions_crew_id_at'), table_name='crew_positions')
    # Batches replayed before this revision left duplicates: keep the first of each.
    op.execute("DELETE FROM crew_positions p USING crew_positions q "
               "WHERE p.crew_id = q.crew_id AND p.at = q.at AND p.id > q.id")
    op.create_index('uq_crew_positions_crew_id_at', 'crew_positions', ['crew_id', 'at'], unique=True)
    op.add_column('incident_events', sa.Column('idempotency_key', sa.Text(), nullable=True))
    op.create_index('ix_incident_events_unplaced_arrivals', 'incident_events', ['at'], unique=False,
                    postgresql_where=sa.text("type = 'on_site' AND geom IS NULL"))
    op.alter_column('incident_events', 'recorded_at', server_default=sa.text('statement_timestamp()'))
    op.create_index('uq_incident_events_actor_idempotency_key', 'incident_events', ['actor', 'idempotency_key'], unique=True, postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.add_column('incidents', sa.Column('arrival_unverified', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('incidents', sa.Column('queued_crew_id', sa.Integer(), nullable=True))
    op.add_column('incidents', sa.Column('queued_at', sa.DateTime(timezone=True), nullable=True))
    op.create_index(op.f('ix_incidents_queued_crew_id'), 'incidents', ['queued_crew_id'], unique=False)
    op.create_foreign_key(op.f('fk_incidents_queued_crew_id'), 'incidents', 'crews', ['queued_crew_id'], ['id'])


def downgrade() -> None:
    op.drop_constraint(op.f('fk_incidents_queued_crew_id'), 'incidents', type_='foreignkey')
    op.drop_index(op.f('ix_incidents_queued_crew_id'), table_name='incidents')
    op.drop_column('incidents', 'queued_at')
    op.drop_column('incidents', 'queued_crew_id')
    op.drop_column('incidents', 'arrival_unverified')
    op.drop_index('uq_incident_events_actor_idempotency_key', table_name='incident_events', postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.alter_column('incident_events', 'recorded_at', server_default=sa.text('now()'))
    op.drop_index('ix_incident_events_unplaced_arrivals', table_name='incident_events',
                  postgresql_where=sa.text("type = 'on_site' AND geom IS NULL"))
    op.drop_column('incident_events', 'idempotency_key')
    op.drop_index('uq_crew_positions_crew_id_at', table_name='crew_positions')
    op.create_index(op.f('ix_crew_positions_crew_id_at'), 'crew_positions', ['crew_id', 'at'], unique=False)
    op.drop_index(op.f('ix_api_tokens_user_id'), table_name='api_tokens')
    op.drop_table('api_tokens')
    op.drop_index(op.f('ix_users_crew_id'), table_name='users')
    op.drop_table('users')
