#!/usr/bin/env bash
# Smoke test of the scale benchmark's tools: behaviour, never time.
# gen_corpus is deterministic per seed and writes design.md's fields;
# kbs-bench and its peers (groonga-bench, xapian-bench) index and query print
# exactly one BENCH line with every key the harness reads, query writes a
# valid TREC run (<= 10 lines a query), and a peer's run is the same from
# one index to another of the same corpus and on 1 or 2 threads.
# The words come from corpus/ (the Debian docs are a bench-only install).
#   test_bench.sh GEN_CORPUS KBS_BENCH GROONGA_BENCH XAPIAN_BENCH SOURCE_ROOT
set -euo pipefail
gen=$(realpath "$1")
kb=$(realpath "$2")
groonga=$(realpath "$3")
xapian=$(realpath "$4")
root=$(realpath "$5")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "test_bench: $*" >&2; exit 1; }

generate() { # DIR SEED
  mkdir -p "$1"
  "$gen" -n 200 -s "$2" -q 20 "$1" --fr "$root"/corpus/articles/fr/*.md \
    --en "$root"/corpus/articles/en/*.md 2>/dev/null
}
generate "$work/a" 7
generate "$work/b" 7
generate "$work/c" 8
for f in corpus.jsonl synonyms.fr.txt queries-plain.fr.txt queries-typo.fr.txt queries-prefix.en.txt \
  queries-typed.fr.txt; do
  cmp -s "$work/a/$f" "$work/b/$f" || fail "$f differs between two runs with the same seed"
done
! cmp -s "$work/a/corpus.jsonl" "$work/c/corpus.jsonl" || fail "seeds 7 and 8 gave the same corpus"

python3 - "$work/a" <<'PY' || fail "corpus or queries malformed"
import json, sys
d = sys.argv[1]
arts = [json.loads(l) for l in open(d + "/corpus.jsonl", encoding="utf-8")]
assert len(arts) == 200, len(arts)
assert len({a["id"] for a in arts}) == 200
for a in arts:
    assert a["lang"] in ("fr", "en") and a["kind"] in ("faq", "tutorial", "guide", "troubleshooting")
    assert 4 <= len(a["title"].split()) <= 10, a["title"]
    assert 100 <= len(a["body"].split()) <= 400
    assert a["category"].count("/") == 1 and isinstance(a["tags"], list)
assert 0.55 < sum(a["lang"] == "fr" for a in arts) / 200 < 0.85
assert any(a.get("audience") == ["agent"] for a in arts)
for s in ("plain", "typo", "prefix"):
    for l in ("fr", "en"):
        lines = open(f"{d}/queries-{s}.{l}.txt", encoding="utf-8").read().splitlines()
        assert len(lines) == 20
        for line in lines:
            qid, text = line.split("\t")
            assert qid and 1 <= len(text.split()) <= 4, line
# typed: every prefix of each plain query, a character at a time, none
# ending in a space
for l in ("fr", "en"):
    plain = dict(line.split("\t") for line in open(f"{d}/queries-plain.{l}.txt", encoding="utf-8").read().splitlines())
    want = []
    for qid, text in list(plain.items())[:100]:
        for n in range(1, len(text) + 1):
            if text[n - 1] != " ":
                want.append(f"t{qid[1:]}.{n}\t{text[:n]}")
    got = open(f"{d}/queries-typed.{l}.txt", encoding="utf-8").read().splitlines()
    assert got == want, (got[:5], want[:5])
public = sum("audience" not in a or "public" in a["audience"] for a in arts)
open(d + "/public.txt", "w").write(f"{public}\n")
PY

# every KEY of the list must be in the single BENCH line of FILE
check_bench() { # FILE KEYS...
  local f=$1; shift
  [ "$(wc -l < "$f")" -eq 1 ] || fail "$f: not exactly one line"
  grep -q '^BENCH v=1 ' "$f" || fail "$f: no BENCH v=1 line"
  for k in "$@"; do
    grep -Eq " $k=[^ ]+( |\$)" "$f" || fail "$f: no $k"
  done
}
check_trec() { # RUN QUERIES [TAG]
  awk -v q="$2" -v tag="${3:-kbsearch}" '
    BEGIN { while ((getline l < q) > 0) { split(l, f, "\t"); known[f[1]] = 1 } }
    NF != 6 || $2 != "Q0" || $6 != tag || !($1 in known) || $5 !~ /^-?[0-9.]+$/ { bad = 1 }
    { if ($1 != last) { rank = 0; last = $1 } if ($4 != ++rank || rank > 10) bad = 1; lines++ }
    END { exit bad || lines == 0 }' "$1" || fail "$1: not a valid TREC run of $2"
}

d=$work/a
"$kb" index "$d/corpus.jsonl" "$d/kb" > "$work/index.out"
check_bench "$work/index.out" peer phase corpus docs index_s docs_per_s index_bytes peak_rss_kb
grep -q ' peer=kbsearch phase=index ' "$work/index.out" || fail "index: peer/phase"
grep -q ' docs=200 ' "$work/index.out" || fail "index: docs is not 200"
qkeys=(peer phase store qset queries prefix p50_us p95_us p99_us mean_us qps hits_total errors peak_rss_kb)
"$kb" query "$d/kb" "$d/queries-plain.fr.txt" "$work/plain.trec" --lang fr > "$work/q.out"
check_bench "$work/q.out" "${qkeys[@]}"
grep -q ' phase=query .* queries=20 prefix=0 .* errors=0 ' "$work/q.out" || fail "query: counts"
check_trec "$work/plain.trec" "$d/queries-plain.fr.txt"
# What a search shows beside its hits (snippets, facets) never moves them.
for f in --plain --no-snippets --no-facets; do
  "$kb" query "$d/kb" "$d/queries-plain.fr.txt" "$work/f.trec" --lang fr "$f" > "$work/f.out"
  grep -q " features=${f#--} " "$work/f.out" || fail "query $f: features"
  cmp -s "$work/plain.trec" "$work/f.trec" || fail "query $f: another ranking"
done
"$kb" query "$d/kb" "$d/queries-prefix.fr.txt" "$work/prefix.trec" --prefix --threads 2 --log > "$work/p.out"
check_bench "$work/p.out" "${qkeys[@]}"
grep -q ' prefix=1 threads=2 .* errors=0 ' "$work/p.out" || fail "prefix query: flags"
check_trec "$work/prefix.trec" "$d/queries-prefix.fr.txt"
"$kb" suggest "$d/kb" "$d/queries-prefix.fr.txt" --lang fr > "$work/s.out"
check_bench "$work/s.out" "${qkeys[@]}"
if "$kb" query "$d/kb" "$d/queries-plain.fr.txt" "$work/x.trec" --bogus > /dev/null 2>&1; then
  fail "an unknown option was accepted"
fi

# The peers: the same command line, the same keys, their own peer= and tag.
public=$(cat "$d/public.txt")
for peer in groonga xapian; do
  prog=${!peer}
  w=$work/$peer
  mkdir -p "$w"
  "$prog" index "$d/corpus.jsonl" "$w/ix1" > "$w/index.out"
  check_bench "$w/index.out" peer phase corpus docs index_s docs_per_s index_bytes peak_rss_kb
  grep -q " peer=$peer phase=index " "$w/index.out" || fail "$peer index: peer/phase"
  grep -q " docs=$public " "$w/index.out" || fail "$peer index: docs is not the $public public articles"
  "$prog" index "$d/corpus.jsonl" "$w/ix2" > /dev/null
  for set in plain typo; do
    "$prog" query "$w/ix1" "$d/queries-$set.fr.txt" "$w/$set.trec" --lang fr > "$w/$set.out"
    check_bench "$w/$set.out" "${qkeys[@]}"
    grep -q " peer=$peer phase=query .* queries=20 prefix=0 threads=1 .* errors=0 " "$w/$set.out" ||
      fail "$peer $set query: counts"
    check_trec "$w/$set.trec" "$d/queries-$set.fr.txt" "$peer"
  done
  # Every query of the plain set names words of the corpus: most find some.
  [ "$(cut -d' ' -f1 "$w/plain.trec" | sort -u | wc -l)" -ge 10 ] || fail "$peer: too few queries found anything"
  "$prog" query "$w/ix2" "$d/queries-plain.fr.txt" "$w/plain2.trec" --lang fr --threads 2 --log > "$w/p2.out"
  grep -q ' threads=2 .* errors=0 ' "$w/p2.out" || fail "$peer query --threads 2: flags"
  cmp -s "$w/plain.trec" "$w/plain2.trec" || fail "$peer: another index or 2 threads gave another run"
  "$prog" query "$w/ix1" "$d/queries-prefix.fr.txt" "$w/prefix.trec" --lang fr --prefix > "$w/prefix.out"
  grep -q ' prefix=1 .* errors=0 ' "$w/prefix.out" || fail "$peer prefix query: flags"
  check_trec "$w/prefix.trec" "$d/queries-prefix.fr.txt" "$peer"
  "$prog" query "$w/ix1" "$d/queries-plain.en.txt" "$w/en.trec" --lang en > /dev/null
  # --lang filters: the English run names only English articles.
  python3 - "$d/corpus.jsonl" "$w/en.trec" <<'PY' || fail "$peer --lang en returned other languages"
import json, sys
lang = {a["id"]: a["lang"] for a in map(json.loads, open(sys.argv[1], encoding="utf-8"))}
assert all(lang[l.split()[2]] == "en" for l in open(sys.argv[2]))
PY
  "$prog" suggest "$w/ix1" "$d/queries-typed.fr.txt" --lang fr > "$w/s.out"
  check_bench "$w/s.out" "${qkeys[@]}"
  grep -q " phase=suggest .* errors=0 " "$w/s.out" || fail "$peer suggest"
  if "$prog" query "$w/ix1" "$d/queries-plain.fr.txt" "$w/x.trec" --bogus > /dev/null 2>&1; then
    fail "$peer: an unknown option was accepted"
  fi
done
echo "test_bench: ok"
