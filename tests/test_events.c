/*
 * The events log and its reports, on real SQLite stores in temporary
 * knowledge bases: every metric of design.md on a small scenario whose
 * figures were computed by hand (in the comments), redaction cases and
 * non-cases, the unanswered reasons, retention, erasure, import errors, the
 * full-queue policy and durability across a SIGKILL.
 */
#include <jansson.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"
#include "events/events.h"

/* Five articles chosen so that each unanswered reason has exactly one
 * cause: "download" only in English, "geste" only for agents, "facture"
 * only in Facturation. */
static const char *const ARTICLES =
	"{\"id\":\"a-facture\",\"title\":\"Télécharger sa facture en ligne\",\"lang\":\"fr\","
	"\"kind\":\"faq\",\"category\":\"Facturation/Factures\",\"tags\":[\"facture\"],"
	"\"body\":\"Votre facture est disponible en ligne dans votre espace client. Téléchargez la "
	"facture au format PDF.\"}\n"
	"{\"id\":\"a-resilier\",\"title\":\"Résilier son contrat\",\"lang\":\"fr\",\"kind\":\"faq\","
	"\"category\":\"Contrat/Résiliation\",\"body\":\"Pour résilier votre contrat, souscrivez chez "
	"le nouveau fournisseur : la résiliation est automatique.\"}\n"
	"{\"id\":\"a-geste\",\"title\":\"Procédure geste commercial\",\"lang\":\"fr\",\"kind\":\"guide\","
	"\"category\":\"Interne/Procédures\",\"audience\":[\"agent\"],\"body\":\"Le conseiller peut "
	"accorder un geste commercial plafonné selon la procédure.\"}\n"
	"{\"id\":\"a-invoice\",\"title\":\"Download your invoice\",\"lang\":\"en\",\"kind\":\"faq\","
	"\"category\":\"Billing/Invoices\",\"body\":\"Your invoice is available online. Download the "
	"invoice as a PDF file.\"}\n"
	"{\"id\":\"a-appli\",\"title\":\"Installer l'application mobile\",\"lang\":\"fr\","
	"\"kind\":\"tutorial\",\"category\":\"Application/Installation\",\"body\":\"Installez "
	"l'application depuis le store de votre téléphone puis connectez-vous.\"}\n";

typedef struct fx {
	char *dir;
	kbs_kb *kb;
} fx;

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	tu_mini m = tu_mini_kb(ARTICLES); /* the knowledge base is f->dir/kb */
	f->dir = m.dir;
	f->kb = m.kb;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	kbs_close(f->kb);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static int64_t T(const char *iso)
{
	int64_t t = 0;
	if (!kbs_events__parse_time(iso, &t))
		fail_msg("bad time in test: %s", iso);
	return t;
}

#define MIN_MS (60 * 1000LL)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

/* A logged search; returns its search id (malloc'd). */
static char *search_at(kbs_kb *kb, const char *session, int64_t at, const char *text,
		       const kbs_search_opts *base)
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	if (base)
		o = *base;
	o.session = session;
	o.at = at;
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_search(&r, kb, text, &o));
	char *id = strdup(kbs_results_search_id(r));
	kbs_results_free(r);
	return id;
}

static void event(kbs_kb *kb, kbs_event_type type, const char *session, int64_t at,
		  const char *article, const char *search_id, int helpful)
{
	kbs_event ev = KBS_EVENT_INIT;
	ev.type = type;
	ev.session = session;
	ev.at = at;
	ev.article = article;
	ev.search_id = search_id;
	ev.helpful = helpful;
	assert_kbs_ok(kb, kbs_event_log(kb, &ev));
}

