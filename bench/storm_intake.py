"""Storm intake on the province with Locust (issue 17 item 3): sustained calls a second, the
client's and the server's latencies, no call lost, and how well calls are grouped into incidents.

    .venv/bin/python bench/storm_intake.py --database-url postgresql+psycopg://dispatch:dispatch@127.0.0.1:5432/province \\
        [--rate 100] [--seconds 180] [--users 64] [--locust .venv/bin/locust]

The database is one the province was imported into (bench/province.py, then ``flask data import``).
The storm: faults at distribution transformers all over the province, all starting within its
first minutes; each customer cut off calls with probability ``--call-share``, a fifth of them call
again later, one call in twenty is a hazard (wire down). 60 % of calls give the account number,
40 % a position near the caller's house (phone numbers and addresses repeat in every copy of the
town, so they would find a customer of another copy). The calls are sent in the order the storm
made them by Locust users (bench/storm_locustfile.py), each holding ``--rate / --users`` calls a
second at most, against gunicorn started with scripts/run.sh's configuration but four processes
(two a core, as docs/deployment.md's unit; run.sh starts 2) of 16 threads (run.sh gives 256, for
live streams: see ``--threads``) on this database. Before and after, /metrics is read: the server's own count and latency histogram of
``POST /api/v1/reports`` is printed beside Locust's, with the dispatch lock's waits and holds, and
the CPU the machine, gunicorn and PostgreSQL spent a call, and the server's log lines at ERROR (a
5xx is a bug). Then the database is asked how many of the storm's calls it holds (against the 201
answers) and into how many incidents each fault's calls went.
With ``--beside``, the worker (its SLA sweeps) runs too, from before the storm, and a dispatcher's
desk reads its incident list, the crews and a map tile every 2 s: their timings are printed. With
``--switching-every S`` too, every S seconds that desk asks what switching a tie (a normally open
switch) would do and then closes or opens it: every API process and the worker trace the grid
again, as they do after each switching of a storm.

Locust runs in an environment of its own (gevent patches the interpreter): the ``load`` extra of
pyproject.toml, installed by scripts/setup.sh into .venv-load; ``--locust`` names its executable.
The reports stay in the database (run against a copy if that matters).
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter, defaultdict
from pathlib import Path

from sqlalchemy import create_engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import ROOT, SECRET_KEY, bearer_headers, gunicorn, percentile  # noqa: E402
from dispatch.incidents.models import OPEN_INCIDENT_STATUSES  # noqa: E402

PORT = 5079
ROUTE = "/api/v1/reports"
#: Seconds over which the faults begin, and the mean delay of a call after its fault.
FAULTS_BEGIN_S = 120
CALL_DELAY_S = 300
REPEAT_SHARE = 0.2
HAZARD_SHARE = 0.05
WARM_UP_CALLS = 16


def storm(url: str, calls_wanted: int, call_share: float, tag: str, seed: int) -> tuple[list[dict], dict[str, str]]:
    """The storm's calls in the order they are made, and each call's fault (external_id -> transformer)."""
    rng = random.Random(seed)
    engine = create_engine(url)
    with engine.connect() as connection:
        transformers = connection.execute(text(
            "SELECT t.id FROM transformers t WHERE EXISTS (SELECT FROM customers c WHERE c.transformer_id = t.id)"
        )).scalars().all()
        rng.shuffle(transformers)
        timed: list[tuple[float, dict]] = []
        fault_of: dict[str, str] = {}
        for transformer_id in transformers:
            if len(timed) >= calls_wanted:
                break
            customers = connection.execute(text(
                "SELECT t.code, c.account_no, ST_X(c.geom), ST_Y(c.geom) FROM customers c "
                "JOIN transformers t ON t.id = c.transformer_id WHERE t.id = :t"), {"t": transformer_id}).all()
            begins = rng.uniform(0, FAULTS_BEGIN_S)
            for code, account_no, lon, lat in customers:
                if rng.random() >= call_share:
                    continue
                for _ in range(2 if rng.random() < REPEAT_SHARE else 1):
                    body: dict = ({"account_no": account_no} if rng.random() < 0.6 else
                                  {"location": {"lon": lon + rng.uniform(-1e-4, 1e-4),
                                                "lat": lat + rng.uniform(-1e-4, 1e-4)}})
                    body["channel"] = rng.choice(["hotline", "app", "wechat", "sms"])
                    if rng.random() < HAZARD_SHARE:
                        body.update(kind="wire_down", hazard=True)
                    body["external_id"] = f"{tag}-{len(fault_of)}"
                    fault_of[body["external_id"]] = code
                    timed.append((begins + rng.expovariate(1 / CALL_DELAY_S), body))
    engine.dispose()
    timed.sort(key=lambda pair: pair[0])
    return [body for _, body in timed[:calls_wanted]], fault_of


def scrape(port: int, headers: dict[str, str]) -> dict[str, float]:
    """The server's request count, latency sum and histogram buckets of POST /api/v1/reports, and
    the dispatch lock's waits and holds (sums and counts, every transaction that took it)."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", headers=headers)
    body = urllib.request.urlopen(request, timeout=60).read().decode()
    found: dict[str, float] = defaultdict(float)
    for line in body.splitlines():
        if line.startswith(("dispatch_lock_held_seconds_", "dispatch_lock_wait_seconds_")) and \
                line.split(" ", 1)[0].endswith(("_sum", "_count")):
            found[line.split(" ", 1)[0]] += float(line.rsplit(" ", 1)[1])
            continue
        if f'route="{ROUTE}"' not in line or 'method="POST"' not in line:
            continue
        name = line.split("{", 1)[0]
        value = float(line.rsplit(" ", 1)[1])
        if name.endswith("_bucket"):
            found["le=" + re.search(r'le="([^"]+)"', line).group(1)] += value
        elif name.endswith("_count") or name.endswith("_sum"):
            found[name.rsplit("_", 1)[1]] += value
        elif name.startswith("dispatch_http_requests") and 'status="201"' in line:
            found["201"] += value
    return found


