#!/usr/bin/env bash
# Stop nginx, the API server and the worker started by scripts/run.sh (PostgreSQL and Redis are
# left running). var/worker.pid is the worker's supervisor (scripts/supervise.sh): stopping it
# stops the worker, and nothing starts it again.
set -euo pipefail
cd "$(dirname "$0")/.."
.venv/bin/python scripts/edge_proxy.py stop
for process in gunicorn worker; do
    if [ -f "var/$process.pid" ] && kill -0 "$(cat "var/$process.pid")" 2>/dev/null; then
        kill "$(cat "var/$process.pid")" && echo "stopped $process"
    else
        echo "$process is not running"
    fi
done
