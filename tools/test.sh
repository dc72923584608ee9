#!/usr/bin/env bash
# Installs what is missing, builds with AddressSanitizer + UndefinedBehavior-
# Sanitizer and runs every test; then builds the concurrency tests with
# ThreadSanitizer and runs them again there; then the whole suite under
# valgrind memcheck; then every fuzz target for a short while.
#   ./tools/test.sh     everything (what CI runs)
# VALGRIND=0 skips memcheck, FUZZ_SECONDS=0 the fuzzing.
set -euo pipefail
cd "$(dirname "$0")/.."
logs=()
summary() {
  # One closing line over every suite run, from meson's own test logs.
  python3 - "${logs[@]}" <<'PY'
import json, os, sys
ok = bad = skip = 0
for path in (p for p in sys.argv[1:] if os.path.exists(p)):
    for line in open(path):
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"): ok += 1
        elif r == "SKIP": skip += 1
        else: bad += 1
print(f"tests: {ok} passed, {bad} failed, {skip} skipped")
PY
}
trap 'status=$?; [ ${#logs[@]} -gt 0 ] && summary; exit $status' EXIT
./tools/setup.sh

[ $# -eq 0 ] || { echo "usage: $0 (VALGRIND=0 and FUZZ_SECONDS=0 skip stages)" >&2; exit 2; }

jobs=$(nproc 2>/dev/null || echo 2)

echo "== ASan + UBSan build: all tests"
[ -f build-asan/build.ninja ] ||
  meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false --buildtype=debug
ninja -C build-asan
logs+=(build-asan/meson-logs/testlog.json)
meson test -C build-asan --print-errorlogs --num-processes "$jobs"

echo "== TSan build: concurrency tests"
[ -f build-tsan/build.ninja ] ||
  meson setup build-tsan -Db_sanitize=thread -Db_lundef=false --buildtype=debug
# Every test of suite 'concurrency', by the names meson gives them.
ninja -C build-tsan $(meson introspect build-tsan --tests |
  python3 -c 'import json, os, sys
for t in json.load(sys.stdin):
    if any(s.split(":")[-1] == "concurrency" for s in t["suite"]):
        print(os.path.relpath(t["cmd"][0], "build-tsan"))')
logs+=(build-tsan/meson-logs/testlog.json)
TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
  meson test -C build-tsan --no-rebuild --print-errorlogs --suite concurrency

if [ "${VALGRIND:-1}" != 0 ]; then
  echo "== valgrind memcheck: all tests"
  [ -f build-plain/build.ninja ] || meson setup build-plain --buildtype=debug
  ninja -C build-plain
  logs+=(build-plain/meson-logs/testlog-valgrind.json)
  meson test -C build-plain --print-errorlogs --setup valgrind --num-processes "$jobs"
fi

# Every fuzz target for a short while (FUZZ_SECONDS each, 0: skip): a crash,
# leak, sanitizer report or timeout fails the run and names its input.
fuzz_seconds=${FUZZ_SECONDS:-30}
if [ "$fuzz_seconds" != 0 ]; then
  echo "== libFuzzer: each target for $fuzz_seconds s (./tools/fuzz.sh)"
  FUZZ_FRESH=1 ./tools/fuzz.sh "$fuzz_seconds"
fi
