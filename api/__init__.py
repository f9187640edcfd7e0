"""The Flask adapter: HTTP routes, schemas, errors and command-line tools over the dispatch domain."""
from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

import redis
from flask import Flask, Response
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix

from api import (
    alerts,
    auth,
    callbacks,
    complaint_report,
    complaints,
    crew_app,
    crews,
    customers,
    desk,
    desk_app,
    evidence,
    grid,
    grid_imports,
    health,
    incidents,
    me,
    metrics,
    openapi,
    outages,
    outages_app,
    planned_outages,
    public_outages,
    reliability,
    repeat_faults,
    report_workbook,
    reports,
    reports_app,
    roads,
    sla_report,
    stream,
    tiles,
    work_orders,
)
from api.access import register_access_checks
from api.cli import register_cli
from api.context import close_session
from api.errors import register_error_handlers
from api.metrics import register_metrics
from api.request_ids import register_request_ids
from api.validation import register_input_checks
from dispatch.core import clock, logs
from dispatch.core.config import Settings
from dispatch.core.db import Database
from dispatch.gis.grid import TopologyCache
from dispatch.gis.skills import skill_rules
from dispatch.incidents.causes import taxonomy
from dispatch.live.hub import Hub
from dispatch.routing.engine import RoadGraphCache
from dispatch.routing.speeds import speed_table


class IsoJSONProvider(DefaultJSONProvider):
    """Times as ISO 8601 with offset (docs/architecture.md, "The clock, times and places"), not Flask's
    default HTTP dates."""

    @staticmethod
    def default(value):
        if isinstance(value, (datetime, date)):
            return value.isoformat()
        return DefaultJSONProvider.default(value)


def security_headers(response: Response) -> Response:
    """On every response: browsers never guess a type (a JSON string shown as HTML), and no page
    sends its address (which may hold an incident or a customer search) to another site."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def create_app(settings: Settings | None = None) -> Flask:
    """Build the application; the only way an app exists (configuration from the environment by default)."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    clock.shift(timedelta(days=settings.clock_shift_days))
    taxonomy(settings.cause_taxonomy_file)  # a utility's taxonomy that cannot be read stops the start
    skill_rules(settings.skill_rules_file)  # so do skill rules
    app = Flask(__name__, static_folder=None)
    app.json = IsoJSONProvider(app)
    # A larger body is refused with 413 (problem+json) when a view first reads it, before parsing.
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.extensions["settings"] = settings
    app.extensions["database"] = Database(settings.database_url, connect_timeout_s=settings.health_timeout_s,
                                          pool_size=settings.database_pool_size,
                                          max_overflow=settings.database_max_overflow)
    app.extensions["redis"] = redis.Redis.from_url(
        settings.redis_url, socket_timeout=settings.health_timeout_s,
        socket_connect_timeout=settings.health_timeout_s)
    app.extensions["topologies"] = TopologyCache()
    app.extensions["road_graphs"] = RoadGraphCache(speed_table(settings.road_speeds_kmh))
    app.extensions["hub"] = Hub(app.extensions["database"], settings.redis_url, settings.stream_poll_s,
                                settings.health_timeout_s)
    app.teardown_appcontext(close_session)
    register_request_ids(app)
    register_metrics(app)
    register_error_handlers(app)
    register_input_checks(app)
    app.after_request(security_headers)
    for module in (alerts, auth, callbacks, complaint_report, complaints, crew_app, crews, customers, desk, desk_app, evidence, grid,
                   grid_imports, health, incidents, me, metrics, openapi, outages, outages_app, planned_outages,
                   public_outages, reliability,
                   repeat_faults, report_workbook, reports, reports_app, roads, sla_report, stream, tiles, work_orders):
        app.register_blueprint(module.blueprint)
    register_access_checks(app)
    register_cli(app)
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]
    return app


def build_graphs(app: Flask) -> None:
    """Build the road graph and the grid's topology now, then close every database connection:
    gunicorn's master calls this before it forks its workers (scripts/gunicorn.conf.py), which then
    share the road graph's memory instead of each building its own (README, "Routing at province
    scale"), and start with the topology of the grid's present version instead of each spending its
    first call building one (20 s of CPU at province scale, on every worker at once after a restart).
    A database that cannot be read now only delays them to each worker's first use."""
    database = app.extensions["database"]
    session = database.session()
    try:
        for graphs in ("road_graphs", "topologies"):
            try:
                app.extensions[graphs].current(session)
            except Exception:  # noqa: BLE001 - the workers build it when they first need it
                session.rollback()
                logging.getLogger(__name__).warning("%s not built before forking the workers", graphs, exc_info=True)
    finally:
        session.close()
        database.dispose()
