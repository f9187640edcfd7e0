"""Grids as utilities' GIS exports write them (issue 18): empty strings for "no value", roads with no
code and parallel carriageways between the same junctions, crews and zones that cannot work as
imported. The import takes them, says what it took differently, and warns about what will not work."""
from __future__ import annotations

import copy

from sqlalchemy import text

from tests.factories import feature, line, point, small_grid, write_layers
from tests.gis.test_grid_import import run_import
from tests.helpers import count, fingerprint


def exported_grid() -> dict:
    """The small grid as a real export carries it."""
    layers = copy.deepcopy(small_grid())
    roads = layers["roads"]["features"]
    for road in roads:
        road["properties"].update(name="", maxspeed="")  # unnamed, no speed limit recorded
    roads[1]["properties"].pop("code", None)
    # The two carriageways of a divided road between the same junctions, neither with a code, and
    # a service road drawn twice over (the export's own duplicate).
    roads += [feature(line((0, 0), (0.001, 0.0002), (0.002, 0)), highway="secondary", oneway="yes", name=""),
              feature(line((0, 0), (0.001, -0.0002), (0.002, 0)), highway="secondary", oneway="yes", name=""),
              feature(line((0.002, 0), (0.002, 0.001)), highway="service", code=""),
              feature(line((0.002, 0), (0.002, 0.001)), highway="service", code="")]
    layers["lines"]["features"][1]["properties"]["feeder"] = "  "
    layers["customers"]["features"][0]["properties"]["bus"] = ""
    # A crew described in the utility's words, and a zone with no depot in it.
    layers["crews"]["features"][1]["properties"]["skills"] = ["overhead", "switching"]
    far = [[[114.0, 22.0], [114.1, 22.0], [114.1, 22.1], [114.0, 22.1], [114.0, 22.0]]]
    layers["zones"]["features"].append(feature({"type": "Polygon", "coordinates": far}, code="Z9",
                                               name="Islands", **{"class": "remote"}))
    return layers


def test_an_export_with_empty_strings_and_uncoded_roads_imports(app, connection, tmp_path):
    summary = run_import(app, write_layers(tmp_path, exported_grid()))
    assert summary.result("roads").inserted == 7
    roads = connection.execute(text("SELECT code, name, maxspeed_kmh FROM roads ORDER BY code")).all()
    assert all(name is None and maxspeed is None for _, name, maxspeed in roads)
    derived = sorted(code for code, _, _ in roads if code.startswith("road:"))
    assert len(derived) == 6 and len(set(derived)) == 6  # both carriageways, both copies of the service road
    assert sum(code.endswith("~2") for code in derived) == 1
    assert connection.execute(text("SELECT feeder FROM lines WHERE code = 'L2'")).scalar_one() is None
    assert connection.execute(text(
        "SELECT bus_id IS NULL AND transformer_id IS NOT NULL FROM customers WHERE account_no = '1001'")).scalar_one()


def test_derived_road_codes_are_stable_across_reimports(app, connection, tmp_path):
    directory = write_layers(tmp_path, exported_grid())
    run_import(app, directory)
    before = fingerprint(connection)
    summary = run_import(app, directory)
    assert all(r.inserted == 0 and r.updated == 0 for r in summary.layers)
    assert fingerprint(connection) == before


def test_warnings_name_what_was_taken_as_absent_and_what_cannot_work(app, connection, tmp_path):
    warnings = [str(w) for w in run_import(app, write_layers(tmp_path, exported_grid())).warnings]
    assert "roads: empty name taken as absent in 5 feature(s): #0, #1, #2, #3, #4" in warnings
    assert "roads: empty maxspeed taken as absent in 3 feature(s): #0, #1, #2" in warnings
    assert "roads: empty code taken as absent in 2 feature(s): #5, #6" in warnings
    assert "lines: empty feeder taken as absent in 1 feature(s): #1" in warnings
    assert "customers: empty bus taken as absent in 1 feature(s): #0" in warnings
    assert "crews: skill(s) no rule knows: switching (SKILL_RULES_FILE lists mv, lv, overhead, cable, live_line, tree_trimming)" in warnings
    assert "crews: 1 crew(s) can take no incident, their skills meet no rule: C2" in warnings
    assert "zones: 1 zone(s) have no crew whose depot lies in them: Z9" in warnings
    # Both carriageways run one way into the service road's junction, and the service road is a dead
    # end: the two are reached but cannot be left.
    assert ("roads: 2 road node(s) outside the largest connected part of the road network: no crew is routed "
            "from or to them") in warnings
    assert len(warnings) == 9


def test_the_cli_prints_the_warnings_beside_the_counts(cli, connection, tmp_path):
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, exported_grid()))])
    assert result.exit_code == 0, result.output
    assert "warning: crews: 1 crew(s) can take no incident, their skills meet no rule: C2" in result.output
    assert "warning: zones: 1 zone(s) have no crew whose depot lies in them: Z9" in result.output
    assert count(connection, "roads") == 7


def test_a_clean_grid_has_no_warnings(app, connection, tmp_path):
    assert run_import(app, write_layers(tmp_path, small_grid())).warnings == []


def test_an_empty_required_value_is_still_refused(cli, connection, tmp_path):
    layers = small_grid()
    layers["depots"]["features"].append(feature(point(0.01, 0.01), code="D2", name=""))
    result = cli.invoke(args=["data", "import", str(write_layers(tmp_path, layers))])
    assert result.exit_code == 1 and "depots.geojson #1 name: must be a non-empty string" in result.output
    assert count(connection, "depots") == 0
