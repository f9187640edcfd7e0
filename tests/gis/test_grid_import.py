"""Importing GeoJSON layers: all or nothing, idempotent, every problem reported."""
from __future__ import annotations

import math

import pytest
from sqlalchemy import text

from dispatch.core.errors import ImportRejected
from dispatch.gis.grid_import import import_grid
from tests.factories import collection, feature, line, point, small_grid, with_change, write_layers
from tests.helpers import count, fingerprint


def run_import(app, directory):
    session = app.extensions["database"].session()
    try:
        return import_grid(session, directory)
    finally:
        session.close()


def test_imports_every_layer(app, connection, tmp_path):
    summary = run_import(app, write_layers(tmp_path, small_grid()))
    assert {r.layer: r.inserted for r in summary.layers} == {
        "zones": 1, "buses": 6, "sources": 1, "lines": 2, "switches": 1, "transformers": 2,
        "customers": 2, "depots": 1, "crews": 2, "roads": 3}
    assert count(connection, "road_nodes") == 3  # shared end points become one node each
    assert summary.road_directed_edges == 4  # the two-way road counts twice
    row = connection.execute(text(
        "SELECT s.is_open, s.normally_open, b.code FROM switches s JOIN buses b ON b.id = s.from_bus_id")).one()
    assert row == (False, False, "MV2")
    crews = dict(connection.execute(text("SELECT code, headcount FROM crews")).all())
    assert crews == {"C1": 2, "C2": 3}
    assert connection.execute(text("SELECT props->>'manager' FROM zones")).scalar_one() == "Li Wei"
    lengths = connection.execute(text("SELECT length_m FROM lines ORDER BY code")).scalars().all()
    assert 150 < lengths[0] < 250  # 0.002 degrees of longitude at 34°N is about 185 m
    oneways = dict(connection.execute(text("SELECT coalesce(name, code), oneway FROM roads")).all())
    assert oneways["Fin Street"] == "no" and oneways["R3"] == "yes"


def test_reimport_changes_nothing(app, connection, tmp_path):
    directory = write_layers(tmp_path, small_grid())
    run_import(app, directory)
    before = fingerprint(connection)
    summary = run_import(app, directory)
    assert all(r.inserted == 0 and r.updated == 0 for r in summary.layers)
    assert fingerprint(connection) == before


def test_reimport_updates_by_code(app, connection, tmp_path):
    run_import(app, write_layers(tmp_path / "a", small_grid()))
    changed = with_change(small_grid(), "transformers", 1, kva=630, owner="county")
    summary = run_import(app, write_layers(tmp_path / "b", changed))
    assert summary.result("transformers").updated == 1
    assert summary.result("buses").updated == 0
    assert count(connection, "transformers") == 2
    kva, owner = connection.execute(text("SELECT kva, props->>'owner' FROM transformers WHERE code = 'T2'")).one()
    assert (kva, owner) == (630, "county")


def test_reimport_keeps_switch_state_and_crew_position(app, connection, tmp_path):
    directory = write_layers(tmp_path, small_grid())
    run_import(app, directory)
    connection.execute(text("UPDATE switches SET is_open = true"))
    connection.execute(text("UPDATE crews SET status = 'on_site', geom = ST_SetSRID(ST_MakePoint(51.5, 34), 4326)"))
    run_import(app, write_layers(tmp_path / "b", with_change(small_grid(), "switches", 0, kind="recloser")))
    assert connection.execute(text("SELECT is_open, kind FROM switches")).one() == (True, "recloser")
    assert connection.execute(text("SELECT DISTINCT status, ST_X(geom) FROM crews")).one() == ("on_site", 51.5)


def nan_customer_file() -> str:
    """Python's json module writes (and reads) a bare NaN literal, as some GIS exports do."""
    import json
    layer = small_grid()["customers"]
    layer["features"][0]["geometry"]["coordinates"][1] = math.nan
    return json.dumps(layer)


