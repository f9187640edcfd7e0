"""The contraction-hierarchy engine against an independent shortest path: SciPy's Dijkstra
(dispatch/routing/graph.py) on the same millisecond weights, on random crew/fault pairs of the
town's real roads and of a province of over two million directed edges made by tiling them."""
from __future__ import annotations

import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from bench.province_roads import PROVINCE_COPIES, province
from dispatch.routing.graph import DirectedEdges, RoadGraph
from dispatch.routing.hierarchy import HierarchyGraph, RoadHierarchy
from tests.factories import dispatch_grid, write_layers

#: Dispatch's search horizon (ROUTING_HORIZON_S).
HORIZON_S = 7200.0


def hierarchy_of(listed: list[tuple[int, int, float]]) -> tuple[RoadHierarchy, DirectedEdges]:
    """The hierarchy of (from, to, seconds) edges, the n-th on road n; nodes placed on a diagonal."""
    source, target, seconds = (np.array(column) for column in zip(*listed))
    edges = DirectedEdges(source, target, seconds, np.arange(1, len(listed) + 1))
    nodes = np.unique(np.concatenate([source, target])).astype(float)
    return RoadHierarchy(edges, nodes, nodes), edges


def reference(hierarchy: RoadHierarchy, edges: DirectedEdges, closed_roads=()) -> RoadGraph:
    """SciPy's Dijkstra on the hierarchy's own weights (whole milliseconds), closed roads left out."""
    open_ = ~np.isin(edges.road, np.asarray(closed_roads, dtype=np.int64))
    return RoadGraph(DirectedEdges(edges.source[open_], edges.target[open_], hierarchy.weights_ms[open_] / 1000,
                                   edges.road[open_]))


def assert_same(found: np.ndarray, expected: np.ndarray) -> int:
    """Equal times (to a microsecond; SciPy adds floats, the hierarchy integers) and the same infs; returns
    how many were finite."""
    assert np.array_equal(np.isinf(found), np.isinf(expected))
    finite = np.isfinite(expected)
    np.testing.assert_allclose(found[finite], expected[finite], rtol=0, atol=1e-6)
    return int(finite.sum())


def assert_route(graph: HierarchyGraph, edges: DirectedEdges, crew: int, fault: int, expected: float) -> None:
    """The path runs from crew to fault along open arcs of the roads it names, and takes the time
    the search found."""
    seconds, nodes, roads = graph.route(crew, fault)
    if not np.isfinite(expected):
        assert seconds == np.inf and nodes == [] and roads == []
        return
    assert seconds == pytest.approx(expected, abs=1e-6)
    assert nodes[0] == crew and nodes[-1] == fault and len(roads) == len(nodes) - 1
    on_path = np.nonzero(np.isin(edges.road, roads))[0]  # the few arcs of the roads named
    total = 0.0
    for a, b, road in zip(nodes, nodes[1:], roads):
        arcs = on_path[(edges.source[on_path] == a) & (edges.target[on_path] == b) & (edges.road[on_path] == road)]
        assert len(arcs), f"no road {road} from {a} to {b}"
        total += graph.weights_ms[arcs].min() / 1000
    assert total == pytest.approx(seconds, abs=1e-6)


def compare(graph: HierarchyGraph, truth: RoadGraph, edges: DirectedEdges, rng: np.random.Generator, faults: int,
            crews: int, routes: int) -> int:
    """``faults`` random faults, each with ``crews`` random crews (a few not on the graph): every crew's
    time to the fault and the fault's to every crew, whole and within the horizon, and a few routes."""
    finite = 0
    nodes = graph.node_ids
    for n in range(faults):
        fault = int(rng.choice(nodes))
        listed = rng.choice(nodes, crews).tolist() + [-5, 0]
        for limit in (np.inf, HORIZON_S):
            finite += assert_same(graph.seconds_to(fault, listed, limit), truth.seconds_to(fault, listed, limit))
            finite += assert_same(graph.seconds_from(fault, listed, limit), truth.seconds_from(fault, listed, limit))
        if n < routes:
            crew = listed[0]
            assert_route(graph, edges, crew, fault, truth.seconds_to(fault, [crew])[0])
    return finite


