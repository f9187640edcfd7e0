"""scripts/run.sh's waits (scripts/startup.sh), run as run.sh runs them, against a stand-in for
gunicorn's master: one that builds the road graph for longer than run.sh used to wait (15 s for
/healthz, 10 s for a restarted server to stop), one that dies while building, one that never
finishes. The whole run.sh is not run here: it installs packages, builds the demo data and serves
on the machine's own ports.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.live_setup import free_port

ROOT = Path(__file__).resolve().parents[2]

#: gunicorn's master as run.sh starts it: it "builds the road graph" for BUILD_S seconds, handling
#: a stop signal only once that is done (as gunicorn's when_ready does), then serves /healthz on
#: PORT; with FATE "dies" it fails while building.
STAND_IN = '''
import http.server, signal, sys, time
port, build_s, fate = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
stopped = []
signal.signal(signal.SIGTERM, lambda *_: stopped.append(True))
print("building the road graph", flush=True)
time.sleep(build_s)
if fate == "dies":
    print("MemoryError: the road graph did not fit", flush=True)
    sys.exit(3)
if stopped:
    sys.exit(0)


class Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
http.server.HTTPServer(("127.0.0.1", port), Health).serve_forever()
'''

#: run.sh's preamble, the stand-in started as run.sh starts gunicorn (its pid in $master), and
#: killed whatever happens once the script ends.
PREAMBLE = '''
set -euo pipefail
source scripts/startup.sh
setsid "$PYTHON" "$STAND_IN" "$PORT" "$BUILD_S" "$FATE" < /dev/null >> "$LOG" 2>&1 &
master=$!
trap 'kill -KILL $master 2>/dev/null || true' EXIT
'''


def run(script: str, tmp_path: Path, *, build_s: float, fate: str = "serves",
        **env: str) -> tuple[subprocess.CompletedProcess, float]:
    """``script`` after the preamble, in bash from the repository root (``env``: settings of run.sh):
    the result and the seconds it took."""
    stand_in, log = tmp_path / "stand_in.py", tmp_path / "app.log"
    stand_in.write_text(STAND_IN)
    environment = {name: value for name, value in os.environ.items() if name != "STARTUP_TIMEOUT_S"}
    environment |= {"PYTHON": sys.executable, "STAND_IN": str(stand_in), "PORT": str(free_port()),
                    "BUILD_S": str(build_s), "FATE": fate, "LOG": str(log), **env}
    started = time.monotonic()
    result = subprocess.run(["bash", "-c", PREAMBLE + script], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=120)
    return result, time.monotonic() - started


SERVING = 'wait_until_serving "http://127.0.0.1:$PORT/healthz" "$master" "$LOG"\n'


def test_the_start_waits_while_the_master_builds_and_says_so(tmp_path):
    result, took = run(SERVING, tmp_path, build_s=17)
    assert result.returncode == 0, result.stderr
    assert took >= 17
    assert result.stdout.count("the API server is still starting") >= 1


def test_a_master_that_dies_while_building_fails_the_start_at_once_with_the_log(tmp_path):
    result, took = run(SERVING, tmp_path, build_s=1, fate="dies")
    assert result.returncode == 1
    assert took < 30  # not STARTUP_TIMEOUT_S (600 s)
    assert "exited while starting" in result.stderr
    assert "MemoryError: the road graph did not fit" in result.stderr


def test_the_start_gives_up_after_startup_timeout_s_and_leaves_the_master_running(tmp_path):
    script = SERVING.replace("\n", " || { kill -0 \"$master\" && echo still running; exit 1; }\n")
    result, took = run(script, tmp_path, build_s=60, STARTUP_TIMEOUT_S="2")
    assert result.returncode == 1 and took < 30
    assert "still starting after 2 s (STARTUP_TIMEOUT_S)" in result.stderr
    assert "still running" in result.stdout


def test_a_wrong_startup_timeout_is_refused(tmp_path):
    result, _ = run(SERVING, tmp_path, build_s=60, STARTUP_TIMEOUT_S="10m")
    assert result.returncode == 1 and "STARTUP_TIMEOUT_S must be whole seconds, not '10m'" in result.stderr


def test_a_restart_waits_for_a_master_still_building_to_stop(tmp_path):
    script = '''
    until grep -q "building the road graph" "$LOG"; do sleep 0.1; done  # its stop signal handler is set
    stop_and_wait "$master" "API server"
    kill -0 "$master" 2>/dev/null && exit 1 || echo stopped
    '''
    result, took = run(script, tmp_path, build_s=12)
    assert result.returncode == 0, result.stderr
    assert took >= 12 and "stopped" in result.stdout
    assert "waiting for the API server" in result.stdout
