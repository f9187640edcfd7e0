"""A request id for every request: in the ``X-Request-Id`` response header, in every problem+json
body (``request_id``) and in every log line written while the request is served, so that a
person holding an error can find its log lines (and its traceback) at once.

An incoming ``X-Request-Id`` is kept when it is sane (nginx, a load balancer or a channel's
gateway may have given one already, which ties their logs to ours); anything else, too long or
with characters a log line should not carry, is replaced with a new id.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, Response, g, request

from dispatch.core import logs

HEADER = "X-Request-Id"
#: Letters, digits and ``-_.:``, at most 128: every usual id (UUIDs, nginx's $request_id, trace ids).
SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
log = logging.getLogger("api.requests")


def current() -> str | None:
    """This request's id (None outside a request, or before the id is given)."""
    return logs.request_id.get()


def _begin() -> None:
    offered = request.headers.get(HEADER, "")
    g.request_id = offered if SANE.fullmatch(offered) else uuid.uuid4().hex
    g.request_started = time.perf_counter()
    g.request_id_token = logs.request_id.set(g.request_id)


def _answer(response: Response) -> Response:
    if "request_id" not in g:  # a before-request function of an extension answered first
        return response
    response.headers[HEADER] = g.request_id
    route = request.url_rule.rule if request.url_rule else None
    # A 5xx is a warning: still seen with LOG_LEVEL=WARNING (its error, if any, was logged with the traceback).
    level = logging.WARNING if response.status_code >= 500 else logging.INFO
    log.log(level, "%s %s %d", request.method, route or request.path, response.status_code,
            extra={"method": request.method, "route": route, "status": response.status_code,
                   "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                   "client": request.remote_addr})
    return response


def _end(_error: BaseException | None = None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        try:
            logs.request_id.reset(token)
        except ValueError:  # ended in another context than it began (a stream closed by the server)
            logs.request_id.set(None)


def register_request_ids(app: Flask) -> None:
    """Give each request its id before anything else runs (the access check may already fail)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_answer)
    app.teardown_request(_end)
