#!/usr/bin/env bash
# Stop the API server and the worker started by scripts/run.sh (PostgreSQL and Redis are
# left running).
set -euo pipefail
cd "$(dirname "$0")/.."
for process in gunicorn worker; do
    if [ -f "var/$process.pid" ] && kill -0 "$(cat "var/$process.pid")" 2>/dev/null; then
        kill "$(cat "var/$process.pid")" && echo "stopped $process"
    else
        echo "$process is not running"
    fi
done
