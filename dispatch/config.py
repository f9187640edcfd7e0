"""All configuration, read from the environment in this one place.

Every setting has a default that works with the README's set-up script, so a developer needs no
environment at all; a deployment overrides what it must (``DATABASE_URL``, ``REDIS_URL``...).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from typing import Any, Mapping

DEFAULT_DATABASE_URL = "postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/dispatch"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Settings:
    """The application's settings; build one with :meth:`from_env`."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    #: Local time zone for reports (DESIGN.md: "reports in the configured local time zone").
    timezone: str = "Asia/Shanghai"
    #: Seconds a health probe waits for PostgreSQL or Redis before calling it down.
    health_timeout_s: float = 2.0
    #: Largest page a grid-layer listing returns.
    grid_page_max: int = 5000
    grid_page_default: int = 1000
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        base = cls()
        return replace(
            base,
            database_url=env.get("DATABASE_URL", base.database_url),
            redis_url=env.get("REDIS_URL", base.redis_url),
            timezone=env.get("DISPATCH_TIMEZONE", base.timezone),
            health_timeout_s=float(env.get("HEALTH_TIMEOUT_S", base.health_timeout_s)),
        )

    def with_overrides(self, **overrides: Any) -> "Settings":
        """A copy with some settings replaced (tests, the CLI)."""
        return replace(self, **overrides)