static sqlite3 *store(fx *f)
{
	assert_kbs_ok(f->kb, kbs_events_flush(f->kb));
	char *p = tu_path(f->dir, "kb/events.sqlite");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(p, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	free(p);
	return db;
}

static json_t *report(kbs_kb *kb, kbs_report_kind kind, int64_t since, int64_t until,
		      const char *const *roles, size_t nroles)
{
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	o.since = since;
	o.until = until;
	o.roles = roles;
	o.nroles = nroles;
	char *s = NULL;
	assert_kbs_ok(kb, kbs_report(&s, kb, kind, KBS_FORMAT_JSON, &o));
	json_error_t je;
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("report is not JSON: %s\n%s", je.text, s);
	kbs_string_free(s);
	return j;
}

static json_t *find(json_t *list, const char *field, const char *value)
{
	size_t i;
	json_t *x;
	json_array_foreach(list, i, x)
	{
		if (!strcmp(json_string_value(json_object_get(x, field)), value))
			return x;
	}
	return NULL;
}

#define INT(o, k) json_integer_value(json_object_get((o), (k)))
#define REAL(o, k) json_number_value(json_object_get((o), (k)))

/* ---- redaction ---- */

static void redaction(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out, *guards;
	} cases[] = {
		{ "écrire à jean.dupont+edf@mail.example.fr svp", "écrire à <email> svp", "email" },
		{ "mail: a@b.fr.", "mail: <email>.", "the sentence's dot is not the domain's" },
		{ "rappel au 06 12 34 56 78 merci", "rappel au <phone> merci", "spaced FR mobile" },
		{ "06.12.34.56.78", "<phone>", "dotted FR" },
		{ "0612345678", "<phone>", "glued FR" },
		{ "+33 6 12 34 56 78", "<phone>", "+33" },
		{ "+33 (0)6 12 34 56 78", "<phone>", "+33 (0)" },
		{ "0033 6 12 34 56 78", "<phone>", "0033" },
		{ "London +44 20 7946 0958", "London <phone>", "international" },
		{ "06 12 34 56 78 2 fois", "<phone> 2 fois", "a trailing short number stays" },
		{ "carte 4970 1012 3456 7893 refusée", "carte <card> refusée", "Luhn with spaces" },
		{ "4970-1012-3456-7893", "<card>", "Luhn with dashes" },
		{ "iban FR76 3000 6000 0112 3456 7890 189 merci", "iban <iban> merci", "FR IBAN, spaced" },
		{ "FR7630006000011234567890189", "<iban>", "glued IBAN" },
		{ "GB82 WEST 1234 5698 7654 32", "<iban>", "letters in the BBAN" },
		{ "client 123456789", "client <number>", "long run" },
		{ "ref12345678", "ref<number>", "long run glued to letters" },
		/* non-cases: what support needs, and identifies no one */
		{ "commande 4521 non reçue", "commande 4521 non reçue", "short order number stays" },
		{ "facture du 2026-03-01", "facture du 2026-03-01", "a date stays" },
		{ "4970 1012 3456 7894", "4970 1012 3456 7894", "not Luhn, short groups: stays" },
		{ "FR76 3000 6000 0112 3456 7890 188", "FR76 3000 6000 0112 3456 7890 188",
		  "bad IBAN checksum: groups too short to be numbers" },
		{ "1234567", "1234567", "7 digits stay" },
		{ "puissance 9 kVA 36 mois", "puissance 9 kVA 36 mois", "small numbers" },
		{ "", "", "empty" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *out = NULL;
		assert_int_equal(kbs_redact(&out, cases[i].in), KBS_OK);
		if (strcmp(out, cases[i].out) != 0)
			fail_msg("redact(\"%s\") = \"%s\", expected \"%s\" (%s)", cases[i].in, out,
				 cases[i].out, cases[i].guards);
		kbs_string_free(out);
	}
	char *out = (char *)1;
	assert_int_equal(kbs_redact(&out, NULL), KBS_EINVALID);
	assert_null(out);
}

/* ---- what a search records ---- */

static void search_record_and_privacy(void **state)
{
	fx *f = *state;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = "fr";
	free(search_at(f->kb, "visitor-secret-42", T("2026-03-02T10:00:00Z"),
		       "facture en ligne, mon tel 06 12 34 56 78", &o));
	/* No session: not recorded; an empty query: never a search. */
	kbs_results *r = NULL;
	assert_kbs_ok(f->kb, kbs_search(&r, f->kb, "facture", NULL));
	kbs_results_free(r);
	free(search_at(f->kb, "visitor-secret-42", 0, "", NULL));
	free(search_at(f->kb, "v2", T("2026-03-02T11:00:00Z"), "facture jean.dupont@mail.fr 0612345678", NULL));

	sqlite3 *db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 2);
	/* Nothing redacted survives in the key either. */
	char *k = tu_sql_text(db, "SELECT query || ' | ' || qkey FROM searches WHERE session <> ("
			 "SELECT session FROM searches WHERE at = 1772445600000)");
	assert_non_null(k);
	assert_null(strstr(k, "dupont"));
	assert_null(strstr(k, "0612"));
	assert_non_null(strstr(k, "facture <email> <phone> | "));
	free(k);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches WHERE qkey GLOB '*[0-9]*'"), 0);
	char *q = tu_sql_text(db, "SELECT query FROM searches WHERE at = 1772445600000");
	assert_string_equal(q, "facture en ligne, mon tel <phone>");
	free(q);
	assert_int_equal(tu_sql_int(db, "SELECT at FROM searches"), T("2026-03-02T10:00:00Z"));
	assert_int_equal(tu_sql_int(db, "SELECT lang = 'fr' AND results > 0 AND latency_us > 0"
				" AND length(search_id) = 32 AND qkey <> '' FROM searches WHERE at = 1772445600000"),
			 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM shown WHERE article = 'a-facture' AND rank = 1"), 2);
	/* The session is a keyed hash: 32 hex digits, not the id. */
	assert_int_equal(tu_sql_int(db, "SELECT length(session) = 32 AND session <> 'visitor-secret-42'"
				" AND session NOT LIKE '%secret%' FROM searches WHERE at = 1772445600000"),
			 1);
	assert_int_equal(tu_sql_int(db, "PRAGMA user_version"), 1);
	char *mode = tu_sql_text(db, "PRAGMA journal_mode");
	assert_string_equal(mode, "wal");
	free(mode);
	sqlite3_close(db);

	/* The secret is the handle's own file, private to its owner. */
	char *key = tu_path(f->dir, "kb/events.key");
	struct stat st;
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(key);
}

/* Query keys merge word order, plurals and accents, and one question
 * asked with or without its language: each row is four searches (both
 * texts, with lang fr and with no language) that must share one key. The
 * language-less rows once keyed on whichever language's stem came first,
 * and "oublié" / "oublie" on different stems. */
static void query_keys(void **state)
{
	fx *f = *state;
	static const char *const same[][2] = {
		{ "mot de passe oublié", "oublié mon mot de passe" },
		{ "factures en ligne", "facture en ligne" },
		{ "résilier contrat", "contrat resilier" },
		{ "Télécharger FACTURE", "telecharger la facture" },
		{ "mot de passe oublié", "mot de passe oublie" },
		/* an elision typed without its apostrophe is the same question */
		{ "télécharger lattestation", "télécharger l'attestation" },
	};
	enum { ROWS = sizeof same / sizeof *same };
	int64_t t = T("2026-03-02T10:00:00Z");
	kbs_search_opts fr = KBS_SEARCH_OPTS_INIT, any = KBS_SEARCH_OPTS_INIT;
	fr.lang = "fr";
	int64_t at = t;
	for (size_t i = 0; i < ROWS; i++) {
		char session[16];
		snprintf(session, sizeof session, "s%zu", i);
		for (size_t j = 0; j < 4; j++, at += HOUR_MS)
			free(search_at(f->kb, session, at, same[i][j % 2], j < 2 ? &fr : &any));
	}
	sqlite3 *db = store(f);
	/* Rows 0 and 4 are one question: one distinct key fewer than rows. */
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(DISTINCT qkey) FROM searches"), ROWS - 1);
	for (size_t i = 0; i < ROWS; i++) {
		char sql[256];
		snprintf(sql, sizeof sql,
			 "SELECT COUNT(DISTINCT qkey) FROM searches WHERE session = "
			 "(SELECT session FROM searches WHERE at = %lld)",
			 (long long)(t + (int64_t)(i * 4) * HOUR_MS));
		if (tu_sql_int(db, sql) != 1)
			fail_msg("row %zu (\"%s\" / \"%s\") has more than one key", i, same[i][0],
				 same[i][1]);
	}
	sqlite3_close(db);
}

static void unanswered_reasons(void **state)
{
	fx *f = *state;
	static const char *const cat_contrat = "Contrat";
	static const struct {
		const char *text, *lang, *category, *reason;
	} cases[] = {
		{ "zorglub", NULL, NULL, "no_match" },
		{ "facture", NULL, cat_contrat, "filtered" },
		{ "geste commercial", NULL, NULL, "restricted" },
		{ "geste commercial", "en", NULL, "restricted" }, /* other language AND above the role */
		{ "download", "fr", NULL, "other_language" },
		{ "facture zorglub blorp wibble quux", NULL, NULL, "low_confidence" },
		{ "facture en ligne", NULL, NULL, NULL },
	};
	int64_t t = T("2026-03-02T10:00:00Z");
	size_t n = sizeof cases / sizeof *cases;
	for (size_t i = 0; i < n; i++) {
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.lang = cases[i].lang;
		o.category = cases[i].category;
		free(search_at(f->kb, "s", t + (int64_t)i * HOUR_MS, cases[i].text, &o));
	}
	/* The agent sees the procedure: answered. */
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	const char *agent[] = { "agent" };
	o.roles = agent;
	o.nroles = 1;
	free(search_at(f->kb, "s", t + (int64_t)n * HOUR_MS, "geste commercial", &o));

	sqlite3 *db = store(f);
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT query, reason, roles FROM searches ORDER BY at", -1,
					    &st, NULL),
			 SQLITE_OK);
	for (size_t i = 0; i <= n; i++) {
		assert_int_equal(sqlite3_step(st), SQLITE_ROW);
		const char *reason = (const char *)sqlite3_column_text(st, 1);
		const char *want = i < n ? cases[i].reason : NULL;
		if ((reason == NULL) != (want == NULL) || (reason && strcmp(reason, want)))
			fail_msg("\"%s\": reason %s, expected %s", sqlite3_column_text(st, 0),
				 reason ? reason : "NULL", want ? want : "NULL");
		assert_string_equal((const char *)sqlite3_column_text(st, 2), i < n ? "[]" : "[\"agent\"]");
	}
	sqlite3_finalize(st);
	char *filters = tu_sql_text(db, "SELECT filters FROM searches WHERE reason = 'filtered'");
	assert_non_null(filters);
	assert_string_equal(filters, "{\"category\":\"Contrat\"}");
	free(filters);
	sqlite3_close(db);
}

