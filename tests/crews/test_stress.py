"""Dispatch under concurrent load keeps its invariants (issue 13; docs/dispatch-invariants.md).

A real HTTP server (threaded: requests really run at once, each in its own transaction) on a
database of the test's own with the city grid and more crews, some with the low-voltage skill
only; then for STRESS_SECONDS, from many threads at once: reports from customers of every
transformer (incidents opened, rolled up to medium-voltage devices and merged by inference),
desk merges, reassignments and queueing, cancellations, and the crews' phones pressing their next
step (accepted, en route, on site, restored: crews freed take waiting incidents). Afterwards
every invariant holds (:func:`dispatch.crews.invariants.violations`) and no request failed with a
server error. Bounded in time: 15 s of load (up to 45 s on a slow machine, until it has done its
work), ~30 s in all on a two-core machine.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import threading
import time
import uuid
from collections import Counter
from urllib.parse import urlsplit

from sqlalchemy import create_engine, text

from dispatch.core import clock
from dispatch.crews.assignment import Dispatcher
from dispatch.crews.invariants import violations

STRESS_SECONDS = float(os.environ.get("STRESS_SECONDS", "15"))
THREADS = int(os.environ.get("STRESS_THREADS", "16"))
#: Crews added to the city grid's CW, CE (lv+mv) and CL (lv; put on duty): code, depot, skills.
MORE_CREWS = [("M1", "DW", "{lv,mv}"), ("M2", "DE", "{lv,mv}"), ("L1", "DW", "{lv}"), ("L2", "DE", "{lv}"),
              ("L3", "DW", "{lv}")]


class Client:
    """Requests to the server as one user (a connection of its own per request)."""

    def __init__(self, base: str, token: str):
        self.address = urlsplit(base).netloc
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        connection = http.client.HTTPConnection(self.address, timeout=30)
        try:
            connection.request(method, path, body=None if body is None else json.dumps(body),
                               headers=self.headers | (headers or {}))
            response = connection.getresponse()
            raw = response.read()
        finally:
            connection.close()
        try:
            return response.status, json.loads(raw) if raw else {}
        except ValueError:
            return response.status, {"raw": raw[:200].decode(errors="replace")}


def add_crews(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE crews SET on_duty = true, status = 'available' WHERE code = 'CL'"))
        for code, depot, skills in MORE_CREWS:
            connection.execute(text(
                "INSERT INTO crews (code, name, depot_id, members, headcount, phone, skills, on_duty, status) "
                "SELECT :code, 'Crew ' || :code, id, '[\"A\", \"B\"]', 2, '13800000009', CAST(:skills AS text[]), "
                "true, 'available' FROM depots WHERE code = :depot"), {"code": code, "depot": depot, "skills": skills})
    engine.dispose()


def test_dispatch_keeps_its_invariants_under_concurrent_reports_merges_events_and_reassignments(
        live_app, live_url, server, user):
    add_crews(live_url)
    crews = ["CW", "CE", "CL"] + [code for code, _, _ in MORE_CREWS]
    desk = Client(server, user("dispatcher")["token"])
    phones = {code: Client(server, user("crew", crew=code)["token"]) for code in crews}
    engine = create_engine(live_url, pool_size=THREADS)
    statuses: Counter = Counter()
    failures: list[str] = []
    started = time.monotonic()

    def carry_on() -> bool:
        """At least STRESS_SECONDS, and on a slow machine until the load has done its work (at
        most three times as long)."""
        elapsed = time.monotonic() - started
        enough = (statuses[("report", 201)] >= 100 and statuses[("restored", 201)] >= 5
                  and statuses[("merge", 200)] >= 5)
        return elapsed < STRESS_SECONDS or not enough and elapsed < 3 * STRESS_SECONDS

    counting = threading.Lock()

    def note(action: str, status: int, body: dict) -> None:
        with counting:
            statuses[(action, status)] += 1
        if status >= 500:
            failures.append(f"{action}: {status} {body}")

    def open_incidents(statuses_in: tuple[str, ...]) -> list[int]:
        with engine.connect() as connection:
            return connection.execute(text("SELECT id FROM incidents WHERE status = ANY(:s)"),
                                      {"s": list(statuses_in)}).scalars().all()

    def report(rng: random.Random, kind: str = "no_power") -> None:
        # Customers of all five transformers: calls under several of them roll up to a fuse, the
        # recloser or the breaker (medium voltage), and merge the incidents below.
        account = f"{rng.randint(1, 5)}{rng.randint(0, 9):03d}"
        note("report", *desk.call("POST", "/api/v1/reports", {
            "channel": "hotline", "account_no": account, "kind": kind, "received_at": clock.now().isoformat()}))

    def hazard(rng: random.Random) -> None:
        report(rng, "wire_down")  # an incident of its own: more incidents than crews, a queue

    def merge(rng: random.Random) -> None:
        ids = open_incidents(("new", "assigned", "accepted", "en_route", "on_site"))
        if len(ids) >= 2:
            one, other = rng.sample(ids, 2)
            note("merge", *desk.call("POST", f"/api/v1/incidents/{one}/merge", {"into": other}))

    def reassign(rng: random.Random) -> None:
        ids = open_incidents(("new", "assigned", "accepted"))
        if ids:
            body = {"crew": rng.choice(crews), "queue": rng.random() < 0.3}
            note("assign", *desk.call("POST", f"/api/v1/incidents/{rng.choice(ids)}/assign", body))

    def cancel(rng: random.Random) -> None:
        ids = open_incidents(("new", "assigned", "accepted"))
        if ids:
            note("cancel", *desk.call("POST", f"/api/v1/incidents/{rng.choice(ids)}/events", {"type": "cancelled"}))

    def press(rng: random.Random) -> None:
        with engine.connect() as connection:
            busy = connection.execute(text("SELECT code FROM crews WHERE status <> 'available'")).scalars().all()
        phone = phones[rng.choice(busy or crews)]
        status, body = phone.call("GET", "/api/v1/me/jobs")
        note("jobs", status, body)
        for job in body.get("jobs", []):
            if job["allowed_next"]:
                step = job["allowed_next"][0]
                note(step, *phone.call("POST", f"/api/v1/me/jobs/{job['id']}/events",
                                       {"type": step, "at": clock.now().isoformat()},
                                       {"Idempotency-Key": str(uuid.uuid4())}))
                return

    actions = [report] * 5 + [hazard] * 2 + [press] * 6 + [merge] * 2 + [reassign, cancel]

    def run(seed: int) -> None:
        rng = random.Random(seed)
        try:
            while carry_on():
                rng.choice(actions)(rng)
        except Exception as why:  # noqa: BLE001 -- a client that dies must fail the test, not hang it
            failures.append(f"client {seed}: {why!r}")

    threads = [threading.Thread(target=run, args=(seed,), daemon=True) for seed in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(3 * STRESS_SECONDS + 60)

    database = live_app.extensions["database"]
    with database.session() as session:
        dispatcher = Dispatcher(session, live_app.extensions["settings"], live_app.extensions["road_graphs"])
        broken = violations(session.connection(), dispatcher, clock.now())
        with_crew = session.execute(text(
            "SELECT count(*) FILTER (WHERE type = 'assigned'), count(*) FILTER (WHERE type = 'merged'), "
            "count(*) FILTER (WHERE type = 'rolled_up'), count(*) FILTER (WHERE type = 'restored') "
            "FROM incident_events")).one()
        session.rollback()
    engine.dispose()
    done = dict(zip(("assigned", "merged", "rolled_up", "restored"), with_crew))
    print(f"requests: {dict(sorted(statuses.items()))}; timeline: {done}")
    assert not any(thread.is_alive() for thread in threads)
    assert not broken, "\n".join(f"{v['rule']}: crew {v['crew']}, incident {v['incident']}: {v['detail']}"
                                 for v in broken) + f"\n(requests: {dict(statuses)}; timeline: {done})"
    assert not failures, "\n".join(failures[:20])
    # The load did what it is for: crews sent and freed, incidents rolled up and merged.
    assert min(done.values()) > 0, done
    assert statuses[("report", 201)] > 50
