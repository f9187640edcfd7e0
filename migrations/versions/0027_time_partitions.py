"""Crew positions and the outbox partitioned by day on ``at`` (dispatch/core/partitions.py), their
rows kept: one partition per day that has rows and for today and the next three days, and a
default partition for any other day. Primary keys become (id, at): a partitioned table's unique
keys must hold its partition key; ids still come from the same sequences, so they keep rising.
The outbox loses its index on ``at``: retention now drops whole days.

Revision ID: 0027
Revises: 0026
"""
from datetime import date, timedelta

from alembic import op
from sqlalchemy import text

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

SCHEMA = "partitions"
DAYS_AHEAD = 3
#: Per table: the index that goes with the old table (its name is wanted again, or it is not wanted) ...
OLD_INDEX = {"crew_positions": "uq_crew_positions_crew_id_at", "outbox": "ix_outbox_at"}
#: ... and the constraints and indexes besides the CHECKs (which LIKE copies) and the primary key.
EXTRA = {
    "crew_positions": [
        "CREATE UNIQUE INDEX uq_crew_positions_crew_id_at ON crew_positions (crew_id, at)",
        "ALTER TABLE crew_positions ADD CONSTRAINT fk_crew_positions_crew_id FOREIGN KEY (crew_id) "
        "REFERENCES crews (id) ON DELETE CASCADE",
    ],
    "outbox": [],
}


def upgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    op.execute(f"CREATE SCHEMA {SCHEMA}")
    for table, extra in EXTRA.items():
        old = f"{table}_unpartitioned"
        op.execute(f"ALTER TABLE {table} RENAME TO {old}")
        op.execute(f"ALTER TABLE {old} DROP CONSTRAINT pk_{table}")
        op.execute(f"DROP INDEX {OLD_INDEX[table]}")
        op.execute(f"CREATE TABLE {table} (LIKE {old} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY RANGE (at)")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id, at)")
        for statement in extra:
            op.execute(statement)
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {table}.id")
        op.execute(f"CREATE TABLE {SCHEMA}.{table}_default PARTITION OF {table} DEFAULT")
        bind = op.get_bind()
        days = set(bind.execute(text(f"SELECT DISTINCT CAST(at AT TIME ZONE 'UTC' AS date) FROM {old}")).scalars())
        today = bind.execute(text("SELECT CAST(now() AT TIME ZONE 'UTC' AS date)")).scalar_one()
        days |= {today + timedelta(days=n) for n in range(DAYS_AHEAD + 1)}
        for day in sorted(days):
            op.execute(_day_partition(table, day))
        op.execute(f"INSERT INTO {table} SELECT * FROM {old}")
        op.execute(f"DROP TABLE {old}")


def downgrade() -> None:
    op.execute("SET LOCAL lock_timeout = '10s'")
    for table, extra in EXTRA.items():
        plain = f"{table}_plain"
        op.execute(f"CREATE TABLE {plain} (LIKE {table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        op.execute(f"INSERT INTO {plain} SELECT * FROM {table}")
        op.execute(f"ALTER SEQUENCE {table}_id_seq OWNED BY {plain}.id")
        op.execute(f"DROP TABLE {table}")
        op.execute(f"ALTER TABLE {plain} RENAME TO {table}")
        op.execute(f"ALTER TABLE {table} ADD CONSTRAINT pk_{table} PRIMARY KEY (id)")
        for statement in extra:
            op.execute(statement)
    op.execute("CREATE INDEX ix_outbox_at ON outbox (at)")
    op.execute(f"DROP SCHEMA {SCHEMA}")


def _day_partition(table: str, day: date) -> str:
    return (f"CREATE TABLE {SCHEMA}.{table}_p{day:%Y%m%d} PARTITION OF {table} "
            f"FOR VALUES FROM ('{day.isoformat()} 00:00+00') TO ('{(day + timedelta(days=1)).isoformat()} 00:00+00')")
