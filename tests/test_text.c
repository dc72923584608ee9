/*
 * Text analysis, mostly from tables in the manner of Xapian's
 * api_queryparser.cc: an input, a language, the tokens expected, and the
 * bug each row guards.
 *
 * Tokens print as TERM[=EXACT][/STEM]@POS[FLAGS], space-separated, where
 * =EXACT shows only when it differs from the term, /STEM only when it
 * differs from the term, and the flags are * stop word, # number,
 * ~ ideographic. "" is no token at all.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "text/text.h"

typedef struct row {
	const char *lang;
	const char *in;
	const char *want;
	const char *why;
} row;

static const row rows[] = {
	/* ---- normalisation and folding ---- */
	{ NULL, "été", "ete=été@0", "accents are folded in term and kept in exact" },
	{ NULL, "e\xcc\x81te\xcc\x81", "ete=été@0",
	  "decomposed é (e + U+0301) is the same word as composed: NFC first" },
	{ NULL, "ÉTÉ", "ete=été@0", "uppercase accented letters fold like lowercase ones" },
	{ NULL, "Straße STRASSE", "strasse@0 strasse@1",
	  "full case folding: ß is ss (simple folding would keep ß)" },
	{ NULL, "Œuvre cœur ÆON", "oeuvre=œuvre@0 coeur=cœur@1 aeon=æon@2",
	  "œ and æ have no decomposition; term spells them out, exact keeps them" },
	{ NULL, "İstanbul", "istanbul=i\xcc\x87stanbul@0",
	  "folding İ yields i + U+0307; the dot is an accent for term" },
	{ NULL, "パスワード", "パスワード@0~",
	  "kana voicing marks are nonspacing marks but not accents: パ is not ハ" },
	{ NULL, "हिन्दी", "हिन्दी@0",
	  "Indic vowel signs and virama are not accents either" },
	{ "fr", "désinstaller", "desinstaller=désinstaller/desinstall@0",
	  "stem is taken from the accented word, then folded" },

	/* ---- elision, with ' and ’, every prefix ---- */
	{ NULL, "l'abonnement l’abonnement", "abonnement@0 abonnement@1",
	  "l': without elision l'abonnement never matches abonnement" },
	{ NULL, "d'accord d’accord", "accord@0 accord@1", "d'" },
	{ NULL, "qu'importe qu’importe", "importe@0 importe@1", "qu'" },
	{ NULL, "j'annule j’annule", "annule@0 annule@1", "j'" },
	{ NULL, "n'importe n’importe", "importe@0 importe@1", "n'" },
	{ NULL, "s'inscrire s’inscrire", "inscrire@0 inscrire@1", "s'" },
	{ NULL, "c'était c’était", "etait=était@0* etait=était@1*", "c'" },
	{ NULL, "m'inscrire m’inscrire", "inscrire@0 inscrire@1", "m'" },
	{ NULL, "t'inscrire t’inscrire", "inscrire@0 inscrire@1", "t'" },
	{ NULL, "jusqu'ici jusqu’ici", "ici@0 ici@1", "jusqu'" },
	{ NULL, "lorsqu'Internet lorsqu’Internet", "internet@0 internet@1", "lorsqu'" },
	{ NULL, "puisqu'on puisqu’on", "on@0* on@1*", "puisqu'" },
	{ NULL, "quoiqu'elle quoiqu’elle", "elle@0* elle@1*", "quoiqu'" },
	{ NULL, "lʼabonnement", "abonnement@0", "U+02BC is an apostrophe too" },
	{ NULL, "l‘abonnement ‘résilié’", "abonnement@0 resilie=résilié@1",
	  "U+2018 too: an elision, and a quote between words" },
	{ NULL, "L'ABONNEMENT Qu’il", "abonnement@0 il@1*", "elision is case-insensitive" },
	{ NULL, "aujourd'hui aujourd’hui", "aujourd'hui@0 aujourd'hui@1",
	  "an apostrophe inside a word is not elision, and ’ becomes '" },
	{ NULL, "O'Reilly", "o'reilly@0", "o' is not an elision" },
	{ NULL, "l'", "l@0*", "a bare prefix is a word, not an elision of nothing" },
	{ NULL, "l'2FA", "l@0* 2@1# fa@2 2fa@1#+",
	  "ICU breaks letter-apostrophe-digit, so the elided l' is its own word" },
	{ "en", "it's don't", "it's/it@0* don't@1",
	  "English contractions stay whole; don't carries a negation: no stop" },

	/* ---- hyphens ---- */
	{ "fr", "mot-de-passe", "mot@0 de@1* passe/pass@2 motdepasse/motdep@0+",
	  "hyphens split words at consecutive positions..." },
	{ "fr", "mot de passe", "mot@0 de@1* passe/pass@2",
	  "...as spaces do, so the phrase matches both (the compound shares a position)" },
	{ "fr", "l'e-mail du week\u2011end", "e@0 mail@1 email@0+ du@2* week@3 end@4 weekend@3+",
	  "a compound is also one word, after its parts at the first one's position "
	  "(ASCII hyphen or U+2011)" },
	{ "en", "Wi-Fi re-send", "wi@0 fi@1 wifi@0+ re@2 send@3 resend@2+",
	  "its stem is the joined word's" },
	{ "fr", "mots-de-passe 2026-02 x-42", "mots/mot@0 de@1* passe/pass@2 motsdepasse/motsdep@0+ "
	  "2026@3# 02@4# x@5 42@6#",
	  "any number of parts, stop words too; never a number" },

	/* ---- acronyms ---- */
	{ NULL, "Le S.A.V. de l'É.D.F, www.volta.fr et 3.14", "le@0* sav@1 de@2* edf=édf@3 "
	  "www.volta.fr@4 et@5* 3.14@6#",
	  "an acronym with full stops is the word typed without them; a domain or a number "
	  "keeps its dots" },

	/* ---- stemming ---- */
	{ "fr", "factures facture", "factures/factur@0 facture/factur@1",
	  "French plural and singular share a stem" },
	{ "fr", "résiliation résilier",
	  "resiliation=résiliation/resili@0 resilier=résilier/resili@1",
	  "French noun and verb share a stem" },
	{ "fr", "désinstaller desinstaller",
	  "desinstaller=désinstaller/desinstall@0 desinstaller/desinstall@1",
	  "a query typed without accents stems like the accented text" },
	{ "en", "invoices invoice running", "invoices/invoic@0 invoice/invoic@1 running/run@2",
	  "English stemming" },
	{ NULL, "invoices", "invoices@0", "no language: no stemming, stem is term" },
	{ "", "invoices the", "invoices@0 the@1*", "an empty language is no language" },
	{ "xx", "invoices the", "invoices@0 the@1",
	  "unknown language: no stemming, no stop words" },
	{ "ja", "invoices", "invoices@0", "a language without a stemmer" },

	/* ---- numbers ---- */
	{ "en", "2FA 3.14 1,000.50", "2@0# fa@1 2fa@0#+ 3.14@2# 1,000.50@3#",
	  "numbers start with a digit, stay whole with their separators, aren't stemmed" },
	{ "fr", "6kVA EASF01 l'EASF02 10h30 24 h", "6@0# kva@1 6kva@0#+ easf@2 01@3# easf01@2+ "
	  "easf@4 02@5# easf02@4+ 10@6# h@7 30@8# 10h30@6#+ 24@9# h@10",
	  "digits and letters run together are words each, then whole, as a compound" },
	{ "fr", "ab12cd34 réf2 ６kva 1ß4 b2b", "ab12cd34@0 ref2=réf2@1 ６kva@2# 1ss4@3# b2b@4",
	  "more than three runs (a reference), an accent, a digit ICU reads, a letter "
	  "that folds longer, digits inside letters: whole" },
	{ "en", "v2.0 10:30", "v2.0@0 10@1# 30@2#",
	  "a letter-led version is a word; ':' only joins letters" },

	/* ---- stop words ---- */
	{ "fr", "le compte", "le@0* compte/compt@1", "French article flagged, not dropped" },
	{ "en", "le the", "le@0 the@1*", "stop words are per language" },
	{ "fr", "the le", "the@0 le@1*", "stop words are per language" },
	{ NULL, "the le und", "the@0* le@1* und@2*", "no language: any list applies" },
	{ "fr", "où ça", "ou=où@0* ca=ça@1*", "the lists are compared folded" },
	{ "fr", "pas plus sans", "pas@0 plus@1 sans/san@2",
	  "negations are not stop words: 'ne reçois plus' is not 'reçois'" },
	{ "en", "not no without", "not@0 no@1 without@2", "same in English" },
	{ NULL, "car door eu us", "car@0 door@1 eu@2 us@3",
	  "words that are function words in one language only stay out of the lists" },

	/* ---- nothing to index ---- */
	{ NULL, "", "", "empty text" },
	{ NULL, "?!… -- «» ,;", "", "punctuation only" },
	{ NULL, "😀 ok 🇫🇷", "ok@0", "emoji are not words and take no position" },

	/* ---- French verb forms that are nouns too, read by the words before ---- */
	{ "fr", "nous sommes désolés : la somme",
	  "nous@0* sommes/somm@1* desoles=désolés/desol@2 la@3* somme/somm@4",
	  "\"nous sommes\" is the verb: a search for \"somme\" must not find it" },
	{ "fr", "les sommes dues", "les/le@0* sommes/somm@1 dues/du@2",
	  "after an article, \"sommes\" is the noun" },
	{ "fr", "nous ne sommes pas, nous y sommes",
	  "nous@0* ne@1* sommes/somm@2* pas@3 nous@4* y@5* sommes/somm@6*",
	  "ne and y stand between subject and verb" },
	{ "fr", "nous n'avions pas d'avion, les avions",
	  "nous@0* avions/avion@1* pas@2 avion@3 les/le@4* avions/avion@5",
	  "\"nous n'avions\" is the verb, \"les avions\" the planes" },
	{ "fr", "le paiement n'a pas encore été pris",
	  "le@0* paiement/pai@1 a@2* pas@3 encore/encor@4 ete=été@5* pris@6",
	  "\"été\" a few words after a form of avoir is the participle" },
	{ "fr", "l'été, cet été, l’été", "ete=été@0 cet@1* ete=été@2 ete=été@3",
	  "with an article, elided or not, \"été\" is summer" },
	{ "fr", "a-t-il été", "a@0* t@1* il@2* atil@0+ ete=été@3*",
	  "hyphens keep the clause: the participle" },
	{ "fr", "chez nous. Sommes", "chez@0* nous@1* sommes/somm@2",
	  "a full stop ends the clause" },
	{ "fr", "il a. Été comme hiver", "il@0* a@1* ete=été@2 comme/comm@3 hiver/hiv@4",
	  "so does it for \"été\"" },
	{ "fr", "(NOUS\xc2\xa0SOMMES), il l’a été", "nous@0* sommes/somm@1* il@2* a@3* ete=été@4*",
	  "capitals, a no-break space, an elision on a word before" },
	{ "fr", "il l\xca\xbc" "a été, tout l\xca\xbc" "été", "il@0* a@1* ete=été@2* tout@3 ete=été@4",
	  "the modifier apostrophe elides as ' and ’ do, on the word before and on the form" },
	{ "fr", "il y a l'été, il y a l’été", "il@0* y@1* a@2* ete=été@3 il@4* y@5* a@6* ete=été@7",
	  "after a form of avoir, an elided article still makes it summer" },
	{ "fr", "été: tout l'été", "ete=été@0 tout@1 ete=été@2", "nothing before: summer" },
	{ "en", "nous sommes", "nous@0 sommes/somm@1", "French only" },
	{ NULL, "nous sommes, a été", "nous@0* sommes@1* a@2* ete=été@3*",
	  "with no language, as in French" },
};

