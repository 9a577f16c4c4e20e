#!/usr/bin/env bash
# Build every libFuzzer target with clang (ASan + UBSan) and run each for a
# bounded time on a scratch copy of its seed corpus. A finding fails the run and
# leaves the input in BUILD_DIR as <target>-crash-*; make it a regression test.
#   FUZZ_SECONDS=60 scripts/fuzz.sh
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-fuzz}
secs=${FUZZ_SECONDS:-30}

cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DTBE_FUZZ=ON >/dev/null
mapfile -t targets < <(cmake --build "$build" --target help | grep -o 'fuzz_[a-z_]*' | sort -u)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz: no targets" >&2; exit 1; }
cmake --build "$build" -j "$(nproc)" --target "${targets[@]}" >/dev/null

status=0
export LSAN_OPTIONS="suppressions=$build/tests/fuzz/lsan.supp"
for t in "${targets[@]}"; do
    base=${t%_diff}    # the differential targets share their parser's seeds
    seeds=$top/tests/fuzz/corpus/$base
    [ -d "$seeds" ] || seeds=$top/tests/fuzz/corpus/${base#fuzz_}
    [ -d "$seeds" ] || { echo "fuzz: no seed corpus for $t" >&2; exit 1; }
    work=$(mktemp -d)
    log=$build/$t.log
    if "$build/tests/fuzz/$t" -max_total_time="$secs" -print_final_stats=1 \
        -artifact_prefix="$build/$t-" "$work" "$seeds" >"$log" 2>&1; then
        runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
        echo "fuzz: $t: $runs executions in ${secs}s, no finding"
    else
        echo "fuzz: $t: FINDING (see $log and $build/$t-*)"
        tail -30 "$log"
        status=1
    fi
    rm -rf "$work"
done
exit $status
