/*
 * What the query side understands beyond plain words: close spellings
 * (bounds that must and must not match, the first-letter rule) and the
 * corrected query, the word being typed as a prefix, "phrases" and
 * -exclusions, hostile text, the confidence flag, segment boosts, answer
 * mode and suggestions.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "common.h"

/* ---- close spellings ---- */

/* One word per article, nothing else in common. */
static const char *const WORDS =
	"{\"id\":\"facture\",\"title\":\"Facture\",\"lang\":\"fr\",\"body\":\"Facture.\"}\n"
	"{\"id\":\"gaz\",\"title\":\"Gaz\",\"lang\":\"fr\",\"body\":\"Gaz.\"}\n"
	"{\"id\":\"linky\",\"title\":\"Linky\",\"lang\":\"fr\",\"body\":\"Linky.\"}\n"
	"{\"id\":\"compteur\",\"title\":\"Compteur\",\"lang\":\"fr\",\"body\":\"Compteur.\"}\n"
	"{\"id\":\"installation\",\"title\":\"Installation\",\"lang\":\"fr\",\"body\":\"Installation.\"}\n";

static void typo_bounds(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(WORDS);
	static const struct {
		const char *q, *id; /* id NULL: nothing may match */
		const char *why;
	} rows[] = {
		{ "facturr", "facture", "7 letters, 1 substitution" },
		{ "fcture", "facture", "6 letters, 1 deletion" },
		{ "factrue", "facture", "a transposition is one edit" },
		{ "facturee", "facture", "1 insertion" },
		{ "fxctuer", NULL, "7 letters, 2 edits: one too many" },
		{ "vacture", NULL, "7 letters: the first letter never changes" },
		{ "gax", NULL, "3 letters: no typo at all" },
		{ "linkk", "linky", "5 letters, 1 edit" },
		{ "lnkyy", NULL, "5 letters, 2 edits" },
		{ "lonky", "linky", "4+ letters, 1 edit after the first" },
		{ "conpteir", "compteur", "8 letters, 2 edits" },
		{ "kompteur", "compteur", "8 letters: a first-letter edit, alone, is allowed" },
		{ "konpteur", NULL, "8 letters: first letter plus another edit is too many" },
		{ "instalation", "installation", "long word, 1 edit" },
		{ "instalatoin", "installation", "long word, 2 edits" },
		{ "instalatoinn", NULL, "long word, 3 edits" },
	};
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		/* A trailing space: not a prefix being typed. */
		char q[64];
		snprintf(q, sizeof q, "%s ", rows[i].q);
		kbs_results *r = tu_search(m.kb, q, &o);
		if (rows[i].id ? tu_rank_of(r, rows[i].id) != 0 : kbs_results_count(r) != 0)
			fail_msg("row %zu (%s): \"%s\" -> %zu hits, first %s", i, rows[i].why, rows[i].q,
				 kbs_results_count(r), kbs_results_count(r) ? kbs_results_id(r, 0) : "none");
		kbs_results_free(r);
	}
	tu_mini_free(&m);
	/* A stop word or a filler is no close spelling: "pouf" is not "pour"
	 * (which every French article holds), "avek" not "avec", "doiz" not
	 * "dois". */
	m = tu_mini_kb("{\"id\":\"card\",\"title\":\"Payer pour voir\",\"lang\":\"fr\",\"body\":\"Pour payer avec la carte, je dois faire vite.\"}\n");
	static const char *const none[] = { "pouf ", "avek ", "doiz " };
	for (size_t i = 0; i < sizeof none / sizeof *none; i++) {
		kbs_results *r = tu_search(m.kb, none[i], &o);
		if (kbs_results_count(r) != 0)
			fail_msg("\"%s\" -> %zu hits, corrected to \"%s\"", none[i], kbs_results_count(r),
				 kbs_results_corrected_query(r) ? kbs_results_corrected_query(r) : "");
		kbs_results_free(r);
	}
	kbs_results *r = tu_search(m.kb, "payr ", &o);
	assert_int_equal(tu_rank_of(r, "card"), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
	/* A word of the language's dictionary is spelt as meant, even when the
	 * index lacks it: "courriel" (e-mail) is no slip for "courrier" (post),
	 * "compter" no slip for "compteur"; neither is corrected. A slip the
	 * dictionary does not know still finds its word. */
	m = tu_mini_kb("{\"id\":\"post\",\"title\":\"Le courrier\",\"lang\":\"fr\",\"body\":\"Votre courrier arrive au compteur.\"}\n");
	static const char *const meant[] = { "mon courriel ", "compter " };
	for (size_t i = 0; i < sizeof meant / sizeof *meant; i++) {
		r = tu_search(m.kb, meant[i], &o);
		if (kbs_results_corrected_query(r))
			fail_msg("\"%s\" -> corrected to \"%s\"", meant[i],
				 kbs_results_corrected_query(r));
		kbs_results_free(r);
	}
	r = tu_search(m.kb, "courier ", &o);
	assert_int_equal(tu_rank_of(r, "post"), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
}

static void correction(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(WORDS);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	/* The only match is by a close spelling: the corrected query runs and
	 * says so. */
	kbs_results *r = tu_search(m.kb, "ma facturr", &o);
	assert_non_null(kbs_results_corrected_query(r));
	assert_string_equal(kbs_results_corrected_query(r), "ma facture");
	assert_string_equal(kbs_results_query(r), "ma facturr");
	assert_int_equal(tu_rank_of(r, "facture") >= 0, 1);
	assert_true(kbs_results_confident(r));
	kbs_results_free(r);
	/* Spelt right: nothing to correct. */
	r = tu_search(m.kb, "facture", &o);
	assert_null(kbs_results_corrected_query(r));
	kbs_results_free(r);
	/* Nothing close: nothing corrected, nothing found. */
	r = tu_search(m.kb, "xylophone", &o);
	assert_null(kbs_results_corrected_query(r));
	assert_int_equal(kbs_results_count(r), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
	/* The correction is shown as the articles spell it: with the accents
	 * of the spelling most of them use, in the case the visitor typed,
	 * an elided article kept. */
	m = tu_mini_kb(
		"{\"id\":\"lock\",\"title\":\"Compte verrouillé\",\"lang\":\"fr\",\"body\":\"Votre compte est verrouillé.\"}\n"
		"{\"id\":\"bill\",\"title\":\"Votre facture\",\"lang\":\"fr\",\"body\":\"La facture du mois.\"}\n"
		"{\"id\":\"paid\",\"title\":\"Une facture\",\"lang\":\"fr\",\"body\":\"Le mois est facturé.\"}\n"
		"{\"id\":\"cert\",\"title\":\"L'attestation\",\"lang\":\"fr\",\"body\":\"Votre attestation.\"}\n");
	static const struct {
		const char *typed, *shown;
	} shown[] = {
		{ "compte verrouilé", "compte verrouillé" }, /* "verrouille" in no article */
		{ "ma facure", "ma facture" },               /* "facturé" in one of two */
		{ "Compte Verrouilé", "Compte Verrouillé" },
		{ "COMPTE VERROUILÉ", "COMPTE VERROUILLÉ" },
		{ "L'ATESTATION", "L'ATTESTATION" },
		{ "mon atestation", "mon attestation" },
	};
	for (size_t i = 0; i < sizeof shown / sizeof *shown; i++) {
		r = tu_search(m.kb, shown[i].typed, &o);
		const char *c = kbs_results_corrected_query(r);
		if (!c || strcmp(c, shown[i].shown) != 0)
			fail_msg("\"%s\" -> corrected to \"%s\", expected \"%s\"", shown[i].typed,
				 c ? c : "(nothing)", shown[i].shown);
		kbs_results_free(r);
	}
	tu_mini_free(&m);
}

/* A word the index lacks but a synonym of the query's language answers is
 * meant, not misspelt: "subscription" (for "contract") in an English query
 * is not corrected to French "souscription", whose article would come
 * second (it was, and the visitor read "cancel my souscription"). Without
 * such a synonym the same word is still corrected. */
static void synonym_is_no_typo(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"en\",\"title\":\"Cancel your contract\",\"lang\":\"en\",\"body\":"
		"\"You can end your contract online at any time.\"}\n"
		"{\"id\":\"en2\",\"title\":\"Cancel an appointment\",\"lang\":\"en\",\"body\":"
		"\"Cancel a technician visit from your account.\"}\n"
		"{\"id\":\"fr\",\"title\":\"Votre souscription en ligne\",\"lang\":\"fr\",\"body\":"
		"\"La souscription se fait en ligne, et ma souscription est confirmée par e-mail.\"}\n");
	const char *syn = "contract, subscription\n";
	for (int with = 0; with < 2; with++) {
		if (with)
			assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "en", syn, strlen(syn)));
		for (int given = 0; given < 2; given++) {
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			o.lang = given ? "en" : NULL;
			kbs_results *r = tu_search(m.kb, "cancel my subscription", &o);
			if (with) {
				assert_null(kbs_results_corrected_query(r));
				assert_string_equal(kbs_results_id(r, 0), "en");
				assert_int_equal(tu_rank_of(r, "fr"), -1);
			} else if (!given) {
				assert_non_null(kbs_results_corrected_query(r));
				assert_string_equal(kbs_results_corrected_query(r), "cancel my souscription");
			}
			kbs_results_free(r);
		}
	}
	tu_mini_free(&m);
}