def assert_nearest(graph: HierarchyGraph, truth: RoadGraph, rng: np.random.Generator, crews: int, faults: int) -> int:
    """The one search from many crews at once: to each of ``faults`` random faults (a few not on
    the graph), the time from the nearest of ``crews`` random crews (one not on the graph) is the
    least of each crew's own time; returns how many were finite."""
    nodes = graph.node_ids
    listed = rng.choice(nodes, crews).tolist() + [-5]
    targets = rng.choice(nodes, faults).tolist() + [-7, 0]
    finite = 0
    for limit in (np.inf, HORIZON_S):
        each = np.array([truth.seconds_from(crew, targets, limit) for crew in listed])
        finite += assert_same(graph.seconds_from_nearest(listed, targets, limit), each.min(axis=0))
    return finite


def test_one_way_streets_parallel_roads_and_unknown_nodes():
    # 1 -> 2 -> 3 one way; 3 -> 1 a long way back; 1 -> 2 twice (12 s is the faster); 4 -> 1 only.
    hierarchy, _ = hierarchy_of([(1, 2, 30.0), (1, 2, 12.0), (2, 3, 10.0), (3, 1, 100.0), (4, 1, 1.0)])
    graph = HierarchyGraph(hierarchy, version=7)
    assert graph.version == 7 and graph.edge_count == 5
    assert list(graph.seconds_to(3, [1, 2, 3, 99])) == [22.0, 10.0, 0.0, np.inf]
    assert list(graph.seconds_from(1, [4, 3, 99])) == [np.inf, 22.0, np.inf]
    assert graph.route(1, 3) == (22.0, [1, 2, 3], [2, 3])
    assert graph.route(1, 4) == (np.inf, [], []) and graph.route(99, 1) == (np.inf, [], [])
    assert graph.route(2, 2) == (0.0, [2], [])
    assert list(graph.seconds_from_nearest([2, 4, 99], [1, 3, 4, 99])) == [1.0, 10.0, 0.0, np.inf]
    assert list(graph.seconds_from_nearest([99], [1])) == [np.inf] and len(graph.seconds_from_nearest([1], [])) == 0
    count, largest = graph.strongly_connected()
    assert count == 2 and list(largest) == [True, True, True, False]


def test_the_horizon_is_scipys_and_a_closed_road_is_no_road():
    hierarchy, edges = hierarchy_of([(1, 2, 10.0), (2, 3, 10.0), (1, 3, 50.0)])
    graph, truth = HierarchyGraph(hierarchy), reference(hierarchy, edges)
    for limit in (0.0, 10.0, 19.999, 20.0, 50.0):  # a time equal to the horizon is within it, as SciPy has it
        assert list(graph.seconds_from(1, [1, 2, 3], limit)) == list(truth.seconds_from(1, [1, 2, 3], limit))
    closed = HierarchyGraph(hierarchy, np.array([2]))
    assert list(closed.seconds_from(1, [2, 3])) == [10.0, 50.0] and closed.route(1, 3) == (50.0, [1, 3], [3])
    assert closed.edge_count == 2
    assert list(HierarchyGraph(hierarchy, np.array([2, 3])).seconds_from(1, [3])) == [np.inf]


def test_no_roads_at_all():
    none = np.array([], dtype=np.int64)
    graph = HierarchyGraph(RoadHierarchy(DirectedEdges(none, none, np.array([]), none), np.array([]), np.array([])))
    assert graph.edge_count == 0 and list(graph.seconds_to(1, [1, 2])) == [np.inf, np.inf]
    assert list(graph.seconds_from(1, [2], 60)) == [np.inf] and graph.route(1, 2) == (np.inf, [], [])


@pytest.fixture(scope="module")
def town(demo_build):
    return province(1, demo_build[0] / "roads.geojson")


@pytest.fixture(scope="module")
def town_hierarchy(town):
    return RoadHierarchy(town.edges, town.lon, town.lat)


def test_equal_to_scipy_on_the_town(town, town_hierarchy):
    """30 faults x 200 crews on Kashan's roads (31,071 directed edges), open and with 200 roads closed."""
    hierarchy = town_hierarchy
    rng = np.random.default_rng(17)
    graph = HierarchyGraph(hierarchy)
    assert compare(graph, reference(hierarchy, town.edges), town.edges, rng, 30, 200, 30) > 10_000
    for crews in (1, 20, 200):
        assert assert_nearest(graph, reference(hierarchy, town.edges), rng, crews, 300) > 300
    closed = rng.choice(np.unique(town.edges.road), 200, replace=False)
    for closed_graph in (HierarchyGraph(hierarchy, closed), graph.reweighted(closed, 2)):  # whole, and in place
        assert closed_graph.edge_count < len(town.edges.source)
        assert compare(closed_graph, reference(hierarchy, town.edges, closed), town.edges, rng, 15, 200, 15) > 5_000
    reopened = closed_graph.reweighted(np.array([], np.int64), 3)
    assert reopened.edge_count == len(town.edges.source) and reopened.version == 3
    assert compare(reopened, reference(hierarchy, town.edges), town.edges, rng, 15, 200, 15) > 5_000


