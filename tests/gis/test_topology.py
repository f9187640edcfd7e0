"""The in-memory topology: upstream tracing and outage areas of tests.factories.feeder_grid."""
from __future__ import annotations

import pytest
from sqlalchemy import text

from dispatch.gis.topology import Topology
from dispatch.gis.topology_store import grid_rows


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
    assert cut.source_of[bus(connection, "LV2")] is None  # an island: the tie is open too
    assert cut.area_customers[area_named(cut, "R1")] == 20
    connection.execute(text("UPDATE switches SET is_open = false WHERE code = 'TIE'"))
    fed = Topology(grid_rows(connection))
    sources = dict(connection.execute(text("SELECT id, code FROM sources")).all())
    assert sources[fed.source_of[bus(connection, "LV2")]] == "S2"
    assert fed.transformer_of_bus(bus(connection, "LV2")) == fed.area_device[fed.area_of_bus(bus(connection, "LV2"))].id


def test_areas_without_customers_are_not_merged(connection, feeder):
    connection.execute(text("DELETE FROM customers"))
    empty = Topology(grid_rows(connection))
    named = {d.code for d in empty.area_device if d is not None}
    assert {"BR1", "R1", "T1", "T2", "T3", "T4", "F1", "F4"} <= named