/* ---- deflection ---- */

/* Article a-facture, W = 24 h, report [Mar 1, Mar 10):
 *   v1 view T, ticket T+24h exactly           ticketed (the window is closed)
 *   v2 view T, ticket T+24h+1ms               potential (too late to count)
 *   v3 view T and T+5min, helpful vote T+1h   confirmed
 *   v4 view T, resolved T+2h                  confirmed
 *   v5 view T, ticket T+1h                    ticketed
 *   v6 ticket T-1h, view T                    potential (the ticket came first)
 *   v7 view U-24h+1ms                         pending (window not over at U)
 *   v8 view U-24h, unhelpful vote              potential (window just over)
 * viewers 8, pending 1, n 7, ticketed 2, confirmed 2, potential 3,
 * deflection 1 - 2/7 = 0.7143, Wilson 95 % of 5/7: [0.3589, 0.9178];
 * views 9; votes up 1, down 1; resolved 1.
 * a-resilier: 4 viewers, none ticketed: insufficient data. */
static void deflection(void **state)
{
	fx *f = *state;
	kbs_kb *kb = f->kb;
	int64_t T0 = T("2026-03-02T12:00:00Z"), U = T("2026-03-10T00:00:00Z");
	const char *A = "a-facture";
	event(kb, KBS_EVENT_VIEW, "v1", T0, A, NULL, 0);
	event(kb, KBS_EVENT_TICKET, "v1", T0 + DAY_MS, NULL, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v2", T0, A, NULL, 0);
	event(kb, KBS_EVENT_TICKET, "v2", T0 + DAY_MS + 1, NULL, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v3", T0, A, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v3", T0 + 5 * MIN_MS, A, NULL, 0);
	event(kb, KBS_EVENT_VOTE, "v3", T0 + HOUR_MS, A, NULL, 1);
	event(kb, KBS_EVENT_VIEW, "v4", T0, A, NULL, 0);
	event(kb, KBS_EVENT_RESOLVED, "v4", T0 + 2 * HOUR_MS, A, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v5", T0, A, NULL, 0);
	event(kb, KBS_EVENT_TICKET, "v5", T0 + HOUR_MS, NULL, NULL, 0);
	event(kb, KBS_EVENT_TICKET, "v6", T0 - HOUR_MS, NULL, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v6", T0, A, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v7", U - DAY_MS + 1, A, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "v8", U - DAY_MS, A, NULL, 0);
	event(kb, KBS_EVENT_VOTE, "v8", U - DAY_MS + 1, A, NULL, 0);
	for (int i = 0; i < 4; i++) {
		char s[8];
		snprintf(s, sizeof s, "r%d", i);
		event(kb, KBS_EVENT_VIEW, s, T0, "a-resilier", NULL, 0);
	}
	/* Out of the period: ignored. */
	event(kb, KBS_EVENT_VIEW, "early", T("2026-02-20T00:00:00Z"), A, NULL, 0);

	json_t *j = report(kb, KBS_REPORT_ARTICLES, T("2026-03-01T00:00:00Z"), U, NULL, 0);
	json_t *a = find(j, "id", A);
	assert_non_null(a);
	assert_string_equal(json_string_value(json_object_get(a, "title")), "Télécharger sa facture en ligne");
	assert_int_equal(INT(a, "views"), 9);
	assert_int_equal(INT(a, "viewer_sessions"), 8);
	assert_int_equal(INT(a, "pending_sessions"), 1);
	assert_int_equal(INT(a, "ticketed_sessions"), 2);
	assert_int_equal(INT(a, "confirmed"), 2);
	assert_int_equal(INT(a, "potential"), 3);
	assert_true(json_is_false(json_object_get(a, "insufficient_data")));
	assert_float_equal(REAL(a, "deflection"), 0.7143, 1e-9);
	assert_float_equal(REAL(a, "deflection_low"), 0.3589, 1e-9);
	assert_float_equal(REAL(a, "deflection_high"), 0.9178, 1e-9);
	assert_int_equal(INT(a, "votes_up"), 1);
	assert_int_equal(INT(a, "votes_down"), 1);
	assert_int_equal(INT(a, "resolved"), 1);
	assert_true(json_is_null(json_object_get(a, "ctr_impression")));
	/* The article with most viewer sessions comes first. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "id")), A);
	char *html = NULL;
	kbs_report_opts ho = KBS_REPORT_OPTS_INIT;
	ho.since = T("2026-03-01T00:00:00Z");
	ho.until = U;
	assert_kbs_ok(kb, kbs_report(&html, kb, KBS_REPORT_ARTICLES, KBS_FORMAT_HTML, &ho));
	/* the interval drawn inline: 71 % in [36 %, 92 %] */
	assert_non_null(strstr(html, "<svg"));
	assert_non_null(strstr(html, "<title>71% (95%: 36–92%)</title>"));
	/* Trends per day as inline SVG, one point per day of the 9 with its
	 * figures on hover: tickets v5, v6 on Mar 2, v1, v2 on Mar 3. */
	assert_non_null(strstr(html, "<svg class=\"trend\" role=\"img\" aria-label=\"Tickets per day\""));
	assert_non_null(strstr(html, "<title>2026-03-02: 2 tickets (previous period: 0)</title>"));
	assert_non_null(strstr(html, "<title>2026-03-03: 2 tickets (previous period: 0)</title>"));
	assert_non_null(strstr(html, "<title>2026-03-09: 0 tickets (previous period: 0)</title>"));
	assert_null(strstr(html, "<title>2026-03-10:"));
	/* No external assets. */
	assert_null(strstr(html, "src="));
	assert_null(strstr(html, "href="));
	kbs_string_free(html);

	json_t *b = find(j, "id", "a-resilier");
	assert_non_null(b);
	assert_int_equal(INT(b, "viewer_sessions"), 4);
	assert_true(json_is_true(json_object_get(b, "insufficient_data")));
	assert_true(json_is_null(json_object_get(b, "deflection")));
	assert_true(json_is_null(json_object_get(b, "deflection_low")));
	json_decref(j);

	/* A longer window: v2's ticket now counts, and v8 turns pending. */
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	o.since = T("2026-03-01T00:00:00Z");
	o.until = U;
	o.window = DAY_MS + 1;
	char *s = NULL;
	assert_kbs_ok(kb, kbs_report(&s, kb, KBS_REPORT_ARTICLES, KBS_FORMAT_JSON, &o));
	j = json_loads(s, 0, NULL);
	kbs_string_free(s);
	a = find(j, "id", A);
	assert_int_equal(INT(a, "ticketed_sessions"), 3);
	assert_int_equal(INT(a, "pending_sessions"), 2);
	json_decref(j);
}

/* ---- summary: intents, abandoned, click-through, ratios ---- */

/* Day D, report [D, D+1d):
 *   A  "facture en ligne" at 0, view a-facture (from that search) at +5 s
 *   B  "fac" at 0, "facture" at +2 s: one intent, results, no view: abandoned
 *   C  "zorglub" at 0 (no result), "résilier contrat" at +40 min (a new
 *      intent), view a-resilier at +41 min, ticket at +50 min
 *   D  ticket only          E  view a-facture only (came from elsewhere)
 *   F  "facture" at 0, view a-facture at +3 s, "facture en ligne" at
 *      +6 s: within the intent gap, but the view ends the first intent
 * searches 7; intents A1 B1 C2 F2 = 6; sessions 6; unanswered 1 (zorglub);
 * no-result rate 1/6 = 0.1667; abandoned: B and F's second = 2;
 * intents with a view: A, C's second, F's first = 3/6 = 0.5;
 * views A C E F = 4; tickets 2; self-service 4 sessions with a view / 2
 * with a ticket = 2. */
static void summary_figures(void **state)
{
	fx *f = *state;
	kbs_kb *kb = f->kb;
	int64_t D = T("2026-03-03T09:00:00Z");
	char *sa = search_at(kb, "A", D, "facture en ligne", NULL);
	event(kb, KBS_EVENT_VIEW, "A", D + 5000, "a-facture", sa, 0);
	free(search_at(kb, "B", D, "fac", NULL));
	free(search_at(kb, "B", D + 2000, "facture", NULL));
	free(search_at(kb, "C", D, "zorglub", NULL));
	char *sc = search_at(kb, "C", D + 40 * MIN_MS, "résilier contrat", NULL);
	event(kb, KBS_EVENT_VIEW, "C", D + 41 * MIN_MS, "a-resilier", sc, 0);
	event(kb, KBS_EVENT_TICKET, "C", D + 50 * MIN_MS, NULL, NULL, 0);
	event(kb, KBS_EVENT_TICKET, "D", D, NULL, NULL, 0);
	event(kb, KBS_EVENT_VIEW, "E", D, "a-facture", NULL, 0);
	free(search_at(kb, "F", D, "facture", NULL));
	event(kb, KBS_EVENT_VIEW, "F", D + 3000, "a-facture", NULL, 0);
	free(search_at(kb, "F", D + 6000, "facture en ligne", NULL));

	json_t *j = report(kb, KBS_REPORT_SUMMARY, T("2026-03-03T00:00:00Z"), T("2026-03-04T00:00:00Z"),
			   NULL, 0);
	assert_int_equal(INT(j, "searches"), 7);
	assert_int_equal(INT(j, "intents"), 6);
	assert_int_equal(INT(j, "sessions"), 6);
	assert_int_equal(INT(j, "unanswered"), 1);
	assert_float_equal(REAL(j, "no_result_rate"), 0.1667, 1e-9);
	assert_int_equal(INT(j, "abandoned"), 2);
	assert_float_equal(REAL(j, "ctr_intent"), 0.5, 1e-9);
	assert_int_equal(INT(j, "views"), 4);
	assert_int_equal(INT(j, "tickets"), 2);
	assert_float_equal(REAL(j, "self_service_ratio"), 2.0, 1e-9);
	const char *fields[] = { "searches", "intents", "sessions", "unanswered", "no_result_rate",
				 "abandoned", "ctr_intent", "views", "tickets", "self_service_ratio" };
	assert_int_equal(json_object_size(j), 10);
	for (size_t i = 0; i < 10; i++)
		assert_non_null(json_object_get(j, fields[i]));
	json_decref(j);

	/* An empty period: counts 0, rates null. */
	j = report(kb, KBS_REPORT_SUMMARY, T("2025-01-01T00:00:00Z"), T("2025-01-02T00:00:00Z"), NULL, 0);
	assert_int_equal(INT(j, "searches"), 0);
	assert_true(json_is_null(json_object_get(j, "no_result_rate")));
	assert_true(json_is_null(json_object_get(j, "self_service_ratio")));
	json_decref(j);
	free(sa);
	free(sc);
}

/* Click-through per impression: a-facture shown in 6 intents (one
 * session typed it in three keystrokes: one impression), clicked from the
 * hit in 2 of them; a view without a search id, or from another search,
 * is no click on the hit. 2/6 = 0.3333. */
static void ctr_per_impression(void **state)
{
	fx *f = *state;
	kbs_kb *kb = f->kb;
	int64_t D = T("2026-03-03T09:00:00Z");
	for (int i = 0; i < 5; i++) {
		char s[8];
		snprintf(s, sizeof s, "s%d", i);
		char *id = search_at(kb, s, D, "facture en ligne", NULL);
		if (i < 2)
			event(kb, KBS_EVENT_VIEW, s, D + 10000, "a-facture", id, 0);
		else if (i == 2)
			event(kb, KBS_EVENT_VIEW, s, D + 10000, "a-facture", NULL, 0);
		free(id);
	}
	free(search_at(kb, "k", D, "factu", NULL));
	free(search_at(kb, "k", D + 1000, "facture", NULL));
	free(search_at(kb, "k", D + 2000, "facture en ligne", NULL));
	json_t *j = report(kb, KBS_REPORT_ARTICLES, T("2026-03-03T00:00:00Z"), T("2026-03-04T00:00:00Z"),
			   NULL, 0);
	json_t *a = find(j, "id", "a-facture");
	assert_non_null(a);
	assert_float_equal(REAL(a, "ctr_impression"), 0.3333, 1e-9);
	json_decref(j);
}

/* ---- gaps: keys, k threshold, intents, roles, trend ---- */

static void gaps_report(void **state)
{
	fx *f = *state;
	kbs_kb *kb = f->kb;
	int64_t D = T("2026-03-05T09:00:00Z");
	/* "zorglub" gap: 4 sessions; 3 typed "Zorglub prix", one "prix zorglub"
	 * (the same key, shown by the k = 3 rule only for the first text). */
	for (int i = 0; i < 4; i++) {
		char s[8];
		snprintf(s, sizeof s, "z%d", i);
		/* Keystrokes first: the intent is what was finally typed. */
		free(search_at(kb, s, D + i * HOUR_MS, "zor", NULL));
		free(search_at(kb, s, D + i * HOUR_MS + 1500, i < 3 ? "Zorglub prix" : "prix zorglub", NULL));
	}
	/* A gap typed by 2 sessions only: under k, not shown at all. */
	free(search_at(kb, "w1", D, "wibblefoo", NULL));
	free(search_at(kb, "w2", D, "wibblefoo", NULL));
	/* The same session three times: one session. */
	for (int i = 0; i < 3; i++)
		free(search_at(kb, "x", D + i * HOUR_MS, "quuxbar", NULL));
	/* Agents' unanswered searches are hidden from a public reader. */
	kbs_search_opts ag = KBS_SEARCH_OPTS_INIT;
	const char *agent[] = { "agent" };
	ag.roles = agent;
	ag.nroles = 1;
	const char *agent_mixed[] = { "Agent" };
	for (int i = 0; i < 3; i++) {
		char s[8];
		snprintf(s, sizeof s, "ag%d", i);
		ag.roles = i == 2 ? agent_mixed : agent;
		free(search_at(kb, s, D, "remboursement exceptionnel", &ag));
	}
	/* Trend: "zorglub" had 1 session in the previous period. */
	free(search_at(kb, "old", T("2026-02-20T09:00:00Z"), "zorglub prix", NULL));

	int64_t since = T("2026-03-01T00:00:00Z"), until = T("2026-03-11T00:00:00Z");
	json_t *j = report(kb, KBS_REPORT_GAPS, since, until, NULL, 0);
	assert_int_equal(json_array_size(j), 1);
	json_t *g = json_array_get(j, 0);
	assert_int_equal(INT(g, "sessions"), 4);
	assert_int_equal(INT(g, "searches"), 4);
	assert_int_equal(INT(g, "zero_results"), 4);
	assert_int_equal(INT(g, "unconfident"), 0);
	assert_int_equal(INT(json_object_get(g, "reasons"), "no_match"), 4);
	assert_int_equal(json_array_size(json_object_get(g, "examples")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(g, "examples"), 0)),
			    "Zorglub prix");
	assert_string_equal(json_string_value(json_object_get(g, "first_seen")), "2026-03-05T09:00:01Z");
	assert_string_equal(json_string_value(json_object_get(g, "last_seen")), "2026-03-05T12:00:01Z");
	json_t *t = json_object_get(g, "trend");
	assert_int_equal(INT(t, "previous_sessions"), 1);
	assert_string_equal(json_string_value(json_object_get(t, "direction")), "up");
	json_decref(j);

	/* The agent reader sees the agents' gap too, whatever the case the
	 * role is written in on either side (search folds roles; so do the
	 * log and the reports). */
	const char *agent_upper[] = { "AGENT" };
	for (int k = 0; k < 2; k++) {
		j = report(kb, KBS_REPORT_GAPS, since, until, k ? agent_upper : agent, 1);
		assert_int_equal(json_array_size(j), 2);
		assert_non_null(find(j, "key", json_string_value(json_object_get(json_array_get(j, 1), "key"))));
		assert_int_equal(INT(json_array_get(j, 1), "sessions"), 3);
		json_decref(j);
	}
}

/* Articles above the reader's roles are never named. */
static void reports_respect_roles(void **state)
{
	fx *f = *state;
	int64_t D = T("2026-03-05T09:00:00Z");
	event(f->kb, KBS_EVENT_VIEW, "ag", D, "a-geste", NULL, 0);
	event(f->kb, KBS_EVENT_VIEW, "pub", D, "a-appli", NULL, 0);
	event(f->kb, KBS_EVENT_VIEW, "pub", D, "gone-from-index", NULL, 0);
	int64_t since = T("2026-03-01T00:00:00Z"), until = T("2026-03-11T00:00:00Z");
	json_t *j = report(f->kb, KBS_REPORT_ARTICLES, since, until, NULL, 0);
	assert_int_equal(json_array_size(j), 1);
	assert_non_null(find(j, "id", "a-appli"));
	json_decref(j);
	const char *agent[] = { "agent" };
	j = report(f->kb, KBS_REPORT_ARTICLES, since, until, agent, 1);
	assert_int_equal(json_array_size(j), 2);
	assert_non_null(find(j, "id", "a-geste"));
	json_decref(j);
	for (int fmt = KBS_FORMAT_TABLE; fmt <= KBS_FORMAT_HTML; fmt++) {
		kbs_report_opts o = KBS_REPORT_OPTS_INIT;
		o.since = since;
		o.until = until;
		char *s = NULL;
		assert_kbs_ok(f->kb, kbs_report(&s, f->kb, KBS_REPORT_ARTICLES, (kbs_report_format)fmt, &o));
		assert_non_null(strstr(s, "a-appli"));
		assert_null(strstr(s, "a-geste"));
		assert_null(strstr(s, "geste"));
		if (fmt == KBS_FORMAT_HTML) {
			/* self-contained: nothing fetched from elsewhere */
			assert_non_null(strstr(s, "<!DOCTYPE html>"));
			assert_null(strstr(s, "src="));
			assert_null(strstr(s, "<link"));
			assert_null(strstr(s, "@import"));
		}
		kbs_string_free(s);
	}
}

/* ---- retention, erasure, trail ---- */

static void retention_and_erasure(void **state)
{
	fx *f = *state;
	int64_t now = kbs_events__now_ms();
	event(f->kb, KBS_EVENT_VIEW, "old", now - 100 * DAY_MS, "a-appli", NULL, 0);
	free(search_at(f->kb, "old", now - 100 * DAY_MS, "facture en ligne", NULL));
	event(f->kb, KBS_EVENT_VIEW, "mid", now - 60 * DAY_MS, "a-appli", NULL, 0);
	event(f->kb, KBS_EVENT_VIEW, "new", now - DAY_MS, "a-appli", NULL, 0);
	event(f->kb, KBS_EVENT_TICKET, "new", now - DAY_MS + 1, NULL, NULL, 0);
	free(search_at(f->kb, "new", now - DAY_MS, "facture en ligne", NULL));

	uint64_t n = 0;
	assert_kbs_ok(f->kb, kbs_events_purge(&n, f->kb, now - 90 * DAY_MS));
	assert_int_equal(n, 2); /* old's view and search (its shown rows go with it) */
	sqlite3 *db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM events"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM shown WHERE search NOT IN (SELECT id FROM searches)"), 0);
	sqlite3_close(db);

	/* The trail a support agent reads before answering new's ticket. */
	char *s = NULL;
	assert_kbs_ok(f->kb, kbs_events_trail_json(&s, f->kb, "new"));
	json_t *j = json_loads(s, 0, NULL);
	kbs_string_free(s);
	json_t *ev = json_object_get(j, "events");
	assert_int_equal(json_array_size(ev), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "type")), "search");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 0), "query")), "facture en ligne");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 1), "type")), "view");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 1), "title")),
			    "Installer l'application mobile");
	assert_string_equal(json_string_value(json_object_get(json_array_get(ev, 2), "type")), "ticket");
	json_decref(j);

	/* Erasure of one session. */
	assert_kbs_ok(f->kb, kbs_events_erase(&n, f->kb, "new"));
	assert_int_equal(n, 3);
	db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM events"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 0);
	sqlite3_close(db);
	assert_int_equal(kbs_events_erase(&n, f->kb, ""), KBS_EINVALID);

	/* The open option purges by itself. */
	kbs_close(f->kb);
	char *home = tu_path(f->dir, "kb");
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.events_retention = 30 * DAY_MS;
	assert_kbs_ok(NULL, kbs_open(&f->kb, home, &oo, NULL));
	free(home);
	db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM events"), 0); /* mid was 60 days old */
	sqlite3_close(db);
}

