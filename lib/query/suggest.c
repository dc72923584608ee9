/*
 * Suggestions for a search box: titles that complete what the visitor is
 * typing, then (when a module sets kb->suggest_source) a second source such
 * as popular answered queries.
 *
 * Titles: the prefix is analysed like a query; every complete word that is
 * not a stop word must be in the title (as a title word, XT, or by its
 * title stem, S, so "factures" finds "facture"), and the last word, when
 * the prefix does not end with a space, must begin a title word (a
 * wildcard on the XT terms: whole folded words, since a stem can be shorter
 * than what was typed; a word of 1-5 characters is one XP posting list).
 * Roles and language filter exactly as in a search. All of this is
 * boolean: the engine returns the first few matches unranked (it stops
 * there, rather than weighing every title a short prefix begins), first
 * among the titles whose first word begins like the prefix's (XF), then,
 * when those are too few, among the others. They are ordered here: titles
 * whose first word the prefix's first word begins, then shorter titles,
 * then as found. Titles and ids come from one value slot
 * (KBS_SLOT_SUGGEST), never from the document data.
 *
 * The second source (lib/events/popular.c) adds popular answered queries,
 * with no id (a query to run, not an article to open), ranked before the
 * titles of their band, at most half of the list. A query whose folded
 * text is a title already suggested is skipped: the title, which leads
 * straight to the article, stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

#define SUGGEST_DEFAULT 5
#define SUGGEST_MAX 50
/* Candidates read from the engine before ordering (at least; 4 per
 * suggestion asked for), and the words (the commonest) a word being typed
 * may stand for: a limit rather than every completion, for a reply within
 * a keystroke. */
#define SUGGEST_CANDIDATES 20
#define SUGGEST_EXPANSION 50
#define MAX_LANGS 8

typedef struct sug {
	char *text, *id;
	char *folded; /* made when a query is compared with it */
	double rank;
	size_t order;
} sug;

struct kbs_suggestions {
	sug *v;
	size_t n, cap;
};

struct kbs_query__suggest_sink {
	kbs_suggestions *s;
};

kbs_status kbs_suggest_opts_init(kbs_suggest_opts *opts, unsigned version)
{
	if (!opts || version != KBS_SUGGEST_OPTS_VERSION)
		return KBS_EINVALID;
	kbs_suggest_opts d = KBS_SUGGEST_OPTS_INIT;
	*opts = d;
	return KBS_OK;
}

void kbs_suggestions_free(kbs_suggestions *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].text);
		free(s->v[i].id);
		free(s->v[i].folded);
	}
	free(s->v);
	free(s);
}

size_t kbs_suggestions_count(const kbs_suggestions *s)
{
	return s ? s->n : 0;
}

const char *kbs_suggestions_text(const kbs_suggestions *s, size_t i)
{
	return s && i < s->n ? s->v[i].text : NULL;
}

const char *kbs_suggestions_id(const kbs_suggestions *s, size_t i)
{
	return s && i < s->n ? s->v[i].id : NULL;
}

kbs_status kbs_query__suggest_add(kbs_query__suggest_sink *sink, const char *text, const char *id,
				  double rank)
{
	kbs_suggestions *s = sink->s;
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i].text, text) == 0)
			return KBS_OK;
	char *folded = NULL;
	if (!id) { /* a query: the same words as anything suggested is a duplicate */
		if (!(folded = kbs_text__fold(text, strlen(text))))
			return KBS_ENOMEM;
		for (size_t i = 0; i < s->n; i++) {
			sug *o = &s->v[i];
			if (!o->folded && !(o->folded = kbs_text__fold(o->text, strlen(o->text)))) {
				free(folded);
				return KBS_ENOMEM;
			}
			if (strcmp(o->folded, folded) == 0) {
				free(folded);
				return KBS_OK;
			}
		}
	}
	if (!kbs_grow(&s->v, &s->cap, s->n, sizeof *s->v, 16)) {
		free(folded);
		return KBS_ENOMEM;
	}
	sug *g = &s->v[s->n];
	g->text = kbs_strdup(text);
	g->id = id ? kbs_strdup(id) : NULL;
	g->folded = folded;
	g->rank = rank;
	g->order = s->n;
	if (!g->text || (id && !g->id)) {
		free(g->text);
		free(g->id);
		free(g->folded);
		return KBS_ENOMEM;
	}
	s->n++;
	return KBS_OK;
}

