#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz/ (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer) in build-fuzz and runs each for SECONDS, one
# per core at a time, from its seeds: tests/fuzz/seeds/<target>/ (past findings),
# what tests/fuzz/make_seeds.py derives from corpus/ and tests/, and the corpus
# earlier runs grew in build-fuzz/fuzz-corpus/<target>/.
#   ./tools/fuzz.sh [SECONDS] [TARGET...]     default: 60 s, every target
# Environment: FUZZ_JOBS (targets at once; default: the number of cores),
# FUZZ_BUILD_JOBS (ninja -j, default 2), FUZZ_BUILD_DIR (default
# build-fuzz), FUZZ_TMPDIR (scratch; default /dev/shm when writable),
# FUZZ_ARGS (more libFuzzer flags, e.g. -rss_limit_mb=4096), FUZZ_FRESH=1
# (start from the seeds alone and keep nothing: libFuzzer runs its whole
# corpus before the clock starts, so a grown one would stretch a short run
# well past SECONDS; ./tools/test.sh sets it).
# Prints one line per target, then a Markdown table for the README. Exits
# non-zero on any crash, leak, sanitizer report, timeout or out-of-memory,
# naming the input that caused it: replay it with
# build-fuzz/tests/fuzz/fuzz_<target> FILE, fix the bug with a regression test in
# tests/, and copy the input into tests/fuzz/seeds/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

secs=${1:-60}
[ $# -gt 0 ] && shift
case "$secs" in
  ''|*[!0-9]*) echo "usage: $0 [SECONDS] [TARGET...]" >&2; exit 2 ;;
esac
all=(markdown jsonl index analyzer query synonyms events)
targets=("${@:-${all[@]}}")
for t in "${targets[@]}"; do
  [ -f "tests/fuzz/fuzz_$t.c" ] || { echo "fuzz: no target '$t' (${all[*]})" >&2; exit 2; }
done

# Per target: largest input (a file 64 KiB; 16 KiB for the real indexer and
# synonyms, 8 KiB for events, which do much more per byte: a search per
# line; a query a little over KBS_MAX_QUERY_BYTES, so that the bound itself
# is crossed) and dictionary.
declare -A max_len=([markdown]=65536 [jsonl]=65536 [index]=16384 [analyzer]=65536
  [query]=4200 [synonyms]=16384 [events]=8192)
declare -A dict=([markdown]=markdown [jsonl]=json [index]=json [analyzer]=analyzer
  [query]=query [synonyms]=synonyms [events]=events)

dir=${FUZZ_BUILD_DIR:-build-fuzz}
logs=$dir/fuzz-logs
mkdir -p "$dir" "$logs"
if [ ! -f $dir/build.ninja ]; then
  CC=clang CXX=clang++ meson setup $dir -Dfuzz=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debugoptimized \
    >"$logs/setup.log" 2>&1 || { cat "$logs/setup.log"; exit 1; }
fi
ninja -C $dir -j"${FUZZ_BUILD_JOBS:-2}" "${targets[@]/#/tests/fuzz/fuzz_}" >"$logs/build.log" 2>&1 ||
  { tail -n 40 "$logs/build.log"; exit 1; }

seeds=$dir/fuzz-seeds
rm -rf "$seeds"
python3 tests/fuzz/make_seeds.py . "$seeds"

# Each run gets a scratch TMPDIR of its own (in memory when /dev/shm is
# there: the targets commit indexes and sync SQLite on every input), removed
# even when a crash skipped the target's own cleanup.
scratch_base=${FUZZ_TMPDIR:-$( [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")}
scratch=$(mktemp -d "$scratch_base/kbs-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# Stack traces with function names and lines, when llvm-symbolizer is
# only there under its versioned name.
if ! command -v llvm-symbolizer >/dev/null && command -v llvm-symbolizer-14 >/dev/null; then
  export ASAN_SYMBOLIZER_PATH=${ASAN_SYMBOLIZER_PATH:-$(command -v llvm-symbolizer-14)}
fi

run() {
  local t=$1 corpus=$dir/fuzz-corpus/$1 art=$dir/fuzz-artifacts/$1
  [ "${FUZZ_FRESH:-0}" = 1 ] && corpus=$scratch/corpus-$t
  local found=()
  [ -d "tests/fuzz/seeds/$t" ] && found=("tests/fuzz/seeds/$t")
  mkdir -p "$corpus" "$art" "$scratch/$t"
  rm -f "$art"/*
  # halt_on_error: UBSan's recoverable reports must end the run too.
  TMPDIR="$scratch/$t" \
  ASAN_OPTIONS="detect_leaks=1:${ASAN_OPTIONS:-}" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:${UBSAN_OPTIONS:-}" \
    "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -max_len="${max_len[$t]}" -timeout=10 \
      -rss_limit_mb=2048 -dict="tests/fuzz/dict/${dict[$t]}.dict" -artifact_prefix="$art/" \
      -print_final_stats=1 ${FUZZ_ARGS:-} "$corpus" "${found[@]}" "$seeds/$t" \
      >"$logs/$t.log" 2>&1
}

# One line per target; its fields also feed the table.
summarize() {
  local t=$1 rc=$2 took=$3 log=$logs/$1.log
  local runs eps corp result art
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
  corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' "$log" | tail -n 1)
  art=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
  if [ "$rc" = 0 ] && [ -z "$art" ]; then
    result=ok
  else
    local kind
    kind=$(grep -o -m1 -E 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer): [a-z-]+|runtime error|fuzz invariant broken|ALARM|out-of-memory' "$log" || true)
    result="FAILED (${kind:-exit $rc}) ${art:-see $log}"
  fi
  printf '%s|%s|%s|%s|%s\n' "$t" "${runs:-0}" "${eps:-0}" "${corp:-?}" "$result" >"$logs/$t.sum"
  printf 'fuzz %-9s %9s runs %4ss  %s\n' "$t" "${runs:-0}" "$took" "$result"
}

parallel=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 2)}
for t in "${targets[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$parallel" ]; do wait -n || true; done
  rm -f "$logs/$t.rc"
  ( start=$SECONDS rc=0; run "$t" || rc=$?
    echo "$rc $((SECONDS - start))" >"$logs/$t.rc" ) &
done
wait
status=0
for t in "${targets[@]}"; do
  read -r rc took <"$logs/$t.rc" || { rc=1; took=?; }
  summarize "$t" "$rc" "$took"
  grep -q '|ok$' "$logs/$t.sum" || status=1
done

echo
echo "| target | runs | exec/s | corpus | result |"
echo "|---|---:|---:|---:|---|"
for t in "${targets[@]}"; do
  IFS='|' read -r name runs eps corp result <"$logs/$t.sum"
  echo "| $name | $runs | $eps | $corp | $result |"
done
echo "($secs s each, $parallel at a time, $(nproc 2>/dev/null || echo '?') cores; logs in $logs)"
exit $status