/* ---- import ---- */

static void import_reports_bad_lines(void **state)
{
	fx *f = *state;
	tu_write(f->dir, "ev.jsonl",
		 "{\"type\":\"search\",\"session\":\"i1\",\"at\":\"2026-03-02T10:00:00Z\",\"query\":\"facture\"}\n"
		 "{\"type\":\"view\",\"session\":\"i1\",\"at\":\"2026-03-02T10:00:05Z\",\"article\":\"a-facture\"}\n"
		 "\n"
		 "{\"type\":\"vote\",\"session\":\"i1\",\"at\":\"2026-03-02T10:01:00+01:00\",\"article\":\"a-facture\","
		 "\"helpful\":false,\"comment\":\"rappelez moi au 0612345678\"}\n"
		 "not json\n"
		 "{\"type\":\"teleport\",\"session\":\"i1\"}\n"
		 "{\"type\":\"view\",\"article\":\"a-facture\"}\n"
		 "{\"type\":\"view\",\"session\":\"i1\",\"at\":\"yesterday\",\"article\":\"a-facture\"}\n"
		 "{\"type\":\"vote\",\"session\":\"i1\",\"article\":\"a-facture\"}\n"
		 "{\"type\":\"view\",\"session\":\"i1\",\"article\":\"bad id!\"}\n"
		 "{\"type\":\"ticket\",\"session\":\"i1\",\"at\":\"2026-03-02T11:00:00Z\"}\n");
	char *p = tu_path(f->dir, "ev.jsonl");
	tu_diags d = { 0 };
	kbs_events_import_summary sum;
	assert_kbs_ok(f->kb, kbs_events_import(&sum, f->kb, p, tu_diag_cb, &d));
	assert_int_equal(sum.imported, 4);
	assert_int_equal(sum.rejected, 6);
	assert_int_equal(d.n, 6);
	char where[4096];
	static const unsigned lines[] = { 5, 6, 7, 8, 9, 10 };
	for (size_t i = 0; i < 6; i++) {
		snprintf(where, sizeof where, "%s:%u: ", p, lines[i]);
		if (!tu_diags_has(&d, where))
			fail_msg("no message for line %u", lines[i]);
	}
	assert_true(tu_diags_has(&d, "invalid JSON"));
	assert_true(tu_diags_has(&d, "unknown event type \"teleport\""));
	assert_true(tu_diags_has(&d, "\"session\" is missing"));
	assert_true(tu_diags_has(&d, "'yesterday' is not an ISO 8601 time"));
	tu_diags_free(&d);
	sqlite3 *db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM events"), 3);
	assert_int_equal(tu_sql_int(db, "SELECT at FROM events WHERE type = 'vote'"), T("2026-03-02T09:01:00Z"));
	char *c = tu_sql_text(db, "SELECT comment FROM events WHERE type = 'vote'");
	assert_string_equal(c, "rappelez moi au <phone>");
	free(c);
	sqlite3_close(db);

	assert_int_equal(kbs_events_import(&sum, f->kb, "/nonexistent/ev.jsonl", NULL, NULL), KBS_ENOTFOUND);
	free(p);
}