/* ---- rendering ---- */

/* Appends t to b; no cmocka assertion, so threads may call it. */
static kbs_status render_token(const kbs_text__token *t, void *payload)
{
	kbs_buf *b = payload;
	if (b->len)
		kbs_buf_addc(b, ' ');
	kbs_buf_adds(b, t->term);
	if (strcmp(t->exact, t->term) != 0)
		kbs_buf_addf(b, "=%s", t->exact);
	if (strcmp(t->stem, t->term) != 0)
		kbs_buf_addf(b, "/%s", t->stem);
	kbs_buf_addf(b, "@%u", t->pos);
	if (t->flags & KBS_TOK_STOP)
		kbs_buf_addc(b, '*');
	if (t->flags & KBS_TOK_NUM)
		kbs_buf_addc(b, '#');
	if (t->flags & KBS_TOK_IDEO)
		kbs_buf_addc(b, '~');
	if (t->flags & KBS_TOK_JOINED)
		kbs_buf_addc(b, '+');
	return KBS_OK;
}

static kbs_status render_cb(const kbs_text__token *t, void *payload)
{
	assert_int_equal(strlen(t->term), t->term_len);
	assert_int_equal(strlen(t->exact), t->exact_len);
	assert_int_equal(strlen(t->stem), t->stem_len);
	return render_token(t, payload);
}

/* The rendered tokens of `in`, malloc'd; fails the test on error. */
static char *render(kbs_text__analyzer *a, const char *in, const char *lang)
{
	kbs_buf b = { 0 };
	kbs_err err = { { 0 } };
	kbs_buf_add(&b, "", 0);
	kbs_status rc = kbs_text__analyze(a, in, strlen(in), lang, render_cb, &b, &err);
	if (rc != KBS_OK)
		fail_msg("analyze(\"%s\", %s) -> %s: %s", in, lang ? lang : "NULL",
			 kbs_status_str(rc), err.msg);
	assert_false(b.oom);
	return kbs_buf_steal(&b);
}

static void test_table(void **state)
{
	kbs_text__analyzer *a = *state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const row *r = &rows[i];
		char *got = render(a, r->in, r->lang);
		if (strcmp(got, r->want) != 0) {
			print_error("row %zu (%s): \"%s\" [%s]\n  want: %s\n  got:  %s\n", i,
				    r->why, r->in, r->lang ? r->lang : "NULL", r->want, got);
			failed++;
		}
		free(got);
	}
	if (failed)
		fail_msg("%d of %zu rows failed", failed, sizeof rows / sizeof *rows);
}

/* ---- byte ranges ---- */

typedef struct range_row {
	const char *in;
	const char *want; /* the slices of the input, '|'-separated */
	const char *why;
} range_row;

