#!/usr/bin/env bash
# Builds (optimised) and runs the benchmarks; prints Markdown tables with
# kbsearch beside its peers, measured in the same run.
#
#   ./bench/run.sh [ROUNDS]
#       The sample corpus (corpus/): bench_search, ROUNDS passes (20).
#   ./bench/run.sh --size 10k|100k|1m [--size ...] [--seed N] [--queries N]
#       A generated corpus of that size (bench/gen_corpus, words from the
#       Debian FAQ and Reference that bench/setup.sh installs), indexed and
#       queried by kbs-bench (kbsearch, everything on), by kbs-bench --plain
#       on a copy of the index without synonyms (plain ranking: no synonyms,
#       snippets or facets), by fts5-bench (SQLite FTS5), groonga-bench
#       (Groonga) and xapian-bench (raw Xapian, QueryParser defaults, BM25),
#       one Markdown table per size with the ratios kbsearch / peer, and
#       where kbsearch's time goes (each feature alone over plain ranking).
#       --peers kbs,plain,... keeps only those engines (at 1m, FTS5 and
#       raw Xapian alone take hours); the others' columns read "-".
#   ./bench/run.sh --callgrind [--seed N]
#       Instructions per query, a figure machine noise does not move:
#       every engine's timed query loop (bench_query_loop: no opening,
#       indexing or warm-up) under valgrind --tool=callgrind, on a generated
#       corpus of 711 articles, beside raw Xapian. May follow --size.
#
# Work files: $KBS_BENCH_WORK (build-bench/scale). KBS_BENCH_BUILD names the
# build directory (build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${KBS_BENCH_BUILD:-build-bench}

sizes=()
seed=1
nq=300
rounds=20
peers=(kbs plain fts5 groonga xapian)
callgrind=0
while [ $# -gt 0 ]; do
  case "$1" in
    --size) sizes+=("$2"); shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --queries) nq=$2; shift 2 ;;
    --callgrind) callgrind=1; shift ;;
    --peers) IFS=, read -r -a peers <<< "$2"; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) rounds=$1; shift ;;
  esac
done

