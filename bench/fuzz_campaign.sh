#!/usr/bin/env bash
# bench/fuzz_campaign.sh: a fuzzing campaign over every libFuzzer target of
# tests/fuzz, longer than scripts/fuzz.sh's bounded run (see BENCHMARKS.md).
#
#   FUZZ_SECONDS=600 bench/fuzz_campaign.sh [--no-merge] [TARGET...]
#
# For each target (all by default): libFuzzer's fork mode on FUZZ_JOBS
# processes (default: every core, nproc) for FUZZ_SECONDS (default 300)
# from a scratch copy of its seed corpus, crashes kept going
# (-ignore_crashes=1: every finding of the campaign is saved). Then:
#   merge     the inputs that add coverage to the tree's corpus
#             (tests/fuzz/corpus/<dir>, the directory scripts/fuzz.sh and the
#             ctest replays use) are copied into it: libFuzzer's
#             -set_cover_merge=1 (a greedy minimum set cover) with the tree's
#             corpus first, so its files all stay (seeds of gen_corpus.py,
#             regress-* inputs), on edges only (-use_counters=0), so only a
#             small set of new inputs that reach code the tree's corpus does
#             not, each at most FUZZ_MERGE_MAX_BYTES (default 4096), is
#             added, named by their SHA-1. --no-merge leaves the tree alone.
#   coverage  clang source-based coverage (llvm-profdata-14, llvm-cov-14) of
#             the code under test (the sources the target exists for, listed
#             below), replaying the tree's corpus before the campaign and the
#             corpus it ends with: lines, regions and branches covered.
#   findings  crash-*, leak-*, timeout-*, oom-* artifacts, kept in OUT.
# The report (one row per target: executions, exec/s, inputs added,
# coverage before -> after, findings) is printed and written to
# OUT/report.txt; OUT is FUZZ_OUT (default build-fuzz-campaign/<UTC time>).
# A finding makes the exit status 1: turn it into a regression case (the
# input in the target's corpus, a unit test naming what it guards).
#
# Builds: BUILD_DIR (default build-fuzz, ASan + UBSan, as scripts/fuzz.sh)
# and COV_BUILD_DIR (default build-fuzz-cov: the same targets with
# -fprofile-instr-generate -fcoverage-mapping). Needs clang and LLVM 14's
# llvm-profdata-14 and llvm-cov-14 (Debian: apt-get install llvm-14).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-fuzz}
covbuild=${COV_BUILD_DIR:-$top/build-fuzz-cov}
secs=${FUZZ_SECONDS:-300}
jobs=${FUZZ_JOBS:-$(nproc)}
maxbytes=${FUZZ_MERGE_MAX_BYTES:-4096}
out=${FUZZ_OUT:-$top/build-fuzz-campaign/$(date -u +%Y%m%dT%H%M%SZ)}
merge=1
only=()
for a in "$@"; do
    case $a in
    --no-merge) merge=0 ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    -*)
        echo "fuzz_campaign: unknown option $a" >&2
        exit 64
        ;;
    *) only+=("$a") ;;
    esac
done
profdata=$(command -v llvm-profdata-14 || command -v llvm-profdata || true)
llvmcov=$(command -v llvm-cov-14 || command -v llvm-cov || true)
[ -n "$profdata" ] && [ -n "$llvmcov" ] || {
    echo "fuzz_campaign: llvm-profdata-14 and llvm-cov-14 needed (apt-get install llvm-14)" >&2
    exit 69
}

# The code under test of each target (coverage is reported on these files).
sources_of() {
    local p=src/parse
    case $1 in
    fuzz_extract | fuzz_extract_diff) echo $p/extract.c $p/jface.c $p/jscan.c $p/taskread.c $p/agg.c ;;
    fuzz_qlist | fuzz_qlist_diff) echo $p/qlist.c $p/jface.c $p/jscan.c ;;
    fuzz_promvec) echo $p/promvec.c $p/jface.c $p/jscan.c ;;
    fuzz_wtask) echo $p/wtask.c $p/taskread.c $p/jface.c $p/jscan.c ;;
    fuzz_task_diff) echo $p/wtask.c $p/extract.c $p/jface.c $p/taskread.c $p/agg.c ;;
    fuzz_nodeinfo) echo $p/nodeinfo.c $p/jface.c ;;
    fuzz_nodelist) echo $p/nodelist.c $p/jface.c ;;
    fuzz_itoken) echo src/collector/itoken.c src/common/b64.c ;;
    fuzz_msg) echo src/common/msg.c ;;
    fuzz_config)
        echo src/supervisor/config.c src/supervisor/confread.c src/supervisor/confschema.c \
            src/supervisor/confsyntax.c \
            src/supervisor/collconf.c src/common/esc.c
        ;;
    fuzz_webconf) echo src/supervisor/webconf.c ;;
    fuzz_http_request) echo src/supervisor/http.c src/supervisor/negotiate.c ;;
    *) echo "" ;;
    esac
}

