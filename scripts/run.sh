#!/usr/bin/env bash
# Start the whole system with the demo data: set-up, demo data (built once from the PyPI
# packages' open data), schema migrations, import, and the API on http://127.0.0.1:5000 (nginx in
# front of gunicorn on 127.0.0.1:5001), and the worker (flask worker: live-update relay, SLA sweeps) beside it,
# restarted by scripts/supervise.sh whenever it dies. Logs are JSON lines in var/log/ (README, "Operations").
# Running it again re-imports (a no-op when nothing changed), restarts the server and the worker.
# It waits for the API as long as gunicorn's master lives and builds the road graph, up to
# STARTUP_TIMEOUT_S (scripts/startup.sh).
# Demo users: README.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/startup.sh
startup_timeout_s >/dev/null  # a wrong STARTUP_TIMEOUT_S stops the run before anything changes
bash scripts/setup.sh

export FLASK_APP=wsgi
BIND="${BIND:-127.0.0.1:5000}"
# nginx listens on BIND and hands whole requests to gunicorn on APP_BIND (scripts/edge_proxy.py);
# the app trusts the one hop's X-Forwarded-For (sign-in limits count the client's address).
APP_BIND="${APP_BIND:-127.0.0.1:5001}"
export BIND APP_BIND PROXY_HOPS="${PROXY_HOPS:-1}"
mkdir -p var/log
# gunicorn's processes add up their request metrics in files here (emptied when gunicorn starts).
export PROMETHEUS_MULTIPROC_DIR="${PROMETHEUS_MULTIPROC_DIR:-$PWD/var/prometheus}"
# Bearer tokens are signed with this key: one per installation, kept across restarts. The app reads
# it from here when SECRET_KEY is not set (SECRET_KEY_FILE), so the API workers and every `flask`
# command of this checkout agree.
if [ ! -s var/secret_key ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > var/secret_key)
fi

CONVERTER_HASH=$(cat scripts/build_demo_data.py scripts/demo_data/*.py 2>/dev/null | sha256sum | cut -c1-16)
if [ ! -f "data/demo/.built-$CONVERTER_HASH" ]; then
    say "building the demo data (OpenStreetMap Kashan roads, SimBench grids)"
    rm -rf data/demo
    .venv/bin/python scripts/build_demo_data.py --out data/demo --cache data/cache
    touch "data/demo/.built-$CONVERTER_HASH"
fi

say "migrating the database schema"
.venv/bin/flask db upgrade
say "importing data/demo"
.venv/bin/flask data import data/demo
say "demo users (README, \"Signing in\"): admin, supervisor, dispatcher, viewer, manager, crew c01"
.venv/bin/flask demo users

if [ -f var/gunicorn.pid ] && kill -0 "$(cat var/gunicorn.pid)" 2>/dev/null; then
    say "restarting the running API server (a new code or environment)"
    stop_and_wait "$(cat var/gunicorn.pid)" "API server"
fi
# gthread: each open live stream (GET /api/v1/stream) holds a thread, so every process has many
# (README, "Live updates"; the measurements against gevent are in BENCHMARKS.md).
# scripts/gunicorn.conf.py: the app's JSON logs and gunicorn's own lines in var/log/app.log, metrics.
# setsid, not --daemon: the server leaves run.sh's session all the same (Ctrl-C stops run.sh, not
# it), and as run.sh has no job control setsid becomes gunicorn itself, so $! is the master the wait
# below watches. Its standard streams go to the log too: an error before gunicorn opens the log is
# in the tail the wait prints.
setsid .venv/bin/gunicorn -c scripts/gunicorn.conf.py --pid var/gunicorn.pid --bind "$APP_BIND" \
    --workers "${WEB_WORKERS:-2}" --worker-class gthread --threads "${WEB_THREADS:-256}" \
    --error-logfile var/log/app.log wsgi:app < /dev/null >> var/log/app.log 2>&1 &
master=$!
if [ -f var/worker.pid ] && kill -0 "$(cat var/worker.pid)" 2>/dev/null; then
    say "restarting the worker"
    stop_and_wait "$(cat var/worker.pid)" "worker's supervisor"  # it stops the worker and waits for it
fi
# The supervisor starts the worker again whenever it exits (var/worker.pid is the supervisor's).
nohup scripts/supervise.sh worker .venv/bin/flask worker >> var/log/worker.log 2>&1 &
echo $! > var/worker.pid
.venv/bin/python scripts/edge_proxy.py start

wait_until_serving "http://$BIND/healthz" "$master" var/log/app.log
say "API serving at http://$BIND  (OpenAPI: http://$BIND/api/v1/openapi.json, health: http://$BIND/healthz,"
say "  readiness: http://$BIND/readyz, metrics for admins: http://$BIND/metrics)"
say "crew app at http://$BIND/crew/ (sign in as c01 / demo-crew)"
say "managers' reports at http://$BIND/reports/ (sign in as manager / demo-manager)"
say "worker (live-update relay, SLA sweeps) running, supervised (pid $(cat var/worker.pid)); nginx on $BIND -> gunicorn on $APP_BIND"
say "logs in var/log/; stop them with: bash scripts/stop.sh"
