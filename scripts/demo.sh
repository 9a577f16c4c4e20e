#!/usr/bin/env bash
# Quick start: install, build, start the bundled Trino coordinator simulator and
# run the exporter on it in the foreground. /metrics: http://127.0.0.1:8000/metrics
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh --build
BUILD_DIR=$top/build bash scripts/build.sh

"$top/build/bin/trino-sim" --listen 127.0.0.1:18080 --queries 6 --workers 4 --stages 3 &
sim_pid=$!
trap 'kill $sim_pid 2>/dev/null; wait $sim_pid 2>/dev/null || true' EXIT

cat <<TXT

  trino-buffer-exporter demo
  simulator (a Trino coordinator):  http://127.0.0.1:18080/v1/query
  exporter metrics:                 http://127.0.0.1:8000/metrics
  truth of the simulator:           http://127.0.0.1:18080/sim/expected
  Try: curl -s http://127.0.0.1:8000/metrics | grep ^trino_worker
  Ctrl-C stops both.

TXT
"$top/build/bin/trino-buffer-exporter" --config "$top/examples/demo.conf"
