#!/usr/bin/env bash
# Start the whole system with the demo data: set-up, demo data (built once from the PyPI
# packages' open data), schema migrations, import, and the API under gunicorn on
# http://127.0.0.1:5000, and the worker (flask worker: live-update relay, SLA sweeps) beside it.
# Running it again re-imports (a no-op when nothing changed), restarts the server and the worker.
# Demo users: README.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }
export FLASK_APP=wsgi
BIND="${BIND:-127.0.0.1:5000}"
mkdir -p var/log
# Bearer tokens are signed with this key: one per installation, kept across restarts, shared by
# the API workers and the command line.
if [ ! -s var/secret_key ]; then
    (umask 077 && .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(48))' > var/secret_key)
fi
SECRET_KEY="${SECRET_KEY:-$(cat var/secret_key)}"
export SECRET_KEY

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
say "demo users (README, \"Signing in\"): admin, supervisor, dispatcher, viewer, crew c01"
for user in admin supervisor dispatcher viewer; do
    .venv/bin/flask users create "$user" --role "$user" --password "demo-$user" --exist-ok >/dev/null
done
.venv/bin/flask users create c01 --role crew --crew C01 --password demo-crew --exist-ok >/dev/null

if [ -f var/gunicorn.pid ] && kill -0 "$(cat var/gunicorn.pid)" 2>/dev/null; then
    say "restarting the running API server (a new code or environment)"
    kill "$(cat var/gunicorn.pid)"
    for _ in $(seq 1 50); do [ -f var/gunicorn.pid ] || break; sleep 0.2; done
fi
# gthread: each open live stream (GET /api/v1/stream) holds a thread, so every process has many
# (README, "Live updates"; the measurements against gevent are in BENCHMARKS.md).
.venv/bin/gunicorn --daemon --pid var/gunicorn.pid --bind "$BIND" --workers "${WEB_WORKERS:-2}" \
    --worker-class gthread --threads "${WEB_THREADS:-256}" \
    --access-logfile var/log/access.log --error-logfile var/log/app.log wsgi:app
if [ -f var/worker.pid ] && kill -0 "$(cat var/worker.pid)" 2>/dev/null; then
    say "restarting the worker"
    kill "$(cat var/worker.pid)"
fi
nohup .venv/bin/flask worker >> var/log/worker.log 2>&1 &
echo $! > var/worker.pid

for _ in $(seq 1 30); do
    curl -fsS "http://$BIND/healthz" >/dev/null 2>&1 && break; sleep 0.5
done
curl -fsS "http://$BIND/healthz" >/dev/null || { echo "the API did not come up; see var/log/app.log" >&2; exit 1; }
say "API serving at http://$BIND  (OpenAPI: http://$BIND/api/v1/openapi.json, health: http://$BIND/healthz)"
say "crew app at http://$BIND/crew/ (sign in as c01 / demo-crew)"
say "worker (live-update relay, SLA sweeps) running (pid $(cat var/worker.pid)); logs in var/log/; stop both with: bash scripts/stop.sh"
