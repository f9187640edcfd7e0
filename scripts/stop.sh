#!/usr/bin/env bash
# Stop the API server started by scripts/run.sh (PostgreSQL and Redis are left running).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -f var/gunicorn.pid ] && kill -0 "$(cat var/gunicorn.pid)" 2>/dev/null; then
    kill "$(cat var/gunicorn.pid)" && echo "stopped the API server"
else
    echo "the API server is not running"
fi
