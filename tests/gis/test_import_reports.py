"""The import report through the API (issue 18): an administrator posts the layer files, gets the
counts and warnings the command line prints, and every import, from either way in, is kept and
listed. Whatever the body, the answer is the report or a problem, never a server error."""
from __future__ import annotations

import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from tests.factories import feature, point, small_grid, with_change, write_layers
from tests.gis.test_grid_import import run_import
from tests.gis.test_import_as_exported import exported_grid
from tests.helpers import assert_problem, count, fingerprint

IMPORTS = "/api/v1/grid/imports"


@pytest.fixture
def stopped_clock():
    yield clock.freeze
    clock.freeze(None)


def files(layers: dict) -> dict:
    """A multipart body: each layer as a file part named by its layer (the file's own name is not read)."""
    return {name: (io.BytesIO(content if isinstance(content, bytes) else json.dumps(content).encode()), "export.json")
            for name, content in layers.items()}


def post(client, layers: dict, **options):
    return client.post(IMPORTS, data=files(layers), content_type="multipart/form-data", **options)


def test_an_import_through_the_api_answers_the_report_the_cli_prints(client, cli, connection, tmp_path,
                                                                       stopped_clock):
    at = clock.now().replace(microsecond=0)
    stopped_clock(at)
    answer = post(client, exported_grid())
    assert answer.status_code == 201, answer.get_data(as_text=True)
    report = answer.get_json()
    assert report["actor"] == "admin"
    assert datetime.fromisoformat(report["started_at"]) == datetime.fromisoformat(report["finished_at"]) == at
    assert report["counts"]["roads"] == {"features": 7, "inserted": 7, "updated": 0, "unchanged": 0,
                                         "directed_edges": 10, "components": 2, "unroutable_nodes": 2}
    assert report["counts"]["crews"]["inserted"] == 2 and set(report["counts"]) == set(exported_grid())
    assert {"layer": "crews", "message": "1 crew(s) can take no incident, their skills meet no rule: C2"} \
        in report["warnings"]
    assert {"layer": "zones", "message": "1 zone(s) have no crew whose depot lies in them: Z9"} in report["warnings"]
    # The same files from the command line: the same warnings, printed; nothing changed, and it is kept too.
    stopped_clock(at + timedelta(minutes=5))
    printed = cli.invoke(args=["data", "import", str(write_layers(tmp_path, exported_grid()))])
    assert printed.exit_code == 0, printed.output
    assert [line.removeprefix("warning: ") for line in printed.output.splitlines() if line.startswith("warning: ")] \
        == [f"{w['layer']}: {w['message']}" for w in report["warnings"]]
    listed = client.get(IMPORTS).get_json()["imports"]
    assert [(r["actor"], r["id"]) for r in listed][:2] == [("cli", listed[0]["id"]), ("admin", report["id"])]
    assert listed[0]["counts"]["roads"]["unchanged"] == 7 and listed[0]["warnings"] == report["warnings"]
    assert datetime.fromisoformat(listed[0]["started_at"]) == at + timedelta(minutes=5)
    assert client.get(f"{IMPORTS}/{report['id']}").get_json() == report
    assert [r["id"] for r in client.get(f"{IMPORTS}?limit=1").get_json()["imports"]] == [listed[0]["id"]]


def test_a_refused_import_lists_its_problems_and_changes_nothing(client, connection):
    assert post(client, small_grid()).status_code == 201
    before, reports = fingerprint(connection), count(connection, "grid_imports")
    layers = with_change(small_grid(), "transformers", 0, hv_bus="NOWHERE")
    layers["depots"]["features"].append(feature(point(0.01, 0.01), code="D2", name=""))
    problem = assert_problem(post(client, layers), 422)
    assert problem["type"].endswith("import-rejected") and "nothing was imported" in problem["detail"]
    found = {(e["location"], e["field"], e["message"]) for e in problem["errors"]}
    assert ("transformers.geojson #0", "hv_bus", "unknown bus 'NOWHERE'") in found
    assert ("depots.geojson #1", "name", "must be a non-empty string") in found
    assert fingerprint(connection) == before and count(connection, "grid_imports") == reports


