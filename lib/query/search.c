/*
 * Search: the user's text, analysed by the same pipeline as the articles,
 * becomes a query tree (store.h) over the ranking terms; filters and the
 * caller's roles restrict it without weight; what comes back is dressed with
 * confidence, snippets and facets.
 *
 * Query shape, per used word w (stop words are dropped unless the query has
 * nothing else):
 *   OR( SYNONYM(Z<stem> for each language searched),
 *       SCALE(SYNONYM(S<stem> ...), TITLE_BOOST),       title match
 *       SCALE(XA<exact>, EXACT_BOOST) )                 accented query only
 * and the words are OR-ed: BM25 ranks the articles that have more of the
 * words, and rarer ones, first.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "query.h"

/* A title match is worth this much more than the same word's stem weight:
 * an article whose title has the words is about them. */
#define TITLE_BOOST 1.0
/* An accented query word found with its accents in the text. */
#define EXACT_BOOST 0.3
/* Matches looked at for facet counts and the total: exact below this. */
#define CHECK_AT_LEAST 5000
/* The top hit's confidence from which the engine says `confident`. */
#define CONFIDENT_FROM 50
/* Languages searched at once when the query names none. */
#define MAX_LANGS 8

typedef struct hit {
	char *id, *title, *kind, *lang, *category, *url, *snippet;
	kbs_strlist tags;
	double score;
	int confidence;
} hit;

typedef struct facet {
	char *label;
	uint64_t count;
} facet;

struct kbs_results {
	char *query;
	char *corrected;
	char search_id[33];
	uint64_t total;
	bool confident;
	hit *hits;
	size_t nhits;
	facet *facets[2];
	size_t nfacets[2];
};

/* ---- query nodes: one arena per search ---- */

typedef struct arena {
	void **blocks;
	size_t n, cap;
	bool oom;
} arena;

static void *arena_alloc(arena *a, size_t size)
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

static void arena_free(arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
}

static kbs_qnode *q_term(arena *a, const char *prefix, const char *s)
{
	kbs_qnode *n = arena_alloc(a, sizeof *n);
	size_t len = strlen(prefix) + strlen(s) + 1;
	char *t = arena_alloc(a, len);
	if (!n || !t)
		return NULL;
	snprintf(t, len, "%s%s", prefix, s);
	n->op = KBS_Q_TERM;
	n->term = t;
	return n;
}

/* A node with room for `cap` kids; kids are added with q_add. */
static kbs_qnode *q_op(arena *a, kbs_qop op, size_t cap)
{
	kbs_qnode *n = arena_alloc(a, sizeof *n);
	kbs_qnode **kids = arena_alloc(a, (cap ? cap : 1) * sizeof *kids);
	if (!n || !kids)
		return NULL;
	n->op = op;
	n->kids = kids;
	return n;
}

static void q_add(kbs_qnode *parent, kbs_qnode *kid)
{
	if (parent && kid)
		parent->kids[parent->nkids++] = kid;
}

static kbs_qnode *q_scale(arena *a, kbs_qnode *kid, double scale)
{
	kbs_qnode *n = q_op(a, KBS_Q_SCALE, 1);
	if (n) {
		n->scale = scale;
		q_add(n, kid);
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
	bool oom;
} qwords;

static void words_free(qwords *w)
{
	for (size_t i = 0; i < w->n; i++) {
		free(w->v[i].term);
		free(w->v[i].exact);
		kbs_strlist_free(&w->v[i].stems);
	}
	free(w->v);
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
			free(w->v[i].term);
			free(w->v[i].exact);
			kbs_strlist_free(&w->v[i].stems);
		} else {
			w->v[out++] = w->v[i];
		}
	}
	w->n = out;
	return KBS_OK;
}

/* ---- building the engine query ---- */