# The tree's corpus of a target (the differential targets share their parser's).
corpus_of() {
    local base=${1%_diff} d
    d=$top/tests/fuzz/corpus/$base
    [ -d "$d" ] || d=$top/tests/fuzz/corpus/${base#fuzz_}
    echo "$d"
}

# "lines regions branches" covered, in percent, of sources $2.. by profile $1 on binary $3.
coverage() {
    local prof=$1 bin=$2
    shift 2
    "$llvmcov" report "$bin" -instr-profile="$prof" "$@" 2>/dev/null |
        awk '$1 == "TOTAL" { printf "%s %s %s\n", $10, $4, $13 }'
}

cmake -S "$top" -B "$build" -DCMAKE_C_COMPILER=clang -DTBE_FUZZ=ON >/dev/null
cmake -S "$top" -B "$covbuild" -DCMAKE_C_COMPILER=clang -DTBE_FUZZ=ON \
    -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
mapfile -t targets < <(cmake --build "$build" --target help | grep -o 'fuzz_[a-z_]*' | sort -u)
if [ ${#only[@]} -gt 0 ]; then
    targets=("${only[@]}")
fi
[ ${#targets[@]} -gt 0 ] || {
    echo "fuzz_campaign: no targets" >&2
    exit 1
}
cmake --build "$build" -j "$jobs" --target "${targets[@]}" >/dev/null
cmake --build "$covbuild" -j "$jobs" --target "${targets[@]}" >/dev/null
mkdir -p "$out"
# the tree's corpora as the campaign found them (targets that share one see the same seeds)
rm -rf "$out/seeds"
cp -r "$top/tests/fuzz/corpus" "$out/seeds"
export LSAN_OPTIONS="suppressions=$build/tests/fuzz/lsan.supp"
report=$out/report.txt
printf '%-18s %11s %8s %9s  %-19s %-19s %-19s %s\n' target executions exec/s added \
    "lines before>after" "regions bef>after" "branches bef>after" findings | tee "$report"
status=0
for t in "${targets[@]}"; do
    seeds=$(corpus_of "$t")
    [ -d "$seeds" ] || {
        echo "fuzz_campaign: no seed corpus for $t" >&2
        exit 1
    }
    snap=$out/seeds/${seeds##*/}
    work=$out/$t.corpus
    rm -rf "$work"
    mkdir -p "$work" "$out/$t.profraw"
    cp "$snap"/* "$work"/ 2>/dev/null || true
    read -r -a srcs <<<"$(sources_of "$t")"
    covbin=$covbuild/tests/fuzz/$t
    # coverage of the tree's corpus before the campaign
    rm -f "$out/$t.profraw"/*
    LLVM_PROFILE_FILE="$out/$t.profraw/before-%p.profraw" "$covbin" -runs=0 "$snap" \
        >"$out/$t.cov-before.log" 2>&1 || true
    "$profdata" merge -sparse "$out/$t.profraw"/before-*.profraw -o "$out/$t.before.profdata"
    before=$(coverage "$out/$t.before.profdata" "$covbin" "${srcs[@]/#/$top/}")
    # the campaign (the corpus grows in $work)
    (cd "$out" && "$build/tests/fuzz/$t" -fork="$jobs" -ignore_crashes=1 \
        -max_total_time="$secs" -artifact_prefix="$out/$t-" "$work") >"$out/$t.log" 2>&1 || true
    last=$(grep -a '^#[0-9]*: cov:' "$out/$t.log" | tail -1)
    execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
    rate=$(sed -n 's/.* exec\/s \([0-9]*\).*/\1/p' <<<"$last")
    nfind=$(find "$out" -maxdepth 1 -name "$t-*" -type f | wc -l)
    # merge the new coverage into the tree (small inputs only)
    added=0
    if [ "$merge" = 1 ]; then
        small=$out/$t.small
        rm -rf "$small"
        mkdir -p "$small"
        find "$work" -type f -size -"$((maxbytes + 1))"c -exec cp {} "$small"/ \;
        n0=$(find "$seeds" -type f | wc -l)
        "$build/tests/fuzz/$t" -set_cover_merge=1 -use_counters=0 "$seeds" "$small" \
            >"$out/$t.merge.log" 2>&1 || true
        added=$(($(find "$seeds" -type f | wc -l) - n0))
    fi
    # coverage of the corpus the campaign ends with
    LLVM_PROFILE_FILE="$out/$t.profraw/after-%p.profraw" "$covbin" -runs=0 "$work" \
        >"$out/$t.cov-after.log" 2>&1 || true
    "$profdata" merge -sparse "$out/$t.profraw"/after-*.profraw -o "$out/$t.after.profdata"
    after=$(coverage "$out/$t.after.profdata" "$covbin" "${srcs[@]/#/$top/}")
    read -r bl br bb <<<"$before"
    read -r al ar ab <<<"$after"
    printf '%-18s %11s %8s %9s  %-19s %-19s %-19s %s\n' "$t" "${execs:-?}" "${rate:-?}" "$added" \
        "$bl>$al" "$br>$ar" "$bb>$ab" "$nfind" | tee -a "$report"
    [ "$nfind" = 0 ] || status=1
    rm -rf "$out/$t.small" "$out/$t.profraw"
done
echo "fuzz_campaign: $secs s a target on $jobs processes; report $report" |
    tee -a "$report"
[ "$status" = 0 ] || echo "fuzz_campaign: FINDINGS in $out (crash-*, leak-*, timeout-*, oom-*)"
exit $status