static const range_row range_rows[] = {
	{ "l’abonnement", "l’abonnement", "the range covers the elided prefix" },
	{ "e\xcc\x81te\xcc\x81 l’abonnement", "e\xcc\x81te\xcc\x81|l’abonnement",
	  "ranges are in the input, not in its NFC: they survive a decomposed word" },
	{ "cafe\xcc\x81 et the\xcc\x81, l’addition", "cafe\xcc\x81|et|the\xcc\x81|l’addition",
	  "every shift from NFC is accounted, not just the first" },
	{ "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab \xea\xb8\x80",
	  "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab|\xea\xb8\x80",
	  "three Hangul jamo compose into one syllable: the range keeps all three" },
	{ "\xe0\xa5\x98x y", "\xe0\xa5\x98x|y",
	  "U+0958 decomposes under NFC (one unit becomes two)" },
	{ "a\xcc\x82\xcc\xa3" "b ok", "a\xcc\x82\xcc\xa3" "b|ok", "NFC reorders marks" },
	{ "l'e-mail", "l'e|mail|l'e-mail", "hyphen split; the compound spans its parts" },
	{ "l'EASF01 6kVA", "EASF|01|EASF01|6|kVA|6kVA",
	  "digit and letter runs are their own bytes; the whole spans them" },
	{ "Straße, 𝐀bc!", "Straße|𝐀bc", "multi-byte and 4-byte characters" },
	{ "我想重置密码", NULL, "checked below: CJK words tile the input" },
};

static kbs_status slice_cb(const kbs_text__token *t, void *payload)
{
	void **p = payload;
	kbs_buf *b = p[0];
	const char *in = p[1];
	assert_true(t->start < t->end);
	if (b->len)
		kbs_buf_addc(b, '|');
	kbs_buf_add(b, in + t->start, t->end - t->start);
	return KBS_OK;
}

static void test_ranges(void **state)
{
	kbs_text__analyzer *a = *state;
	for (size_t i = 0; i < sizeof range_rows / sizeof *range_rows; i++) {
		const range_row *r = &range_rows[i];
		kbs_buf b = { 0 };
		kbs_err err = { { 0 } };
		void *p[2] = { &b, (void *)r->in };
		kbs_buf_add(&b, "", 0);
		kbs_status rc = kbs_text__analyze(a, r->in, strlen(r->in), "fr", slice_cb, p, &err);
		assert_int_equal(rc, KBS_OK);
		if (!r->want) {
			/* Dictionary words of a run without spaces tile it. */
			char *joined = kbs_strdup(b.data);
			size_t k = 0;
			for (size_t j = 0; joined[j]; j++)
				if (joined[j] != '|')
					joined[k++] = joined[j];
			joined[k] = '\0';
			assert_string_equal(joined, r->in);
			free(joined);
		} else if (strcmp(b.data, r->want) != 0) {
			fail_msg("range row %zu (%s):\n  want: %s\n  got:  %s", i, r->why, r->want,
				 b.data);
		}
		kbs_buf_free(&b);
	}
}

/* ---- dictionary segmentation ---- */

typedef struct collect {
	unsigned n;
	unsigned all_flags, any_flags;
	unsigned last_pos;
	size_t last_end;
} collect;

static kbs_status collect_cb(const kbs_text__token *t, void *payload)
{
	collect *c = payload;
	c->all_flags = c->n ? c->all_flags & t->flags : t->flags;
	c->any_flags |= t->flags;
	assert_int_equal(t->pos, c->n);
	c->last_pos = t->pos;
	c->last_end = t->end;
	c->n++;
	return KBS_OK;
}

static collect analyze_collect(kbs_text__analyzer *a, const char *in, size_t len, const char *lang)
{
	collect c = { 0 };
	kbs_err err = { { 0 } };
	kbs_status rc = kbs_text__analyze(a, in, len, lang, collect_cb, &c, &err);
	if (rc != KBS_OK)
		fail_msg("analyze -> %s: %s", kbs_status_str(rc), err.msg);
	return c;
}

/* The exact words depend on ICU's dictionaries, which change between
 * versions; what must hold is that a run without spaces is split, and that
 * its words are flagged as not stemmable. */
static void test_cjk(void **state)
{
	kbs_text__analyzer *a = *state;
	static const char *const runs[] = {
		"我想重置密码",             /* Chinese: I want to reset my password */
		"パスワードを忘れました",   /* Japanese: I forgot my password */
		"ภาษาไทยง่ายนิดเดียว",        /* Thai */
	};
	for (size_t i = 0; i < sizeof runs / sizeof *runs; i++) {
		/* A stemming language must not stem them either. */
		collect c = analyze_collect(a, runs[i], strlen(runs[i]), "en");
		if (c.n < 2)
			fail_msg("\"%s\" gave %u token(s): one term for a whole sentence", runs[i],
				 c.n);
		assert_true(c.all_flags & KBS_TOK_IDEO);
		assert_int_equal(c.last_end, strlen(runs[i]));
	}

	/* Decomposed kana (ハ + U+309A for パ) must reach the dictionary, and
	 * the terms, as the composed ones do. */
	char *nfc = render(a, "パスワードを忘れました", NULL);
	char *nfd = render(a,
			   "\xe3\x83\x8f\xe3\x82\x9a" "スワー"
			   "\xe3\x83\x88\xe3\x82\x99" "を忘れました",
			   NULL);
	assert_string_equal(nfd, nfc);
	free(nfc);
	free(nfd);
}

/* ---- stems compared directly ---- */

static kbs_status stem_cb(const kbs_text__token *t, void *payload)
{
	kbs_buf *b = payload;
	kbs_buf_adds(b, t->stem);
	return KBS_STOP;
}

static kbs_status term_count_cb(const kbs_text__token *t, void *payload)
{
	(void)t;
	(void)payload;
	return KBS_OK;
}

static char *stem_of(kbs_text__analyzer *a, const char *word, const char *lang)
{
	kbs_buf b = { 0 };
	kbs_err err = { { 0 } };
	kbs_buf_add(&b, "", 0);
	assert_int_equal(kbs_text__analyze(a, word, strlen(word), lang, stem_cb, &b, &err), KBS_OK);
	return kbs_buf_steal(&b);
}

static void test_stems_agree(void **state)
{
	kbs_text__analyzer *a = *state;
	/* Pairs that must meet, whatever Snowball's version makes of them. */
	static const char *const pairs[][3] = {
		{ "fr", "factures", "facture" },
		{ "fr", "désinstaller", "desinstaller" },
		{ "fr", "résiliation", "résilier" },
		{ "fr", "Résilier", "resilier" },
		{ "fr", "l'abonnement", "abonnements" },
		{ "en", "invoices", "invoice" },
		{ "en", "running", "run" },
		{ "de", "Rechnungen", "rechnung" },
		{ "es", "facturas", "factura" },
	};
	for (size_t i = 0; i < sizeof pairs / sizeof *pairs; i++) {
		char *x = stem_of(a, pairs[i][1], pairs[i][0]);
		char *y = stem_of(a, pairs[i][2], pairs[i][0]);
		if (strcmp(x, y) != 0)
			fail_msg("[%s] stem(%s) = %s but stem(%s) = %s", pairs[i][0], pairs[i][1],
				 x, pairs[i][2], y);
		free(x);
		free(y);
	}
}

/* The analyzer remembers stems (a bounded cache by language and exact
 * word): a word must stem the same however often, in whichever language
 * order, and after the cache filled up and started over. Each row: a
 * language and a word whose stems (stem and stem2) a fresh analyzer gives. */
static kbs_status stems_cb(const kbs_text__token *t, void *payload)
{
	kbs_buf *b = payload;
	kbs_buf_addf(b, "%s|%s", t->stem, t->stem2 ? t->stem2 : "");
	return KBS_STOP;
}

static char *stems_of(kbs_text__analyzer *a, const char *word, const char *lang)
{
	kbs_buf b = { 0 };
	kbs_err err = { { 0 } };
	kbs_buf_add(&b, "", 0);
	assert_int_equal(kbs_text__analyze(a, word, strlen(word), lang, stems_cb, &b, &err), KBS_OK);
	return kbs_buf_steal(&b);
}

