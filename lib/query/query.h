/*
 * User text -> engine query, and what a search returns beyond the engine's
 * hits: confidence, snippets, facets.
 */
#ifndef KBS_QUERY_H
#define KBS_QUERY_H

#include "../kb.h"

/* One word of the user's query, as the analyzer saw it. */
typedef struct kbs_query__word {
	char *term;         /* folded */
	char *exact;        /* case-folded, accents kept */
	kbs_strlist stems;  /* folded stems, one per language searched, distinct */
	bool stop;          /* a stop word of the query's language(s) */
	bool used;          /* part of the engine query */
	double idf;         /* for confidence: rarer words weigh more */
} kbs_query__word;

/* ---- query trees: nodes live in one arena per plan ---- */

typedef struct kbs_query__arena {
	void **blocks;
	size_t n, cap;
	bool oom; /* sticky: a failed allocation makes the plan unusable */
} kbs_query__arena;

/* Zeroed memory from the arena, or NULL (and a->oom) when out of memory. */
void *kbs_query__alloc(kbs_query__arena *a, size_t size);
void kbs_query__arena_free(kbs_query__arena *a);
/* A TERM node for prefix + s. */
kbs_qnode *kbs_query__term(kbs_query__arena *a, const char *prefix, const char *s);
/* An operator node with room for `cap` kids, added with kbs_query__add
 * (which ignores a NULL parent or kid, so out-of-memory needs one check at
 * the end: a->oom). */
kbs_qnode *kbs_query__op(kbs_query__arena *a, kbs_qop op, size_t cap);
void kbs_query__add(kbs_qnode *parent, kbs_qnode *kid);
kbs_qnode *kbs_query__scale(kbs_query__arena *a, kbs_qnode *kid, double scale);

/* ---- the plan of one search ---- */

typedef struct kbs_query__plan {
	kbs_query__arena arena;
	kbs_query__word *words; /* every word of the text, in order */
	size_t nwords;
	bool stop_only;         /* only stop words: they are used as words */
	kbs_qnode *query;       /* NULL: browse (empty text) */
	/* The filter, in parts, so a caller can ask what each part removed. */
	kbs_qnode *lang;        /* NULL: every language */
	kbs_qnode *filters;     /* category, tags, kind; NULL: none */
	kbs_qnode *roles;       /* the caller's roles (and public) */
	kbs_qnode *filter;      /* all of the above */
} kbs_query__plan;

/* Analyses text and builds its plan for the options o (o->lang already
 * lower case). The plan is freed with kbs_query__plan_free, also on
 * failure. Returns KBS_ENOMEM, KBS_EINVALID (a filter not valid UTF-8),
 * the analyzer's and the store's errors. */
kbs_status kbs_query__plan_build(kbs_query__plan *p, kbs_ctx *ctx, const char *text,
				 const kbs_search_opts *o, kbs_err *err);
void kbs_query__plan_free(kbs_query__plan *p);

/* AND of the given filter parts (any may be NULL), in the plan's arena;
 * NULL when all are. */
kbs_qnode *kbs_query__filter(kbs_query__plan *p, kbs_qnode *lang, kbs_qnode *filters,
			     kbs_qnode *roles);

/* The query key of design.md: the used words, analysed (folded, stemmed,
 * stop words dropped), sorted, distinct, joined by spaces; "" for browsing.
 * Malloc'd; NULL when out of memory. */
char *kbs_query__key(const kbs_query__plan *p);

/* Longest snippet, in bytes of source text. */
#define KBS_SNIPPET_BYTES 220

/* A passage of `text` (language `lang`) around the densest run of the used
 * words of the query (a token matches a word by its folded term, or, when
 * it is not a stop word, by its stem), HTML-escaped, matched words wrapped in <mark></mark>, "…" where it
 * was cut; the start of the text when nothing matches. Malloc'd into *out.
 * Returns KBS_ENOMEM, or the analyzer's error. */
kbs_status kbs_query__snippet(char **out, kbs_text__analyzer *an, const char *text,
			      const char *lang, const kbs_query__word *words, size_t nwords,
			      kbs_err *err);

#endif
