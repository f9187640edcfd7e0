"""``/metrics``: the Prometheus text format, for administrators (a Prometheus server scrapes it with
an administrator's bearer token; README, "Operations").

Two kinds of figures. Requests (count by route and status, latency histogram by route) are
counted by each process as it serves; gunicorn runs several, so with PROMETHEUS_MULTIPROC_DIR set
each writes its counts to files there and a scrape, answered by any one process, adds them all
up (prometheus_client's multiprocess mode; scripts/gunicorn.conf.py removes a dead worker's
files). The route is the URL rule (``/api/v1/incidents/<int:incident_id>``), never the path
itself: one time series per route, not one per incident. The business figures (reports, open
incidents, assignments, outbox lag, SLA breaches, the worker's last sweep) are read from the
database at each scrape (:mod:`dispatch.reporting.operations`).
"""
from __future__ import annotations

import time
from typing import Iterator

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from api.access import allow
from api.context import session, settings
from api.openapi import operation
from dispatch.core import clock
from dispatch.reporting.operations import figures

REQUESTS = Counter("dispatch_http_requests", "HTTP requests answered, by route (URL rule) and status",
                   ["method", "route", "status"])
LATENCY = Histogram("dispatch_http_request_duration_seconds", "Time to answer a request, by route (URL rule)",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
#: A request no route matched (404, 405): one label for all of them.
UNMATCHED = "(unmatched)"
#: Methods counted by name; any other a client makes up is "OTHER" (each name would be a series
#: of its own, and anyone may send requests).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def _count(response: Response) -> Response:
    started = g.get("request_started")
    route = request.url_rule.rule if request.url_rule else UNMATCHED
    method = request.method if request.method in METHODS else "OTHER"
    REQUESTS.labels(method, route, str(response.status_code)).inc()
    if started is not None:
        LATENCY.labels(method, route).observe(time.perf_counter() - started)
    return response


def register_metrics(app: Flask) -> None:
    app.after_request(_count)


class _ThisProcess:
    """Without PROMETHEUS_MULTIPROC_DIR: the figures this process holds in memory."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


class _Business:
    """The database's figures, read at the scrape."""

    def collect(self) -> Iterator[Metric]:
        now = clock.now()
        found = figures(session().connection(), now)
        yield CounterMetricFamily("dispatch_reports", "Trouble reports received (all channels)",
                                  value=found["reports"])
        incidents = GaugeMetricFamily("dispatch_incidents_open", "Open incidents by status", labels=["status"])
        for status, count in found["incidents_open"].items():
            incidents.add_metric([status], count)
        yield incidents
        yield GaugeMetricFamily("dispatch_assignments_active", "Open incidents with a crew on them",
                                value=found["assignments"])
        crews = GaugeMetricFamily("dispatch_crews", "Crews by status", labels=["status"])
        for status, count in found["crews"].items():
            crews.add_metric([status], count)
        yield crews
        yield GaugeMetricFamily("dispatch_outbox_unrelayed", "Live-update messages not yet relayed to Redis",
                                value=found["outbox_unrelayed"])
        yield GaugeMetricFamily("dispatch_outbox_lag_seconds", "Age of the oldest live-update message not yet "
                                "relayed (0: none waiting)", value=found["outbox_lag_s"])
        yield GaugeMetricFamily("dispatch_sla_breaches_open", "Open incidents that missed an SLA deadline",
                                value=found["sla_breaches_open"])
        if found["worker_sweep_age_s"] is not None:
            yield GaugeMetricFamily("dispatch_worker_last_sweep_age_seconds", "Seconds since a worker last "
                                    "finished an SLA sweep", value=found["worker_sweep_age_s"])


blueprint = Blueprint("metrics", __name__)


@blueprint.get("/metrics")
@allow("admin")
@operation("Metrics in the Prometheus text format", "meta", responses={
    200: ("Requests by route and status, latencies, and the business figures", {"type": "string"}, "text/plain")})
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    if settings().prometheus_multiproc_dir:
        MultiProcessCollector(registry, path=settings().prometheus_multiproc_dir)
    else:
        registry.register(_ThisProcess())
    registry.register(_Business())
    return Response(generate_latest(registry), mimetype=None, content_type=CONTENT_TYPE_LATEST)
