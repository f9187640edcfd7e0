"""Checks the converted grid the way the project traces it: buses are nodes, lines, closed
switches and transformers are edges, and power flows from the sources."""

import networkx as nx


def closed_graph(layers: dict[str, list[dict]]) -> nx.MultiGraph:
    """The network with every switch in its normal state."""
    g = nx.MultiGraph()
    g.add_nodes_from(f["properties"]["code"] for f in layers["buses"])
    for layer, a, b in (("lines", "from_bus", "to_bus"), ("switches", "from_bus", "to_bus"),
                        ("transformers", "hv_bus", "lv_bus")):
        for f in layers[layer]:
            p = f["properties"]
            if not p.get("normally_open", False):
                g.add_edge(p[a], p[b])
    return g


def check(g: nx.MultiGraph, layers: dict[str, list[dict]]) -> dict:
    """Energisation and radiality. ``closed_cycles`` counts loops within the network (radial:
    none); ``parallel_sources`` counts sources sharing a connected part with another source
    (busbars coupled by a closed bus-section breaker), which upstream tracing must tolerate."""
    sources = {f["properties"]["bus"] for f in layers["sources"]}
    components = list(nx.connected_components(g))
    energised = set().union(*(c for c in components if c & sources))
    customers_dark = sum(1 for f in layers["customers"] if f["properties"]["bus"] not in energised)
    fed_parts = sum(1 for c in components if c & sources)
    cycles = g.number_of_edges() - g.number_of_nodes() + len(components)
    return {"buses": g.number_of_nodes(), "unenergised_buses": g.number_of_nodes() - len(energised),
            "unenergised_customers": customers_dark, "closed_cycles": cycles, "radial": cycles == 0,
            "parallel_sources": len(sources) - fed_parts}


def feeders(g: nx.MultiGraph, station_buses: set[str], heads: dict[str, str]) -> dict[str, str]:
    """Bus code -> feeder (the code of the switch where it leaves the substation busbars).

    The feeder is what is left connected to the head switch's outgoing side once the busbars
    are removed; where closed ties join several heads, the first code (sorted) names it."""
    outside = g.subgraph(n for n in g if n not in station_buses)
    named = {}
    for head, far_bus in sorted(heads.items()):
        if far_bus in named:
            continue
        for bus in nx.node_connected_component(outside, far_bus):
            named.setdefault(bus, head)
    return named
