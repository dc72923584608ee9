/*
 * Synonyms: the Solr format read line by line (table-driven, every form and
 * every error with its line), expansion at query time (equivalence, one-way
 * staying one-way, multi-word entries as phrases, a synonym ranking below
 * the word itself), freshness without re-opening, and the query key that
 * the analytics module groups searches by.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "kb.h"
#include "query/query.h"
#include "query/synonyms.h"

/* ---- parsing ---- */

static void parse_table(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		kbs_status rc;
		const char *msg;  /* error: substring of the message */
		size_t nrules;
		bool oneway;      /* of the last rule */
		size_t nfrom, nto; /* of the last rule */
		const char *why;
	} rows[] = {
		{ "", KBS_OK, NULL, 0, false, 0, 0, "empty file" },
		{ "# only a comment\n\n   \n", KBS_OK, NULL, 0, false, 0, 0, "comments and blank lines" },
		{ "mdp, mot de passe", KBS_OK, NULL, 1, false, 2, 0, "equivalence, no final newline" },
		{ "a, b, c\r\n", KBS_OK, NULL, 1, false, 3, 0, "CRLF line end" },
		{ "  annuler , arrêter=>résilier ", KBS_OK, NULL, 1, true, 2, 1, "one-way, spaces anywhere" },
		{ "a => b, c", KBS_OK, NULL, 1, true, 1, 2, "one-way to several" },
		{ "\xef\xbb\xbf" "a, b\n# c\nd => e\n", KBS_OK, NULL, 2, true, 1, 1, "BOM, two rules" },
		{ "a\\,b, c", KBS_OK, NULL, 1, false, 2, 0, "escaped comma stays in the entry" },
		{ "x, y\na, , b\n", KBS_EINVALID, "synonyms.fr.txt:2: empty entry", 0, false, 0, 0,
		  "two commas" },
		{ "a, b,\n", KBS_EINVALID, ":1: empty entry", 0, false, 0, 0, "trailing comma" },
		{ "\n\na => b => c\n", KBS_EINVALID, ":3: more than one '=>'", 0, false, 0, 0, "two arrows" },
		{ "=> b\n", KBS_EINVALID, ":1: nothing before '=>'", 0, false, 0, 0, "empty left side" },
		{ "a =>\n", KBS_EINVALID, ":1: nothing after '=>'", 0, false, 0, 0, "empty right side" },
		{ "a, b\nseul\n", KBS_EINVALID, ":2: only one entry", 0, false, 0, 0, "a lone entry" },
		{ "a, b\nc, \xff\n", KBS_EINVALID, ":2: not valid UTF-8", 0, false, 0, 0, "bad UTF-8" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		kbs_syn__rules r;
		kbs_err err = { { 0 } };
		kbs_status rc = kbs_syn__parse(&r, "synonyms.fr.txt", rows[i].text, strlen(rows[i].text), &err);
		if (rc != rows[i].rc)
			fail_msg("row %zu (%s): status %d, expected %d (%s)", i, rows[i].why, rc, rows[i].rc,
				 err.msg);
		if (rows[i].msg && !strstr(err.msg, rows[i].msg))
			fail_msg("row %zu (%s): message \"%s\" lacks \"%s\"", i, rows[i].why, err.msg,
				 rows[i].msg);
		if (rc == KBS_OK) {
			if (r.n != rows[i].nrules)
				fail_msg("row %zu (%s): %zu rules", i, rows[i].why, r.n);
			if (r.n) {
				const kbs_syn__rule *l = &r.v[r.n - 1];
				if (l->oneway != rows[i].oneway || l->from.n != rows[i].nfrom || l->to.n != rows[i].nto)
					fail_msg("row %zu (%s): oneway %d from %zu to %zu", i, rows[i].why, l->oneway,
						 l->from.n, l->to.n);
			}
		}
		kbs_syn__rules_free(&r);
	}
	/* The escape is removed from the entry. */
	kbs_syn__rules r;
	kbs_err err;
	assert_int_equal(kbs_syn__parse(&r, "x", "a\\,b, c", 7, &err), KBS_OK);
	assert_string_equal(r.v[0].from.v[0], "a,b");
	kbs_syn__rules_free(&r);
}

/* ---- a small knowledge base ---- */

