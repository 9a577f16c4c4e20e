#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12: install, build, run every test.
#   scripts/test.sh                 normal build, ASan+UBSan build, bounded fuzzing
#   TBE_QUICK=1 scripts/test.sh     normal build only
#   FUZZ_SECONDS=60 scripts/test.sh longer fuzz runs (default 20 s per target)
#   TBE_SAMPLES_DIR=DIR scripts/test.sh   the conformance suite's reference documents
#                                   (default: ../shared/samples beside the clone, if present)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh --all

status=0
passed=0
failed=0
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

# ctest in $1, extra arguments after; adds its counts to the totals.
run_ctest() {
    local dir=$1 log
    shift
    log=$logs/$(basename "$dir").log
    (cd "$dir" && ctest --output-on-failure -j 2 "$@") 2>&1 | tee "$log" || status=1
    local line
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n1 || true)
    if [ -z "$line" ]; then
        status=1
        return
    fi
    local total fails
    total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.*passed, ([0-9]+) tests? failed.*/\1/')
    passed=$((passed + total - fails))
    failed=$((failed + fails))
}

# The test tree, and the conformance suite's samples when a folder is named.
cmake_args=(-DTBE_BUILD_TESTS=ON)
if [ -n "${TBE_SAMPLES_DIR:-}" ]; then
    cmake_args+=("-DTBE_SAMPLES_DIR=$(cd "$TBE_SAMPLES_DIR" && pwd)")
fi

echo "== build and test =="
BUILD_DIR=$top/build bash scripts/build.sh "${cmake_args[@]}"
run_ctest build --timeout 600

if [ "${TBE_QUICK:-0}" != 1 ]; then
    echo "== sanitizer build (ASan + UBSan) =="
    BUILD_DIR=$top/build-asan bash scripts/build.sh "${cmake_args[@]}" -DTBE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        run_ctest build-asan --timeout 900 -LE 'no-sanitize|bench'

    echo "== fuzzing (libFuzzer, ${FUZZ_SECONDS:-20} s per target) =="
    if FUZZ_SECONDS=${FUZZ_SECONDS:-20} BUILD_DIR=$top/build-fuzz bash scripts/fuzz.sh; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        status=1
    fi
fi

echo
echo "tests: $passed passed, $failed failed"
exit $status
