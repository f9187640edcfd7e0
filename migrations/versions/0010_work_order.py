"""The work order as the utility runs it: faults found on the customer's side keep a time agreed
with the customer; desk users can be limited to their zones.

Revision ID: 0010
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column('incidents', sa.Column('customer_side', sa.Text(), nullable=True))
    op.add_column('users', sa.Column('zones', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_column('users', 'zones')
    op.drop_column('incidents', 'customer_side')
