"""The worker's notification loop: fan notices out, then send what is due (a thread of the worker,
beside the outbox relay, so that a slow receiver holds neither live updates nor SLA sweeps back)."""
from __future__ import annotations

import logging
import threading

from dispatch.core import clock
from dispatch.core.config import Settings
from dispatch.core.db import Database
from dispatch.core.logs import Outage
from dispatch.customers.notify_fanout import fan_out
from dispatch.customers.notify_sender import send_due
from dispatch.customers.planned_notices import fan_out_planned
from dispatch.gis.grid import TopologyCache

log = logging.getLogger(__name__)
OUTAGE = Outage(log, "Customer notifications", "the worker tries again every second")


class Notifier:
    def __init__(self, database: Database, topologies: TopologyCache, settings: Settings):
        self.database = database
        self.topologies = topologies
        self.settings = settings

    def step(self) -> int:
        """Fan out (incidents' notices, planned outages' notices due) and send one batch; returns
        how many notices and messages were handled."""
        with self.database.session() as session:
            handled = fan_out(session, self.topologies, self.settings, clock.now())
        with self.database.session() as session:
            handled += fan_out_planned(session, self.settings, clock.now())
        with self.database.session() as session:
            handled += send_due(session, self.settings, clock.now())
        return handled

    def run(self, stop: threading.Event) -> None:
        """Step until ``stop`` is set: at once while there is more, else every NOTIFY_INTERVAL_S."""
        while not stop.is_set():
            try:
                handled = self.step()
                OUTAGE.up()
            except Exception as why:  # the database went away, say: try again shortly
                OUTAGE.down(why)
                handled = 0
                stop.wait(1.0)
            if not handled:
                stop.wait(self.settings.notify_interval_s)
