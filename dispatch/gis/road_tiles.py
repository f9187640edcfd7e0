"""The public map's road tiles, kept in each server process.

Everyone whose power is out opens the public map at once, and every one of them loads a screenful of
road tiles. The roads change only with an import or a closure (``grid_state.road_version``; the
switching and trips that move the grid's ``map_version`` in a storm do not touch them), so each
process keeps the tiles it made under the version they were made for, least recently used first
out, and reads the version at most every ``version_ttl_s``: a storm's traffic on the map's base
reaches the database a few times a minute, and a new import shows within that time.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Callable

from dispatch.core.db import Database, text
from dispatch.gis.tiles_store import tile


class RoadTileCache:
    def __init__(self, database: Database, version_ttl_s: float = 5.0, capacity: int = 2048,
                 monotonic: Callable[[], float] = time.monotonic):
        self.database = database
        self.version_ttl_s = version_ttl_s
        self.capacity = capacity
        self._monotonic = monotonic
        self._version: tuple[int, float] | None = None
        self._tiles: OrderedDict[tuple[int, int, int, int], bytes] = OrderedDict()
        self._lock = threading.Lock()
        #: Tiles made from the database (the tests count them).
        self.made = 0

    def version(self) -> int:
        """The roads' version, read from the database at most every ``version_ttl_s``."""
        now = self._monotonic()
        kept = self._version
        if kept is not None and now - kept[1] < self.version_ttl_s:
            return kept[0]
        with self.database.session() as session:
            version = session.execute(text("SELECT road_version FROM grid_state WHERE id = 1")).scalar_one()
        self._version = (version, now)
        return version

    def tile(self, z: int, x: int, y: int) -> tuple[int, bytes]:
        """The roads' version and the tile z/x/y made for it."""
        version = self.version()
        key = (version, z, x, y)
        with self._lock:
            body = self._tiles.get(key)
            if body is not None:
                self._tiles.move_to_end(key)
                return version, body
        with self.database.session() as session:
            body = tile(session.connection(), "roads", z, x, y)
        with self._lock:
            self.made += 1
            self._tiles[key] = body
            while len(self._tiles) > self.capacity:
                self._tiles.popitem(last=False)
        return version, body
