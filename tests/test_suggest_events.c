/*
 * kbs_suggest's second source: popular answered queries from the events
 * store (lib/events/popular.c). Searches are written straight into the
 * store, so each row's answered flag, roles and session are exactly what
 * the case needs; one test goes through kbs_search and the writer.
 *
 * Rows: the bug or rule each case guards is in its comment.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "events/events.h"

static const char *const ARTICLES =
	"{\"id\":\"a-facture\",\"title\":\"Télécharger sa facture en ligne\",\"lang\":\"fr\","
	"\"body\":\"Votre facture est disponible en ligne dans votre espace client. Téléchargez la "
	"facture au format PDF.\"}\n"
	"{\"id\":\"a-resilier\",\"title\":\"Résilier son contrat\",\"lang\":\"fr\","
	"\"body\":\"Pour résilier votre contrat, souscrivez chez le nouveau fournisseur : la "
	"résiliation est automatique.\"}\n"
	"{\"id\":\"a-geste\",\"title\":\"Procédure geste commercial\",\"lang\":\"fr\","
	"\"audience\":[\"agent\"],\"body\":\"Le conseiller peut accorder un geste commercial "
	"plafonné selon la procédure.\"}\n";

typedef struct fx {
	char *dir;
	kbs_kb *kb;
	sqlite3 *db;
	int64_t t; /* the next row's time: rows are a minute apart */
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	tu_mini m = tu_mini_kb(ARTICLES); /* the knowledge base is f->dir/kb */
	f->dir = m.dir;
	f->kb = m.kb;
	f->t = 1772323200000LL; /* 2026-03-01 */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	if (f->db)
		sqlite3_close(f->db);
	kbs_close(f->kb);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* A search row: session, text, roles (JSON), results, confident; `gap_ms`
 * after the previous row (a minute: a new intent). */
static void row_gap(fx *f, int64_t gap_ms, const char *session, const char *text,
		    const char *roles, int results, int confident)
{
	if (!f->db) {
		kbs_err err;
		assert_int_equal(kbs_events__connect(f->kb, &f->db, &err), KBS_OK);
	}
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(f->db,
					    "INSERT INTO searches (at, session, query, qkey, roles,"
					    " results, confident) VALUES (?,?,?,'',?,?,?)",
					    -1, &st, NULL),
			 SQLITE_OK);
	f->t += gap_ms;
	char h[33]; /* stored as the writer would: keyed hash */
	kbs_err err;
	assert_int_equal(kbs_events__session_hash(f->kb, session, h, &err), KBS_OK);
	sqlite3_bind_int64(st, 1, f->t);
	sqlite3_bind_text(st, 2, h, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, roles, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 5, results);
	sqlite3_bind_int(st, 6, confident);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

static void row(fx *f, const char *session, const char *text, const char *roles, int results,
		int confident)
{
	row_gap(f, 60 * 1000, session, text, roles, results, confident);
}

/* The same answered public text from sessions s<from>..s<to>. */
static void typed(fx *f, const char *text, int from, int to)
{
	for (int i = from; i <= to; i++) {
		char s[16];
		snprintf(s, sizeof s, "s%d", i);
		row(f, s, text, "[]", 4, 1);
	}
}

/* The suggestions for prefix as "text|id" lines ("-" for no id). */
static char *suggest(fx *f, const char *prefix, const char *role, size_t limit)
{
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	const char *roles[] = { role };
	if (role) {
		o.roles = roles;
		o.nroles = 1;
	}
	if (limit)
		o.limit = limit;
	kbs_suggestions *s = NULL;
	assert_kbs_ok(f->kb, kbs_suggest(&s, f->kb, prefix, &o));
	size_t cap = 4096, len = 0;
	char *out = calloc(1, cap);
	for (size_t i = 0; i < kbs_suggestions_count(s); i++) {
		const char *id = kbs_suggestions_id(s, i);
		len += (size_t)snprintf(out + len, cap - len, "%s|%s\n", kbs_suggestions_text(s, i),
					id ? id : "-");
	}
	kbs_suggestions_free(s);
	return out;
}

#define assert_suggests(f, prefix, role, limit, expected)        \
	do {                                                      \
		char *got_ = suggest(f, prefix, role, limit);     \
		if (strcmp(got_, expected) != 0)                  \
			fail_msg("suggest \"%s\" (role %s):\n%s\nexpected:\n%s", prefix, \
				 role ? role : "public", got_, expected); \
		free(got_);                                       \
	} while (0)

