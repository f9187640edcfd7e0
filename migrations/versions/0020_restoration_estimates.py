"""Estimated restoration times on incidents (the last and the first given, with the basis).

Revision ID: 0020
Revises: 0019
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.add_column('incidents', sa.Column('etr_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('incidents', sa.Column('etr_basis', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.add_column('incidents', sa.Column('etr_first_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.drop_column('incidents', 'etr_first_at')
    op.drop_column('incidents', 'etr_basis')
    op.drop_column('incidents', 'etr_at')
