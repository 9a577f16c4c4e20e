#!/usr/bin/env bash
# Configure and build into BUILD_DIR (default ./build). Extra arguments go to cmake.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build}
cmake -S "$top" -B "$build" -DTBE_WERROR=ON "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
