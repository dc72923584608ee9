/*
 * What logging adds to a search: the same queries on the same handle, with
 * and without a session id, interleaved so that both see the same caches.
 *
 *   bench_events CORPUS_DIR QUERIES_FILE [ROUNDS]
 *
 * The difference is what the search thread pays (query key, redaction,
 * one allocation, the queue's mutex; the unanswered reason's extra engine
 * lookups for searches with no result); the writer thread's inserts run
 * beside it, and the last line says how long the final flush took.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kbsearch.h"

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_events: %s: %s\n", what, why);
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		die("usage", "bench_events CORPUS_DIR QUERIES_FILE [ROUNDS]");
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	char dir[] = "/tmp/kbs-bench-events-XXXXXX";
	if (!mkdtemp(dir))
		die("mkdtemp", "failed");

	kbs_kb *kb = NULL;
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE;
	char *msg = NULL;
	if (kbs_open(&kb, dir, &oo, &msg) != KBS_OK)
		die("open", msg);
	kbs_indexer *ix = NULL;
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.default_lang = "fr";
	char articles[4096], jsonl[4096];
	snprintf(articles, sizeof articles, "%s/articles", argv[1]);
	snprintf(jsonl, sizeof jsonl, "%s/export.jsonl", argv[1]);
	const char *paths[] = { articles, jsonl };
	if (kbs_indexer_new(&ix, kb, &io) != KBS_OK || kbs_indexer_add_paths(ix, paths, 2) != KBS_OK ||
	    kbs_indexer_commit(ix, NULL) != KBS_OK)
		die("index", kbs_indexer_errmsg(ix));
	kbs_indexer_free(ix);

	char **q = NULL;
	size_t nq = 0, cap = 0;
	FILE *f = fopen(argv[2], "r");
	if (!f)
		die(argv[2], "cannot open");
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!*line || *line == '#')
			continue;
		if (nq == cap) {
			cap = cap ? cap * 2 : 64;
			q = realloc(q, cap * sizeof *q);
		}
		q[nq++] = strdup(line);
	}
	fclose(f);

	size_t n = nq * (size_t)rounds;
	double *plain = malloc(n * sizeof *plain), *logged = malloc(n * sizeof *logged);
	size_t k = 0;
	char session[32];
	for (int pass = -1; pass < rounds; pass++) { /* pass -1 warms up */
		for (size_t i = 0; i < nq; i++) {
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			kbs_results *r = NULL;
			double t0 = now_us();
			if (kbs_search(&r, kb, q[i], &o) != KBS_OK)
				die("search", kbs_errmsg(kb));
			double t1 = now_us();
			kbs_results_free(r);
			snprintf(session, sizeof session, "visitor-%zu", i % 50);
			o.session = session;
			double t2 = now_us();
			if (kbs_search(&r, kb, q[i], &o) != KBS_OK)
				die("search", kbs_errmsg(kb));
			double t3 = now_us();
			kbs_results_free(r);
			if (pass >= 0) {
				plain[k] = t1 - t0;
				logged[k] = t3 - t2;
				k++;
			}
		}
	}
	double t0 = now_us();
	if (kbs_events_flush(kb) != KBS_OK)
		die("flush", kbs_errmsg(kb));
	double flush_ms = (now_us() - t0) / 1e3;
	double sum_p = 0, sum_l = 0;
	for (size_t i = 0; i < k; i++) {
		sum_p += plain[i];
		sum_l += logged[i];
	}
	qsort(plain, k, sizeof *plain, cmp_double);
	qsort(logged, k, sizeof *logged, cmp_double);
	printf("kbsearch: cost of logging a search (%zu queries x %d rounds, corpus %s)\n\n", nq, rounds,
	       argv[1]);
	printf("| search           | p50 µs | p95 µs | mean µs |\n");
	printf("|------------------|-------:|-------:|--------:|\n");
	printf("| without session  | %6.1f | %6.1f | %7.1f |\n", plain[k / 2], plain[k * 95 / 100], sum_p / (double)k);
	printf("| with session     | %6.1f | %6.1f | %7.1f |\n", logged[k / 2], logged[k * 95 / 100], sum_l / (double)k);
	printf("| added by logging | %6.1f | %6.1f | %7.1f |\n", logged[k / 2] - plain[k / 2],
	       logged[k * 95 / 100] - plain[k * 95 / 100], (sum_l - sum_p) / (double)k);
	printf("\nrecords dropped: %llu; final flush of the queue: %.1f ms\n",
	       (unsigned long long)kbs_events_dropped(kb), flush_ms);

	kbs_close(kb);
	for (size_t i = 0; i < nq; i++)
		free(q[i]);
	free(q);
	free(plain);
	free(logged);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_events: could not remove %s\n", dir);
	return 0;
}
