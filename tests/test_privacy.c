/*
 * Privacy as a property: generated queries and vote comments holding
 * emails, phone numbers (French, British, North American, international
 * forms, with spaces, dots, dashes, brackets or no-break spaces), card
 * numbers (Luhn-valid, grouped or not) and IBANs (valid checksums, grouped
 * or not), mixed with ordinary words, are logged through searches, events
 * and an import; then the events store is opened directly with SQLite and
 * every column of every table is read: no email, no digit of any of them,
 * no IBAN may be there in clear.
 *
 * A table of forms that once went through in clear comes first, each with
 * the text the log keeps. KBS_TEST_SEED replays a run; KBS_PRIVACY_QUERIES
 * sets the number of generated texts (default 2000).
 */
#include <ctype.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "common.h"

static tu_rng rng;

/* ---- personal data, generated ---- */

/* One generated piece of personal data: the text as typed, and the
 * strings that must never be stored (its digits all together, the
 * email, the IBAN without spaces). */
typedef struct pii {
	char text[128];
	char secret[2][96];
	const char *form;
} pii;

static char digit(void)
{
	return (char)('0' + tu_below(&rng, 10));
}

static void digits(char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = digit();
	out[n] = '\0';
}

/* Only the digits of s. */
static void digits_of(const char *s, char *out, size_t cap)
{
	size_t n = 0;
	for (; *s && n + 1 < cap; s++)
		if (isdigit((unsigned char)*s))
			out[n++] = *s;
	out[n] = '\0';
}

/* d[0..n) grouped by the sizes in `groups` (0-terminated), joined by sep. */
static void group(char *out, size_t cap, const char *d, const int *groups, const char *sep)
{
	size_t o = 0, i = 0;
	out[0] = '\0';
	for (int g = 0; groups[g] && d[i]; g++) {
		if (g)
			o += (size_t)snprintf(out + o, cap - o, "%s", sep);
		o += (size_t)snprintf(out + o, cap - o, "%.*s", groups[g], d + i);
		i += strnlen(d + i, (size_t)groups[g]);
	}
	if (d[i])
		snprintf(out + o, cap - o, "%s%s", sep, d + i);
}

static const char *const SEPS[] = { " ", ".", "-", "\xc2\xa0", "\xe2\x80\xaf" };

static void gen_email(pii *p)
{
	static const char *const tlds[] = { "fr", "com", "co.uk", "io", "org", "de" };
	static const char *const wrap[][2] = { { "", "" }, { "<", ">" }, { "(", ")" }, { "mailto:", "" },
					       { "", "." }, { "", "," }, { "«\xc2\xa0", "\xc2\xa0»" },
					       { "'", "'" } };
	char local[32], dom[24];
	size_t n = 4 + tu_below(&rng, 8);
	for (size_t i = 0; i < n; i++)
		local[i] = (char)('a' + tu_below(&rng, 26));
	local[n] = '\0';
	if (tu_below(&rng, 2))
		snprintf(local + n, sizeof local - n, "%c%c%c", ".-_+"[tu_below(&rng, 4)],
			 (char)('a' + tu_below(&rng, 26)), digit());
	size_t m = 3 + tu_below(&rng, 6);
	for (size_t i = 0; i < m; i++)
		dom[i] = (char)('a' + tu_below(&rng, 26));
	dom[m] = '\0';
	char email[80];
	snprintf(email, sizeof email, "%s@%s%s.%s", local, tu_below(&rng, 3) ? "" : "mail.", dom,
		 tlds[tu_below(&rng, 6)]);
	if (tu_below(&rng, 4) == 0)
		for (char *c = email; *c; c++)
			*c = (char)toupper((unsigned char)*c);
	size_t w = tu_below(&rng, 8);
	snprintf(p->text, sizeof p->text, "%s%s%s", wrap[w][0], email, wrap[w][1]);
	snprintf(p->secret[0], sizeof p->secret[0], "%s", email);
	snprintf(p->secret[1], sizeof p->secret[1], "%.*s", (int)n, local);
	p->form = "email";
}

