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
"$kbs" index --db "$db" --lang fr --synonyms corpus/synonyms.fr.txt corpus/articles corpus/export.jsonl
"$kbs" synonyms --db "$db" load corpus/synonyms.en.txt
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
run "annuler mon contrat"
run "instaler l'appli"
echo
echo "== kbs suggest mot de pa"
"$kbs" suggest --db "$db" "mot de pa"
echo
echo "== kbs answer comment résilier mon contrat"
"$kbs" answer --db "$db" "comment résilier mon contrat"
echo
echo "== The same search as JSON"
"$kbs" search --db "$db" --json --limit 2 "facture en ligne"

echo
echo "== A simulated February and March of portal traffic (seed 42)"
# Visitors search (sometimes keystroke by keystroke), read, vote and
# sometimes open tickets; some ask what corpus/ does not answer.
./build/tools/kbs-simulate --db "$db" --seed 42 --start 2026-02-01 --days 59
period=(--since 2026-03-01T00:00:00Z --until 2026-04-01T00:00:00Z)
echo
echo "== kbs report summary (March, against February)"
"$kbs" report --db "$db" summary "${period[@]}"
echo
echo "== kbs report gaps: what visitors did not find"
"$kbs" report --db "$db" gaps "${period[@]}" --limit 8
echo
echo "== kbs report articles: which articles prevent tickets"
"$kbs" report --db "$db" articles "${period[@]}" --limit 8
report=${KBS_DEMO_REPORT:-build/demo-report.html}
"$kbs" report --db "$db" summary --format html --out "$report" "${period[@]}" >/dev/null
echo
echo "== The report for the content team: open $(realpath "$report") in a browser"
