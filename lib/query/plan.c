/*
 * Query planning: the user's text, analysed by the same pipeline as the
 * articles, becomes a query tree (store.h) over the ranking terms, and the
 * options become a filter, kept in parts so that a caller can ask what each
 * part removed (why a search found nothing).
 *
 * Query shape, per used word w (stop words are dropped unless the query has
 * nothing else):
 *   OR( SYNONYM(Z<stem> for each language searched),
 *       SCALE(SYNONYM(S<stem> ...), TITLE_BOOST),       title match
 *       SCALE(XA<exact>, EXACT_BOOST) )                 accented query only
 * and the words are OR-ed: BM25 ranks the articles that have more of the
 * words, and rarer ones, first.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* A title match is worth this much more than the same word's stem weight:
 * an article whose title has the words is about them. */
#define TITLE_BOOST 1.0
/* An accented query word found with its accents in the text. */
#define EXACT_BOOST 0.3
/* Languages searched at once when the query names none. */
#define MAX_LANGS 8

/* ---- query nodes: one arena per search ---- */

void *kbs_query__alloc(kbs_query__arena *a, size_t size)
{
	if (a->oom)
		return NULL;
	if (!kbs_grow(&a->blocks, &a->cap, a->n, sizeof *a->blocks, 32)) {
		a->oom = true;
		return NULL;
	}
	void *p = calloc(1, size);
	if (!p) {
		a->oom = true;
		return NULL;
	}
	a->blocks[a->n++] = p;
	return p;
}

void kbs_query__arena_free(kbs_query__arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
}

kbs_qnode *kbs_query__term(kbs_query__arena *a, const char *prefix, const char *s)
{
	kbs_qnode *n = kbs_query__alloc(a, sizeof *n);
	size_t len = strlen(prefix) + strlen(s) + 1;
	char *t = kbs_query__alloc(a, len);
	if (!n || !t)
		return NULL;
	snprintf(t, len, "%s%s", prefix, s);
	n->op = KBS_Q_TERM;
	n->term = t;
	return n;
}

/* A node with room for `cap` kids; kids are added with q_add. */
kbs_qnode *kbs_query__op(kbs_query__arena *a, kbs_qop op, size_t cap)
{
	kbs_qnode *n = kbs_query__alloc(a, sizeof *n);
	kbs_qnode **kids = kbs_query__alloc(a, (cap ? cap : 1) * sizeof *kids);
	if (!n || !kids)
		return NULL;
	n->op = op;
	n->kids = kids;
	return n;
}

void kbs_query__add(kbs_qnode *parent, kbs_qnode *kid)
{
	if (parent && kid)
		parent->kids[parent->nkids++] = kid;
}

kbs_qnode *kbs_query__scale(kbs_query__arena *a, kbs_qnode *kid, double scale)
{
	kbs_qnode *n = kbs_query__op(a, KBS_Q_SCALE, 1);
	if (n) {
		n->scale = scale;
		kbs_query__add(n, kid);
	}
	return n;
}

/* ---- analysing the query ---- */

typedef struct qwords {
	kbs_query__word *v;
	size_t n, cap;
	const char *lang_filter; /* the query's language, NULL: all */
	unsigned pass;           /* 0: first language, creates the words */
	size_t next;             /* word index in later passes */
} qwords;

static void word_free(kbs_query__word *w)
{
	free(w->term);
	free(w->exact);
	kbs_strlist_free(&w->stems);
}

