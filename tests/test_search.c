/*
 * Search behaviour a visitor or a portal would notice, on real indexes on
 * disk: the sample corpus for realistic queries, small hand-made knowledge
 * bases where a ranking question needs exact control.
 */
#include <stdbool.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "store/store.h"

static char *corpus_dir;
static kbs_kb *corpus;

static int setup_corpus(void **state)
{
	(void)state;
	corpus_dir = tu_tmpdir();
	const char *paths[] = { KBS_CORPUS "/articles", KBS_CORPUS "/export.jsonl" };
	kbs_index_summary s;
	tu_diags d = { 0 };
	corpus = tu_kb_index(corpus_dir, paths, 2, &s, &d);
	if (d.n)
		fail_msg("corpus has diagnostics, first: %s", d.lines[0]);
	tu_diags_free(&d);
	return s.rejected == 0 && s.added > 60 ? 0 : -1;
}

static int teardown_corpus(void **state)
{
	(void)state;
	kbs_close(corpus);
	tu_rmtree(corpus_dir);
	free(corpus_dir);
	return 0;
}

/* ---- ranking (small knowledge bases built per test: tu_mini_kb) ---- */

static void title_match_ranks_above_body_match(void **state)
{
	(void)state;
	/* B says "facture" five times in its body; A has it once, in its title. */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"b\",\"title\":\"Nos conseils\",\"lang\":\"fr\",\"body\":\"Une facture, la facture, "
		"votre facture, chaque facture et toute facture arrive par courrier.\"}\n"
		"{\"id\":\"a\",\"title\":\"Recevoir sa facture\",\"lang\":\"fr\",\"body\":\"Elle arrive par "
		"e-mail chaque mois, avec le détail de votre consommation.\"}\n"
		"{\"id\":\"c\",\"title\":\"Horaires\",\"lang\":\"fr\",\"body\":\"Nous répondons du lundi au "
		"vendredi.\"}\n");
	tu_assert_top(m.kb, "facture", NULL, "a", NULL);
	tu_assert_top(m.kb, "factures", NULL, "a", NULL);
	tu_mini_free(&m);
}

static void accented_query_prefers_accented_text(void **state)
{
	(void)state;
	/* Same words; only the accents differ. */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"plain\",\"title\":\"Desinstaller l'appli\",\"lang\":\"fr\",\"body\":\"Etapes pour "
		"desinstaller.\"}\n"
		"{\"id\":\"accent\",\"title\":\"Désinstaller l'appli\",\"lang\":\"fr\",\"body\":\"Étapes pour "
		"désinstaller.\"}\n");
	tu_assert_top(m.kb, "désinstaller", NULL, "accent", NULL);
	kbs_results *r = tu_search(m.kb, "desinstaller", NULL);
	assert_int_equal(kbs_results_count(r), 2); /* folded: both match */
	kbs_results_free(r);
	tu_mini_free(&m);
}

static void tags_and_category_words_count(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"t\",\"title\":\"Question A\",\"lang\":\"fr\",\"tags\":[\"linky\"],\"body\":\"Un texte "
		"sans rapport.\"}\n"
		"{\"id\":\"c\",\"title\":\"Question B\",\"lang\":\"fr\",\"category\":\"Compteur/Relevés\","
		"\"body\":\"Un autre texte.\"}\n"
		"{\"id\":\"n\",\"title\":\"Question C\",\"lang\":\"fr\",\"body\":\"Rien ici.\"}\n");
	tu_assert_top(m.kb, "linky", NULL, "t", NULL);
	tu_assert_top(m.kb, "relevés", NULL, "c", NULL);
	tu_assert_top(m.kb, "releve", NULL, "c", NULL);
	tu_mini_free(&m);
}

