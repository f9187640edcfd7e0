"""Nearest crew at province scale: the contraction hierarchy against SciPy's Dijkstra, on the
province graph (bench/province_roads.py: the demo town's roads tiled 66 times, 2.05 million
directed edges), in memory.

    .venv/bin/python bench/routing_province.py [--faults 200] [--workers 2]

Prints: the time to build the hierarchy (order + contraction) and to customise it (whole, and
in place for the arcs of 1, 20 and 200 closed roads, then lifted); p50/p95 of "every one of 500 candidate crews' exact time to a
fault" (then the nearest) for both engines, with the crews changing every query (re-pinned) and
the same crews fault after fault, plus a crew's times to 500 waiting incidents and a route; the
largest difference from SciPy; and the memory: the hierarchy's in the process, and each of
``--workers`` processes forked after it was built (as gunicorn's preload_app forks its workers)
answering queries, by their Pss and Rss (/proc/PID/smaps_rollup), with one of them having taken a
closure (in place: the pages of the shared weights it changed become its own). Wall time and the process's CPU time are both reported: on a busy
machine the first is several times the second.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import percentile  # noqa: E402
from bench.province_roads import PROVINCE_COPIES, province  # noqa: E402
from dispatch.routing.graph import DirectedEdges, RoadGraph  # noqa: E402
from dispatch.routing.hierarchy import HierarchyGraph, RoadHierarchy  # noqa: E402

HORIZON_S = 7200.0


def memory_kib(pid: int | str = "self") -> dict[str, int]:
    """Rss and Pss (a shared page counted once among the processes sharing it) in KiB."""
    found = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("Rss", "Pss", "Shared_Clean", "Private_Dirty"):
            found[name] = int(value.split()[0])
    return found


def timed(call) -> tuple[object, float, float]:
    """(result, wall ms, the process's CPU ms: the caller's and the search thread's, nothing else runs)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = call()
    return result, (time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000


def row(label: str, wall: list[float], cpu: list[float]) -> None:
    print(f"  {label:<52} wall p50 {statistics.median(wall):7.2f} ms  p95 {percentile(wall, 95):7.2f} ms | "
          f"cpu p50 {statistics.median(cpu):7.2f} ms  p95 {percentile(cpu, 95):7.2f} ms")


def nearest_crew(graph, fault: int, crews: list[int]) -> tuple[int, np.ndarray]:
    times = graph.seconds_to(fault, crews, HORIZON_S)
    return int(np.argmin(times)), times


def run_queries(graph, nodes: np.ndarray, rng: np.random.Generator, faults: int, crews: int, same_crews: bool):
    wall, cpu, answers = [], [], []
    fixed = rng.choice(nodes, crews).tolist()
    for _ in range(faults):
        fault, listed = int(rng.choice(nodes)), fixed if same_crews else rng.choice(nodes, crews).tolist()
        (best, times), w, c = timed(lambda: nearest_crew(graph, fault, listed))
        wall.append(w), cpu.append(c), answers.append((fault, listed, times))
    return wall, cpu, answers


def worker(graph: HierarchyGraph, hierarchy: RoadHierarchy, nodes: np.ndarray, seed: int, close: bool, ready,
           done) -> None:
    """A forked worker: answers queries (and, if ``close``, takes a closure: its own new weights),
    then reports its memory to the parent and waits to be measured."""
    rng = np.random.default_rng(seed)
    if close:
        graph = graph.reweighted(rng.choice(np.unique(hierarchy.road), 20, replace=False), 2)
    run_queries(graph, nodes, rng, 50, 500, False)
    os.write(ready, b"x")
    os.read(done, 1)
    os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--faults", type=int, default=200)
    parser.add_argument("--scipy-faults", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=PROVINCE_COPIES)
    args = parser.parse_args()
    rng = np.random.default_rng(5)
    network = province(args.copies)
    edges = network.edges
    print(f"province graph: {len(network.lon):,} nodes, {len(edges.source):,} directed edges "
          f"({args.copies} copies of the town); {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    before = memory_kib()
    hierarchy, wall, cpu = timed(lambda: RoadHierarchy(edges, network.lon, network.lat))
    print(f"hierarchy build (inertial order + contraction): wall {wall / 1000:.1f} s, cpu {cpu / 1000:.1f} s")
    graph, wall, cpu = timed(lambda: HierarchyGraph(hierarchy, version=1))
    print(f"customisation (all weights): wall {wall:.0f} ms, cpu {cpu:.0f} ms")
    closed = rng.choice(np.unique(edges.road), 20, replace=False)
    customised = [timed(lambda: HierarchyGraph(hierarchy, closed, version=2))[1:] for _ in range(3)]
    print("whole customisation with a closure of 20 roads (3 runs): "
          + ", ".join(f"wall {w:.0f} ms cpu {c:.0f} ms" for w, c in customised))
    spare = HierarchyGraph(hierarchy, version=1)
    for roads in (1, 20, 200):
        closing = rng.choice(np.unique(edges.road), roads, replace=False)
        closed_graph, wall, cpu = timed(lambda: spare.reweighted(closing, 2))
        spare, wall_back, cpu_back = timed(lambda: closed_graph.reweighted(np.array([], np.int64), 3))
        print(f"closure of {roads} road(s) in place (partial re-customisation): wall {wall:.1f} ms cpu {cpu:.1f} ms;"
              f" lifted: wall {wall_back:.1f} ms cpu {cpu_back:.1f} ms")
    spare = None
    after = memory_kib()
    print(f"memory: the hierarchy and one customised graph add {(after['Rss'] - before['Rss']) / 1024:.0f} MiB "
          f"resident (process {after['Rss'] / 1024:.0f} MiB)")

    nodes = graph.node_ids[graph.strongly_connected()[1]]
    reference = RoadGraph(DirectedEdges(edges.source, edges.target, hierarchy.weights_ms / 1000, edges.road))
    print(f"\nnearest of N candidate crews, exact times (horizon {HORIZON_S:.0f} s); {args.faults} faults "
          f"(SciPy: {args.scipy_faults}):")
    for crews in (10, 100, 500):
        for same in (False, True):
            wall, cpu, answers = run_queries(graph, nodes, rng, args.faults, crews, same)
            row(f"CCH, {crews} crews, {'the same crews' if same else 'new crews every fault'}", wall, cpu)
        wall, cpu, checked = [], [], answers[:args.scipy_faults]
        worst = 0.0
        for fault, listed, times in checked:
            (best, expected), w, c = timed(lambda: nearest_crew(reference, fault, listed))
            wall.append(w), cpu.append(c)
            both = np.isfinite(times) & np.isfinite(expected)
            assert np.array_equal(np.isfinite(times), np.isfinite(expected))
            worst = max(worst, float(np.abs(times[both] - expected[both]).max(initial=0)))
        row(f"SciPy Dijkstra (before), {crews} crews; max diff {worst:.6f} s", wall, cpu)
    wall, cpu = [], []
    waiting = rng.choice(nodes, 500).tolist()
    for _ in range(args.faults):
        crew = int(rng.choice(nodes))
        _, w, c = timed(lambda: graph.seconds_from(crew, waiting, HORIZON_S))
        wall.append(w), cpu.append(c)
    row("CCH, a freed crew's times to 500 waiting incidents", wall, cpu)
    wall, cpu = [], []
    for _ in range(args.faults):
        a, b = (int(x) for x in rng.choice(nodes, 2))
        _, w, c = timed(lambda: graph.route(a, b))
        wall.append(w), cpu.append(c)
    row("CCH, a route (nodes and roads)", wall, cpu)
    reference = None  # its memory is not the workers' concern

    print(f"\nmemory of {args.workers} workers forked after the build (as gunicorn preload_app does), "
          "each after 50 queries of 500 crews:")
    children = []
    for k in range(args.workers):
        ready_r, ready_w = os.pipe()
        done_r, done_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            worker(graph, hierarchy, nodes, 100 + k, k == args.workers - 1, ready_w, done_r)
        children.append((pid, ready_r, done_w))
    for pid, ready_r, _ in children:
        os.read(ready_r, 1)
    master = memory_kib()
    print(f"  master: Rss {master['Rss'] / 1024:.0f} MiB, Pss {master['Pss'] / 1024:.0f} MiB")
    for k, (pid, _, done_w) in enumerate(children):
        seen = memory_kib(pid)
        print(f"  worker {k + 1}{' (took a closure)' if k == args.workers - 1 else ''}: Rss {seen['Rss'] / 1024:.0f} "
              f"MiB, Pss {seen['Pss'] / 1024:.0f} MiB, private dirty {seen['Private_Dirty'] / 1024:.0f} MiB")
    for pid, _, done_w in children:
        os.write(done_w, b"x")
        os.waitpid(pid, 0)


if __name__ == "__main__":
    main()
