#!/usr/bin/env bash
# Keep a command running: start it again whenever it exits (a crash, kill -9, the kernel's
# out-of-memory killer), after a pause that doubles from 1 s up to 30 s while it keeps failing
# quickly and starts again at 1 s once it has run for a minute. TERM or INT to this script stops
# the command (TERM, then waits for it) and the script. run.sh runs the worker under it; a
# deployment uses systemd's Restart=always instead (docs/deployment.md).
#   scripts/supervise.sh NAME COMMAND [ARGS...]
# Each restart is logged on standard error as a JSON line, like the application's own logs.
set -uo pipefail
name="$1"; shift
child=""
sleeper=""
stopping=""

log() {  # level message
    printf '{"time": "%s", "level": "%s", "logger": "supervise", "message": "%s", "process": %d, "supervised": "%s"}\n' \
        "$(date -u +%Y-%m-%dT%H:%M:%S.000+00:00)" "$1" "$2" "$$" "$name" >&2
}

stop() {
    stopping=1
    [ -n "$sleeper" ] && kill "$sleeper" 2>/dev/null
    if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
        kill -TERM "$child" 2>/dev/null
        wait "$child" 2>/dev/null
    fi
    log INFO "$name stopped"
    exit 0
}
trap stop TERM INT

delay=1
while :; do
    started=$SECONDS
    "$@" &
    child=$!
    log INFO "$name started (pid $child)"
    wait "$child" 2>/dev/null  # (bash would print a job notice, not JSON, for a killed child)
    status=$?
    [ -n "$stopping" ] && exit 0
    if (( SECONDS - started >= 60 )); then delay=1; fi
    log ERROR "$name (pid $child) exited with status $status; starting it again in $delay s"
    sleep "$delay" & sleeper=$!
    wait "$sleeper"
    sleeper=""
    [ -n "$stopping" ] && exit 0
    delay=$(( delay * 2 > 30 ? 30 : delay * 2 ))
done
