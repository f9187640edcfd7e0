"""A short scripted storm for the demo (``flask demo storm``), so that the desk, the managers' reports
and the phones have one to show: calls on a dozen faults over the last hour and a half, crews sent by
the normal dispatch, driving (their trackers' positions along the route), on site, restoring and
filing their closing reports, and one wire down whose crew never sets out, which breaches its deadline.

It plays through the API's own routes (a test client signed in as the demo admin), the way the
hotline system, the vehicle trackers and the desk would, so every rule, event and live update is the
real one; and it plays in time order with the application's one clock moved to each moment
(``dispatch.core.clock.freeze``), so that every stamp the server takes itself (assignment, SLA
warnings from the sweeps every 5 minutes) falls where it would have in a real storm.
"""
from __future__ import annotations

import heapq
import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Callable

from flask import Flask

from api.context import database, settings
from dispatch.accounts.store import user_by_name
from dispatch.accounts.users import issue_token
from dispatch.core import clock
from dispatch.core.db import text
from dispatch.crews.assignment import Dispatcher
from dispatch.incidents.sweeper import sweep

#: The storm's first call came this long ago.
STORM_MINUTES = 100
SWEEP_EVERY = timedelta(minutes=5)
CHANNELS = ("hotline", "hotline", "wechat", "app")
CAUSES = ("weather.wind", "weather.lightning", "external.tree", "equipment.overhead_line")


@dataclass
class Played:
    """What a storm did, for the command's summary and the tests."""

    calls: int = 0
    incidents: set[int] = field(default_factory=set)
    steps: dict[str, int] = field(default_factory=dict)
    stuck: int | None = None  # the incident whose crew never set out


class StormError(RuntimeError):
    """The storm cannot be played here (no demo admin, no grid); the message says what to run."""