static void test_stem_cache(void **state)
{
	kbs_text__analyzer *shared = *state;
	static const char *const words[][2] = {
		{ "fr", "élevée" },   /* stem2: the folded word stems otherwise */
		{ "en", "élevée" },   /* same word, another language */
		{ "fr", "running" },
		{ "en", "running" },  /* same word, another stem */
		{ "de", "Rechnungen" },
		{ "fr", "factures" },
		{ "", "factures" },   /* no language: no stemming */
	};
	enum { N = sizeof words / sizeof *words };
	char *want[N];
	for (size_t i = 0; i < N; i++) {
		kbs_text__analyzer *fresh = NULL;
		kbs_err err = { { 0 } };
		assert_int_equal(kbs_text__analyzer_new(&fresh, &err), KBS_OK);
		want[i] = stems_of(fresh, words[i][1], words[i][0]);
		kbs_text__analyzer_free(fresh);
	}
	/* More distinct words than the cache holds, so it starts over. */
	kbs_buf many = { 0 };
	for (unsigned i = 0; i < 12000; i++)
		kbs_buf_addf(&many, "mot%uaison ", i);
	kbs_err err = { { 0 } };
	for (int round = 0; round < 3; round++) {
		for (size_t k = 0; k < 2 * N; k++) {
			size_t i = (k * 5 + (size_t)round) % N;
			char *got = stems_of(shared, words[i][1], words[i][0]);
			if (strcmp(got, want[i]) != 0)
				fail_msg("round %d: [%s] %s stems to %s, a fresh analyzer says %s", round,
					 words[i][0], words[i][1], got, want[i]);
			free(got);
		}
		assert_int_equal(kbs_text__analyze(shared, many.data, many.len, "fr", term_count_cb,
						   NULL, &err),
				 KBS_OK);
	}
	kbs_buf_free(&many);
	for (size_t i = 0; i < N; i++)
		free(want[i]);
}

/* kbs_text__stem on a token found without a language gives the stem the
 * token would have had in that language, also when called from inside the
 * token callback (where the exact form lives in the analyzer's own buffer:
 * copying it onto itself once lost every stem of a snippet). */
typedef struct late_stem {
	kbs_text__analyzer *a;
	char got[256];
} late_stem;

static kbs_status late_stem_cb(const kbs_text__token *t, void *payload)
{
	late_stem *l = payload;
	const char *s;
	size_t n;
	kbs_err err = { { 0 } };
	assert_int_equal(kbs_text__stem(l->a, t->exact, t->exact_len, "en", &s, &n, &err), KBS_OK);
	snprintf(l->got + strlen(l->got), sizeof l->got - strlen(l->got), "%s%.*s",
		 l->got[0] ? " " : "", (int)n, s);
	return KBS_OK;
}

static void test_stem_later(void **state)
{
	kbs_text__analyzer *a = *state;
	late_stem l = { a, "" };
	kbs_err err = { { 0 } };
	const char *text = "Cancellations contracts";
	assert_int_equal(kbs_text__analyze(a, text, strlen(text), NULL, late_stem_cb, &l, &err), KBS_OK);
	char *c1 = stem_of(a, "cancellations", "en"), *c2 = stem_of(a, "contracts", "en");
	char want[256];
	snprintf(want, sizeof want, "%s %s", c1, c2);
	assert_string_equal(l.got, want);
	free(c1);
	free(c2);

	/* Outside a callback; accents folded after stemming; no stemmer. */
	const char *s;
	size_t n;
	assert_int_equal(kbs_text__stem(a, "désinstallées", strlen("désinstallées"), "fr", &s, &n, &err),
			 KBS_OK);
	char *fr = stem_of(a, "désinstallées", "fr");
	assert_int_equal(n, strlen(fr));
	assert_memory_equal(s, fr, n);
	free(fr);
	assert_int_equal(kbs_text__stem(a, "kiitos", 6, "xx", &s, &n, &err), KBS_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(s, "kiitos", 6);
}

/* ---- errors and limits ---- */

static kbs_status never_cb(const kbs_text__token *t, void *payload)
{
	fail_msg("callback called for \"%s\" on invalid input", t->term);
	return KBS_ERROR;
}

static void test_invalid_utf8(void **state)
{
	kbs_text__analyzer *a = *state;
	static const struct {
		const char *in;
		const char *msg;
	} bad[] = {
		{ "ab\xff" "cd", "invalid UTF-8 at byte 2" },
		{ "abc\xc3", "invalid UTF-8 at byte 3" },                 /* truncated */
		{ "\xc0\xaf", "invalid UTF-8 at byte 0" },                /* overlong */
		{ "ok \xed\xa0\x80", "invalid UTF-8 at byte 3" },         /* surrogate */
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		kbs_err err = { { 0 } };
		assert_int_equal(kbs_text__analyze(a, bad[i].in, strlen(bad[i].in), "fr", never_cb,
						   NULL, &err),
				 KBS_EINVALID);
		assert_string_equal(err.msg, bad[i].msg);
	}
	/* The analyzer is still usable afterwards. */
	char *got = render(a, "encore", NULL);
	assert_string_equal(got, "encore@0");
	free(got);
}

static void test_long_word(void **state)
{
	kbs_text__analyzer *a = *state;
	/* 200 letters: over KBS_TEXT_MAX_TERM, skipped; the next word keeps
	 * position 1 so that a phrase cannot jump over the dropped word. */
	char in[256];
	memset(in, 'a', 200);
	strcpy(in + 200, " suivant");
	char *got = render(a, in, NULL);
	assert_string_equal(got, "suivant@1");
	free(got);

	/* Exactly the limit is kept; the limit is in bytes of the term. */
	memset(in, 'b', KBS_TEXT_MAX_TERM);
	strcpy(in + KBS_TEXT_MAX_TERM, " x");
	collect c = analyze_collect(a, in, strlen(in), NULL);
	assert_int_equal(c.n, 2);

	/* 40 "é" is 80 bytes exact but 40 folded: kept. */
	char *p = in;
	for (int i = 0; i < 40; i++)
		p += sprintf(p, "é");
	c = analyze_collect(a, in, strlen(in), NULL);
	assert_int_equal(c.n, 1);
}

typedef struct stopper {
	unsigned seen, stop_after;
	kbs_status ret;
} stopper;

static kbs_status stop_cb(const kbs_text__token *t, void *payload)
{
	stopper *s = payload;
	return ++s->seen == s->stop_after ? s->ret : KBS_OK;
}

static void test_callback_status(void **state)
{
	kbs_text__analyzer *a = *state;
	const char *in = "un deux trois quatre cinq";
	kbs_err err = { { 0 } };

	stopper s = { 0, 2, KBS_STOP };
	assert_int_equal(kbs_text__analyze(a, in, strlen(in), "fr", stop_cb, &s, &err), KBS_OK);
	assert_int_equal(s.seen, 2);

	stopper e = { 0, 3, KBS_EIO };
	assert_int_equal(kbs_text__analyze(a, in, strlen(in), "fr", stop_cb, &e, &err), KBS_EIO);
	assert_int_equal(e.seen, 3);
}

static void test_megabyte(void **state)
{
	kbs_text__analyzer *a = *state;
	/* 6 words, one of them decomposed so that the slow NFC path with
	 * offsets runs over the whole text. */
	static const char sentence[] =
		"Pour re\xcc\x81silier l’abonnement, ouvrez Compte > Facturation. ";
	const size_t slen = sizeof sentence - 1;
	const size_t reps = (1u << 20) / slen + 1;
	char *text = malloc(reps * slen + 1);
	assert_non_null(text);
	for (size_t i = 0; i < reps; i++)
		memcpy(text + i * slen, sentence, slen);
	text[reps * slen] = '\0';

	collect c = analyze_collect(a, text, reps * slen, "fr");
	assert_int_equal(c.n, 6 * reps);
	assert_int_equal(c.last_pos, 6 * reps - 1);
	assert_int_equal(c.last_end, reps * slen - 2); /* before ". " */

	/* After giving its big buffers back, the analyzer still works. */
	char *got = render(a, "re\xcc\x81silier", "fr");
	assert_string_equal(got, "resilier=résilier/resili@0");
	free(got);
	free(text);
}

/* ---- fold, has_stemmer, stop lists ---- */

static void test_fold(void **state)
{
	static const struct {
		const char *in, *want;
	} f[] = {
		{ "Café Crème", "cafe creme" },
		{ "L’ÉCOLE, c'est ça", "l'ecole, c'est ca" }, /* no elision for labels */
		{ "Straße", "strasse" },
		{ "Compte/Connexion", "compte/connexion" },
		{ "e\xcc\x81te\xcc\x81", "ete" },
		{ "Œuvres", "oeuvres" },
		{ "パスワード", "パスワード" },
		{ "", "" },
	};
	for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
		char *got = kbs_text__fold(f[i].in, strlen(f[i].in));
		assert_non_null(got);
		assert_string_equal(got, f[i].want);
		free(got);
	}
	assert_null(kbs_text__fold("ab\xff", 3));
	/* len is honoured: no reading past it. */
	char *got = kbs_text__fold("ABCDEF", 3);
	assert_string_equal(got, "abc");
	free(got);
}

