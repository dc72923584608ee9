/*
 * Searching while indexing, over many commits: several reader threads
 * search and suggest on one handle while a writer commits generation after
 * generation, each adding articles and rewriting every earlier one. A
 * reader must see one whole committed generation each time (the count of
 * that generation, every hit and suggestion of it, facets that agree),
 * never an older one after a newer, and never an error. Run under
 * ThreadSanitizer by tools/test.sh (suite 'concurrency').
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#define READERS 4
#define GENERATIONS 12
#define PER_GENERATION 2

static kbs_kb *kb;
static atomic_bool writer_done;
static atomic_int failures;
static atomic_uint searches;

/* The word of generation g, consonants only so that no stemmer merges
 * two of them. */
static void gen_word(unsigned g, char w[8])
{
	static const char digit[] = "bcdfghjkmp";
	snprintf(w, 8, "zq%c%c", digit[g / 10 % 10], digit[g % 10]);
}

/* The generation a title names, or -1. */
static int title_generation(const char *title)
{
	const char *p = title ? strstr(title, "zq") : NULL;
	if (!p || strlen(p) < 4)
		return -1;
	static const char digit[] = "bcdfghjkmp";
	const char *a = strchr(digit, p[2]), *b = strchr(digit, p[3]);
	return a && b ? (int)((a - digit) * 10 + (b - digit)) : -1;
}

static void failure(const char *what, int g, size_t n)
{
	fprintf(stderr, "reader: %s (generation %d, %zu)\n", what, g, n);
	atomic_fetch_add(&failures, 1);
}

/* One search: every hit of one generation g, 2g of them. Returns g. */
static int check_search(int last)
{
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.limit = 100;
	kbs_status rc;
	rc = kbs_search(&r, kb, "zorglub", &o);
	if (rc != KBS_OK) {
		failure(kbs_errmsg(kb), last, 0);
		return last;
	}
	atomic_fetch_add(&searches, 1);
	size_t n = kbs_results_count(r);
	int g = n ? title_generation(kbs_results_title(r, 0)) : 0;
	for (size_t i = 0; i < n; i++)
		if (title_generation(kbs_results_title(r, i)) != g)
			failure("hits of two generations in one result", g, n);
	if (n != (size_t)g * PER_GENERATION)
		failure("not the count of a whole generation", g, n);
	if (kbs_results_total(r) != n)
		failure("a total that is not the hits'", g, (size_t)kbs_results_total(r));
	uint64_t tagged = 0;
	for (size_t i = 0; i < kbs_results_facet_count(r, KBS_FACET_TAG); i++)
		if (!strcmp(kbs_results_facet_label(r, KBS_FACET_TAG, i), "zorglub"))
			tagged = kbs_results_facet_value(r, KBS_FACET_TAG, i);
	if (tagged != n)
		failure("a facet count of another state", g, (size_t)tagged);
	if (g < last)
		failure("an older generation after a newer one", g, (size_t)last);
	kbs_results_free(r);
	return g;
}

static void check_suggest(void)
{
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	o.limit = 50;
	kbs_suggestions *s = NULL;
	kbs_status rc;
	rc = kbs_suggest(&s, kb, "zorgl", &o);
	if (rc != KBS_OK) {
		failure(kbs_errmsg(kb), -1, 0);
		return;
	}
	size_t n = kbs_suggestions_count(s);
	int g = n ? title_generation(kbs_suggestions_text(s, 0)) : 0;
	for (size_t i = 0; i < n; i++)
		if (title_generation(kbs_suggestions_text(s, i)) != g)
			failure("suggestions of two generations", g, n);
	if (n != (size_t)g * PER_GENERATION)
		failure("not the suggestions of a whole generation", g, n);
	kbs_suggestions_free(s);
}

static void *reader(void *arg)
{
	unsigned *seen = arg; /* generations this reader saw */
	int last = 0;
	bool saw[GENERATIONS + 1] = { false };
	for (;;) {
		bool done = atomic_load(&writer_done);
		last = check_search(last);
		if (last >= 0 && last <= GENERATIONS && !saw[last]) {
			saw[last] = true;
			(*seen)++;
		}
		check_suggest();
		if (done)
			break;
	}
	return NULL;
}

static void one_whole_generation_at_a_time(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb("{\"id\":\"a-facture\",\"title\":\"Télécharger sa facture\","
			       "\"lang\":\"fr\",\"body\":\"Votre facture est en ligne.\"}\n");
	kb = m.kb;
	pthread_t t[READERS];
	unsigned seen[READERS] = { 0 };
	for (int i = 0; i < READERS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, reader, &seen[i]), 0);

	for (unsigned g = 1; g <= GENERATIONS; g++) {
		char w[8], id[32], title[64];
		gen_word(g, w);
		kbs_indexer *ix = NULL;
		assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
		/* Every article so far, rewritten for this generation, and
		 * the new ones. */
		for (unsigned i = 0; i < g * PER_GENERATION; i++) {
			static const char *const tags[] = { "zorglub" };
			kbs_article a = KBS_ARTICLE_INIT;
			snprintf(id, sizeof id, "z-%u", i);
			snprintf(title, sizeof title, "Zorglub %u of state %s", i, w);
			a.id = id;
			a.title = title;
			a.body = "Le zorglub est arrivé, tout entier ou pas du tout.";
			a.lang = "fr";
			a.tags = tags;
			a.ntags = 1;
			assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
		}
		assert_kbs_ok(kb, kbs_indexer_commit(ix, NULL));
		kbs_indexer_free(ix);
	}
	atomic_store(&writer_done, true);
	unsigned distinct = 0;
	for (int i = 0; i < READERS; i++) {
		pthread_join(t[i], NULL);
		distinct += seen[i];
	}
	assert_int_equal(atomic_load(&failures), 0);
	/* Each reader's last look came after the last commit. */
	assert_int_equal(check_search(GENERATIONS), GENERATIONS);
	print_message("%u searches by %d readers over %d commits, %u states seen, each whole, "
		      "none failed\n",
		      atomic_load(&searches), READERS, GENERATIONS, distinct);
	tu_mini_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_whole_generation_at_a_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