def server_quantile(before: dict[str, float], after: dict[str, float], q: float) -> float:
    """The ``q`` quantile of the run's server-side latencies (ms), interpolated inside the
    histogram's bucket as Prometheus's histogram_quantile does (inf: past its last bound, 10 s)."""
    bounds = sorted((float(k[3:]), after[k] - before.get(k, 0)) for k in after if k.startswith("le="))
    total = bounds[-1][1]
    rank, lower, below = q * total, 0.0, 0.0
    for upper, cumulative in bounds:
        if cumulative >= rank:
            if upper == float("inf"):
                return upper
            return (lower + (upper - lower) * (rank - below) / max(cumulative - below, 1)) * 1000
        lower, below = upper, cumulative
    return lower * 1000


def cpu_seconds(server: int) -> dict[str, float]:
    """CPU seconds (user + system) spent so far by the machine, by gunicorn (the ``server``
    master and its workers) and by PostgreSQL (its live processes, and the backends that exited,
    which their postmaster has reaped into its children's times: a pool's overflow connections
    come and go): whether the storm is bound by the two cores rather than by a lock."""
    import psutil

    machine = psutil.cpu_times()
    master = psutil.Process(server)
    idle = ("idle", "iowait", "guest", "guest_nice")  # a guest's time is counted in user's already
    spent = {"machine": sum(machine) - sum(getattr(machine, field, 0) for field in idle),
             "server": sum(sum(p.cpu_times()[:2]) for p in [master, *master.children(recursive=True)]),
             "postgres": 0.0}
    for process in psutil.process_iter(["name", "cpu_times", "ppid"]):
        if process.info["name"] == "postgres" and process.info["cpu_times"] is not None:
            times = process.info["cpu_times"]
            spent["postgres"] += times.user + times.system
            if psutil.Process(process.info["ppid"]).name() != "postgres":  # the postmaster
                spent["postgres"] += times.children_user + times.children_system
    return spent


