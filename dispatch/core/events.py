"""Publishing what happened (Redis pub/sub) for live map updates.

The database is the record: a publish that fails is logged and dropped, never allowed to fail
the request that caused it.
"""
from __future__ import annotations

import json
import logging
from typing import Any

import redis

log = logging.getLogger(__name__)
PREFIX = "dispatch:"


class EventPublisher:
    def __init__(self, client: redis.Redis):
        self.client = client

    def publish(self, channel: str, message: dict[str, Any]) -> None:
        try:
            self.client.publish(PREFIX + channel, json.dumps(message, default=str))
        except redis.RedisError as why:
            log.warning("event not published on %s: %s", channel, why)