static void corpus_answers_real_questions(void **state)
{
	(void)state;
	/* Each row: what a visitor types, the article that answers it, and
	 * the analysis step that makes it work. */
	static const struct {
		const char *q, *lang, *id, *why;
	} rows[] = {
		{ "mot de passe oublié", NULL, "fr-mdp-oublie", "plain words" },
		{ "Mot-de-passe oublie", NULL, "fr-mdp-oublie", "hyphens split, accent folding" },
		{ "MOT DE PASSE OUBLIÉ", NULL, "fr-mdp-oublie", "case folding" },
		{ "desinstaller l'appli", NULL, "fr-desinstaller-appli", "accents missing, elision" },
		{ "désinstaller l’application", "fr", "fr-desinstaller-appli", "curly apostrophe" },
		{ "l‘appli ne s‘installe pas", NULL, "fr-installer-appli", "opening quote as apostrophe" },
		{ "6kVA", NULL, "fr-puissance-compteur", "a number against its unit (\"6 kVA\")" },
		{ "comment résilier mon contrat", "fr", "fr-resilier-contrat", "stop words dropped" },
		{ "télécharger mes factures", "fr", "fr-telecharger-facture", "French plural stem" },
		{ "how do I download my invoices", "en", "en-download-invoice", "English stem" },
		{ "forgot password", "en", "en-forgot-password", "English plain" },
		{ "odeur de gaz", NULL, "fr-odeur-gaz", "rare words" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = rows[i].lang;
		kbs_results *r = tu_search(corpus, rows[i].q, &o);
		long rank = tu_rank_of(r, rows[i].id);
		if (rank != 0)
			fail_msg("row %zu (%s): \"%s\" -> %s first, %s at rank %ld", i, rows[i].why,
				 rows[i].q, kbs_results_count(r) ? kbs_results_id(r, 0) : "nothing",
				 rows[i].id, rank);
		kbs_results_free(r);
	}
	/* A language code in capitals is the same language. (Two articles
	 * answer unpaid bills, the hardship guide and the rejected direct
	 * debit: the relevance bench judges both full answers, and either
	 * may come first.) */
	kbs_search_opts lo = KBS_SEARCH_OPTS_INIT, up = KBS_SEARCH_OPTS_INIT;
	lo.lang = "fr";
	up.lang = "FR";
	kbs_results *a = tu_search(corpus, "factures impayées", &lo);
	kbs_results *b = tu_search(corpus, "factures impayées", &up);
	assert_true(kbs_results_count(a) > 0);
	assert_int_equal(kbs_results_count(a), kbs_results_count(b));
	for (size_t i = 0; i < kbs_results_count(a); i++) {
		assert_string_equal(kbs_results_id(a, i), kbs_results_id(b, i));
		assert_string_equal(kbs_results_lang(b, i), "fr");
	}
	long hardship = tu_rank_of(b, "fr-difficultes-paiement"), debit = tu_rank_of(b, "fr-prelevement-rejete");
	assert_true(hardship >= 0 && hardship <= 2 && debit >= 0 && debit <= 2);
	kbs_results_free(a);
	kbs_results_free(b);
}

static void composed_and_decomposed_queries_agree(void **state)
{
	(void)state;
	kbs_results *a = tu_search(corpus, "r\xc3\xa9siliation", NULL);   /* é as U+00E9 */
	kbs_results *b = tu_search(corpus, "re\xcc\x81siliation", NULL);  /* e + U+0301 */
	assert_true(kbs_results_count(a) > 0);
	assert_int_equal(kbs_results_count(a), kbs_results_count(b));
	for (size_t i = 0; i < kbs_results_count(a); i++)
		assert_string_equal(kbs_results_id(a, i), kbs_results_id(b, i));
	kbs_results_free(a);
	kbs_results_free(b);
}

static void cjk_text_is_split_into_words(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"zh\",\"title\":\"如何重置密码\",\"lang\":\"zh\",\"body\":\"打开设置页面，然后点击重置密码。\"}\n"
		"{\"id\":\"ja\",\"title\":\"パスワードを忘れました\",\"lang\":\"ja\",\"body\":\"設定画面を開いてください。\"}\n"
		"{\"id\":\"en\",\"title\":\"Reset your password\",\"lang\":\"en\",\"body\":\"Open settings.\"}\n");
	tu_assert_top(m.kb, "密码", NULL, "zh", NULL);
	tu_assert_top(m.kb, "パスワード", NULL, "ja", NULL);
	tu_mini_free(&m);
}

/* ---- filters and access ---- */

static void filters_restrict_hits(void **state)
{
	(void)state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.limit = 100;
	o.lang = "en";
	kbs_results *r = tu_search(corpus, "invoice bill payment", &o);
	assert_true(kbs_results_count(r) > 0);
	for (size_t i = 0; i < kbs_results_count(r); i++)
		assert_string_equal(kbs_results_lang(r, i), "en");
	kbs_results_free(r);

	/* A category filter takes the whole subtree, and only it. */
	o = (kbs_search_opts)KBS_SEARCH_OPTS_INIT;
	o.limit = 100;
	o.category = "compte";
	r = tu_search(corpus, "", &o);
	assert_true(kbs_results_count(r) >= 5);
	bool child = false;
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		const char *c = kbs_results_category(r, i);
		assert_true(strncmp(c, "Compte/", 7) == 0);
		child |= strcmp(c, "Compte/Connexion") == 0;
	}
	assert_true(child);
	kbs_results_free(r);

	o.category = "Compte / Mot de passe";
	r = tu_search(corpus, "", &o);
	assert_true(kbs_results_count(r) >= 2);
	for (size_t i = 0; i < kbs_results_count(r); i++)
		assert_string_equal(kbs_results_category(r, i), "Compte/Mot de passe");
	kbs_results_free(r);

	/* Tags and kind. */
	o = (kbs_search_opts)KBS_SEARCH_OPTS_INIT;
	o.limit = 100;
	const char *tags[] = { "mot de passe" };
	o.tags = tags;
	o.ntags = 1;
	o.kind = "faq";
	r = tu_search(corpus, "", &o);
	assert_true(kbs_results_count(r) > 0);
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		assert_string_equal(kbs_results_kind(r, i), "faq");
		bool has = false;
		for (size_t j = 0; j < kbs_results_ntags(r, i); j++)
			has |= strcmp(kbs_results_tag(r, i, j), "mot de passe") == 0;
		assert_true(has);
	}
	kbs_results_free(r);
}

static bool hits_have(const kbs_results *r, const char *id)
{
	return tu_rank_of(r, id) >= 0;
}

static uint64_t facet(const kbs_results *r, kbs_facet f, const char *label)
{
	for (size_t i = 0; i < kbs_results_facet_count(r, f); i++)
		if (strcmp(kbs_results_facet_label(r, f, i), label) == 0)
			return kbs_results_facet_value(r, f, i);
	return 0;
}