static void bad_calls(void **state)
{
	fx *f = *state;
	kbs_event ev = KBS_EVENT_INIT;
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_EINVALID); /* no session */
	ev.session = "s";
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_EINVALID); /* a view needs an article */
	assert_non_null(strstr(kbs_errmsg(f->kb), "article"));
	ev.article = "x y";
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_EINVALID);
	ev.type = (kbs_event_type)9;
	ev.article = "a";
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_EINVALID);
	ev.type = KBS_EVENT_TICKET;
	ev.version = 99;
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_EINVALID);
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	o.since = 10;
	o.until = 5;
	char *s = (char *)1;
	assert_int_equal(kbs_report(&s, f->kb, KBS_REPORT_GAPS, KBS_FORMAT_JSON, &o), KBS_EINVALID);
	assert_null(s);
	assert_int_equal(kbs_report_opts_init(&o, 77), KBS_EINVALID);

	/* Events off: nothing is created, calls say so. */
	char *home = tu_path(f->dir, "kb2");
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE | KBS_OPEN_NO_EVENTS;
	kbs_kb *kb = NULL;
	assert_kbs_ok(NULL, kbs_open(&kb, home, &oo, NULL));
	ev.version = KBS_EVENT_VERSION;
	assert_int_equal(kbs_event_log(kb, &ev), KBS_ERROR);
	free(search_at(kb, "s", 0, "facture", NULL));
	assert_kbs_ok(kb, kbs_events_flush(kb));
	kbs_close(kb);
	char *p = tu_path(home, "events.sqlite");
	struct stat st;
	assert_int_not_equal(stat(p, &st), 0);
	free(p);
	free(home);
}

