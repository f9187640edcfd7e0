#!/usr/bin/env bash
# Run the test suite against the real PostGIS and Redis (installed and started if missing).
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -k import`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/python -m pytest "$@"