BAD_INPUTS = {
    "missing code": (lambda g: with_change(g, "buses", 2, code=None), "buses.geojson #2 code: is required"),
    "duplicate code": (lambda g: with_change(g, "buses", 1, code="MV1"),
                       "buses.geojson #1 code: duplicate code 'MV1' (also #0)"),
    "wrong geometry type": (
        lambda g: {**g, "depots": collection(feature(line((0, 0), (1, 1)), code="D1", name="x"))},
        "depots.geojson #0 geometry: geometry type 'LineString' is not allowed here; expected Point"),
    "unknown bus": (lambda g: with_change(g, "lines", 1, to_bus="MV99"), "lines.geojson #1 to_bus: unknown bus 'MV99'"),
    "unknown transformer": (lambda g: with_change(g, "customers", 1, transformer="T9"),
                            "customers.geojson #1 transformer: unknown transformer 'T9'"),
    "unknown depot": (lambda g: with_change(g, "crews", 0, depot="D7"), "crews.geojson #0 depot: unknown depot 'D7'"),
    "latitude out of range": (
        lambda g: {**g, "depots": collection(feature({"type": "Point", "coordinates": [51.4, 95]}, code="D1", name="x"))},
        "depots.geojson #0 geometry: latitude 95 is out of range [-90, 90]"),
    "longitude out of range": (
        lambda g: {**g, "depots": collection(feature({"type": "Point", "coordinates": [181, 33]}, code="D1", name="x"))},
        "depots.geojson #0 geometry: longitude 181 is out of range [-180, 180]"),
    "NaN coordinate": (lambda g: {**g, "customers": nan_customer_file()},
                       "customers.geojson #0 geometry: coordinate nan is not a finite number"),
    "NaN value": (lambda g: with_change(g, "buses", 0, voltage_kv=math.nan),
                  "buses.geojson #0 voltage_kv: must be a finite number greater than 0, not nan"),
    "bad enumeration": (lambda g: with_change(g, "customers", 0, priority="vip"),
                        "customers.geojson #0 priority: must be one of normal, important, critical, life_support; got 'vip'"),
    "customer on nothing": (lambda g: with_change(g, "customers", 0, bus=None, transformer=None),
                            "customers.geojson #0 bus: a customer needs a bus or a transformer"),
    "line to itself": (lambda g: with_change(g, "lines", 0, to_bus="MV1"), "lines.geojson #0 to_bus: must differ from from_bus"),
    "not JSON": (lambda g: {**g, "zones": "{not json"}, "zones.geojson file: is not valid JSON"),
    "not a collection": (lambda g: {**g, "roads": {"type": "Feature"}},
                         "roads.geojson type: must be a GeoJSON FeatureCollection with a features list"),
    "unclosed polygon": (
        lambda g: {**g, "zones": collection(feature({"type": "Polygon", "coordinates": [[[51, 33], [52, 33], [52, 34], [51, 34]]]},
                                                    code="Z1", name="x", **{"class": "urban"}))},
        "zones.geojson #0 geometry: a polygon ring must end where it starts"),
}


@pytest.mark.parametrize("case", BAD_INPUTS)
def test_bad_feature_rejects_whole_import(app, connection, tmp_path, case):
    run_import(app, write_layers(tmp_path / "good", small_grid()))
    before = fingerprint(connection)
    make_bad, message = BAD_INPUTS[case]
    bad = make_bad(with_change(small_grid(), "buses", 0, voltage_kv=20))  # a valid change that must not land
    with pytest.raises(ImportRejected) as rejected:
        run_import(app, write_layers(tmp_path / "bad", bad))
    assert any(str(problem).startswith(message) for problem in rejected.value.problems), rejected.value.problems
    assert fingerprint(connection) == before


def test_rejected_first_import_leaves_database_empty(app, connection, tmp_path):
    with pytest.raises(ImportRejected):
        run_import(app, write_layers(tmp_path, with_change(small_grid(), "customers", 1, bus="nowhere")))
    assert all(digest.startswith("0:") for digest in fingerprint(connection).values())


def test_every_problem_is_listed(app, connection, tmp_path):
    bad = with_change(with_change(small_grid(), "buses", 0, voltage_kv="high"), "crews", 1, skills="lv")
    with pytest.raises(ImportRejected) as rejected:
        run_import(app, write_layers(tmp_path, bad))
    found = {str(p) for p in rejected.value.problems}
    assert "buses.geojson #0 voltage_kv: must be a number" in found
    assert "crews.geojson #1 skills: must be a list of non-empty strings" in found


