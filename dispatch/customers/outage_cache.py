"""The public outage feed, kept ready: in a storm everyone looks at the map at once, and those
requests must not reach the database each time.

Each server process keeps the feed's body (JSON bytes and their ETag) and builds it again only when
incidents have changed: the outbox relay notes in Redis the id of the last ``incident`` message it
relayed (:func:`dispatch.core.outbox.relayed_topics_key`), one small read per request. A storm
changes incidents many times a second, so a body is kept at least ``min_age_s`` whatever changes;
and at most ``max_age_s`` whatever Redis says (restored outages leave the map with time, and with
the worker away nothing else would move it). With Redis away, it is rebuilt every ``min_age_s``. One thread builds while the others keep
serving the body they have.
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import orjson
import redis

from dispatch.core import clock
from dispatch.core.db import Database
from dispatch.core.logs import Outage
from dispatch.core.outbox import relayed_topics_key
from dispatch.customers.outage_map import MapRules, outage_feed
from dispatch.gis.grid import TopologyCache

log = logging.getLogger(__name__)
REDIS_OUTAGE = Outage(log, "Redis (for the public outage map)", "the map is rebuilt every few seconds instead")


@dataclass(frozen=True)
class CachedFeed:
    body: bytes
    etag: str
    #: The relay's last incident message when it was built (None: Redis did not answer).
    version: bytes | None
    built: float


class PublicOutageCache:
    def __init__(self, database: Database, client: redis.Redis, topologies: TopologyCache, rules: MapRules,
                 min_age_s: float, max_age_s: float, monotonic: Callable[[], float] = time.monotonic):
        self.database = database
        self.client = client
        self.topologies = topologies
        self.rules = rules
        self.min_age_s = min_age_s
        self.max_age_s = max_age_s
        self._monotonic = monotonic
        self._key = relayed_topics_key(client.connection_pool.connection_kwargs.get("db", 0))
        self._feed: CachedFeed | None = None
        self._building = threading.Lock()
        #: Bodies built (the tests and the benchmark count them).
        self.builds = 0

    def feed(self) -> CachedFeed:
        """The current feed: the kept one while it is fresh, else a new one. One thread builds;
        the others keep answering with the body they have (within ``max_age_s``) instead of
        queuing behind the database, and a build that fails leaves that body in service."""
        version = self._version()
        kept = self._feed
        if kept is not None and self._fresh(kept, version):
            return kept
        serviceable = kept is not None and self._monotonic() - kept.built < self.max_age_s
        if not self._building.acquire(blocking=not serviceable):
            return kept  # another thread is building the next one
        try:
            kept = self._feed  # another thread may have just built it
            if kept is not None and self._fresh(kept, version):
                return kept
            try:
                self._feed = self._build(version)
            except Exception:
                if not serviceable:
                    raise
                return kept  # the database is slow or away: the last body a while longer
            return self._feed
        finally:
            self._building.release()

    def _fresh(self, kept: CachedFeed, version: bytes | None) -> bool:
        age = self._monotonic() - kept.built
        return age < self.min_age_s or (age < self.max_age_s and version is not None and version == kept.version)

    def _version(self) -> bytes | None:
        try:
            version = self.client.hget(self._key, "incident") or b"0"
        except redis.RedisError as why:
            REDIS_OUTAGE.down(why)
            return None
        REDIS_OUTAGE.up()
        return version

    def _build(self, version: bytes | None) -> CachedFeed:
        with self.database.session() as session:
            body = orjson.dumps(outage_feed(session, self.topologies, self.rules, clock.now()))
        self.builds += 1
        return CachedFeed(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', version, self._monotonic())
