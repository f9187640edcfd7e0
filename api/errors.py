"""Every error leaves the API as ``application/problem+json`` (RFC 9457), from this one place."""
from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, json
from pydantic import ValidationError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException

from dispatch.core.errors import DispatchError

PROBLEM_JSON = "application/problem+json"
#: PostgreSQL's "try again" conditions: a deadlock, a serialization failure, a lock not granted
#: in time. Two requests crossed; the one that lost may simply be sent again.
RETRYABLE_SQLSTATES = {"40P01", "40001", "55P03"}
log = logging.getLogger(__name__)


def problem(status: int, title: str, detail: str, slug: str | None = None, **members: Any) -> Response:
    """A problem+json response; ``slug`` names the problem type, extra members are added as is."""
    body = {
        "type": f"urn:grid-dispatch:problem:{slug}" if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        **members,
    }
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
        return problem(error.code or 500, error.name, error.description or error.name)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError) -> Response:
        if getattr(error.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES:
            return unexpected(error)
        log.warning("request lost a race in the database, answered 503: %s", error.orig)
        response = problem(503, "Busy, try again", "The request crossed another one and was not applied; "
                           "send it again.", "try-again")
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        log.exception("unhandled error")
        return problem(500, "Internal server error",
                       "The server failed to handle this request; it has been logged.")