/* A query that may be corrected is counted (total, facets) only once it
 * is known which query answers: whether the correction answers or the
 * query as typed does, the counts are those of the query that ran. */
static void counts_of_the_query_that_ran(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"i1\",\"title\":\"Installer l'application\",\"lang\":\"fr\","
		"\"category\":\"Appli\",\"tags\":[\"mobile\"],\"body\":\"Installer l'application.\"}\n"
		"{\"id\":\"i2\",\"title\":\"Installer sur tablette\",\"lang\":\"fr\","
		"\"category\":\"Appli\",\"body\":\"Installer sur une tablette.\"}\n"
		"{\"id\":\"i3\",\"title\":\"Installer le boîtier\",\"lang\":\"fr\","
		"\"category\":\"Box\",\"body\":\"Installer le boîtier.\"}\n"
		"{\"id\":\"i4\",\"title\":\"Installer un compteur\",\"lang\":\"fr\","
		"\"category\":\"Box\",\"body\":\"Installer un compteur.\"}\n"
		"{\"id\":\"f1\",\"title\":\"Payer sa facture\",\"lang\":\"fr\","
		"\"category\":\"Factures\",\"tags\":[\"mobile\"],\"body\":\"La facture se paie.\"}\n");
	static const struct {
		const char *typed, *same_as;
		bool corrected;
	} rows[] = {
		{ "instaler", "installer", true },		 /* the correction answers */
		{ "facture instaler", "facture installer", false }, /* the query as typed does */
		{ "facture", "facture", false },		 /* nothing to correct */
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = "fr";
		kbs_results *typed = tu_search(m.kb, rows[i].typed, &o);
		kbs_results *same = tu_search(m.kb, rows[i].same_as, &o);
		assert_int_equal(kbs_results_corrected_query(typed) != NULL, rows[i].corrected);
		char *a = tu_facets_text(typed), *b = tu_facets_text(same);
		if (strcmp(a, b) != 0 || kbs_results_facet_count(typed, KBS_FACET_CATEGORY) == 0)
			fail_msg("\"%s\": %s; \"%s\": %s", rows[i].typed, a, rows[i].same_as, b);
		free(a);
		free(b);
		kbs_results_free(typed);
		kbs_results_free(same);
	}
	tu_mini_free(&m);
}

/* Close spellings and completions come from the index as it is now: a
 * handle that looked for them before a commit added a word finds it after
 * (the engine's words are kept per index revision). */