def test_threads_share_a_graph(town_hierarchy):
    """Request threads share a graph; their searches all run on the search thread (RoutingKit's
    search objects may be used only by the thread that made them), with the same answers."""
    graph = HierarchyGraph(town_hierarchy)
    rng = np.random.default_rng(3)
    crews = [rng.choice(graph.node_ids, 100).tolist() for _ in range(3)]  # three crew lists, re-pinned in turn
    jobs = [(int(rng.choice(graph.node_ids)), crews[n % 3]) for n in range(120)]
    expected = [graph.seconds_to(fault, listed) for fault, listed in jobs]
    with ThreadPoolExecutor(8) as pool:
        found = list(pool.map(lambda job: graph.seconds_to(*job), jobs))
    assert all(np.array_equal(a, b) for a, b in zip(found, expected))
    assert graph.route(jobs[0][1][0], jobs[0][0])[0] == pytest.approx(expected[0][0], abs=1e-6)


def test_equal_to_scipy_on_the_province(demo_build):
    """The province graph (the town tiled 66 times and joined: over two million directed edges): 6
    faults x 500 crews against SciPy, then again after a closure of 50 roads, which re-customises
    the arcs of those roads in place (milliseconds)."""
    network = province(PROVINCE_COPIES, demo_build[0] / "roads.geojson")
    edges = network.edges
    assert len(edges.source) >= 2_000_000
    hierarchy = RoadHierarchy(edges, network.lon, network.lat)
    rng = np.random.default_rng(23)
    graph = HierarchyGraph(hierarchy)
    assert compare(graph, reference(hierarchy, edges), edges, rng, 6, 500, 2) > 1_000
    # A closure: the major roads near some faults' routes are where it matters most, but any will do.
    closed = rng.choice(np.unique(edges.road), 50, replace=False)
    started = time.perf_counter()
    closed_graph = graph.reweighted(closed, 2)
    assert time.perf_counter() - started < 1  # the figures are in BENCHMARKS.md
    assert compare(closed_graph, reference(hierarchy, edges, closed), edges, rng, 6, 500, 2) > 1_000


def test_a_closure_recustomises_the_hierarchy_and_an_import_of_changed_roads_rebuilds_it(app, client, city, cli,
                                                                                          connection, tmp_path):
    graphs, session = app.extensions["road_graphs"], app.extensions["database"].session()
    first = graphs.current(session)
    roads = connection.execute(text("SELECT id FROM roads WHERE code = 'MAIN1'")).scalars().all()
    closed = client.post("/api/v1/roads/closures", json={"reason": "flooded", "road_ids": roads})
    assert closed.status_code == 201, closed.get_data(as_text=True)
    second = graphs.current(session)
    assert second.version > first.version and second.hierarchy is first.hierarchy
    assert second.edge_count == first.edge_count - 2  # a two-way street: both ways closed
    assert graphs.current(session) is second  # nothing moved: the same graph
    layers = dispatch_grid()
    layers["roads"]["features"][0]["properties"]["maxspeed"] = 15
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path / "slower", layers))])
    assert result.exit_code == 0, result.output
    third = graphs.current(session)
    assert third.hierarchy is not second.hierarchy and third.edge_count == second.edge_count  # still closed
    session.close()


FORKED = """
import os, numpy as np
from dispatch.routing.graph import DirectedEdges
from dispatch.routing.hierarchy import HierarchyGraph, RoadHierarchy
nodes = np.array([1.0, 2.0, 3.0])
graph = HierarchyGraph(RoadHierarchy(DirectedEdges(np.array([1, 2]), np.array([2, 3]), np.array([10.0, 5.0]),
                                                   np.array([1, 2])), nodes, nodes))
print(graph.seconds_to(3, [1, 2]).tolist(), graph.route(1, 3)[0], flush=True)
child = os.fork()
if child == 0:
    print(graph.seconds_to(3, [1]).tolist(), graph.route(1, 3)[0], flush=True)
    os._exit(0)
os.waitpid(child, 0)
"""


def test_a_forked_worker_searches_the_graph_its_master_built(tmp_path):
    """As gunicorn forks its workers from the master: the child's searches are its own, and the
    master's were freed on the thread that made them (RoutingKit says so on standard error if not)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-c", FORKED], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    assert done.stdout.split("\n")[:2] == ["[15.0, 5.0] 15.0", "[15.0] 15.0"]
