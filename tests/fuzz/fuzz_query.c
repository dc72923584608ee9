/*
 * What a visitor types, on a real index: the sample corpus with its
 * synonyms, built once. Each input is two option bytes and the text, which
 * goes through kbs_search, kbs_suggest and kbs_answer. Besides the
 * sanitizers, it checks what a user would notice: an error for a valid
 * text, an article the caller may not see, a snippet that is not the
 * escaped HTML it claims to be, a confidence that rises down the ranking.
 *
 * Options, first byte:  bits 0-2 language (fz_langs), 3 agent role,
 *                       4 a trailing space (no prefix match on the last
 *                       word), 5 no snippets, 6 a category filter, 7 a tag
 *                       filter;
 *          second byte: bits 0-3 limit, 4-5 offset, 6 a kind filter, 7 a
 *                       segment.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

static char *home;
static kbs_kb *kb;
static char **restricted;

static void close_kb(void)
{
	kbs_close(kb);
	kb = NULL;
	for (char **p = restricted; p && *p; p++)
		free(*p);
	free(restricted);
	free(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	home = fz_tmpdir();
	kb = fz_corpus_kb(home, KBS_OPEN_NO_EVENTS);
	restricted = fz_restricted_ids(kb);
	atexit(close_kb);
	return 0;
}

/* The snippet is HTML: escaped text with <mark> around matched words. */
static void check_snippet(const char *s)
{
	fz_check_utf8("snippet", s);
	int open = 0;
	for (const char *p = s; *p; p++) {
		if (*p == '<') {
			if (strncmp(p, "<mark>", 6) == 0 && !open) {
				open = 1;
				p += 5;
			} else if (strncmp(p, "</mark>", 7) == 0 && open) {
				open = 0;
				p += 6;
			} else {
				fz_fail("snippet with unescaped or misnested '<': %s", s);
			}
		} else if (*p == '>' || *p == '"') {
			fz_fail("snippet with an unescaped '%c': %s", *p, s);
		} else if (*p == '&') {
			static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
			bool ok = false;
			for (size_t i = 0; i < sizeof ents / sizeof *ents; i++)
				ok |= strncmp(p, ents[i], strlen(ents[i])) == 0;
			if (!ok)
				fz_fail("snippet with a bare '&': %s", s);
		}
	}
	if (open)
		fz_fail("snippet with an unclosed <mark>: %s", s);
}