@pytest.mark.parametrize("body, field, message", [
    ({}, "body", "send at least one layer file"),
    ({"zones.geojson": (io.BytesIO(b"{}"), "zones.geojson")}, "zones.geojson", "is not a layer"),
    ({"zones": "{\"type\": \"FeatureCollection\", \"features\": []}"}, "zones", "send the layer as a file"),
    ({"zones": [(io.BytesIO(b"{}"), "a.geojson"), (io.BytesIO(b"{}"), "b.geojson")]}, "zones", "one file per layer"),
])
def test_parts_that_are_not_one_file_per_layer_are_refused(client, connection, body, field, message):
    problem = assert_problem(client.post(IMPORTS, data=body, content_type="multipart/form-data"), 422)
    assert {"field": field, "message": message} in problem["errors"]
    assert count(connection, "grid_imports") == 0


def test_a_json_body_is_told_to_send_files(client):
    problem = assert_problem(client.post(IMPORTS, json={"zones": {"type": "FeatureCollection", "features": []}}), 422)
    assert "multipart/form-data" in problem["detail"]


@pytest.mark.parametrize("content", [
    b"[" * 100_000 + b"]" * 100_000,  # deeper than either JSON parser goes
    b'{"type": "FeatureCollection", "features": [' + b"[" * 900 + b"]" * 900 + b"]}",
    b"\xff\xfe\x00 not text",
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
    b'"coordinates": [0, 0]}, "properties": {"code": "D\\u0000", "name": "nul"}}]}',
    b'{"type": "FeatureCollection", "features": {"not": "a list"}}',
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
    b'"coordinates": [0, 0]}, "properties": {"code": "D1", "name": "deep", "extra": ' + b"[" * 1000 + b"]" * 1000
    + b"}}]}",
    b'{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": {"type": "Point", '
    b'"coordinates": [0, 0]}, "properties": {"code": "D1", "name": "nul", "\\u0000": "\\u0000"}}]}',
    b"",
])
def test_hostile_files_are_problems_not_server_errors(client, connection, content):
    problem = assert_problem(post(client, {"depots": content}), 422)
    assert problem["type"].endswith("import-rejected")  # a NUL in a kept property: the database's refusal
    assert count(connection, "depots") == 0 and count(connection, "grid_imports") == 0


def test_the_import_route_has_its_own_body_limit(rules, connection):
    small = rules(max_body_bytes=2000, grid_import_max_mb=1)
    answer = post(small, small_grid())  # larger than MAX_BODY_BYTES: whole layers are this route's measure
    assert answer.status_code == 201, answer.get_data(as_text=True)
    padded = with_change(small_grid(), "depots", 0, note="x" * (1024 * 1024))
    problem = assert_problem(post(small, {"depots": padded["depots"]}), 413)
    assert problem["status"] == 413
    assert count(connection, "grid_imports") == 1
    assert_problem(small.post("/api/v1/reports", json={"channel": "hotline", "description": "x" * 3000}), 413)


def test_an_unknown_import_is_a_404(client):
    assert_problem(client.get(f"{IMPORTS}/12345"), 404)
    assert_problem(client.get(f"{IMPORTS}/{2**70}"), 404)
    assert client.get(IMPORTS).get_json() == {"imports": []}
    assert_problem(client.get(f"{IMPORTS}?limit=0"), 422)


def test_reports_are_kept_with_the_import_and_only_with_it(app, connection, tmp_path):
    """Recorded in the import's own transaction: the row and the grid commit together."""
    before = count(connection, "grid_imports")
    summary = run_import(app, write_layers(tmp_path, small_grid()))
    row = connection.execute(text("SELECT actor, counts, warnings FROM grid_imports WHERE id = :id"),
                             {"id": summary.id}).one()
    assert row.actor == "cli" and row.counts == summary.counts() and row.warnings == []
    assert count(connection, "grid_imports") == before + 1