static kbs_qnode *word_query(arena *a, const kbs_query__word *w, bool stop_only)
{
	if (stop_only) /* stop words have no stem terms: match the words themselves */
		return q_term(a, "", w->term);
	kbs_qnode *alts = q_op(a, KBS_Q_SYNONYM, w->stems.n);
	kbs_qnode *titles = q_op(a, KBS_Q_SYNONYM, w->stems.n);
	for (size_t i = 0; i < w->stems.n; i++) {
		q_add(alts, q_term(a, KBS_PFX_STEM, w->stems.v[i]));
		q_add(titles, q_term(a, KBS_PFX_TITLE, w->stems.v[i]));
	}
	kbs_qnode *or = q_op(a, KBS_Q_OR, 3);
	q_add(or, alts);
	q_add(or, q_scale(a, titles, TITLE_BOOST));
	if (strcmp(w->exact, w->term) != 0)
		q_add(or, q_scale(a, q_term(a, KBS_PFX_EXACT, w->exact), EXACT_BOOST));
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

static kbs_qnode *label_term(arena *a, const char *prefix, const char *label, bool *bad)
{
	char *f = kbs_text__fold(label, strlen(label));
	if (!f) {
		*bad = true;
		return NULL;
	}
	kbs_qnode *n = q_term(a, prefix, f);
	free(f);
	return n;
}

static kbs_status build_filter(arena *a, const kbs_search_opts *o, kbs_qnode **out, kbs_err *err)
{
	bool bad = false;
	kbs_qnode *and = q_op(a, KBS_Q_AND, 4 + o->ntags);
	if (o->lang && *o->lang)
		q_add(and, label_term(a, KBS_PFX_LANG, o->lang, &bad));
	if (o->category && *o->category) {
		char *c = category_term(o->category);
		if (!c)
			return kbs_err__set(err, KBS_EINVALID, "category filter is not valid UTF-8");
		if (*c)
			q_add(and, q_term(a, KBS_PFX_CATEGORY, c));
		free(c);
	}
	for (size_t i = 0; i < o->ntags; i++)
		if (o->tags[i] && *o->tags[i])
			q_add(and, label_term(a, KBS_PFX_TAG, o->tags[i], &bad));
	if (o->kind && *o->kind)
		q_add(and, label_term(a, KBS_PFX_KIND, o->kind, &bad));
	kbs_qnode *roles = q_op(a, KBS_Q_OR, o->nroles + 1);
	q_add(roles, q_term(a, KBS_PFX_ROLE, "public"));
	for (size_t i = 0; i < o->nroles; i++)
		if (o->roles[i] && *o->roles[i])
			q_add(roles, label_term(a, KBS_PFX_ROLE, o->roles[i], &bad));
	q_add(and, roles);
	if (bad)
		return kbs_err__set(err, KBS_EINVALID, "a filter or role is not valid UTF-8");
	if (a->oom)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	*out = and;
	return KBS_OK;
}

/* ---- results ---- */

void kbs_results_free(kbs_results *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nhits; i++) {
		hit *h = &r->hits[i];
		free(h->id);
		free(h->title);
		free(h->kind);
		free(h->lang);
		free(h->category);
		free(h->url);
		free(h->snippet);
		kbs_strlist_free(&h->tags);
	}
	free(r->hits);
	for (int f = 0; f < 2; f++) {
		for (size_t i = 0; i < r->nfacets[f]; i++)
			free(r->facets[f][i].label);
		free(r->facets[f]);
	}
	free(r->query);
	free(r->corrected);
	free(r);
}

static char *json_dup(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? kbs_strdup(s) : NULL;
}

/* Share of the query's information a hit holds: the idf-weighted fraction
 * of the used words it matched, overall and in its title. */
static void coverage(const qwords *w, const kbs_store__hit *h, double *cov, double *tcov)
{
	double all = 0, got = 0, title = 0;
	char term[KBS_TEXT_MAX_TERM + 8];
	for (size_t i = 0; i < w->n; i++) {
		const kbs_query__word *qw = &w->v[i];
		if (!qw->used)
			continue;
		all += qw->idf;
		bool any = false, in_title = false;
		for (size_t t = 0; t < h->nterms; t++) {
			const char *ht = h->terms[t];
			if (strcmp(ht, qw->term) == 0)
				any = true;
			for (size_t s = 0; s < qw->stems.n; s++) {
				snprintf(term, sizeof term, KBS_PFX_STEM "%s", qw->stems.v[s]);
				if (strcmp(ht, term) == 0)
					any = true;
				snprintf(term, sizeof term, KBS_PFX_TITLE "%s", qw->stems.v[s]);
				if (strcmp(ht, term) == 0)
					any = in_title = true;
			}
		}
		if (any)
			got += qw->idf;
		if (in_title)
			title += qw->idf;
	}
	*cov = all > 0 ? got / all : 0;
	*tcov = all > 0 ? title / all : 0;
}

