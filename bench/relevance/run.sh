#!/usr/bin/env bash
# Builds (optimised, in build-rel/) and runs the relevance benchmark: kbsearch
# beside SQLite FTS5 on the judged queries of bench/relevance/queries.tsv.
#   ./bench/relevance/run.sh              tables: test split, tune split, all
#   ./bench/relevance/run.sh --failures   + every query kbsearch gets wrong
#   ./bench/relevance/run.sh --verbose    + every query
#   ./bench/relevance/run.sh --split tune only the tune split (tables, queries)
set -euo pipefail
cd "$(dirname "$0")/../.."
./tools/setup.sh
[ -f build-rel/build.ninja ] || meson setup build-rel --buildtype=release -Dtests=false >/dev/null
ninja -C build-rel bench/relevance/relevance >/dev/null
./build-rel/bench/relevance/relevance corpus bench/relevance/queries.tsv "$@"
