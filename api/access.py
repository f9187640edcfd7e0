"""Who may call what.

Every view declares its audience with :func:`allow` (roles, and :data:`CHANNELS` for the machine
clients of dispatch/customers) or :func:`public`; the app refuses to start when a route has
neither, and one check before each request enforces it: no bearer token or channel key → 401, a
role the route does not list, or a channel's key on a route not open to channels → 403, a channel
over its rate → 429.
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
from dispatch.customers.channels import ChannelClient, authenticate_client, is_channel_key
from dispatch.customers.rate_limits import ChannelRateLimiter

log = logging.getLogger(__name__)
#: The dispatch desk and those above it.
DESK = ("admin", "supervisor", "dispatcher")
#: Everyone who watches the desk's picture, without changing it.
READERS = (*DESK, "viewer")
#: Crew records.
MANAGERS = ("admin", "supervisor")
CREW = ("crew",)
#: The managers' reports: those who answer for service quality, and the read-only manager role.
REPORTS = ("admin", "supervisor", "manager")
SIGNED_IN = ROLES
PUBLIC = "public"
#: The machine clients (IVR, WeChat, app, hotline work-order system, AMI head-end), each with its
#: own key: ``allow(*DESK, CHANNELS)`` opens a view to the desk and to them.
CHANNELS = "channels"
#: Who may post smart-meter events: the AMI head-end as a channel client (channel ``ami``; the view
#: refuses other channels' keys), and the desk's roles.
AMI_CHANNEL = (*DESK, CHANNELS)
#: Who may post device operations: a SCADA or feeder-terminal gateway signed in with a desk role
#: (machine channels are the customers' ways in; SCADA is not one of them yet).
SCADA_CHANNEL = DESK


def allow(*audience: str) -> Callable:
    """Only users with one of the roles in ``audience`` (and the machine clients, when it holds
    :data:`CHANNELS`) may call the view."""
    roles = set(audience) - {CHANNELS}
    if not audience or roles - set(ROLES):
        raise ValueError(f"allow() takes some of {ROLES} and {CHANNELS!r}, not {audience}")

    def mark(view: Callable) -> Callable:
        view.audience = frozenset(audience)
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
    """The signed-in user of this request (only on views that are not public, nor open to channels)."""
    return g.identity


def channel_client() -> ChannelClient | None:
    """The machine client this request comes from; None: a signed-in user (or nobody)."""
    return g.get("channel_client")


def actor() -> str:
    """Who to write in an event row or an idempotency key: the user's name, or the channel client's."""
    client = channel_client()
    return client.actor if client is not None else g.identity.username


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send Authorization: Bearer <token> (POST /api/v1/auth/token gives one; a machine "
                           "channel sends its key)")
    return token.strip()


def check_access() -> None:
    """Before every request: let it through, or 401 / 403."""
    if request.endpoint is None:  # 404 / 405 follow
        return
    allowed = audience(current_app, request.endpoint)
    if allowed == PUBLIC:
        return
    token = _bearer_token()
    if is_channel_key(token):
        client = authenticate_client(session(), token)
        current_app.extensions["channel_rate_limiter"].take(client)  # what it may not do counts too
        if not allowed or CHANNELS not in allowed:
            raise Forbidden(f"channel client {client.name} may not do this")
        g.channel_client = client
        return
    g.identity = authenticate(session(), signer(), token, clock.now())
    if not allowed or g.identity.role not in allowed:  # a route added after create_app has none: closed
        raise Forbidden(f"a {g.identity.role} may not do this")


def register_access_checks(app: Flask) -> None:
    """Refuse to build an app with a route nobody decided the audience of."""
    undecided = sorted(rule.rule for rule in app.url_map.iter_rules() if audience(app, rule.endpoint) is None)
    if undecided:
        raise RuntimeError(f"routes without an access rule (api.access.allow or public): {', '.join(undecided)}")
    s = app.extensions["settings"]
    if not s.secret_key:
        log.warning("SECRET_KEY is not set and %s does not exist: tokens are signed with a key of this "
                    "process only, which fails with several server processes and after a restart "
                    "(scripts/run.sh writes that file; or export SECRET_KEY)", s.secret_key_file)
    app.extensions["token_signer"] = TokenSigner(s.secret_key, s.token_ttl_s)
    app.extensions["channel_rate_limiter"] = ChannelRateLimiter(app.extensions["redis"])
    app.before_request(check_access)