def test_references_to_stored_objects_resolve(app, connection, tmp_path):
    run_import(app, write_layers(tmp_path / "grid", small_grid()))
    extra_bus = collection(feature(point(0.005, 0.001), code="LV3", voltage_kv=0.4))
    customer = collection(feature(point(0.005, 0.001), account_no="2001", name="New", phone="1", address="x",
                                  bus="LV1", priority="important"))
    summary = run_import(app, write_layers(tmp_path / "more", {"buses": extra_bus, "customers": customer}))
    assert summary.result("customers").inserted == 1
    assert count(connection, "customers") == 3


def test_cli_import_reports_problems_and_exit_status(cli, connection, tmp_path):
    bad = write_layers(tmp_path / "bad", with_change(small_grid(), "sources", 0, bus="MV0"))
    result = cli.invoke(args=["data", "import", str(bad)])
    assert result.exit_code == 1
    assert "sources.geojson #0 bus: unknown bus 'MV0'" in result.output
    assert count(connection, "buses") == 0
    good = write_layers(tmp_path / "good", small_grid())
    result = cli.invoke(args=["data", "import", str(good)])
    assert result.exit_code == 0, result.output
    assert "customers" in result.output and "road graph: 4 directed edges" in result.output


def test_cli_rejects_missing_directory(cli, tmp_path):
    result = cli.invoke(args=["data", "import", str(tmp_path / "nowhere")])
    assert result.exit_code == 1 and "is not a directory" in result.output


def test_database_refusal_rolls_back_everything(app, connection, tmp_path):
    """A rule only the database knows (here a constraint added for the test) still leaves nothing behind."""
    run_import(app, write_layers(tmp_path / "a", small_grid()))
    before = fingerprint(connection)
    connection.execute(text("ALTER TABLE transformers ADD CONSTRAINT test_small CHECK (kva < 500)"))
    changed = with_change(with_change(small_grid(), "buses", 0, voltage_kv=20), "transformers", 0, kva=630)
    with pytest.raises(ImportRejected, match="the database refused the import.*test_small"):
        run_import(app, write_layers(tmp_path / "b", changed))
    assert fingerprint(connection) == before



def test_bulk_first_load_keeps_every_index_and_reference(app, connection, tmp_path, monkeypatch):
    monkeypatch.setattr("dispatch.gis.grid_import_store.BULK_ROWS", 2)
    schema = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t ORDER BY indexname"
    checks = "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = CAST(:t AS regclass) ORDER BY conname"
    before = {t: (connection.execute(text(schema), {"t": t}).all(), connection.execute(text(checks), {"t": t}).all())
              for t in ("customers", "lines", "roads")}
    run_import(app, write_layers(tmp_path, small_grid()))
    after = {t: (connection.execute(text(schema), {"t": t}).all(), connection.execute(text(checks), {"t": t}).all())
             for t in ("customers", "lines", "roads")}
    assert after == before
    assert count(connection, "customers") == 2


def test_bulk_first_load_still_rejects_what_the_database_refuses(app, connection, tmp_path, monkeypatch):
    monkeypatch.setattr("dispatch.gis.grid_import_store.BULK_ROWS", 2)
    connection.execute(text("ALTER TABLE customers ADD CONSTRAINT test_no_hospitals CHECK (name NOT LIKE '%Hospital%')"))
    with pytest.raises(ImportRejected, match="test_no_hospitals"):
        run_import(app, write_layers(tmp_path, small_grid()))
    assert all(digest.startswith("0:") for digest in fingerprint(connection).values())


def test_nul_characters_in_text_are_reported(app, connection, tmp_path):
    with pytest.raises(ImportRejected) as rejected:
        run_import(app, write_layers(tmp_path, with_change(small_grid(), "buses", 1, code="MV\u00002")))
    assert "buses.geojson #1 code: must not contain NUL characters" in {str(p) for p in rejected.value.problems}
