"""The read-only manager role, for the service-level and reliability reports.

Revision ID: 0014
Revises: 0013
"""
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

BEFORE = "role IN ('admin', 'supervisor', 'dispatcher', 'crew', 'viewer')"
AFTER = "role IN ('admin', 'supervisor', 'dispatcher', 'crew', 'viewer', 'manager')"


def upgrade() -> None:
    op.drop_constraint(op.f('ck_users_role'), 'users', type_='check')
    op.create_check_constraint(op.f('ck_users_role'), 'users', AFTER)


def downgrade() -> None:
    op.execute("DELETE FROM users WHERE role = 'manager'")
    op.drop_constraint(op.f('ck_users_role'), 'users', type_='check')
    op.create_check_constraint(op.f('ck_users_role'), 'users', BEFORE)
