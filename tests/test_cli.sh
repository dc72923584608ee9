#!/usr/bin/env bash
# Golden tests of the command-line tool: each tests/cli/NAME.test holds shell
# commands (one per line, '#' comments), run in order against one fresh
# knowledge base; their output, normalised where it varies from run to run
# (search ids, timings, sizes, scores), must equal tests/cli/NAME.expected.
#   test_cli.sh KBS SOURCE_ROOT [--update]
set -u
kbs=$(realpath "$1")
root=$(realpath "$2")
update=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

normalise() {
  sed -E \
    -e "s#$work#\$WORK#g" \
    -e "s#$root#\$ROOT#g" \
    -e 's/"search_id": "[0-9a-f]{32}"/"search_id": "<id>"/' \
    -e 's/"score": [0-9.e+-]+/"score": <score>/' \
    -e 's/ in [0-9]+\.[0-9]+ s$/ in <t> s/' \
    -e 's/"index_bytes": [0-9]+/"index_bytes": <bytes>/' \
    -e 's/^index size .*/index size   <bytes>/'
}

status=0 ran=0 failed=0
for t in "$root"/tests/cli/*.test; do
  name=$(basename "$t" .test)
  out="$work/$name.out"
  : >"$out"
  (
    cd "$work" || exit 1
    export KBS="$kbs" DB="$work/kb-$name" CORPUS="$root/corpus" WORK="$work"
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in ''|'#'*) continue ;; esac
      printf '$ %s\n' "$line"
      bash -c "$line" 2>&1
      rc=$?
      [ $rc -eq 0 ] || printf '[exit %d]\n' "$rc"
    done <"$t"
  ) | normalise >"$out"
  ran=$((ran + 1))
  if [ "$update" = "--update" ]; then
    cp "$out" "$root/tests/cli/$name.expected"
  elif ! diff -u "$root/tests/cli/$name.expected" "$out"; then
    echo "FAIL: cli/$name"
    failed=$((failed + 1))
    status=1
  fi
done
echo "$((ran - failed)) passed, $failed failed"
exit $status
