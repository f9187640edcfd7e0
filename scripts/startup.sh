# scripts/run.sh's messages and waits, sourced by it; tests run the waits against stand-in servers
# (tests/ops/test_startup_waits.py).
#
# gunicorn's master loads the app and builds the road graph's contraction hierarchy
# (scripts/gunicorn.conf.py, when_ready) before it forks a worker: /healthz answers only then, and
# on a province's roads that takes minutes. It also handles a stop signal only once the graph is
# built. So a wait lasts as long as the process it waits for is alive and busy, up to
# STARTUP_TIMEOUT_S (600 s), and says every 10 s that it still waits.

#: Seconds between two "still ..." lines.
PROGRESS_EVERY_S=10

say() { printf '\033[1m[run]\033[0m %s\n' "$*"; }

# startup_timeout_s: STARTUP_TIMEOUT_S, or 600; fails on anything but whole seconds.
startup_timeout_s() {
    local timeout="${STARTUP_TIMEOUT_S:-600}"
    [[ "$timeout" =~ ^[0-9]+$ ]] || { echo "STARTUP_TIMEOUT_S must be whole seconds, not '$timeout'" >&2; return 1; }
    echo "$timeout"
}

# wait_round STARTED TIMEOUT FAILURE PROGRESS: one round of a wait begun at STARTED (a $SECONDS):
# fails with FAILURE once TIMEOUT seconds have passed, says PROGRESS (and the seconds waited) every
# PROGRESS_EVERY_S since _said, then sleeps a moment.
wait_round() {
    local started="$1" timeout="$2"
    if (( SECONDS - started >= timeout )); then
        echo "$3" >&2
        return 1
    fi
    if (( SECONDS - _said >= PROGRESS_EVERY_S )); then
        say "$4 ($(( SECONDS - started )) s)"
        _said=$SECONDS
    fi
    sleep 0.5
}

# wait_until_serving URL MASTER_PID LOG: returns once URL answers; fails at once, with the end of
# LOG, when the master (a child of this shell) is gone, and after STARTUP_TIMEOUT_S while it is
# still starting (it is left running: the next run.sh restarts it).
wait_until_serving() {
    local url="$1" master="$2" log="$3" timeout started=$SECONDS
    timeout=$(startup_timeout_s) || return 1
    _said=$SECONDS
    until curl -fsS --max-time 5 "$url" >/dev/null 2>&1; do
        if ! kill -0 "$master" 2>/dev/null; then
            echo "the API server (pid $master) exited while starting; the end of $log:" >&2
            tail -n 20 "$log" >&2
            return 1
        fi
        wait_round "$started" "$timeout" \
            "the API server (pid $master) is still starting after $timeout s (STARTUP_TIMEOUT_S); see $log" \
            "the API server is still starting: it builds the road graph first" || return 1
    done
}

# stop_and_wait PID NAME: TERM to PID, then returns once it has exited; fails after
# STARTUP_TIMEOUT_S. A gunicorn master still building the road graph exits only once it is built.
stop_and_wait() {
    local pid="$1" name="$2" timeout started=$SECONDS
    timeout=$(startup_timeout_s) || return 1
    _said=$SECONDS
    kill "$pid" 2>/dev/null || return 0
    while kill -0 "$pid" 2>/dev/null; do
        wait_round "$started" "$timeout" "the $name (pid $pid) did not stop within $timeout s (STARTUP_TIMEOUT_S)" \
            "waiting for the $name (pid $pid) to stop" || return 1
    done
}