static void spellings_follow_commits(void **state)
{
	(void)state;
	static const char facture[] =
		"{\"id\":\"f\",\"title\":\"Payer sa facture\",\"lang\":\"fr\",\"body\":\"Par carte.\"}\n";
	tu_mini m = tu_mini_kb(facture);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(m.kb, "compteer", &o);
	assert_null(kbs_results_corrected_query(r));
	assert_int_equal(kbs_results_count(r), 0);
	kbs_results_free(r);
	kbs_suggestions *s = NULL;
	assert_kbs_ok(m.kb, kbs_suggest(&s, m.kb, "compt", NULL));
	assert_int_equal(kbs_suggestions_count(s), 0);
	kbs_suggestions_free(s);
	r = tu_search(m.kb, "compt", &o);
	assert_int_equal(kbs_results_count(r), 0);
	kbs_results_free(r);

	kbs_buf b = { 0 };
	kbs_buf_adds(&b, facture);
	kbs_buf_adds(&b, "{\"id\":\"c\",\"title\":\"Relever son compteur\",\"lang\":\"fr\","
			 "\"body\":\"Le compteur affiche un index.\"}\n");
	assert_false(b.oom);
	tu_mini_reindex(&m, b.data);
	kbs_buf_free(&b);
	r = tu_search(m.kb, "compteer", &o);
	assert_non_null(kbs_results_corrected_query(r));
	assert_string_equal(kbs_results_corrected_query(r), "compteur");
	assert_int_equal(tu_rank_of(r, "c"), 0);
	kbs_results_free(r);
	r = tu_search(m.kb, "compt", &o); /* being typed */
	assert_int_equal(tu_rank_of(r, "c"), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* A close spelling is drawn only from articles the caller may see: a word
 * only agents' articles hold must not reach a customer in the corrected
 * query, even when it is the most frequent close spelling. */
static void correction_only_from_visible(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"a1\",\"title\":\"Compteur interne\",\"lang\":\"fr\","
		"\"audience\":[\"agent\"],\"body\":\"Compteur.\"}\n"
		"{\"id\":\"a2\",\"title\":\"Compteur de tickets\",\"lang\":\"fr\","
		"\"audience\":[\"agent\"],\"body\":\"Compteur.\"}\n"
		"{\"id\":\"p1\",\"title\":\"Compter les jours\",\"lang\":\"fr\","
		"\"body\":\"Compter.\"}\n");
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(m.kb, "compteir ", &o);
	assert_non_null(kbs_results_corrected_query(r));
	assert_string_equal(kbs_results_corrected_query(r), "compter ");
	for (size_t i = 0; i < kbs_results_count(r); i++)
		assert_string_equal(kbs_results_id(r, i), "p1");
	kbs_results_free(r);
	const char *agent[] = { "agent" };
	o.roles = agent;
	o.nroles = 1;
	r = tu_search(m.kb, "compteir ", &o);
	assert_non_null(kbs_results_corrected_query(r));
	assert_string_equal(kbs_results_corrected_query(r), "compteur ");
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* A word matched exactly ranks above a word matched by a close spelling
 * (same rarity: one article each). */
static void exact_above_typo(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(WORDS);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(m.kb, "facturr linky ", &o);
	assert_int_equal(tu_rank_of(r, "linky"), 0);
	assert_int_equal(tu_rank_of(r, "facture"), 1);
	assert_true(kbs_results_score(r, 0) > kbs_results_score(r, 1));
	kbs_results_free(r);
	r = tu_search(m.kb, "linky facturr ", &o);
	assert_int_equal(tu_rank_of(r, "linky"), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* Another form of an indexed word, too far for a close spelling: the
 * indexed stem its own extends ("justifi" -> "justif"); never a stem so
 * far from the word that it is another word. */
static const char *const FORMS =
	"{\"id\":\"justificatif\",\"title\":\"Justificatif de domicile\",\"lang\":\"fr\",\"body\":\"Téléchargez le justificatif.\"}\n"
	"{\"id\":\"informations\",\"title\":\"Vos informations bancaires\",\"lang\":\"fr\",\"body\":\"Modifiez vos informations.\"}\n"
	"{\"id\":\"justice\",\"title\":\"Justice\",\"lang\":\"fr\",\"body\":\"Justice.\"}\n";

static void derived_forms(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(FORMS);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(m.kb, "justifier mon adresse ", &o);
	assert_int_equal(tu_rank_of(r, "justificatif"), 0);
	assert_int_equal(tu_rank_of(r, "justice"), -1);
	/* No close spelling was involved: nothing to correct. */
	assert_null(kbs_results_corrected_query(r));
	kbs_results_free(r);
	/* "justi" + 2 is more than a form of "justice" or "justif". */
	r = tu_search(m.kb, "justissimes ", &o);
	assert_int_equal(kbs_results_count(r), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* ---- syntax ---- */

static const char *const PHRASES =
	"{\"id\":\"a\",\"title\":\"Mot de passe oublié\",\"lang\":\"fr\",\"body\":\"Choisissez un nouveau mot de passe.\"}\n"
	"{\"id\":\"b\",\"title\":\"Un mot en passant\",\"lang\":\"fr\",\"body\":\"Il passe sans un mot.\"}\n"
	"{\"id\":\"c\",\"title\":\"Résiliation\",\"lang\":\"fr\",\"body\":\"La résiliation du contrat est gratuite.\"}\n";

static void phrase_and_exclusion(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(PHRASES);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	static const struct {
		const char *q;
		const char *ids; /* the hits, in any order, space-separated */
		const char *why;
	} rows[] = {
		{ "mot passe", "a b", "plain words: both" },
		{ "\"mot de passe\"", "a", "a phrase, word for word" },
		{ "“Mot-de-Passe”", "a", "curly quotes, hyphens and case" },
		{ "« mot de passe »", "a", "French quotes" },
		{ "\"passe mot\"", "", "a phrase keeps its order" },
		{ "mot -oublié", "b", "an exclusion" },
		{ "mot -\"de passe\"", "b", "an excluded phrase" },
		{ "mot - passe", "a b", "a lone minus is nothing" },
		{ "e-mail mot", "a b", "a hyphen inside a word is no operator" },
		{ "\"mot de passe", "a b", "an unbalanced quote is a character" },
		{ "-oublié", "a", "only exclusions: searched as words" },
		{ "résiliation -", "c", "a trailing minus" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_results *r = tu_search(m.kb, rows[i].q, &o);
		char got[64] = "";
		for (size_t h = 0; h < kbs_results_count(r); h++)
			snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s", h ? " " : "",
				 kbs_results_id(r, h));
		size_t want = 0;
		bool ok = true;
		for (const char *s = rows[i].ids; *s; s++)
			if (*s != ' ') {
				want++;
				char id[2] = { *s, 0 };
				ok &= tu_rank_of(r, id) >= 0;
			}
		if (!ok || want != kbs_results_count(r))
			fail_msg("row %zu (%s): \"%s\" -> [%s], expected [%s]", i, rows[i].why, rows[i].q, got,
				 rows[i].ids);
		kbs_results_free(r);
	}
	tu_mini_free(&m);
}

static void prefix_as_you_type(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(PHRASES);
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *r = tu_search(m.kb, "resil", &o);
	assert_int_equal(tu_rank_of(r, "c"), 0);
	assert_non_null(strstr(kbs_results_snippet(r, 0), "<mark>résiliation</mark>"));
	kbs_results_free(r);
	/* The last word only, and only while it is being typed. */
	r = tu_search(m.kb, "resil ", &o);
	assert_int_equal(tu_rank_of(r, "c"), -1);
	kbs_results_free(r);
	r = tu_search(m.kb, "resil contrat", &o);
	assert_int_equal(tu_rank_of(r, "c"), 0);
	kbs_results_free(r);
	/* Too short to mean anything yet. */
	r = tu_search(m.kb, "re", &o);
	assert_int_equal(kbs_results_count(r), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
	/* A stop word is nothing being typed: "pou" is "poubelle", not every
	 * article that says "pour". */
	m = tu_mini_kb("{\"id\":\"bin\",\"title\":\"Tri\",\"lang\":\"fr\",\"body\":\"La poubelle jaune.\"}\n"
		       "{\"id\":\"for\",\"title\":\"Valider\",\"lang\":\"fr\",\"body\":\"Cliquez pour valider.\"}\n");
	r = tu_search(m.kb, "pou", &o);
	assert_int_equal(tu_rank_of(r, "bin"), 0);
	assert_int_equal(kbs_results_count(r), 1);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* ---- hostile text ---- */

static char *corpus_dir;
static kbs_kb *corpus;

static int setup_corpus(void **state)
{
	(void)state;
	corpus_dir = tu_tmpdir();
	const char *paths[] = { KBS_CORPUS "/articles", KBS_CORPUS "/export.jsonl" };
	kbs_index_summary s;
	corpus = tu_kb_index(corpus_dir, paths, 2, &s, NULL);
	if (kbs_synonyms_load_file(corpus, NULL, KBS_CORPUS "/synonyms.fr.txt") != KBS_OK ||
	    kbs_synonyms_load_file(corpus, NULL, KBS_CORPUS "/synonyms.en.txt") != KBS_OK)
		fail_msg("corpus synonyms: %s", kbs_errmsg(corpus));
	return s.rejected == 0 ? 0 : -1;
}

static int teardown_corpus(void **state)
{
	(void)state;
	kbs_close(corpus);
	tu_rmtree(corpus_dir);
	free(corpus_dir);
	return 0;
}

static void hostile_text(void **state)
{
	(void)state;
	static const char *const odd[] = {
		"\"", "\"\"", "\"\"\"", "-", "--", "-\"", "-\"\"", "- - -", "\"-\"", "-\"mot",
		"« »", "«", "“", "”mot“", "-- -facture", "----facture", "\"mot\" -", "*", "?",
		"-a -b -c", "AND OR NOT", "\"de la\"", "-de", "l' -l'", "’’’", "\t\n", "\xc2\xa0",
		"facture\"\"\"\"\"\"-", "mot \"de\" \"passe",
	};
	for (size_t i = 0; i < sizeof odd / sizeof *odd; i++) {
		kbs_results *r = NULL;
		if (kbs_search(&r, corpus, odd[i], NULL) != KBS_OK)
			fail_msg("query \"%s\" failed: %s", odd[i], kbs_errmsg(corpus));
		kbs_results_free(r);
		kbs_suggestions *s = NULL;
		if (kbs_suggest(&s, corpus, odd[i], NULL) != KBS_OK)
			fail_msg("suggest \"%s\" failed: %s", odd[i], kbs_errmsg(corpus));
		kbs_suggestions_free(s);
	}
	/* 10 000 characters: above KBS_MAX_QUERY_BYTES, a clear error. */
	char *big = malloc(10001);
	memset(big, '-', 10000);
	big[10000] = '\0';
	kbs_results *r = NULL;
	assert_int_equal(kbs_search(&r, corpus, big, NULL), KBS_EINVALID);
	assert_null(r);
	assert_non_null(strstr(kbs_errmsg(corpus), "limit is 4096"));
	assert_int_equal(kbs_answer(&r, corpus, big, NULL), KBS_EINVALID);
	kbs_suggestions *s = NULL;
	assert_int_equal(kbs_suggest(&s, corpus, big, NULL), KBS_EINVALID);
	assert_null(s);
	/* At the limit, every operator mixed with words and misspellings. */
	static const char piece[] = "\"mot -fx \"fact -\"a « ";
	for (size_t i = 0; i + sizeof piece - 1 <= KBS_MAX_QUERY_BYTES; i += sizeof piece - 1)
		memcpy(big + i, piece, sizeof piece - 1);
	big[KBS_MAX_QUERY_BYTES - (KBS_MAX_QUERY_BYTES % (sizeof piece - 1))] = '\0';
	assert_kbs_ok(corpus, kbs_search(&r, corpus, big, NULL));
	kbs_results_free(r);
	for (size_t i = 0; i + 9 <= KBS_MAX_QUERY_BYTES; i += 9)
		memcpy(big + i, "facturrr ", 9);
	big[KBS_MAX_QUERY_BYTES - (KBS_MAX_QUERY_BYTES % 9)] = '\0';
	assert_kbs_ok(corpus, kbs_search(&r, corpus, big, NULL));
	kbs_results_free(r);
	free(big);
	/* Invalid UTF-8: a clear error everywhere. */
	assert_int_equal(kbs_search(&r, corpus, "\"factur\xe9\"", NULL), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(corpus), "UTF-8"));
	assert_int_equal(kbs_answer(&r, corpus, "-\xff", NULL), KBS_EINVALID);
	assert_int_equal(kbs_suggest(&s, corpus, "fac\xc3", NULL), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(corpus), "UTF-8"));
}

/* ---- accents and languages ---- */

/* "e-mail" and "email", "wi-fi" and "wifi", "S.A.V." and "sav": whichever
 * way the article and the visitor write a compound or an acronym, the
 * search finds it, in a quoted phrase too, and the snippet marks it (each
 * way used to miss the other). */
static void written_either_way(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(
		"{\"id\":\"hyphen\",\"title\":\"Changer d'adresse e-mail\",\"lang\":\"fr\",\"body\":"
		"\"Modifiez votre adresse e-mail depuis votre espace.\"}\n"
		"{\"id\":\"joined\",\"title\":\"Le compteur et le wifi\",\"lang\":\"fr\",\"body\":"
		"\"Le compteur se connecte au wifi de la maison. Rechargez le portemonnaie.\"}\n"
		"{\"id\":\"other\",\"title\":\"Payer sa facture\",\"lang\":\"fr\",\"body\":"
		"\"Par carte ou par prélèvement : tout se monnaye.\"}\n"
		"{\"id\":\"acronym\",\"title\":\"Joindre le S.A.V.\",\"lang\":\"fr\",\"body\":"
		"\"Le S.A.V. répond en semaine.\"}\n");
	static const struct {
		const char *q, *id, *marked;
	} rows[] = {
		{ "email", "hyphen", "<mark>e</mark>-<mark>mail</mark>" },
		{ "\"adresse email\"", "hyphen", "<mark>adresse</mark> <mark>e</mark>-<mark>mail</mark>" },
		{ "e-mail", "hyphen", "<mark>e</mark>-<mark>mail</mark>" },
		{ "wi-fi", "joined", "<mark>wifi</mark>" },
		{ "wi\u2011fi", "joined", "<mark>wifi</mark>" },
		/* "monnaie" is in no article, but part of a compound that is:
		 * not a slip to be matched by its close spelling "monnaye". */
		{ "porte-monnaie", "joined", "<mark>portemonnaie</mark>" },
		{ "sav", "acronym", "<mark>S.A.V</mark>" },
		{ "S.A.V.", "acronym", "<mark>S.A.V</mark>" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = "fr";
		kbs_results *r = tu_search(m.kb, rows[i].q, &o);
		if (kbs_results_count(r) == 0 || strcmp(kbs_results_id(r, 0), rows[i].id) != 0 ||
		    !strstr(kbs_results_snippet(r, 0), rows[i].marked) || !kbs_results_confident(r))
			fail_msg("%s: %zu hits, first %s: %s", rows[i].q, kbs_results_count(r),
				 kbs_results_count(r) ? kbs_results_id(r, 0) : "-",
				 kbs_results_count(r) ? kbs_results_snippet(r, 0) : "-");
		assert_int_equal(tu_rank_of(r, "other"), -1);
		assert_null(kbs_results_corrected_query(r));
		kbs_results_free(r);
	}
	tu_mini_free(&m);
}

/* An elision typed without its apostrophe ("narrive", "dadresse") is read
 * as if the apostrophe were there: the same hits, in the same order, as
 * confident, with no correction to show, in French or with no language
 * given. A word of the dictionary is meant as typed ("laide" is ugly, not
 * "l'aide"). */
static void elision_without_apostrophe(void **state)
{
	(void)state;
	static const char *const pairs[][2] = {
		{ "je narrive pas a me connecter", "je n'arrive pas a me connecter" },
		/* a multi-word synonym of moving */
		{ "changement dadresse", "changement d'adresse" },
		{ "installer lappli", "installer l'appli" },
		/* "inscrire": in the dictionary, its stem in no article */
		{ "sinscrire", "s'inscrire" },
		{ "LESPACE client", "L'ESPACE client" },
	};
	static const char *const langs[] = { "fr", NULL };
	for (size_t l = 0; l < 2; l++)
		for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			o.lang = langs[l];
			kbs_results *a = tu_search(corpus, pairs[i][0], &o), *b = tu_search(corpus, pairs[i][1], &o);
			assert_null(kbs_results_corrected_query(a));
			if (kbs_results_count(a) == 0 || kbs_results_count(a) != kbs_results_count(b) ||
			    kbs_results_confident(a) != kbs_results_confident(b))
				fail_msg("\"%s\": %zu hits, \"%s\": %zu", pairs[i][0], kbs_results_count(a),
					 pairs[i][1], kbs_results_count(b));
			for (size_t h = 0; h < kbs_results_count(a); h++)
				if (strcmp(kbs_results_id(a, h), kbs_results_id(b, h)) != 0 ||
				    kbs_results_confidence(a, h) != kbs_results_confidence(b, h))
					fail_msg("\"%s\" #%zu: %s at %d; \"%s\": %s at %d", pairs[i][0], h,
						 kbs_results_id(a, h), kbs_results_confidence(a, h), pairs[i][1],
						 kbs_results_id(b, h), kbs_results_confidence(b, h));
			kbs_results_free(a);
			kbs_results_free(b);
		}
	kbs_results *meant = tu_search(corpus, "laide", NULL), *elided = tu_search(corpus, "l'aide", NULL);
	assert_int_equal(kbs_results_count(meant), 0);
	assert_true(kbs_results_count(elided) > 0);
	kbs_results_free(meant);
	kbs_results_free(elided);
}

/* A query (in lang, NULL: none) whose first hit must be `top`. */
typedef struct top_row {
	const char *q, *lang, *top;
	const char *why;
} top_row;

static void expect_tops(kbs_kb *kb, const top_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = rows[i].lang;
		tu_assert_top(kb, rows[i].q, &o, rows[i].top, rows[i].why);
	}
}

static void accents_either_way(void **state)
{
	(void)state;
	/* Snowball reads accents: "élevée" and "elevee" stem apart unless
	 * both stems are indexed and queried. */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"accented\",\"title\":\"Une facture élevée\",\"lang\":\"fr\",\"body\":\"Consommation élevée.\"}\n"
		"{\"id\":\"plain\",\"title\":\"Relevés elevees\",\"lang\":\"fr\",\"body\":\"Sans accents.\"}\n"
		"{\"id\":\"other\",\"title\":\"Payer par carte\",\"lang\":\"fr\",\"body\":\"Carte bancaire.\"}\n"
		"{\"id\":\"cut\",\"title\":\"Compteur coupé\",\"lang\":\"fr\",\"body\":\"Le courant est coupé.\"}\n");
	static const top_row rows[] = {
		{ "elevee", "fr", "accented", "an inflected word typed without accents finds the accented text" },
		{ "elevee", NULL, "accented", "the same without a query language" },
		{ "facture elevee", NULL, "accented", "with another word" },
		{ "élevées", "fr", "plain", "an accented query finds text written without accents" },
		{ "compteur coupee", "fr", "cut", "an inflection no article holds, typed without accents" },
		{ "coupee", NULL, "cut", "the same in every language of the index" },
	};
	expect_tops(m.kb, rows, sizeof rows / sizeof *rows);
	/* "coupee" stems to "coupe", the indexed "coupé" to "coup": the word
	 * with its accent restored is the word itself, not a slip to correct
	 * (to "coupe") nor a match to trust less than the accented query's. */
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *plain = tu_search(m.kb, "compteur coupee", &o);
	kbs_results *accented = tu_search(m.kb, "compteur coupée", &o);
	assert_null(kbs_results_corrected_query(plain));
	assert_int_equal(tu_rank_of(plain, "cut"), 0);
	assert_int_equal(kbs_results_confidence(plain, 0), kbs_results_confidence(accented, 0));
	kbs_results_free(plain);
	kbs_results_free(accented);
	/* Nothing the index holds is left to restore: no stem is invented. */
	kbs_results *none = tu_search(m.kb, "zebree", &o);
	assert_int_equal(kbs_results_count(none), 0);
	kbs_results_free(none);
	tu_mini_free(&m);
}

static void verb_forms_are_no_nouns(void **state)
{
	(void)state;
	/* "nous sommes" is no sum and "a été" no summer: the verbs are stop
	 * words there, in articles and queries alike (text.h). The word being
	 * typed still completes to them ("somme" may become "sommes"), so the
	 * queries below end with another word. */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"team\",\"title\":\"Nous contacter\",\"lang\":\"fr\",\"body\":\"Nous sommes joignables en semaine. Votre demande a été transmise à un conseiller.\"}\n"
		"{\"id\":\"sum\",\"title\":\"Payer une somme due\",\"lang\":\"fr\",\"body\":\"La somme est prélevée le 5.\"}\n"
		"{\"id\":\"summer\",\"title\":\"Consommation en été\",\"lang\":\"fr\",\"body\":\"En été, la climatisation fait grimper la consommation.\"}\n");
	static const struct {
		const char *q, *lang, *found, *not_found, *why;
	} rows[] = {
		{ "somme due", "fr", "sum", "team", "the noun does not meet \"nous sommes\"" },
		{ "somme due", NULL, "sum", "team", "nor with no query language" },
		{ "été consommation", "fr", "summer", "team", "summer does not meet \"a été\"" },
		{ "été consommation", NULL, "summer", "team", "nor does its accented form" },
		{ "demande a été refusée", "fr", "team", "summer", "nor does the participle of a query find summer" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = rows[i].lang;
		kbs_results *r = tu_search(m.kb, rows[i].q, &o);
		if (tu_rank_of(r, rows[i].found) != 0 || tu_rank_of(r, rows[i].not_found) != -1)
			fail_msg("row %zu (%s): \"%s\": %s ranks %ld, %s %ld", i, rows[i].why, rows[i].q,
				 rows[i].found, tu_rank_of(r, rows[i].found), rows[i].not_found,
				 tu_rank_of(r, rows[i].not_found));
		kbs_results_free(r);
	}
	tu_mini_free(&m);
}

static void other_forms_of_a_word(void **state)
{
	(void)state;
	/* Snowball stems irregular forms apart: "sent" -> "sent" but "sens"
	 * -> "sen" (both of "sentir"), "recevoir" -> "recevoir" but "recevez"
	 * -> "recev". The forms the index holds of the word's lemma are the
	 * word. */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"gaz\",\"title\":\"Une odeur de gaz\",\"lang\":\"fr\",\"body\":\"Je sens une odeur dans la cuisine.\"}\n"
		"{\"id\":\"factures\",\"title\":\"Factures en ligne\",\"lang\":\"fr\",\"body\":\"Vous recevez vos factures par courriel.\"}\n"
		"{\"id\":\"delai\",\"title\":\"Délai de traitement\",\"lang\":\"fr\",\"body\":\"Le délai est court.\"}\n"
		"{\"id\":\"other\",\"title\":\"Payer par carte\",\"lang\":\"fr\",\"body\":\"Carte bancaire.\"}\n");
	static const top_row rows[] = {
		{ "recevoir mes factures", "fr", "factures", "the infinitive finds the conjugated verb" },
		{ "recevoir", "fr", "factures", "alone, far from any close spelling" },
		{ "recevoir", NULL, "factures", "without a query language" },
		{ "je reçois", "fr", "factures", "another person of the verb" },
		{ "ça sent dans la cuisine", "fr", "gaz", "an irregular form of sentir" },
	};
	expect_tops(m.kb, rows, sizeof rows / sizeof *rows);
	/* "sent" is one edit from "sens": found either way, but it is the
	 * same verb, not a slip to correct, and as sure a match as the form
	 * the article has. */
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	kbs_results *sent = tu_search(m.kb, "sent", &o), *sens = tu_search(m.kb, "sens", &o);
	assert_null(kbs_results_corrected_query(sent));
	assert_int_equal(tu_rank_of(sent, "gaz"), 0);
	assert_int_equal(kbs_results_confidence(sent, 0), kbs_results_confidence(sens, 0));
	assert_true(kbs_results_confident(sent));
	kbs_results_free(sent);
	kbs_results_free(sens);
	/* "courant" is a noun and a form of "courir": which one the visitor
	 * meant is unknown, so "court" (of "courir" too) is not it. */
	kbs_results *r = tu_search(m.kb, "courant", &o);
	assert_int_equal(tu_rank_of(r, "delai"), -1);
	kbs_results_free(r);
	/* The forms are read from the index as it is now: a form that comes
	 * with a new article (stem "recevr") is found by the next search. */
	tu_mini_reindex(&m, "{\"id\":\"courrier\",\"title\":\"Un courrier\",\"lang\":\"fr\",\"body\":\"Vous recevrez un courrier.\"}\n"
			    "{\"id\":\"other\",\"title\":\"Payer par carte\",\"lang\":\"fr\",\"body\":\"Carte bancaire.\"}\n");
	r = tu_search(m.kb, "recevoir", &o);
	assert_int_equal(tu_rank_of(r, "courrier"), 0);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* A word of one language that another language's stemmer folds onto one
 * of its own words ("log" / French "logement" -> "log") must not pull
 * that language's articles up. */
static const char *const LANGS =
	"{\"id\":\"en-login\",\"title\":\"Trouble signing in\",\"lang\":\"en\",\"body\":\"If you cannot log in, reset your password.\"}\n"
	"{\"id\":\"en-other\",\"title\":\"Paying by card\",\"lang\":\"en\",\"body\":\"Pay your bill by card in the app.\"}\n"
	"{\"id\":\"fr-logement\",\"title\":\"Quitter son logement\",\"lang\":\"fr\",\"body\":\"Quand vous quittez votre logement, donnez le relevé du compteur.\"}\n"
	"{\"id\":\"fr-other\",\"title\":\"Payer par carte\",\"lang\":\"fr\",\"body\":\"Réglez votre facture par carte dans l'appli.\"}\n";

static void language_preference(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(LANGS);
	static const struct {
		const char *q, *first, *below;
		const char *why;
	} rows[] = {
		{ "I can't log in", "en-login", "fr-logement", "an English query: English stems and words" },
		{ "log in", "en-login", "fr-logement", "stop word 'in' is English only: the English article first" },
		{ "quitter mon logement", "fr-logement", "en-login", "a French query prefers the French article" },
		{ "payer par carte", "fr-other", "en-other", "French words, French article first" },
		{ "pay by card", "en-other", "fr-other", "English words, English article first" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_results *r = tu_search(m.kb, rows[i].q, NULL);
		long a = tu_rank_of(r, rows[i].first), b = tu_rank_of(r, rows[i].below);
		if (a != 0 || (b >= 0 && b < a))
			fail_msg("\"%s\": %s at %ld, %s at %ld (%s)", rows[i].q, rows[i].first, a, rows[i].below, b,
				 rows[i].why);
		kbs_results_free(r);
	}
	/* A preference, never a filter: "card" still finds the French article
	 * through its own word when the query's language is unclear... */
	kbs_results *r = tu_search(m.kb, "carte", NULL);
	assert_int_equal(tu_rank_of(r, "fr-other"), 0);
	kbs_results_free(r);
	/* ...and a French article that another language's stem reaches is
	 * still found. */
	r = tu_search(m.kb, "log", NULL);
	assert_true(tu_rank_of(r, "en-login") >= 0);
	assert_true(tu_rank_of(r, "fr-logement") >= 0);
	kbs_results_free(r);
	/* Re-ranking keeps pages consistent: page 2 of size 1 is hit 2. */
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	r = tu_search(m.kb, "log in", &o);
	assert_true(kbs_results_count(r) >= 2);
	char *second = strdup(kbs_results_id(r, 1));
	kbs_results_free(r);
	o.limit = 1;
	o.offset = 1;
	r = tu_search(m.kb, "log in", &o);
	assert_int_equal(kbs_results_count(r), 1);
	assert_string_equal(kbs_results_id(r, 0), second);
	free(second);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* ---- confidence ---- */

static void confidence_flag(void **state)
{
	(void)state;
	static const struct {
		const char *q, *lang;
		bool confident;
	} rows[] = {
		/* Real questions, phrased loosely, misspelt, or in synonyms. */
		{ "mot de passe oublié", NULL, true },
		{ "comment je fais pour changer mon mot de passe", "fr", true },
		{ "j'arrive plus a me connecter", "fr", true },
		{ "ma facture est trop chere", "fr", true },
		{ "annuler mon contrat", "fr", true },
		{ "instaler l'appli", "fr", true },
		{ "mdp oublié", "fr", true },
		{ "i forgot my password", "en", true },
		{ "how do i pay my bill", "en", true },
		/* Loosely phrased: question framing words (dois, faire, need)
		 * are not the topic; no language given. */
		{ "que dois-je faire pour résilier mon contrat ?", NULL, true },
		{ "est-ce que je peux payer ma facture par carte ?", NULL, true },
		{ "I need to reset my password", NULL, true },
		/* A misspelt word whose stem is another language's word (French
		 * "instaler" meets English "install"; "linki" meets "link")
		 * still gets its close spellings, and the correction answers. */
		{ "instaler l'appli", NULL, true },
		{ "compteur linki", NULL, true },
		/* The word being typed completes a title: still an answer. */
		{ "resil", "fr", true },
		/* Nothing here answers these. */
		{ "comment commander une pizza", NULL, false },
		{ "my car won't start", NULL, false },
		{ "recette tarte aux pommes", "fr", false },
		{ "horaires de la piscine municipale", "fr", false },
		{ "acheter une voiture électrique", "fr", false },
		{ "best pizza in town", "en", false },
		/* Words the corpus has (installation, contrat) around a topic
		 * it does not cover. */
		{ "installation d'une pompe à chaleur", NULL, false },
		{ "réserver un billet de train", NULL, false },
		{ "location de voiture", NULL, false },
		/* Every word found, but only in a body, the last one only as the
		 * start of a longer word ("auto" in "automatiquement"): a
		 * coincidence, not an answer. */
		{ "contrat d'assurance auto", NULL, false },
		{ "assurance auto", "fr", false },
		/* Either side of the boundary fitted on bench/relevance's tune
		 * half (search.c CONF_MIDPOINT): an answered question whose
		 * words all lie in its article's body, with no title lead, and
		 * an off-topic one where a common word ("prix") meets bodies. */
		{ "my account got locked", "en", true },
		{ "prix du fioul cette semaine", NULL, false },
		/* A verb the article lacks frames the question ("trouver"); a
		 * noun it lacks would name another topic ("pizza" above). */
		{ "où trouver mon numéro PDL ?", NULL, true },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = rows[i].lang;
		kbs_results *r = tu_search(corpus, rows[i].q, &o);
		if (kbs_results_confident(r) != rows[i].confident)
			fail_msg("\"%s\": confident %d, expected %d (top %s at %d)", rows[i].q,
				 kbs_results_confident(r), rows[i].confident,
				 kbs_results_count(r) ? kbs_results_id(r, 0) : "none",
				 kbs_results_count(r) ? kbs_results_confidence(r, 0) : 0);
		for (size_t h = 1; h < kbs_results_count(r); h++)
			assert_true(kbs_results_confidence(r, h) <= kbs_results_confidence(r, h - 1));
		kbs_results_free(r);
	}
	/* A conjugated form of être or avoir frames the question and names
	 * no topic: with it or without it, the same answer and the same
	 * confidence ("aura" is in no article of the corpus, and counted as
	 * an unknown word it had pulled the question under the line). */
	static const char *const framed[][2] = {
		{ "il y aura une coupure de courant demain", "coupure de courant demain" },
		{ "le compteur sera-t-il changé", "compteur changé" },
	};
	for (size_t i = 0; i < sizeof framed / sizeof *framed; i++) {
		kbs_results *a = tu_search(corpus, framed[i][0], NULL), *b = tu_search(corpus, framed[i][1], NULL);
		assert_true(kbs_results_count(a) > 0 && kbs_results_count(b) > 0);
		if (strcmp(kbs_results_id(a, 0), kbs_results_id(b, 0)) != 0 ||
		    kbs_results_confidence(a, 0) != kbs_results_confidence(b, 0))
			fail_msg("\"%s\": %s at %d; \"%s\": %s at %d", framed[i][0], kbs_results_id(a, 0),
				 kbs_results_confidence(a, 0), framed[i][1], kbs_results_id(b, 0),
				 kbs_results_confidence(b, 0));
		kbs_results_free(a);
		kbs_results_free(b);
	}
}

/* ---- segments ---- */

/* A day or a time of day says when, not what: it weighs half a word, so
 * the opening hours of the contact page (every day of the week) do not
 * outrank the topic, while a question about the hours still finds them. */
static void time_words(void **state)
{
	(void)state;
	static const top_row rows[] = {
		{ "je veux résilier mon contrat avant vendredi", NULL, "fr-resilier-contrat",
		  "the day is no topic: the death article had come first" },
		{ "coupure programmée lundi matin", NULL, "fr-coupure-programmee", "with two time words" },
		{ "le service client est-il ouvert le samedi", NULL, "fr-contacter-service-client",
		  "a question about the hours finds them" },
		{ "my direct debit was rejected on monday", "en", "en-direct-debit-rejected", "in English" },
	};
	expect_tops(corpus, rows, sizeof rows / sizeof *rows);
	kbs_results *r = tu_search(corpus, "plus de courant depuis jeudi matin", NULL);
	assert_true(kbs_results_count(r) > 0);
	if (strcmp(kbs_results_id(r, 0), "fr-contacter-service-client") == 0 && kbs_results_confident(r))
		fail_msg("an outage on a Thursday morning is answered by the opening hours");
	kbs_results_free(r);
}

static void segment_boost(void **state)
{
	(void)state;
	/* The same article twice; only the second is written for "pro". */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"all\",\"title\":\"Ouvrir un compteur\",\"lang\":\"fr\",\"body\":\"Demandez la mise en service.\"}\n"
		"{\"id\":\"pro\",\"title\":\"Ouvrir un compteur\",\"lang\":\"fr\",\"segments\":[\"pro\"],"
		"\"body\":\"Demandez la mise en service.\"}\n"
		"{\"id\":\"other\",\"title\":\"Payer une facture\",\"lang\":\"fr\",\"segments\":[\"pro\"],"
		"\"body\":\"Par carte.\"}\n");
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	kbs_results *r = tu_search(m.kb, "ouvrir un compteur", &o);
	assert_int_equal(kbs_results_count(r), 2);
	assert_int_equal(tu_rank_of(r, "all"), 0);
	kbs_results_free(r);
	const char *seg[] = { "Pro" };
	o.segments = seg;
	o.nsegments = 1;
	r = tu_search(m.kb, "ouvrir un compteur", &o);
	/* The visitor's article first; a boost, not a filter: the other is
	 * still there, and an unrelated "pro" article is not pulled in. */
	assert_int_equal(kbs_results_count(r), 2);
	assert_int_equal(tu_rank_of(r, "pro"), 0);
	assert_int_equal(tu_rank_of(r, "all"), 1);
	assert_true(kbs_results_confident(r));
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* ---- tags ---- */

static void tag_boost(void **state)
{
	(void)state;
	/* The same ranking weight (Z wdf 3) either way: a word three times in
	 * the body, or once in the tags (wdf 3). An editor's keyword says
	 * what the article is about, so the tagged article comes first,
	 * though the body one is older (a tie goes to the lower docid). */
	tu_mini m = tu_mini_kb(
		"{\"id\":\"body\",\"title\":\"Aide\",\"lang\":\"fr\",\"body\":"
		"\"Le remboursement arrive. Le remboursement est versé. Le remboursement suit.\"}\n"
		"{\"id\":\"tagged\",\"title\":\"Aide\",\"lang\":\"fr\",\"tags\":[\"remboursement\"],"
		"\"body\":\"Le virement arrive. Le virement est versé. Le virement suit.\"}\n");
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	kbs_results *r = tu_search(m.kb, "remboursement", &o);
	assert_int_equal(kbs_results_count(r), 2);
	assert_int_equal(tu_rank_of(r, "tagged"), 0);
	assert_int_equal(tu_rank_of(r, "body"), 1);
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* ---- answers ---- */

static void answer_mode(void **state)
{
	(void)state;
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	assert_kbs_ok(corpus, kbs_answer(&r, corpus, "comment résilier mon contrat", &o));
	assert_int_equal(kbs_results_count(r), 1);
	assert_true(kbs_results_confident(r));
	assert_string_equal(kbs_results_id(r, 0), "fr-resilier-contrat");
	const char *p = kbs_results_passage(r, 0);
	assert_non_null(p);
	assert_non_null(strstr(p, "résilier"));
	assert_null(strstr(p, "\n\n\n"));
	assert_null(kbs_results_passage(r, 1));
	kbs_results_free(r);

	/* A procedure comes whole, with its heading. */
	o.lang = "en";
	assert_kbs_ok(corpus, kbs_answer(&r, corpus, "how do I reset my password", &o));
	assert_int_equal(kbs_results_count(r), 1);
	p = kbs_results_passage(r, 0);
	assert_non_null(strstr(p, "1. "));
	assert_non_null(strstr(p, "2. "));
	kbs_results_free(r);

	/* Not confident: no answer at all. */
	assert_kbs_ok(corpus, kbs_answer(&r, corpus, "comment commander une pizza", NULL));
	assert_int_equal(kbs_results_count(r), 0);
	assert_false(kbs_results_confident(r));
	kbs_results_free(r);

	/* Search results carry no passage. */
	r = tu_search(corpus, "résilier", NULL);
	assert_null(kbs_results_passage(r, 0));
	kbs_results_free(r);
}

/* ---- suggestions ---- */

static bool suggests(const kbs_suggestions *s, const char *id)
{
	for (size_t i = 0; i < kbs_suggestions_count(s); i++)
		if (kbs_suggestions_id(s, i) && strcmp(kbs_suggestions_id(s, i), id) == 0)
			return true;
	return false;
}

static void suggest_titles(void **state)
{
	(void)state;
	kbs_suggestions *s = NULL;
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "resil", NULL));
	assert_true(suggests(s, "fr-resilier-contrat"));
	kbs_suggestions_free(s);

	/* Complete words by stem, the last as a prefix. */
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "factures en li", NULL));
	assert_true(suggests(s, "fr-facture-en-ligne"));
	kbs_suggestions_free(s);
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	o.limit = 2;
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "mot de pa", &o));
	assert_int_equal(kbs_suggestions_count(s), 2);
	/* The title that begins with the prefix first. */
	assert_string_equal(kbs_suggestions_id(s, 0), "fr-mdp-oublie");
	kbs_suggestions_free(s);

	/* A word that names no topic (a stop word or a query filler, of any
	 * language when none is given) is no word a title must hold, as in
	 * a search: "comment pay" is "pay", "facture d'" (an elision just
	 * typed) is "facture", "je dois resil" is "resil". */
	static const char *const framed[][2] = {
		{ "comment pay", "fr-payer-carte" },
		{ "de la factur", "fr-telecharger-facture" },
		{ "facture d'", "fr-telecharger-facture" },
		{ "je dois resil", "fr-resilier-contrat" },
		{ "I need to pay", "en-monthly-payments" },
	};
	for (size_t i = 0; i < sizeof framed / sizeof *framed; i++) {
		assert_kbs_ok(corpus, kbs_suggest(&s, corpus, framed[i][0], NULL));
		if (!suggests(s, framed[i][1]))
			fail_msg("\"%s\": %zu suggestions, not %s", framed[i][0],
				 kbs_suggestions_count(s), framed[i][1]);
		kbs_suggestions_free(s);
	}

	/* Never an agent-only title to the public; to agents, yes. */
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "procédure interne", NULL));
	assert_int_equal(kbs_suggestions_count(s), 0);
	kbs_suggestions_free(s);
	const char *roles[] = { "agent" };
	o = (kbs_suggest_opts)KBS_SUGGEST_OPTS_INIT;
	o.roles = roles;
	o.nroles = 1;
	o.limit = 50;
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "proc", &o));
	assert_true(suggests(s, "fr-agent-geste-commercial"));
	kbs_suggestions_free(s);
	o.roles = NULL;
	o.nroles = 0;
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "p", &o));
	for (size_t i = 0; i < kbs_suggestions_count(s); i++)
		assert_null(strstr(kbs_suggestions_id(s, i), "agent"));
	kbs_suggestions_free(s);

	/* Language filter. */
	o.lang = "en";
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "pass", &o));
	assert_true(kbs_suggestions_count(s) > 0);
	for (size_t i = 0; i < kbs_suggestions_count(s); i++)
		assert_int_equal(strncmp(kbs_suggestions_id(s, i), "en-", 3), 0);
	kbs_suggestions_free(s);

	/* Nothing typed, nothing suggested. */
	assert_kbs_ok(corpus, kbs_suggest(&s, corpus, "", NULL));
	assert_int_equal(kbs_suggestions_count(s), 0);
	assert_null(kbs_suggestions_text(s, 0));
	kbs_suggestions_free(s);
	o.version = 99;
	assert_int_equal(kbs_suggest(&s, corpus, "a", &o), KBS_EINVALID);
}

