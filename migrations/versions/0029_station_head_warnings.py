"""Deadline warnings for a zone's supply-station head: two more notice stages (``arrival_warning``,
``restoration_warning``, their revision the level's percent), fanned out to the station head only.

Revision ID: 0029
Revises: 0028
"""
from alembic import op

revision = '0029'
down_revision = '0028'
branch_labels = None
depends_on = None

STAGES = ("received", "en_route", "on_site", "etr_changed", "restored")
WARNINGS = ("arrival_warning", "restoration_warning")


def _stage_check(stages: tuple[str, ...]) -> None:
    op.drop_constraint(op.f('ck_incident_notices_stage'), 'incident_notices', type_='check')
    op.create_check_constraint(op.f('ck_incident_notices_stage'), 'incident_notices',
                               "stage IN (" + ", ".join(f"'{s}'" for s in stages) + ")")


def upgrade() -> None:
    _stage_check(STAGES + WARNINGS)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE stage IN ('arrival_warning', 'restoration_warning')")
    op.execute("DELETE FROM incident_notices WHERE stage IN ('arrival_warning', 'restoration_warning')")
    _stage_check(STAGES)