static void roles_never_leak(void **state)
{
	(void)state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.limit = 100;
	/* Words of the agent-only article's own title. */
	const char *q = "procédure interne geste commercial";
	kbs_results *pub = tu_search(corpus, q, &o);
	assert_false(hits_have(pub, "fr-agent-geste-commercial"));
	assert_int_equal(facet(pub, KBS_FACET_TAG, "procédure interne"), 0);
	assert_int_equal(facet(pub, KBS_FACET_TAG, "geste commercial"), 0);
	for (size_t i = 0; i < kbs_results_count(pub); i++)
		assert_null(strstr(kbs_results_snippet(pub, i), "conseillers du service client"));

	/* Browsing the category shows the same: nothing of it, even counted. */
	o.category = "Facturation/Factures";
	kbs_results *browse = tu_search(corpus, "", &o);
	assert_false(hits_have(browse, "fr-agent-geste-commercial"));
	assert_int_equal(kbs_results_total(browse), kbs_results_count(browse));
	assert_int_equal(facet(browse, KBS_FACET_CATEGORY, "Facturation/Factures"),
			 kbs_results_count(browse));

	/* An agent sees it, and public articles too. */
	const char *roles[] = { "agent" };
	o.category = NULL;
	o.roles = roles;
	o.nroles = 1;
	kbs_results *agent = tu_search(corpus, q, &o);
	assert_int_equal(tu_rank_of(agent, "fr-agent-geste-commercial"), 0);
	assert_int_equal(facet(agent, KBS_FACET_TAG, "geste commercial"), 1);
	o.category = "Facturation/Factures";
	kbs_results *abrowse = tu_search(corpus, "", &o);
	assert_int_equal(kbs_results_count(abrowse), kbs_results_count(browse) + 1);

	/* Reading it by id is refused to the public, like a missing id. */
	char *json = NULL;
	assert_int_equal(kbs_article_json(&json, corpus, "fr-agent-geste-commercial", NULL, 0),
			 KBS_ENOTFOUND);
	assert_null(json);
	assert_kbs_ok(corpus, kbs_article_json(&json, corpus, "fr-agent-geste-commercial", roles, 1));
	assert_non_null(strstr(json, "\"audience\":[\"agent\"]"));
	kbs_string_free(json);

	kbs_results_free(pub);
	kbs_results_free(browse);
	kbs_results_free(agent);
	kbs_results_free(abrowse);
}

/* The score of each of `ids` for q in English with the English synonyms
 * `syn` (-1: not found). */
static void scores_with(const char *syn, const char *q, const char *const *ids, size_t n,
			double *out)
{
	assert_kbs_ok(corpus, kbs_synonyms_load(corpus, "en", syn, strlen(syn)));
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "en";
	o.limit = 50;
	kbs_results *r = tu_search(corpus, q, &o);
	for (size_t i = 0; i < n; i++) {
		int k = tu_rank_of(r, ids[i]);
		out[i] = k < 0 ? -1 : kbs_results_score(r, (size_t)k);
	}
	kbs_results_free(r);
	assert_kbs_ok(corpus, kbs_synonyms_load(corpus, "en", "", 0));
}

/* A multi-word synonym matches as a phrase and weighs only where the
 * phrase is: adding "connect supply" to a rule leaves the score of every
 * article without that phrase as it was. The engine (Xapian 1.4) gave a
 * phrase's weight to articles without the phrase when the phrase sat in an
 * OR of four or more parts below a filter, as every search's is (the
 * caller's language and roles): for "move in", the account article, which
 * only says "activation", came third. */
static void phrase_synonym_weighs_only_where_it_is(void **state)
{
	(void)state;
	const char *ids[] = { "en-create-account", "en-move-in-activation", "en-moving-out" };
	double with[3], without[3];
	scores_with("move in, moving in, activation, connect supply\n", "move in", ids, 3, with);
	scores_with("move in, moving in, activation\n", "move in", ids, 3, without);
	for (size_t i = 0; i < 3; i++) {
		assert_true(without[i] > 0);
		assert_float_equal(with[i], without[i], 1e-9);
	}
}

/* ---- what comes with the hits ---- */

static void pagination_is_consistent(void **state)
{
	(void)state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.limit = 8;
	kbs_results *all = tu_search(corpus, "facture paiement compte", &o);
	assert_int_equal(kbs_results_count(all), 8);
	o.limit = 4;
	kbs_results *p1 = tu_search(corpus, "facture paiement compte", &o);
	o.offset = 4;
	kbs_results *p2 = tu_search(corpus, "facture paiement compte", &o);
	assert_int_equal(kbs_results_count(p1), 4);
	assert_int_equal(kbs_results_count(p2), 4);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(kbs_results_id(all, i), kbs_results_id(p1, i));
		assert_string_equal(kbs_results_id(all, i + 4), kbs_results_id(p2, i));
	}
	/* Later pages judge confidence on the same best hit. */
	assert_int_equal(kbs_results_confident(p1), kbs_results_confident(p2));
	assert_int_equal(kbs_results_total(p1), kbs_results_total(p2));
	o.offset = 10000;
	kbs_results *past = tu_search(corpus, "facture", &o);
	assert_int_equal(kbs_results_count(past), 0);
	kbs_results_free(all);
	kbs_results_free(p1);
	kbs_results_free(p2);
	kbs_results_free(past);
}

