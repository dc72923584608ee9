#!/usr/bin/env bash
# Builds (optimised, in build-rel/) and runs the relevance benchmark: kbsearch
# beside SQLite FTS5 on the judged queries of bench/relevance/queries.tsv.
#   ./bench/relevance/run.sh              tables: test split, tune split, all
#   ./bench/relevance/run.sh --failures   + every query kbsearch gets wrong
#   ./bench/relevance/run.sh --verbose    + every query
#   ./bench/relevance/run.sh --split tune only the tune split (tables, queries)
# KBS_REL_BUILD names the build directory (build-rel).
set -euo pipefail
cd "$(dirname "$0")/../.."
./tools/setup.sh >&2
b=${KBS_REL_BUILD:-build-rel}
[ -f "$b/build.ninja" ] || meson setup "$b" --buildtype=release -Dtests=false >/dev/null
ninja -C "$b" bench/relevance/relevance >/dev/null
"./$b/bench/relevance/relevance" corpus bench/relevance/queries.tsv "$@"
