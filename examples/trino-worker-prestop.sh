#!/bin/sh
# trino-worker-prestop.sh: a Trino worker's preStop hook that drains the
# worker before Kubernetes stops it (docs/drain-hook.md).
#
#   trino-worker-prestop.sh [BOUND_SECONDS]
#
# 1. GET /v1/info/state. DRAINED: released at once. DRAINING: a drain is
#    already under way (the hook may be delivered twice): wait for it.
#    SHUTTING_DOWN: wait for the worker to stop. Any other state: PUT
#    "DRAINING".
# 2. A refused PUT "DRAINING" (401/403: no permission; 400/404: a Trino before
#    468 has no DRAINING, or a state that cannot drain; anything else) is
#    reported and falls back to PUT "SHUTTING_DOWN", Trino's graceful
#    shutdown, which waits for the worker's tasks the same way and then stops
#    the server: the hook waits for the worker to stop answering.
# 3. Wait, up to BOUND_SECONDS in all, for the state DRAINED (Trino's word
#    that the worker holds no task and no output data), then exit 0 so the
#    kubelet sends SIGTERM; with TRINO_DRAIN_THEN_SHUTDOWN=1 it PUTs
#    "SHUTTING_DOWN" first (from DRAINED Trino stops at once).
# 4. When the bound passes first, it says so and exits 1 (the kubelet
#    records a failed hook, with this output, as an event) and Kubernetes
#    stops the worker anyway: keep terminationGracePeriodSeconds above the
#    bound, and the bound above your longest query.
#
# One line per step on stderr (and appended to TRINO_DRAIN_LOG if set, e.g.
# /proc/1/fd/1 for the container's log). Needs only sh, curl, date, sleep.
#
# Environment:
#   TRINO_DRAIN_URL        the worker, default http://localhost:8080
#   TRINO_DRAIN_BOUND      seconds, default 300 (the argument wins)
#   TRINO_DRAIN_USER       X-Trino-User sent with the PUTs, default admin
#                          (needs system information write permission);
#                          empty: no header
#   TRINO_DRAIN_CURL_ARGS  more curl arguments, split on blanks, e.g.
#                          "--cacert /etc/trino/ca.pem -u admin:secret"
#   TRINO_DRAIN_POLL       seconds between two readings of the state, default 2
#   TRINO_DRAIN_THEN_SHUTDOWN  1: PUT "SHUTTING_DOWN" once DRAINED
#   TRINO_DRAIN_LOG        a file to append the log lines to as well
#
# Exit: 0 released (DRAINED, or the worker stopped), 1 the bound passed,
# 2 both PUTs refused (nothing will stop the worker gracefully), 64 usage.

set -u
set -f # TRINO_DRAIN_CURL_ARGS is split on blanks, never globbed

url=${TRINO_DRAIN_URL:-http://localhost:8080}
url=${url%/}
bound=${1:-${TRINO_DRAIN_BOUND:-300}}
user=${TRINO_DRAIN_USER-admin}
poll=${TRINO_DRAIN_POLL:-2}
extra=${TRINO_DRAIN_CURL_ARGS:-}

log() {
    line="trino-drain-hook: $(date -u +%Y-%m-%dT%H:%M:%SZ) $*"
    printf '%s\n' "$line" >&2
    if [ -n "${TRINO_DRAIN_LOG:-}" ]; then
        printf '%s\n' "$line" >>"$TRINO_DRAIN_LOG" 2>/dev/null || true
    fi
}

case $bound in
'' | *[!0-9]*)
    log "usage: $0 [BOUND_SECONDS] (a whole number of seconds, got '$bound')"
    exit 64
    ;;
esac

# Milliseconds since the epoch (GNU date's %N; whole seconds where date has none).
now_ms() {
    t=$(date +%s%N 2>/dev/null)
    case $t in
    *[!0-9]* | ?????????? | '') echo "$(($(date +%s) * 1000))" ;;
    *) echo "${t%??????}" ;;
    esac
}

start=$(now_ms)
deadline=$((start + bound * 1000))

# Whole seconds since the start.
took() {
    echo "$((($(now_ms) - start) / 1000))"
}

# True while the bound has not passed.
before_deadline() {
    [ "$(now_ms)" -lt "$deadline" ]
}

# Seconds a request may take: what is left of the bound, 1 to 10.
left() {
    l=$(((deadline - $(now_ms)) / 1000))
    [ "$l" -lt 1 ] && l=1
    [ "$l" -gt 10 ] && l=10
    echo "$l"
}