/* ---- the queue: never blocks a search; drops and counts when full ---- */

static void full_queue_drops_and_counts(void **state)
{
	fx *f = *state;
	kbs_close(f->kb);
	char *home = tu_path(f->dir, "kb");
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.events_queue = 2;
	assert_kbs_ok(NULL, kbs_open(&f->kb, home, &oo, NULL));
	free(home);
	assert_kbs_ok(f->kb, kbs_events_flush(f->kb));
	event(f->kb, KBS_EVENT_TICKET, "warm", 0, NULL, NULL, 0); /* the store is open */
	assert_kbs_ok(f->kb, kbs_events_flush(f->kb));
	kbs_events__pause(f->kb, true);
	for (int i = 0; i < 5; i++)
		free(search_at(f->kb, "s", 0, "facture", NULL)); /* each returns at once */
	assert_int_equal(kbs_events_dropped(f->kb), 3);
	kbs_event ev = KBS_EVENT_INIT;
	ev.type = KBS_EVENT_TICKET;
	ev.session = "s";
	assert_int_equal(kbs_event_log(f->kb, &ev), KBS_ERETRY);
	kbs_events__pause(f->kb, false);
	sqlite3 *db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 2);
	sqlite3_close(db);
	assert_int_equal(kbs_events_dropped(f->kb), 3);
}

