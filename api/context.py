"""Per-request access to the application's database session and Redis client."""
from __future__ import annotations

import redis
from flask import current_app, g
from sqlalchemy.orm import Session

from dispatch.core.config import Settings
from dispatch.core.db import Database
from dispatch.crews.assignment import Dispatcher
from dispatch.gis.grid import TopologyCache


def settings() -> Settings:
    return current_app.extensions["settings"]


def database() -> Database:
    return current_app.extensions["database"]


def redis_client() -> redis.Redis:
    return current_app.extensions["redis"]


def session() -> Session:
    """This request's session, opened on first use and closed when the request ends."""
    if "session" not in g:
        g.session = database().session()
    return g.session


def close_session(_error: BaseException | None = None) -> None:
    opened = g.pop("session", None)
    if opened is not None:
        opened.close()


def topologies() -> TopologyCache:
    """The grid's topology, built once per grid version and shared by the process's requests."""
    return current_app.extensions["topologies"]


def dispatcher() -> Dispatcher:
    """Crew assignment on this request's session: one per request, which notes what it changed
    until the live messages are written."""
    if "dispatcher" not in g:
        g.dispatcher = Dispatcher(session(), settings(), current_app.extensions["road_graphs"])
    return g.dispatcher