static void browse_lists_a_category_newest_first(void **state)
{
	(void)state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.category = "Facturation";
	o.limit = 100;
	kbs_results *r = tu_search(corpus, "", &o);
	assert_true(kbs_results_count(r) >= 5);
	assert_int_equal(kbs_results_total(r), kbs_results_count(r));
	assert_false(kbs_results_confident(r)); /* no question, no claimed answer */
	char *prev = NULL;
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		char *json = NULL;
		assert_kbs_ok(corpus, kbs_article_json(&json, corpus, kbs_results_id(r, i), NULL, 0));
		char *u = strstr(json, "\"updated\":\"");
		assert_non_null(u);
		u += 11;
		u[10] = '\0';
		if (prev)
			assert_true(strcmp(prev, u) >= 0);
		free(prev);
		prev = strdup(u);
		kbs_string_free(json);
	}
	free(prev);
	kbs_results_free(r);
}

static void snippets_mark_matched_words(void **state)
{
	(void)state;
	kbs_results *r = tu_search(corpus, "abonnements résiliation", NULL);
	assert_true(kbs_results_count(r) > 0);
	const char *s = kbs_results_snippet(r, 0);
	assert_non_null(s);
	assert_non_null(strstr(s, "<mark>"));
	assert_non_null(strstr(s, "</mark>"));
	assert_true(strlen(s) < 600);
	kbs_results_free(r);

	/* Markup in an article is escaped: the snippet is safe HTML. */
	tu_mini m = tu_mini_kb("{\"id\":\"x\",\"title\":\"Balises\",\"lang\":\"fr\",\"body\":\"<script>x</script> "
			 "compteur & validez.\"}\n");
	r = tu_search(m.kb, "compteur", NULL);
	assert_int_equal(kbs_results_count(r), 1);
	s = kbs_results_snippet(r, 0);
	assert_null(strstr(s, "<script>"));
	assert_non_null(strstr(s, "&lt;script&gt;"));
	assert_non_null(strstr(s, "<mark>compteur</mark> &amp;"));
	kbs_results_free(r);
	tu_mini_free(&m);
}

static void facets_count_each_level(void **state)
{
	(void)state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(corpus, "", &o);
	uint64_t parent = facet(r, KBS_FACET_CATEGORY, "Compte");
	uint64_t kids = facet(r, KBS_FACET_CATEGORY, "Compte/Connexion") +
			facet(r, KBS_FACET_CATEGORY, "Compte/Mot de passe") +
			facet(r, KBS_FACET_CATEGORY, "Compte/Profil");
	assert_true(parent > 0);
	assert_int_equal(parent, kids);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Account"), 0); /* filtered out: en */
	/* Biggest first. */
	for (size_t i = 1; i < kbs_results_facet_count(r, KBS_FACET_TAG); i++)
		assert_true(kbs_results_facet_value(r, KBS_FACET_TAG, i - 1) >=
			    kbs_results_facet_value(r, KBS_FACET_TAG, i));
	kbs_results_free(r);
}

static void confidence_tells_answers_from_guesses(void **state)
{
	(void)state;
	kbs_results *r = tu_search(corpus, "mot de passe oublié", NULL);
	assert_true(kbs_results_confident(r));
	assert_true(kbs_results_confidence(r, 0) >= 50);
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		assert_true(kbs_results_confidence(r, i) >= 0);
		assert_true(kbs_results_confidence(r, i) <= 100);
	}
	kbs_results_free(r);

	/* A real question with an everyday word this knowledge base never
	 * uses ("agace"): that word weighs like a word of one article, not
	 * more than any word the index holds, so the answer stays confident
	 * (it was not, when an unknown word had idf log((N + 1) / 0.5)). */
	r = tu_search(corpus, "mot de passe oublié franchement ça m'agace", NULL);
	if (!kbs_results_confident(r))
		fail_msg("a question with one unknown word came back unsure (top %s at %d)",
			 kbs_results_id(r, 0), kbs_results_confidence(r, 0));
	kbs_results_free(r);

	/* Nothing here is about pizza or cars: hits on "commander" alone are
	 * no answer. */
	static const char *const off_topic[] = { "comment commander une pizza",
						 "my car won't start", "xylophone quantique" };
	for (size_t i = 0; i < 3; i++) {
		r = tu_search(corpus, off_topic[i], NULL);
		if (kbs_results_confident(r))
			fail_msg("\"%s\" came back confident (top %s at %d)", off_topic[i],
				 kbs_results_id(r, 0), kbs_results_confidence(r, 0));
		kbs_results_free(r);
	}
}

