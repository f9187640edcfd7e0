"""Memory of gunicorn's processes as scripts/run.sh starts them (scripts/gunicorn.conf.py: the app,
the road graph and the grid's topology loaded in the master, then the workers forked), on a
scratch database with the demo data.

    .venv/bin/python bench/gunicorn_memory.py [--workers 2]

Prints each process's Rss, Pss (a page shared by n processes counts 1/n in each) and private dirty
pages (/proc/PID/smaps_rollup) once the server answers.
"""
from __future__ import annotations

import argparse
import http.client
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import gunicorn, scratch_database  # noqa: E402
from bench.routing_province import memory_kib  # noqa: E402

PORT = 5391


def answering() -> bool:
    try:
        probe = http.client.HTTPConnection("127.0.0.1", PORT, timeout=2)
        probe.request("GET", "/healthz")
        return probe.getresponse().status == 200
    except OSError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with scratch_database("dispatch_bench_gunicorn_memory") as url, \
            gunicorn(url, PORT, args.workers, ["-c", "scripts/gunicorn.conf.py", "--worker-class", "gthread",
                                               "--threads", "8"]) as master:
        for _ in range(300):  # the master builds the road graph before the workers start
            if answering():
                break
            time.sleep(1)
        time.sleep(2)
        workers = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
        for label, pid in [("master", master.pid)] + [(f"worker {n + 1}", p) for n, p in enumerate(workers)]:
            seen = memory_kib(pid)
            print(f"{label}: Rss {seen['Rss'] / 1024:.0f} MiB, Pss {seen['Pss'] / 1024:.0f} MiB, "
                  f"private dirty {seen['Private_Dirty'] / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
