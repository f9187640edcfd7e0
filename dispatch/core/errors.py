"""Domain errors. Each carries the HTTP status and a message safe to show a person, so the API
layer can turn any of them into one problem+json answer without knowing the domain."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldProblem:
    """One thing wrong with one field of the input."""

    field: str
    message: str
    location: str | None = None  # e.g. "customers.geojson #17"

    def as_dict(self) -> dict[str, Any]:
        out = {"field": self.field, "message": self.message}
        if self.location:
            out["location"] = self.location
        return out

    def __str__(self) -> str:
        where = f"{self.location} " if self.location else ""
        return f"{where}{self.field}: {self.message}"


class DispatchError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(self, detail: str, problems: list[FieldProblem] | None = None, **members: Any):
        super().__init__(detail)
        self.detail = detail
        self.problems = problems or []
        #: Extra members of the problem document (e.g. the transitions allowed now).
        self.members = members


class InvalidInput(DispatchError):
    status = 422
    slug = "invalid-input"
    title = "The input is not valid"


class NotFound(DispatchError):
    status = 404
    slug = "not-found"
    title = "Not found"


class Conflict(DispatchError):
    status = 409
    slug = "conflict"
    title = "Conflict"


class ImportRejected(InvalidInput):
    """A grid import found problems; nothing was written."""

    slug = "import-rejected"
    title = "The import was rejected"


class Unauthorized(DispatchError):
    status = 401
    slug = "unauthorized"
    title = "Sign-in needed"


class Forbidden(DispatchError):
    status = 403
    slug = "forbidden"
    title = "Not allowed"


class TooManyAttempts(DispatchError):
    status = 429
    slug = "too-many-sign-in-attempts"
    title = "Too many failed sign-ins"


class TooManyRequests(DispatchError):
    """A client over its rate limit (``retry_after``: seconds to wait)."""

    status = 429
    slug = "too-many-requests"
    title = "Too many requests"
