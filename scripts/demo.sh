#!/usr/bin/env bash
# Quick start: install, build, start the bundled Trino coordinator simulator and
# run the exporter on it in the foreground. /metrics: http://127.0.0.1:8000/metrics
#   scripts/demo.sh           run until Ctrl-C
#   scripts/demo.sh --check   start both in the background, wait (at most 120 s)
#                             until /metrics equals the simulator's truth of one
#                             recent step (it moves: --dynamic) for every worker, show the worker lines, print
#                             "demo: OK", stop both; exit 0, or 1 on a mismatch.
#                             Also installs python3 and curl for the check.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
check=0
case "${1:-}" in
"") ;;
--check) check=1 ;;
*) echo "usage: $0 [--check]" >&2; exit 64 ;;
esac

if [ $check = 1 ]; then bash scripts/setup.sh --demo; else bash scripts/setup.sh --sim; fi
BUILD_DIR=$top/build bash scripts/build.sh -DTBE_BUILD_SIM=ON

# --dynamic: queries arrive and finish, buffers fill and drain, workers drain
# and come back, so /metrics moves; the workers' own API is served on
# 127.0.0.2-5:18080 and the truth of every recent step on /sim/truth/history.
"$top/build/bin/trino-sim" --listen 127.0.0.1:18080 --queries 6 --workers 4 --stages 3 --dynamic 1 &
sim_pid=$!
exp_pid=""
trap 'kill $sim_pid $exp_pid 2>/dev/null; wait $sim_pid $exp_pid 2>/dev/null || true' EXIT

if [ $check = 1 ]; then
    start=$(date +%s)
    "$top/build/bin/trino-buffer-exporter" --config "$top/examples/demo.conf" &
    exp_pid=$!
    PYTHONDONTWRITEBYTECODE=1 python3 tests/integration/match_truth.py http://127.0.0.1:8000/metrics http://127.0.0.1:18080 \
        --release trino --timeout 120 --history 10
    curl -sS --max-time 10 http://127.0.0.1:8000/metrics | grep '^trino_worker_'
    kill -TERM $exp_pid
    rc=0
    wait $exp_pid || rc=$?
    exp_pid=""
    [ $rc = 0 ] || { echo "demo: the exporter exited $rc after SIGTERM" >&2; exit 1; }
    echo "demo: OK: /metrics equals the simulator's truth ($(($(date +%s) - start)) s after start)"
    exit 0
fi

cat <<TXT

  trino-buffer-exporter demo
  simulator (a Trino coordinator):  http://127.0.0.1:18080/v1/query
  exporter metrics:                 http://127.0.0.1:8000/metrics
  truth of the simulator:           http://127.0.0.1:18080/sim/expected (now)
                                    http://127.0.0.1:18080/sim/truth/history (recent steps)
  a worker's node state:            http://127.0.0.2:18080/v1/info
  Try: curl -s http://127.0.0.1:8000/metrics | grep ^trino_worker
  Ctrl-C stops both.

TXT
"$top/build/bin/trino-buffer-exporter" --config "$top/examples/demo.conf"
