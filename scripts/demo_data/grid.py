"""SimBench MV/LV grids converted to buses, sources, lines, switches and transformers.

The project's topology model has buses as nodes and lines, switches and transformers as edges
between two buses. SimBench attaches line and transformer switches to a bus *and* an element
instead, so each kept switch of that sort gets a new bus ~2 m along the element, the element is
re-attached to it and the switch joins the original bus to the new one.
"""

import json
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from .geo import Placement, feature, point, toward

HV_KV = 60.0  # the 110 kV level (HV buses, HV/MV transformers, ext_grid) is dropped
LV_KV = 1.0
SWITCH_OFFSET_M = 2.0


@dataclass
class Load:
    """What the customer synthesiser needs of a SimBench load."""

    bus: str
    xy: tuple[float, float]
    profile: str
    p_kw: float
    transformer: str | None


@dataclass
class Grid:
    """One converted SimBench net: features per layer plus facts for tracing and customers."""

    tag: str
    layers: dict[str, list[dict]] = field(default_factory=lambda: {
        "buses": [], "sources": [], "lines": [], "switches": [], "transformers": []})
    xy: dict[str, tuple[float, float]] = field(default_factory=dict)  # bus code -> lon, lat
    station_buses: set[str] = field(default_factory=set)
    feeder_heads: dict[str, str] = field(default_factory=dict)  # head switch code -> far bus
    loads: list[Load] = field(default_factory=list)

    def add_bus(self, code: str, voltage: float, xy) -> None:
        self.xy[code] = xy
        self.layers["buses"].append(feature(point(xy), {"code": code, "voltage_kv": voltage}))


def station_buses(net, sources: set[int]) -> set[int]:
    """Substation busbars: buses joined to a source busbar by bus-bus switches only."""
    g = nx.Graph()
    g.add_nodes_from(sources)
    bb = net.switch[net.switch.et == "b"]
    g.add_edges_from(zip(bb.bus, bb.element))
    return set().union(*(nx.node_connected_component(g, s) for s in sources))


def switch_kind(sw, voltage: float, at_station: bool) -> str | None:
    """The project's switch kind, or None for SimBench's closed LV line switches (modelling
    artefacts at every LV line end). Open switches are ties, written as disconnectors."""
    if not sw.closed:
        return "disconnector"
    if sw.et == "t":
        return "fuse"
    if sw.type == "CB":
        if voltage < LV_KV:
            return "fuse"  # LV feeder protection in the distribution substation's LV board
        return "breaker" if sw.et == "b" or at_station else "recloser"
    return {"LBS": "sectionalizer", "DS": "disconnector"}.get(sw.type)


def lv_transformers(net, dist: pd.DataFrame, codes: dict[int, str]) -> dict[int, str]:
    """LV bus index -> code of the distribution transformer feeding its LV network."""
    lv = net.bus.index[net.bus.vn_kv < LV_KV]
    g = nx.Graph()
    g.add_nodes_from(lv)
    lines = net.line[net.line.from_bus.isin(lv)]
    g.add_edges_from(zip(lines.from_bus, lines.to_bus))
    return {b: codes[t] for t, lv_bus in dist.lv_bus.items() for b in nx.node_connected_component(g, lv_bus)}


def convert(net, tag: str, placement: Placement) -> Grid:
    """One SimBench net without its 110 kV level, placed by ``placement``; every code is
    prefixed with ``tag`` so that the three nets' names cannot collide."""
    grid = Grid(tag)
    bus = net.bus
    hv = set(bus.index[bus.vn_kv >= HV_KV])
    lonlat = np.array([json.loads(g)["coordinates"] for g in bus.geo], dtype=float)
    xy = {i: tuple(p) for i, p in zip(bus.index, placement.apply(lonlat).tolist())}
    code = {i: tag + name for i, name in bus.name.items() if i not in hv}
    for i, c in code.items():
        grid.add_bus(c, float(bus.vn_kv[i]), xy[i])

    station = net.trafo[net.trafo.hv_bus.isin(hv)].sort_values("name")
    dist = net.trafo[~net.trafo.hv_bus.isin(hv)]
    at_station = station_buses(net, set(station.lv_bus))
    grid.station_buses = {code[b] for b in at_station}
    for n, lv_bus in enumerate(station.lv_bus, start=1):
        subnet, kv = bus.subnet[lv_bus], bus.vn_kv[lv_bus]
        grid.layers["sources"].append(feature(point(xy[lv_bus]), {
            "code": f"{tag}SRC{n}", "name": f"Substation {subnet} {kv:g} kV busbar {n}", "bus": code[lv_bus]}))

    ends = add_switches(grid, net, code, xy, at_station, set(dist.index))
    add_lines(grid, net, code, ends)
    tx_codes = add_transformers(grid, dist, bus, code, xy, ends)
    add_loads(grid, net, code, xy, lv_transformers(net, dist, tx_codes))
    return grid


