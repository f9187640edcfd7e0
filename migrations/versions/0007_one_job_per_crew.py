"""A crew works one incident at a time: enforced by the database.

Revision ID: 0007
Revises: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('uq_incidents_crew_at_work', 'incidents', ['crew_id'], unique=True,
                    postgresql_where=sa.text("status IN ('assigned', 'accepted', 'en_route', 'on_site')"))


def downgrade() -> None:
    op.drop_index('uq_incidents_crew_at_work', table_name='incidents')