static const char *const KB_TEXT =
	"{\"id\":\"res\",\"title\":\"Résilier l'abonnement\",\"lang\":\"fr\",\"body\":\"La résiliation est "
	"gratuite.\"}\n"
	"{\"id\":\"rdv\",\"title\":\"Annuler un rendez-vous\",\"lang\":\"fr\",\"body\":\"Un rendez-vous se "
	"déplace en ligne.\"}\n"
	"{\"id\":\"mdp\",\"title\":\"Mot de passe oublié\",\"lang\":\"fr\",\"body\":\"Choisissez un nouveau mot "
	"de passe.\"}\n"
	"{\"id\":\"loose\",\"title\":\"Un mot sur le col\",\"lang\":\"fr\",\"body\":\"Le cycliste passe le col "
	"sans un mot.\"}\n"
	"{\"id\":\"appli\",\"title\":\"L'appli Volta\",\"lang\":\"fr\",\"body\":\"Installez l'appli.\"}\n"
	"{\"id\":\"application\",\"title\":\"L'application Volta\",\"lang\":\"fr\",\"body\":\"Installez "
	"l'application.\"}\n";

static const char *const SYN_TEXT = "# test set\n"
				    "mot de passe, mdp, code d'accès\n"
				    "annuler, arrêter => résilier\n"
				    "appli, application\n";

static bool finds(kbs_kb *kb, const char *q, const char *id, long *rank)
{
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
	bool found = false;
	for (size_t i = 0; i < kbs_results_count(r); i++)
		if (strcmp(kbs_results_id(r, i), id) == 0) {
			found = true;
			if (rank)
				*rank = (long)i;
		}
	kbs_results_free(r);
	return found;
}

