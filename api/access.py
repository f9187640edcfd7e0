"""Who may call what.

Every view declares its audience with :func:`allow` (roles) or :func:`public`; the app refuses
to start when a route has neither, and one check before each request enforces it: no bearer
token → 401, a role the route does not list → 403.
"""
from __future__ import annotations

import logging
from typing import Callable

from flask import Flask, current_app, g, request

from api.context import session
from dispatch.accounts.models import ROLES
from dispatch.accounts.users import Identity, TokenSigner, authenticate
from dispatch.core import clock
from dispatch.core.errors import Forbidden, Unauthorized

log = logging.getLogger(__name__)
#: The dispatch desk and those above it.
DESK = ("admin", "supervisor", "dispatcher")
#: Everyone who watches the desk's picture, without changing it.
READERS = (*DESK, "viewer")
#: Crew records.
MANAGERS = ("admin", "supervisor")
CREW = ("crew",)
SIGNED_IN = ROLES
PUBLIC = "public"


def allow(*roles: str) -> Callable:
    """Only users with one of ``roles`` may call the view."""
    if not roles or set(roles) - set(ROLES):
        raise ValueError(f"allow() takes some of {ROLES}, not {roles}")

    def mark(view: Callable) -> Callable:
        view.audience = frozenset(roles)
        return view

    return mark


def public(view: Callable) -> Callable:
    """Anyone may call the view, signed in or not."""
    view.audience = PUBLIC
    return view


def audience(app: Flask, endpoint: str) -> frozenset[str] | str | None:
    return getattr(app.view_functions.get(endpoint), "audience", None)


def signer() -> TokenSigner:
    return current_app.extensions["token_signer"]


def identity() -> Identity:
    """The signed-in user of this request (only on views that are not public)."""
    return g.identity


def actor() -> str:
    """Who to write in an event row: the signed-in user's name."""
    return g.identity.username


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/token gives one)")
    return token.strip()


def check_access() -> None:
    """Before every request: let it through, or 401 / 403."""
    if request.endpoint is None:  # 404 / 405 follow
        return
    allowed = audience(current_app, request.endpoint)
    if allowed == PUBLIC:
        return
    g.identity = authenticate(session(), signer(), _bearer_token(), clock.now())
    if not allowed or g.identity.role not in allowed:  # a route added after create_app has none: closed
        raise Forbidden(f"a {g.identity.role} may not do this")


def register_access_checks(app: Flask) -> None:
    """Refuse to build an app with a route nobody decided the audience of."""
    undecided = sorted(rule.rule for rule in app.url_map.iter_rules() if audience(app, rule.endpoint) is None)
    if undecided:
        raise RuntimeError(f"routes without an access rule (api.access.allow or public): {', '.join(undecided)}")
    s = app.extensions["settings"]
    if not s.secret_key:
        log.warning("SECRET_KEY is not set: tokens are signed with a key of this process only, which fails "
                    "with several server processes and after a restart (scripts/run.sh sets one)")
    app.extensions["token_signer"] = TokenSigner(s.secret_key, s.token_ttl_s)
    app.before_request(check_access)