/* A word of 1 to 5 characters just begun reads the title prefix terms
 * (lib/store/store.h), not an expansion: the same titles must come. */
static void suggest_short_prefixes(void **state)
{
	(void)state;
	static const struct {
		const char *prefix, *id; /* id NULL: nothing may come */
	} rows[] = {
		{ "r", "fr-resilier-contrat" },	  { "re", "fr-resilier-contrat" },
		{ "ré", "fr-resilier-contrat" },  { "rés", "fr-resilier-contrat" },
		{ "RÉS", "fr-resilier-contrat" }, { "f", "fr-facture-en-ligne" },
		{ "fac", "fr-facture-en-ligne" }, { "factu", "fr-facture-en-ligne" },
		{ "résil", "fr-resilier-contrat" }, { "résili", "fr-resilier-contrat" },
		{ "mot de p", "fr-mdp-oublie" },  { "zqx", NULL },
		{ "zqxwv", NULL },		  { "mot de zq", NULL },
	};
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	o.limit = 50;
	o.lang = "fr";
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_suggestions *s = NULL;
		assert_kbs_ok(corpus, kbs_suggest(&s, corpus, rows[i].prefix, &o));
		if (rows[i].id ? !suggests(s, rows[i].id) : kbs_suggestions_count(s) != 0)
			fail_msg("\"%s\": %zu suggestions, first %s; expected %s", rows[i].prefix,
				 kbs_suggestions_count(s),
				 kbs_suggestions_count(s) ? kbs_suggestions_text(s, 0) : "none",
				 rows[i].id ? rows[i].id : "none");
		kbs_suggestions_free(s);
	}
}

