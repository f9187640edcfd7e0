"""Machine channels: the systems that post customers' reports and look their outages up (the
hotline's work-order system, an IVR, a WeChat service account, the customer app, an AMI head-end).

Each client has its own key, created and revoked by an administrator, and its own rate limit.
The key says which channel a report came from: a client cannot claim another. A key is 256
random bits behind a recognisable prefix (so that a server tells it from a user's token without
a query, and secret scanners can find one pasted where it should not be); only its SHA-256 is
stored, and a revoked key opens nothing from the next request on.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, Unauthorized
from dispatch.customers import channels_store as store
from dispatch.incidents.models import REPORT_CHANNELS

#: What every channel key starts with; a bearer token without it is a user's.
KEY_PREFIX = "chk_"
#: Characters of the key kept in the clear, prefix included, to tell keys apart in a listing.
SHOWN_KEY_CHARS = len(KEY_PREFIX) + 6
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
RATE = re.compile(r"\s*(\d{1,7})\s*/\s*(s|sec|second|min|minute|h|hour)\s*")
PERIODS_S = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600}


@dataclass(frozen=True)
class RateLimit:
    """At most ``count`` requests per ``period_s`` seconds: a burst of ``count``, then one every
    ``period_s / count`` seconds."""

    count: int
    period_s: int

    @classmethod
    def parse(cls, text: str) -> "RateLimit":
        """'600/min', '20/s', '5000/h'."""
        match = RATE.fullmatch(text)
        if not match or int(match.group(1)) == 0:
            raise InvalidInput("the rate is not valid", [FieldProblem(
                "rate", "N/s, N/min or N/h with N from 1 to 9999999, e.g. 600/min")])
        return cls(int(match.group(1)), PERIODS_S[match.group(2)])

    def __str__(self) -> str:
        unit = {1: "s", 60: "min", 3600: "h"}.get(self.period_s)
        return f"{self.count}/{unit}" if unit else f"{self.count}/{self.period_s}s"


@dataclass(frozen=True)
class ChannelClient:
    """The machine client a request comes from."""

    id: int
    name: str
    channel: str
    rate: RateLimit

    @property
    def actor(self) -> str:
        """Its name in event rows and idempotency keys (never a user's: user names have no colon)."""
        return f"channel:{self.name}"


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def is_channel_key(token: str) -> bool:
    """Whether a bearer credential is a channel's key (else it is a user's token)."""
    return token.startswith(KEY_PREFIX)


def create_client(session: Session, name: str, channel: str, rate: RateLimit) -> tuple[int, str]:
    """Create a client of ``channel``; returns its id and its key, which is not kept and cannot be
    shown again. Commits."""
    name = name.strip().lower()
    problems = []
    if not NAME.fullmatch(name):
        problems.append(FieldProblem("name", "2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"))
    if channel not in REPORT_CHANNELS:
        problems.append(FieldProblem("channel", f"one of {', '.join(REPORT_CHANNELS)}"))
    if problems:
        raise InvalidInput("the channel client cannot be created", problems)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    client_id = store.insert_client(session.connection(), name=name, channel=channel, key_hash=key_digest(key),
                                    key_prefix=key[:SHOWN_KEY_CHARS], rate_count=rate.count,
                                    rate_period_s=rate.period_s, created_at=clock.now())
    if client_id is None:
        raise Conflict(f"a channel client named {name!r} exists already (revoked names stay taken)")
    session.commit()
    return client_id, key


def revoke_client(session: Session, name: str) -> bool:
    """Revoke a client's key at once; False when it was revoked already. Commits."""
    outcome = store.revoke_client(session.connection(), name.strip().lower(), clock.now())
    if outcome is None:
        raise NotFound(f"there is no channel client {name!r}")
    session.commit()
    return outcome == "revoked"


def list_clients(session: Session) -> list[dict[str, Any]]:
    """Every client, revoked ones too, with its channel, rate and the first characters of its key."""
    return [{**row, "rate": str(RateLimit(row.pop("rate_count"), row.pop("rate_period_s")))}
            for row in store.clients(session.connection())]


def authenticate_client(session: Session, key: str) -> ChannelClient:
    """The live client holding ``key``, or Unauthorized (unknown or revoked)."""
    row = store.live_client_by_key_hash(session.connection(), key_digest(key))
    if row is None:
        raise Unauthorized("the channel key is not valid (unknown or revoked)")
    return ChannelClient(row["id"], row["name"], row["channel"], RateLimit(row["rate_count"], row["rate_period_s"]))