static kbs_status collect_word(const kbs_text__token *t, void *payload)
{
	qwords *w = payload;
	kbs_query__word *qw;
	if (w->pass == 0) {
		if (!kbs_grow(&w->v, &w->cap, w->n, sizeof *w->v, 8))
			return KBS_ENOMEM;
		qw = &w->v[w->n++];
		memset(qw, 0, sizeof *qw);
		qw->term = kbs_strndup(t->term, t->term_len);
		qw->exact = kbs_strndup(t->exact, t->exact_len);
		qw->stop = kbs_text__is_stopword(qw->term ? qw->term : "", w->lang_filter);
		if (!qw->term || !qw->exact)
			return KBS_ENOMEM;
	} else {
		/* Segmentation does not depend on the language: the k-th token
		 * of every pass is the same word. */
		if (w->next >= w->n)
			return KBS_STOP;
		qw = &w->v[w->next++];
	}
	if (!kbs_strlist_contains(&qw->stems, t->stem) &&
	    !kbs_strlist_pushn(&qw->stems, t->stem, t->stem_len))
		return KBS_ENOMEM;
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

static kbs_status analyse(kbs_ctx *ctx, const char *text, const char *lang, qwords *w,
			  kbs_err *err)
{
	langs ls = { .n = 0 };
	kbs_status rc;
	if (lang) {
		snprintf(ls.v[0], sizeof ls.v[0], "%s", lang);
		ls.n = 1;
	} else if ((rc = kbs_store__each_term(ctx->reader, KBS_PFX_LANG, collect_lang, &ls, err)) != KBS_OK) {
		return rc;
	}
	w->lang_filter = lang;
	size_t passes = ls.n ? ls.n : 1;
	for (size_t p = 0; p < passes; p++) {
		w->pass = (unsigned)p;
		w->next = 0;
		rc = kbs_text__analyze(ctx->an, text, strlen(text), ls.n ? ls.v[p] : NULL,
				       collect_word, w, err);
		if (rc == KBS_ENOMEM)
			return kbs_err__set(err, rc, "out of memory");
		if (rc != KBS_OK)
			return rc;
	}
	/* Drop repeated words ("facture facture"): they add nothing. */
	size_t out = 0;
	for (size_t i = 0; i < w->n; i++) {
		bool dup = false;
		for (size_t j = 0; j < out && !dup; j++)
			dup = strcmp(w->v[j].term, w->v[i].term) == 0;
		if (dup) {
			word_free(&w->v[i]);
		} else {
			w->v[out++] = w->v[i];
		}
	}
	w->n = out;
	return KBS_OK;
}

/* ---- building the engine query ---- */

static kbs_qnode *word_query(kbs_query__arena *a, const kbs_query__word *w, bool stop_only)
{
	if (stop_only) /* stop words have no stem terms: match the words themselves */
		return kbs_query__term(a, "", w->term);
	kbs_qnode *alts = kbs_query__op(a, KBS_Q_SYNONYM, w->stems.n);
	kbs_qnode *titles = kbs_query__op(a, KBS_Q_SYNONYM, w->stems.n);
	for (size_t i = 0; i < w->stems.n; i++) {
		kbs_query__add(alts, kbs_query__term(a, KBS_PFX_STEM, w->stems.v[i]));
		kbs_query__add(titles, kbs_query__term(a, KBS_PFX_TITLE, w->stems.v[i]));
	}
	kbs_qnode *or = kbs_query__op(a, KBS_Q_OR, 3);
	kbs_query__add(or, alts);
	kbs_query__add(or, kbs_query__scale(a, titles, TITLE_BOOST));
	if (strcmp(w->exact, w->term) != 0)
		kbs_query__add(or, kbs_query__scale(a, kbs_query__term(a, KBS_PFX_EXACT, w->exact), EXACT_BOOST));
	return or;
}

/* "A / B/" -> "a/b" as indexed (folded, trimmed levels). */
static char *category_term(const char *cat)
{
	kbs_buf b = { 0 };
	const char *s = cat;
	while (*s) {
		while (*s == '/' || *s == ' ' || *s == '\t')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		const char *t = e;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > s) {
			if (b.len)
				kbs_buf_addc(&b, '/');
			kbs_buf_add(&b, s, (size_t)(t - s));
		}
		s = e;
	}
	char *raw = kbs_buf_steal(&b);
	if (!raw)
		return NULL;
	char *folded = kbs_text__fold(raw, strlen(raw));
	free(raw);
	return folded;
}

static kbs_qnode *label_term(kbs_query__arena *a, const char *prefix, const char *label, bool *bad)
{
	char *f = kbs_text__fold(label, strlen(label));
	if (!f) {
		*bad = true;
		return NULL;
	}
	kbs_qnode *n = kbs_query__term(a, prefix, f);
	free(f);
	return n;
}

