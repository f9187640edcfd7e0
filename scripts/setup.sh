#!/usr/bin/env bash
# Everything the project needs on a Debian machine, installed and started only when missing:
# PostgreSQL + PostGIS (+ pgRouting for benchmarks), Redis, nginx, the Python virtualenv and packages,
# the `dispatch` database role and database. Safe to run any number of times.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
APT_UPDATED=""

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

apt_install() {
    local missing=()
    for package in "$@"; do
        dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    if [ -z "$APT_UPDATED" ]; then
        say "apt-get update"
        $SUDO apt-get update -qq
        APT_UPDATED=1
    fi
    say "installing ${missing[*]}"
    $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
}

postgres_version() {
    ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1
}

# --- system packages ------------------------------------------------------------------------
# nginx: the reverse proxy run.sh puts in front of gunicorn (its own configuration under var/nginx;
# the system's site is not used).
apt_install python3 python3-venv curl redis-server postgresql nginx
PG_VERSION="$(postgres_version)"
apt_install "postgresql-${PG_VERSION}-postgis-3" "postgresql-${PG_VERSION}-pgrouting"

# --- PostgreSQL -----------------------------------------------------------------------------
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi
}
if ! pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; then
    if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
        say "creating PostgreSQL ${PG_VERSION} cluster"
        $SUDO pg_createcluster "$PG_VERSION" main >/dev/null
    fi
    say "starting PostgreSQL"
    read -r version cluster _ < <(pg_lsclusters -h | head -1)
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start || true
    for _ in $(seq 1 30); do pg_isready -q -h "$PG_HOST" -p "$PG_PORT" && break; sleep 1; done
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT" || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
# A development role: superuser so that migrations can create the PostGIS extension and the
# tests can create their own databases. Production uses a plain owner role (README).
as_postgres psql -q -h "$PG_HOST" -p "$PG_PORT" -d postgres -v ON_ERROR_STOP=1 <<'SQL' >/dev/null
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'dispatch') THEN
    CREATE ROLE dispatch LOGIN SUPERUSER PASSWORD 'dispatch';
  END IF;
END $$;
SELECT 'CREATE DATABASE dispatch OWNER dispatch'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'dispatch') \gexec
SQL

# --- Redis ----------------------------------------------------------------------------------
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    say "starting Redis"
    $SUDO mkdir -p /var/lib/redis /var/log/redis
    $SUDO redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir /var/lib/redis \
        --logfile /var/log/redis/redis-server.log
    for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null || { echo "Redis did not start" >&2; exit 1; }
fi

# --- Python ---------------------------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    say "creating the virtualenv .venv"
    python3 -m venv .venv
fi
STAMP=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$STAMP" ]; then
    say "installing Python packages (pyproject.toml)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e '.[demo,test]'
    rm -f .venv/.installed-*
    touch "$STAMP"
fi
# The load tools (Locust, py-spy; pyproject's "load" extra) in an environment of their own: Locust's
# gevent patches the interpreter and brings its own web stack (bench/storm_intake.py runs it).
LOAD_STAMP=.venv-load/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$LOAD_STAMP" ]; then
    say "installing the load tools into .venv-load (pyproject.toml, extra \"load\")"
    [ -x .venv-load/bin/python ] || python3 -m venv .venv-load
    .venv-load/bin/python -m pip install -q $(.venv/bin/python -c 'import tomllib; print(" ".join(
        tomllib.load(open("pyproject.toml", "rb"))["project"]["optional-dependencies"]["load"]))')
    rm -f .venv-load/.installed-*
    touch "$LOAD_STAMP"
fi

# --- Crew app: its browser libraries (npm) and Chromium for its browser test ------------------
# The web apps have no build step: Flask serves Leaflet and idb-keyval (crew app), MapLibre (desk,
# reports) and Apache ECharts (reports) from node_modules, exactly as package-lock.json pins them,
# reinstalled only when the lock file changes.
if ! command -v npm >/dev/null 2>&1; then
    apt_install nodejs npm
fi
LOCK_HASH="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat node_modules/.lock-hash 2>/dev/null)" != "$LOCK_HASH" ]; then
    say "installing the web apps' libraries (npm ci)"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
    echo "$LOCK_HASH" > node_modules/.lock-hash
fi
# tests/crews/test_crew_app.py drives Debian's Chromium (browser downloads are not used).
apt_install chromium
# Chinese text in the browser tests' screenshots (zh-CN pages) needs a CJK font.
apt_install fonts-noto-cjk

say "ready: PostgreSQL ${PG_VERSION} + PostGIS at ${PG_HOST}:${PG_PORT}, Redis at 127.0.0.1:6379, .venv"