static void expansion(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(KB_TEXT);
	/* Before: no synonyms. */
	assert_false(finds(m.kb, "mdp", "mdp", NULL));
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", SYN_TEXT, strlen(SYN_TEXT)));

	static const struct {
		const char *q, *id;
		bool found;
		const char *why;
	} rows[] = {
		{ "mdp", "mdp", true, "equivalence, one word to several" },
		{ "code d’accès", "mdp", true, "multi-word entry, curly apostrophe" },
		{ "MDP", "mdp", true, "entries are analysed: case" },
		{ "mdp", "loose", false, "a multi-word synonym is a phrase, not scattered words" },
		{ "annuler", "res", true, "one-way: the left finds the right" },
		{ "arrêter", "res", true, "one-way, second left entry" },
		{ "arreter", "res", true, "one-way, accents folded" },
		{ "résilier", "rdv", false, "one-way stays one-way" },
		{ "résiliation", "rdv", false, "one-way stays one-way (stem)" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if (finds(m.kb, rows[i].q, rows[i].id, NULL) != rows[i].found)
			fail_msg("row %zu (%s): \"%s\" %s %s", i, rows[i].why, rows[i].q,
				 rows[i].found ? "does not find" : "finds", rows[i].id);

	/* The user's own word ranks above its synonym. */
	long r1 = -1, r2 = -1;
	assert_true(finds(m.kb, "appli", "appli", &r1));
	assert_true(finds(m.kb, "appli", "application", &r2));
	assert_true(r1 < r2);
	assert_true(finds(m.kb, "application", "application", &r1));
	assert_true(finds(m.kb, "application", "appli", &r2));
	assert_true(r1 < r2);

	/* Listed as loaded, with lines. */
	char *json = NULL;
	assert_kbs_ok(m.kb, kbs_synonyms_json(&json, m.kb, NULL));
	assert_non_null(strstr(json, "\"fr\":[{\"line\":2,\"synonyms\":[\"mot de passe\",\"mdp\",\"code d'accès\"]}"));
	assert_non_null(strstr(json, "{\"line\":3,\"from\":[\"annuler\",\"arrêter\"],\"to\":[\"résilier\"]}"));
	kbs_string_free(json);

	/* A new set takes effect at the next search of the same handle, and
	 * of another handle on the same knowledge base, without re-indexing. */
	kbs_kb *other = NULL;
	char *db = tu_path(m.dir, "kb");
	assert_kbs_ok(NULL, kbs_open(&other, db, NULL, NULL));
	assert_true(finds(other, "mdp", "mdp", NULL));
	const char *v2 = "rendez-vous, rdv\n";
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", v2, strlen(v2)));
	assert_false(finds(m.kb, "mdp", "mdp", NULL));
	assert_false(finds(other, "mdp", "mdp", NULL));
	assert_true(finds(other, "rdv", "rdv", NULL));
	/* An empty set removes it. */
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", "", 0));
	assert_false(finds(m.kb, "rdv", "rdv", NULL));
	kbs_close(other);
	free(db);
	tu_mini_free(&m);
}

/* A knowledge base of the articles in *kb (JSONL) and `fillers` others
 * about something else (so that the articles' words are rare), with the
 * French synonyms `syn` loaded. Frees *kb. */
static tu_mini syn_kb(kbs_buf *kb, int fillers, const char *syn)
{
	for (int i = 0; i < fillers; i++)
		kbs_buf_addf(kb, "{\"id\":\"other%d\",\"title\":\"Compteur %d\",\"lang\":\"fr\",\"body\":"
			     "\"Le relevé du compteur %d se fait en ligne.\"}\n", i, i, i);
	tu_mini m = tu_mini_buf(kb);
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", syn, strlen(syn)));
	return m;
}

/* The search q ranks `first` first and `second` right after it. */
static void ranks_first_then(kbs_kb *kb, const char *q, const char *first, const char *second)
{
	long r1 = -1, r2 = -1;
	assert_true(finds(kb, q, first, &r1));
	assert_true(finds(kb, q, second, &r2));
	assert_int_equal(r1, 0);
	assert_int_equal(r2, 1);
}

/* An article holding several synonyms of the query's word is weighed as if
 * it held one word: it ranks below the article with the word itself, as a
 * synonym match does (added one by one, three synonyms outweighed it). */
static void weighed_as_one_word(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	kbs_buf_adds(&kb, "{\"id\":\"word\",\"title\":\"Votre contrat\",\"lang\":\"fr\",\"body\":\"Pour "
			  "résilier, écrivez-nous avant la fin du mois.\"}\n"
			  "{\"id\":\"alts\",\"title\":\"Votre contrat\",\"lang\":\"fr\",\"body\":\"Pour "
			  "annuler, stopper ou arrêter, écrivez-nous.\"}\n");
	tu_mini m = syn_kb(&kb, 8, "résilier, annuler, stopper, arrêter\n");
	ranks_first_then(m.kb, "résilier", "word", "alts");
	tu_mini_free(&m);
}

/* A synonym rarer than the user's word would weigh more by its idf alone:
 * the article holding only it still ranks below every article holding the
 * word itself. */
static void rare_synonym_below_the_word(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	for (int i = 0; i < 5; i++)
		kbs_buf_addf(&kb, "{\"id\":\"word%d\",\"title\":\"Question %d\",\"lang\":\"fr\",\"body\":"
			     "\"La facture arrive le %d du mois par courrier.\"}\n", i, i, i + 1);
	kbs_buf_adds(&kb, "{\"id\":\"rare\",\"title\":\"Question 9\",\"lang\":\"fr\",\"body\":\"La "
			  "douloureuse arrive le 9 du mois par courrier.\"}\n");
	tu_mini m = syn_kb(&kb, 4, "facture, douloureuse\n");
	long rare = -1;
	assert_true(finds(m.kb, "facture", "rare", &rare));
	assert_int_equal(rare, 5);
	tu_mini_free(&m);
}

/* A multi-word synonym in an article's title counts as a title match, as
 * a one-word synonym does: the article titled with it ranks above one that
 * only mentions it in its body, however often (it used to rank below). */
static void phrase_in_title(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	kbs_buf_adds(&kb, "{\"id\":\"titled\",\"title\":\"Contacter le service client\",\"lang\":"
			  "\"fr\",\"body\":\"Appelez-nous du lundi au vendredi, de 8 h à 20 h, ou "
			  "écrivez-nous depuis votre espace.\"}\n"
			  "{\"id\":\"mentioned\",\"title\":\"Horaires d'ouverture\",\"lang\":\"fr\","
			  "\"body\":\"Le service client répond en semaine. Le service client ferme le "
			  "dimanche.\"}\n");
	tu_mini m = syn_kb(&kb, 8, "sav, service client\n");
	ranks_first_then(m.kb, "sav", "titled", "mentioned");
	/* And confidence judges it so: a question with a word the index
	 * lacks ("joindre") is answered by the one article whose title names
	 * its topic (it was not confident: the title lead saw no title). */
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	assert_kbs_ok(m.kb, kbs_search(&r, m.kb, "joindre le sav", &o));
	assert_true(kbs_results_count(r) > 0);
	assert_string_equal(kbs_results_id(r, 0), "titled");
	assert_true(kbs_results_confident(r));
	kbs_results_free(r);
	tu_mini_free(&m);
}

/* An entry written with a hyphenated compound ("e-mail") also stands for
 * the word run together ("email"), both ways: a visitor typing "email"
 * meets the rule, and the rule finds the articles that write "email"; an
 * entry written "email" is met by "e-mail". */
static void compound_entry_either_way(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	kbs_buf_adds(&kb, "{\"id\":\"joined\",\"title\":\"Votre email\",\"lang\":\"fr\",\"body\":"
			  "\"Changez votre email depuis votre profil.\"}\n"
			  "{\"id\":\"word\",\"title\":\"Votre courriel\",\"lang\":\"fr\",\"body\":"
			  "\"Changez votre courriel depuis votre profil.\"}\n");
	tu_mini m = syn_kb(&kb, 4, "courriel, e-mail\n");
	assert_true(finds(m.kb, "courriel", "joined", NULL));
	assert_true(finds(m.kb, "email", "word", NULL));
	assert_true(finds(m.kb, "e-mail", "word", NULL));
	/* And an entry written run together is met by the compound typed
	 * with its hyphen: the entry's one word for the query's two. */
	const char *joined = "courriel, email\n";
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", joined, strlen(joined)));
	assert_true(finds(m.kb, "e-mail", "word", NULL));
	assert_true(finds(m.kb, "mon e-mail perdu", "word", NULL));

	/* The variant takes the side of its entry, is not added twice when
	 * the rule writes it already, and joins only what the analyzer joins
	 * (not the numbers of "24-7"). */
	static const char rules_text[] = "courriel, e-mail\nautorelevé, auto-relevé\nrelevé => auto-relevé\n"
					 "e-mail 24-7, courriel\n";
	kbs_syn__rules r;
	kbs_err err = { { 0 } };
	kbs_text__analyzer *an = NULL;
	kbs_syn__set *set = NULL;
	assert_int_equal(kbs_text__analyzer_new(&an, &err), KBS_OK);
	assert_int_equal(kbs_syn__parse(&r, "x", rules_text, strlen(rules_text), &err), KBS_OK);
	assert_int_equal(kbs_syn__compile(&set, &r, "fr", "x", an, &err), KBS_OK);
	assert_int_equal(set->nrules, 4);
	assert_int_equal(set->rules[3].e[1].n, 3);
	assert_string_equal(set->rules[3].e[1].term[0], "email");
	assert_string_equal(set->rules[3].e[1].term[1], "24");
	static const size_t ne[] = { 3, 2, 3 }, nfrom[] = { 3, 2, 1 };
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(set->rules[i].ne, ne[i]);
		assert_int_equal(set->rules[i].nfrom, nfrom[i]);
	}
	assert_int_equal(set->rules[0].e[2].n, 1);
	assert_string_equal(set->rules[0].e[2].term[0], "email");
	assert_string_equal(set->rules[2].e[2].term[0], "autoreleve");
	kbs_syn__rules_free(&r);
	kbs_syn__release(m.kb, set);
	kbs_text__analyzer_free(an);
	tu_mini_free(&m);
}

/* A rule on a stop word adds matches that hold none of the query's words:
 * their weight is halved by coverage as any such match's is, also when
 * one word is searched (taken for a query nothing but its word matches,
 * it was left in the engine's order, which put this one first). */
static void stop_word_synonym_below_the_word(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	kbs_buf_adds(&kb, "{\"id\":\"word\",\"title\":\"Votre facture\",\"lang\":\"fr\",\"body\":\"Votre "
			  "facture arrive en début de mois, par courrier ou en ligne selon "
			  "votre choix, avec le détail de votre consommation.\"}\n"
			  "{\"id\":\"alt\",\"title\":\"Équipe équipe\",\"lang\":\"fr\",\"body\":\"Équipe, "
			  "équipe, équipe.\"}\n");
	tu_mini m = syn_kb(&kb, 2, "nous, équipe\n");
	ranks_first_then(m.kb, "nous facture ", "word", "alt"); /* typed in full */
	tu_mini_free(&m);
}

/* The other way round, the stop word is no alternative: searching the
 * rule's word does not match every article that says "nous" (at a walk of
 * all of them), as the query's own stop words give way to better words. */
static void stop_word_alternative_left_out(void **state)
{
	(void)state;
	kbs_buf kb = { 0 };
	kbs_buf_adds(&kb, "{\"id\":\"word\",\"title\":\"Notre équipe\",\"lang\":\"fr\",\"body\":\"L'équipe "
			  "répond du lundi au vendredi.\"}\n"
			  "{\"id\":\"stop\",\"title\":\"Votre facture\",\"lang\":\"fr\",\"body\":\"Nous "
			  "envoyons la facture par courrier.\"}\n");
	tu_mini m = syn_kb(&kb, 2, "nous, équipe\n");
	long r = -1;
	assert_true(finds(m.kb, "équipe ", "word", &r));
	assert_int_equal(r, 0);
	assert_false(finds(m.kb, "équipe ", "stop", NULL));
	/* The rule still works from the stop word. */
	assert_true(finds(m.kb, "nous facture ", "word", NULL));
	tu_mini_free(&m);
}

static void load_errors(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(KB_TEXT);
	const char *bad = "a, b\nc, , d\n";
	assert_int_equal(kbs_synonyms_load(m.kb, "fr", bad, strlen(bad)), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(m.kb), "synonyms.fr.txt:2: empty entry"));
	const char *noword = "a, b\n\n!!!, c\n";
	assert_int_equal(kbs_synonyms_load(m.kb, "fr", noword, strlen(noword)), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(m.kb), ":3: entry '!!!' has no word"));
	/* A NUL byte is refused where it is: it used to cut its entry down to
	 * "" and fail later as "entry '' has no word" (found by fuzzing). */
	static const char nul[] = "a, b\nc, \0d\n";
	assert_int_equal(kbs_synonyms_load(m.kb, "fr", nul, sizeof nul - 1), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(m.kb), "synonyms.fr.txt:2: NUL byte (byte 4 of the line)"));
	/* A message too long for its buffer (quoting a long entry) is cut on
	 * a character boundary: it used to end in half an "é", not UTF-8
	 * (found by fuzzing). Each shift puts the cut at another byte. */
	for (int shift = 0; shift < 3; shift++) {
		char longer[1024] = "a, ";
		for (int i = 0; i < shift; i++)
			strcat(longer, "x");
		for (int i = 0; i < 300; i++)
			strcat(longer, "é ");
		assert_int_equal(kbs_synonyms_load(m.kb, "fr", longer, strlen(longer)), KBS_EINVALID);
		const char *msg = kbs_errmsg(m.kb);
		size_t at;
		assert_non_null(strstr(msg, "synonyms.fr.txt:1: entry '"));
		if (!kbs_utf8_valid(msg, strlen(msg), &at))
			fail_msg("shift %d: message not UTF-8 at byte %zu", shift, at);
	}
	assert_int_equal(kbs_synonyms_load(m.kb, "french", "a, b", 4), KBS_EINVALID);
	assert_int_equal(kbs_synonyms_load(m.kb, NULL, "a, b", 4), KBS_EINVALID);

	/* From a file: the language from its name, else said. */
	tu_write(m.dir, "syn/synonyms.fr.txt", "mdp, mot de passe\n");
	tu_write(m.dir, "syn/mine.txt", "mdp, mot de passe\n");
	tu_write(m.dir, "syn/bad.fr.txt", "ok, fine\n=> x\n");
	char *good = tu_path(m.dir, "syn/synonyms.fr.txt");
	char *anon = tu_path(m.dir, "syn/mine.txt");
	char *badf = tu_path(m.dir, "syn/bad.fr.txt");
	char *none = tu_path(m.dir, "syn/none.txt");
	assert_kbs_ok(m.kb, kbs_synonyms_load_file(m.kb, NULL, good));
	assert_int_equal(kbs_synonyms_load_file(m.kb, NULL, anon), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(m.kb), "synonyms.LANG.txt"));
	assert_kbs_ok(m.kb, kbs_synonyms_load_file(m.kb, "fr", anon));
	assert_int_equal(kbs_synonyms_load_file(m.kb, "fr", badf), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(m.kb), "bad.fr.txt:2: nothing before '=>'"));
	assert_int_equal(kbs_synonyms_load_file(m.kb, "fr", none), KBS_ENOTFOUND);
	/* The failed loads left the good set in force. */
	assert_true(finds(m.kb, "mdp", "mdp", NULL));
	free(good);
	free(anon);
	free(badf);
	free(none);
	tu_mini_free(&m);
}