def outside_scope(sw, net, code: dict, dist: set[int]) -> bool:
    """Switches of the dropped HV level, and transformers' LV-side switches (each distribution
    transformer is protected by the fuse on its MV side)."""
    if sw.bus not in code:
        return True
    if sw.et == "b":
        return sw.element not in code
    if sw.et == "t":
        return sw.element not in dist or net.trafo.hv_bus[sw.element] != sw.bus
    return False


def far_end(sw, net) -> int:
    """The bus at the other end of a line or transformer switch's element."""
    if sw.et == "t":
        return net.trafo.lv_bus[sw.element]
    line = net.line.loc[sw.element]
    return line.to_bus if line.from_bus == sw.bus else line.from_bus


def add_switches(grid: Grid, net, code, xy, at_station: set[int], dist: set[int]) -> dict:
    """Emit the kept switches; returns (et, element index, bus index) -> new bus code for the
    line and transformer ends that now hang off a switch."""
    ends = {}
    for sw in net.switch.itertuples():
        if outside_scope(sw, net, code, dist):
            continue
        voltage = float(net.bus.vn_kv[sw.bus])
        kind = switch_kind(sw, voltage, sw.bus in at_station)
        if kind is None:
            continue
        sw_code = grid.tag + sw.name
        if sw.et == "b":
            to_bus, pos = code[sw.element], tuple((np.add(xy[sw.bus], xy[sw.element]) / 2).tolist())
        else:
            to_bus = f"{code[sw.bus]}/{sw.name}"
            pos = toward(xy[sw.bus], xy[far_end(sw, net)], SWITCH_OFFSET_M)
            grid.add_bus(to_bus, voltage, pos)
            ends[(sw.et, sw.element, sw.bus)] = to_bus
            if sw.et == "l" and sw.bus in at_station:
                grid.feeder_heads[sw_code] = to_bus
        grid.layers["switches"].append(feature(point(pos), {
            "code": sw_code, "from_bus": code[sw.bus], "to_bus": to_bus, "kind": kind,
            "normally_open": not sw.closed, "voltage_kv": voltage, "sb_type": sw.type}))
    return ends


def add_lines(grid: Grid, net, code, ends: dict) -> None:
    construction = {"cs": "cable", "ol": "overhead"}
    for ln in net.line.itertuples():
        a = ends.get(("l", ln.Index, ln.from_bus), code[ln.from_bus])
        b = ends.get(("l", ln.Index, ln.to_bus), code[ln.to_bus])
        grid.layers["lines"].append(feature({"type": "LineString", "coordinates": [grid.xy[a], grid.xy[b]]}, {
            "code": grid.tag + ln.name, "from_bus": a, "to_bus": b,
            "voltage_kv": float(net.bus.vn_kv[ln.from_bus]), "construction": construction[ln.type]}))


def add_transformers(grid: Grid, dist: pd.DataFrame, bus, code, xy, ends: dict) -> dict[int, str]:
    """Distribution transformers, drawn at their LV bus; returns trafo index -> code."""
    codes = {}
    for tr in dist.itertuples():
        codes[tr.Index] = grid.tag + tr.name
        kva = round(tr.sn_mva * 1000, 1)
        grid.layers["transformers"].append(feature(point(xy[tr.lv_bus]), {
            "code": codes[tr.Index], "name": f"TX {grid.tag}{bus.subnet[tr.lv_bus]}",
            "hv_bus": ends.get(("t", tr.Index, tr.hv_bus), code[tr.hv_bus]), "lv_bus": code[tr.lv_bus],
            "kva": int(kva) if kva.is_integer() else kva}))
    return codes


def add_loads(grid: Grid, net, code, xy, transformer_of: dict[int, str]) -> None:
    for ld in net.load.itertuples():
        grid.loads.append(Load(code[ld.bus], xy[ld.bus], ld.profile,
                               round(ld.p_mw * 1000, 3), transformer_of.get(ld.bus)))
