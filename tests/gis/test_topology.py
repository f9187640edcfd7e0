"""The in-memory topology: upstream tracing and outage areas of tests.factories.feeder_grid."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from dispatch.gis.topology import GridRows, Topology
from dispatch.gis.topology_store import grid_rows, switch_rows
from tests.factories import feeder_grid, write_layers


@pytest.fixture
def topology(connection, feeder):
    return Topology(grid_rows(connection))


def bus(connection, code: str) -> int:
    return connection.execute(text("SELECT id FROM buses WHERE code = :c"), {"c": code}).scalar_one()


def area_named(topology: Topology, code: str) -> int:
    return next(a for a, d in enumerate(topology.area_device) if d is not None and d.code == code)


def test_devices_in_series_form_one_area_named_by_the_transformer(topology, connection):
    area = topology.area_of_bus(bus(connection, "LV2"))
    assert topology.area_device[area].code == "T2" and topology.area_customers[area] == 10
    # F2 and SEC1 cut off the same ten customers: the same area.
    switches = dict(connection.execute(text("SELECT code, id FROM switches")).all())
    assert topology.area_of_device[("switch", switches["F2"])] == area
    assert topology.area_of_device[("switch", switches["SEC1"])] == area


def test_areas_up_the_feeder(topology, connection):
    chain = [topology.area_device[a].code for a in topology.areas_up(topology.area_of_bus(bus(connection, "LV1")))]
    assert chain == ["T1", "R1", "BR1"]  # the substation's area is named by its breaker
    assert [topology.area_customers[area_named(topology, c)] for c in chain] == [10, 30, 40]
    assert topology.area_in_lv[area_named(topology, "T1")] and not topology.area_in_lv[area_named(topology, "R1")]
    assert topology.feeder_head(area_named(topology, "T1")).code == "BR1"


def test_open_switches_cut_the_network(connection, feeder):
    connection.execute(text("UPDATE switches SET is_open = true WHERE code = 'SEC1'"))
    cut = Topology(grid_rows(connection))
    assert cut.source_of_bus(bus(connection, "LV2")) is None  # an island: the tie is open too
    assert cut.area_customers[area_named(cut, "R1")] == 20
    connection.execute(text("UPDATE switches SET is_open = false WHERE code = 'TIE'"))
    fed = Topology(grid_rows(connection))
    sources = dict(connection.execute(text("SELECT id, code FROM sources")).all())
    assert sources[fed.source_of_bus(bus(connection, "LV2"))] == "S2"
    assert fed.transformer_of_bus(bus(connection, "LV2")) == fed.area_device[fed.area_of_bus(bus(connection, "LV2"))].id


def test_areas_without_customers_are_not_merged(connection, feeder):
    connection.execute(text("DELETE FROM customers"))
    empty = Topology(grid_rows(connection))
    named = {d.code for d in empty.area_device if d is not None}
    assert {"BR1", "R1", "T1", "T2", "T3", "T4", "F1", "F4"} <= named


def radial(bus_ids: list[int], *, lines=(), switches=(), transformers=(), sources=(), customers=()) -> Topology:
    """A topology of rows written by hand (ids as a utility's export may number them)."""
    return Topology(GridRows(buses=bus_ids, lines=list(lines), switches=list(switches),
                             transformers=list(transformers), sources=list(sources), customer_buses=list(customers),
                             line_lengths={line[0]: 1000.0 for line in lines}))


@pytest.mark.parametrize("offset", [0, 10**12])  # dense ids, and ids too sparse for a lookup table
def test_hand_written_shapes_parallel_edges_shared_sources_and_islands(offset):
    b = [offset + n for n in range(1, 10)]
    topology = radial(
        list(reversed(b)),  # in no particular order
        sources=[(7, "S7", b[0]), (3, "S3", b[0])],  # two sources on one bus: the lower id names it
        lines=[(1, "L1", b[0], b[1]), (2, "L2", b[1], b[2]), (3, "L3", b[4], b[8]), (4, "L4", b[6], b[7])],
        switches=[(10, "BYPASSED", b[1], b[2], "fuse", False),  # beside L2: the line carries it
                  (11, "F", b[2], b[3], "fuse", False),
                  (12, "OPEN", b[4], b[5], "fuse", True),
                  (13, "D", b[5], b[6], "disconnector", False)],
        transformers=[(20, "T", b[3], b[4])],
        customers=[b[8], b[8], b[2], b[7], b[7], b[7], offset + 99])  # the last on no bus the grid holds
    named = {d.code: area for d, area in zip(topology.area_device, range(len(topology.area_device))) if d}
    assert set(named) == {"S3", "T"}  # F is in series with T (the same two customers): T names it
    assert ("switch", 10) not in topology.area_of_device
    assert topology.area_of_device[("switch", 11)] == named["T"]
    assert topology.area_customers[named["S3"]] == 3 and topology.area_customers[named["T"]] == 2
    assert topology.area_line_km[named["S3"]] == 2.0 and topology.area_line_km[named["T"]] == 1.0
    assert [topology.source_of_bus(bus) for bus in b] == [3, 3, 3, 3, 3, None, None, None, 3]
    assert [topology.transformer_of_bus(bus) for bus in (b[3], b[4], b[8])] == [None, 20, 20]
    assert topology.area_parent[named["T"]] == named["S3"] and topology.area_in_lv[named["T"]]
    assert topology.downstream_bus(b[3], b[4]) == b[4] and topology.downstream_bus(b[4], b[3]) == b[4]
    # Behind the open fuse: an island rooted at its lowest bus, with no device and no source.
    island = topology.area_of_bus(b[5])
    assert topology.area_of_bus(b[7]) == island and topology.area_device[island] is None
    assert topology.area_customers[island] == 3 and topology.area_source[island] is None
    assert sorted(topology.buses_within(named["T"])) == [b[3], b[4], b[8]]  # from F down
    assert sorted(topology.buses_within(named["S3"])) == b[:5] + [b[8]]
    assert topology.area_of_bus(offset + 99) is None and topology.source_of_bus(None) is None
    assert topology.energized().tolist() == [True] * 5 + [False] * 3 + [True]
    assert topology.customers_at(topology.energized({"OPEN": False})) == 6


def test_an_empty_grid_has_no_areas_and_buses_alone_are_islands():
    topology = radial([])
    assert topology.area_device == [] and topology.area_of_bus(1) is None
    alone = radial([1, 2], sources=[(1, "S", 1)], switches=[(5, "OPEN", 1, 2, "fuse", True)], customers=[2])
    assert alone.source_of_bus(1) == 1 and alone.source_of_bus(2) is None
    assert alone.area_customers[alone.area_of_bus(2)] == 1 and alone.area_device[alone.area_of_bus(2)] is None


@pytest.mark.parametrize("first", ["transformer", "fuse"])
def test_a_switch_beside_a_transformer_in_series_with_the_source_is_not_inside_an_lv_area(first):
    """The source's area takes the transformer's name (the same customers); a fuse on the MV bus
    beside it, with no customers of its own, is still outside any LV area, whichever is traced first."""
    buses = [1, 2, 3] if first == "transformer" else [1, 3, 2]
    topology = radial([1, 2, 3], sources=[(1, "S", 1)], transformers=[(20, "T", 1, buses[1])],
                      switches=[(5, "F", 1, buses[2], "fuse", False)], customers=[buses[1]])
    named = {d.code: area for area, d in enumerate(topology.area_device) if d}
    assert set(named) == {"T", "F"} and topology.area_in_lv[named["T"]]
    assert not topology.area_in_lv[named["F"]] and topology.area_parent[named["F"]] == named["T"]


def test_a_topology_switched_from_another_is_the_one_traced_afresh(connection, feeder):
    """After a switching a process keeps what the grid's last topology holds and reads the switches
    only (dispatch/gis/grid.py): the result must be what reading and tracing it all gives."""
    before = Topology(grid_rows(connection))
    connection.execute(text("UPDATE switches SET is_open = NOT is_open WHERE code IN ('SEC1', 'TIE', 'F1')"))
    fresh, switched = Topology(grid_rows(connection)), before.switched(switch_rows(connection))
    for topology in (fresh, switched):
        assert sorted(topology.area_of_device) == sorted(fresh.area_of_device)

    def described(topology: Topology, bus_id: int):
        area = topology.area_of_bus(bus_id)
        return (topology.area_device[area], topology.area_customers[area], topology.area_source[area],
                topology.transformer_of_bus(bus_id), topology.source_of_bus(bus_id))
    buses = connection.execute(text("SELECT id FROM buses")).scalars().all()
    assert [described(switched, b) for b in buses] == [described(fresh, b) for b in buses]
    assert [described(before, b) for b in buses] != [described(fresh, b) for b in buses]


def test_each_process_follows_a_switching_and_an_import(app, client, cli, feeder, connection, tmp_path):
    """A switching moves the topology's version alone (a process reads the switches again); an
    import moves the grid's too (it reads the whole grid again, or new customers would be missed)."""
    database, topologies = app.extensions["database"], app.extensions["topologies"]

    def customers_out_with(code: str) -> int:
        with database.session() as session:
            topology = topologies.current(session)
        return topology.area_customers[topology.area_of_bus(bus(connection, code))]

    assert customers_out_with("LV2") == 10
    assert client.patch("/api/v1/grid/switches/SEC1", json={"is_open": True}).status_code == 200
    assert customers_out_with("B7") == 10  # cut off from S1: an island of T2's customers
    assert client.patch("/api/v1/grid/switches/TIE", json={"is_open": False}).status_code == 200
    assert customers_out_with("B7") == 20  # fed by S2 now, beside T5's
    grid = feeder_grid()
    grid["customers"]["features"].append({**grid["customers"]["features"][10], "properties": {
        **grid["customers"]["features"][10]["properties"], "account_no": "NEW-1"}})
    imported = cli.invoke(args=["data", "import", str(write_layers(tmp_path / "again", {"customers": grid["customers"]}))])
    assert imported.exit_code == 0, imported.output
    assert customers_out_with("LV2") == 11 and customers_out_with("B7") == 21
