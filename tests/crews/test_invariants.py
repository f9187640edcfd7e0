"""The invariants checker finds what is broken, and ``flask check invariants`` says so."""
from __future__ import annotations

from sqlalchemy import text

from dispatch.crews.invariants import violations
from tests.helpers import customer, report


def test_a_sound_dispatch_has_no_violations_and_each_break_is_named(client, cli, city, connection):
    incident = report(client, account_no=customer(2))["incident"]
    assert incident["crew"] == "CW"
    assert violations(connection) == []
    result = cli.invoke(args=["check", "invariants"])
    assert result.exit_code == 0 and "0 violation(s)" in result.output

    connection.execute(text("UPDATE crews SET status = 'assigned' WHERE code = 'CE'"))  # busy with nothing
    connection.execute(text("UPDATE incidents SET required_skills = '{hv}' WHERE id = :id"), {"id": incident["id"]})
    found = {(v["rule"], v["crew"], v["incident"]) for v in violations(connection)}
    assert found == {("crew_busy_without_job", "CE", None), ("unqualified_crew", "CW", incident["id"])}
    result = cli.invoke(args=["check", "invariants"])
    assert result.exit_code == 1 and "crew_busy_without_job: crew CE" in result.output
    assert "2 violation(s)" in result.output


def test_an_idle_crew_beside_a_waiting_incident_is_a_violation(client, city, connection):
    connection.execute(text("UPDATE crews SET on_duty = false, status = 'off_duty' WHERE code IN ('CW', 'CE')"))
    waiting = report(client, account_no=customer(5))["incident"]
    assert waiting["crew"] is None
    connection.execute(text("UPDATE crews SET on_duty = true, status = 'available' WHERE code = 'CE'"))  # no take
    assert [(v["rule"], v["crew"], v["incident"]) for v in violations(connection)] == [
        ("waiting_while_crew_idle", "CE", waiting["id"])]
