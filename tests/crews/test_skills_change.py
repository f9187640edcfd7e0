"""The desk changes a crew's skills while it works: the crew keeps what its job needs, and gives
back the queued jobs it no longer qualifies for (the ``unqualified_crew`` invariant, as duty
keeps a crew on its job)."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import text

from dispatch.core import clock
from dispatch.crews.invariants import violations
from tests.crews.test_skills import UTILITY_RULES
from tests.factories import dispatch_grid, write_layers
from tests.helpers import assert_problem, customer, outbox, report


@pytest.fixture
def desk(rules, tmp_path, city, connection):
    """The utility's rules (a hazard needs live-line work), one incident per call, CW on duty with
    "service" and "live_line", CE off duty with the same."""
    path = tmp_path / "skills.json"
    path.write_text(json.dumps(UTILITY_RULES, ensure_ascii=False), encoding="utf-8")
    client = rules(skill_rules_file=str(path), inference_min_calls=100)
    for crew, on_duty in (("CW", True), ("CE", False)):
        changed = client.patch(f"/api/v1/crews/{crew}", json={"skills": ["service", "live_line"], "on_duty": on_duty})
        assert changed.status_code == 200, changed.get_data(as_text=True)
    return client


def call(desk, account_no, minutes=0, **body):
    """The incident a report went to, as the desk reads it."""
    brief = report(desk, clock.now() - timedelta(minutes=10 - minutes), account_no=account_no, **body)["incident"]
    return desk.get(f"/api/v1/incidents/{brief['id']}").get_json()


def crew_row(connection, code):
    return dict(connection.execute(text("SELECT name, skills, status, on_duty FROM crews WHERE code = :c"),
                                   {"c": code}).mappings().one())


def incident_row(connection, incident_id):
    return dict(connection.execute(text(
        "SELECT i.status, c.code AS crew, q.code AS queued_for FROM incidents i LEFT JOIN crews c ON c.id = i.crew_id "
        "LEFT JOIN crews q ON q.id = i.queued_crew_id WHERE i.id = :id"), {"id": incident_id}).mappings().one())


@pytest.mark.parametrize("step", ["assigned", "en_route", "on_site"])
def test_a_crew_on_a_job_cannot_lose_a_skill_the_job_needs(desk, connection, step):
    hazard = call(desk, customer(1), hazard=True)
    assert hazard["crew"] == "CW" and hazard["required_skills"] == ["live_line", "service"]
    if step != "assigned":
        for event in ("en_route", "on_site")[:("en_route", "on_site").index(step) + 1]:
            assert desk.post(f"/api/v1/incidents/{hazard['id']}/events", json={"type": event}).status_code == 200
    crew_before, incident_before = crew_row(connection, "CW"), incident_row(connection, hazard["id"])
    refused = desk.patch("/api/v1/crews/CW", json={"skills": ["service", "overhead"], "name": "Renamed"})
    problem = assert_problem(refused, 409)
    assert problem["detail"] == (f"crew CW is on incident {hazard['id']}, which needs live_line; "
                                 "finish or reassign it first")
    assert (problem["incident"], problem["missing_skills"]) == (hazard["id"], ["live_line"])
    # Nothing changed: not the skills, not the name sent with them, not the job.
    assert crew_row(connection, "CW") == crew_before and crew_before["skills"] == ["service", "live_line"]
    assert incident_row(connection, hazard["id"]) == incident_before == {"status": step, "crew": "CW", "queued_for": None}
    assert violations(connection) == []


def test_every_skill_missing_is_named(desk, connection):
    hazard = call(desk, customer(1), hazard=True)
    problem = assert_problem(desk.patch("/api/v1/crews/CW", json={"skills": ["overhead"]}), 409)
    assert f"incident {hazard['id']}, which needs live_line, service;" in problem["detail"]
    assert problem["missing_skills"] == ["live_line", "service"]
    assert violations(connection) == []


def test_a_skill_the_job_does_not_need_can_go(desk, connection):
    job = call(desk, customer(1))
    assert job["crew"] == "CW" and job["required_skills"] == ["service"]
    changed = desk.patch("/api/v1/crews/CW", json={"skills": ["service", "overhead"]})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.get_json()["skills"] == ["service", "overhead"] and changed.get_json()["incident"] == job["id"]
    assert incident_row(connection, job["id"]) == {"status": "assigned", "crew": "CW", "queued_for": None}
    assert violations(connection) == []


def queue(desk, incident, crew="CW"):
    queued = desk.post(f"/api/v1/incidents/{incident['id']}/assign", json={"crew": crew, "queue": True})
    assert queued.status_code == 200 and queued.get_json()["queued"] is True, queued.get_data(as_text=True)


def test_a_queued_job_the_crew_no_longer_qualifies_for_goes_to_a_free_crew_that_does(desk, connection):
    current = call(desk, customer(1))
    hazard = call(desk, customer(4), 1, hazard=True)
    assert current["crew"] == "CW" and hazard["crew"] is None
    queue(desk, hazard)
    # CE comes on duty, free and qualified, but the hazard is lined up for CW: CE leaves it.
    assert desk.patch("/api/v1/crews/CE", json={"on_duty": True}).status_code == 200
    assert incident_row(connection, hazard["id"]) == {"status": "new", "crew": None, "queued_for": "CW"}
    cw = connection.execute(text("SELECT id FROM crews WHERE code = 'CW'")).scalar_one()
    before = connection.execute(text("SELECT coalesce(max(id), 0) FROM outbox")).scalar_one()
    changed = desk.patch("/api/v1/crews/CW", json={"skills": ["service"]})  # its current job needs no more
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert incident_row(connection, hazard["id"]) == {"status": "assigned", "crew": "CE", "queued_for": None}
    assert incident_row(connection, current["id"]) == {"status": "assigned", "crew": "CW", "queued_for": None}
    # CW's phone hears that the hazard is no longer lined up for it.
    assert any(cw in m["crew_ids"] for m in outbox(connection, before, topic="incident")
               if m["payload"]["id"] == hazard["id"])
    assert violations(connection) == []


def test_without_a_qualified_free_crew_the_job_waits_and_the_rest_of_the_queue_stays(desk, connection):
    current = call(desk, customer(1))
    hazard, plain = call(desk, customer(4), 1, hazard=True), call(desk, customer(5), 2)
    for incident in (hazard, plain):
        queue(desk, incident)
    assert desk.patch("/api/v1/crews/CE", json={"skills": ["service"], "on_duty": True}).status_code == 200
    assert desk.patch("/api/v1/crews/CW", json={"skills": ["service"]}).status_code == 200
    assert incident_row(connection, hazard["id"]) == {"status": "new", "crew": None, "queued_for": None}
    assert desk.get(f"/api/v1/incidents/{hazard['id']}").get_json()["no_qualified_crew"] is True
    assert incident_row(connection, plain["id"]) == {"status": "new", "crew": None, "queued_for": "CW"}  # still CW's
    timeline = desk.get(f"/api/v1/incidents/{hazard['id']}").get_json()["timeline"]
    assert [e["data"] for e in timeline if e["type"] == "unqueued"] == [{"crew": "CW", "reason": "skills"}]
    assert incident_row(connection, current["id"])["crew"] == "CW"
    assert violations(connection) == []


def import_crews(cli, directory, **skills):
    """A grid import of the crews layer alone (as the utility's roster export sends it nightly),
    each crew named re-described with the skills given, the others as first imported."""
    layer = dispatch_grid()["crews"]
    for crew in layer["features"]:
        crew["properties"]["skills"] = skills.get(crew["properties"]["code"], crew["properties"]["skills"])
    return cli.invoke(args=["data", "import", str(write_layers(directory, {"crews": layer}))])


def test_an_import_that_would_take_a_skill_its_job_needs_from_a_crew_is_refused_whole(desk, cli, tmp_path,
                                                                                      connection):
    hazard = call(desk, customer(1), hazard=True)
    assert hazard["crew"] == "CW"
    before = {code: crew_row(connection, code) for code in ("CW", "CE", "CL")}
    refused = import_crews(cli, tmp_path / "roster", CW=["service"], CE=["service", "overhead"])
    assert refused.exit_code == 1
    assert f"crew CW is on incident {hazard['id']}, which needs live_line; finish or reassign it first" \
        in refused.output
    assert {code: crew_row(connection, code) for code in before} == before  # nothing imported
    assert incident_row(connection, hazard["id"]) == {"status": "assigned", "crew": "CW", "queued_for": None}
    assert violations(connection) == []


def test_an_import_that_takes_a_skill_from_a_crew_gives_back_the_queued_jobs_it_needed(desk, cli, tmp_path,
                                                                                      connection):
    current = call(desk, customer(1))
    hazard, plain = call(desk, customer(4), 1, hazard=True), call(desk, customer(5), 2)
    for incident in (hazard, plain):
        queue(desk, incident)
    imported = import_crews(cli, tmp_path / "roster", CW=["service"])  # its current job needs no more
    assert imported.exit_code == 0, imported.output
    assert crew_row(connection, "CW")["skills"] == ["service"]
    assert incident_row(connection, hazard["id"]) == {"status": "new", "crew": None, "queued_for": None}
    assert incident_row(connection, plain["id"]) == {"status": "new", "crew": None, "queued_for": "CW"}  # still CW's
    assert incident_row(connection, current["id"])["crew"] == "CW"
    timeline = desk.get(f"/api/v1/incidents/{hazard['id']}").get_json()["timeline"]
    assert [(e["data"], e["actor"]) for e in timeline if e["type"] == "unqueued"] == [
        ({"crew": "CW", "reason": "skills"}, "cli")]
    assert violations(connection) == []
