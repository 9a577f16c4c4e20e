#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12: install, build, run every test.
#   scripts/test.sh          normal build + ASan/UBSan build, all ctest suites
#   TBE_QUICK=1 scripts/test.sh   normal build only
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/setup.sh --all

status=0
BUILD_DIR=$top/build bash scripts/build.sh
(cd build && ctest --output-on-failure -j 2 --timeout 600) || status=1

if [ "${TBE_QUICK:-0}" != 1 ]; then
    echo "== sanitizer build (ASan + UBSan) =="
    BUILD_DIR=$top/build-asan bash scripts/build.sh -DTBE_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
    (cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
        UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        ctest --output-on-failure -j 2 --timeout 900 -LE no-sanitize) || status=1
fi
exit $status