static int confidence_of(double cov, double tcov, double weight, double top)
{
	double rel = top > 0 ? sqrt(weight / top) : 0;
	double c = 100.0 * (0.8 * cov + 0.2 * tcov) * (rel > 1 ? 1 : rel);
	return (int)lround(c < 0 ? 0 : c > 100 ? 100 : c);
}

/* Splits document data (store.h) into its fields and its body. */
static kbs_status parse_data(const char *data, size_t len, json_t **fields, const char **body,
			     kbs_err *err)
{
	const char *nl = memchr(data, '\n', len);
	json_error_t je;
	*fields = nl ? json_loadb(data, (size_t)(nl - data), 0, &je) : NULL;
	if (!*fields || !json_is_object(*fields)) {
		json_decref(*fields);
		*fields = NULL;
		return kbs_err__set(err, KBS_EIO, "the index is damaged: unreadable document data");
	}
	*body = nl + 1;
	return KBS_OK;
}

static kbs_status fill_hit(kbs_ctx *ctx, const qwords *w, const kbs_store__hit *sh, hit *h,
			   kbs_err *err)
{
	json_t *o = NULL;
	const char *body = NULL;
	kbs_status rc = parse_data(sh->data, sh->data_len, &o, &body, err);
	if (rc != KBS_OK)
		return rc;
	h->id = json_dup(o, "id");
	h->title = json_dup(o, "title");
	h->kind = json_dup(o, "kind");
	h->lang = json_dup(o, "lang");
	h->category = json_dup(o, "category");
	h->url = json_dup(o, "url");
	h->score = sh->weight;
	json_t *tags = json_object_get(o, "tags"), *v;
	size_t i;
	json_array_foreach(tags, i, v)
	{
		if (json_is_string(v) && !kbs_strlist_push(&h->tags, json_string_value(v)))
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	if (rc == KBS_OK && (!h->id || !h->title)) {
		rc = kbs_err__set(err, KBS_EIO, "the index is damaged: document without id or title");
	}
	if (rc == KBS_OK) {
		/* Where the words are; the summary, else the opening, when they
		 * only matched the title or tags. */
		const char *summary = json_string_value(json_object_get(o, "summary"));
		bool any_used = false;
		for (size_t k = 0; k < w->n; k++)
			any_used |= w->v[k].used;
		rc = kbs_query__snippet(&h->snippet, ctx->an, body, h->lang, w->v, any_used ? w->n : 0,
					err);
		if (rc == KBS_OK && summary && h->snippet && !strstr(h->snippet, "<mark>")) {
			free(h->snippet);
			h->snippet = NULL;
			rc = kbs_query__snippet(&h->snippet, ctx->an, summary, h->lang, w->v, 0, err);
		}
	}
	json_decref(o);
	return rc;
}

static kbs_status fill_facets(kbs_results *r, const kbs_store__result *sr, kbs_err *err)
{
	for (int f = 0; f < 2; f++) {
		r->facets[f] = calloc(sr->nfacets ? sr->nfacets : 1, sizeof *r->facets[f]);
		if (!r->facets[f])
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < sr->nfacets; i++) {
		const char *l = sr->facets[i].label;
		int f = l[0] == 'c' ? KBS_FACET_CATEGORY : l[0] == 't' ? KBS_FACET_TAG : -1;
		if (f < 0 || l[1] != ':')
			continue;
		facet *fc = &r->facets[f][r->nfacets[f]];
		fc->label = kbs_strdup(l + 2);
		if (!fc->label)
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		fc->count = sr->facets[i].count;
		r->nfacets[f]++;
	}
	return KBS_OK;
}

static void new_search_id(char out[33])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, 0) != (ssize_t)sizeof b) {
		/* No entropy yet: time and address still make it unique here. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t h = kbs_hash64(&ts, sizeof ts, (uint64_t)(uintptr_t)out);
		memcpy(b, &h, 8);
		h = kbs_hash64(&h, sizeof h, 7);
		memcpy(b + 8, &h, 8);
	}
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

kbs_status kbs_search_opts_init(kbs_search_opts *opts, unsigned version)
{
	if (!opts || version != KBS_SEARCH_OPTS_VERSION)
		return KBS_EINVALID;
	kbs_search_opts d = KBS_SEARCH_OPTS_INIT;
	*opts = d;
	return KBS_OK;
}

kbs_status kbs_search(kbs_results **out, kbs_kb *kb, const char *text,
		      const kbs_search_opts *opts)
{
	kbs_status rc = KBS_OK;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_ctx *ctx = NULL;
	kbs_results *r = NULL;
	arena a = { 0 };
	qwords w = { 0 };
	kbs_store__result sr = { 0 }, top = { 0 };
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	size_t bad;

	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_search needs out and kb");
	if (!text)
		text = "";
	if (opts) {
		if (opts->version != KBS_SEARCH_OPTS_VERSION)
			return kbs_err__set(err, KBS_EINVALID, "unknown kbs_search_opts version %u",
					    opts->version);
		o = *opts;
	}
	if (o.limit == 0)
		o.limit = 10;
	if (o.limit > KBS_MAX_LIMIT)
		o.limit = KBS_MAX_LIMIT;
	size_t len = strlen(text);
	if (len > KBS_MAX_QUERY_BYTES)
		return kbs_err__set(err, KBS_EINVALID, "query is %zu bytes long; the limit is %d", len,
				    KBS_MAX_QUERY_BYTES);
	if (!kbs_utf8_valid(text, len, &bad))
		return kbs_err__set(err, KBS_EINVALID, "query is not valid UTF-8 (byte %zu)", bad);
	if (o.offset > 100000)
		return kbs_err__set(err, KBS_EINVALID, "offset %zu is too large", o.offset);

	r = calloc(1, sizeof *r);
	if (!r || !(r->query = kbs_strdup(text))) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	new_search_id(r->search_id);

	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;
	/* Languages are stored lower case ("FR" finds "fr" articles and stems). */
	char lang[8] = "";
	if (o.lang && *o.lang) {
		size_t i = 0;
		for (; o.lang[i] && i + 1 < sizeof lang; i++)
			lang[i] = (char)(o.lang[i] >= 'A' && o.lang[i] <= 'Z' ? o.lang[i] + 32 : o.lang[i]);
		lang[i] = '\0';
		o.lang = lang;
	}
	if ((rc = analyse(ctx, text, *lang ? lang : NULL, &w, err)) != KBS_OK)
		goto cleanup;

	size_t nonstop = 0;
	for (size_t i = 0; i < w.n; i++)
		nonstop += !w.v[i].stop;
	bool stop_only = nonstop == 0;
	double N = (double)kbs_store__doccount(ctx->reader);
	kbs_qnode *query = NULL;
	if (w.n) {
		query = q_op(&a, KBS_Q_OR, w.n);
		for (size_t i = 0; i < w.n; i++) {
			kbs_query__word *qw = &w.v[i];
			if (qw->stop && !stop_only)
				continue;
			qw->used = true;
			q_add(query, word_query(&a, qw, stop_only));
			/* idf from the commonest alternative: a word the index
			 * lacks altogether weighs the most. */
			uint64_t df = 0;
			char term[KBS_TEXT_MAX_TERM + 8];
			for (size_t s = 0; s < qw->stems.n || (stop_only && s == 0); s++) {
				if (stop_only)
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
	kbs_qnode *filter = NULL;
	if ((rc = build_filter(&a, &o, &filter, err)) != KBS_OK)
		goto cleanup;
	if (a.oom) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}

	kbs_store__search_req req = {
		.query = query,
		.filter = filter,
		.offset = o.offset,
		.limit = o.limit,
		.check_at_least = CHECK_AT_LEAST,
		.facets = true,
		.matching_terms = query != NULL,
		.sort_by_updated = query == NULL,
	};
	if ((rc = kbs_store__search(ctx->reader, &req, &sr, err)) != KBS_OK)
		goto cleanup;
	r->total = sr.estimate;
	if ((rc = fill_facets(r, &sr, err)) != KBS_OK)
		goto cleanup;

	/* Confidence is judged on the best hit of the whole ranking, so a later
	 * page says the same as the first. */
	const kbs_store__hit *best = sr.nhits ? &sr.hits[0] : NULL;
	if (query && o.offset > 0) {
		kbs_store__search_req treq = req;
		treq.offset = 0;
		treq.limit = 1;
		treq.facets = false;
		if ((rc = kbs_store__search(ctx->reader, &treq, &top, err)) != KBS_OK)
			goto cleanup;
		best = top.nhits ? &top.hits[0] : NULL;
	}
	double top_weight = best ? best->weight : 0;
	int cap = 100; /* confidence never rises down the ranking */
	if (query && best) {
		double cov, tcov;
		coverage(&w, best, &cov, &tcov);
		cap = confidence_of(cov, tcov, best->weight, top_weight);
		r->confident = cap >= CONFIDENT_FROM;
	}

	if (sr.nhits) {
		r->hits = calloc(sr.nhits, sizeof *r->hits);
		if (!r->hits) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	for (size_t i = 0; i < sr.nhits; i++) {
		hit *h = &r->hits[r->nhits++];
		if ((rc = fill_hit(ctx, &w, &sr.hits[i], h, err)) != KBS_OK)
			goto cleanup;
		if (query) {
			double cov, tcov;
			coverage(&w, &sr.hits[i], &cov, &tcov);
			h->confidence = confidence_of(cov, tcov, sr.hits[i].weight, top_weight);
			if (h->confidence > cap)
				h->confidence = cap;
			cap = h->confidence;
		}
	}
	*out = r;
	r = NULL;
cleanup:
	kbs_store__result_free(&sr);
	kbs_store__result_free(&top);
	kbs_kb__ctx_put(kb, ctx);
	words_free(&w);
	arena_free(&a);
	kbs_results_free(r);
	return rc;
}

/* ---- getters ---- */

size_t kbs_results_count(const kbs_results *r)
{
	return r ? r->nhits : 0;
}

uint64_t kbs_results_total(const kbs_results *r)
{
	return r ? r->total : 0;
}

int kbs_results_confident(const kbs_results *r)
{
	return r && r->confident;
}

const char *kbs_results_corrected_query(const kbs_results *r)
{
	return r ? r->corrected : NULL;
}

const char *kbs_results_search_id(const kbs_results *r)
{
	return r ? r->search_id : NULL;
}

const char *kbs_results_query(const kbs_results *r)
{
	return r ? r->query : NULL;
}

static const hit *hit_at(const kbs_results *r, size_t i)
{
	return r && i < r->nhits ? &r->hits[i] : NULL;
}

#define HIT_FIELD(name)                                                \
	const char *kbs_results_##name(const kbs_results *r, size_t i) \
	{                                                              \
		const hit *h = hit_at(r, i);                           \
		return h ? h->name : NULL;                             \
	}
HIT_FIELD(id)
HIT_FIELD(title)
HIT_FIELD(kind)
HIT_FIELD(lang)
HIT_FIELD(category)
HIT_FIELD(url)
HIT_FIELD(snippet)

size_t kbs_results_ntags(const kbs_results *r, size_t i)
{
	const hit *h = hit_at(r, i);
	return h ? h->tags.n : 0;
}

const char *kbs_results_tag(const kbs_results *r, size_t i, size_t j)
{
	const hit *h = hit_at(r, i);
	return h && j < h->tags.n ? h->tags.v[j] : NULL;
}

double kbs_results_score(const kbs_results *r, size_t i)
{
	const hit *h = hit_at(r, i);
	return h ? h->score : 0;
}

int kbs_results_confidence(const kbs_results *r, size_t i)
{
	const hit *h = hit_at(r, i);
	return h ? h->confidence : 0;
}

size_t kbs_results_facet_count(const kbs_results *r, kbs_facet f)
{
	return r && (f == KBS_FACET_CATEGORY || f == KBS_FACET_TAG) ? r->nfacets[f] : 0;
}

const char *kbs_results_facet_label(const kbs_results *r, kbs_facet f, size_t i)
{
	return i < kbs_results_facet_count(r, f) ? r->facets[f][i].label : NULL;
}

uint64_t kbs_results_facet_value(const kbs_results *r, kbs_facet f, size_t i)
{
	return i < kbs_results_facet_count(r, f) ? r->facets[f][i].count : 0;
}

/* ---- reading articles and figures ---- */

kbs_status kbs_article_json(char **out, kbs_kb *kb, const char *id, const char *const *roles,
			    size_t nroles)
{
	kbs_status rc;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_ctx *ctx = NULL;
	char *idterm = NULL, *data = NULL;
	json_t *o = NULL;
	size_t len = 0;

	if (out)
		*out = NULL;
	if (!out || !kb || !id)
		return kbs_err__set(err, KBS_EINVALID, "kbs_article_json needs out, kb and id");
	if (!(idterm = kbs_sprintf(KBS_PFX_ID "%s", id))) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;
	rc = kbs_store__get_data(ctx->reader, idterm, &data, &len, err);
	if (rc == KBS_ENOTFOUND)
		rc = kbs_err__set(err, KBS_ENOTFOUND, "no article with id '%s'", id);
	if (rc != KBS_OK)
		goto cleanup;
	const char *body;
	if ((rc = parse_data(data, len, &o, &body, err)) != KBS_OK)
		goto cleanup;
	json_t *aud = json_object_get(o, "audience"), *v;
	const char *audience[128];
	size_t naud = 0, i;
	json_array_foreach(aud, i, v)
	{
		if (json_is_string(v) && naud < 128)
			audience[naud++] = json_string_value(v);
	}
	if (!kbs_kb__visible(audience, naud, roles, nroles)) {
		/* Indistinguishable from a missing article: the caller must not
		 * learn that it exists. */
		rc = kbs_err__set(err, KBS_ENOTFOUND, "no article with id '%s'", id);
		goto cleanup;
	}
	json_object_set_new(o, "body", json_string(body));
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	json_decref(o);
	kbs_kb__ctx_put(kb, ctx);
	free(idterm);
	free(data);
	return rc;
}

typedef struct count_into {
	json_t *obj;
	size_t prefix_len;
} count_into;

static kbs_status count_term(const char *term, uint64_t freq, void *payload)
{
	count_into *c = payload;
	json_object_set_new(c->obj, term + c->prefix_len, json_integer((json_int_t)freq));
	return KBS_OK;
}

kbs_status kbs_stats_json(char **out, kbs_kb *kb)
{
	kbs_status rc;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_ctx *ctx = NULL;
	json_t *o = NULL;
	kbs_store__result sr = { 0 };

	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_stats_json needs out and kb");
	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;
	o = json_object();
	json_t *lang = json_object(), *kind = json_object(), *cat = json_object();
	json_object_set_new(o, "articles", json_integer((json_int_t)kbs_store__doccount(ctx->reader)));
	json_object_set_new(o, "lang", lang);
	json_object_set_new(o, "kind", kind);
	json_object_set_new(o, "category", cat);
	count_into cl = { lang, strlen(KBS_PFX_LANG) }, ck = { kind, strlen(KBS_PFX_KIND) };
	if ((rc = kbs_store__each_term(ctx->reader, KBS_PFX_LANG, count_term, &cl, err)) != KBS_OK ||
	    (rc = kbs_store__each_term(ctx->reader, KBS_PFX_KIND, count_term, &ck, err)) != KBS_OK)
		goto cleanup;
	/* Categories as written (not folded): the facet spy over everything. */
	kbs_store__search_req req = { .limit = 0, .check_at_least = (size_t)kbs_store__doccount(ctx->reader),
				      .facets = true };
	if ((rc = kbs_store__search(ctx->reader, &req, &sr, err)) != KBS_OK)
		goto cleanup;
	for (size_t i = 0; i < sr.nfacets; i++)
		if (strncmp(sr.facets[i].label, "c:", 2) == 0)
			json_object_set_new(cat, sr.facets[i].label + 2,
					    json_integer((json_int_t)sr.facets[i].count));
	json_object_set_new(o, "index_bytes", json_integer((json_int_t)kbs_store__dir_bytes(kb->index_dir)));
	*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_SORT_KEYS);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	kbs_store__result_free(&sr);
	json_decref(o);
	kbs_kb__ctx_put(kb, ctx);
	return rc;
}
