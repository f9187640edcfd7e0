"""Customers served as the utility's records count them, per day from which a count holds (for
the whole utility or one zone), imported with the interruption history.

Revision ID: 0024
Revises: 0023
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.create_table('customers_served',
    sa.Column('id', sa.BigInteger(), nullable=False),
    sa.Column('zone_code', sa.Text(), nullable=True),
    sa.Column('since', sa.Date(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.CheckConstraint('customers > 0', name=op.f('ck_customers_served_customers_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customers_served'))
    )
    op.create_index('uq_customers_served_company_since', 'customers_served', ['since'], unique=True,
                    postgresql_where=sa.text('zone_code IS NULL'))
    op.create_index('uq_customers_served_zone_since', 'customers_served', ['zone_code', 'since'], unique=True,
                    postgresql_where=sa.text('zone_code IS NOT NULL'))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_table('customers_served')