static void check_results(const kbs_results *r, const char *text, size_t limit, bool agent,
			  bool snippets, bool answer)
{
	size_t n = kbs_results_count(r);
	if (n > limit)
		fz_fail("%zu hits for a limit of %zu", n, limit);
	if (n > kbs_results_total(r) && !answer)
		fz_fail("%zu hits but a total of %llu", n, (unsigned long long)kbs_results_total(r));
	if (strcmp(kbs_results_query(r), text) != 0)
		fz_fail("results for \"%s\" say they are for \"%s\"", text, kbs_results_query(r));
	fz_check_utf8("search id", kbs_results_search_id(r));
	if (kbs_results_corrected_query(r))
		fz_check_utf8("corrected query", kbs_results_corrected_query(r));
	int last = 100;
	for (size_t i = 0; i < n; i++) {
		const char *id = kbs_results_id(r, i);
		fz_check_utf8("hit id", id);
		if (!agent && fz_in(restricted, id))
			fz_fail("restricted article %s returned to the public for \"%s\"", id, text);
		fz_check_utf8("hit title", kbs_results_title(r, i));
		int c = kbs_results_confidence(r, i);
		if (c < 0 || c > last)
			fz_fail("confidence %d after %d for \"%s\"", c, last, text);
		last = c;
		if (snippets && !answer)
			check_snippet(kbs_results_snippet(r, i));
		for (size_t j = 0; j < kbs_results_ntags(r, i); j++)
			fz_check_utf8("hit tag", kbs_results_tag(r, i, j));
	}
	for (int f = KBS_FACET_CATEGORY; f <= KBS_FACET_TAG; f++)
		for (size_t i = 0; i < kbs_results_facet_count(r, (kbs_facet)f); i++) {
			fz_check_utf8("facet label", kbs_results_facet_label(r, (kbs_facet)f, i));
			if (kbs_results_facet_value(r, (kbs_facet)f, i) == 0)
				fz_fail("a facet of 0 articles");
		}
	if (answer && n == 1) {
		if (!kbs_results_confident(r))
			fz_fail("an answer without confidence for \"%s\"", text);
		fz_check_utf8("passage", kbs_results_passage(r, 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const categories[] = { "Compte", "Facturation/Paiement" };
	static const char *const tags[] = { "mot de passe" };
	static const char *const agent[] = { "agent" };
	static const char *const segments[] = { "pro" };
	if (size < 2)
		return 0;
	unsigned o1 = data[0], o2 = data[1];
	bool space = o1 & 16, is_agent = o1 & 8, snippets = !(o1 & 32);
	/* The text, a NUL, and room for the trailing space. */
	char *text = malloc(size);
	if (!text)
		return 0;
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	size_t len = strlen(text); /* up to a NUL: what a C caller passes */
	if (space) {
		text[len++] = ' ';
		text[len] = '\0';
	}

	kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
	so.lang = fz_langs[o1 & 7];
	so.roles = is_agent ? agent : NULL;
	so.nroles = is_agent ? 1 : 0;
	so.flags = snippets ? 0 : KBS_SEARCH_NO_SNIPPETS;
	so.category = o1 & 64 ? categories[o2 & 1] : NULL;
	so.tags = o1 & 128 ? tags : NULL;
	so.ntags = o1 & 128 ? 1 : 0;
	so.limit = o2 & 15;
	so.offset = (o2 >> 4) & 3;
	so.kind = o2 & 64 ? "faq" : NULL;
	so.segments = o2 & 128 ? segments : NULL;
	so.nsegments = o2 & 128 ? 1 : 0;
	size_t limit = so.limit ? so.limit : 10;
	bool valid = len <= KBS_MAX_QUERY_BYTES && fz_is_text(text, len);

	kbs_results *r = NULL;
	kbs_status rc = kbs_search(&r, kb, text, &so);
	if (rc == KBS_OK)
		check_results(r, text, limit, is_agent, snippets, false);
	else if (rc != KBS_EINVALID || valid)
		fz_fail("kbs_search(\"%s\", lang %s): %s: %s", text, so.lang ? so.lang : "NULL",
			kbs_status_str(rc), kbs_errmsg(kb));
	else
		fz_check_utf8("search error", kbs_errmsg(kb));
	kbs_results_free(r);

	kbs_suggest_opts go = KBS_SUGGEST_OPTS_INIT;
	go.lang = so.lang;
	go.roles = so.roles;
	go.nroles = so.nroles;
	go.limit = so.limit;
	kbs_suggestions *sg = NULL;
	rc = kbs_suggest(&sg, kb, text, &go);
	if (rc == KBS_OK) {
		size_t n = kbs_suggestions_count(sg);
		if (n > (go.limit ? go.limit : 5))
			fz_fail("%zu suggestions for a limit of %zu", n, go.limit);
		for (size_t i = 0; i < n; i++) {
			fz_check_utf8("suggestion", kbs_suggestions_text(sg, i));
			const char *id = kbs_suggestions_id(sg, i);
			if (id && !is_agent && fz_in(restricted, id))
				fz_fail("restricted article %s suggested to the public for \"%s\"", id,
					text);
		}
	} else if (rc != KBS_EINVALID || valid) {
		fz_fail("kbs_suggest(\"%s\"): %s: %s", text, kbs_status_str(rc), kbs_errmsg(kb));
	}
	kbs_suggestions_free(sg);

	rc = kbs_answer(&r, kb, text, &so);
	if (rc == KBS_OK)
		check_results(r, text, 1, is_agent, snippets, true);
	else if (rc != KBS_EINVALID || valid)
		fz_fail("kbs_answer(\"%s\"): %s: %s", text, kbs_status_str(rc), kbs_errmsg(kb));
	kbs_results_free(r);
	free(text);
	return 0;
}
