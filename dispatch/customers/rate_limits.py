"""Each machine client's rate limit, kept in Redis so that every API server counts together.

A generic cell rate algorithm (one key per client holding the "theoretical arrival time"): a
client may send a burst of its whole allowance, then one request per interval; a refused request
does not count, and the answer says exactly how long to wait. Redis's own clock is the time, so
servers with drifting clocks agree. Without Redis, no limit can be kept: channels are then let
through (a storm's reports must arrive) and the outage is logged.
"""
from __future__ import annotations

import logging
import math

import redis

from dispatch.core.errors import TooManyRequests
from dispatch.core.logs import Outage
from dispatch.customers.channels import ChannelClient

log = logging.getLogger(__name__)
LIMITS_OFF = Outage(log, "Redis", "machine channels are not rate-limited until it answers again")


class ChannelRateLimiter:
    PREFIX = "dispatch:channel-rate"

    #: ARGV: the interval between requests and the burst allowance, in microseconds. Returns 0
    #: (let through) or how many microseconds to wait.
    _TAKE = """
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local interval, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
    local tat = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now)
    if tat - burst > now then return tat - burst - now end
    -- %d: Lua would print 16 digits as 1.7e+15, losing the microseconds
    redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX',
               string.format('%d', math.ceil((tat + interval - now) / 1000) + 1))
    return 0
    """

    def __init__(self, client: redis.Redis):
        self.client = client
        self._take = client.register_script(self._TAKE)

    def take(self, channel_client: ChannelClient) -> None:
        """Count one request of ``channel_client``, or refuse it with TooManyRequests (429)."""
        # At least a microsecond: a rate above a million a second would otherwise never be refused.
        interval_us = max(1, channel_client.rate.period_s * 1_000_000 // channel_client.rate.count)
        burst_us = interval_us * (channel_client.rate.count - 1)
        try:
            wait_us = self._take(keys=[f"{self.PREFIX}:{channel_client.id}"], args=[interval_us, burst_us])
        except redis.RedisError as why:
            LIMITS_OFF.down(why)
            return
        LIMITS_OFF.up()
        if wait_us:
            wait_s = max(1, math.ceil(int(wait_us) / 1_000_000))
            raise TooManyRequests(f"channel client {channel_client.name} is over its rate of {channel_client.rate}; "
                                  f"send again in {wait_s} s", retry_after=wait_s)
