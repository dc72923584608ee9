/*
 * Snippets: the passage of an article that shows why it matched. The text is
 * analysed with the same pipeline as the index, so a word matches here
 * exactly when it matched in the engine ("l’abonnement" is marked for a
 * query on "abonnements").
 *
 * Stemming every word of every hit's body was half the cost of a search, so
 * the text is segmented and folded without a language, and only words that
 * begin like one of the query's stems are stemmed: a Snowball stem keeps the
 * start of its word.
 */
#include <stdlib.h>
#include <string.h>

#include "query.h"

typedef struct span {
	size_t start, end;
	int word; /* index of the query word it matches, -1: none */
} span;

/* Leading bytes a word must share with a stem to be worth stemming. */
#define STEM_PREFIX 3

typedef struct collect {
	kbs_text__analyzer *an;
	const char *lang;
	kbs_err *err;
	const kbs_query__word *words;
	size_t nwords;
	span *v;
	size_t n, cap;
	/* Used words of the query, and where to stop once a window holding
	 * all of them was seen: no later window can beat the earliest full
	 * one, so the rest of a long body need not be analysed. */
	size_t want;
	size_t stop_at;
	/* The first bytes of every string match_word() compares a term with
	 * from its start (see first_bytes()); unused when `filter` is false. */
	bool filter;
	unsigned char first[32];
} collect;

static bool worth_stemming(const collect *c, const kbs_text__token *t)
{
	if (t->flags & (KBS_TOK_STOP | KBS_TOK_NUM | KBS_TOK_IDEO))
		return false;
	for (size_t i = 0; i < c->nwords; i++) {
		const kbs_query__word *w = &c->words[i];
		for (int l = 0; w->used && l < 2; l++) {
			const kbs_strlist *stems = l ? &w->alt_stems : &w->stems;
			for (size_t s = 0; s < stems->n; s++) {
				size_t n = strlen(stems->v[s]);
				if (strncmp(t->term, stems->v[s], n < STEM_PREFIX ? n : STEM_PREFIX) == 0)
					return true;
			}
		}
	}
	return false;
}

/* Whether `term` is one of the words of a multi-word synonym. */
static bool in_phrases(const kbs_strlist *phrases, const char *term)
{
	size_t n = strlen(term);
	for (size_t i = 0; i < phrases->n; i++) {
		for (const char *s = phrases->v[i]; *s;) {
			const char *e = strchr(s, ' ');
			size_t len = e ? (size_t)(e - s) : strlen(s);
			if (len == n && strncmp(s, term, n) == 0)
				return true;
			s += len + (e != NULL);
		}
	}
	return false;
}

/* The query word the token is, or -1; *rc receives a stemming failure. */
static int match_word(collect *c, const kbs_text__token *t, kbs_status *rc)
{
	for (size_t i = 0; i < c->nwords; i++) {
		const kbs_query__word *w = &c->words[i];
		if (!w->used)
			continue;
		/* The word itself, a synonym or close spelling of it, or, for the
		 * word being typed, a longer word it begins. */
		if (strcmp(w->term, t->term) == 0 || kbs_strlist_contains(&w->alt_words, t->term) ||
		    (!(t->flags & KBS_TOK_STOP) && in_phrases(&w->alt_phrases, t->term)) ||
		    (w->prefix && strncmp(t->term, w->term, strlen(w->term)) == 0))
			return (int)i;
	}
	if (!worth_stemming(c, t))
		return -1;
	const char *stem;
	size_t len;
	if ((*rc = kbs_text__stem(c->an, t->exact, t->exact_len, c->lang, &stem, &len, c->err)) != KBS_OK)
		return -1;
	char buf[KBS_TEXT_MAX_TERM * 2 + 1];
	if (len >= sizeof buf)
		return -1;
	memcpy(buf, stem, len);
	buf[len] = '\0';
	for (size_t i = 0; i < c->nwords; i++)
		if (c->words[i].used && (kbs_strlist_contains(&c->words[i].stems, buf) ||
					 kbs_strlist_contains(&c->words[i].alt_stems, buf)))
			return (int)i;
	return -1;
}

