/*
 * What the benchmarks share: timing, the query files, and building kbsearch
 * and its peer (SQLite FTS5) on the same corpus, so that every benchmark
 * compares the same articles the same way.
 */
#ifndef KBS_BENCH_COMMON_H
#define KBS_BENCH_COMMON_H

#include <sqlite3.h>
#include <stddef.h>

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

/* Set by each program for bench_die's messages. */
extern const char *bench_prog;

#endif
