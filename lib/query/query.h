/*
 * User text -> engine query, and what a search returns beyond the engine's
 * hits: confidence, snippets, facets.
 */
#ifndef KBS_QUERY_H
#define KBS_QUERY_H

#include <jansson.h>

#include "../kb.h"

/* Languages one query is analysed in at most (the query's, or every
 * language of the index that has a stemmer). */
#define KBS_QUERY_MAX_LANGS 8

/* Where a word of the query stands in its syntax (kbsearch.h). */
typedef enum kbs_query__kind {
	KBS_QW_TEXT = 0, /* a plain word */
	KBS_QW_PHRASE,   /* inside "quotes": required, word for word */
	KBS_QW_EXCLUDE,  /* after a minus: articles with it are left out */
} kbs_query__kind;

/* One word of the user's query, as the analyzer saw it. */
typedef struct kbs_query__word {
	char *term;         /* folded */
	char *exact;        /* case-folded, accents kept */
	kbs_strlist stems;  /* folded stems, one per language searched, distinct */
	bool stop;          /* a stop word of the query's language(s) */
	bool used;          /* part of the engine query (never for EXCLUDE) */
	double idf;         /* for confidence: rarer words weigh more */
	kbs_query__kind kind;
	bool prefix;        /* the word being typed: also matches longer words */
	bool typo;          /* not in the index: matched by its close spellings */
	bool unknown;       /* nothing in the index matches it in any way */
	bool syn;           /* has synonyms */
	bool forms;         /* other forms of its lemma are indexed (lemmas.c):
			     * their stems are among its own */
	bool in_dict;       /* a word of the dictionary of its language
			     * (lemmas.c): spelt as meant, no slip */
	bool verb;          /* that dictionary knows it as a verb form only:
			     * an article may answer without it (search.c) */
	bool time;          /* a time word (text.h): weighs less (plan.c) */
	kbs_strlist fixes;  /* typo: close spellings (folded words), best first */
	/* What matches the word for less than itself (synonyms, close
	 * spellings): folded words, their stems, and multi-word synonyms as
	 * folded words joined by spaces; alt_titles: the stems of each
	 * multi-word synonym but its stop words, joined by spaces (found in
	 * a title as KBS_PFX_TITLE terms). */
	kbs_strlist alt_words, alt_stems, alt_phrases, alt_titles;
	/* The stems of the hyphenated compound the word is part of ("email"
	 * for "e" and "mail" of "e-mail"), also among `stems`. */
	kbs_strlist join_stems;
	/* prefix: the indexed terms it begins, the most frequent first, as
	 * whole terms: [0] words, [1] title stems (KBS_PFX_TITLE). Matched
	 * as terms of their own, they come back among a hit's matching
	 * terms, so judging a hit needs no read of its term list. */
	kbs_strlist completions[2];
	/* The same per language of the plan (plan.langs[l]): a language's
	 * stems and synonyms only describe articles in that language, so an
	 * article in language l is matched (and its coverage judged) by these.
	 * The lists above are their unions. */
	kbs_strlist lstems[KBS_QUERY_MAX_LANGS];
	kbs_strlist lalt_words[KBS_QUERY_MAX_LANGS], lalt_stems[KBS_QUERY_MAX_LANGS],
		lalt_phrases[KBS_QUERY_MAX_LANGS], lalt_titles[KBS_QUERY_MAX_LANGS];
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
	bool synonyms;          /* a synonym rule matched (a stop word's too) */
	/* The languages the query was analysed in: the query's, or every
	 * language of the index with a stemmer. */
	char langs[KBS_QUERY_MAX_LANGS][8];
	size_t nlangs;
	/* No language given: each language's stems and synonyms are matched
	 * on that language's articles only (the index keeps the stems of
	 * every language in one term space, where French "logement" and
	 * English "log" meet); other_langs: the index also has articles in
	 * languages not in `langs`, matched by the words unstemmed. */
	bool per_lang, other_langs;
	/* The language the query seems written in, when it names none and
	 * the evidence is clear (articles in it rise a little); "" else. */
	char query_lang[8];
	int qlang; /* its index in langs, -1 when none */
	kbs_qnode *query;       /* NULL: browse (empty text) */
	/* The filter, in parts, so a caller can ask what each part removed. */
	kbs_qnode *lang;        /* NULL: every language */
	kbs_qnode *filters;     /* category, tags, kind; NULL: none */
	kbs_qnode *roles;       /* the caller's roles (and public) */
	bool hides;             /* the index has articles `roles` may not open */
	/* All of the above; lang and roles as one KBS_Q_KEPT filter: who sees
	 * what is the same for many searches. */
	kbs_qnode *filter;
	/* The query key's terms, unsorted (kbs_query__key sorts them). */
	kbs_strlist key;
	/* The text with each word the index lacks replaced by its closest
	 * spelling; NULL when no word needed it. */
	char *corrected;
} kbs_query__plan;