static kbs_status build_filter(kbs_query__plan *p, const kbs_search_opts *o, kbs_err *err)
{
	bool bad = false;
	kbs_query__arena *a = &p->arena;
	if (o->lang && *o->lang)
		p->lang = label_term(a, KBS_PFX_LANG, o->lang, &bad);
	kbs_qnode *and = kbs_query__op(a, KBS_Q_AND, 2 + o->ntags);
	if (o->category && *o->category) {
		char *c = category_term(o->category);
		if (!c)
			return kbs_err__set(err, KBS_EINVALID, "category filter is not valid UTF-8");
		if (*c)
			kbs_query__add(and, kbs_query__term(a, KBS_PFX_CATEGORY, c));
		free(c);
	}
	for (size_t i = 0; i < o->ntags; i++)
		if (o->tags[i] && *o->tags[i])
			kbs_query__add(and, label_term(a, KBS_PFX_TAG, o->tags[i], &bad));
	if (o->kind && *o->kind)
		kbs_query__add(and, label_term(a, KBS_PFX_KIND, o->kind, &bad));
	if (and && and->nkids)
		p->filters = and;
	p->roles = kbs_query__op(a, KBS_Q_OR, o->nroles + 1);
	kbs_query__add(p->roles, kbs_query__term(a, KBS_PFX_ROLE, "public"));
	for (size_t i = 0; i < o->nroles; i++)
		if (o->roles[i] && *o->roles[i])
			kbs_query__add(p->roles, label_term(a, KBS_PFX_ROLE, o->roles[i], &bad));
	p->filter = kbs_query__filter(p, p->lang, p->filters, p->roles);
	if (bad)
		return kbs_err__set(err, KBS_EINVALID, "a filter or role is not valid UTF-8");
	return KBS_OK;
}

kbs_qnode *kbs_query__filter(kbs_query__plan *p, kbs_qnode *lang, kbs_qnode *filters,
			     kbs_qnode *roles)
{
	kbs_qnode *and = kbs_query__op(&p->arena, KBS_Q_AND, 3);
	kbs_query__add(and, lang);
	kbs_query__add(and, filters);
	kbs_query__add(and, roles);
	return and && and->nkids ? and : NULL;
}

/* ---- the plan ---- */

void kbs_query__plan_free(kbs_query__plan *p)
{
	for (size_t i = 0; i < p->nwords; i++)
		word_free(&p->words[i]);
	free(p->words);
	kbs_query__arena_free(&p->arena);
	memset(p, 0, sizeof *p);
}

kbs_status kbs_query__plan_build(kbs_query__plan *p, kbs_ctx *ctx, const char *text,
				 const kbs_search_opts *o, kbs_err *err)
{
	kbs_status rc;
	qwords w = { 0 };

	memset(p, 0, sizeof *p);
	rc = analyse(ctx, text, o->lang && *o->lang ? o->lang : NULL, &w, err);
	p->words = w.v;
	p->nwords = w.n;
	if (rc != KBS_OK)
		return rc;

	size_t nonstop = 0;
	for (size_t i = 0; i < p->nwords; i++)
		nonstop += !p->words[i].stop;
	p->stop_only = nonstop == 0;
	double N = (double)kbs_store__doccount(ctx->reader);
	if (p->nwords) {
		p->query = kbs_query__op(&p->arena, KBS_Q_OR, p->nwords);
		for (size_t i = 0; i < p->nwords; i++) {
			kbs_query__word *qw = &p->words[i];
			if (qw->stop && !p->stop_only)
				continue;
			qw->used = true;
			kbs_query__add(p->query, word_query(&p->arena, qw, p->stop_only));
			/* idf from the commonest alternative: a word the index
			 * lacks altogether weighs the most. */
			uint64_t df = 0;
			char term[KBS_TEXT_MAX_TERM + 8];
			for (size_t s = 0; s < qw->stems.n || (p->stop_only && s == 0); s++) {
				if (p->stop_only)
					snprintf(term, sizeof term, "%s", qw->term);
				else
					snprintf(term, sizeof term, KBS_PFX_STEM "%s", qw->stems.v[s]);
				uint64_t f = kbs_store__termfreq(ctx->reader, term);
				if (f > df)
					df = f;
			}
			qw->idf = log((N + 1.0) / ((double)df + 0.5));
			if (qw->idf < 0.05)
				qw->idf = 0.05;
		}
	}
	if ((rc = build_filter(p, o, err)) != KBS_OK)
		return rc;
	if (p->arena.oom)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return KBS_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *kbs_query__key(const kbs_query__plan *p)
{
	/* Each used word by its first stem (the query's language when it has
	 * one); stop words only when the query has nothing else. */
	const char **v = malloc((p->nwords ? p->nwords : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < p->nwords; i++)
		if (p->words[i].used)
			v[n++] = p->words[i].stems.n ? p->words[i].stems.v[0] : p->words[i].term;
	qsort(v, n, sizeof *v, cmp_str);
	kbs_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (b.len)
			kbs_buf_addc(&b, ' ');
		kbs_buf_adds(&b, v[i]);
	}
	free(v);
	return kbs_buf_steal(&b);
}
