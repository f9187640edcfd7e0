"""The callers of bench/storm_intake.py: Locust users that post a storm's calls in the order the
storm made them, each user at most ``STORM_RATE / users`` calls a second (run by the driver, which
writes the calls to ``STORM_PLAN`` and reads back ``STORM_RESULT``; not meant to be run alone).

Imports nothing of the project: Locust (gevent) runs in its own environment, see storm_intake.py.
"""
from __future__ import annotations

import json
import os
from collections import Counter

from locust import FastHttpUser, constant_throughput, events, task
from locust.exception import StopUser

PLAN = json.loads(open(os.environ["STORM_PLAN"], "rb").read())
CALLS = iter(PLAN["calls"])
STATUSES: Counter[int] = Counter()
USERS = int(os.environ["STORM_USERS"])


class Caller(FastHttpUser):
    """A phone line of the call centre (or a channel's link): the next call of the storm, again.
    Locust's geventhttpclient user, not its requests one: the load tool shares the server's two
    cores, and the requests user costs several times its CPU a call."""

    wait_time = constant_throughput(float(os.environ["STORM_RATE"]) / USERS)

    @task
    def call(self) -> None:
        body = next(CALLS, None)
        if body is None:
            raise StopUser()
        with self.client.post("/api/v1/reports", json=body, headers=PLAN["headers"], name="POST /api/v1/reports",
                              catch_response=True) as answer:
            STATUSES[answer.status_code] += 1
            if answer.status_code != 201:
                answer.failure(f"status {answer.status_code}")


@events.test_stop.add_listener
def _write_result(environment, **_) -> None:
    total = environment.stats.total
    result = {
        "requests": total.num_requests, "failures": total.num_failures,
        "seconds": total.last_request_timestamp - total.start_time if total.last_request_timestamp else 0,
        "p50_ms": total.get_response_time_percentile(0.5), "p95_ms": total.get_response_time_percentile(0.95),
        "p99_ms": total.get_response_time_percentile(0.99), "max_ms": total.max_response_time,
        "statuses": dict(STATUSES),
    }
    with open(os.environ["STORM_RESULT"], "w") as out:
        json.dump(result, out)
