"""The travel-time engine against an independent shortest-path computation (networkx)."""
from __future__ import annotations

import random

import networkx as nx
import numpy as np
import pytest

from dispatch.routing.graph import DirectedEdges, RoadGraph


def graph_of(edges: list[tuple[int, int, float]]) -> RoadGraph:
    source, target, seconds = (np.array(column) for column in zip(*edges))
    return RoadGraph(DirectedEdges(source, target, seconds, np.arange(len(edges))))


def test_one_way_streets_are_respected():
    # 1 -> 2 -> 3 one way; 3 -> 1 is a long way back.
    graph = graph_of([(1, 2, 10.0), (2, 3, 10.0), (3, 1, 100.0)])
    assert list(graph.seconds_to(3, [1, 2, 3])) == [20.0, 10.0, 0.0]
    assert list(graph.seconds_to(1, [2, 3])) == [110.0, 100.0]


def test_parallel_edges_keep_the_fastest_and_unknown_nodes_are_unreachable():
    graph = graph_of([(1, 2, 30.0), (1, 2, 12.0), (2, 1, 5.0)])
    assert graph.edge_count == 2
    assert list(graph.seconds_to(2, [1, 99])) == [12.0, np.inf]
    assert graph.route(1, 2) == (12.0, [1, 2], [1])
    assert graph.route(1, 99)[0] == np.inf


def test_strongly_connected_components():
    graph = graph_of([(1, 2, 1.0), (2, 1, 1.0), (2, 3, 1.0)])  # 3 is a dead end
    count, largest = graph.strongly_connected()
    assert count == 2 and dict(zip(graph.node_ids.tolist(), largest.tolist())) == {1: True, 2: True, 3: False}


@pytest.fixture(scope="module")
def random_city():
    """A grid of streets with random one-ways and speeds, about 10k directed edges."""
    rng = random.Random(5)
    edges = []
    for x in range(50):
        for y in range(50):
            here = x * 100 + y
            for there in ((x + 1) * 100 + y, x * 100 + y + 1):
                if there // 100 >= 50 or there % 100 >= 50:
                    continue
                seconds = rng.uniform(5, 60)
                kind = rng.random()
                if kind < 0.8:
                    edges += [(here, there, seconds), (there, here, seconds * rng.uniform(0.9, 1.1))]
                elif kind < 0.9:
                    edges.append((here, there, seconds))
                else:
                    edges.append((there, here, seconds))
    return edges


def test_equal_to_networkx_on_1000_random_pairs(random_city):
    graph = graph_of(random_city)
    reference = nx.DiGraph()
    for a, b, seconds in random_city:
        reference.add_edge(a, b, weight=seconds)
    rng = random.Random(9)
    nodes = list(reference.nodes)
    checked = 0
    for _ in range(20):  # 20 faults x 50 crews = 1,000 pairs
        fault = rng.choice(nodes)
        crews = rng.sample(nodes, 50)
        engine = graph.seconds_to(fault, crews)
        truth = nx.single_source_dijkstra_path_length(reference.reverse(copy=False), fault)
        for crew, seconds in zip(crews, engine):
            assert seconds == pytest.approx(truth.get(crew, np.inf), abs=1.0)
            checked += 1
        seconds, path, _ = graph.route(crews[0], fault)
        assert seconds == pytest.approx(engine[0]) and path[0] == crews[0] and path[-1] == fault
    assert checked == 1000


def test_equal_to_networkx_on_the_demo_road_graph(app, connection, demo_build, tmp_path):
    """1,000 crew/fault pairs on Kashan's OpenStreetMap roads, stored and read back."""
    from dispatch.gis.grid_import import import_grid
    from dispatch.routing.speeds import speed_table
    from dispatch.routing.store import directed_edges

    (tmp_path / "roads.geojson").symlink_to(demo_build[0] / "roads.geojson")
    session = app.extensions["database"].session()
    import_grid(session, tmp_path)
    session.close()
    edges = directed_edges(connection, speed_table(), open_at=None)
    assert len(edges.source) == 31_071
    graph = RoadGraph(edges)
    reference = nx.DiGraph()
    for a, b, seconds in zip(edges.source.tolist(), edges.target.tolist(), edges.seconds.tolist()):
        if not reference.has_edge(a, b) or reference[a][b]["weight"] > seconds:
            reference.add_edge(a, b, weight=seconds)
    rng = random.Random(11)
    nodes = sorted(reference.nodes)
    for _ in range(10):  # 10 faults x 100 crews
        fault = rng.choice(nodes)
        crews = rng.sample(nodes, 100)
        truth = nx.single_source_dijkstra_path_length(reference.reverse(copy=False), fault)
        for crew, seconds in zip(crews, graph.seconds_to(fault, crews)):
            assert seconds == pytest.approx(truth.get(crew, np.inf), abs=1.0)


def test_speed_table_overrides():
    from dispatch.routing.speeds import speed_table

    table = speed_table("primary=40, farm_track=8")
    assert table["primary"] == 40 and table["farm_track"] == 8 and table["residential"] == 25
    with pytest.raises(ValueError):
        speed_table("primary=0")