class Desk(threading.Thread):
    """A dispatcher's screen beside the storm: every ``every_s`` the desk's own reads (the open and
    just-restored incidents, the crews) and a map tile at zoom 14 over one of the grid's
    transformers (lines and transformers by turns, uncached: no ETag sent), each timed."""

    LIST = f"/api/v1/incidents?status={','.join([*OPEN_INCIDENT_STATUSES, 'restored'])}&limit=5000"  # the desk's

    def __init__(self, url: str, port: int, headers: dict[str, str], every_s: float = 2.0,
                 switching_every_s: float | None = None):
        super().__init__(daemon=True)
        engine = create_engine(url)
        with engine.connect() as connection:
            places = connection.execute(text(
                "SELECT ST_X(geom), ST_Y(geom) FROM transformers ORDER BY random() LIMIT 50")).all()
            self.tie = connection.execute(text("SELECT code FROM switches WHERE is_open ORDER BY code LIMIT 1")).scalar()
        engine.dispose()
        self.switching_every_s, self.tie_open, self.switched_at = switching_every_s, True, time.perf_counter()
        self.tiles = [f"/tiles/{layer}/14/{x}/{y}.mvt" for (lon, lat), layer in
                      zip(places, ["lines", "transformers"] * 25) for x, y in [tile_of(lon, lat, 14)]]
        self.base, self.headers, self.every_s = f"http://127.0.0.1:{port}", headers, every_s
        self.took: dict[str, list[float]] = defaultdict(list)
        self.stop = threading.Event()

    def run(self) -> None:
        for round_no in itertools.count():
            if self.stop.is_set():
                return
            started = time.perf_counter()
            for name, path in (("incident list", self.LIST), ("crews", "/api/v1/crews"),
                               ("tile", self.tiles[round_no % len(self.tiles)])):
                self.timed(name, path)
            if self.switching_every_s and started - self.switched_at >= self.switching_every_s:
                self.switched_at, self.tie_open = started, not self.tie_open
                switch = f"/api/v1/grid/switches/{urllib.parse.quote(self.tie)}"
                self.timed("switching effect", f"{switch}/effect?is_open={str(self.tie_open).lower()}")
                self.timed("switching", switch, {"is_open": self.tie_open})
            self.stop.wait(max(0.0, self.every_s - (time.perf_counter() - started)))

    def timed(self, name: str, path: str, change: dict | None = None) -> None:
        at = time.perf_counter()
        request = urllib.request.Request(self.base + path, json.dumps(change).encode() if change else None,
                                         {**self.headers, "Content-Type": "application/json"},
                                         method="PATCH" if change else "GET")
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
        self.took[name].append((time.perf_counter() - at) * 1000)


