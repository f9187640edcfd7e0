"""An incident needs a set of the utility's skills, not one of "mv" and "lv".

Revision ID: 0015
Revises: 0014
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column('incidents', sa.Column('required_skills', postgresql.ARRAY(sa.Text()), server_default='{}',
                                         nullable=False))
    op.execute("UPDATE incidents SET required_skills = ARRAY[required_skill]")
    op.drop_column('incidents', 'required_skill')


def downgrade() -> None:
    op.add_column('incidents', sa.Column('required_skill', sa.Text(), server_default='lv', nullable=False))
    op.execute("UPDATE incidents SET required_skill = CASE WHEN 'mv' = ANY(required_skills) THEN 'mv' ELSE 'lv' END")
    op.drop_column('incidents', 'required_skills')
