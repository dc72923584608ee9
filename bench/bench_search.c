/*
 * Search latency on a real help center, kbsearch beside SQLite FTS5, in the
 * same run, on the same articles and queries.
 *
 *   bench_search CORPUS_DIR QUERIES_FILE [ROUNDS]
 *
 * kbsearch runs with everything a portal gets (snippets, facets, the role
 * filter, confidence); FTS5 runs the usual help-center setup: unicode61 with
 * diacritics removed, bm25 with the title weighted 4x, the words OR-ed, a
 * highlighted snippet. The articles FTS5 gets are kbsearch's own stored
 * text (Markdown already rendered), so both index the same words.
 * Latency is per query, in process, CLOCK_MONOTONIC, after a warm-up pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

typedef struct figures {
	double index_s, p50, p95, p99, qps;
	unsigned long long bytes;
	size_t hits;
} figures;

static void percentiles(double *t, size_t n, double total_us, figures *f)
{
	qsort(t, n, sizeof *t, bench_cmp_double);
	f->p50 = t[n / 2];
	f->p95 = t[(size_t)((double)n * 0.95)];
	f->p99 = t[(size_t)((double)n * 0.99)];
	f->qps = (double)n / (total_us / 1e6);
}

/* Runs one(ctx, i) for every item, a warm-up pass then `rounds` timed
 * passes, each call timed alone; one() returns the hits it got. */
typedef size_t (*one_fn)(void *ctx, const char *item);

static void timed(const bench_lines *items, int rounds, one_fn one, void *ctx, figures *f)
{
	double *t = malloc(items->n * (size_t)rounds * sizeof *t);
	size_t n = 0;
	double total = 0;
	for (int r = -1; r < rounds; r++) {
		for (size_t i = 0; i < items->n; i++) {
			double t0 = bench_now_us();
			size_t hits = one(ctx, items->v[i]);
			double dt = bench_now_us() - t0;
			if (r >= 0) {
				t[n++] = dt;
				total += dt;
				f->hits += hits;
			}
		}
	}
	percentiles(t, n, total, f);
	free(t);
}

static size_t kbs_one(void *kb, const char *q)
{
	kbs_results *res = NULL;
	if (kbs_search(&res, kb, q, NULL) != KBS_OK)
		bench_die(q, kbs_errmsg(kb));
	size_t n = kbs_results_count(res);
	kbs_results_free(res);
	return n;
}

/* ---- FTS5 ---- */

/* Runs one MATCH expression through the prepared statement; returns rows. */
static size_t fts_step(sqlite3_stmt *st, const char *match)
{
	sqlite3_bind_text(st, 1, match, -1, SQLITE_TRANSIENT);
	size_t hits = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		hits++;
	sqlite3_reset(st);
	return hits;
}

static size_t fts_one(void *st, const char *q)
{
	char *m = bench_fts_query(q);
	size_t hits = fts_step(st, m);
	free(m);
	return hits;
}

static sqlite3_stmt *fts_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	bench_sql_ok(db, sqlite3_prepare_v2(db, sql, -1, &st, NULL), "prepare");
	return st;
}

/* ---- search as you type ---- */

/* What a visitor has typed on the way to each query: its first 3 and 6
 * characters and all but its last 2 (whole UTF-8 characters only). */
static bench_lines typed_prefixes(const bench_lines *q)
{
	bench_lines p = { 0 };
	for (size_t i = 0; i < q->n; i++) {
		size_t len = strlen(q->v[i]);
		size_t cuts[3] = { 3, 6, len > 2 ? len - 2 : len };
		for (int c = 0; c < 3; c++) {
			size_t n = cuts[c] < len ? cuts[c] : len;
			while (n < len && ((unsigned char)q->v[i][n] & 0xC0) == 0x80)
				n++;
			p.v = realloc(p.v, (p.n + 1) * sizeof *p.v);
			p.v[p.n++] = strndup(q->v[i], n);
		}
	}
	return p;
}

static size_t kbs_suggest_one(void *kb, const char *prefix)
{
	kbs_suggestions *s = NULL;
	if (kbs_suggest(&s, kb, prefix, NULL) != KBS_OK)
		bench_die(prefix, kbs_errmsg(kb));
	size_t n = kbs_suggestions_count(s);
	kbs_suggestions_free(s);
	return n;
}

/* The FTS5 way to complete a title: the typed words on the title column,
 * the last one as a prefix: title: ("a" "b"*). */
