"""``Idempotency-Key`` on the POSTs that create or change something: the same key and the same
request give the first answer (with ``Idempotent-Replayed: true``) and do nothing again; the same
key with another request is a 422; a request still running under the key is a 409 with Retry-After.

Only a successful answer is kept: a request that failed took no key, and may be sent again with
it. How the key commits with the change: :mod:`dispatch.core.idempotency`.
"""
from __future__ import annotations

import functools
import hashlib
import re
import time
from typing import Callable

import orjson
from flask import Response, make_response, request

from api.access import actor
from api.context import session
from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput
from dispatch.core.idempotency import Answer, answer_for, claim, release, remember

HEADER = "Idempotency-Key"
KEY = re.compile(r"[\x20-\x7e]{1,200}")
#: How long a request waits for the answer of the one that holds its key (which committed, and is
#: storing its answer) before it is told to come back.
ANSWER_WAIT_S = 2.0


def key_problem(message: str) -> FieldProblem:
    return FieldProblem(HEADER, message, "header")


def header_key(required: bool) -> str | None:
    """The request's Idempotency-Key: None when absent and not ``required``; a 422 when malformed."""
    raw = request.headers.get(HEADER)
    if raw is None and not required:
        return None
    key = (raw or "").strip()
    if not KEY.fullmatch(key):
        raise InvalidInput(f"send an {HEADER} header: 1 to 200 printable ASCII characters", [key_problem(
            "1 to 200 printable ASCII characters (a UUID, say), new for each request, the same when the request "
            "is sent again")])
    return key


def _fingerprint() -> str:
    body = request.get_data(cache=True)
    try:
        body = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    except (orjson.JSONDecodeError, TypeError):
        pass  # not JSON, or too deep to sort: compared byte for byte (the view answers 4xx to it anyway)
    digest = hashlib.sha256()
    for part in (request.method.encode(), request.path.encode(), request.query_string, body):
        digest.update(len(part).to_bytes(8, "big") + part)
    return digest.hexdigest()


def idempotent(view: Callable) -> Callable:
    """Make a POST view safe to send again under an ``Idempotency-Key`` (optional header)."""

    @functools.wraps(view)
    def guarded(*args, **kwargs):
        key = header_key(required=False)
        if key is None:
            return view(*args, **kwargs)
        who, fingerprint = actor(), _fingerprint()
        first = claim(session().connection(), who, key, fingerprint, clock.now())
        if first is not None:
            session().rollback()
            return _replay(first, who, key, fingerprint)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _give_up(who, key)
            raise
        if response.status_code >= 400:
            _give_up(who, key)
            return response
        remember(session().connection(), who, key, fingerprint, clock.now(), response.status_code,
                 response.content_type, response.get_data(as_text=True))
        session().commit()
        return response

    guarded.idempotent = True  # the OpenAPI document lists the header
    return guarded


def _give_up(who: str, key: str) -> None:
    """The request failed: its transaction's claim is rolled back; one that had committed is freed."""
    session().rollback()
    release(session().connection(), who, key)
    session().commit()


def _replay(first: Answer, who: str, key: str, fingerprint: str) -> Response:
    if first.fingerprint != fingerprint:
        raise InvalidInput(f"this {HEADER} was used for another request", [key_problem(
            "already used with another method, path or body; use a new key for a new request")])
    waited = 0.0
    while first.status is None and waited < ANSWER_WAIT_S:
        time.sleep(0.05)
        waited += 0.05
        session().rollback()  # a new snapshot
        first = answer_for(session().connection(), who, key) or first
    if first.status is None:
        raise Conflict(f"a request with this {HEADER} is still being handled; send it again shortly",
                       retry_after=1)
    response = Response(first.body, status=first.status, content_type=first.content_type)
    response.headers["Idempotent-Replayed"] = "true"
    return response