/* ---- the query key ---- */

static char *key_of(kbs_kb *kb, const char *text, const char *lang)
{
	kbs_err err = { { 0 } };
	kbs_ctx *ctx = NULL;
	kbs_query__plan p;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = lang;
	if (kbs_kb__ctx_get(kb, &ctx, &err) != KBS_OK)
		fail_msg("ctx: %s", err.msg);
	if (kbs_query__plan_build_kb(&p, kb, ctx, text, &o, 0, &err) != KBS_OK)
		fail_msg("plan: %s", err.msg);
	char *key = kbs_query__key(&p);
	assert_non_null(key);
	kbs_query__plan_free(&p);
	kbs_kb__ctx_put(kb, ctx);
	return key;
}

static void assert_same_key(kbs_kb *kb, const char *a, const char *b, const char *lang)
{
	char *ka = key_of(kb, a, lang), *kb2 = key_of(kb, b, lang);
	if (strcmp(ka, kb2) != 0)
		fail_msg("\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", a, ka, b, kb2);
	free(ka);
	free(kb2);
}

static void query_key(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(KB_TEXT);
	assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", SYN_TEXT, strlen(SYN_TEXT)));
	/* Each word by its shortest stem: "oublié" has "oubli" (accented
	 * form) and "oubl" (the unaccented form's), and "oublie" only "oubl". */
	char *k = key_of(m.kb, "Mot de passe oublié", "fr");
	assert_string_equal(k, "mot oubl pass");
	free(k);
	k = key_of(m.kb, "", "fr");
	assert_string_equal(k, "");
	free(k);
	/* Word order, stop words, case and hyphens do not matter. */
	assert_same_key(m.kb, "Mot de passe oublié", "oublié mon mot de passe", "fr");
	assert_same_key(m.kb, "Mot de passe oublié", "MOT-DE-PASSE OUBLIÉ", "fr");
	/* A synonym maps to its rule's canonical entry: the first of an
	 * equivalence, the right side of a one-way rule. */
	assert_same_key(m.kb, "Mot de passe oublié", "mdp oublié", "fr");
	assert_same_key(m.kb, "code d'accès oublié", "mdp oublié", "fr");
	assert_same_key(m.kb, "annuler l'abonnement", "résilier l'abonnement", "fr");
	assert_same_key(m.kb, "application", "appli", "fr");
	/* Without a language, the same holds with the languages of the index. */
	assert_same_key(m.kb, "Mot de passe oublié", "oublié mon mot de passe", NULL);
	assert_same_key(m.kb, "Mot de passe oublié", "mdp oublié", NULL);
	/* Excluded words and syntax are not part of the key. */
	assert_same_key(m.kb, "mot de passe -oublié", "\"mot de passe\"", "fr");
	tu_mini_free(&m);
}

