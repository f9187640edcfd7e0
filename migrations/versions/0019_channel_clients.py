"""Machine channels: clients with their own keys and rate limits, the IVR among the channels, and a
report's external id unique per client (two systems may number their calls alike).

Revision ID: 0019
Revises: 0018
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

BEFORE = "IN ('hotline', 'app', 'wechat', 'sms', 'ami', 'staff')"
AFTER = "IN ('hotline', 'ivr', 'app', 'wechat', 'sms', 'ami', 'staff')"


def _channels(values: str) -> None:
    for table in ('reports', 'complaints'):
        op.drop_constraint(op.f(f'ck_{table}_channel'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_channel'), table, f"channel {values}")


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    _channels(AFTER)
    op.create_table('channel_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('key_hash', sa.Text(), nullable=False),
    sa.Column('key_prefix', sa.Text(), nullable=False),
    sa.Column('rate_count', sa.Integer(), nullable=False),
    sa.Column('rate_period_s', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint(f"channel {AFTER}", name=op.f('ck_channel_clients_channel')),
    sa.CheckConstraint('rate_count > 0 AND rate_period_s > 0', name=op.f('ck_channel_clients_rate_positive')),
    sa.CheckConstraint('name = lower(name)', name=op.f('ck_channel_clients_name_lower_case')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_channel_clients')),
    sa.UniqueConstraint('name', name=op.f('uq_channel_clients_name')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_channel_clients_key_hash'))
    )
    op.add_column('reports', sa.Column('channel_client_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_reports_channel_client_id'), 'reports', 'channel_clients',
                          ['channel_client_id'], ['id'])
    op.drop_constraint(op.f('uq_reports_external_id'), 'reports', type_='unique')
    op.create_index('uq_reports_client_external_id', 'reports', ['channel_client_id', 'external_id'], unique=True,
                    postgresql_where=sa.text('channel_client_id IS NOT NULL'))
    op.create_index('uq_reports_desk_external_id', 'reports', ['external_id'], unique=True,
                    postgresql_where=sa.text('channel_client_id IS NULL'))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    # Clients' external ids may repeat across clients: each is prefixed with its client's name.
    op.execute("UPDATE reports r SET external_id = c.name || ':' || r.external_id FROM channel_clients c "
               "WHERE c.id = r.channel_client_id AND r.external_id IS NOT NULL")
    op.drop_index('uq_reports_desk_external_id', table_name='reports')
    op.drop_index('uq_reports_client_external_id', table_name='reports')
    op.create_unique_constraint(op.f('uq_reports_external_id'), 'reports', ['external_id'])
    op.drop_constraint(op.f('fk_reports_channel_client_id'), 'reports', type_='foreignkey')
    op.drop_column('reports', 'channel_client_id')
    op.drop_table('channel_clients')
    op.execute("UPDATE reports SET channel = 'hotline' WHERE channel = 'ivr'")
    op.execute("UPDATE complaints SET channel = 'hotline' WHERE channel = 'ivr'")
    _channels(BEFORE)