static void hostile_queries_never_fail_badly(void **state)
{
	(void)state;
	static const char *const odd[] = { "\"", "\"mot de passe", "-", "- -- ---", "((((", "*",
					   "AND OR NOT", "l'", "’’’", "a", "\t\n" };
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		kbs_results *r = NULL;
		kbs_status rc = kbs_search(&r, corpus, odd[i], NULL);
		if (rc != KBS_OK)
			fail_msg("query \"%s\" failed: %s", odd[i], kbs_errmsg(corpus));
		kbs_results_free(r);
	}
	char *big = malloc(KBS_MAX_QUERY_BYTES + 2);
	memset(big, 'a', KBS_MAX_QUERY_BYTES + 1);
	big[KBS_MAX_QUERY_BYTES + 1] = '\0';
	kbs_results *r = NULL;
	assert_int_equal(kbs_search(&r, corpus, big, NULL), KBS_EINVALID);
	assert_null(r);
	assert_non_null(strstr(kbs_errmsg(corpus), "limit"));
	/* At the limit, a long run of words is fine. */
	for (size_t i = 0; i < KBS_MAX_QUERY_BYTES; i += 8)
		memcpy(big + i, "facture ", 8);
	big[KBS_MAX_QUERY_BYTES] = '\0';
	assert_kbs_ok(corpus, kbs_search(&r, corpus, big, NULL));
	kbs_results_free(r);
	free(big);
	assert_int_equal(kbs_search(&r, corpus, "factur\xe9", NULL), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(corpus), "UTF-8"));
}

/* Facet counts are exact over thousands of matches, not a sample of the
 * best ones. */
static void facets_count_thousands_of_matches_exactly(void **state)
{
	(void)state;
	kbs_buf jsonl = { 0 };
	for (int i = 0; i < 3000; i++)
		kbs_buf_addf(&jsonl,
			     "{\"id\":\"a%d\",\"title\":\"Article %d\",\"lang\":\"fr\","
			     "\"category\":\"%s\",\"body\":\"Un mot commun, puis %s.\"}\n",
			     i, i, i % 3 ? "Deux" : "Un", i % 3 ? "autre chose" : "du texte");
	tu_mini m = tu_mini_buf(&jsonl);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	kbs_results *r = NULL;
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "commun", &o));
	assert_int_equal(kbs_results_total(r), 3000);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Un"), 1000);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Deux"), 2000);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* Fewer matches than the engine ranks at once are counted from the
 * ranking itself (no second pass): the same exact counts, on any page. */
static void facets_count_few_matches_exactly(void **state)
{
	(void)state;
	kbs_buf jsonl = { 0 };
	for (int i = 0; i < 70; i++)
		kbs_buf_addf(&jsonl,
			     "{\"id\":\"a%d\",\"title\":\"Article %d\",\"lang\":\"fr\","
			     "\"category\":\"%s\",\"tags\":[\"t%d\"],\"body\":\"Un mot %s.\"}\n",
			     i, i, i % 3 ? "Deux" : "Un", i % 2, i < 30 ? "rare" : "commun");
	tu_mini m = tu_mini_buf(&jsonl);
	for (size_t page = 0; page < 2; page++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.limit = 5;
		o.offset = 5 * page;
		kbs_results *r = NULL;
		assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "rare", &o));
		assert_int_equal(kbs_results_total(r), 30);
		assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Un"), 10);
		assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Deux"), 20);
		assert_int_equal(facet(r, KBS_FACET_TAG, "t0"), 15);
		assert_int_equal(facet(r, KBS_FACET_TAG, "t1"), 15);
		kbs_results_free(r);
	}
	tu_mini_free(&m);
}

/* The total and the facets of a search that matches more than the
 * engine ranks at once are counted apart from the ranking, by evaluating
 * the query over bitmaps of its posting lists, a window of docids at a
 * time (lib/store). They must say what paging through the whole ranking
 * finds, for each shape of query the plan builds: words with their title
 * and tag stems, a multi-word synonym (a phrase) and a "phrase", an
 * exclusion, a close spelling, the word being typed, every language at
 * once, another audience; on an index with deleted articles and more
 * docids than one window, with words only at its beginning or its end.
 * Past CHECK_AT_LEAST (5 000) matches, the total is an estimate and the
 * facets count the first 5 000. */