enum kbs_query__plan_flags {
	KBS_PLAN_NO_TYPO = 1u << 0, /* no close spellings (a corrected query) */
};

/* Analyses text and builds its plan for the options o (o->lang already
 * lower case). The plan is freed with kbs_query__plan_free, also on
 * failure. Returns KBS_ENOMEM, KBS_EINVALID (a filter not valid UTF-8),
 * the analyzer's and the store's errors. */
kbs_status kbs_query__plan_build(kbs_query__plan *p, kbs_ctx *ctx, const char *text,
				 const kbs_search_opts *o, kbs_err *err);
/* The same with the synonyms in force on kb (kb NULL: none) and
 * kbs_query__plan_flags. */
kbs_status kbs_query__plan_build_kb(kbs_query__plan *p, kbs_kb *kb, kbs_ctx *ctx,
				    const char *text, const kbs_search_opts *o, unsigned flags,
				    kbs_err *err);
/* The other forms of `exact` (a query word, case-folded with its accents)
 * in `lang` that the index at ctx's revision holds, as the stems they are
 * indexed by, appended to *out when not in it yet (lemmas.c): none when
 * kb is NULL, lang has no lemmas, or the word is a lemma of its own and a
 * form of another. Every stem given is in the index (Z<stem>).
 * *in_dict (may be NULL): set when lang's dictionary knows the word;
 * *verb (may be NULL): set when it knows it as a verb form only.
 * Returns KBS_ENOMEM, the store's errors. */
kbs_status kbs_query__lemma_stems(kbs_kb *kb, kbs_ctx *ctx, const char *lang, const char *exact,
				  kbs_strlist *out, bool *in_dict, bool *verb, kbs_err *err);
/* *known: lang's dictionary knows `exact` (as for kbs_query__lemma_stems;
 * false when kb is NULL or lang has none). KBS_ENOMEM. */
kbs_status kbs_query__in_dict(kbs_kb *kb, const char *lang, const char *exact, bool *known,
			      kbs_err *err);
/* Only the filter parts of a plan (lang, filters, roles, filter) for o. */
kbs_status kbs_query__plan_filter(kbs_query__plan *p, kbs_ctx *ctx, const kbs_search_opts *o,
				  kbs_err *err);
void kbs_query__plan_free(kbs_query__plan *p);

/* The query key of design.md: the used words, analysed (folded, stemmed in
 * the first language searched, stop words dropped), words a synonym rule
 * covers replaced by the rule's canonical entry (the first of an
 * equivalence, the first right-hand entry of a one-way rule), sorted,
 * distinct, joined by spaces; "" for browsing. Malloc'd; NULL when out of
 * memory. */
char *kbs_query__key(const kbs_query__plan *p);

/* The stored article `id`: its fields as a JSON object (*fields, the
 * caller's to json_decref), its body (*body, malloc'd), and whether a caller
 * with these roles may see it. KBS_ENOTFOUND when there is none; KBS_EIO
 * when its data is unreadable. Thread-safe. */
kbs_status kbs_query__article(kbs_kb *kb, const char *id, const char *const *roles, size_t nroles,
			      json_t **fields, char **body, bool *visible, kbs_err *err);

/* Checks a user's text (query or prefix; `what` names it in the message):
 * at most KBS_MAX_QUERY_BYTES, valid UTF-8. KBS_EINVALID otherwise. */
kbs_status kbs_query__check_text(const char *text, const char *what, kbs_err *err);

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

/* ---- suggestions ---- */

/* Where kbs_suggest collects suggestions; a second source (kb.h
 * suggest_source, e.g. popular answered queries from the analytics
 * module) adds its own with kbs_query__suggest_add after the titles. */
typedef struct kbs_query__suggest_sink kbs_query__suggest_sink;

/* Adds a suggestion: `text` to show, `id` the article it leads to (NULL
 * for a query), `rank` lower first (titles use 0..1, so 0.5 puts a query
 * among them). A text already suggested is skipped. KBS_ENOMEM. */
kbs_status kbs_query__suggest_add(kbs_query__suggest_sink *sink, const char *text, const char *id,
				  double rank);

/* The signature of kb->suggest_source: called with the prefix as typed and
 * the caller's options (roles included: a source must respect them too). */
typedef kbs_status (*kbs_query__suggest_source)(kbs_kb *kb, const char *prefix,
						 const kbs_suggest_opts *o,
						 kbs_query__suggest_sink *sink, void *payload);

/* ---- answers ---- */

/* The passage of `body` (paragraphs separated by blank lines) that best
 * matches the plan's words: a heading with the paragraph after it, a list
 * whole. Malloc'd into *out (NULL when the body is empty). */
kbs_status kbs_query__passage(char **out, kbs_text__analyzer *an, const char *body,
			      const char *lang, const kbs_query__plan *p, kbs_err *err);

#endif