static size_t fts_suggest_one(void *st, const char *prefix)
{
	char *words = bench_fts_match(prefix, " ", 1);
	size_t cap = strlen(words) + 32;
	char *m = malloc(cap);
	snprintf(m, cap, "title: (%s)", *words ? words : "\"\"");
	size_t hits = fts_step(st, m);
	free(m);
	free(words);
	return hits;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: bench_search CORPUS_DIR QUERIES_FILE [ROUNDS]\n");
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	if (rounds < 1)
		rounds = 1;
	bench_prog = "bench_search";
	bench_lines q = bench_read_lines(argv[2]);
	char dir[] = "/tmp/kbs-bench-XXXXXX";
	if (!mkdtemp(dir))
		bench_die("mkdtemp", "failed");
	char kbdir[4096], fts[4096];
	snprintf(kbdir, sizeof kbdir, "%s/kb", dir);
	snprintf(fts, sizeof fts, "%s/fts5.sqlite", dir);

	figures k = { 0 }, s = { 0 };
	kbs_kb *kb = bench_kbs_build(kbdir, argv[1], NULL, &k.index_s, NULL);
	k.bytes = bench_du_bytes(kbdir);
	/* Every article: the FTS5 side has no roles to filter with. */
	const char *agent[] = { "agent" };
	sqlite3 *db = bench_fts_build(kb, fts, agent, 1, &s.index_s, NULL);
	s.bytes = bench_du_bytes(fts);
	sqlite3_stmt *search_st = fts_prepare(db, "SELECT id, snippet(a, 2, '<mark>', '</mark>', '…', 24) "
						  "FROM a WHERE a MATCH ? ORDER BY bm25(a, 0.0, 4.0, 1.0) LIMIT 10");
	sqlite3_stmt *title_st = fts_prepare(db, "SELECT id, title FROM a WHERE a MATCH ? ORDER BY rank LIMIT 5");
	timed(&q, rounds, kbs_one, kb, &k);
	timed(&q, rounds, fts_one, search_st, &s);
	bench_lines pre = typed_prefixes(&q);
	figures ks = { 0 }, ss = { 0 };
	timed(&pre, rounds, kbs_suggest_one, kb, &ks);
	timed(&pre, rounds, fts_suggest_one, title_st, &ss);
	sqlite3_finalize(search_st);
	sqlite3_finalize(title_st);

	printf("Sample corpus (%s), %zu queries x %d rounds, top 10, one thread\n\n", argv[1], q.n,
	       rounds);
	printf("| engine | index s | index size | p50 µs | p95 µs | p99 µs | queries/s | hits |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
	printf("| kbsearch (snippets, facets, roles, confidence) | %.3f | %llu KiB | %.0f | %.0f | %.0f | %.0f | %zu |\n",
	       k.index_s, k.bytes / 1024, k.p50, k.p95, k.p99, k.qps, k.hits);
	printf("| SQLite FTS5 (bm25, snippet) | %.3f | %llu KiB | %.0f | %.0f | %.0f | %.0f | %zu |\n",
	       s.index_s, s.bytes / 1024, s.p50, s.p95, s.p99, s.qps, s.hits);
	printf("| kbsearch / FTS5 | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | |\n", k.index_s / s.index_s,
	       (double)k.bytes / (double)s.bytes, k.p50 / s.p50, k.p95 / s.p95, k.p99 / s.p99,
	       k.qps / s.qps);
	printf("\nSearch as you type: %zu prefixes typed on the way to those queries, 5 completions\n\n",
	       pre.n);
	printf("| engine | p50 µs | p95 µs | p99 µs | per second |\n|---|---:|---:|---:|---:|\n");
	printf("| kbsearch suggest (titles, roles) | %.0f | %.0f | %.0f | %.0f |\n", ks.p50, ks.p95,
	       ks.p99, ks.qps);
	printf("| FTS5 title prefix query | %.0f | %.0f | %.0f | %.0f |\n", ss.p50, ss.p95, ss.p99,
	       ss.qps);
	printf("| kbsearch / FTS5 | %.2f | %.2f | %.2f | %.2f |\n", ks.p50 / ss.p50, ks.p95 / ss.p95,
	       ks.p99 / ss.p99, ks.qps / ss.qps);
	bench_lines_free(&pre);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("\npeak RSS of the whole run: %ld KiB\n", ru.ru_maxrss);

	sqlite3_close(db);
	kbs_close(kb);
	bench_lines_free(&q);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_search: could not remove %s\n", dir);
	return 0;
}