static void counts_agree_with_the_ranking(void **state)
{
	(void)state;
	static const char *const words[] = { "compteur", "facture", "contrat", "mot de passe",
					     "relevé", "paiement", "gaz", "électricité" };
	const unsigned n = 5800;
	kbs_buf b = { 0 };
	for (unsigned i = 0; i < n; i++)
		kbs_buf_addf(&b,
			     "{\"id\":\"a%u\",\"title\":\"%s %u\",\"lang\":\"%s\",\"category\":\"C%u\","
			     "\"tags\":[\"t%u\"],%s\"body\":\"Le %s et le %s, puis %s. Commun %s.\"}\n",
			     i, i % 4 ? "Article" : words[i / 4 % 8], i, i % 5 ? "fr" : "en", i % 3,
			     i / 3 % 8, i % 37 ? "" : "\"audience\":[\"agent\"],", words[i % 8],
			     words[i / 8 % 8],
			     i % 11 == 0 ? words[i * 5 / 3 % 8] : i % 2 ? "le mot de la fin passe" : "rien",
			     i < 1000 ? "ancien" : i >= n - 1000 ? "récent" : "");
	tu_mini m = tu_mini_buf(&b);
	kbs_indexer *ix = NULL;
	assert_kbs_ok(m.kb, kbs_indexer_new(&ix, m.kb, NULL));
	for (unsigned i = 0; i < n; i += 13) {
		char id[16];
		snprintf(id, sizeof id, "a%u", i);
		assert_kbs_ok(m.kb, kbs_indexer_delete(ix, id));
	}
	assert_kbs_ok(m.kb, kbs_indexer_commit(ix, NULL));
	kbs_indexer_free(ix);
	const char *syn = "mdp, mot de passe\ncompteur => relevé\n";
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", syn, strlen(syn)));

	static const struct {
		const char *q, *lang, *role;
	} rows[] = {
		{ "compteur", "fr", NULL },	       { "facture contrat", "fr", NULL },
		{ "mdp", "fr", NULL },		       { "\"mot de passe\" gaz", "fr", NULL },
		{ "paiement -gaz", "fr", NULL },       { "compteru facture", "fr", NULL },
		{ "contrat paie", "fr", NULL },	       { "electricite", NULL, NULL },
		{ "facture compteur", NULL, "agent" }, { "mot de passe", NULL, NULL },
		{ "récent -gaz", "fr", NULL },	       { "ancien gaz", NULL, NULL },
	};
	for (size_t k = 0; k < sizeof rows / sizeof *rows; k++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = rows[k].lang;
		const char *roles[] = { rows[k].role };
		if (rows[k].role) {
			o.roles = roles;
			o.nroles = 1;
		}
		kbs_results *first = tu_search(m.kb, rows[k].q, &o);
		uint64_t total = kbs_results_total(first), seen = 0, cat[3] = { 0 }, tag[8] = { 0 };
		o.limit = KBS_MAX_LIMIT;
		o.flags = KBS_SEARCH_NO_SNIPPETS;
		for (o.offset = 0;; o.offset += o.limit) {
			kbs_results *r = tu_search(m.kb, rows[k].q, &o);
			size_t got = kbs_results_count(r);
			for (size_t i = 0; i < got; i++) {
				seen++;
				cat[kbs_results_category(r, i)[1] - '0']++;
				tag[kbs_results_tag(r, i, 0)[1] - '0']++;
			}
			kbs_results_free(r);
			if (got < o.limit)
				break;
		}
		if (seen <= 50 || total != seen)
			fail_msg("\"%s\": total %" PRIu64 ", %" PRIu64 " found by paging (more than 50 wanted)",
				 rows[k].q, total, seen);
		for (unsigned c = 0; c < 3; c++) {
			char label[4];
			snprintf(label, sizeof label, "C%u", c);
			if (facet(first, KBS_FACET_CATEGORY, label) != cat[c])
				fail_msg("\"%s\": %s counted %" PRIu64 ", %" PRIu64 " by paging", rows[k].q,
					 label, facet(first, KBS_FACET_CATEGORY, label), cat[c]);
		}
		for (unsigned t = 0; t < 8; t++) {
			char label[4];
			snprintf(label, sizeof label, "t%u", t);
			assert_int_equal(facet(first, KBS_FACET_TAG, label), tag[t]);
		}
		kbs_results_free(first);
	}

	/* Every public article: more than 5 000. */
	unsigned visible = 0;
	for (unsigned i = 0; i < n; i++)
		visible += i % 13 != 0 && i % 37 != 0;
	kbs_results *r = tu_search(m.kb, "commun", NULL);
	uint64_t total = kbs_results_total(r);
	if (total <= 5000 || total > visible)
		fail_msg("\"commun\": total %" PRIu64 ", expected an estimate in 5001..%u", total, visible);
	uint64_t counted = 0;
	for (unsigned c = 0; c < 3; c++) {
		char label[4];
		snprintf(label, sizeof label, "C%u", c);
		counted += facet(r, KBS_FACET_CATEGORY, label);
	}
	assert_int_equal(counted, 5000);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* Facets count the labels articles have now: a handle that counted them
 * before an article moved to another category, or was removed, must not
 * count its old labels (it reads each article's labels once per index
 * revision). */
static void facets_follow_reindex(void **state)
{
	(void)state;
	static const char *const before[] = {
		"{\"id\":\"a\",\"title\":\"Compteur\",\"lang\":\"fr\",\"category\":\"Un\","
		"\"tags\":[\"vieux\"],\"body\":\"Le compteur.\"}\n",
		"{\"id\":\"b\",\"title\":\"Compteur bis\",\"lang\":\"fr\",\"category\":\"Un\","
		"\"body\":\"Le compteur.\"}\n",
		"{\"id\":\"c\",\"title\":\"Compteur ter\",\"lang\":\"fr\",\"category\":\"Deux\","
		"\"body\":\"Le compteur.\"}\n",
	};
	kbs_buf b = { 0 };
	for (size_t i = 0; i < 3; i++)
		kbs_buf_adds(&b, before[i]);
	tu_mini m = tu_mini_buf(&b);
	kbs_results *r = NULL;
	for (int round = 0; round < 2; round++) { /* twice: read, then remembered */
		assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", NULL));
		assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Un"), 2);
		assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Deux"), 1);
		assert_int_equal(facet(r, KBS_FACET_TAG, "vieux"), 1);
		kbs_results_free(r);
	}
	/* "a" moves to "Trois" and loses its tag; "c" is gone. */
	tu_mini_reindex(&m, "{\"id\":\"a\",\"title\":\"Compteur\",\"lang\":\"fr\",\"category\":\"Trois\","
		    "\"tags\":[\"neuf\"],\"body\":\"Le compteur.\"}\n"
		    "{\"id\":\"b\",\"title\":\"Compteur bis\",\"lang\":\"fr\",\"category\":\"Un\","
		    "\"body\":\"Le compteur.\"}\n");
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", NULL));
	assert_int_equal(kbs_results_total(r), 2);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Un"), 1);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Trois"), 1);
	assert_int_equal(facet(r, KBS_FACET_CATEGORY, "Deux"), 0);
	assert_int_equal(facet(r, KBS_FACET_TAG, "vieux"), 0);
	assert_int_equal(facet(r, KBS_FACET_TAG, "neuf"), 1);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* Who sees what, and in which language, is kept per index revision (the
 * store's KBS_Q_KEPT sets): after a re-index that closes one article, opens
 * another and adds a third in English, a handle that searched before must
 * filter by the articles as they are now, in its hits and its totals. */
static void audience_follows_reindex(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb("{\"id\":\"a\",\"title\":\"Compteur\",\"lang\":\"fr\","
			       "\"body\":\"Le compteur.\"}\n"
			       "{\"id\":\"b\",\"title\":\"Compteur bis\",\"lang\":\"fr\","
			       "\"audience\":[\"agent\"],\"body\":\"Le compteur.\"}\n");
	kbs_search_opts fr = KBS_SEARCH_OPTS_INIT;
	fr.lang = "fr";
	kbs_results *r = NULL;
	for (int round = 0; round < 2; round++) { /* twice: made, then kept */
		assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", &fr));
		assert_int_equal(kbs_results_count(r), 1);
		assert_string_equal(kbs_results_id(r, 0), "a");
		assert_int_equal(kbs_results_total(r), 1);
		kbs_results_free(r);
	}
	tu_mini_reindex(&m, "{\"id\":\"a\",\"title\":\"Compteur\",\"lang\":\"fr\","
			    "\"audience\":[\"agent\"],\"body\":\"Le compteur.\"}\n"
			    "{\"id\":\"b\",\"title\":\"Compteur bis\",\"lang\":\"fr\","
			    "\"body\":\"Le compteur.\"}\n"
			    "{\"id\":\"c\",\"title\":\"Compteur\",\"lang\":\"en\","
			    "\"body\":\"The compteur.\"}\n");
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", &fr));
	assert_int_equal(kbs_results_count(r), 1);
	assert_string_equal(kbs_results_id(r, 0), "b");
	assert_int_equal(kbs_results_total(r), 1);
	kbs_results_free(r);
	kbs_search_opts en = KBS_SEARCH_OPTS_INIT;
	en.lang = "en";
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", &en));
	assert_int_equal(kbs_results_count(r), 1);
	assert_string_equal(kbs_results_id(r, 0), "c");
	kbs_results_free(r);
	/* No language given: each language's words on its own articles. */
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", NULL));
	assert_int_equal(kbs_results_count(r), 2);
	assert_false(hits_have(r, "a"));
	kbs_results_free(r);
	const char *agent[] = { "agent" };
	fr.roles = agent;
	fr.nroles = 1;
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", &fr));
	assert_int_equal(kbs_results_total(r), 2);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* The store keeps the articles of a few dozen filters per revision; the
 * others are applied as terms. Callers with forty different roles each
 * see exactly what their role opens, whichever way their filter runs. */
static void many_role_sets_filter_alike(void **state)
{
	(void)state;
	kbs_buf b = { 0 };
	for (int i = 0; i < 40; i += 4) {
		char line[200];
		snprintf(line, sizeof line,
			 "{\"id\":\"r%d\",\"title\":\"Compteur %d\",\"lang\":\"fr\","
			 "\"audience\":[\"role%d\"],\"body\":\"Le compteur.\"}\n",
			 i, i, i);
		kbs_buf_adds(&b, line);
	}
	kbs_buf_adds(&b, "{\"id\":\"open\",\"title\":\"Compteur\",\"lang\":\"fr\","
			 "\"body\":\"Le compteur.\"}\n");
	tu_mini m = tu_mini_buf(&b);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 40; i++) {
			char role[16], id[16];
			snprintf(role, sizeof role, "role%d", i);
			snprintf(id, sizeof id, "r%d", i);
			const char *roles[] = { role };
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			o.roles = roles;
			o.nroles = 1;
			o.lang = round ? "fr" : NULL;
			kbs_results *r = NULL;
			assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "compteur", &o));
			size_t want = i % 4 == 0 ? 2 : 1;
			assert_int_equal(kbs_results_count(r), want);
			assert_int_equal(kbs_results_total(r), want);
			assert_true(hits_have(r, "open"));
			assert_int_equal(hits_have(r, id), i % 4 == 0);
			kbs_results_free(r);
		}
	}
	tu_mini_free(&m);
}

