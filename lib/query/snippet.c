/*
 * Snippets: the passage of an article that shows why it matched. The text is
 * analysed with the same pipeline as the index, so a word matches here
 * exactly when it matched in the engine ("l’abonnement" is marked for a
 * query on "abonnements").
 */
#include <stdlib.h>
#include <string.h>

#include "query.h"

typedef struct span {
	size_t start, end;
	int word; /* index of the query word it matches, -1: none */
} span;

typedef struct collect {
	const kbs_query__word *words;
	size_t nwords;
	span *v;
	size_t n, cap;
} collect;

static int match_word(const collect *c, const kbs_text__token *t)
{
	for (size_t i = 0; i < c->nwords; i++) {
		const kbs_query__word *w = &c->words[i];
		if (!w->used)
			continue;
		if (strcmp(w->term, t->term) == 0)
			return (int)i;
		if (!(t->flags & KBS_TOK_STOP) && kbs_strlist_contains(&w->stems, t->stem))
			return (int)i;
	}
	return -1;
}

static kbs_status collect_token(const kbs_text__token *t, void *payload)
{
	collect *c = payload;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		span *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return KBS_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = (span){ t->start, t->end, match_word(c, t) };
	return KBS_OK;
}

/* Copies text[from..to) HTML-escaped, runs of white space as one space. */
static void add_escaped(kbs_buf *b, const char *text, size_t from, size_t to)
{
	bool space = false;
	for (size_t i = from; i < to; i++) {
		char c = text[i];
		if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
			space = true;
			continue;
		}
		if (space && b->len)
			kbs_buf_addc(b, ' ');
		space = false;
		switch (c) {
		case '<': kbs_buf_adds(b, "&lt;"); break;
		case '>': kbs_buf_adds(b, "&gt;"); break;
		case '&': kbs_buf_adds(b, "&amp;"); break;
		case '"': kbs_buf_adds(b, "&quot;"); break;
		case '\'': kbs_buf_adds(b, "&#39;"); break;
		default: kbs_buf_addc(b, c);
		}
	}
	if (space && b->len)
		kbs_buf_addc(b, ' ');
}

/* Distinct query words among spans [i, j). */
static size_t distinct_words(const span *v, size_t i, size_t j)
{
	size_t count = 0;
	for (size_t k = i; k < j; k++) {
		if (v[k].word < 0)
			continue;
		bool dup = false;
		for (size_t l = i; l < k && !dup; l++)
			dup = v[l].word == v[k].word;
		count += !dup;
	}
	return count;
}

kbs_status kbs_query__snippet(char **out, kbs_text__analyzer *an, const char *text,
			      const char *lang, const kbs_query__word *words, size_t nwords,
			      kbs_err *err)
{
	kbs_status rc;
	collect c = { .words = words, .nwords = nwords };
	kbs_buf b = { 0 };
	size_t len = strlen(text);

	*out = NULL;
	rc = kbs_text__analyze(an, text, len, lang, collect_token, &c, err);
	if (rc != KBS_OK)
		goto cleanup;

	/* The window of at most KBS_SNIPPET_BYTES holding the most distinct
	 * query words, earliest first; it starts a few words before its first
	 * match so the reader sees the context. */
	size_t best = 0, best_score = 0, first = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (c.v[i].word < 0)
			continue;
		size_t j = i;
		while (j < c.n && c.v[j].end - c.v[i].start <= KBS_SNIPPET_BYTES)
			j++;
		size_t score = distinct_words(c.v, i, j);
		if (score > best_score) {
			best_score = score;
			best = i;
		}
	}
	if (best_score)
		first = best >= 3 ? best - 3 : 0;
	size_t from = c.n ? c.v[first].start : 0;
	size_t last = first;
	while (last + 1 < c.n && c.v[last + 1].end - from <= KBS_SNIPPET_BYTES)
		last++;
	size_t to = c.n ? c.v[last].end : 0;
	/* Whatever precedes the first word or follows the last is shown whole
	 * (markup, punctuation), and a sentence keeps its final mark. */
	if (first == 0)
		from = 0;
	if (last + 1 >= c.n && len - to < 16)
		to = len;
	else if (to < len && (text[to] == '.' || text[to] == '?' || text[to] == '!'))
		to++;

	if (from > 0)
		kbs_buf_adds(&b, "… ");
	size_t at = from;
	for (size_t k = first; c.n && k <= last; k++) {
		if (c.v[k].word < 0)
			continue;
		add_escaped(&b, text, at, c.v[k].start);
		kbs_buf_adds(&b, "<mark>");
		add_escaped(&b, text, c.v[k].start, c.v[k].end);
		kbs_buf_adds(&b, "</mark>");
		at = c.v[k].end;
	}
	add_escaped(&b, text, at, to);
	if (to < len)
		kbs_buf_adds(&b, b.len && b.data[b.len - 1] == ' ' ? "…" : " …");
	*out = kbs_buf_steal(&b);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	if (rc == KBS_ENOMEM)
		kbs_err__set(err, rc, "out of memory");
	kbs_buf_free(&b);
	free(c.v);
	return rc;
}