static void only_answered_texts_k_sessions_typed(void **state)
{
	fx *f = *state;
	typed(f, "facture électricité", 1, 3);       /* k = 3 sessions: shown */
	typed(f, "facture impayée", 1, 2);           /* 2 sessions: never */
	row(f, "s1", "facture double", "[]", 4, 1);  /* one session 3 times + one */
	row(f, "s1", "facture double", "[]", 4, 1);
	row(f, "s1", "facture double", "[]", 4, 1);
	row(f, "s2", "facture double", "[]", 4, 1);
	for (int i = 1; i <= 4; i++) {
		char s[16];
		snprintf(s, sizeof s, "u%d", i);
		row(f, s, "facture pizza", "[]", 6, 0);          /* results, not confident */
		row(f, s, "facture martienne", "[]", 0, 1);      /* no results */
		row(f, s, "facture <email>", "[]", 4, 1);        /* had personal data */
		row(f, s, "fact", "[]", 4, 1);                   /* a keystroke: the intent */
		row_gap(f, 3000, s, "facture en ligne", "[]", 4, 1); /* ends 3 s later */
	}
	assert_suggests(f, "fact", NULL, 0,
			"facture en ligne|-\n"
			"facture électricité|-\n"
			"Télécharger sa facture en ligne|a-facture\n");
	/* Erasing one of its 3 sessions takes a text below k at once. */
	uint64_t removed = 0;
	assert_kbs_ok(f->kb, kbs_events_erase(&removed, f->kb, "s3"));
	assert_suggests(f, "fact", NULL, 0,
			"facture en ligne|-\n"
			"Télécharger sa facture en ligne|a-facture\n");
	/* The table is only read: nothing above showed up by another way. */
	assert_suggests(f, "facture i", NULL, 0, "");
}

static void roles_of_the_searches(void **state)
{
	fx *f = *state;
	/* Typed by agents only: never suggested to the public. */
	for (int i = 1; i <= 4; i++) {
		char s[16];
		snprintf(s, sizeof s, "a%d", i);
		row(f, s, "geste commercial client", "[\"agent\"]", 3, 1);
	}
	/* 2 public sessions and 2 agents: k for agents only. */
	typed(f, "geste offert", 1, 2);
	row(f, "a1", "geste offert", "[\"agent\"]", 3, 1);
	row(f, "a2", "geste offert", "[\"agent\"]", 3, 1);
	/* One session under both roles counts once. */
	row(f, "s9", "geste rapide", "[]", 3, 1);
	row(f, "s9", "geste rapide", "[\"agent\"]", 3, 1);
	row(f, "a3", "geste rapide", "[\"agent\"]", 3, 1);
	/* Agent and supervisor at once: not for an agent alone. */
	for (int i = 1; i <= 3; i++) {
		char s[16];
		snprintf(s, sizeof s, "b%d", i);
		row(f, s, "geste plafond", "[\"agent\",\"superviseur\"]", 3, 1);
	}
	assert_suggests(f, "geste", NULL, 0, "");
	assert_suggests(f, "geste", "agent", 0,
			"geste commercial client|-\n"
			"geste offert|-\n"
			"Procédure geste commercial|a-geste\n");
	/* A role is folded as search folds it: "Agent" is "agent". */
	assert_suggests(f, "geste", "Agent", 0,
			"geste commercial client|-\n"
			"geste offert|-\n"
			"Procédure geste commercial|a-geste\n");
	/* Fewer query slots than matches: the first by sessions. */
	assert_suggests(f, "geste", "agent", 2,
			"geste commercial client|-\n"
			"Procédure geste commercial|a-geste\n");
}

static void ranked_by_sessions_merged_with_titles(void **state)
{
	fx *f = *state;
	typed(f, "résilier en ligne", 1, 3);
	typed(f, "résiliation anticipée", 1, 5);
	typed(f, "Résilier son contrat", 1, 4); /* a title already: once, with its id */
	typed(f, "contrat résilié", 1, 6);      /* not the first word: after */
	/* Accents and case as in titles; the last word as a prefix. Query
	 * slots: half the limit (4 of 8), texts that begin with the prefix
	 * first, then by sessions. */
	assert_suggests(f, "RESIL", NULL, 8,
			"résiliation anticipée|-\n"
			"résilier en ligne|-\n"
			"Résilier son contrat|a-resilier\n"
			"contrat résilié|-\n");
	assert_suggests(f, "RESIL", NULL, 5,
			"résiliation anticipée|-\n"
			"résilier en ligne|-\n"
			"Résilier son contrat|a-resilier\n");
	assert_suggests(f, "resiliation ANTI", NULL, 0, "résiliation anticipée|-\n");
	/* Complete words must be words of the text. */
	assert_suggests(f, "résilier e", NULL, 0, "résilier en ligne|-\n");
}

