"""What the managers' reports read without the timeline: when the first crew was sent, how many
crews were sent and the fault's cause on each incident (filled from the events for the past);
incidents indexed by their first report; complaints, calls that send no crew.

Revision ID: 0017
Revises: 0016
"""
import sqlalchemy as sa
from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

#: As dispatch/incidents/store.py record_cause keeps it: the latest closing report's cause, else the
#: first one given with "restored" (a later "restored" only fills a missing cause).
CAUSE_PRIORITY = "(e.type = 'closing_report') DESC, CASE WHEN e.type = 'closing_report' THEN -e.id ELSE e.id END"


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column('incidents', sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('crews_assigned', sa.Integer(), server_default='0', nullable=False))
    op.add_column('incidents', sa.Column('cause', sa.Text(), nullable=True))
    op.create_check_constraint(op.f('ck_incidents_crews_assigned_nonnegative'), 'incidents', 'crews_assigned >= 0')
    op.execute(
        "UPDATE incidents i SET dispatched_at = e.first, crews_assigned = e.n FROM (SELECT incident_id, "
        "min(at) AS first, count(*) AS n FROM incident_events WHERE type = 'assigned' GROUP BY incident_id) e "
        "WHERE e.incident_id = i.id")
    op.execute(
        "UPDATE incidents i SET cause = e.cause FROM (SELECT DISTINCT ON (e.incident_id) e.incident_id, "
        "e.data->>'cause' AS cause FROM incident_events e WHERE e.type IN ('closing_report', 'restored') "
        f"AND e.data ? 'cause' ORDER BY e.incident_id, {CAUSE_PRIORITY}) e WHERE e.incident_id = i.id")
    op.create_index('ix_incidents_first_report_at', 'incidents', ['first_report_at'], unique=False)
    op.create_table('complaints',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=True),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.Text(), nullable=False),
    sa.Column('account_no', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('customer_id', sa.Integer(), nullable=True),
    sa.Column('zone_id', sa.Integer(), nullable=True),
    sa.Column('incident_id', sa.BigInteger(), nullable=True),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint("channel IN ('hotline', 'app', 'wechat', 'sms', 'ami', 'staff')",
                       name=op.f('ck_complaints_channel')),
    sa.CheckConstraint("kind IN ('late_arrival', 'repeat_outage', 'no_notice', 'other')",
                       name=op.f('ck_complaints_kind')),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_complaints_customer_id')),
    sa.ForeignKeyConstraint(['incident_id'], ['incidents.id'], name=op.f('fk_complaints_incident_id')),
    sa.ForeignKeyConstraint(['zone_id'], ['zones.id'], name=op.f('fk_complaints_zone_id')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaints')),
    sa.UniqueConstraint('external_id', name=op.f('uq_complaints_external_id'))
    )
    op.create_index(op.f('ix_complaints_customer_id'), 'complaints', ['customer_id'], unique=False)
    op.create_index(op.f('ix_complaints_incident_id'), 'complaints', ['incident_id'], unique=False)
    op.create_index('ix_complaints_received_at', 'complaints', ['received_at'], unique=False)


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_index('ix_complaints_received_at', table_name='complaints')
    op.drop_index(op.f('ix_complaints_incident_id'), table_name='complaints')
    op.drop_index(op.f('ix_complaints_customer_id'), table_name='complaints')
    op.drop_table('complaints')
    op.drop_index('ix_incidents_first_report_at', table_name='incidents')
    op.drop_constraint(op.f('ck_incidents_crews_assigned_nonnegative'), 'incidents', type_='check')
    op.drop_column('incidents', 'cause')
    op.drop_column('incidents', 'crews_assigned')
    op.drop_column('incidents', 'dispatched_at')
