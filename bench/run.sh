#!/bin/sh
# bench/run.sh: runs the trino-buffer-exporter benchmarks and prints a table of
# ratios, each against a baseline measured in the same invocation on the same
# input. The work is done by bench.py (python3 stdlib); see BENCHMARKS.md.
#
#   bench/run.sh [--quick | --smoke] [--build DIR] [--only SECTIONS] [--keep]
#
# Binaries: $TBE_EXPORTER, $TBE_COLLECTOR, $TBE_SIM, else DIR/bin/ (default
# ./build). Needs json_verify (yajl-tools), curl, valgrind, wrk, /usr/bin/time.
# Generated files go to a fresh directory under ${TMPDIR:-/tmp}, removed at exit.
here=$(dirname "$0")
exec python3 "$here/bench.py" "$@"