# The worker's node state (ACTIVE, DRAINING, ...) on stdout; "" when nothing
# listens any more (connection refused: the server stopped), "no-answer" when
# the request failed otherwise (a timeout: the worker may be busy, not gone)
# and HTTP-<code> on another answer.
get_state() {
    # shellcheck disable=SC2086
    out=$(curl -sS --max-time "$(left)" -w '\n%{http_code}' $extra "$url/v1/info/state" 2>/dev/null)
    rc=$?
    code=$(printf '%s\n' "$out" | tail -n 1)
    body=$(printf '%s\n' "$out" | sed '$d' | tr -d '"[:space:]')
    case $rc/$code in
    0/200) echo "$body" ;;
    7/*) echo "" ;;
    0/*) echo "HTTP-$code" ;;
    *) echo "no-answer" ;;
    esac
}

# PUT the state $1: prints the HTTP code and the answer's first line.
put_state() {
    # shellcheck disable=SC2086
    if [ -n "$user" ]; then
        out=$(curl -sS --max-time "$(left)" -w '\n%{http_code}' -X PUT \
            -H 'Content-Type: application/json' -H "X-Trino-User: $user" \
            --data "\"$1\"" $extra "$url/v1/info/state" 2>&1)
    else
        out=$(curl -sS --max-time "$(left)" -w '\n%{http_code}' -X PUT \
            -H 'Content-Type: application/json' \
            --data "\"$1\"" $extra "$url/v1/info/state" 2>&1)
    fi
    code=$(printf '%s\n' "$out" | tail -n 1)
    text=$(printf '%s\n' "$out" | sed '$d' | head -n 1 | cut -c 1-200)
    echo "$code $text"
}

# Wait until the worker stops answering (after SHUTTING_DOWN), up to the bound.
wait_gone() {
    while before_deadline; do
        s=$(get_state)
        if [ -z "$s" ]; then
            log "the worker no longer listens: stopped; released after $(took) s"
            exit 0
        fi
        sleep "$poll"
    done
    log "bound of $bound s passed while the worker shuts down (state $(get_state)): releasing it anyway"
    exit 1
}

shut_down() {
    r=$(put_state SHUTTING_DOWN)
    case $r in
    200*)
        log "PUT SHUTTING_DOWN accepted: Trino's graceful shutdown waits for the worker's tasks; waiting up to $bound s for it to stop"
        wait_gone
        ;;
    *)
        log "PUT SHUTTING_DOWN refused (HTTP ${r%% *}: ${r#* }): nothing stops the worker gracefully; check the user's system information write permission"
        exit 2
        ;;
    esac
}

state=$(get_state)
log "start: worker $url, state ${state:-not listening}, bound $bound s"
case $state in
'')
    log "the worker does not listen: nothing to drain; released"
    exit 0
    ;;
DRAINED)
    log "already DRAINED: released at once"
    ;;
DRAINING)
    log "already DRAINING (a drain under way): waiting for DRAINED"
    ;;
SHUTTING_DOWN)
    log "already SHUTTING_DOWN: waiting up to $bound s for it to stop"
    wait_gone
    ;;
*)
    r=$(put_state DRAINING)
    case $r in
    200*)
        log "PUT DRAINING accepted: waiting up to $bound s for DRAINED"
        ;;
    400* | 404*)
        log "PUT DRAINING refused (HTTP ${r%% *}: ${r#* }): a Trino before 468 without DRAINING, or a state that cannot drain; falling back to SHUTTING_DOWN"
        shut_down
        ;;
    401* | 403*)
        log "PUT DRAINING refused (HTTP ${r%% *}: ${r#* }): no permission (TRINO_DRAIN_USER, TRINO_DRAIN_CURL_ARGS); falling back to SHUTTING_DOWN"
        shut_down
        ;;
    *)
        log "PUT DRAINING failed (HTTP ${r%% *}: ${r#* }); falling back to SHUTTING_DOWN"
        shut_down
        ;;
    esac
    ;;
esac

last=$state
while [ "$last" != DRAINED ]; do
    if ! before_deadline; then
        log "bound of $bound s passed and the worker is still ${last:-not listening}: releasing it anyway (its data may be lost)"
        exit 1
    fi
    sleep "$poll"
    s=$(get_state)
    if [ "$s" != "$last" ]; then
        log "state ${s:-not listening} after $(took) s"
    fi
    last=$s
    case $s in
    '')
        log "the worker no longer listens: stopped; released"
        exit 0
        ;;
    ACTIVE)
        # someone abandoned the drain (PUT ACTIVE): drain again
        r=$(put_state DRAINING)
        log "drain abandoned (ACTIVE): PUT DRAINING again: HTTP ${r%% *}"
        ;;
    esac
done

if [ "${TRINO_DRAIN_THEN_SHUTDOWN:-0}" = 1 ]; then
    r=$(put_state SHUTTING_DOWN)
    log "DRAINED after $(took) s: PUT SHUTTING_DOWN (stops at once): HTTP ${r%% *}; released"
else
    log "DRAINED after $(took) s: released (the kubelet sends SIGTERM next)"
fi
exit 0
