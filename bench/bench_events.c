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

#include "common.h"

int main(int argc, char **argv)
{
	bench_prog = "bench_events";
	if (argc < 3)
		bench_die("usage", "bench_events CORPUS_DIR QUERIES_FILE [ROUNDS]");
	int rounds = argc > 3 ? atoi(argv[3]) : 20;
	char dir[] = "/tmp/kbs-bench-events-XXXXXX";
	if (!mkdtemp(dir))
		bench_die("mkdtemp", "failed");

	kbs_kb *kb = bench_kbs_build(dir, argv[1], "fr", NULL, NULL);
	bench_lines ql = bench_read_lines(argv[2]);
	char **q = ql.v;
	size_t nq = ql.n;

	size_t n = nq * (size_t)rounds;
	double *plain = malloc(n * sizeof *plain), *logged = malloc(n * sizeof *logged);
	size_t k = 0;
	char session[32];
	for (int pass = -1; pass < rounds; pass++) { /* pass -1 warms up */
		for (size_t i = 0; i < nq; i++) {
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			kbs_results *r = NULL;
			double t0 = bench_now_us();
			if (kbs_search(&r, kb, q[i], &o) != KBS_OK)
				bench_die("search", kbs_errmsg(kb));
			double t1 = bench_now_us();
			kbs_results_free(r);
			snprintf(session, sizeof session, "visitor-%zu", i % 50);
			o.session = session;
			double t2 = bench_now_us();
			if (kbs_search(&r, kb, q[i], &o) != KBS_OK)
				bench_die("search", kbs_errmsg(kb));
			double t3 = bench_now_us();
			kbs_results_free(r);
			if (pass >= 0) {
				plain[k] = t1 - t0;
				logged[k] = t3 - t2;
				k++;
			}
		}
	}
	double t0 = bench_now_us();
	if (kbs_events_flush(kb) != KBS_OK)
		bench_die("flush", kbs_errmsg(kb));
	double flush_ms = (bench_now_us() - t0) / 1e3;
	double sum_p = 0, sum_l = 0;
	for (size_t i = 0; i < k; i++) {
		sum_p += plain[i];
		sum_l += logged[i];
	}
	qsort(plain, k, sizeof *plain, bench_cmp_double);
	qsort(logged, k, sizeof *logged, bench_cmp_double);
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
	bench_lines_free(&ql);
	free(plain);
	free(logged);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_events: could not remove %s\n", dir);
	return 0;
}