/* A correction in the case the visitor typed (kbs_text__case_as). */
static void test_case_as(void **state)
{
	(void)state;
	static const struct {
		const char *word, *model, *want;
	} c[] = {
		{ "facture", "facure", "facture" },
		{ "facture", "Facure", "Facture" },
		{ "facture", "FACURE", "FACTURE" },
		{ "électricité", "ÉLECTRCITÉ", "ÉLECTRICITÉ" },
		{ "électricité", "Electrcité", "Électricité" },
		{ "straße", "STRASE", "STRASSE" }, /* capitals may be longer */
		{ "appli", "A", "Appli" },         /* one capital: the first */
		{ "facture", "fACURE", "facture" }, /* neither: as it is */
		{ "facture", "2FA", "FACTURE" },    /* letters only are read */
		{ "", "ABC", "" },
	};
	for (size_t i = 0; i < sizeof c / sizeof *c; i++) {
		char *got = kbs_text__case_as(c[i].word, c[i].model, strlen(c[i].model));
		if (!got || strcmp(got, c[i].want) != 0)
			fail_msg("\"%s\" as \"%s\": \"%s\", expected \"%s\"", c[i].word, c[i].model,
				 got ? got : "(null)", c[i].want);
		free(got);
	}
	char *got = kbs_text__case_as("facture", NULL, 0);
	assert_string_equal(got, "facture");
	free(got);
	/* model_len is honoured, and a bad word is refused. */
	got = kbs_text__case_as("facture", "Fa\xff", 2);
	assert_string_equal(got, "Facture");
	free(got);
	assert_null(kbs_text__case_as("fa\xff", "FA", 2));
	assert_null(kbs_text__case_as(NULL, "FA", 2));
}

static kbs_status term_cb(const kbs_text__token *t, void *payload)
{
	kbs_buf_adds(payload, t->term);
	return KBS_STOP;
}

/* fold() is documented as the same folding as term: check it on the words
 * of the table, where there is no elision to tell them apart. */
static void test_fold_is_term(void **state)
{
	kbs_text__analyzer *a = *state;
	static const char *const words[] = {
		"été", "e\xcc\x81te\xcc\x81", "ÉTÉ", "Straße", "Œuvre", "İstanbul", "ΐ",
		"aujourd’hui", "パスワード", "हिन्दी", "ﬁchier",
	};
	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		kbs_buf b = { 0 };
		kbs_err err = { { 0 } };
		kbs_buf_add(&b, "", 0);
		assert_int_equal(kbs_text__analyze(a, words[i], strlen(words[i]), NULL, term_cb,
						   &b, &err),
				 KBS_OK);
		char *f = kbs_text__fold(words[i], strlen(words[i]));
		assert_string_equal(f, b.data);
		free(f);
		kbs_buf_free(&b);
	}
}

static void test_has_stemmer(void **state)
{
	assert_true(kbs_text__has_stemmer("fr"));
	assert_true(kbs_text__has_stemmer("en"));
	assert_true(kbs_text__has_stemmer("de"));
	assert_false(kbs_text__has_stemmer("ja"));
	assert_false(kbs_text__has_stemmer("xx"));
	assert_false(kbs_text__has_stemmer(""));
	assert_false(kbs_text__has_stemmer(NULL));
}

/* A dictionary of lemmas is loaded once for the whole process, however
 * many handles hold it (15 MB each otherwise), and serves each holder
 * until the last lets go. */
static void test_lemma_dictionary_shared(void **state)
{
	(void)state;
	kbs_err err = { 0 };
	kbs_text__lemmatizer *a = NULL, *b = NULL;
	assert_int_equal(kbs_text__lemmatizer_new(&a, "fr", &err), KBS_OK);
	assert_int_equal(kbs_text__lemmatizer_new(&b, "fr", &err), KBS_OK);
	assert_ptr_equal(a, b);
	kbs_text__lemmatizer *en = NULL;
	assert_int_equal(kbs_text__lemmatizer_new(&en, "en", &err), KBS_ENOTFOUND);
	assert_null(en);
	/* The first holder lets go: the second still reads it. */
	kbs_text__lemmatizer_free(a);
	kbs_strlist l = { 0 };
	assert_int_equal(kbs_text__lemmas(b, "recevez", true, &l, NULL, &err), KBS_OK);
	assert_true(kbs_strlist_contains(&l, "recevoir"));
	kbs_strlist_free(&l);
	/* The last lets go, and a new holder loads it again. */
	kbs_text__lemmatizer_free(b);
	assert_int_equal(kbs_text__lemmatizer_new(&a, "fr", &err), KBS_OK);
	assert_int_equal(kbs_text__lemmas(a, "sent", false, &l, NULL, &err), KBS_OK);
	assert_true(kbs_strlist_contains(&l, "sentir"));
	kbs_strlist_free(&l);
	/* Verb forms and nothing else, remembered or not; a word that is a
	 * noun, an adjective or an adverb too is none, nor is a word the
	 * dictionary does not know. */
	static const struct {
		const char *word;
		bool verb;
	} kinds[] = {
		{ "respecter", true }, { "trouve", true },  { "changé", true },  { "revenir", true },
		{ "plante", false },   { "mort", false },   { "sourd", false },  { "avoir", false },
		{ "préavis", false },  { "texto", false },  { "immeuble", false }, { "xqzv", false },
	};
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
			bool verb = !kinds[i].verb;
			assert_int_equal(kbs_text__lemmas(a, kinds[i].word, pass == 0, &l, &verb, &err), KBS_OK);
			if (verb != kinds[i].verb)
				fail_msg("\"%s\": verb %d (pass %d)", kinds[i].word, verb, pass);
			kbs_strlist_free(&l);
		}
	kbs_text__lemmatizer_free(a);
}

/*
 * The lists are read from stopwords.c itself: each must be sorted (bsearch
 * misses words otherwise), hold words already folded (they are compared to
 * `term`), and every word must be found. Query fillers (filler_LANG) the
 * same, through kbs_text__is_filler, and they are no stop words: indexing
 * keeps them.
 */
