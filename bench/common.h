/*
 * What the benchmarks share: timing, the query files, the corpus, and
 * building kbsearch and its peers on the same articles, so that every
 * benchmark compares the same articles the same way.
 */
#ifndef KBS_BENCH_COMMON_H
#define KBS_BENCH_COMMON_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "kbsearch.h"

/* CLOCK_MONOTONIC, in microseconds. */
double bench_now_us(void);
/* "PROGRAM: what: why" on stderr, then exit(1). */
void bench_die(const char *what, const char *why) __attribute__((noreturn));
/* qsort comparator of doubles. */
int bench_cmp_double(const void *a, const void *b);

typedef struct bench_lines {
	char **v;
	size_t n;
} bench_lines;
/* The lines of a file, '#' comments and blank lines skipped. */
bench_lines bench_read_lines(const char *path);
void bench_lines_free(bench_lines *l);

/* A new knowledge base at dir holding CORPUS/articles and
 * CORPUS/export.jsonl; *seconds (may be NULL) receives the indexing time,
 * *sum (may be NULL) the indexer's summary. */
kbs_kb *bench_kbs_build(const char *dir, const char *corpus, const char *default_lang,
			double *seconds, kbs_index_summary *sum);

/* An FTS5 table a(id UNINDEXED, title, body) — unicode61, diacritics
 * removed — in the SQLite file `path` (":memory:" for none), holding every
 * article kbsearch shows a caller with `roles`, as kbsearch stored it
 * (Markdown already rendered), so that both engines index the same words.
 * *seconds: the time to insert them; *count: how many. */
sqlite3 *bench_fts_build(kbs_kb *kb, const char *path, const char *const *roles, size_t nroles,
			 double *seconds, size_t *count);
/* The user's words, each quoted, OR-ed: FTS5's own syntax must not see the
 * visitor's punctuation. Malloc'd. */
char *bench_fts_query(const char *text);
/* Dies unless rc is SQLITE_OK, _DONE or _ROW. */
void bench_sql_ok(sqlite3 *db, int rc, const char *what);

/* ---- the scale benchmark: kbs-bench and its peers (see kbs_bench.c) ---- */

/* A query file: one QID<TAB>text per line ('#' and blank lines skipped;
 * a line without a tab is its own QID). */
typedef struct bench_queries {
	char **qid, **text;
	size_t n;
	char *name; /* the file's base name without ".txt": the BENCH qset */
} bench_queries;
bench_queries bench_read_queries(const char *path);
void bench_queries_free(bench_queries *q);

/* The top of one query's results, copied out for the RUN file. */
#define BENCH_TOP 10
typedef struct bench_top {
	char *id[BENCH_TOP]; /* malloc'd */
	double score[BENCH_TOP];
	size_t n;
	int error;
} bench_top;
/* Frees the ids, keeps the slot usable. */
void bench_top_clear(bench_top *t);

/* Runs one query: times itself (from before the text is analysed to after
 * the top ids are in memory; bench_now_us), fills *top (may be NULL: a
 * warm-up) and returns the microseconds. `thread` is the caller's thread
 * number, for peers that need one connection per thread. */
typedef double (*bench_query_fn)(void *ctx, unsigned thread, size_t i, bench_top *top);

typedef struct bench_timing {
	double p50, p95, p99, mean, qps, wall_s;
	unsigned long long hits; /* sum of the hits returned (<= 10 a query) */
	unsigned long long errors;
} bench_timing;

/* One untimed warm-up pass over the n queries on one thread, then one timed
 * pass on `threads` threads taking the queries in turn from a shared
 * counter; qps is n over the wall time of that pass. tops: n slots.
 * With one thread the timed pass runs on the calling thread. */
void bench_run_queries(bench_query_fn fn, void *ctx, size_t n, unsigned threads, bench_top *tops,
		       bench_timing *out);

/* The timed pass's loop, run by each of its threads: takes query numbers
 * from *next until n and runs them. Exported and never inlined because
 * `./bench/run.sh --callgrind` counts instructions with
 * --toggle-collect=bench_query_loop: exactly the n timed queries, without
 * opening, indexing or the warm-up pass. Not for direct use. */
typedef struct bench_loop bench_loop;
void bench_query_loop(bench_loop *l, unsigned thread);

/* Writes `qid Q0 docid rank score tag`, at most 10 lines a query. */
void bench_write_trec(const char *path, const bench_queries *q, const bench_top *tops,
		      const char *tag);

/* Disk usage of a file or tree, in bytes, the way du counts it
 * (allocated blocks). */
unsigned long long bench_du_bytes(const char *path);
/* Peak resident set of this process, KiB (getrusage). */
long bench_peak_rss_kb(void);

/* The BENCH lines: exactly one per call of a bench program, on stdout. */
void bench_print_index(const char *peer, const char *corpus, unsigned long long docs,
		       double index_s, unsigned long long index_bytes);
void bench_print_query(const char *peer, const char *phase, const char *store,
		       const bench_queries *q, int prefix, unsigned threads, const bench_timing *t,
		       const char *extra);

/* Options shared by the query commands of every peer:
 *   [--lang fr|en] [--prefix] [--threads N] [--log]
 * argv[first..] is parsed; dies on anything else. */
typedef struct bench_query_args {
	const char *lang;
	int prefix, log;
	unsigned threads;
} bench_query_args;
void bench_parse_query_args(int argc, char **argv, int first, bench_query_args *a);

/* The user's words quoted, joined by `op` (" OR ", or " " for AND); when
 * prefix_last, the last word as a prefix ("word"*). "" when there are no
 * words. Malloc'd. */
char *bench_fts_match(const char *text, const char *op, int prefix_last);

/* The words of text (runs of ASCII letters and digits and of non-ASCII
 * bytes: what every peer's query syntax reads as plain words), each between
 * `quote`s, joined by `op`, `last` appended after the last word. "" when
 * there are no words. Malloc'd. */
char *bench_join_words(const char *text, const char *quote, const char *op, const char *last);

/* One article of a JSONL corpus, as the peers index it. */
typedef struct bench_article {
	const char *id, *lang, *title, *body; /* never NULL; lang "en" if absent */
} bench_article;
/* Calls fn for every article of the JSONL file that a public visitor may
 * see (no audience, or one naming "public"): the peers have no access
 * filter, so they index the filtered set. A line that is not JSON is
 * reported as FILE:LINE on stderr and skipped. The article's strings live
 * until fn returns. Returns how many articles fn saw. */
typedef void (*bench_article_fn)(const bench_article *a, void *payload);
unsigned long long bench_read_corpus(const char *path, bench_article_fn fn, void *payload);

/* A PRNG of the benchmarks' own (splitmix64 seeding xoshiro256**), so that
 * a seed gives the same numbers on every machine and libc. */
typedef struct bench_rng {
	uint64_t s[4];
} bench_rng;
void bench_rng_seed(bench_rng *r, uint64_t seed);
uint64_t bench_rng_next(bench_rng *r);
/* Uniform in [0, 1). */
double bench_rng_unit(bench_rng *r);
/* Uniform in [lo, hi]. */
unsigned bench_rng_range(bench_rng *r, unsigned lo, unsigned hi);

/* Set by each program for bench_die's messages. */
extern const char *bench_prog;

#endif