if [ ${#sizes[@]} -eq 0 ] && [ $callgrind = 0 ]; then
  ./tools/setup.sh >&2
  [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release -Dtests=false >&2
  ninja -C "$build" bench/bench_search >&2
  "./$build/bench/bench_search" corpus bench/queries.txt "$rounds"
  exit 0
fi

./bench/setup.sh >&2
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release -Dtests=false >&2
ninja -C "$build" bench/gen_corpus bench/kbs-bench bench/fts5-bench bench/groonga-bench \
  bench/xapian-bench tools/kbs >&2
bin=$build/bench
work=${KBS_BENCH_WORK:-$build/scale}
has() { [[ " ${peers[*]} " == *" $1 "* ]]; }

# The value of KEY in the BENCH line of FILE ("-" when there is none).
get() { [ -f "$1" ] && sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | head -n 1 | grep . || echo -; }
# a / b with 2 decimals ("-" when b is 0 or missing).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-") print "-"; else printf "%.2f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { if (b == "-") print "-"; else printf "%.1f", b / 1048576 }'; }
int() { awk -v v="$1" 'BEGIN { if (v == "-") print "-"; else printf "%.0f", v }'; }

# generate DIR N: a corpus of N articles and its query sets in DIR (new).
generate() {
  rm -rf "$1"
  mkdir -p "$1"
  "$bin/gen_corpus" -n "$2" -s "$seed" -q "$nq" "$1" \
    --fr /usr/share/doc/debian/FAQ/fr/*.fr.html /usr/share/debian-reference/*.fr.html \
    --en /usr/share/doc/debian/FAQ/*.en.html /usr/share/debian-reference/*.en.html
}

# index DIR: every engine's index of DIR/corpus.jsonl, one BENCH line each
# in DIR/index.PEER; the plain copy of kbsearch's has no synonyms.
index() {
  local d=$1
  has kbs || has plain && "$bin/kbs-bench" index "$d/corpus.jsonl" "$d/kb" | tee "$d/index.kbs" >&2
  has fts5 && "$bin/fts5-bench" index "$d/corpus.jsonl" "$d/fts5.sqlite" | tee "$d/index.fts5" >&2
  has groonga && "$bin/groonga-bench" index "$d/corpus.jsonl" "$d/groonga" | tee "$d/index.groonga" >&2
  has xapian && "$bin/xapian-bench" index "$d/corpus.jsonl" "$d/xapian" | tee "$d/index.xapian" >&2
  if has plain; then
    cp -a "$d/kb" "$d/kb-plain"
    : > "$d/empty.txt"
    for l in fr en; do "$build/tools/kbs" synonyms --db "$d/kb-plain" load --lang "$l" "$d/empty.txt"; done
  fi
  return 0
}

# engine PEER DIR: sets prog (the command, as an array) and store.
engine() {
  extra=()
  case $1 in
    kbs) prog=("$bin/kbs-bench"); store=$2/kb ;;
    log) prog=("$bin/kbs-bench"); store=$2/kb; extra=(--log) ;;
    plain) prog=("$bin/kbs-bench"); store=$2/kb-plain; extra=(--plain) ;;
    fts5) prog=("$bin/fts5-bench"); store=$2/fts5.sqlite ;;
    groonga) prog=("$bin/groonga-bench"); store=$2/groonga ;;
    xapian) prog=("$bin/xapian-bench"); store=$2/xapian ;;
  esac
}

for size in "${sizes[@]}"; do
  case "$size" in
    10k) n=10000 ;; 100k) n=100000 ;; 1m|1M) n=1000000 ;;
    *[!0-9]*|'') echo "run.sh: --size 10k, 100k, 1m or a number" >&2; exit 2 ;;
    *) n=$size ;;
  esac
  d=$work/$size
  echo "run.sh: $size: generating" >&2
  generate "$d" "$n"
  echo "run.sh: $size: indexing (kbsearch, FTS5, Groonga, Xapian)" >&2
  index "$d"

  echo "run.sh: $size: querying" >&2
  q=$d/queries
  # run NAME PROGRAM ARGS...: one BENCH line into $d/NAME.
  run() { local name=$1; shift; "$@" | tee "$d/$name" >&2; }
  for peer in "${peers[@]}"; do
    engine "$peer" "$d"
    run "$peer.q1" "${prog[@]}" query "$store" "$q-plain.fr.txt" "$d/$peer.plain.trec" --lang fr "${extra[@]}"
    run "$peer.q2" "${prog[@]}" query "$store" "$q-plain.fr.txt" "$d/$peer.plain2.trec" --lang fr --threads 2 "${extra[@]}"
    run "$peer.typo" "${prog[@]}" query "$store" "$q-typo.fr.txt" "$d/$peer.typo.trec" --lang fr "${extra[@]}"
    run "$peer.prefix" "${prog[@]}" query "$store" "$q-prefix.fr.txt" "$d/$peer.prefix.trec" --lang fr --prefix "${extra[@]}"
    run "$peer.en" "${prog[@]}" query "$store" "$q-plain.en.txt" "$d/$peer.en.trec" --lang en "${extra[@]}"
    if [ "$peer" != plain ]; then
      run "$peer.suggest" "${prog[@]}" suggest "$store" "$q-typed.fr.txt" --lang fr
    fi
  done
  has kbs && run kbs.log "$bin/kbs-bench" query "$d/kb" "$q-plain.fr.txt" "$d/kbs.log.trec" --lang fr --log
  # Where the time goes: each feature on its own, over plain ranking (the
  # plain French set; kb-plain has no synonyms).
  parts=(syn:kb:--plain snip:kb-plain:--no-facets facets:kb-plain:--no-snippets nosyn:kb-plain:)
  if has kbs && has plain; then
    for part in "${parts[@]}"; do
      IFS=: read -r name kb flag <<< "$part"
      run "parts.$name" "$bin/kbs-bench" query "$d/$kb" "$q-plain.fr.txt" "$d/parts.$name.trec" \
        --lang fr ${flag:+"$flag"}
    done
  fi

  # ---- the table ----
  # The columns after the engine's name, for the figures of peer P.
  cols() {
    local p=$d/$1 i=$d/index.$1
    printf '%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s' \
      "$(get "$i" index_s)" "$(int "$(get "$i" docs_per_s)")" "$(mb "$(get "$i" index_bytes)")" \
      "$(int "$(get "$p.q1" p50_us)")" "$(int "$(get "$p.q1" p95_us)")" "$(int "$(get "$p.q1" p99_us)")" \
      "$(int "$(get "$p.q1" qps)")" "$(int "$(get "$p.q2" qps)")" \
      "$(int "$(get "$p.suggest" p50_us)")" "$(int "$(get "$p.suggest" p99_us)")" \
      "$(int "$(get "$p.typo" p50_us)")" "$(int "$(get "$p.typo" p99_us)")" \
      "$(int "$(get "$p.prefix" p50_us)")" "$(int "$(get "$p.prefix" p99_us)")" \
      "$(int "$(get "$p.en" p50_us)")" "$(get "$p.q1" peak_rss_kb)"
  }
  # The same columns, as ratios A / B.
  ratio_cols() {
    local a=$d/$1 b=$d/$2
    r() { ratio "$(get "$1" "$3")" "$(get "$2" "$3")"; }
    printf '%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s' \
      "$(r "$d/index.$1" "$d/index.$2" index_s)" "$(r "$d/index.$1" "$d/index.$2" docs_per_s)" \
      "$(r "$d/index.$1" "$d/index.$2" index_bytes)" \
      "$(r "$a.q1" "$b.q1" p50_us)" "$(r "$a.q1" "$b.q1" p95_us)" "$(r "$a.q1" "$b.q1" p99_us)" \
      "$(r "$a.q1" "$b.q1" qps)" "$(r "$a.q2" "$b.q2" qps)" \
      "$(r "$a.suggest" "$b.suggest" p50_us)" "$(r "$a.suggest" "$b.suggest" p99_us)" \
      "$(r "$a.typo" "$b.typo" p50_us)" "$(r "$a.typo" "$b.typo" p99_us)" \
      "$(r "$a.prefix" "$b.prefix" p50_us)" "$(r "$a.prefix" "$b.prefix" p99_us)" \
      "$(r "$a.en" "$b.en" p50_us)" "$(r "$a.q1" "$b.q1" peak_rss_kb)"
  }
  {
    echo
    echo "### $size articles ($(get "$d/index.kbs" docs) generated, seed $seed; $nq queries a set; $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))"
    echo
    echo "Latency in µs, top 10, French queries with --lang fr unless said; qps: queries/s over the wall time on 1 and 2 threads; suggest: 5 completions at each keystroke of the French queries ($(get "$d/kbs.suggest" queries) prefixes); RSS: peak KiB of the 1-thread query run. The peers hold only the public articles ($(get "$d/index.fts5" docs); they have no access filter); kbsearch holds them all and filters by role."
    echo
    echo "| engine | index s | articles/s | index MB | p50 | p95 | p99 | qps 1 thr | qps 2 thr | suggest p50 | suggest p99 | typo p50 / p99 | prefix p50 / p99 | en p50 | RSS KiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    echo "| kbsearch (synonyms, typos, facets, snippets, role filter) | $(cols kbs) |"
    echo "| kbsearch plain (no synonyms, snippets, facets) | $(cols plain) |"
    echo "| SQLite FTS5 (bm25, snippet) | $(cols fts5) |"
    echo "| Groonga (TokenBigram, NormalizerAuto, tf) | $(cols groonga) |"
    echo "| Xapian (QueryParser defaults, BM25) | $(cols xapian) |"
    for peer in fts5 groonga xapian; do
      case $peer in fts5) name=FTS5 ;; groonga) name=Groonga ;; xapian) name=Xapian ;; esac
      echo "| kbsearch / $name | $(ratio_cols kbs $peer) |"
    done
    for peer in fts5 groonga xapian; do
      case $peer in fts5) name=FTS5 ;; groonga) name=Groonga ;; xapian) name=Xapian ;; esac
      echo "| kbsearch plain / $name | $(ratio_cols plain $peer) |"
    done
    echo
    lp=$(awk -v a="$(get "$d/kbs.log" p50_us)" -v b="$(get "$d/kbs.q1" p50_us)" 'BEGIN { printf "%+.0f", a - b }')
    echo "Logging (a session id on each search, same index, same queries): p50 $(int "$(get "$d/kbs.log" p50_us)") µs against $(int "$(get "$d/kbs.q1" p50_us)") µs without ($lp µs a search), events dropped: $(get "$d/kbs.log" events_dropped)."
    if has kbs && has plain; then
      echo
      echo "Where the time goes (the plain French set, one thread, µs):"
      echo
      echo "| kbsearch with | p50 | p99 |"
      echo "|---|---:|---:|"
      pp() { echo "| $1 | $(int "$(get "$2" p50_us)") | $(int "$(get "$2" p99_us)") |"; }
      pp "plain ranking" "$d/plain.q1"
      pp "synonyms" "$d/parts.syn"
      pp "snippets" "$d/parts.snip"
      pp "facets and the total" "$d/parts.facets"
      pp "snippets, facets and the total" "$d/parts.nosyn"
      pp "everything" "$d/kbs.q1"
    fi
  } | tee "$d/table.md"
done

[ $callgrind = 1 ] || exit 0

# ---- instructions per query ----
command -v valgrind > /dev/null || { echo "run.sh: --callgrind needs valgrind (tools/setup.sh)" >&2; exit 1; }
d=$work/callgrind
echo "run.sh: callgrind: generating 711 articles" >&2
generate "$d" 711
echo "run.sh: callgrind: indexing" >&2
index "$d"
q=$d/queries
# instr PEER SET [--prefix]: instructions per query of the timed loop,
# into $d/PEER.SET.ir (the BENCH line beside it).
instr() {
  local peer=$1 set=$2 out=$d/$1.$2
  shift 2
  engine "$peer" "$d"
  echo "run.sh: callgrind: $peer $set" >&2
  valgrind --tool=callgrind --collect-atstart=no --toggle-collect=bench_query_loop \
    --callgrind-out-file="$out.callgrind" \
    "${prog[@]}" query "$store" "$q-$set.fr.txt" "$out.trec" --lang fr "$@" "${extra[@]}" \
    > "$out.bench" 2> "$out.log"
  # Callgrind's "summary:" line: the instructions it collected, which are
  # those of the one call of bench_query_loop, i.e. of the n timed queries.
  awk -v n="$(get "$out.bench" queries)" '/^summary:/ { printf "%.0f\n", $2 / n }' \
    "$out.callgrind" > "$out.ir"
}
for peer in "${peers[@]}"; do
  instr "$peer" plain
  instr "$peer" prefix --prefix
done
# Last: it writes to the events database of kb.
instr log plain
mi() { awk -v v="$(cat "$1")" 'BEGIN { printf "%.3f", v / 1e6 }'; }
{
  echo
  echo "### Instructions per query, $(get "$d/index.kbs" docs) generated articles (seed $seed)"
  echo
  echo "valgrind --tool=callgrind --toggle-collect=bench_query_loop: the $(get "$d/kbs.plain.bench" queries) French queries of each set, top 10, --lang fr, one thread, after the warm-up pass; millions of instructions (Ir) a query, and the ratio to raw Xapian (the prefix set: Xapian with FLAG_PARTIAL)."
  echo
  echo "| engine | plain M instr/query | / Xapian | prefix M instr/query | / Xapian |"
  echo "|---|---:|---:|---:|---:|"
  for peer in "${peers[@]}"; do
    case $peer in
      kbs) name="kbsearch (everything on)" ;; plain) name="kbsearch plain" ;;
      fts5) name="SQLite FTS5" ;; groonga) name=Groonga ;; xapian) name="Xapian (QueryParser defaults, BM25)" ;;
    esac
    echo "| $name | $(mi "$d/$peer.plain.ir") | $(ratio "$(cat "$d/$peer.plain.ir")" "$(cat "$d/xapian.plain.ir")") | $(mi "$d/$peer.prefix.ir") | $(ratio "$(cat "$d/$peer.prefix.ir")" "$(cat "$d/xapian.prefix.ir")") |"
  done
  echo
  # Callgrind counts the thread that runs the loop: the search path, not
  # the thread that writes the batched events.
  # The string functions' counts depend on the heap's alignments, so two
  # runs of the same thing differ by a few tenths of a percent.
  echo "Logging (a session id on each search): $(printf %+d $(( $(cat "$d/log.plain.ir") - $(cat "$d/kbs.plain.ir") ))) instructions a search on the search path ($(mi "$d/log.plain.ir") M against $(mi "$d/kbs.plain.ir") M); differences under ~0.5 % are heap-layout noise."
} | tee "$d/table.md"
