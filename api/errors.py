"""Every error leaves the API as ``application/problem+json`` (RFC 9457), from this one place."""
from __future__ import annotations

import logging
from typing import Any

import psycopg
from flask import Flask, Response, json
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from api import request_ids
from dispatch.core.errors import DispatchError

PROBLEM_JSON = "application/problem+json"
#: PostgreSQL's "try again" conditions: a deadlock, a serialization failure, a lock not granted
#: in time. Two requests crossed; the one that lost may simply be sent again.
RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}
#: SQLSTATE classes that say the database cannot serve now, whatever the request: connection
#: exception (08), insufficient resources (53: too many connections, disk full), operator
#: intervention (57: shut down by an administrator, crash recovery), but for QUERY_CANCELED.
UNAVAILABLE_SQLSTATE_CLASSES = {"08", "53", "57"}
#: query_canceled (class 57): this statement ran past statement_timeout, or someone cancelled it.
#: The database is up and served everyone else: the request was too heavy, not the server away.
QUERY_CANCELED = "57014"
#: Seconds a client is told to wait before it sends a request again while the database is away
#: (a restart takes a few; a channel retrying sooner only adds load to the recovery).
DATABASE_RETRY_AFTER_S = 5
log = logging.getLogger(__name__)


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be reached or cannot serve now (a retry later
    will do), as opposed to a bug or a request the database refuses."""
    if isinstance(error, (PoolTimeout, DisconnectionError)):  # every pooled connection busy, or one lost
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        error_orig: BaseException = error.orig  # type: ignore[assignment]
    else:
        error_orig = error
    sqlstate = getattr(error_orig, "sqlstate", None)
    if sqlstate:
        return sqlstate[:2] in UNAVAILABLE_SQLSTATE_CLASSES and sqlstate != QUERY_CANCELED
    # No SQLSTATE: the server never answered (refused, reset, timed out while connecting).
    return isinstance(error, OperationalError) or isinstance(error_orig, psycopg.OperationalError)


def problem(status: int, title: str, detail: str, slug: str | None = None, **members: Any) -> Response:
    """A problem+json response; ``slug`` names the problem type, extra members are added as is."""
    body = {
        "type": f"urn:grid-dispatch:problem:{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **members,
    }
    if (request_id := request_ids.current()) is not None:
        body["request_id"] = request_id
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_JSON)


def _validation_errors(error: ValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in item["loc"]) or "body", "message": item["msg"]}
        for item in error.errors(include_url=False)
    ]


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DispatchError)
    def domain_error(error: DispatchError) -> Response:
        members = {"errors": [p.as_dict() for p in error.problems]} if error.problems else {}
        response = problem(error.status, error.title, error.detail, error.slug, **members, **error.members)
        if error.status == 401:
            response.headers["WWW-Authenticate"] = 'Bearer realm="grid-dispatch"'
        if "retry_after" in error.members:
            response.headers["Retry-After"] = str(error.members["retry_after"])
        return response

    @app.errorhandler(ValidationError)
    def invalid_input(error: ValidationError) -> Response:
        return problem(422, "The input is not valid", "Some fields are missing or wrong; see errors.",
                       "invalid-input", errors=_validation_errors(error))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Response:
        if (error.code or 500) >= 500:
            log.error("HTTP %s answered: %s", error.code, error.description, exc_info=error)
        response = problem(error.code or 500, error.name, error.description or error.name)
        for name, value in error.get_headers():  # a 405's Allow, a 416's Content-Range...
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate == QUERY_CANCELED and not error.connection_invalidated:
            # No Retry-After: the same request would take as long again; a narrower one may not.
            log.warning("a statement was cancelled (statement_timeout), answered 503: %s", error.orig, exc_info=error)
            return problem(503, "Took too long", "The database stopped this request after its time limit; nothing "
                           "was changed. Ask for less at once (a shorter period, one zone) or try again later.",
                           "took-too-long")
        if sqlstate not in RETRYABLE_SQLSTATES:
            return unexpected(error)
        log.warning("request lost a race in the database, answered 503: %s", error.orig, exc_info=error)
        response = problem(503, "Busy, try again", "The request crossed another one and was not applied; "
                           "send it again.", "try-again")
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        if database_unavailable(error):
            # The request's transaction did not commit (if the connection broke during COMMIT itself
            # the outcome is unknown to us: sending it again with its Idempotency-Key or external_id
            # is safe either way).
            log.warning("the database cannot be reached, answered 503: %s", error, exc_info=error)
            response = problem(503, "Database unavailable", "the database cannot be reached, retry",
                               "database-unavailable")
            response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_S)
            return response
        log.error("unhandled error, answered 500", exc_info=error)
        return problem(500, "Internal server error",
                       "The server failed to handle this request; it has been logged.")