static void first_add(collect *c, unsigned char b)
{
	c->first[b >> 3] |= (unsigned char)(1u << (b & 7));
}

/* Fills c->first. Every test of match_word() compares the token's term,
 * from its first byte, with a query word, one of its synonyms or close
 * spellings, a word of a multi-word synonym, or the first bytes of a stem;
 * so a term whose first byte starts none of those matches nothing, and
 * most words of a body are dismissed with one lookup instead of a dozen
 * string comparisons. An empty prefix word or stem would match any term:
 * then there is no filter. */
static void first_bytes(collect *c)
{
	c->filter = true;
	memset(c->first, 0, sizeof c->first);
	for (size_t i = 0; i < c->nwords; i++) {
		const kbs_query__word *w = &c->words[i];
		if (!w->used)
			continue;
		first_add(c, (unsigned char)w->term[0]);
		if (w->prefix && !w->term[0])
			c->filter = false;
		for (size_t k = 0; k < w->alt_words.n; k++)
			first_add(c, (unsigned char)w->alt_words.v[k][0]);
		for (size_t k = 0; k < w->alt_phrases.n; k++) {
			const char *p = w->alt_phrases.v[k];
			first_add(c, (unsigned char)p[0]);
			for (; *p; p++)
				if (*p == ' ')
					first_add(c, (unsigned char)p[1]);
		}
		for (int l = 0; l < 2; l++) {
			const kbs_strlist *stems = l ? &w->alt_stems : &w->stems;
			for (size_t k = 0; k < stems->n; k++) {
				if (!stems->v[k][0])
					c->filter = false;
				first_add(c, (unsigned char)stems->v[k][0]);
			}
		}
	}
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

/* A hyphenated compound (text.h KBS_TOK_JOINED) comes after its parts,
 * over their bytes: when it is a query word ("email" in "e-mail"), its
 * parts are marked as that word. */
static kbs_status collect_joined(collect *c, const kbs_text__token *t)
{
	kbs_status rc = KBS_OK;
	unsigned char b = (unsigned char)t->term[0];
	size_t start = t->start;
	int word = !c->filter || (c->first[b >> 3] & (1u << (b & 7))) ? match_word(c, t, &rc) : -1;
	for (size_t i = c->n; word >= 0 && i > 0 && c->v[i - 1].start >= start; i--)
		if (c->v[i - 1].word < 0)
			c->v[i - 1].word = word;
	return rc;
}

static kbs_status collect_token(const kbs_text__token *t, void *payload)
{
	collect *c = payload;
	if (c->stop_at && t->start > c->stop_at)
		return KBS_STOP;
	if (t->flags & KBS_TOK_JOINED)
		return collect_joined(c, t);
	if (!kbs_grow(&c->v, &c->cap, c->n, sizeof *c->v, 256))
		return KBS_ENOMEM;
	/* Read before stemming: kbs_text__stem invalidates the token. */
	size_t start = t->start, end = t->end;
	kbs_status rc = KBS_OK;
	unsigned char b = (unsigned char)t->term[0];
	int word = -1;
	if (!c->filter || (c->first[b >> 3] & (1u << (b & 7))))
		word = match_word(c, t, &rc);
	c->v[c->n++] = (span){ start, end, word };
	if (word >= 0 && !c->stop_at && c->want) {
		size_t i = c->n - 1;
		while (i > 0 && end - c->v[i - 1].start <= KBS_SNIPPET_BYTES)
			i--;
		if (distinct_words(c->v, i, c->n) == c->want)
			c->stop_at = start + KBS_SNIPPET_BYTES;
	}
	return rc;
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


kbs_status kbs_query__snippet(char **out, kbs_text__analyzer *an, const char *text,
			      const char *lang, const kbs_query__word *words, size_t nwords,
			      kbs_err *err)
{
	kbs_status rc;
	collect c = { .an = an, .lang = lang, .err = err, .words = words, .nwords = nwords };
	for (size_t i = 0; i < nwords; i++)
		c.want += words[i].used;
	first_bytes(&c);
	kbs_buf b = { 0 };
	size_t len = strlen(text);

	*out = NULL;
	rc = kbs_text__analyze(an, text, len, NULL, collect_token, &c, err);
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
