#!/usr/bin/env bash
# Installs what is missing, builds, indexes the sample corpus into a fresh
# knowledge base and runs a few searches a help-center visitor would type.
set -euo pipefail
cd "$(dirname "$0")/.."
./tools/setup.sh

echo "== Building (log in build-demo.log)"
{
  [ -f build/build.ninja ] || meson setup build --buildtype=release
  ninja -C build
} >build-demo.log 2>&1 || { cat build-demo.log; exit 1; }
kbs=./build/tools/kbs
db=${KBS_DEMO_DB:-build/demo-kb}
rm -rf "$db"

echo "== Indexing corpus/ into $db"
"$kbs" index --db "$db" --lang fr corpus/articles corpus/export.jsonl
"$kbs" stats --db "$db"

run() {
  echo
  echo "== kbs search $*"
  "$kbs" search --db "$db" "$@"
}
run "mot de passe oublié"
run "desinstaller l’application"
run "résilier mon contrat"
run --lang en "how do I download my invoice"
run --category Facturation "prélèvement"
run --tag "mot de passe" ""
run "comment commander une pizza"
echo
echo "== The same search as JSON"
"$kbs" search --db "$db" --json --limit 2 "facture en ligne"
