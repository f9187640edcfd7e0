"""Crew-to-fault driving times: the in-process engine against pgRouting, on the demo road graph
and on a synthetic graph of over a million directed edges.

    .venv/bin/python bench/routing.py [--faults 50] [--pgr-faults 10]

For 10, 100 and 500 crews at random road nodes (in the largest strongly connected part) and one
fault, times RoadGraph.seconds_to (one Dijkstra over the reversed graph, SciPy) and, on the same
graph and pairs, pgr_dijkstraCost many-to-one inside PostgreSQL; prints p50 and p95 of each and
their ratio and the largest difference between their answers, and reports the graph's memory
in the worker.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import percentile, scratch_database  # noqa: E402
from dispatch.core.config import Settings  # noqa: E402
from dispatch.routing.graph import DirectedEdges, RoadGraph  # noqa: E402
from dispatch.routing.speeds import speed_table  # noqa: E402
from dispatch.routing.store import directed_edges  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def graph_bytes(graph: RoadGraph) -> int:
    matrices = (graph.forward, graph.backward)
    return sum(m.data.nbytes + m.indices.nbytes + m.indptr.nbytes for m in matrices) + graph.node_ids.nbytes \
        + sum(a.nbytes for a in (graph._u, graph._v, graph._seconds, graph._road))


def load_edges_table(connection, edges: DirectedEdges) -> None:
    """The same directed edges in a table for pgRouting (ids are the engine's node ids)."""
    connection.execute(text("DROP TABLE IF EXISTS bench_edges"))
    connection.execute(text("CREATE TABLE bench_edges (id bigint, source bigint, target bigint, cost float8)"))
    raw = connection.connection.driver_connection
    with raw.cursor() as cursor, cursor.copy("COPY bench_edges FROM STDIN") as copy:
        for i, (a, b, s) in enumerate(zip(edges.source.tolist(), edges.target.tolist(), edges.seconds.tolist())):
            copy.write_row((i, a, b, s))
    connection.commit()


def measure(label: str, graph: RoadGraph, connection, nodes: list[int], crews_counts, faults: int,
            pgr_faults: int, rng: random.Random, horizon: float = np.inf) -> None:
    print(f"\n{label}: {len(graph.node_ids):,} nodes, {graph.edge_count:,} directed edges, "
          f"graph arrays {graph_bytes(graph) / 2**20:.1f} MiB"
          + ("" if horizon == np.inf else f"; search horizon {horizon:.0f} s"))
    print(f"{'crews':>6} | {'engine p50':>10} {'p95':>8} | {'pgr p50':>9} {'p95':>8} | {'ratio p50':>9} | agree")
    for count in crews_counts:
        engine, pgr, worst = [], [], 0.0
        for n in range(faults):
            fault, crews = rng.choice(nodes), rng.sample(nodes, count)
            started = time.perf_counter()
            times = graph.seconds_to(fault, crews, horizon)
            engine.append((time.perf_counter() - started) * 1000)
            if n < pgr_faults:
                started = time.perf_counter()
                rows = connection.execute(text(
                    "SELECT start_vid, agg_cost FROM pgr_dijkstraCost("
                    "'SELECT id, source, target, cost FROM bench_edges', CAST(:crews AS bigint[]), CAST(:fault AS bigint), "
                    "directed => true)"), {"crews": crews, "fault": fault}).all()
                pgr.append((time.perf_counter() - started) * 1000)
                reference = dict(rows)
                for crew, seconds in zip(crews, times):
                    expected = 0.0 if crew == fault else reference.get(crew, np.inf)
                    if expected > horizon:  # beyond the horizon the engine says "too far", rightly
                        expected = np.inf if not np.isfinite(seconds) else expected
                    if np.isfinite(expected) or np.isfinite(seconds):
                        worst = max(worst, abs(seconds - expected))
        ratio = statistics.median(pgr) / statistics.median(engine)
        print(f"{count:>6} | {statistics.median(engine):>8.2f}ms {percentile(engine, 95):>6.2f}ms | "
              f"{statistics.median(pgr):>7.1f}ms {percentile(pgr, 95):>6.1f}ms | {ratio:>8.0f}x | "
              f"max diff {worst:.3f} s")


def synthetic_edges(side: int, rng: np.random.Generator) -> DirectedEdges:
    """A side x side street grid, both directions, 5-60 s per block: about 4 side^2 edges."""
    ids = np.arange(side * side).reshape(side, side) + 1
    pairs = [(ids[:, :-1].ravel(), ids[:, 1:].ravel()), (ids[:-1, :].ravel(), ids[1:, :].ravel())]
    a = np.concatenate([p[0] for p in pairs] + [p[1] for p in pairs])
    b = np.concatenate([p[1] for p in pairs] + [p[0] for p in pairs])
    seconds = rng.uniform(5, 60, len(a))
    return DirectedEdges(a.astype(np.int64), b.astype(np.int64), seconds, np.arange(len(a)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--faults", type=int, default=50)
    parser.add_argument("--pgr-faults", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(4)
    with scratch_database("dispatch_bench_routing") as url:
        engine = create_engine(url)
        with engine.connect() as connection:
            connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgrouting"))
            connection.commit()
            before = rss_mb()
            edges = directed_edges(connection, speed_table(), open_at=None)
            graph = RoadGraph(edges)
            print(f"worker memory for the demo graph: {rss_mb() - before:.1f} MiB more resident "
                  f"(process {rss_mb():.0f} MiB)")
            nodes = [int(n) for n in graph.node_ids[graph.strongly_connected()[1]]]
            load_edges_table(connection, edges)
            measure("demo graph (Kashan, OpenStreetMap)", graph, connection, nodes, (10, 100, 500),
                    args.faults, args.pgr_faults, rng)

            before = rss_mb()
            big_edges = synthetic_edges(510, np.random.default_rng(4))
            big = RoadGraph(big_edges)
            print(f"\nworker memory for the synthetic graph: {rss_mb() - before:.0f} MiB more resident")
            load_edges_table(connection, big_edges)
            big_nodes = [int(n) for n in big.node_ids]
            measure("synthetic grid", big, connection, big_nodes, (10, 100, 500), max(10, args.faults // 5), 3, rng)
            measure("synthetic grid, dispatch horizon", big, connection, big_nodes, (10, 100, 500),
                    args.faults, 3, rng, Settings.from_env().routing_horizon_s)
        engine.dispose()


if __name__ == "__main__":
    main()
