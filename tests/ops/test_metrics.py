"""/metrics: the Prometheus text format, for administrators only: requests by route (the URL rule)
and status, latency histograms, and the business figures read from the database."""
from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from dispatch.core import clock
from tests.conftest import signed_in
from tests.helpers import assert_problem, customer, report


def samples(response) -> dict[tuple[str, tuple], float]:
    """{(sample name, sorted labels): value} of a scrape."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def requests_of(scrape, route: str, status: str) -> float:
    return scrape.get(("dispatch_http_requests_total", (("method", "GET"), ("route", route), ("status", status))), 0)


def test_metrics_are_for_administrators(app, client, make_user, anonymous):
    assert_problem(anonymous.get("/metrics"), 401)
    for role in ("dispatcher", "supervisor", "manager", "viewer"):
        assert_problem(signed_in(app.test_client(), make_user(role)).get("/metrics"), 403)
    assert client.get("/metrics").status_code == 200


def test_requests_are_counted_by_route_and_status(client, city):
    route = "/api/v1/incidents/<int:incident_id>"
    before = samples(client.get("/metrics"))
    incident = report(client, clock.now(), account_no=customer(2))["incident"]["id"]
    for _ in range(3):
        assert client.get(f"/api/v1/incidents/{incident}").status_code == 200
    assert client.get("/api/v1/incidents/99999999").status_code == 404
    after = samples(client.get("/metrics"))
    assert requests_of(after, route, "200") - requests_of(before, route, "200") == 3
    assert requests_of(after, route, "404") - requests_of(before, route, "404") == 1
    assert not any(f"/api/v1/incidents/{incident}" in str(labels) for _, labels in after)  # rules, not paths
    count = ("dispatch_http_request_duration_seconds_count", (("method", "GET"), ("route", route)))
    slowest = ("dispatch_http_request_duration_seconds_bucket", (("le", "+Inf"), ("method", "GET"), ("route", route)))
    assert after[count] - before.get(count, 0) == 4 and after[slowest] == after[count]


def test_the_business_figures_come_from_the_database(client, city, connection):
    report(client, clock.now(), account_no=customer(2))
    report(client, clock.now(), account_no=customer(5), kind="fire")
    incident = connection.execute(text("SELECT min(id) FROM incidents")).scalar_one()
    connection.execute(text("INSERT INTO incident_events (incident_id, type, at, actor) "
                            "VALUES (:i, 'breached', :at, 'test')"), {"i": incident, "at": clock.now()})
    connection.execute(text("INSERT INTO worker_heartbeats VALUES ('w', 'h', 1, :at)"), {"at": clock.now()})
    scrape = samples(client.get("/metrics"))

    def one(name, **labels):
        return scrape[(name, tuple(sorted(labels.items())))]

    assert one("dispatch_reports_total") == connection.execute(text("SELECT count(*) FROM reports")).scalar_one()
    open_now = dict(connection.execute(text("SELECT status, count(*) FROM incidents WHERE status <> 'merged' "
                                            "AND restored_at IS NULL GROUP BY status")).all())
    assert {s: one("dispatch_incidents_open", status=s) for s in open_now} == open_now
    assert one("dispatch_assignments_active") == connection.execute(text(
        "SELECT count(*) FROM incidents WHERE crew_id IS NOT NULL AND status <> 'merged' AND restored_at IS NULL"
    )).scalar_one() >= 1
    assert one("dispatch_crews", status="off_duty") == 1  # CL
    assert one("dispatch_sla_breaches_open") == 1
    assert one("dispatch_outbox_unrelayed") >= 2 and one("dispatch_outbox_lag_seconds") >= 0
    assert 0 <= one("dispatch_worker_last_sweep_age_seconds") < 60


def test_a_made_up_method_is_counted_as_other_not_as_a_series_of_its_own(client, anonymous):
    for name in ("X0ABC", "Y0ABC"):
        anonymous.open("/api/v1/nothing", method=name)
    methods = {dict(labels).get("method") for name, labels in samples(client.get("/metrics"))
               if name == "dispatch_http_requests_total"}
    assert "OTHER" in methods and not methods & {"X0ABC", "Y0ABC"}
