#!/usr/bin/env bash
# Builds (optimised) and runs the benchmarks; prints Markdown tables with
# kbsearch beside SQLite FTS5, measured in the same run.
#   ./bench/run.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh
[ -f build-bench/build.ninja ] || meson setup build-bench --buildtype=release -Dtests=false
ninja -C build-bench bench/bench_search
./build-bench/bench/bench_search corpus bench/queries.txt "${1:-20}"
