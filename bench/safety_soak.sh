#!/bin/sh
# bench/safety_soak.sh: the safety checker of it_safety (tests/integration/
# test_safety.py) for longer: faults at random against a moving simulated
# cluster, the safety contract's oracle on every scrape, per collection mode.
# Prints the checker's summary line per mode (scrapes checked, faults per kind,
# releasing values checked, false safes) and exits non-zero on any false safe
# or a vacuous run. See BENCHMARKS.md, "Safety soak".
#
#   bench/safety_soak.sh [--build DIR] [--seconds N] [--seed S] [--ha] [MODE...]
#
# MODE: coordinator, workers (default: both). --seconds: per mode (default
# 600). --seed: replay a run (default: random, printed). --ha: a second
# exporter replica on the same cluster, also checked as an HA query reads them.
# Binaries: $TBE_EXPORTER, $TBE_COLLECTOR, $TBE_SIM, else DIR/bin/ (default
# ./build; trino-sim also in DIR/tests/sim/).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=build
seconds=600
modes=
while [ $# -gt 0 ]; do
    case $1 in
    --build) build=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --seed) TBE_SAFETY_SEED=$2; export TBE_SAFETY_SEED; shift 2 ;;
    --ha) TBE_SAFETY_HA=1; export TBE_SAFETY_HA; shift ;;
    coordinator|workers) modes="$modes $1"; shift ;;
    *) echo "usage: $0 [--build DIR] [--seconds N] [--seed S] [--ha] [coordinator] [workers]" >&2
       exit 2 ;;
    esac
done
: "${TBE_EXPORTER:=$build/bin/trino-buffer-exporter}"
: "${TBE_COLLECTOR:=$build/bin/trino-buffer-collector}"
if [ -z "${TBE_SIM:-}" ]; then
    TBE_SIM=$build/bin/trino-sim
    [ -x "$TBE_SIM" ] || TBE_SIM=$build/tests/sim/trino-sim
fi
for b in "$TBE_EXPORTER" "$TBE_COLLECTOR" "$TBE_SIM"; do
    [ -x "$b" ] && continue
    echo "safety_soak: missing binary $b (use --build DIR or TBE_* variables)" >&2
    exit 2
done
TBE_SAFETY_SECONDS=$seconds
TBE_SOURCE_DIR=$(dirname "$here")
PYTHONDONTWRITEBYTECODE=1
export TBE_EXPORTER TBE_COLLECTOR TBE_SIM TBE_SAFETY_SECONDS TBE_SOURCE_DIR PYTHONDONTWRITEBYTECODE
out=$(mktemp "${TMPDIR:-/tmp}/tbe-safety-soak.XXXXXX")
trap 'rm -f "$out"' EXIT
# the verdict is the checker's last line (a pipe hides its exit status)
# shellcheck disable=SC2086  # modes is a list of words
python3 "$here/../tests/integration/test_safety.py" $modes 2>&1 | tee "$out"
rc=0
grep -q '^checks: [0-9]* passed, 0 failed' "$out" || rc=1
echo
echo "# safety soak: ${seconds} s per mode$( [ -n "${TBE_SAFETY_HA:-}" ] && echo ', 2 replicas')"
grep -E '^safety: |^  (releasing values checked|false safes|HA view)' "$out" || true
exit "$rc"