static void test_stop_lists(void **state)
{
	char *path = tu_path(KBS_SOURCE_ROOT, "lib/text/stopwords.c");
	FILE *fp = fopen(path, "r");
	assert_non_null(fp);
	char line[512], lang[16] = "", prev[64] = "";
	unsigned nlists = 0, nwords = 0;
	while (fgets(line, sizeof line, fp)) {
		if (sscanf(line, "static const char *const %15[a-z_][] = {", lang) == 1) {
			nlists++;
			prev[0] = '\0';
			continue;
		}
		if (line[0] == '}')
			lang[0] = '\0';
		if (!lang[0] || line[0] != '\t')
			continue;
		for (char *p = strchr(line, '"'); p; p = strchr(p + 1, '"')) {
			char *q = strchr(p + 1, '"');
			assert_non_null(q);
			char w[64];
			snprintf(w, sizeof w, "%.*s", (int)(q - p - 1), p + 1);
			if (strcmp(prev, w) >= 0)
				fail_msg("[%s] \"%s\" after \"%s\": list not sorted", lang, w,
					 prev);
			char *f = kbs_text__fold(w, strlen(w));
			if (strcmp(f, w) != 0)
				fail_msg("[%s] \"%s\" is stored unfolded (\"%s\")", lang, w, f);
			free(f);
			if (strncmp(lang, "filler_", 7) == 0) {
				if (!kbs_text__is_filler(w, lang + 7) || !kbs_text__is_filler(w, NULL))
					fail_msg("[%s] \"%s\" is not found", lang, w);
				if (kbs_text__is_stopword(w, lang + 7))
					fail_msg("[%s] \"%s\" is a stop word already", lang, w);
			} else if (strncmp(lang, "time_", 5) == 0) {
				if (!kbs_text__is_time_word(w, lang + 5) || !kbs_text__is_time_word(w, NULL))
					fail_msg("[%s] \"%s\" is not found", lang, w);
				/* a word of the query, which coverage weighs */
				if (kbs_text__is_query_stop(w, lang + 5))
					fail_msg("[%s] \"%s\" is a stop word or a filler", lang, w);
			} else if (strcmp(lang, "aux_avoir") == 0) {
				/* "été" after each form of avoir is the participle */
				const char *before[] = { w };
				if (!kbs_text__is_auxiliary("ete", before, 1, false, "fr"))
					fail_msg("[%s] \"%s\" is not found", lang, w);
			} else if (strcmp(lang, "aux_clitics") == 0) {
				const char *before[] = { w, "nous" };
				if (!kbs_text__is_auxiliary("sommes", before, 2, false, "fr"))
					fail_msg("[%s] \"%s\" is not found", lang, w);
			} else if (!kbs_text__is_stopword(w, lang) || !kbs_text__is_stopword(w, NULL)) {
				fail_msg("[%s] \"%s\" is not found", lang, w);
			}
			strcpy(prev, w);
			nwords++;
			p = q;
		}
	}
	fclose(fp);
	free(path);
	assert_true(nlists >= 2);
	assert_true(nwords > 100);

	assert_true(kbs_text__is_stopword("le", "fr"));
	assert_false(kbs_text__is_stopword("le", "en"));
	assert_false(kbs_text__is_stopword("abonnement", NULL));
	assert_false(kbs_text__is_stopword("", NULL));
	assert_false(kbs_text__is_stopword(NULL, "fr"));
	assert_false(kbs_text__is_stopword("the", "xx"));
	/* Compared folded only: the caller passes term. */
	assert_false(kbs_text__is_stopword("où", "fr"));
	/* Query fillers: per language, and never stop words for indexing. */
	assert_true(kbs_text__is_filler("dois", "fr"));
	assert_false(kbs_text__is_filler("dois", "en"));
	assert_true(kbs_text__is_filler("need", NULL));
	assert_false(kbs_text__is_stopword("faire", "fr"));
	assert_false(kbs_text__is_filler("facture", NULL));
	/* Conjugated être and avoir frame a question; "avoir" (a credit
	 * note) and "avions" (planes) are nouns too. */
	assert_true(kbs_text__is_filler("sera", "fr"));
	assert_true(kbs_text__is_filler("aurait", "fr"));
	assert_false(kbs_text__is_filler("avoir", "fr"));
	assert_false(kbs_text__is_filler("avions", "fr"));
	/* Time words, per language. */
	assert_true(kbs_text__is_time_word("jeudi", "fr"));
	assert_false(kbs_text__is_time_word("jeudi", "en"));
	assert_true(kbs_text__is_time_word("yesterday", NULL));
	assert_false(kbs_text__is_time_word("facture", NULL));
	assert_false(kbs_text__is_time_word(NULL, "fr"));
	/* Verb forms read by their neighbours (the analysis table has them
	 * in sentences): nothing before is no verb, and nor is an elision. */
	const char *nous[] = { "nous" }, *a[] = { "a" };
	assert_true(kbs_text__is_auxiliary("avions", nous, 1, false, "fr"));
	assert_true(kbs_text__is_auxiliary("sommes", nous, 1, false, NULL));
	assert_false(kbs_text__is_auxiliary("sommes", NULL, 0, false, "fr"));
	assert_false(kbs_text__is_auxiliary("sommes", nous, 1, false, "en"));
	assert_false(kbs_text__is_auxiliary("ete", a, 1, true, "fr"));
	assert_false(kbs_text__is_auxiliary("somme", nous, 1, false, "fr"));
	assert_false(kbs_text__is_auxiliary(NULL, nous, 1, false, "fr"));
}

/* ---- threads ---- */

#define NTHREADS 4

static const char thread_text[] =
	"Pour résilier l’abonnement, ouvrez Compte > Facturation. 我想重置密码 "
	"e\xcc\x81te\xcc\x81 mot-de-passe 2FA";

typedef struct thread_arg {
	const char *want;
	int ok;
} thread_arg;

static void *thread_main(void *p)
{
	thread_arg *t = p;
	kbs_text__analyzer *a = NULL;
	kbs_err err = { { 0 } };
	t->ok = 0;
	if (kbs_text__analyzer_new(&a, &err) != KBS_OK)
		return NULL;
	int ok = 1;
	for (int i = 0; i < 200 && ok; i++) {
		kbs_buf b = { 0 };
		kbs_buf_add(&b, "", 0);
		const char *lang = i % 2 ? "fr" : "en";
		if (kbs_text__analyze(a, thread_text, strlen(thread_text), "fr", render_token, &b,
				      &err) != KBS_OK ||
		    strcmp(b.data, t->want) != 0)
			ok = 0;
		kbs_buf_free(&b);
		/* Switching language exercises the stemmer cache too. */
		b = (kbs_buf){ 0 };
		kbs_buf_add(&b, "", 0);
		if (kbs_text__analyze(a, "running", 7, lang, render_token, &b, &err) != KBS_OK)
			ok = 0;
		kbs_buf_free(&b);
	}
	kbs_text__analyzer_free(a);
	t->ok = ok;
	return NULL;
}

/* Many analyzers in many threads give what one gives alone: nothing in the
 * module is shared and mutable. */
