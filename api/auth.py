"""Sign-in and sign-out: bearer tokens for a user name and password."""
from __future__ import annotations

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from api.access import SIGNED_IN, allow, identity, public, signer
from api.context import redis_client, session, settings
from api.openapi import operation
from api.validation import json_body
from dispatch.accounts.users import SignInLimiter, sign_in, sign_out
from dispatch.core import clock

blueprint = Blueprint("auth", __name__, url_prefix="/api/v1")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


def _user_view(user: dict) -> dict:
    return {k: user[k] for k in ("username", "role", "crew")}


@blueprint.post("/auth/token")
@public
@operation("Sign in: a bearer token for a user name and password", "auth", body=Credentials,
           responses={201: ("{access_token, token_type, expires_at, user}", {"type": "object"}),
                      401: ("Wrong user name or password", None), 429: ("Too many failed sign-ins", None)})
def create_token():
    credentials = json_body(Credentials)
    s = settings()
    limiter = SignInLimiter(redis_client(), s.signin_max_failures, s.signin_max_failures_per_address,
                            s.signin_window_s)
    token, expires_at, user = sign_in(session(), signer(), limiter, credentials.username, credentials.password,
                                      request.remote_addr or "unknown", clock.now())
    return jsonify(access_token=token, token_type="Bearer", expires_at=expires_at, user=_user_view(user)), 201


@blueprint.delete("/auth/token")
@allow(*SIGNED_IN)
@operation("Sign out: revoke the token of this request", "auth", responses={204: ("Revoked", None)})
def revoke_token():
    sign_out(session(), identity())
    return Response(status=204)


@blueprint.get("/me")
@allow(*SIGNED_IN)
@operation("Who the token belongs to", "auth",
           responses={200: ("{username, role, crew, zones (empty: every zone)}", {"type": "object"})})
def who_am_i():
    me = identity()
    return jsonify(username=me.username, role=me.role, crew=me.crew, zones=list(me.zones))
