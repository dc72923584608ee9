/*
 * Search: plan the query (plan.c), run it, and dress what comes back with
 * confidence, snippets and facets.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "query.h"
#include "../events/events.h"

/* Matches looked at for facet counts and the total: exact below this. */
#define CHECK_AT_LEAST 5000
/* The top hit's confidence from which the engine says `confident`. */
#define CONFIDENT_FROM 50

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
static void coverage(const kbs_query__plan *w, const kbs_store__hit *h, double *cov, double *tcov)
{
	double all = 0, got = 0, title = 0;
	char term[KBS_TEXT_MAX_TERM + 8];
	for (size_t i = 0; i < w->nwords; i++) {
		const kbs_query__word *qw = &w->words[i];
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

static kbs_status fill_hit(kbs_ctx *ctx, const kbs_query__plan *w, const kbs_store__hit *sh, hit *h,
			   bool snippet, kbs_err *err)
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
	if (rc == KBS_OK && snippet) {
		/* Where the words are; the summary, else the opening, when they
		 * only matched the title or tags. */
		const char *summary = json_string_value(json_object_get(o, "summary"));
		bool any_used = false;
		for (size_t k = 0; k < w->nwords; k++)
			any_used |= w->words[k].used;
		rc = kbs_query__snippet(&h->snippet, ctx->an, body, h->lang, w->words, any_used ? w->nwords : 0,
					err);
		if (rc == KBS_OK && summary && h->snippet && !strstr(h->snippet, "<mark>")) {
			free(h->snippet);
			h->snippet = NULL;
			rc = kbs_query__snippet(&h->snippet, ctx->an, summary, h->lang, w->words, 0, err);
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

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

kbs_status kbs_search(kbs_results **out, kbs_kb *kb, const char *text,
		      const kbs_search_opts *opts)
{
	kbs_status rc = KBS_OK;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_ctx *ctx = NULL;
	kbs_results *r = NULL;
	kbs_query__plan plan = { 0 };
	kbs_store__result sr = { 0 }, top = { 0 };
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	size_t bad;
	double t0 = now_us();

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
	/* Languages are stored lower case ("FR" finds "fr" articles and stems). */
	char lang[8] = "";
	if (o.lang && *o.lang) {
		size_t i = 0;
		for (; o.lang[i] && i + 1 < sizeof lang; i++)
			lang[i] = (char)(o.lang[i] >= 'A' && o.lang[i] <= 'Z' ? o.lang[i] + 32 : o.lang[i]);
		lang[i] = '\0';
		o.lang = lang;
	}

	r = calloc(1, sizeof *r);
	if (!r || !(r->query = kbs_strdup(text))) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	new_search_id(r->search_id);

	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;
	if ((rc = kbs_query__plan_build(&plan, ctx, text, &o, err)) != KBS_OK)
		goto cleanup;

	kbs_store__search_req req = {
		.query = plan.query,
		.filter = plan.filter,
		.offset = o.offset,
		.limit = o.limit,
		.check_at_least = CHECK_AT_LEAST,
		.facets = !(o.flags & KBS_SEARCH_NO_FACETS),
		.matching_terms = plan.query != NULL,
		.sort_by_updated = plan.query == NULL,
	};
	if ((rc = kbs_store__search(ctx->reader, &req, &sr, err)) != KBS_OK)
		goto cleanup;
	r->total = sr.estimate;
	if ((rc = fill_facets(r, &sr, err)) != KBS_OK)
		goto cleanup;

	/* Confidence is judged on the best hit of the whole ranking, so a later
	 * page says the same as the first. */
	const kbs_store__hit *best = sr.nhits ? &sr.hits[0] : NULL;
	if (plan.query && o.offset > 0) {
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
	if (plan.query && best) {
		double cov, tcov;
		coverage(&plan, best, &cov, &tcov);
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
		if ((rc = fill_hit(ctx, &plan, &sr.hits[i], h, !(o.flags & KBS_SEARCH_NO_SNIPPETS), err)) != KBS_OK)
			goto cleanup;
		if (plan.query) {
			double cov, tcov;
			coverage(&plan, &sr.hits[i], &cov, &tcov);
			h->confidence = confidence_of(cov, tcov, sr.hits[i].weight, top_weight);
			if (h->confidence > cap)
				h->confidence = cap;
			cap = h->confidence;
		}
	}
	/* Analytics last: it sees the search as the caller will. */
	kbs_events__search_done(kb, ctx, &plan, &o, r, now_us() - t0);
	*out = r;
	r = NULL;
cleanup:
	kbs_store__result_free(&sr);
	kbs_store__result_free(&top);
	kbs_kb__ctx_put(kb, ctx);
	kbs_query__plan_free(&plan);
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