static void test_threads(void **state)
{
	kbs_text__analyzer *a = *state;
	char *want = render(a, thread_text, "fr");
	pthread_t th[NTHREADS];
	thread_arg args[NTHREADS];
	for (int i = 0; i < NTHREADS; i++) {
		args[i] = (thread_arg){ want, 0 };
		assert_int_equal(pthread_create(&th[i], NULL, thread_main, &args[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++) {
		pthread_join(th[i], NULL);
		assert_true(args[i].ok);
	}
	free(want);
}

/* ---- the fast path against ICU ----
 *
 * The analyzer segments and folds plain Latin text itself and leaves the
 * rest to ICU; both must give the same tokens for every input. Each text
 * below is analysed twice, by an analyzer as it runs and by one made to
 * send everything through ICU, and every field of every token compared. */

/* Every field of every token, one token a line. */
static kbs_status dump_cb(const kbs_text__token *t, void *payload)
{
	kbs_buf *b = payload;
	kbs_buf_addf(b, "%s|%zu|%s|%zu|%s|%zu|%s|%zu|%zu-%zu@%u/%u\n", t->term, t->term_len,
		     t->exact, t->exact_len, t->stem, t->stem_len, t->stem2 ? t->stem2 : "(none)",
		     t->stem2_len, t->start, t->end, t->pos, t->flags);
	return KBS_OK;
}

typedef struct diff_ctx {
	kbs_text__analyzer *fast, *icu;
	size_t texts, tokens, failures;
} diff_ctx;

static char *dump(kbs_text__analyzer *a, const char *in, size_t len, const char *lang,
		  kbs_status *rc)
{
	kbs_buf b = { 0 };
	kbs_err err = { { 0 } };
	kbs_buf_add(&b, "", 0);
	*rc = kbs_text__analyze(a, in, len, lang, dump_cb, &b, &err);
	assert_false(b.oom);
	return kbs_buf_steal(&b);
}

/* Prints s[0..len) with what is not printable ASCII escaped. */
static void print_escaped(const char *s, size_t len)
{
	for (size_t i = 0; i < len && i < 400; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7F && c != '\\')
			print_error("%c", c);
		else
			print_error("\\x%02x", c);
	}
	print_error("%s\n", len > 400 ? "..." : "");
}

static void diff_one(diff_ctx *d, const char *in, size_t len, const char *lang)
{
	kbs_status rc_fast, rc_icu;
	char *fast = dump(d->fast, in, len, lang, &rc_fast);
	char *icu = dump(d->icu, in, len, lang, &rc_icu);
	d->texts++;
	for (const char *p = icu; *p; p++)
		d->tokens += *p == '\n';
	if (rc_fast != rc_icu || strcmp(fast, icu) != 0) {
		if (d->failures++ < 5) {
			/* The first token that differs, after the last common line. */
			size_t at = 0;
			for (size_t i = 0; fast[i] && fast[i] == icu[i]; i++)
				if (fast[i] == '\n')
					at = i + 1;
			const char *ei = strchr(icu + at, '\n'), *ef = strchr(fast + at, '\n');
			print_error("fast path and ICU differ [%s] on: ", lang ? lang : "NULL");
			print_escaped(in, len);
			print_error("  ICU  (%s): %.*s\n  fast (%s): %.*s\n", kbs_status_str(rc_icu),
				    ei ? (int)(ei - icu - at) : (int)strlen(icu + at), icu + at,
				    kbs_status_str(rc_fast),
				    ef ? (int)(ef - fast - at) : (int)strlen(fast + at), fast + at);
		}
	}
	free(fast);
	free(icu);
}

static const char *const diff_langs[] = { NULL, "fr", "en" };

static void diff_all_langs(diff_ctx *d, const char *in, size_t len)
{
	for (size_t i = 0; i < sizeof diff_langs / sizeof *diff_langs; i++)
		diff_one(d, in, len, diff_langs[i]);
}

static int diff_setup(void **state)
{
	diff_ctx *d = calloc(1, sizeof *d);
	kbs_err err = { { 0 } };
	if (!d || kbs_text__analyzer_new(&d->fast, &err) != KBS_OK ||
	    kbs_text__analyzer_new(&d->icu, &err) != KBS_OK) {
		print_error("analyzer_new: %s\n", err.msg);
		return -1;
	}
	kbs_text__analyzer_set_icu_only(d->icu, true);
	/* Else the comparisons below would compare ICU with itself. */
	if (!kbs_text__analyzer_fast(d->fast) || kbs_text__analyzer_fast(d->icu)) {
		print_error("the fast path is off with this ICU\n");
		return -1;
	}
	*state = d;
	return 0;
}

static int diff_teardown(void **state)
{
	diff_ctx *d = *state;
	kbs_text__analyzer_free(d->fast);
	kbs_text__analyzer_free(d->icu);
	free(d);
	return 0;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	kbs_buf b = { 0 };
	char chunk[4096];
	size_t n;
	kbs_buf_add(&b, "", 0);
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		kbs_buf_add(&b, chunk, n);
	fclose(f);
	assert_false(b.oom);
	*len = b.len;
	return kbs_buf_steal(&b);
}

/* Every article of the sample corpus, French and English, whole (front
 * matter and Markdown included) and line by line. */
static void test_fast_corpus(void **state)
{
	diff_ctx *d = *state;
	size_t files = 0;
	static const char *const dirs[] = { "corpus/articles/fr", "corpus/articles/en" };
	for (size_t k = 0; k < sizeof dirs / sizeof *dirs; k++) {
		char dir[4096];
		snprintf(dir, sizeof dir, "%s/%s", KBS_SOURCE_ROOT, dirs[k]);
		DIR *dp = opendir(dir);
		if (!dp)
			fail_msg("cannot open %s", dir);
		struct dirent *de;
		while ((de = readdir(dp))) {
			size_t nl = strlen(de->d_name);
			if (nl < 4 || strcmp(de->d_name + nl - 3, ".md") != 0)
				continue;
			char path[8192];
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			size_t len;
			char *text = read_file(path, &len);
			diff_all_langs(d, text, len);
			for (char *line = text, *end; *line; line = end + (*end != '\0')) {
				end = strchr(line, '\n');
				if (!end)
					end = line + strlen(line);
				diff_all_langs(d, line, (size_t)(end - line));
			}
			free(text);
			files++;
		}
		closedir(dp);
	}
	char path[4096];
	snprintf(path, sizeof path, "%s/corpus/export.jsonl", KBS_SOURCE_ROOT);
	size_t len;
	char *text = read_file(path, &len);
	diff_all_langs(d, text, len);
	free(text);
	print_message("fast path: %zu corpus files, %zu analyses, %zu tokens compared\n", files,
		      d->texts, d->tokens);
	assert_true(files >= 50);
	assert_int_equal(d->failures, 0);
}

/* Pieces of text the random strings are made of: what the fast path
 * handles, what it must leave to ICU, and what lies on the border. */
static const char *const pieces[] = {
	/* plain letters, digits, white space */
	"a", "Z", "mot", "Passe", "abonnement", "x", "0", "7", "42", " ", " ", "  ", "\n",
	"\t", "\r\n", "\f",
	/* accented Latin, ligatures, foldings that grow or drop */
	"é", "É", "è", "à", "ç", "ñ", "ü", "ÿ", "Ÿ", "ß", "ẞ", "œ", "Œ", "æ", "Æ", "ø", "ı",
	"İ", "ŉ", "ǰ", "ǅ", "ſ", "ª", "µ", "Ω",
	/* combining marks: decomposed accents, on letters and alone */
	"e\xcc\x81", "\xcc\x81", "a\xcc\x88\xcc\x81", "\xcd\x84",
	/* apostrophes and elisions */
	"'", "’", "ʼ", "‘", "l'", "L’", "qu'", "jusqu’", "d'", "aujourd'hui", "O'Reilly",
	/* joiners and breakers */
	".", ",", ";", ":", "-", "_", "@", "/", "(", ")", "!", "?", "\"", "#", "*", "+", "&",
	"·", "…", "«", "»", "–", "—", "\xc2\xa0", "\xe2\x80\xaf", "\xe2\x80\x8b",
	"\xc2\xad", "\xe2\x80\x8d", "\xe2\x80\x8c", "\xe2\x80\xa4", "\xe2\x80\xa7",
	"\xe3\x80\x80", "\xe2\x80\x83", "©", "®", "™",
	/* numbers with separators, versions */
	"3.14", "1,000.50", "v2.0", "10:30", "2FA", "１２", "٣",
	/* emoji, flags, skin tones, ZWJ sequences */
	"😀", "🇫🇷", "👍🏽", "👩\xe2\x80\x8d💻", "❤️",
	/* other scripts: dictionary-segmented and not */
	"日本語", "パスワード", "中文", "ภาษาไทย", "한국어", "Σίσυφος", "дом", "שלום", "हिन्दी",
	"ﬁ", "Ａ",
	/* words about KBS_TEXT_MAX_TERM long, with or without a prefix */
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghij",
	"ééééééééééééééééééééééééééééééééé", "ßßßßßßßßßßßßßßßßßßßßßßßßßßßßßßß",
};

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

#define RANDOM_STRINGS 20000

static void test_fast_random(void **state)
{
	diff_ctx *d = *state;
	uint64_t seed = 0x9E3779B97F4A7C15u;
	const size_t np = sizeof pieces / sizeof *pieces;
	for (int i = 0; i < RANDOM_STRINGS; i++) {
		char s[1024];
		size_t n = 0;
		int count = (int)(rng_next(&seed) % 24);
		for (int k = 0; k < count; k++) {
			const char *p = pieces[rng_next(&seed) % np];
			size_t pn = strlen(p);
			memcpy(s + n, p, pn);
			n += pn;
		}
		diff_one(d, s, n, diff_langs[i % 3]);
	}
	print_message("fast path: %d random strings compared\n", RANDOM_STRINGS);
	assert_int_equal(d->failures, 0);
}

/* Writes c as UTF-8 at s + *n. */
static void put_utf8(char *s, size_t *n, uint32_t c)
{
	if (c < 0x80) {
		s[(*n)++] = (char)c;
	} else if (c < 0x800) {
		s[(*n)++] = (char)(0xC0 | c >> 6);
		s[(*n)++] = (char)(0x80 | (c & 0x3F));
	} else {
		s[(*n)++] = (char)(0xE0 | c >> 12);
		s[(*n)++] = (char)(0x80 | (c >> 6 & 0x3F));
		s[(*n)++] = (char)(0x80 | (c & 0x3F));
	}
}

/* Every character the fast path may take on (Latin and General
 * Punctuation), in every short context of the pieces that matter to word
 * boundaries: where a table built from ICU could be wrong, it is here. */
static void test_fast_every_char(void **state)
{
	diff_ctx *d = *state;
	static const char *const ctx[] = {
		"", "a", "é", "1", ".", "'", "’", ",", ";", ":", "-", "_", "@", " ",
		"\xcc\x81", "日", "l'",
	};
	const size_t nc = sizeof ctx / sizeof *ctx;
	size_t before = d->texts;
	for (uint32_t c = 0; c < 0x2070; c++) {
		if (c == 0x250)
			c = 0x2000;
		for (size_t l = 0; l < nc; l++) {
			for (size_t r = 0; r < nc; r++) {
				char s[64];
				size_t n = 0;
				memcpy(s, ctx[l], strlen(ctx[l]));
				n += strlen(ctx[l]);
				put_utf8(s, &n, c);
				memcpy(s + n, ctx[r], strlen(ctx[r]));
				n += strlen(ctx[r]);
				/* twice, with a letter between: joiners need one on each side */
				s[n++] = 'b';
				put_utf8(s, &n, c);
				put_utf8(s, &n, c);
				s[n++] = '2';
				diff_one(d, s, n, NULL);
			}
		}
	}
	print_message("fast path: %zu strings of every Latin and punctuation character compared\n",
		      d->texts - before);
	assert_int_equal(d->failures, 0);
}

/* Every string of up to three of a few characters picked for their word
 * break classes: pairs and triples are what UAX #29's rules look at. */
static void test_fast_triples(void **state)
{
	diff_ctx *d = *state;
	static const char *const alpha[] = {
		"a", "B", "é", "ß", "1", "0", ".", ",", ";", ":", "'", "’", "-", "_", "@", " ", "\n",
		"\xcc\x81", "\xc2\xad", "\xe2\x80\x8d", "😀", "日", "·", "…", "\"", "/",
	};
	const size_t na = sizeof alpha / sizeof *alpha;
	size_t before = d->texts;
	for (size_t i = 0; i < na; i++) {
		for (size_t j = 0; j <= na; j++) {
			for (size_t k = 0; k <= na; k++) {
				char s[32];
				size_t n = 0;
				size_t idx[3] = { i, j, k };
				for (int m = 0; m < 3; m++) {
					if (idx[m] == na)
						continue;
					memcpy(s + n, alpha[idx[m]], strlen(alpha[idx[m]]));
					n += strlen(alpha[idx[m]]);
				}
				diff_one(d, s, n, NULL);
			}
		}
	}
	print_message("fast path: %zu short strings compared\n", d->texts - before);
	assert_int_equal(d->failures, 0);
}

/* The fast path learns characters one at a time; what it learnt must not
 * depend on the order it met them in, nor leak from one text to the next. */
static void test_fast_order(void **state)
{
	diff_ctx *d = *state;
	kbs_text__analyzer *fresh = NULL;
	kbs_err err = { { 0 } };
	assert_int_equal(kbs_text__analyzer_new(&fresh, &err), KBS_OK);
	static const char *const texts[] = {
		"support@example.com l’été dernier, 1,5 kg · ok",
		"È@… «mot-de-passe» d'accord; 3.14",
		"",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		kbs_status rc1, rc2;
		char *x = dump(fresh, texts[i], strlen(texts[i]), "fr", &rc1);
		char *y = dump(d->icu, texts[i], strlen(texts[i]), "fr", &rc2);
		assert_int_equal(rc1, rc2);
		assert_string_equal(x, y);
		free(x);
		free(y);
	}
	kbs_text__analyzer_free(fresh);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	kbs_text__analyzer *a = NULL;
	kbs_err err = { { 0 } };
	if (kbs_text__analyzer_new(&a, &err) != KBS_OK) {
		print_error("analyzer_new: %s\n", err.msg);
		return -1;
	}
	*state = a;
	return 0;
}

static int teardown(void **state)
{
	kbs_text__analyzer_free(*state);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_ranges),
		cmocka_unit_test(test_cjk),
		cmocka_unit_test(test_stems_agree),
		cmocka_unit_test(test_stem_cache),
		cmocka_unit_test(test_stem_later),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_word),
		cmocka_unit_test(test_callback_status),
		cmocka_unit_test(test_megabyte),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_case_as),
		cmocka_unit_test(test_fold_is_term),
		cmocka_unit_test(test_has_stemmer),
		cmocka_unit_test(test_lemma_dictionary_shared),
		cmocka_unit_test(test_stop_lists),
		cmocka_unit_test(test_threads),
		cmocka_unit_test_setup_teardown(test_fast_corpus, diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_fast_random, diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_fast_every_char, diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_fast_triples, diff_setup, diff_teardown),
		cmocka_unit_test_setup_teardown(test_fast_order, diff_setup, diff_teardown),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
