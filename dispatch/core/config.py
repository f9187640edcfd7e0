"""All configuration, read from the environment in this one place.

Every setting has a default that works with the README's set-up script, so a developer needs no
environment at all; a deployment overrides what it must. The variable for a setting is its name
in upper case (``DATABASE_URL``, ``INFERENCE_WINDOW_MIN``...).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, replace
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_DATABASE_URL = "postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/dispatch"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Settings:
    """The application's settings; build one with :meth:`from_env`."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    #: Seconds a health probe waits for PostgreSQL or Redis before calling it down.
    health_timeout_s: float = 2.0
    #: Largest page a listing returns, and the default page.
    page_max: int = 5000
    page_default: int = 1000

    # Locating a report on the grid by its coordinates: the nearest customer service point
    # within this radius, else the nearest transformer within its radius, else the nearest line.
    locate_customer_radius_m: float = 150.0
    locate_transformer_radius_m: float = 500.0
    locate_line_radius_m: float = 1000.0
    #: Smallest trigram word similarity (0..1) for a caller's address to match a customer's.
    address_min_similarity: float = 0.5
    #: Service-level class used for a place outside every zone (the report is flagged).
    default_zone_class: str = "rural"

    # Outage inference (see dispatch/gis/inference.py).
    #: Calls older than this are not combined with a new call.
    inference_window_min: float = 120.0
    #: Calls needed before calls from several transformers roll up to a common device.
    inference_min_calls: int = 2
    #: Share of a device's downstream customers that must have called for a roll-up to it.
    inference_min_share: float = 0.02
    #: Log-likelihood one more separate outage must gain to be preferred over a common one.
    inference_outage_penalty: float = 3.0

    # Dispatch.
    #: Road speeds by class, "class=km/h,..." over the defaults of dispatch/routing/speeds.py.
    road_speeds_kmh: str = ""
    #: A crew position older than this counts as unknown: the crew is placed at its depot.
    crew_position_max_age_s: float = 900.0
    #: Driving times are searched up to this many seconds (the longest arrival target): no crew
    #: farther away could meet any deadline, and the search stays fast on large graphs.
    routing_horizon_s: float = 7200.0
    #: Seconds between two sweeps of the SLA worker.
    sla_sweep_interval_s: float = 30.0
    #: Warnings before a deadline, "percent:who,...": when that share of the time to the arrival
    #: (or restoration) deadline has passed, a warning for ``who`` is recorded once (crew: the
    #: crew's phone; station_head: the zone's supply station; desk: an alert at the console).
    sla_warning_levels: str = "50:crew,80:station_head,90:desk"

    # Live updates (the outbox, its relay and the stream).
    #: Messages are kept this long for clients that reconnect; one that was away longer reloads.
    outbox_retention_hours: float = 24.0
    #: Seconds the relay waits when nothing was left to relay (the worker's change-to-Redis delay).
    relay_interval_s: float = 0.1
    #: Seconds between heartbeat comments on an idle stream (keeps proxies from closing it).
    stream_heartbeat_s: float = 15.0
    #: While Redis is down, each server process reads the outbox table this often.
    stream_poll_s: float = 1.0

    # Crew phones.
    #: A crew's "on site" farther than this from the incident is accepted but flagged.
    arrival_radius_m: float = 300.0

    # Sign-in.
    #: Signs the bearer tokens; every app server of a deployment must share it (scripts/run.sh
    #: keeps one in var/). Empty: a random key per process, good for one process only.
    secret_key: str = ""
    #: Lifetime of a bearer token: one long shift, so a crew that was offline can still replay.
    token_ttl_s: float = 16 * 3600.0
    #: Failed sign-ins allowed per user name, and per client address, within the window.
    signin_max_failures: int = 5
    signin_max_failures_per_address: int = 50
    signin_window_s: float = 900.0
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none;
    #: behind one, set 1, or every client shares the proxy's address for the sign-in limit).
    proxy_hops: int = 0

    # The desk.
    #: Where the desk's dispatchers are: the console shows times in this zone, and the reports
    #: count calendar days in it (an IANA name).
    dispatch_timezone: str = "Asia/Shanghai"
    #: A raster tile URL template ({z}/{x}/{y}) drawn under the desk's map where the desk has such
    #: a server; empty: the roads from the app's own tiles are the base map (no internet needed).
    desk_basemap_url: str = ""

    # The work order.
    #: A JSON file with the utility's own fault-cause taxonomy (categories, causes, labels per
    #: language; the format of dispatch/incidents/causes.json, which is the default).
    cause_taxonomy_file: str = ""
    #: Why a call-taker may find a fault on the customer's side (it then gets an agreed time).
    customer_side_reasons: str = "behind_meter,arrears,customer_equipment"

    # Time.
    #: Days the application's clock runs ahead of the real time (negative: behind). For tests
    #: only (phones and trackers keep the real time): the suite runs shifted to prove that no
    #: test depends on the calendar.
    clock_shift_days: float = 0.0

    @property
    def warning_levels(self) -> tuple[tuple[int, str], ...]:
        """SLA_WARNING_LEVELS as (percent, who) pairs, the lowest percent first."""
        levels = []
        for level in filter(None, (part.strip() for part in self.sla_warning_levels.split(","))):
            percent, _, who = level.partition(":")
            if not percent.strip().isdigit() or not 0 < int(percent) <= 100 or not who.strip():
                raise ValueError(f"SLA_WARNING_LEVELS: {level!r} is not percent:who, e.g. 80:station_head")
            levels.append((int(percent), who.strip()))
        return tuple(sorted(levels))

    def __post_init__(self) -> None:
        self.warning_levels  # noqa: B018 - refuse a malformed setting at start, not at the first sweep
        try:
            ZoneInfo(self.dispatch_timezone)
        except (ZoneInfoNotFoundError, ValueError) as why:
            raise ValueError(f"DISPATCH_TIMEZONE {self.dispatch_timezone!r} is not a time zone name "
                             "such as Asia/Shanghai") from why

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> "Settings":
        """Read settings from ``environ`` (default ``os.environ``)."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            name = spec.name.upper()
            if name in env:
                values[spec.name] = type(spec.default)(env[name])
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> "Settings":
        """A copy with some settings replaced (tests, the CLI)."""
        return replace(self, **overrides)
