"""All configuration, read from the environment in this one place.

Every setting has a default that works with the README's set-up script, so a developer needs no
environment at all; a deployment overrides what it must. The variable for a setting is its name
in upper case (``DATABASE_URL``, ``INFERENCE_WINDOW_MIN``...).
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, replace
from datetime import time
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: Where scripts/run.sh keeps the installation's token-signing key (var/secret_key in the checkout).
DEFAULT_SECRET_KEY_FILE = str(Path(__file__).resolve().parents[2] / "var" / "secret_key")
DEFAULT_DATABASE_URL = "postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/dispatch"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass(frozen=True)
class Settings:
    """The application's settings; build one with :meth:`from_env`."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str = DEFAULT_REDIS_URL
    #: Seconds a health probe waits for PostgreSQL or Redis before calling it down.
    health_timeout_s: float = 2.0
    #: Database connections each API process keeps open, and how many more it may open at a peak
    #: (closed again when returned). Keep enough for the requests that run at once: a connection
    #: opened per request costs PostgreSQL a new backend, more CPU than the request's own SQL.
    database_pool_size: int = 24
    database_max_overflow: int = 8
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
    #: Calls needed before calls roll up to a common device.
    inference_min_calls: int = 2
    #: Share of a device's downstream customers that must have called for a roll-up to it.
    inference_min_share: float = 0.02
    #: Log-likelihood one more separate outage must gain to be preferred over a common one.
    inference_outage_penalty: float = 3.0
    #: Faults a year per 100 km of line and per 100 distribution transformers: where faults happen,
    #: each outage area's exposure (only their ratio matters; both 0, the default: the calls alone
    #: decide; IEEE-RBTS: 6.5 and 1.5).
    inference_line_faults_per_100km: float = 0.0
    inference_transformer_faults_per_100: float = 0.0

    # Evidence beyond calls: smart-meter and SCADA events (dispatch/incidents/meter_events.py,
    # device_events.py, nested.py).
    #: Most events one POST of meter or device events may carry.
    evidence_batch_max: int = 1000
    #: Seconds after a restoration that meters are given to say "power restored"; a meter that
    #: sent a last gasp and is still silent then is a customer still out (a nested outage).
    ami_restore_grace_s: float = 300.0
    #: Minutes after a restoration during which a new last gasp or call from inside the restored
    #: area is a nested outage of it (linked to it as its parent).
    nested_outage_window_min: float = 60.0

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

    # Service-level targets per zone class, "class=minutes,...", each class named (a zone's own
    # target overrides the company's for that zone).
    #: The company's commitment: crew on site this long after the first report (the desk's deadline).
    sla_arrival_target_min: str = "urban=45,rural=90,remote=120"
    #: The company's commitment: power back this long after the crew arrived.
    sla_restore_target_min: str = "urban=180,rural=240,remote=240"
    #: The regulator's hard limit (national supply-service rules): on site this long after receipt.
    regulator_arrival_limit_min: str = "urban=60,rural=120,remote=240"
    #: A complaint is linked to an incident open when it came, or restored at most this long before.
    complaint_link_hours: float = 72.0
    #: Repeat faults: the fault counts from which a place is flagged at severity 1, 2, 3...
    repeat_fault_levels: str = "3,5,6,8"

    # Live updates (the outbox, its relay and the stream).
    #: Messages are kept this long for clients that reconnect; one that was away longer reloads.
    outbox_retention_hours: float = 24.0
    #: The crews' position history is kept this long (whole days: up to a day more), then dropped.
    position_retention_days: float = 90.0
    #: Day partitions of the growing tables are made this many days ahead of today (UTC).
    partitions_ahead_days: int = 3
    #: Seconds the relay waits when nothing was left to relay (the worker's change-to-Redis delay).
    relay_interval_s: float = 0.1
    #: Seconds between heartbeat comments on an idle stream (keeps proxies from closing it).
    stream_heartbeat_s: float = 15.0
    #: While Redis is down, each server process reads the outbox table this often.
    stream_poll_s: float = 1.0

    # Requests sent again.
    #: An Idempotency-Key is remembered this long (a client retries within minutes; a day is ample).
    idempotency_key_retention_hours: float = 24.0

    # Crew phones.
    #: A crew's "on site" farther than this from the incident is accepted but flagged.
    arrival_radius_m: float = 300.0

    # Sign-in.
    #: Signs the bearer tokens; every app server of a deployment must share it. Unset, it is read
    #: from ``secret_key_file`` (scripts/run.sh writes one there), so the ``flask`` commands and the
    #: servers of one checkout agree without exporting anything. Neither: a random key per
    #: process, good for one process only.
    secret_key: str = ""
    secret_key_file: str = DEFAULT_SECRET_KEY_FILE
    #: Lifetime of a bearer token: one long shift, so a crew that was offline can still replay.
    token_ttl_s: float = 16 * 3600.0
    #: Failed sign-ins allowed per user name, and per client address, within the window.
    signin_max_failures: int = 5
    signin_max_failures_per_address: int = 50
    signin_window_s: float = 900.0
    #: Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted (0: none;
    #: behind one, set 1, or every client shares the proxy's address for the sign-in limit).
    proxy_hops: int = 0

    # Hostile or broken clients (the same limits with or without the proxy in front).
    #: Largest request body the app reads; a larger one is refused with 413 before it is parsed.
    max_body_bytes: int = 1_048_576
    #: Largest body of a grid import through the API (POST /api/v1/grid/imports), in MiB: the one
    #: route whose body is whole layers, not a request's worth of fields.
    grid_import_max_mb: int = 200
    #: Most vertices a road closure's geometry may have (a closure is a few streets, not a city).
    closure_max_vertices: int = 2000
    #: The area served, "minlon,minlat,maxlon,maxlat" (WGS 84); empty: the bounding box of the
    #: imported zones. A report located farther than the margin outside it is refused (422).
    service_area_bbox: str = ""
    service_area_margin_km: float = 50.0

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
    #: A JSON file with the utility's own crew skills and the rules for which of them a fault
    #: needs (the format of dispatch/gis/skills.json, which is the default: mv / lv by level).
    skill_rules_file: str = ""
    #: Why a call-taker may find a fault on the customer's side (it then gets an agreed time).
    customer_side_reasons: str = "behind_meter,arrears,customer_equipment"

    # The estimated restoration time (dispatch/incidents/etr.py).
    #: Past repairs a group (cause, device kind, zone) needs before its median repair time is used.
    etr_min_samples: int = 5
    #: Repairs restored longer ago than this many days are not learned from.
    etr_history_days: float = 365.0
    #: Repair time assumed before there is enough history, in minutes.
    etr_default_repair_min: float = 120.0
    #: Each server process keeps what it learned of a group of past repairs this many seconds.
    etr_learned_ttl_s: float = 300.0

    # The public outage map (dispatch/customers/outage_map.py).
    #: Restored outages stay on the map this many days.
    public_outages_restored_days: float = 7.0
    #: An outage's area is the hull of the transformers it cut off, widened by this many metres.
    public_outages_area_buffer_m: float = 150.0
    #: Each server process keeps the feed at least this long, however often incidents change (a
    #: storm's traffic then costs one database read per process per this many seconds) ...
    public_outages_min_age_s: float = 2.0
    #: ... and at most this long, even when nothing seems to have changed.
    public_outages_max_age_s: float = 60.0
    #: Browsers and proxies may keep the feed this long (Cache-Control: max-age).
    public_outages_http_max_age_s: int = 15

    # Customer notifications (dispatch/incidents/notices.py, dispatch/customers/notify_*.py).
    #: How the worker sends them: webhook, sms or wechat; empty: it sends none (the notices wait).
    notify_adapter: str = ""
    #: webhook: the URL every message is POSTed to, signed with HMAC-SHA256 of the body under
    #: NOTIFY_WEBHOOK_SECRET (header X-Dispatch-Signature-256: sha256=<hex>).
    notify_webhook_url: str = ""
    notify_webhook_secret: str = ""
    #: sms: the SMS gateway's URL ({to, text} as JSON).
    notify_sms_url: str = ""
    #: wechat: the template-message URL ({touser, template_id, data}) and the template's id.
    notify_wechat_url: str = ""
    notify_wechat_template_id: str = ""
    #: Seconds one attempt waits for the receiver.
    notify_timeout_s: float = 5.0
    #: Attempts before a message is marked failed; retries wait NOTIFY_BACKOFF_S, doubling each
    #: time, at most NOTIFY_BACKOFF_MAX_S.
    notify_max_attempts: int = 6
    notify_backoff_s: float = 30.0
    notify_backoff_max_s: float = 3600.0
    #: A worker holds the messages it took this long: one that died mid-send leaves them to be
    #: sent again (with the same idempotency key) after it. Longer than a batch can take (every
    #: attempt timing out: NOTIFY_TIMEOUT_S x NOTIFY_BATCH / NOTIFY_CONCURRENCY), or a slow
    #: worker's messages would be taken and sent again by another.
    notify_lease_s: float = 300.0
    #: Messages one worker takes at a time, and sends this many at once.
    notify_batch: int = 200
    notify_concurrency: int = 8
    #: Seconds the worker rests when there was nothing to send.
    notify_interval_s: float = 2.0
    #: Customers are told of a new restoration estimate when it moved by more than this many minutes.
    notify_etr_margin_min: float = 30.0
    #: Non-urgent notices (received, ETR changed) wait out these hours, local time
    #: (DISPATCH_TIMEZONE), "HH:MM-HH:MM"; empty: no quiet hours.
    notify_quiet_hours: str = "22:00-07:00"

    # Call-backs after restoration (dispatch/customers/callbacks.py).
    #: Hours after a restoration within which each customer who called is asked whether power is back.
    callback_within_h: float = 24.0
    #: Calls that go unanswered before a call-back is given up as unreachable.
    callback_attempts: int = 3

    # Operations (README, "Operations").
    #: The least severe log records written (DEBUG, INFO, WARNING, ERROR): JSON lines on standard error.
    log_level: str = "INFO"
    #: /readyz answers 503 when no worker has finished an SLA sweep for this long (the worker
    #: sweeps every SLA_SWEEP_INTERVAL_S and records each sweep in worker_heartbeats).
    worker_stale_s: float = 120.0
    #: Where gunicorn's processes share their metrics files (prometheus_client's multiprocess mode;
    #: prometheus_client reads the variable itself). Empty: one process, metrics in memory.
    prometheus_multiproc_dir: str = ""

    # Reliability (customer interruptions and indices).
    #: An interruption this long or shorter is momentary (IEEE 1366: five minutes): it counts in
    #: MAIFI, not in SAIFI, SAIDI and the others.
    reliability_momentary_s: float = 300.0
    #: The DL/T 836 indices (RS-1, RS-3, AIHC-1, AITC-1) leave out interruptions this long or shorter
    #: (3 minutes is often quoted; unconfirmed, hence a setting).
    reliability_short_s: float = 180.0
    #: CEMI-n: the share of customers with more than n sustained interruptions in the period.
    reliability_cemi_n: int = 3
    #: Causes (taxonomy codes, comma-separated) of interruptions due to limited supply from the
    #: system, which RS-3 leaves out.
    reliability_rs3_excluded_causes: str = "system.limited_supply"

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

    @property
    def arrival_targets(self) -> dict[str, float]:
        """SLA_ARRIVAL_TARGET_MIN as {zone class: minutes}."""
        return _per_zone_class("SLA_ARRIVAL_TARGET_MIN", self.sla_arrival_target_min)

    @property
    def restore_targets(self) -> dict[str, float]:
        """SLA_RESTORE_TARGET_MIN as {zone class: minutes}."""
        return _per_zone_class("SLA_RESTORE_TARGET_MIN", self.sla_restore_target_min)

    @property
    def regulator_arrival_limits(self) -> dict[str, float]:
        """REGULATOR_ARRIVAL_LIMIT_MIN as {zone class: minutes}."""
        return _per_zone_class("REGULATOR_ARRIVAL_LIMIT_MIN", self.regulator_arrival_limit_min)

    @property
    def repeat_fault_thresholds(self) -> tuple[int, ...]:
        """REPEAT_FAULT_LEVELS as rising fault counts."""
        parts = [p.strip() for p in self.repeat_fault_levels.split(",") if p.strip()]
        if not parts or not all(p.isdigit() and int(p) > 0 for p in parts) or sorted(map(int, parts)) != list(
                map(int, parts)):
            raise ValueError(f"REPEAT_FAULT_LEVELS: {self.repeat_fault_levels!r} is not rising counts, e.g. 3,5,6,8")
        return tuple(map(int, parts))

    @property
    def quiet_hours(self) -> tuple[time, time] | None:
        """NOTIFY_QUIET_HOURS as (start, end) local times; None: none."""
        if not self.notify_quiet_hours.strip():
            return None
        try:
            start, end = (time.fromisoformat(part.strip()) for part in self.notify_quiet_hours.split("-"))
        except ValueError:
            raise ValueError(f"NOTIFY_QUIET_HOURS {self.notify_quiet_hours!r} is not HH:MM-HH:MM, e.g. 22:00-07:00")
        return start, end

    def __post_init__(self) -> None:
        self.warning_levels  # noqa: B018 - refuse a malformed setting at start, not at the first sweep
        self.arrival_targets, self.restore_targets, self.regulator_arrival_limits  # noqa: B018 - likewise
        self.repeat_fault_thresholds  # noqa: B018 - likewise
        if self.position_retention_days <= 0 or self.outbox_retention_hours <= 0 or self.partitions_ahead_days < 1:
            raise ValueError("POSITION_RETENTION_DAYS and OUTBOX_RETENTION_HOURS must be positive, "
                             "PARTITIONS_AHEAD_DAYS at least 1")
        if self.etr_min_samples < 1 or self.etr_history_days <= 0 or self.etr_default_repair_min <= 0:
            raise ValueError("ETR_MIN_SAMPLES must be at least 1, ETR_HISTORY_DAYS and ETR_DEFAULT_REPAIR_MIN positive")
        if self.grid_import_max_mb < 1:
            raise ValueError("GRID_IMPORT_MAX_MB must be at least 1")
        if self.service_area_bbox.strip():
            try:
                min_lon, min_lat, max_lon, max_lat = (float(v) for v in self.service_area_bbox.split(","))
            except ValueError:
                raise ValueError(f"SERVICE_AREA_BBOX {self.service_area_bbox!r} is not minlon,minlat,maxlon,maxlat")
            if not (-180 <= min_lon <= max_lon <= 180 and -90 <= min_lat <= max_lat <= 90):
                raise ValueError(f"SERVICE_AREA_BBOX {self.service_area_bbox!r} is not a box in WGS 84")
        if self.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ValueError(f"LOG_LEVEL {self.log_level!r} is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        if self.notify_adapter not in ("", "webhook", "sms", "wechat"):
            raise ValueError(f"NOTIFY_ADAPTER {self.notify_adapter!r} is not one of webhook, sms, wechat (or empty)")
        if self.notify_max_attempts < 1 or self.notify_batch < 1 or self.notify_concurrency < 1:
            raise ValueError("NOTIFY_MAX_ATTEMPTS, NOTIFY_BATCH and NOTIFY_CONCURRENCY must be at least 1")
        if self.notify_lease_s <= self.notify_timeout_s * -(-self.notify_batch // self.notify_concurrency):
            raise ValueError("NOTIFY_LEASE_S must be longer than NOTIFY_TIMEOUT_S x NOTIFY_BATCH / NOTIFY_CONCURRENCY "
                             "(a batch whose every attempt times out)")
        self.quiet_hours  # noqa: B018 - refuse a malformed setting at start
        if self.callback_within_h <= 0 or self.callback_attempts < 1:
            raise ValueError("CALLBACK_WITHIN_H must be positive and CALLBACK_ATTEMPTS at least 1")
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
        if not values.get("secret_key"):
            key_file = Path(values.get("secret_key_file", DEFAULT_SECRET_KEY_FILE))
            if key_file.is_file():
                values["secret_key"] = key_file.read_text().strip()
        return cls(**values)

    def with_overrides(self, **overrides: Any) -> "Settings":
        """A copy with some settings replaced (tests, the CLI)."""
        return replace(self, **overrides)


#: The service-level classes of zones (dispatch.gis.models.ZONE_CLASSES): a per-class setting names each.
SERVICE_CLASSES = ("urban", "rural", "remote")


def _per_zone_class(name: str, value: str) -> dict[str, float]:
    """A "class=minutes,..." setting read into {class: minutes}; every class, positive minutes."""
    minutes: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in value.split(","))):
        zone_class, _, number = part.partition("=")
        try:
            minutes[zone_class.strip()] = float(number)
        except ValueError:
            raise ValueError(f"{name}: {part!r} is not class=minutes, e.g. urban=45") from None
    if set(minutes) != set(SERVICE_CLASSES) or not all(0 < m < 100_000 for m in minutes.values()):
        raise ValueError(f"{name}: give positive minutes for each of {', '.join(SERVICE_CLASSES)} and nothing else, "
                         f"e.g. urban=45,rural=90,remote=120 (got {value!r})")
    return minutes