static void writer_keeps_it_fresh(void **state)
{
	fx *f = *state;
	const char *text = "télécharger sa facture en ligne pdf";
	/* Loaded empty (the store does not exist yet). */
	assert_suggests(f, "télécharger", NULL, 0, "Télécharger sa facture en ligne|a-facture\n");
	for (int i = 1; i <= 3; i++) {
		char s[16];
		snprintf(s, sizeof s, "w%d", i);
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.session = s;
		kbs_results *r = NULL;
		assert_kbs_ok(f->kb, kbs_search(&r, f->kb, text, &o));
		assert_true(kbs_results_confident(r));
		kbs_results_free(r);
	}
	/* A flush returns with the table rebuilt. */
	assert_kbs_ok(f->kb, kbs_events_flush(f->kb));
	assert_suggests(f, "télécharger", NULL, 0,
			"télécharger sa facture en ligne pdf|-\n"
			"Télécharger sa facture en ligne|a-facture\n");
}

typedef struct worker {
	fx *f;
	int id;
	size_t seen; /* query suggestions seen */
} worker;

static void *suggester(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 300; i++) {
		kbs_suggestions *s = NULL;
		if (kbs_suggest(&s, w->f->kb, i % 2 ? "télé" : "rés", NULL) != KBS_OK)
			return "suggest failed";
		for (size_t j = 0; j < kbs_suggestions_count(s); j++)
			w->seen += kbs_suggestions_id(s, j) == NULL;
		kbs_suggestions_free(s);
	}
	return NULL;
}

static void *searcher(void *arg)
{
	worker *w = arg;
	for (int i = 0; i < 40; i++) {
		char s[32];
		snprintf(s, sizeof s, "t%d-%d", w->id, i);
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.session = s;
		kbs_results *r = NULL;
		if (kbs_search(&r, w->f->kb, "télécharger sa facture en ligne pdf", &o) != KBS_OK)
			return "search failed";
		kbs_results_free(r);
		if (i % 10 == 9 && kbs_events_flush(w->f->kb) != KBS_OK)
			return "flush failed";
	}
	return NULL;
}

/* Suggests while searches are logged and the writer swaps tables (run
 * under ThreadSanitizer in the concurrency build). */
static void suggest_while_logging(void **state)
{
	fx *f = *state;
	pthread_t t[4];
	worker w[4];
	for (int i = 0; i < 4; i++) {
		w[i] = (worker){ f, i, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, i < 2 ? suggester : searcher, &w[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		void *res = NULL;
		pthread_join(t[i], &res);
		if (res)
			fail_msg("%s", (const char *)res);
	}
	assert_kbs_ok(f->kb, kbs_events_flush(f->kb));
	assert_suggests(f, "télécharger", NULL, 0,
			"télécharger sa facture en ligne pdf|-\n"
			"Télécharger sa facture en ligne|a-facture\n");
}

static bool exists(fx *f, const char *name)
{
	char *p = tu_path(f->dir, name);
	struct stat st;
	bool yes = stat(p, &st) == 0;
	free(p);
	return yes;
}

static void no_store_no_file(void **state)
{
	fx *f = *state;
	assert_false(exists(f, "kb/events.sqlite"));
	assert_suggests(f, "rés", NULL, 0, "Résilier son contrat|a-resilier\n");
	assert_suggests(f, "geste", NULL, 0, "");
	assert_false(exists(f, "kb/events.sqlite"));
	assert_false(exists(f, "kb/events.key"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(only_answered_texts_k_sessions_typed, setup, teardown),
		cmocka_unit_test_setup_teardown(roles_of_the_searches, setup, teardown),
		cmocka_unit_test_setup_teardown(ranked_by_sessions_merged_with_titles, setup, teardown),
		cmocka_unit_test_setup_teardown(writer_keeps_it_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(no_store_no_file, setup, teardown),
		cmocka_unit_test_setup_teardown(suggest_while_logging, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