/* Titles that begin with the word typed come first, however many titles
 * that only contain it were indexed before them. */
static void suggest_title_beginnings_first(void **state)
{
	(void)state;
	kbs_buf b = { 0 };
	for (int i = 0; i < 300; i++)
		kbs_buf_addf(&b,
			       "{\"id\":\"in-%03d\",\"title\":\"Payer la facture numéro %d\","
			       "\"lang\":\"fr\",\"body\":\"Par carte.\"}\n",
			       i, i);
	kbs_buf_addf(&b, "{\"id\":\"long\",\"title\":\"Facturation des frais de mise en "
			   "service\",\"lang\":\"fr\",\"body\":\"Frais.\"}\n"
			   "{\"id\":\"first\",\"title\":\"Facture annuelle\",\"lang\":\"fr\","
			   "\"body\":\"Une fois par an.\"}\n");
	tu_mini m = tu_mini_buf(&b);
	/* Then "Facturation", while what was typed begins it; once the
	 * word is "facture", a title that holds it. */
	static const struct {
		const char *typed, *second;
	} rows[] = {
		{ "f", "long" },       { "fac", "long" },     { "factu", "long" },
		{ "factur", "long" },  { "facture", "in-" },  { "facture ", "in-" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
		o.limit = 3;
		kbs_suggestions *s = NULL;
		assert_kbs_ok(m.kb, kbs_suggest(&s, m.kb, rows[i].typed, &o));
		assert_int_equal(kbs_suggestions_count(s), 3);
		if (strcmp(kbs_suggestions_id(s, 0), "first") != 0 ||
		    strncmp(kbs_suggestions_id(s, 1), rows[i].second, strlen(rows[i].second)) != 0)
			fail_msg("\"%s\": %s, %s; expected first, %s…", rows[i].typed,
				 kbs_suggestions_id(s, 0), kbs_suggestions_id(s, 1), rows[i].second);
		kbs_suggestions_free(s);
	}
	tu_mini_free(&m);
}

int main(void)
{
	const struct CMUnitTest mini_tests[] = {
		cmocka_unit_test(typo_bounds),
		cmocka_unit_test(correction),
		cmocka_unit_test(synonym_is_no_typo),
		cmocka_unit_test(correction_only_from_visible),
		cmocka_unit_test(counts_of_the_query_that_ran),
		cmocka_unit_test(spellings_follow_commits),
		cmocka_unit_test(exact_above_typo),
		cmocka_unit_test(derived_forms),
		cmocka_unit_test(phrase_and_exclusion),
		cmocka_unit_test(prefix_as_you_type),
		cmocka_unit_test(segment_boost),
		cmocka_unit_test(tag_boost),
		cmocka_unit_test(accents_either_way),
		cmocka_unit_test(verb_forms_are_no_nouns),
		cmocka_unit_test(other_forms_of_a_word),
		cmocka_unit_test(written_either_way),
		cmocka_unit_test(language_preference),
		cmocka_unit_test(suggest_title_beginnings_first),
	};
	const struct CMUnitTest corpus_tests[] = {
		cmocka_unit_test(hostile_text),
		cmocka_unit_test(confidence_flag),
		cmocka_unit_test(elision_without_apostrophe),
		cmocka_unit_test(time_words),
		cmocka_unit_test(answer_mode),
		cmocka_unit_test(suggest_titles),
		cmocka_unit_test(suggest_short_prefixes),
	};
	int failed = cmocka_run_group_tests_name("query", mini_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("corpus", corpus_tests, setup_corpus, teardown_corpus);
	return failed;
}