static void gen_phone(pii *p)
{
	char d[24], g[64];
	static const int pairs[] = { 2, 2, 2, 2, 2, 0 };
	static const int fr_intl[] = { 1, 2, 2, 2, 2, 0 };
	const char *sep = SEPS[tu_below(&rng, 5)];
	switch (tu_below(&rng, 12)) {
	case 0: /* French national: 06 12 34 56 78, 06.12..., glued */
		d[0] = '0';
		d[1] = (char)('1' + tu_below(&rng, 9));
		digits(d + 2, 8);
		if (tu_below(&rng, 4) == 0)
			snprintf(g, sizeof g, "%s", d);
		else
			group(g, sizeof g, d, pairs, sep);
		snprintf(p->text, sizeof p->text, "%s", g);
		p->form = "phone fr";
		break;
	case 1: /* +33 6 12 34 56 78, 0033 6 ..., +33 (0)6 ... */
		d[0] = (char)('1' + tu_below(&rng, 9));
		digits(d + 1, 8);
		group(g, sizeof g, d, fr_intl, sep);
		snprintf(p->text, sizeof p->text, "%s%s%s",
			 (const char *[]){ "+33 ", "0033 ", "+33 (0)", "+33" }[tu_below(&rng, 4)], g, "");
		p->form = "phone fr intl";
		break;
	case 2: { /* UK national: 020 7946 0958, 07700 900123 */
		static const int london[] = { 3, 4, 4, 0 }, mobile[] = { 5, 6, 0 };
		bool mob = tu_below(&rng, 2);
		d[0] = '0';
		d[1] = mob ? '7' : '2';
		digits(d + 2, 9);
		group(g, sizeof g, d, mob ? mobile : london, " ");
		snprintf(p->text, sizeof p->text, "%s", g);
		p->form = "phone uk";
		break;
	}
	case 3: { /* UK international: +44 20 7946 0958, +44 (0)20 ... */
		static const int london[] = { 2, 4, 4, 0 };
		d[0] = '2';
		digits(d + 1, 9);
		group(g, sizeof g, d, london, " ");
		snprintf(p->text, sizeof p->text, "+44 %s%s", tu_below(&rng, 2) ? "(0)" : "", g);
		p->form = "phone uk intl";
		break;
	}
	case 4: { /* North American: (555) 123-4567, 555-123-4567, 555.123.4567 */
		d[0] = (char)('2' + tu_below(&rng, 8));
		digits(d + 1, 9);
		switch (tu_below(&rng, 4)) {
		case 0: snprintf(p->text, sizeof p->text, "(%.3s) %.3s-%.4s", d, d + 3, d + 6); break;
		case 1: snprintf(p->text, sizeof p->text, "%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
		case 2: snprintf(p->text, sizeof p->text, "%.3s.%.3s.%.4s", d, d + 3, d + 6); break;
		default: snprintf(p->text, sizeof p->text, "%.3s %.3s %.4s", d, d + 3, d + 6); break;
		}
		p->form = "phone us";
		break;
	}
	case 5: /* +1 555 123 4567, +1-555-123-4567, +1 (555) 123-4567, 1-555-123-4567 */
		d[0] = (char)('2' + tu_below(&rng, 8));
		digits(d + 1, 9);
		switch (tu_below(&rng, 4)) {
		case 0: snprintf(p->text, sizeof p->text, "+1 %.3s %.3s %.4s", d, d + 3, d + 6); break;
		case 1: snprintf(p->text, sizeof p->text, "+1-%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
		case 2: snprintf(p->text, sizeof p->text, "+1 (%.3s) %.3s-%.4s", d, d + 3, d + 6); break;
		default: snprintf(p->text, sizeof p->text, "1-%.3s-%.3s-%.4s", d, d + 3, d + 6); break;
		}
		p->form = "phone us intl";
		break;
	default: { /* other countries: +49 30 12345678, +34 612 345 678, ... */
		static const char *const cc[] = { "49", "34", "32", "41", "39", "351" };
		static const int g1[] = { 2, 8, 0 }, g2[] = { 3, 3, 3, 0 }, g3[] = { 3, 2, 2, 2, 0 };
		const int *gs[] = { g1, g2, g3 };
		digits(d, 9 + tu_below(&rng, 2));
		d[0] = (char)('1' + tu_below(&rng, 9));
		group(g, sizeof g, d, gs[tu_below(&rng, 3)], tu_below(&rng, 2) ? " " : "");
		snprintf(p->text, sizeof p->text, "+%s %s", cc[tu_below(&rng, 6)], g);
		p->form = "phone intl";
		break;
	}
	}
	digits_of(p->text, p->secret[0], sizeof p->secret[0]);
	p->secret[1][0] = '\0';
}

static void gen_card(pii *p)
{
	static const int by4[] = { 4, 4, 4, 4, 4, 0 }, amex[] = { 4, 6, 5, 0 };
	char d[24], g[64];
	size_t n;
	switch (tu_below(&rng, 4)) {
	case 0: n = 15; d[0] = '3'; d[1] = tu_below(&rng, 2) ? '4' : '7'; break;
	case 1: n = 16; d[0] = '5'; d[1] = (char)('1' + tu_below(&rng, 5)); break;
	case 2: n = 13 + tu_below(&rng, 7); d[0] = '4'; d[1] = digit(); break;
	default: n = 16; d[0] = '4'; d[1] = digit(); break;
	}
	digits(d + 2, n - 3);
	/* The Luhn check digit. */
	unsigned sum = 0;
	for (size_t k = 0; k < n - 1; k++) {
		unsigned v = (unsigned)(d[n - 2 - k] - '0');
		if (k % 2 == 0)
			v = v * 2 > 9 ? v * 2 - 9 : v * 2;
		sum += v;
	}
	d[n - 1] = (char)('0' + (10 - sum % 10) % 10);
	d[n] = '\0';
	switch (tu_below(&rng, 3)) {
	case 0: snprintf(g, sizeof g, "%s", d); break;
	case 1: group(g, sizeof g, d, n == 15 ? amex : by4, " "); break;
	default: group(g, sizeof g, d, n == 15 ? amex : by4, "-"); break;
	}
	snprintf(p->text, sizeof p->text, "%s", g);
	snprintf(p->secret[0], sizeof p->secret[0], "%s", d);
	p->secret[1][0] = '\0';
	p->form = "card";
}

/* ISO 13616 check digits for country cc and bban. */
static void iban_check(const char *cc, const char *bban, char out[3])
{
	char buf[64];
	snprintf(buf, sizeof buf, "%s%s00", bban, cc);
	unsigned rem = 0;
	for (const char *c = buf; *c; c++) {
		if (isdigit((unsigned char)*c))
			rem = (rem * 10 + (unsigned)(*c - '0')) % 97;
		else
			rem = (rem * 100 + (unsigned)(toupper((unsigned char)*c) - 'A' + 10)) % 97;
	}
	snprintf(out, 3, "%02u", 98 - rem);
}

static void gen_iban(pii *p)
{
	/* Country, BBAN pattern: 'n' a digit, 'a' a capital letter. */
	static const char *const forms[][2] = {
		{ "FR", "nnnnnnnnnnaannnnnnnnnnnnn" }, { "DE", "nnnnnnnnnnnnnnnnnn" },
		{ "GB", "aaaannnnnnnnnnnnnn" },        { "ES", "nnnnnnnnnnnnnnnnnnnn" },
		{ "BE", "nnnnnnnnnnnn" },              { "NL", "aaaannnnnnnnnn" },
		{ "IT", "annnnnnnnnnnnnnnnnnnnnn" },
	};
	size_t f = tu_below(&rng, 7);
	char bban[40], check[3], compact[48];
	size_t n = strlen(forms[f][1]);
	for (size_t i = 0; i < n; i++)
		bban[i] = forms[f][1][i] == 'n' ? digit() : (char)('A' + tu_below(&rng, 26));
	bban[n] = '\0';
	iban_check(forms[f][0], bban, check);
	snprintf(compact, sizeof compact, "%s%s%s", forms[f][0], check, bban);
	static const int by4[] = { 4, 4, 4, 4, 4, 4, 4, 4, 0 };
	switch (tu_below(&rng, 3)) {
	case 0: snprintf(p->text, sizeof p->text, "%s", compact); break;
	case 1: group(p->text, sizeof p->text, compact, by4, " "); break;
	default:
		group(p->text, sizeof p->text, compact, by4, " ");
		for (char *c = p->text; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		break;
	}
	snprintf(p->secret[0], sizeof p->secret[0], "%s", compact);
	digits_of(compact, p->secret[1], sizeof p->secret[1]);
	p->form = "iban";
}

static void gen_number(pii *p)
{
	char d[24];
	digits(d, 8 + tu_below(&rng, 8));
	d[0] = (char)('1' + tu_below(&rng, 9));
	snprintf(p->text, sizeof p->text, "%s%s", tu_below(&rng, 2) ? "" : "n°", d);
	snprintf(p->secret[0], sizeof p->secret[0], "%s", d);
	p->secret[1][0] = '\0';
	p->form = "number";
}

static void gen_pii(pii *p)
{
	memset(p, 0, sizeof *p);
	switch (tu_below(&rng, 5)) {
	case 0: gen_email(p); break;
	case 1: gen_phone(p); break;
	case 2: gen_card(p); break;
	case 3: gen_iban(p); break;
	default: gen_number(p); break;
	}
}

static const char *const WORDS[] = {
	"bonjour", "facture", "remboursement", "mon", "email", "est", "appelez", "moi", "au",
	"numéro", "carte", "refusée", "iban", "virement", "help", "call", "me", "at", "my",
	"card", "was", "charged", "twice", "contrat", "résilier", "téléphone", "merci", "svp",
	"urgent", "compte", "bloqué", "mot", "de", "passe", "please", "phone", "account",
};

/* Ordinary words (no digit) around one to three pieces of personal data,
 * at least one word between two of them: two numbers with only a space
 * between are one run of digit groups, which the redaction splits as well
 * as the forms allow (a phone number, then a card number, usually), but
 * not always as typed. */
static char *gen_text(pii *ps, size_t *np)
{
	kbs_buf b = { 0 };
	*np = 1 + tu_below(&rng, 3);
	for (size_t i = 0; i < *np; i++) {
		for (size_t w = 0, nw = (i > 0) + tu_below(&rng, 4); w < nw; w++)
			kbs_buf_addf(&b, "%s ", WORDS[tu_below(&rng, sizeof WORDS / sizeof *WORDS)]);
		gen_pii(&ps[i]);
		kbs_buf_addf(&b, "%s ", ps[i].text);
	}
	kbs_buf_adds(&b, WORDS[tu_below(&rng, sizeof WORDS / sizeof *WORDS)]);
	assert_false(b.oom);
	return kbs_buf_steal(&b);
}

/* ---- regressions: forms that once went through in clear ---- */

static void forms_that_leaked(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} rows[] = {
		/* No-break spaces between the groups, as French typography and
		 * copied web pages put them. */
		{ "tel 06\xc2\xa0" "12\xc2\xa0" "34\xc2\xa0" "56\xc2\xa0" "78 svp", "tel <phone> svp" },
		{ "06\xe2\x80\xaf" "12\xe2\x80\xaf" "34\xe2\x80\xaf" "56\xe2\x80\xaf" "78", "<phone>" },
		{ "+33\xc2\xa0" "6\xc2\xa0" "12\xc2\xa0" "34\xc2\xa0" "56\xc2\xa0" "78", "<phone>" },
		{ "FR76\xc2\xa0" "3000\xc2\xa0" "6000\xc2\xa0" "0112\xc2\xa0" "3456\xc2\xa0" "7890\xc2\xa0" "189",
		  "<iban>" },
		{ "4970\xc2\xa0" "1012\xc2\xa0" "3456\xc2\xa0" "7893", "<card>" },
		/* British national numbers: 0 and 10 digits. */
		{ "ring 020 7946 0958 today", "ring <phone> today" },
		{ "07700 900123", "<phone>" },
		/* North American numbers, with or without +1, brackets. */
		{ "call (555) 123-4567 now", "call <phone> now" },
		{ "555-123-4567", "<phone>" },
		{ "555.123.4567", "<phone>" },
		{ "555 123 4567", "<phone>" },
		{ "+1 (555) 123-4567", "<phone>" },
		{ "1-555-123-4567", "<phone>" },
		/* Numbers next to each other: split where the next one begins,
		 * not where a longer reading happens to check. */
		{ "5331-2236-1473-1757 please +1-670-068-6858 3745 411600 24916 appelez",
		  "<card> please <phone> <card> appelez" },
		{ "+49 58 32794597 09-56-53-92-66 passe", "<phone> <phone> passe" },
		{ "at +34 602875854 (761) 936-4787 phone", "at <phone> <phone> phone" },
		{ "bonjour 9931839672 4021-1391-6652-6 carte", "bonjour <number> <card> carte" },
		{ "au nl21 lmko 4479 7700 42 029 0620 8371 moi", "au <iban> <phone> moi" },
		{ "de10 1695 0117 8816 4539 26 it36 b835 3077 2541 3518 7899 224 5410-3383-0892-5483 de",
		  "<iban> <iban> <card> de" },
		/* A word after an IBAN is not one of its groups. */
		{ "DE73 4586 2175 8923 1436 52 merci FR67 4002 2785 64TQ 0334 2691 5021 9",
		  "<iban> merci <iban>" },
		{ "NL63 FRQH 4635 0056 17 my 4208-9502-9088-28 mot", "<iban> my <card> mot" },
		{ "ES1130808457461460772082 twice me 026 3818 3304", "<iban> twice me <phone>" },
		{ "NL63UOFF9768888216 help card 07566 265188", "<iban> help card <phone>" },
		{ "GB41AWHJ93134587063370 call be62 7875 6737 1397 help", "<iban> call <iban> help" },
		/* ... but 4 letters in an IBAN written in groups can be. */
		{ "BE84 3390 1024 6751 contrat IT32 K733 4055 224X KSRG 3913 2938",
		  "<iban> contrat <iban>" },
		/* What still stays: dates, times, short numbers, amounts. */
		{ "facture du 2026-03-01 10 euros", "facture du 2026-03-01 10 euros" },
		{ "commande 4521 de 123 articles", "commande 4521 de 123 articles" },
		{ "rdv 12:30 le 01/02", "rdv 12:30 le 01/02" },
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char *out = NULL;
		assert_int_equal(kbs_redact(&out, rows[i].in), KBS_OK);
		if (strcmp(out, rows[i].out) != 0)
			fail_msg("redact(\"%s\") = \"%s\", expected \"%s\"", rows[i].in, out, rows[i].out);
		kbs_string_free(out);
	}
}

/* ---- the property ---- */

typedef struct logged {
	pii ps[3];
	size_t n;
} logged;

static const char *const ARTICLES =
	"{\"id\":\"a-facture\",\"title\":\"Payer sa facture par carte\",\"lang\":\"fr\","
	"\"body\":\"Réglez votre facture par carte bancaire ou par virement depuis votre compte.\"}\n"
	"{\"id\":\"a-phone\",\"title\":\"Change the phone number of my account\",\"lang\":\"en\","
	"\"body\":\"Update your phone number or email in your account settings.\"}\n";

/* Whether `hay` holds `needle`, ignoring ASCII case. */
static bool has(const char *hay, const char *needle)
{
	return *needle && strcasestr(hay, needle) != NULL;
}

static void nothing_reaches_the_store(void **state)
{
	(void)state;
	rng = tu_rng_new(0xB17E5);
	uint64_t seed = rng.s;
	unsigned n = tu_env_count("KBS_PRIVACY_QUERIES", 2000);
	tu_mini m = tu_mini_kb(ARTICLES);
	logged *all = calloc(n + 64, sizeof *all);
	assert_non_null(all);
	size_t nall = 0;
	unsigned forms[8] = { 0 };
	char session[32];
	int64_t t0 = 1772445600000LL;

	for (unsigned i = 0; i < n; i++) {
		logged *l = &all[nall++];
		char *text = gen_text(l->ps, &l->n);
		snprintf(session, sizeof session, "visitor-%u", i % 97);
		if (i % 5 == 4) {
			/* A vote comment. */
			kbs_event ev = KBS_EVENT_INIT;
			ev.type = KBS_EVENT_VOTE;
			ev.session = session;
			ev.at = t0 + i * 1000LL;
			ev.article = "a-facture";
			ev.comment = text;
			assert_kbs_ok(m.kb, kbs_event_log(m.kb, &ev));
		} else {
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			o.session = session;
			o.at = t0 + i * 1000LL;
			kbs_results *r = NULL;
			if (kbs_search(&r, m.kb, text, &o) != KBS_OK)
				fail_msg("search \"%s\": %s", text, kbs_errmsg(m.kb));
			kbs_results_free(r);
		}
		for (size_t k = 0; k < l->n; k++)
			forms[l->ps[k].form[0] == 'e' ? 0 : l->ps[k].form[0] == 'p' ? 1 : l->ps[k].form[0] == 'c' ? 2
			      : l->ps[k].form[0] == 'i' ? 3 : 4]++;
		free(text);
	}
	/* And through an import, the way a portal's history comes in. */
	kbs_buf imp = { 0 };
	for (int i = 0; i < 60; i++) {
		logged *l = &all[nall++];
		char *text = gen_text(l->ps, &l->n);
		kbs_buf_addf(&imp, "{\"type\":\"%s\",\"session\":\"imp-%d\",\"at\":\"2026-03-03T10:00:%02dZ\","
				   "\"%s\":\"%s\"%s}\n",
			     i % 2 ? "search" : "vote", i, i % 60, i % 2 ? "query" : "comment", text,
			     i % 2 ? "" : ",\"article\":\"a-facture\",\"helpful\":false");
		free(text);
	}
	tu_write(m.dir, "events.jsonl", imp.data);
	kbs_buf_free(&imp);
	char *path = tu_path(m.dir, "events.jsonl");
	kbs_events_import_summary sum;
	tu_diags d = { 0 };
	assert_kbs_ok(m.kb, kbs_events_import(&sum, m.kb, path, tu_diag_cb, &d));
	if (d.n)
		fail_msg("import: %s", d.lines[0]);
	assert_int_equal(sum.imported, 60);
	free(path);
	assert_kbs_ok(m.kb, kbs_events_flush(m.kb));

	/* Every column of every table, as text. */
	char *store = tu_path(m.dir, "kb/events.sqlite");
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(store, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	free(store);
	sqlite3_stmt *tables = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT name FROM sqlite_master WHERE type = 'table'", -1,
					    &tables, NULL),
			 SQLITE_OK);
	unsigned values = 0, rows = 0, leaks = 0;
	while (sqlite3_step(tables) == SQLITE_ROW) {
		const char *table = (const char *)sqlite3_column_text(tables, 0);
		char sql[256];
		snprintf(sql, sizeof sql, "SELECT * FROM \"%s\"", table);
		sqlite3_stmt *st = NULL;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			rows++;
			for (int c = 0; c < sqlite3_column_count(st); c++) {
				/* Texts only: the times are the test's own
				 * numbers, and one may hold a generated run. */
				if (sqlite3_column_type(st, c) != SQLITE_TEXT)
					continue;
				const char *v = (const char *)sqlite3_column_text(st, c);
				const char *col = sqlite3_column_name(st, c);
				values++;
				/* The texts people typed: no digit may remain
				 * (the ordinary words have none). */
				bool text = !strcmp(col, "query") || !strcmp(col, "qkey") ||
					    !strcmp(col, "comment");
				bool bad = text && strpbrk(v, "0123456789@");
				for (size_t i = 0; i < nall && !bad; i++)
					for (size_t k = 0; k < all[i].n && !bad; k++)
						bad = has(v, all[i].ps[k].secret[0]) ||
						      (strlen(all[i].ps[k].secret[1]) >= 8 &&
						       has(v, all[i].ps[k].secret[1]));
				if (bad && leaks++ < 10)
					print_error("%s.%s holds personal data: %s\n", table, col, v);
			}
		}
		sqlite3_finalize(st);
	}
	sqlite3_finalize(tables);
	sqlite3_close(db);
	if (leaks)
		fail_msg("%u stored values hold personal data (seed %llu)", leaks, (unsigned long long)seed);
	/* The texts were stored, redacted. */
	assert_true(rows > n);
	print_message("privacy queries checked: %zu texts (%u emails, %u phone numbers, %u card "
		      "numbers, %u IBANs, %u long numbers) logged by search, vote and import; "
		      "%u stored values read, none in clear\n",
		      nall, forms[0], forms[1], forms[2], forms[3], forms[4], values);
	tu_diags_free(&d);
	free(all);
	tu_mini_free(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(forms_that_leaked),
		cmocka_unit_test(nothing_reaches_the_store),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
