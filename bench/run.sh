#!/usr/bin/env bash
# Builds (optimised) and runs the benchmarks; prints Markdown tables with
# kbsearch beside SQLite FTS5, measured in the same run.
#
#   ./bench/run.sh [ROUNDS]
#       The sample corpus (corpus/): bench_search, ROUNDS passes (20).
#   ./bench/run.sh --size 10k|100k|1m [--size ...] [--seed N] [--queries N]
#       A generated corpus of that size (bench/gen_corpus, words from the
#       Debian FAQ and Reference that bench/setup.sh installs), indexed and
#       queried by kbs-bench (kbsearch, everything on), by kbs-bench --plain
#       on a copy of the index without synonyms (plain ranking: no synonyms,
#       snippets or facets) and by fts5-bench (SQLite FTS5), one Markdown
#       table per size. Work files: $KBS_BENCH_WORK (build-bench/scale).
#
# KBS_BENCH_BUILD names the build directory (build-bench).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${KBS_BENCH_BUILD:-build-bench}

sizes=()
seed=1
nq=300
rounds=20
while [ $# -gt 0 ]; do
  case "$1" in
    --size) sizes+=("$2"); shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --queries) nq=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) rounds=$1; shift ;;
  esac
done

if [ ${#sizes[@]} -eq 0 ]; then
  ./tools/setup.sh
  [ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release -Dtests=false
  ninja -C "$build" bench/bench_search
  "./$build/bench/bench_search" corpus bench/queries.txt "$rounds"
  exit 0
fi

./bench/setup.sh
[ -f "$build/build.ninja" ] || meson setup "$build" --buildtype=release -Dtests=false
ninja -C "$build" bench/gen_corpus bench/kbs-bench bench/fts5-bench tools/kbs >&2
bin=$build/bench
work=${KBS_BENCH_WORK:-$build/scale}

# The value of KEY in the BENCH line of FILE.
get() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" "$1" | head -n 1; }
# a / b with 2 decimals ("-" when b is 0 or missing).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "-") print "-"; else printf "%.2f", a / b }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
int() { awk -v v="$1" 'BEGIN { printf "%.0f", v }'; }

for size in "${sizes[@]}"; do
  case "$size" in
    10k) n=10000 ;; 100k) n=100000 ;; 1m|1M) n=1000000 ;;
    *[!0-9]*|'') echo "run.sh: --size 10k, 100k, 1m or a number" >&2; exit 2 ;;
    *) n=$size ;;
  esac
  d=$work/$size
  rm -rf "$d"
  mkdir -p "$d"
  echo "run.sh: $size: generating" >&2
  "$bin/gen_corpus" -n "$n" -s "$seed" -q "$nq" "$d" \
    --fr /usr/share/doc/debian/FAQ/fr/*.fr.html /usr/share/debian-reference/*.fr.html \
    --en /usr/share/doc/debian/FAQ/*.en.html /usr/share/debian-reference/*.en.html
  echo "run.sh: $size: indexing (kbsearch, then FTS5)" >&2
  "$bin/kbs-bench" index "$d/corpus.jsonl" "$d/kb" | tee "$d/index.kbs" >&2
  "$bin/fts5-bench" index "$d/corpus.jsonl" "$d/fts5.sqlite" | tee "$d/index.fts5" >&2
  # Plain ranking: the same index with no synonyms in force.
  cp -a "$d/kb" "$d/kb-plain"
  : > "$d/empty.txt"
  for l in fr en; do "$build/tools/kbs" synonyms --db "$d/kb-plain" load --lang "$l" "$d/empty.txt"; done

  echo "run.sh: $size: querying" >&2
  q=$d/queries
  # run NAME PROGRAM ARGS...: one BENCH line into $d/NAME.
  run() { local name=$1; shift; "$@" | tee "$d/$name" >&2; }
  for peer in kbs plain fts5; do
    case $peer in
      kbs) prog=("$bin/kbs-bench"); store=$d/kb; extra=() ;;
      plain) prog=("$bin/kbs-bench"); store=$d/kb-plain; extra=(--plain) ;;
      fts5) prog=("$bin/fts5-bench"); store=$d/fts5.sqlite; extra=() ;;
    esac
    run "$peer.q1" "${prog[@]}" query "$store" "$q-plain.fr.txt" "$d/$peer.plain.trec" --lang fr "${extra[@]}"
    run "$peer.q2" "${prog[@]}" query "$store" "$q-plain.fr.txt" "$d/$peer.plain2.trec" --lang fr --threads 2 "${extra[@]}"
    run "$peer.typo" "${prog[@]}" query "$store" "$q-typo.fr.txt" "$d/$peer.typo.trec" --lang fr "${extra[@]}"
    run "$peer.prefix" "${prog[@]}" query "$store" "$q-prefix.fr.txt" "$d/$peer.prefix.trec" --lang fr --prefix "${extra[@]}"
    run "$peer.en" "${prog[@]}" query "$store" "$q-plain.en.txt" "$d/$peer.en.trec" --lang en "${extra[@]}"
  done
  run kbs.suggest "$bin/kbs-bench" suggest "$d/kb" "$q-prefix.fr.txt" --lang fr
  run fts5.suggest "$bin/fts5-bench" suggest "$d/fts5.sqlite" "$q-prefix.fr.txt" --lang fr
  run kbs.log "$bin/kbs-bench" query "$d/kb" "$q-plain.fr.txt" "$d/kbs.log.trec" --lang fr --log

  # ---- the table ----
  row() { # LABEL INDEXFILE PEER
    local i=$2 p=$3
    local ix_s="-" aps="-" size="-" rss
    if [ -n "$i" ]; then ix_s=$(get "$i" index_s); aps=$(int "$(get "$i" docs_per_s)"); size=$(mb "$(get "$i" index_bytes)"); fi
    local sg50="-" sg99="-"
    if [ -f "$d/$p.suggest" ]; then sg50=$(int "$(get "$d/$p.suggest" p50_us)"); sg99=$(int "$(get "$d/$p.suggest" p99_us)"); fi
    rss=$(get "$d/$p.q1" peak_rss_kb)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n' "$1" \
      "$ix_s" "$aps" "$size" \
      "$(int "$(get "$d/$p.q1" p50_us)")" "$(int "$(get "$d/$p.q1" p95_us)")" "$(int "$(get "$d/$p.q1" p99_us)")" \
      "$(int "$(get "$d/$p.q1" qps)")" "$(int "$(get "$d/$p.q2" qps)")" "$sg50" "$sg99" \
      "$(int "$(get "$d/$p.typo" p50_us)")" "$(int "$(get "$d/$p.typo" p99_us)")" \
      "$(int "$(get "$d/$p.prefix" p50_us)")" "$(int "$(get "$d/$p.prefix" p99_us)")" \
      "$(int "$(get "$d/$p.en" p50_us)")" "$rss"
  }
  ratio_row() { # LABEL PEER WITH_INDEX
    local p=$2 f=$d/fts5
    local ix="-" aps="-" size="-" sg50="-" sg99="-"
    if [ "$3" = 1 ]; then
      ix=$(ratio "$(get "$d/index.kbs" index_s)" "$(get "$d/index.fts5" index_s)")
      aps=$(ratio "$(get "$d/index.kbs" docs_per_s)" "$(get "$d/index.fts5" docs_per_s)")
      size=$(ratio "$(get "$d/index.kbs" index_bytes)" "$(get "$d/index.fts5" index_bytes)")
      sg50=$(ratio "$(get "$d/kbs.suggest" p50_us)" "$(get "$f.suggest" p50_us)")
      sg99=$(ratio "$(get "$d/kbs.suggest" p99_us)" "$(get "$f.suggest" p99_us)")
    fi
    local k=$d/$p
    printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s | %s |\n' "$1" \
      "$ix" "$aps" "$size" \
      "$(ratio "$(get "$k.q1" p50_us)" "$(get "$f.q1" p50_us)")" "$(ratio "$(get "$k.q1" p95_us)" "$(get "$f.q1" p95_us)")" \
      "$(ratio "$(get "$k.q1" p99_us)" "$(get "$f.q1" p99_us)")" \
      "$(ratio "$(get "$k.q1" qps)" "$(get "$f.q1" qps)")" "$(ratio "$(get "$k.q2" qps)" "$(get "$f.q2" qps)")" \
      "$sg50" "$sg99" \
      "$(ratio "$(get "$k.typo" p50_us)" "$(get "$f.typo" p50_us)")" "$(ratio "$(get "$k.typo" p99_us)" "$(get "$f.typo" p99_us)")" \
      "$(ratio "$(get "$k.prefix" p50_us)" "$(get "$f.prefix" p50_us)")" "$(ratio "$(get "$k.prefix" p99_us)" "$(get "$f.prefix" p99_us)")" \
      "$(ratio "$(get "$k.en" p50_us)" "$(get "$f.en" p50_us)")" \
      "$(ratio "$(get "$k.q1" peak_rss_kb)" "$(get "$f.q1" peak_rss_kb)")"
  }
  {
    echo
    echo "### $size articles ($(get "$d/index.kbs" docs) generated, seed $seed; $nq queries a set; $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1))"
    echo
    echo "Latency in µs, top 10, French queries with --lang fr unless said; qps: queries/s over the wall time on 1 and 2 threads; suggest: 5 completions of the typed prefixes; RSS: peak KiB of the 1-thread query run. FTS5 holds only the public articles (it has no access filter)."
    echo
    echo "| engine | index s | articles/s | index MB | p50 | p95 | p99 | qps 1 thr | qps 2 thr | suggest p50 | suggest p99 | typo p50 / p99 | prefix p50 / p99 | en p50 | RSS KiB |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    row "kbsearch (synonyms, typos, facets, snippets, role filter)" "$d/index.kbs" kbs
    row "kbsearch plain (no synonyms, snippets, facets)" "" plain
    row "SQLite FTS5 (bm25, snippet)" "$d/index.fts5" fts5
    ratio_row "kbsearch / FTS5" kbs 1
    ratio_row "kbsearch plain / FTS5" plain 0
    echo
    lp=$(awk -v a="$(get "$d/kbs.log" p50_us)" -v b="$(get "$d/kbs.q1" p50_us)" 'BEGIN { printf "%+.0f", a - b }')
    echo "Logging (a session id on each search): p50 $(int "$(get "$d/kbs.log" p50_us)") µs against $(int "$(get "$d/kbs.q1" p50_us)") µs without ($lp µs), events dropped: $(get "$d/kbs.log" events_dropped)."
  } | tee "$d/table.md"
done