/* An index made before restricted articles were marked (store.h XH) has
 * restricted articles without the mark: until it is re-indexed, they stay
 * hidden from a public caller all the same. */
/* Roles are labels, folded as the index folds them: an audience written
 * "agEnt" or "Public" opens to the role "agent" or to everyone in search
 * and in article reads alike (a fuzzed audience found reads refusing what
 * search had shown). */
static void roles_are_case_insensitive(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"mixed\",\"title\":\"Procédure zorblax\",\"lang\":\"fr\","
		"\"audience\":[\"agEnt\"],\"body\":\"Zorblax interne.\"}\n"
		"{\"id\":\"open\",\"title\":\"Guide zorblax\",\"lang\":\"fr\","
		"\"audience\":[\"Public\"],\"body\":\"Zorblax pour tous.\"}\n");
	const char *agent[] = { "AGENT" };
	for (int who = 0; who < 2; who++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.roles = who ? agent : NULL;
		o.nroles = who ? 1 : 0;
		kbs_results *r = NULL;
		assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "zorblax", &o));
		assert_int_equal(kbs_results_count(r), who ? 2 : 1);
		for (size_t i = 0; i < kbs_results_count(r); i++) {
			char *json = NULL;
			assert_kbs_ok(m.kb, kbs_article_json(&json, m.kb, kbs_results_id(r, i),
							      o.roles, o.nroles));
			kbs_string_free(json);
		}
		kbs_results_free(r);
		char *json = NULL;
		assert_int_equal(kbs_article_json(&json, m.kb, "mixed", o.roles, o.nroles),
				 who ? KBS_OK : KBS_ENOTFOUND);
		kbs_string_free(json);
	}
	tu_mini_free(&m);
}

