"""The API contract: the OpenAPI document resolves and validates, says the server's rules, and the
server keeps it: schemathesis sends generated requests (valid and invalid) to every documented
operation and checks that none is answered with a server error or a response the document does
not describe."""
from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance
from sqlalchemy import text

from api.openapi import build_document
from dispatch.core import clock

#: Endless (server-sent events) or not an API: left out of the fuzzing.
NOT_FUZZED = {"/api/v1/stream"}
#: Examples per operation: the whole run stays well under a few minutes on a small machine.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


def _refs(node, found: list[str]) -> list[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                found.append(value)
            else:
                _refs(value, found)
    elif isinstance(node, list):
        for item in node:
            _refs(item, found)
    return found


def test_the_document_validates_and_every_reference_resolves(app, anonymous):
    document = anonymous.get("/api/v1/openapi.json").get_json()
    validate(document)
    schemas = document["components"]["schemas"]
    refs = _refs(document, [])
    assert refs, "the document has nested models; they are referenced"
    dangling = sorted({ref for ref in refs if not ref.startswith("#/components/schemas/")
                       or ref.rsplit("/", 1)[1] not in schemas})
    assert dangling == []
    assert "$defs" not in str(document)
    assert {"Point", "Position", "DeviceOut", "IncidentBrief"} <= set(schemas)


def test_the_document_carries_the_servers_rules(app):
    document = build_document(app)
    body = "requestBody"
    closure = document["paths"]["/api/v1/roads/closures"]["post"][body]["content"]["application/json"]["schema"]
    assert closure["anyOf"] == [{"required": ["road_ids"]}, {"required": ["geometry"]}]
    assert closure["properties"]["road_ids"]["type"] == "array"  # may be left out, but is never null
    report = document["paths"]["/api/v1/reports"]["post"][body]["content"]["application/json"]["schema"]
    assert "7 days" in report["properties"]["received_at"]["description"]
    assert report["properties"]["received_at"]["type"] == "string"
    assert len(report["anyOf"]) == 4  # one locator at least
    change = document["paths"]["/api/v1/crews/{code}"]["patch"][body]["content"]["application/json"]["schema"]
    assert all("null" not in str(field) for field in change["properties"].values())
    point = document["components"]["schemas"]["Point"]
    assert point["properties"]["lon"] == {"maximum": 180, "minimum": -180, "title": "Lon", "type": "number"}
    listing = {p["name"] for p in document["paths"]["/api/v1/roads/closures"]["get"]["parameters"]}
    assert listing == {"include", "limit", "after"}


def test_generated_requests_get_no_server_error_and_no_undocumented_answer(app, city, make_user, connection):
    """schemathesis over every operation (FUZZ_EXAMPLES each, default 12), signed in as an
    administrator (the crew's own routes as a crew), in the test's transaction."""
    connection.execute(text("INSERT INTO worker_heartbeats VALUES ('w', 'h', 1, :at)"), {"at": clock.now()})  # /readyz
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    started, operations = time.perf_counter(), 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in NOT_FUZZED:
            continue
        operations += 1
        # A user per operation: DELETE /auth/token revokes the token it is sent with.
        user = make_user("crew", crew="CW") if operation.path.startswith("/api/v1/me") else make_user("admin")

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def send(case):
            case.call_and_validate(headers=user["headers"], checks=CHECKS)

        try:
            send()
        except BaseException as failure:  # schemathesis raises exception groups; every operation is tried
            if isinstance(failure, KeyboardInterrupt):
                raise
            failures[operation.label] = str(failure)[:3000]
    print(f"fuzzed {operations} operations, {EXAMPLES} examples each, in {time.perf_counter() - started:.1f} s")
    assert operations >= 40
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


@pytest.mark.parametrize("path", sorted(NOT_FUZZED))
def test_what_is_not_fuzzed_is_documented(app, path):
    assert path in build_document(app)["paths"]