class Storm:
    """The storm's timeline: actions at their moments, played in order up to now."""

    def __init__(self, app: Flask, seed: int | None):
        self.app, self.rnd, self.now = app, random.Random(seed), clock.now()
        self.start = self.now - timedelta(minutes=STORM_MINUTES)
        self.desk = _desk_client(app, self.start)
        self.played = Played()
        self.queue: list[tuple[datetime, int, Callable[[], None]]] = []
        self.order = itertools.count()

    def at(self, when: datetime, action: Callable[[], None]) -> None:
        if when <= self.now:
            heapq.heappush(self.queue, (when, next(self.order), action))

    def play(self) -> None:
        before = clock.frozen_at()
        try:
            while self.queue:
                when, _, action = heapq.heappop(self.queue)
                clock.freeze(when)
                action()
        finally:
            clock.freeze(before)

    # --- what happens in a storm ---------------------------------------------------------------

    def fault(self, n: int, accounts: list[str], hazard: bool, first_call: datetime) -> None:
        """Customers of one transformer call, three minutes apart; fault 0's first call (a wire down)
        is the one whose crew never sets out."""
        stamp = self.now.strftime("%Y%m%d%H%M%S")
        for k, account in enumerate(accounts):
            body: dict[str, Any] = {"channel": self.rnd.choice(CHANNELS), "account_no": account,
                                    "external_id": f"storm-{stamp}-{n}-{k}"}
            if hazard and k == 0:
                body["kind"] = "wire_down"
            self.at(first_call + timedelta(minutes=3 * k, seconds=self.rnd.randint(0, 59)),
                    lambda body=body, first=(k == 0), stuck=(n == 0): self.call(body, first, stuck))

    def call(self, body: dict[str, Any], first: bool, stuck: bool) -> None:
        """One call; a new incident gets its crew moving a minute later (the stuck one: never)."""
        incident_id = _ok(self.desk.post("/api/v1/reports", json=body))["incident"]["id"]
        self.played.calls += 1
        if incident_id in self.played.incidents:
            return
        self.played.incidents.add(incident_id)
        if stuck and first:
            self.played.stuck = incident_id
        else:
            self.at(clock.now() + timedelta(minutes=1), lambda: self.crew_starts(incident_id))

    def crew_starts(self, incident_id: int) -> None:
        """The crew accepts and sets out; its arrival, repair and report are scheduled from its
        driving time. An incident still waiting for a crew is looked at again in 5 minutes."""
        incident = _ok(self.desk.get(f"/api/v1/incidents/{incident_id}"))
        if incident["status"] == "new":
            self.at(clock.now() + timedelta(minutes=5), lambda: self.crew_starts(incident_id))
            return
        if incident["status"] != "assigned":
            return  # merged into another, or taken further by someone else
        now = clock.now()
        answer = self.desk.get(f"/api/v1/incidents/{incident_id}/route")
        route = answer.get_json() if answer.status_code == 200 else None  # no way by road: no tracker trail
        drive = timedelta(seconds=route["properties"]["eta_s"] if route else 900) + timedelta(minutes=2)
        self.step(incident_id, "accepted", now)
        self.at(now + timedelta(minutes=1), lambda: self.step(incident_id, "en_route", clock.now()))
        line = route["geometry"]["coordinates"] if route else []
        for i, (lon, lat) in enumerate(line[:: max(1, len(line) // 10)]):
            self.at(now + timedelta(minutes=1) + drive * i / 10,
                    lambda lon=lon, lat=lat: self.position(incident["crew"], lon, lat))
        arrival = now + timedelta(minutes=1) + drive
        lon, lat = incident["location"]["coordinates"]
        self.at(arrival, lambda: self.step(incident_id, "on_site", clock.now(), location={"lon": lon, "lat": lat}))
        restored = arrival + timedelta(minutes=self.rnd.randint(20, 45))
        self.at(restored, lambda: self.step(incident_id, "restored", clock.now()))
        self.at(restored + timedelta(minutes=5), lambda: self.close(incident_id))

    def step(self, incident_id: int, kind: str, at: datetime, **body: Any) -> None:
        _ok(self.desk.post(f"/api/v1/incidents/{incident_id}/events", json={"type": kind, "at": at.isoformat(), **body}))
        self.played.steps[kind] = self.played.steps.get(kind, 0) + 1

    def position(self, crew: str, lon: float, lat: float) -> None:
        _ok(self.desk.post(f"/api/v1/crews/{crew}/positions",
                           json={"positions": [{"at": clock.now().isoformat(), "lon": lon, "lat": lat}]}))

    def close(self, incident_id: int) -> None:
        """The crew's closing report, filed from the desk for it, and accepted."""
        _ok(self.desk.post(f"/api/v1/incidents/{incident_id}/closing-report", json={
            "cause": self.rnd.choice(CAUSES), "equipment_owner": "utility", "workers": ["demo"],
            "work_done": "Storm damage cleared, fuse replaced, supply restored"}))
        _ok(self.desk.post(f"/api/v1/incidents/{incident_id}/closing-report/review", json={"accept": True}))
        self.played.steps["closed"] = self.played.steps.get("closed", 0) + 1

    def sweep(self) -> None:
        """The worker's SLA sweep, as it would have run at this moment."""
        with database().session() as session:
            sweep(session, Dispatcher(session, settings(), self.app.extensions["road_graphs"]), clock.now(),
                  settings().warning_levels)


def play_storm(app: Flask, faults: int, seed: int | None) -> Played:
    """Play a storm of ``faults`` faults that began STORM_MINUTES ago and is still going on."""
    storm = Storm(app, seed)
    areas = _fault_areas(storm.rnd, faults)
    if len(areas) < 2:
        raise StormError("no grid to storm on: import the demo data first (bash scripts/run.sh)")
    start = storm.start
    firsts = [start] + sorted(start + timedelta(minutes=storm.rnd.uniform(3, STORM_MINUTES - 5)) for _ in areas[1:])
    for n, ((accounts, hazard), first_call) in enumerate(zip(areas, firsts)):
        storm.fault(n, accounts, hazard, first_call)
    moment = start
    while moment <= storm.now:
        storm.at(moment, storm.sweep)
        moment += SWEEP_EVERY
    storm.at(storm.now, storm.sweep)
    storm.play()
    return storm.played


def _desk_client(app: Flask, issued_at: datetime):
    """A test client of the app with a token of the demo admin (desk work and the trackers' feed),
    issued when the storm begins: a token is not valid before it was signed."""
    with database().session() as session:
        user = user_by_name(session.connection(), "admin")
        if user is None:
            raise StormError("no demo admin: run `flask --app wsgi demo users` (bash scripts/run.sh does)")
        before = clock.frozen_at()
        clock.freeze(issued_at)
        try:
            token, _ = issue_token(session, app.extensions["token_signer"], user["id"], issued_at)
        finally:
            clock.freeze(before)
        session.commit()
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def _fault_areas(rnd: random.Random, faults: int) -> list[tuple[list[str], bool]]:
    """``faults`` transformers with at least 5 customers, and the customers who call about each
    (3 to 10 of them); one fault in four starts with a wire down, the first among them (a hazard is
    never merged into another incident, so the stuck crew's breach stays one of its own)."""
    with database().session() as session:
        transformers = session.connection().execute(text(
            "SELECT t.id, array_agg(c.account_no ORDER BY c.account_no) FROM transformers t "
            "JOIN customers c ON c.transformer_id = t.id OR c.transformer_id IS NULL AND c.bus_id = t.lv_bus_id "
            "GROUP BY t.id HAVING count(*) >= 5 ORDER BY t.id")).all()
    chosen = rnd.sample(transformers, min(faults, len(transformers)))
    return [(rnd.sample(list(accounts), min(len(accounts), rnd.randint(3, 10))), n % 4 == 0)
            for n, (_, accounts) in enumerate(chosen)]


def _ok(response) -> Any:
    if response.status_code >= 400:
        raise StormError(f"{response.request.method} {response.request.path}: {response.status_code} "
                         f"{response.get_data(as_text=True)[:500]}")
    return response.get_json()
