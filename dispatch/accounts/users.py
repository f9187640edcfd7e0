"""Who may sign in: users with a role, argon2id password hashes, signed bearer tokens that
expire and can be revoked, and a limit on failed sign-ins kept in Redis.

A token is the signed id of an ``api_tokens`` row: the signature lets a server refuse a forged
or expired token without a query, the row lets a sign-out or an administrator revoke it.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import redis
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from dispatch.accounts import store
from dispatch.accounts.models import ROLES
from dispatch.core import clock
from dispatch.core.errors import Conflict, FieldProblem, InvalidInput, NotFound, TooManyAttempts, Unauthorized
from dispatch.core.logs import Outage
from dispatch.crews import store as crew_store
from dispatch.gis.layers_store import zone_codes

log = logging.getLogger(__name__)
#: Logged once when a sign-in first finds Redis down, and once when it answers again (per process).
SIGNIN_LIMITS_OFF = Outage(log, "Redis", "failed sign-ins are not limited until it answers again")
#: argon2id with the RFC 9106 "low memory" parameters (64 MiB, 3 passes): ~50 ms a sign-in.
PASSWORDS = PasswordHasher()
USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
MIN_PASSWORD_LENGTH = 8


@cache
def _nobody_hash() -> str:
    """Compared against when the user does not exist, so a wrong name costs as long as a wrong
    password. Made on the first sign-in, not at import (every process and command would pay it)."""
    return PASSWORDS.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class Identity:
    """The signed-in user a request acts for."""

    user_id: int
    username: str
    role: str
    crew_id: int | None
    crew: str | None
    token_id: str
    #: The zones this user's desk is limited to (codes); empty: every zone.
    zones: tuple[str, ...] = ()


class _ClockTimestampSigner(TimestampSigner):
    """itsdangerous's timestamps, read from the application's clock (tests move it)."""

    def get_timestamp(self) -> int:
        return int(clock.now().timestamp())


class TokenSigner:
    """Signs token ids and reads them back, refusing forged and expired ones."""

    def __init__(self, secret_key: str, ttl_s: float):
        self._serializer = URLSafeTimedSerializer(secret_key or secrets.token_urlsafe(32), salt="api-token",
                                                  signer=_ClockTimestampSigner)
        self.ttl = timedelta(seconds=ttl_s)

    def sign(self, token_id: str) -> str:
        return self._serializer.dumps(token_id)

    def token_id(self, token: str) -> str | None:
        try:
            value = self._serializer.loads(token, max_age=self.ttl.total_seconds())
        except BadSignature:  # also SignatureExpired
            return None
        return value if isinstance(value, str) else None


class SignInLimiter:
    """Counts failed sign-ins per user name and per client address in a fixed window.

    The address allows many more than a name: a depot's phones share one address, and one crew
    member's typos must not lock the others out. Without Redis the limit cannot be kept; sign-in
    then stays possible (crews must reach their jobs in a storm) and the outage is logged.
    """

    PREFIX = "dispatch:signin-failures"

    def __init__(self, client: redis.Redis, max_per_user: int, max_per_address: int, window_s: float):
        self.client = client
        self.limits = (max_per_user, max_per_address)
        self.window_s = max(1, int(window_s))

    def _keys(self, username: str, address: str) -> list[str]:
        return [f"{self.PREFIX}:user:{username}", f"{self.PREFIX}:addr:{address}"]

    #: Count the attempt on both keys unless one is at its limit already (atomic: attempts made at
    #: the same moment cannot slip past it; refused ones do not count, so one person's tries
    #: cannot lock others out at the shared address). Returns 0 and the wait, or 1.
    _ATTEMPT = """
    for i, key in ipairs(KEYS) do
        if tonumber(redis.call('GET', key) or '0') >= tonumber(ARGV[i]) then
            return {0, redis.call('TTL', key)}
        end
    end
    for _, key in ipairs(KEYS) do
        if redis.call('INCR', key) == 1 then redis.call('EXPIRE', key, ARGV[3]) end
    end
    return {1, 0}
    """
    #: A right password: the name starts again, and the address gets its attempt back (only if
    #: its window is still open: a DECR on a missing key would make one that never expires).
    _SUCCEEDED = """
    redis.call('DEL', KEYS[1])
    if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECR', KEYS[2]) end
    """

    def attempt(self, username: str, address: str) -> None:
        """Count this attempt as a failure before the password is checked; refuse it when a
        limit is reached."""
        try:
            allowed, wait = self.client.eval(self._ATTEMPT, 2, *self._keys(username, address), *self.limits,
                                             self.window_s)
        except redis.RedisError as why:
            SIGNIN_LIMITS_OFF.down(why)
            return
        SIGNIN_LIMITS_OFF.up()
        if not allowed:
            wait = max(int(wait), 1)
            raise TooManyAttempts(f"too many failed sign-ins; try again in {wait} s", retry_after=wait)

    def succeeded(self, username: str, address: str) -> None:
        try:
            self.client.eval(self._SUCCEEDED, 2, *self._keys(username, address))
        except redis.RedisError as why:
            SIGNIN_LIMITS_OFF.down(why)


def normal_username(username: str) -> str:
    return username.strip().lower()


def create_user(session: Session, username: str, password: str, role: str, crew: str | None = None) -> int:
    """Create a user (a crew account names its crew). Commits. Returns the id."""
    name = normal_username(username)
    problems = []
    if not USERNAME.fullmatch(name):
        problems.append(FieldProblem("username", "2 to 64 of a-z, 0-9, '.', '_', '-', starting with a letter or digit"))
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(FieldProblem("password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    if role not in ROLES:
        problems.append(FieldProblem("role", f"one of {', '.join(ROLES)}"))
    if (role == "crew") != (crew is not None):
        problems.append(FieldProblem("crew", "a crew account names its crew; no other role has one"))
    crew_id = None
    if crew is not None and (found := crew_store.crew(session.connection(), crew)) is None:
        problems.append(FieldProblem("crew", f"there is no crew {crew!r}"))
    elif crew is not None:
        crew_id = found["id"]
    if problems:
        raise InvalidInput("the user cannot be created", problems)
    user_id = store.insert_user(session.connection(), name, PASSWORDS.hash(password), role, crew_id)
    if user_id is None:
        raise Conflict(f"user {name!r} exists already")
    session.commit()
    return user_id


def deactivate_user(session: Session, username: str) -> int:
    """Stop a user from signing in and revoke every token they hold. Commits. Returns how many."""
    user = store.user_by_name(session.connection(), normal_username(username))
    if user is None:
        raise NotFound(f"there is no user {username!r}")
    store.update_user(session.connection(), user["id"], active=False)
    revoked = store.revoke_tokens(session.connection(), user_id=user["id"])
    session.commit()
    return revoked


def issue_token(session: Session, signer: TokenSigner, user_id: int, now: datetime) -> tuple[str, datetime]:
    """A new bearer token for the user and when it expires (the caller commits)."""
    token_id = secrets.token_urlsafe(18)
    expires_at = now + signer.ttl
    store.insert_token(session.connection(), token_id, user_id, expires_at)
    return signer.sign(token_id), expires_at


def sign_in(session: Session, signer: TokenSigner, limiter: SignInLimiter, username: str, password: str,
            address: str, now: datetime) -> tuple[str, datetime, dict]:
    """Check a password and give a token. Commits. Raises Unauthorized or TooManyAttempts."""
    name = normal_username(username)
    limiter.attempt(name, address)
    user = store.user_by_name(session.connection(), name)
    try:
        PASSWORDS.verify(user["password_hash"] if user else _nobody_hash(), password)
        verified = user is not None and user["active"]
    except (VerificationError, InvalidHashError):
        verified = False
    if not verified:
        raise Unauthorized("wrong user name or password")
    limiter.succeeded(name, address)
    if PASSWORDS.check_needs_rehash(user["password_hash"]):
        store.update_user(session.connection(), user["id"], password_hash=PASSWORDS.hash(password))
    token, expires_at = issue_token(session, signer, user["id"], now)
    session.commit()
    return token, expires_at, user


def limit_to_zones(session: Session, username: str, zones: list[str]) -> list[str]:
    """Limit a desk user's lists and live feed to ``zones`` (codes; empty: every zone). Commits."""
    user = store.user_by_name(session.connection(), normal_username(username))
    if user is None:
        raise NotFound(f"there is no user {username!r}")
    if user["role"] == "crew":
        raise InvalidInput("a crew account sees its own jobs only", [FieldProblem("zones", "not for a crew account")])
    known = zone_codes(session.connection(), zones)
    if unknown := [z for z in zones if z not in known]:
        raise InvalidInput("unknown zones", [FieldProblem("zones", f"there is no zone {', '.join(unknown)}")])
    store.update_user(session.connection(), user["id"], zones=sorted(set(zones)))
    session.commit()
    return sorted(set(zones))


def authenticate(session: Session, signer: TokenSigner, token: str, now: datetime) -> Identity:
    """The user behind a bearer token, or Unauthorized (forged, expired, revoked, user disabled)."""
    token_id = signer.token_id(token)
    holder = token_id and store.token_holder(session.connection(), token_id, now)
    if not holder:
        raise Unauthorized("the token is not valid (expired, revoked or malformed); sign in again")
    return Identity(holder["id"], holder["username"], holder["role"], holder["crew_id"], holder["crew"], token_id,
                    tuple(holder["zones"]))


def sign_out(session: Session, identity: Identity) -> None:
    """Revoke the token the request came with. Commits."""
    store.revoke_tokens(session.connection(), token_id=identity.token_id)
    session.commit()