static void unmarked_restricted_articles_stay_hidden(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb("{\"id\":\"open\",\"title\":\"Secret ouvert\",\"lang\":\"fr\","
			       "\"body\":\"Un secret pour tous.\"}\n");
	char *index = tu_path(m.dir, "kb/index");
	kbs_store__writer *w = NULL;
	kbs_err err;
	assert_int_equal(kbs_store__writer_open(&w, index, false, &err), KBS_OK);
	/* What an older indexer wrote for an agent-only article. */
	kbs_store__doc *d = kbs_store__doc_new();
	assert_non_null(d);
	const char data[] = "{\"id\":\"closed\",\"title\":\"Secret ferme\",\"lang\":\"fr\","
			    "\"kind\":\"faq\",\"audience\":[\"agent\"]}\nUn secret.";
	assert_true(kbs_store__doc_term(d, KBS_PFX_STEM "secret", 3) &&
		    kbs_store__doc_term(d, KBS_PFX_TITLE "secret", 1) &&
		    kbs_store__doc_boolean(d, KBS_PFX_ROLE "agent") &&
		    kbs_store__doc_boolean(d, KBS_PFX_LANG "fr") &&
		    kbs_store__doc_data(d, data, sizeof data - 1));
	bool existed;
	assert_int_equal(kbs_store__writer_replace(w, KBS_PFX_ID "closed", d, &existed, &err), KBS_OK);
	assert_int_equal(kbs_store__writer_commit(w, &err), KBS_OK);
	kbs_store__doc_free(d);
	kbs_store__writer_free(w);

	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	kbs_results *r = NULL;
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "secret", &o));
	assert_int_equal(kbs_results_count(r), 1);
	assert_string_equal(kbs_results_id(r, 0), "open");
	kbs_results_free(r);
	kbs_suggestions *sg = NULL;
	assert_kbs_ok(m.kb, kbs_suggest(&sg, m.kb, "secr", NULL));
	assert_int_equal(kbs_suggestions_count(sg), 1);
	kbs_suggestions_free(sg);
	/* Its own role still opens it. */
	const char *roles[] = { "agent" };
	o.roles = roles;
	o.nroles = 1;
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "secret", &o));
	assert_int_equal(kbs_results_count(r), 2);
	kbs_results_free(r);
	free(index);
	tu_mini_free(&m);
}

int main(void)
{
	const struct CMUnitTest corpus_tests[] = {
		cmocka_unit_test(corpus_answers_real_questions),
		cmocka_unit_test(composed_and_decomposed_queries_agree),
		cmocka_unit_test(filters_restrict_hits),
		cmocka_unit_test(roles_never_leak),
		cmocka_unit_test(phrase_synonym_weighs_only_where_it_is),
		cmocka_unit_test(pagination_is_consistent),
		cmocka_unit_test(browse_lists_a_category_newest_first),
		cmocka_unit_test(snippets_mark_matched_words),
		cmocka_unit_test(facets_count_each_level),
		cmocka_unit_test(confidence_tells_answers_from_guesses),
		cmocka_unit_test(hostile_queries_never_fail_badly),
	};
	const struct CMUnitTest mini_tests[] = {
		cmocka_unit_test(title_match_ranks_above_body_match),
		cmocka_unit_test(accented_query_prefers_accented_text),
		cmocka_unit_test(tags_and_category_words_count),
		cmocka_unit_test(cjk_text_is_split_into_words),
		cmocka_unit_test(unmarked_restricted_articles_stay_hidden),
		cmocka_unit_test(roles_are_case_insensitive),
		cmocka_unit_test(facets_count_thousands_of_matches_exactly),
		cmocka_unit_test(facets_count_few_matches_exactly),
		cmocka_unit_test(counts_agree_with_the_ranking),
		cmocka_unit_test(facets_follow_reindex),
		cmocka_unit_test(audience_follows_reindex),
		cmocka_unit_test(many_role_sets_filter_alike),
	};
	int failed = cmocka_run_group_tests_name("ranking", mini_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("corpus", corpus_tests, setup_corpus, teardown_corpus);
	return failed;
}