static int cmp_sug(const void *a, const void *b)
{
	const sug *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* ---- the prefix, analysed ---- */

typedef struct ptok {
	char term[KBS_TEXT_MAX_TERM + 1];
	char stem[MAX_LANGS][KBS_TEXT_MAX_TERM * 2 + 1];
	bool stop;
	size_t end;
} ptok;

typedef struct ptoks {
	ptok v[32];
	size_t n, next;
	unsigned pass;
	bool more; /* words beyond the 32 kept */
} ptoks;

static kbs_status collect(const kbs_text__token *t, void *payload)
{
	ptoks *p = payload;
	ptok *q;
	if (t->flags & KBS_TOK_JOINED) /* titles are completed word by word */
		return KBS_OK;
	if (p->pass == 0) {
		if (p->n == sizeof p->v / sizeof *p->v) {
			p->more = true;
			return KBS_STOP;
		}
		q = &p->v[p->n++];
		snprintf(q->term, sizeof q->term, "%.*s", (int)t->term_len, t->term);
		q->end = t->end;
	} else {
		if (p->next >= p->n)
			return KBS_STOP;
		q = &p->v[p->next++];
	}
	snprintf(q->stem[p->pass], sizeof q->stem[0], "%.*s", (int)t->stem_len, t->stem);
	return KBS_OK;
}

typedef struct langs {
	char v[MAX_LANGS][8];
	size_t n;
} langs;

static kbs_status collect_lang(const char *term, uint64_t freq, void *payload)
{
	langs *l = payload;
	(void)freq;
	const char *code = term + strlen(KBS_PFX_LANG);
	if (l->n == MAX_LANGS)
		return KBS_STOP;
	if (strlen(code) < sizeof l->v[0] && kbs_text__has_stemmer(code))
		snprintf(l->v[l->n++], sizeof l->v[0], "%s", code);
	return KBS_OK;
}

/* Whether the folded title's first word begins with `term`. Only the
 * first word is folded: this runs on every candidate. */
static bool title_starts(const char *title, const char *term)
{
	size_t n = strcspn(title, " \t");
	char *f = kbs_text__fold(title, n);
	bool yes = f && strncmp(f, term, strlen(term)) == 0;
	free(f);
	return yes;
}

/* The titles whose first word begins like `term` (by its first
 * KBS_TITLE_PREFIX_CHARS characters; title_starts() then compares the whole
 * word), or NULL when none does, or the index predates those terms. */
static kbs_qnode *begins_like(kbs_query__arena *a, kbs_store__reader *r, const char *term)
{
	size_t n = kbs_utf8_prefix(term, strlen(term), KBS_TITLE_PREFIX_CHARS);
	char beginning[KBS_TEXT_MAX_TERM + 1];
	snprintf(beginning, sizeof beginning, "%.*s", (int)n, term);
	kbs_qnode *q = n ? kbs_query__term(a, KBS_PFX_TITLE_FIRST, beginning) : NULL;
	return q && kbs_store__termfreq(r, q->term) ? q : NULL;
}

static kbs_status suggest_once(kbs_suggestions **out, kbs_kb *kb, const char *prefix,
				const kbs_suggest_opts *opts)
{
	kbs_status rc = KBS_OK;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_ctx *ctx = NULL;
	kbs_suggestions *s = NULL;
	kbs_query__plan plan = { 0 };
	kbs_store__result sr = { 0 };
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	ptoks pt = { .n = 0 };
	langs ls = { .n = 0 };
	char lang[8] = "";

	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_suggest needs out and kb");
	if (opts) {
		if (opts->version != KBS_SUGGEST_OPTS_VERSION)
			return kbs_err__set(err, KBS_EINVALID, "unknown kbs_suggest_opts version %u",
					    opts->version);
		o = *opts;
	}
	if (!prefix)
		prefix = "";
	kbs_status rc0 = kbs_query__check_text(prefix, "prefix", err);
	if (rc0 != KBS_OK)
		return rc0;
	size_t len = strlen(prefix);
	if (o.limit == 0)
		o.limit = SUGGEST_DEFAULT;
	if (o.limit > SUGGEST_MAX)
		o.limit = SUGGEST_MAX;
	if (o.lang && *o.lang) {
		size_t i = 0;
		for (; o.lang[i] && i + 1 < sizeof lang; i++)
			lang[i] = (char)(o.lang[i] >= 'A' && o.lang[i] <= 'Z' ? o.lang[i] + 32 : o.lang[i]);
		lang[i] = '\0';
		o.lang = lang;
	} else {
		o.lang = NULL;
	}
	if (!(s = calloc(1, sizeof *s))) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;

	if (o.lang) {
		snprintf(ls.v[0], sizeof ls.v[0], "%s", o.lang);
		ls.n = 1;
	} else if ((rc = kbs_store__each_term(ctx->reader, KBS_PFX_LANG, collect_lang, &ls, err)) != KBS_OK) {
		goto cleanup;
	}
	size_t passes = ls.n ? ls.n : 1;
	for (size_t p = 0; p < passes; p++) {
		pt.pass = (unsigned)p;
		pt.next = 0;
		rc = kbs_text__analyze(ctx->an, prefix, len, ls.n ? ls.v[p] : NULL, collect, &pt, err);
		if (rc != KBS_OK)
			goto cleanup;
	}
	/* A word that names no topic, by the rule a search reads the same
	 * words with (in the language given, else in any): no title must hold
	 * it. "comment pay", "je dois resil" and "facture d'" complete. */
	for (size_t i = 0; i < pt.n; i++)
		pt.v[i].stop = kbs_text__is_query_stop(pt.v[i].term, o.lang);
	/* The query: complete words by title word or title stem, the last one
	 * being typed as the beginning of a title word. */
	kbs_query__arena *a = &plan.arena;
	kbs_qnode *and = kbs_query__op(a, KBS_Q_AND, pt.n ? pt.n : 1);
	bool typing = pt.n && !pt.more && pt.v[pt.n - 1].end == len;
	for (size_t i = 0; i < pt.n; i++) {
		const ptok *q = &pt.v[i];
		if (i + 1 == pt.n && typing) {
			/* A word just begun is one posting list; an index made
			 * before those existed has none, and expands instead. */
			kbs_qnode *w = NULL;
			if (kbs_utf8_chars(q->term) <= KBS_TITLE_PREFIX_CHARS &&
			    (w = kbs_query__term(a, KBS_PFX_TITLE_PREFIX, q->term)) &&
			    kbs_store__termfreq(ctx->reader, w->term) == 0)
				w = NULL;
			if (!w && (w = kbs_query__term(a, KBS_PFX_TITLE_WORD, q->term))) {
				w->op = KBS_Q_WILDCARD;
				w->max_expansion = SUGGEST_EXPANSION;
			}
			kbs_query__add(and, w);
			continue;
		}
		if (q->stop)
			continue;
		kbs_qnode *syn = kbs_query__op(a, KBS_Q_SYNONYM, passes + 1);
		kbs_query__add(syn, kbs_query__term(a, KBS_PFX_TITLE_WORD, q->term));
		for (size_t p = 0; p < passes; p++)
			kbs_query__add(syn, kbs_query__term(a, KBS_PFX_TITLE, q->stem[p]));
		kbs_query__add(and, syn);
	}
	kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
	so.lang = o.lang;
	so.roles = o.roles;
	so.nroles = o.nroles;
	if ((rc = kbs_query__plan_filter(&plan, ctx, &so, err)) != KBS_OK)
		goto cleanup;
	if (a->oom) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	kbs_query__suggest_sink sink = { s };
	if (and && and->nkids) {
		/* Titles that begin like the prefix are looked for on their
		 * own first, so that they are found however many titles only
		 * contain its words; the others only when those are too few. */
		kbs_qnode *pass[2] = { and, NULL };
		kbs_qnode *first = begins_like(a, ctx->reader, pt.v[0].term);
		if (first) {
			pass[0] = kbs_query__op(a, KBS_Q_AND, 2);
			kbs_query__add(pass[0], and);
			kbs_query__add(pass[0], first);
			pass[1] = kbs_query__op(a, KBS_Q_AND_NOT, 2);
			kbs_query__add(pass[1], and);
			kbs_query__add(pass[1], first);
		}
		if (a->oom) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		size_t want = o.limit * 4 > SUGGEST_CANDIDATES ? o.limit * 4 : SUGGEST_CANDIDATES;
		for (size_t k = 0; k < 2 && pass[k] && (k == 0 || s->n < o.limit); k++) {
			kbs_store__search_req req = {
				.query = pass[k],
				.filter = plan.filter,
				.limit = want,
				.data_slot = KBS_SLOT_SUGGEST + 1,
				.unranked = true,
			};
			kbs_store__result_free(&sr);
			if ((rc = kbs_store__search(ctx->reader, &req, &sr, err)) != KBS_OK)
				goto cleanup;
			for (size_t i = 0; i < sr.nhits; i++) {
				char *tab = memchr(sr.hits[i].data, '\t', sr.hits[i].data_len);
				if (!tab) /* indexed before suggestions existed: re-index */
					continue;
				*tab = '\0';
				const char *title = tab + 1;
				size_t tl = strlen(title);
				double rank = (title_starts(title, pt.v[0].term) ? 0 : 0.5) +
					      (double)(tl < 400 ? tl : 400) / 1000.0;
				if ((rc = kbs_query__suggest_add(&sink, title, sr.hits[i].data, rank)) !=
				    KBS_OK) {
					rc = kbs_err__set(err, rc, "out of memory");
					goto cleanup;
				}
			}
		}
	}
	if (kb->suggest_source && pt.n &&
	    (rc = kb->suggest_source(kb, prefix, &o, &sink, kb->suggest_payload)) != KBS_OK)
		goto cleanup;
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, cmp_sug);
	while (s->n > o.limit) {
		s->n--;
		free(s->v[s->n].text);
		free(s->v[s->n].id);
		free(s->v[s->n].folded);
	}
	*out = s;
	s = NULL;
cleanup:
	kbs_store__result_free(&sr);
	kbs_query__plan_free(&plan);
	rc = kbs_kb__ctx_done(kb, ctx, rc, err);
	kbs_suggestions_free(s);
	return rc;
}

kbs_status kbs_suggest(kbs_suggestions **out, kbs_kb *kb, const char *prefix,
		       const kbs_suggest_opts *opts)
{
	kbs_status rc;
	unsigned n = 0;
	do
		rc = suggest_once(out, kb, prefix, opts);
	while (kbs_kb__again(rc, &n));
	return rc;
}
