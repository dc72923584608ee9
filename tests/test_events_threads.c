/*
 * Logging from many threads at once while they search one handle, with a
 * reader flushing and reporting in between: nothing is lost, nothing is
 * dropped, every flush sees its own records. Run under ThreadSanitizer by
 * tools/test.sh (suite 'concurrency').
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define THREADS 4
#define ROUNDS 60

static kbs_kb *kb;
static atomic_int failures;
static atomic_bool done;

static const char *const queries[] = { "mot de passe oublié", "facture", "zorglub introuvable",
				       "résilier contrat", "download invoice" };

static void *visitor(void *arg)
{
	int t = (int)(intptr_t)arg;
	char session[32];
	for (int i = 0; i < ROUNDS; i++) {
		snprintf(session, sizeof session, "t%d-s%d", t, i % 7);
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.session = session;
		o.at = 1770000000000LL + (int64_t)t * 1000000 + i * 1000;
		kbs_results *r = NULL;
		if (kbs_search(&r, kb, queries[(t + i) % 5], &o) != KBS_OK) {
			atomic_fetch_add(&failures, 1);
			continue;
		}
		kbs_event ev = KBS_EVENT_INIT;
		ev.session = session;
		ev.at = o.at + 500;
		ev.type = kbs_results_count(r) ? KBS_EVENT_VIEW : KBS_EVENT_TICKET;
		ev.article = kbs_results_count(r) ? kbs_results_id(r, 0) : NULL;
		ev.search_id = kbs_results_search_id(r);
		if (kbs_event_log(kb, &ev) != KBS_OK)
			atomic_fetch_add(&failures, 1);
		kbs_results_free(r);
		if (i % 20 == 0 && kbs_events_flush(kb) != KBS_OK)
			atomic_fetch_add(&failures, 1);
	}
	return NULL;
}

/* Reads while the visitors write: reports see consistent snapshots. */
static void *analyst(void *arg)
{
	(void)arg;
	while (!atomic_load(&done)) {
		char *s = NULL;
		kbs_report_opts o = KBS_REPORT_OPTS_INIT;
		o.until = 1770000000000LL + 10000000;
		if (kbs_report(&s, kb, KBS_REPORT_SUMMARY, KBS_FORMAT_JSON, &o) != KBS_OK) {
			fprintf(stderr, "report: %s\n", kbs_errmsg(kb));
			atomic_fetch_add(&failures, 1);
		}
		kbs_string_free(s);
	}
	return NULL;
}

static void concurrent_logging_while_searching(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	const char *paths[] = { KBS_CORPUS "/articles", KBS_CORPUS "/export.jsonl" };
	kb = tu_kb_index(dir, paths, 2, NULL, NULL);
	pthread_t th[THREADS], an;
	pthread_create(&an, NULL, analyst, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_create(&th[i], NULL, visitor, (void *)(intptr_t)i);
	for (int i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	atomic_store(&done, true);
	pthread_join(an, NULL);
	assert_int_equal(atomic_load(&failures), 0);
	assert_kbs_ok(kb, kbs_events_flush(kb));
	assert_int_equal(kbs_events_dropped(kb), 0);

	char *p = tu_path(dir, "events.sqlite");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT COUNT(*) FROM searches),"
						"(SELECT COUNT(*) FROM events),"
						"(SELECT COUNT(DISTINCT session) FROM searches)",
					    -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), THREADS * ROUNDS);
	assert_int_equal(sqlite3_column_int(st, 1), THREADS * ROUNDS);
	assert_int_equal(sqlite3_column_int(st, 2), THREADS * 7);
	sqlite3_finalize(st);
	sqlite3_close(db);
	free(p);
	kbs_close(kb);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(concurrent_logging_while_searching),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
