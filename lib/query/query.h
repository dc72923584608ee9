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