/* Searches go on while the set is replaced under them: each search uses
 * one whole set, old or new, and none fails (run under TSan too). */
typedef struct hammer {
	kbs_kb *kb;
	int failures;
} hammer;

static void *search_loop(void *arg)
{
	hammer *h = arg;
	for (int i = 0; i < 200; i++) {
		kbs_results *r = NULL;
		if (kbs_search(&r, h->kb, i % 2 ? "mdp oublié" : "annuler", NULL) != KBS_OK)
			h->failures++;
		kbs_results_free(r);
	}
	return NULL;
}

static void reload_while_searching(void **state)
{
	(void)state;
	tu_mini m = tu_mini_kb(KB_TEXT);
	hammer h[4];
	pthread_t t[4];
	for (int i = 0; i < 4; i++) {
		h[i] = (hammer){ m.kb, 0 };
		assert_int_equal(pthread_create(&t[i], NULL, search_loop, &h[i]), 0);
	}
	const char *v2 = "rendez-vous, rdv\n";
	for (int i = 0; i < 40; i++) {
		const char *text = i % 2 ? SYN_TEXT : v2;
		assert_kbs_ok(m.kb, kbs_synonyms_load(m.kb, "fr", text, strlen(text)));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(h[i].failures, 0);
	}
	tu_mini_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_table),
		cmocka_unit_test(expansion),
		cmocka_unit_test(weighed_as_one_word),
		cmocka_unit_test(rare_synonym_below_the_word),
		cmocka_unit_test(phrase_in_title),
		cmocka_unit_test(compound_entry_either_way),
		cmocka_unit_test(stop_word_synonym_below_the_word),
		cmocka_unit_test(stop_word_alternative_left_out),
		cmocka_unit_test(load_errors),
		cmocka_unit_test(query_key),
		cmocka_unit_test(reload_while_searching),
	};
	return cmocka_run_group_tests_name("synonyms", tests, NULL, NULL);
}