/* ---- durability: what was flushed survives a SIGKILL ---- */

static void flushed_survives_sigkill(void **state)
{
	fx *f = *state;
	char *home = tu_path(f->dir, "kb");
	kbs_close(f->kb);
	f->kb = NULL;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kbs_kb *kb = NULL;
		close(fds[0]);
		if (kbs_open(&kb, home, NULL, NULL) != KBS_OK)
			_exit(2);
		for (int i = 0; i < 300; i++) {
			kbs_event ev = KBS_EVENT_INIT;
			ev.type = KBS_EVENT_VIEW;
			ev.session = i % 2 ? "odd" : "even";
			ev.article = "a-facture";
			ev.at = 1000 + i;
			if (kbs_event_log(kb, &ev) != KBS_OK)
				_exit(3);
		}
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.session = "even";
		kbs_results *r = NULL;
		if (kbs_search(&r, kb, "facture", &o) != KBS_OK)
			_exit(4);
		kbs_results_free(r);
		if (kbs_events_flush(kb) != KBS_OK)
			_exit(5);
		/* More after the flush: whatever of it is lost is allowed. */
		kbs_event ev = KBS_EVENT_INIT;
		ev.type = KBS_EVENT_TICKET;
		ev.session = "late";
		kbs_event_log(kb, &ev);
		if (write(fds[1], "k", 1) != 1)
			_exit(6);
		for (;;)
			pause(); /* killed here, never closed */
	}
	close(fds[1]);
	char c = 0;
	assert_int_equal(read(fds[0], &c, 1), 1);
	kill(pid, SIGKILL);
	int status = 0;
	waitpid(pid, &status, 0);
	close(fds[0]);
	assert_true(WIFSIGNALED(status));
	assert_kbs_ok(NULL, kbs_open(&f->kb, home, NULL, NULL));
	free(home);
	sqlite3 *db = store(f);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM events WHERE type = 'view'"), 300);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(*) FROM searches"), 1);
	assert_int_equal(tu_sql_int(db, "SELECT COUNT(DISTINCT session) FROM events WHERE type = 'view'"), 2);
	sqlite3_close(db);
}