def server_errors(log: Path) -> list[str]:
    """The server's log lines at ERROR or worse (a 5xx is a bug: its traceback is in the line), and
    any line that is not JSON (what a crash printed itself)."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    return [line for line in lines
            if not line.startswith('{"') or '"level": "ERROR"' in line or '"level": "CRITICAL"' in line]


def tile_of(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    """The web-mercator tile (x, y) holding the point at ``zoom``."""
    n = 2 ** zoom
    y = (1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n
    return int((lon + 180) / 360 * n), int(y)


def sweeps(log: Path) -> list[float]:
    """The SLA sweeps' durations (ms) in the worker's log (api/worker.py)."""
    found = []
    for line in log.read_text().splitlines():
        if line.startswith("{") and "sweep_ms" in line:
            found.append(json.loads(line)["sweep_ms"])
    return found


def grouping(url: str, tag: str, fault_of: dict[str, str]) -> dict[str, float]:
    """How the storm's stored calls were grouped (warm-up calls too: they are the storm's first):
    incidents (after merges) per fault. A hazard call opens an incident of its own by design, so
    the faults are also judged on their calls without a hazard."""
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(text(
            "WITH RECURSIVE final(id, root) AS (SELECT id, id FROM incidents WHERE merged_into_id IS NULL "
            "UNION ALL SELECT i.id, f.root FROM incidents i JOIN final f ON i.merged_into_id = f.id) "
            "SELECT r.external_id, f.root, r.hazard, i.device_code FROM reports r "
            "JOIN final f ON f.id = r.incident_id JOIN incidents i ON i.id = f.root "
            "WHERE r.external_id LIKE :tag"), {"tag": f"{tag}-%"}).all()
    engine.dispose()
    found: dict[str, float] = {"stored": len(rows)}
    # Each fault's main incident (the one with most of its calls): does it name the faulted
    # transformer, and what share of the fault's calls does it hold?
    calls_of: dict[str, Counter] = defaultdict(Counter)
    named: dict[int, str] = {}
    for external_id, incident, _, device_code in rows:
        calls_of[fault_of[external_id]][incident] += 1
        named[incident] = device_code
    mains = {fault: counts.most_common(1)[0] for fault, counts in calls_of.items()}
    found["main_incident_names_the_fault"] = sum(named[incident] == fault for fault, (incident, _) in mains.items())
    found["calls_in_main_incident"] = sum(n for _, n in mains.values()) / max(len(rows), 1)
    for judged, suffix in ((rows, ""), ([r for r in rows if not r.hazard], "_without_hazards")):
        incidents_of: dict[str, set[int]] = defaultdict(set)
        faults_in: dict[int, set[str]] = defaultdict(set)
        for external_id, incident, _, _ in judged:
            incidents_of[fault_of[external_id]].add(incident)
            faults_in[incident].add(fault_of[external_id])
        found.update({f"faults{suffix}": len(incidents_of), f"incidents{suffix}": len(faults_in),
                      f"faults_in_one_incident{suffix}": sum(len(s) == 1 for s in incidents_of.values()),
                      f"incidents_of_several_faults{suffix}": sum(len(s) > 1 for s in faults_in.values())})
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rate", type=float, default=100, help="calls a second at most (all users)")
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--users", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4,
                        help="two a core on the 2-core machine of the goals, as docs/deployment.md's unit (run.sh: 2)")
    parser.add_argument("--threads", type=int, default=16,
                        help="per process: fewer contend for the interpreter's lock, enough wait for the database "
                             "(BENCHMARKS.md: 16 did better than 8 and 32)")
    parser.add_argument("--call-share", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--locust", default=str(ROOT / ".venv-load" / "bin" / "locust"))
    parser.add_argument("--beside", action="store_true",
                        help="run the worker (SLA sweeps every SLA_SWEEP_INTERVAL_S) and a dispatcher's desk "
                             "(bench/storm_intake.py Desk) beside the storm, and print their timings")
    parser.add_argument("--switching-every", type=float, default=None, metavar="S",
                        help="with --beside: the desk closes or opens a tie switch every S seconds")
    args = parser.parse_args()
    url = args.database_url
    tag = f"storm{int(time.time())}"
    calls, fault_of = storm(url, int(args.rate * args.seconds) + WARM_UP_CALLS, args.call_share, tag, args.seed)
    warm_up, calls = calls[:WARM_UP_CALLS], calls[WARM_UP_CALLS:]
    headers = bearer_headers(url, f"{tag}-dispatcher", "dispatcher")
    admin = bearer_headers(url, f"{tag}-admin", "admin")
    print(f"storm: {len(calls)} calls about {len(set(fault_of[c['external_id']] for c in calls))} transformer "
          f"faults (+{WARM_UP_CALLS} warm-up calls), at most {args.rate:g}/s from {args.users} Locust users")
    with tempfile.TemporaryDirectory(prefix="storm-") as scratch:
        work = Path(scratch)
        (work / "metrics").mkdir()
        plan, result = work / "plan.json", work / "result.json"
        options = ["-c", str(ROOT / "scripts" / "gunicorn.conf.py"), "--worker-class", "gthread",
                   "--threads", str(args.threads), "--error-logfile", str(work / "app.log"), "--timeout", "300"]
        with gunicorn(url, PORT, args.workers, options, {"PROMETHEUS_MULTIPROC_DIR": str(work / "metrics")}) \
                as server:
            if args.beside:
                worker = subprocess.Popen(
                    [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "worker", "--name", f"{tag}-worker"], cwd=ROOT,
                    env={**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "LOG_LEVEL": "INFO"},
                    stdout=subprocess.DEVNULL, stderr=open(work / "worker.log", "w"))
            started, warm_created = time.perf_counter(), 0
            for body in warm_up:  # each worker loads the topology and the road graph on its first calls
                request = urllib.request.Request(f"http://127.0.0.1:{PORT}{ROUTE}", json.dumps(body).encode(),
                                                 headers, method="POST")
                with urllib.request.urlopen(request, timeout=600) as answer:
                    warm_created += answer.status == 201
            print(f"warm-up: {WARM_UP_CALLS} calls in {time.perf_counter() - started:.1f} s")
            plan.write_text(json.dumps({"headers": headers, "calls": calls}))
            if args.beside:
                while not sweeps(work / "worker.log"):  # it builds the road graph first
                    if worker.poll() is not None:
                        raise SystemExit(f"the worker exited: {(work / 'worker.log').read_text()[-2000:]}")
                    time.sleep(1)
                swept_before = len(sweeps(work / "worker.log"))
                desk = Desk(url, PORT, headers, switching_every_s=args.switching_every)
                desk.start()
            # From here on: the worker's start (it builds the road graph, a minute of CPU) is not the storm's.
            before, cpu_before = scrape(PORT, admin), cpu_seconds(server.pid)
            env = {**os.environ, "STORM_PLAN": str(plan), "STORM_RESULT": str(result),
                   "STORM_RATE": str(args.rate), "STORM_USERS": str(args.users)}
            subprocess.run([args.locust, "-f", str(ROOT / "bench" / "storm_locustfile.py"), "--headless",
                            "--host", f"http://127.0.0.1:{PORT}", "-u", str(args.users), "-r", str(args.users),
                            "-t", f"{args.seconds + 60}s", "--stop-timeout", "30", "--only-summary",
                            "--loglevel", "WARNING"], env=env, check=False)
            after, cpu = scrape(PORT, admin), cpu_seconds(server.pid)
            if args.beside:
                desk.stop.set()
                desk.join()
                worker.terminate()
                worker.wait()
                swept = sweeps(work / "worker.log")[swept_before:]
            cpu = {part: cpu[part] - cpu_before[part] for part in cpu}
        errors = server_errors(work / "app.log")  # before anything can fail: the log goes with the directory
        client = json.loads(result.read_text())
    served = after["count"] - before.get("count", 0)
    grouped = grouping(url, tag, fault_of)
    created = client["statuses"].get("201", 0)
    print(f"client (Locust): {client['requests']} calls in {client['seconds']:.0f} s = "
          f"{client['requests'] / max(client['seconds'], 1e-9):.1f} calls/s; p50 {client['p50_ms']:.0f} ms, "
          f"p95 {client['p95_ms']:.0f} ms, p99 {client['p99_ms']:.0f} ms, max {client['max_ms']:.0f} ms; "
          f"statuses {client['statuses']}")
    p50, p95 = (server_quantile(before, after, q) for q in (0.5, 0.95))
    print(f"server (/metrics): {served:.0f} calls answered, {after.get('201', 0) - before.get('201', 0):.0f} "
          f"with 201; mean {(after['sum'] - before.get('sum', 0)) / max(served, 1) * 1000:.0f} ms, "
          f"p50 {p50:.0f} ms, p95 {p95:.0f} ms (interpolated in the histogram's buckets; inf: over 10 s)")
    held, waited = ((after[f"dispatch_lock_{what}_seconds_sum"] - before.get(f"dispatch_lock_{what}_seconds_sum", 0),
                     after[f"dispatch_lock_{what}_seconds_count"] - before.get(f"dispatch_lock_{what}_seconds_count", 0))
                    for what in ("held", "wait"))
    print(f"dispatch lock: taken {held[1]:.0f} times, held {held[0] / max(held[1], 1) * 1000:.1f} ms on average "
          f"(busy {held[0] / max(client['seconds'], 1e-9):.0%} of the run), waited for "
          f"{waited[0] / max(waited[1], 1) * 1000:.0f} ms on average; load average at the end "
          f"{' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    per_call = {part: spent / max(served, 1) * 1000 for part, spent in cpu.items()}
    print(f"CPU: the machine busy {cpu['machine'] / (max(client['seconds'], 1e-9) * os.cpu_count()):.0%} of its "
          f"{os.cpu_count()} cores during the run; per call answered {per_call['machine']:.1f} ms of CPU: "
          f"gunicorn {per_call['server']:.1f} ms, PostgreSQL {per_call['postgres']:.1f} ms, the rest (Locust, "
          f"others) {per_call['machine'] - per_call['server'] - per_call['postgres']:.1f} ms")
    if args.beside:
        for name, took in desk.took.items():
            print(f"desk beside the storm, {name}: {len(took)} requests, p50 {percentile(took, 50):.0f} ms, "
                  f"p95 {percentile(took, 95):.0f} ms, max {max(took):.0f} ms")
        print(f"SLA sweeps beside the storm: {len(swept)} passes, p50 {percentile(swept, 50):.0f} ms, "
              f"p95 {percentile(swept, 95):.0f} ms, max {max(swept):.0f} ms" if swept else "SLA sweeps: none finished")
    print(f"server log lines at ERROR or not JSON: {len(errors)}" + "".join(f"\n  {line}" for line in errors[:20]))
    stored = grouped["stored"] - warm_created
    print(f"none lost: {stored} of the storm's calls stored, {created} answered 201"
          f" ({'equal' if stored == created else 'NOT EQUAL'})")
    print(f"grouping: {grouped['main_incident_names_the_fault']} of {grouped['faults']} faults have a main "
          f"incident (most of their calls) at the faulted transformer; it holds "
          f"{grouped['calls_in_main_incident']:.0%} of the calls")
    for suffix, calls_judged in (("", "all calls"), ("_without_hazards", "calls without a hazard")):
        faults, whole = grouped[f"faults{suffix}"], grouped[f"faults_in_one_incident{suffix}"]
        print(f"grouping ({calls_judged}): {faults} faults called about -> {grouped[f'incidents{suffix}']} "
              f"incidents; {whole} faults with all their calls in one incident ({whole / max(faults, 1):.0%}); "
              f"{grouped[f'incidents_of_several_faults{suffix}']} incidents holding calls of several faults")


if __name__ == "__main__":
    sys.exit(main())
