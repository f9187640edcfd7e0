"""The day partitions of crew positions and the outbox at volume: the plans of the reads that
matter, and what retention costs (dropping a day against deleting its rows).

    .venv/bin/python bench/partitions.py [--crews 100] [--days 3] [--every-s 5] [--messages-per-day 100000]

First times the phones' insert into the partitioned table and into an unpartitioned copy, in
alternate rounds. Then fills a scratch database (the demo data, plus ``--crews`` crews) with ``--days`` days of positions,
one per crew every ``--every-s`` seconds (a province's 1,000 crews every 5 s is 17 million a day),
and outbox messages, analyses them, prints EXPLAIN (ANALYZE, BUFFERS) of: one crew's last 30
minutes, one crew's position closest before an instant (bounded by a window), the latest position
of every crew, the outbox after an id, one incident's events; then times deleting the oldest day's
positions row by row (rolled back) and dropping its partition.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import scratch_database  # noqa: E402
from dispatch.core.partitions import create_ahead, day_name, day_start, drop_before  # noqa: E402


def explain(connection, title: str, sql: str, params: dict) -> None:
    rows = connection.execute(text(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}"), params).scalars().all()
    print(f"\n### {title}\n\n```\n{sql}\n```\n\n```")
    print("\n".join(rows))
    print("```")


INSERT = ("INSERT INTO {table} (crew_id, at, geom, accuracy_m, speed_mps, heading_deg) "
          "SELECT :crew, p.at, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326), p.accuracy, p.speed, p.heading "
          "FROM json_to_recordset(CAST(:positions AS json)) "
          "AS p(at timestamptz, lon float8, lat float8, accuracy float8, speed float8, heading float8) "
          "ON CONFLICT (crew_id, at) DO NOTHING")


def insert_cost(engine, now: datetime, rounds: int = 5, batches: int = 200) -> None:
    """The phones' insert (dispatch/crews/store.py, 100 positions a statement, each committed) into
    the partitioned table and into an unpartitioned copy, in alternate rounds: ms per batch."""
    with engine.begin() as connection:
        connection.execute(text(  # the table as it was before migration 0024
            "CREATE TABLE plain_positions (LIKE crew_positions INCLUDING DEFAULTS INCLUDING CONSTRAINTS); "
            "ALTER TABLE plain_positions ADD PRIMARY KEY (id); "
            "CREATE UNIQUE INDEX ON plain_positions (crew_id, at); "
            "ALTER TABLE plain_positions ADD FOREIGN KEY (crew_id) REFERENCES crews (id) ON DELETE CASCADE"))
        crews = connection.execute(text("SELECT id FROM crews ORDER BY id")).scalars().all()
    timings: dict[str, list[float]] = {"crew_positions": [], "plain_positions": []}
    start = now - timedelta(hours=3)
    for round_no in range(rounds):
        for table in timings:
            started = time.perf_counter()
            for n in range(batches):
                at = start + timedelta(seconds=round_no * batches * 100 + n * 100)
                batch = [{"at": (at + timedelta(seconds=k)).isoformat(), "lon": 51.4, "lat": 33.9, "accuracy": 5,
                          "speed": 8, "heading": 90} for k in range(100)]
                with engine.begin() as connection:
                    connection.execute(text(INSERT.format(table=table)),
                                       {"crew": crews[n % len(crews)], "positions": json.dumps(batch)})
            timings[table].append((time.perf_counter() - started) * 1000 / batches)
    for table, ms in timings.items():
        print(f"insert of 100 positions into {table}: " + ", ".join(f"{m:.2f}" for m in ms)
              + f" ms a batch (median {sorted(ms)[len(ms) // 2]:.2f})")
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE plain_positions; TRUNCATE crew_positions"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--crews", type=int, default=100)
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--every-s", type=int, default=5)
    parser.add_argument("--messages-per-day", type=int, default=100_000)
    args = parser.parse_args()
    now = datetime.now(timezone.utc).replace(microsecond=0)
    first_day = (now - timedelta(days=args.days - 1)).date()
    with scratch_database("dispatch_bench_partitions") as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            for table in ("crew_positions", "outbox"):
                create_ahead(connection, table, first_day, args.days + 2)
            connection.execute(text(
                "INSERT INTO crews (code, name, depot_id, headcount, phone) "
                "SELECT 'B' || n, 'Bench crew ' || n, (SELECT min(id) FROM depots), 2, '1' "
                "FROM generate_series(1, :n) n"), {"n": args.crews})
        insert_cost(engine, now)
        started = time.perf_counter()
        per_day = 86400 // args.every_s
        for day in range(args.days):
            with engine.begin() as connection:
                connection.execute(text(
                    "INSERT INTO crew_positions (crew_id, at, geom, accuracy_m, speed_mps, heading_deg) "
                    "SELECT c.id, :start + s * make_interval(secs => :every), "
                    "ST_SetSRID(ST_MakePoint(51.4 + random() / 50, 33.9 + random() / 50), 4326), 5, 8, 90 "
                    "FROM crews c CROSS JOIN generate_series(0, :per_day - 1) s "
                    "WHERE :start + s * make_interval(secs => :every) <= :now"),
                    {"start": day_start(first_day + timedelta(days=day)), "every": args.every_s,
                     "per_day": per_day, "now": now})
                connection.execute(text(
                    "INSERT INTO outbox (at, topic, payload) SELECT :start + s * make_interval(secs => 86400.0 / :n), "
                    "'crew', jsonb_build_object('code', 'B' || (s % 100), 'status', 'en_route') "
                    "FROM generate_series(0, :n - 1) s WHERE :start + s * make_interval(secs => 86400.0 / :n) <= :now"),
                    {"start": day_start(first_day + timedelta(days=day)), "n": args.messages_per_day, "now": now})
        with engine.begin() as connection:
            connection.execute(text("ANALYZE crew_positions; ANALYZE outbox; ANALYZE crews; ANALYZE incident_events"))
            positions = connection.execute(text("SELECT count(*) FROM crew_positions")).scalar_one()
            messages = connection.execute(text("SELECT count(*), max(id) FROM outbox")).one()
        print(f"{positions:,} positions of {args.crews + 20} crews over {args.days} days, {messages[0]:,} outbox "
              f"messages, written in {time.perf_counter() - started:.0f} s")
        crew = "B7"
        with engine.begin() as connection:
            crew_id = connection.execute(text("SELECT id FROM crews WHERE code = :c"), {"c": crew}).scalar_one()
            connection.execute(text("UPDATE crews SET position_at = :now, geom = ST_SetSRID(ST_MakePoint(51.4, 33.9), 4326)"),
                               {"now": now})
            explain(connection, "A crew's last 30 minutes (the desk's trail)",
                    "SELECT at, geom FROM crew_positions WHERE crew_id = :crew AND at > :since AND at <= :until ORDER BY at",
                    {"crew": crew_id, "since": now - timedelta(minutes=30), "until": now})
            explain(connection, "A crew's position closest before an arrival, within 10 minutes",
                    "SELECT geom, at FROM crew_positions WHERE crew_id = :crew AND at <= :at AND at >= :earliest "
                    "ORDER BY at DESC LIMIT 1",
                    {"crew": crew_id, "at": now - timedelta(hours=5), "earliest": now - timedelta(hours=5, minutes=10)})
            explain(connection, "Every crew's latest position (kept on the crew's row)",
                    "SELECT code, geom, position_at FROM crews WHERE on_duty", {})
            explain(connection, "Every crew's latest position from the history (the last 10 minutes)",
                    "SELECT c.code, p.at, p.geom FROM crews c CROSS JOIN LATERAL (SELECT at, geom FROM crew_positions q "
                    "WHERE q.crew_id = c.id AND q.at > :since ORDER BY at DESC LIMIT 1) p",
                    {"since": now - timedelta(minutes=10)})
            explain(connection, "The outbox after an id (the live stream's Last-Event-ID)",
                    "SELECT id, topic, crew_ids, payload::text FROM outbox WHERE id > :after ORDER BY id LIMIT 1000",
                    {"after": messages[1] - 5000})
            # No incidents here: on an empty table the planner rightly scans; ask which index serves it.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
            explain(connection, "One incident's events (incident_events stays one table; enable_seqscan off)",
                    "SELECT * FROM incident_events WHERE incident_id = :id ORDER BY at", {"id": 1})
        oldest = day_start(first_day + timedelta(days=1))
        with engine.connect() as connection:
            size = connection.execute(text("SELECT pg_total_relation_size(CAST(:day AS regclass))"),
                {"day": f"partitions.{day_name('crew_positions', first_day)}"}).scalar_one()
        whole_day = args.crews + 20, 86400 // args.every_s
        print(f"\none whole day of positions ({whole_day[0] * whole_day[1]:,} rows): {size / 2**20:,.0f} MiB with its "
              f"indexes, {size / (whole_day[0] * whole_day[1]):.0f} bytes a row")
        with engine.connect() as connection:
            with connection.begin() as transaction:
                started = time.perf_counter()
                deleted = connection.execute(text("DELETE FROM crew_positions WHERE at < :before"),
                                             {"before": oldest}).rowcount
                delete_s = time.perf_counter() - started
                transaction.rollback()
            with connection.begin():
                started = time.perf_counter()
                connection.execute(text(f"SELECT count(*) FROM partitions.{day_name('crew_positions', first_day)}"))
                count_s = time.perf_counter() - started
                started = time.perf_counter()
                dropped = drop_before(connection, "crew_positions", oldest)
                drop_s = time.perf_counter() - started
        print(f"\nretention of the oldest day ({deleted:,} positions): DELETE {delete_s * 1000:,.0f} ms (rolled back); "
              f"DROP of {', '.join(d.partition.name for d in dropped) or day_name('crew_positions', first_day)} "
              f"{drop_s * 1000:,.0f} ms (it counts the rows it reports; a count alone took {count_s * 1000:,.0f} ms)")
        engine.dispose()


if __name__ == "__main__":
    main()