/* Times: ISO 8601 in, UTC out. */
static void times(void **state)
{
	(void)state;
	assert_int_equal(T("1970-01-01T00:00:00Z"), 0);
	assert_int_equal(T("1970-01-01"), 0);
	assert_int_equal(T("1970-01-01T01:00:00+01:00"), 0);
	assert_int_equal(T("1970-01-01T00:00:01.250Z"), 1250);
	int64_t t;
	assert_false(kbs_events__parse_time("2026-02-30", &t));
	assert_false(kbs_events__parse_time("2026-03-01T25:00Z", &t));
	assert_false(kbs_events__parse_time("03/01/2026", &t));
	/* The public form: one parser for article dates, event times and the
	 * CLI's --at (three of them once drifted apart). */
	assert_int_equal(kbs_time_parse(&t, "2026-03-01T09:30:00+02:00"), KBS_OK);
	assert_int_equal(t, T("2026-03-01T07:30:00Z"));
	assert_int_equal(kbs_time_parse(&t, "2026-03-01 09:30"), KBS_EINVALID);
	assert_int_equal(t, 0);
	assert_int_equal(kbs_time_parse(&t, NULL), KBS_EINVALID);
	char s[32];
	kbs_events__format_time(T("2026-03-01T09:30:00+02:00"), s);
	assert_string_equal(s, "2026-03-01T07:30:00Z");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(redaction),
		cmocka_unit_test(times),
		cmocka_unit_test_setup_teardown(search_record_and_privacy, setup, teardown),
		cmocka_unit_test_setup_teardown(query_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(unanswered_reasons, setup, teardown),
		cmocka_unit_test_setup_teardown(deflection, setup, teardown),
		cmocka_unit_test_setup_teardown(summary_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(ctr_per_impression, setup, teardown),
		cmocka_unit_test_setup_teardown(gaps_report, setup, teardown),
		cmocka_unit_test_setup_teardown(reports_respect_roles, setup, teardown),
		cmocka_unit_test_setup_teardown(retention_and_erasure, setup, teardown),
		cmocka_unit_test_setup_teardown(import_reports_bad_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(full_queue_drops_and_counts, setup, teardown),
		cmocka_unit_test_setup_teardown(flushed_survives_sigkill, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
