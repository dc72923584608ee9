/*
 * Raw Xapian, the way its own documentation sets it up, as a peer for the
 * benchmarks (bench/xapian_bench.c): what kbsearch costs over the engine it
 * is built on. Not part of libkbsearch; it lives here because lib/store is
 * the only place for C++.
 *
 * Storage layout (one plain Xapian database), as Xapian's "getting started"
 * indexer writes it:
 *   Q<id>        unique id (boolean): replace by id
 *   L<lang>      language (boolean): the --lang filter
 *   S<word>, ZS<stem>   title words, TermGenerator defaults (STEM_SOME,
 *                positions): what a title completion searches
 *   <word>, Z<stem>     title then body, a termpos gap apart, TermGenerator
 *                defaults with the article's language's stemmer
 * Document data: the id.
 *
 * Every function catches every exception: nothing crosses into C. A
 * failing one returns -1 and, when errmsg is not NULL, sets *errmsg to a
 * malloc'd message ("Xapian type: message") the caller frees. A handle is
 * used by one thread at a time; open one per thread.
 */
#ifndef KBS_STORE_PEER_H
#define KBS_STORE_PEER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bench_xapian bench_xapian;

/* Opens the database at path, read-only; with `create`, creates it (an
 * existing one is overwritten) for writing. *out: the handle, freed by
 * bench_xapian_close. */
int bench_xapian_open(bench_xapian **out, const char *path, int create, char **errmsg);

/* Adds (or replaces, by id) one article. lang: an ISO 639-1 code; one
 * Xapian has no stemmer for is indexed unstemmed. Writable handles only. */
int bench_xapian_add(bench_xapian *x, const char *id, const char *lang, const char *title,
		     const char *body, char **errmsg);

/* Commits what was added. */
int bench_xapian_commit(bench_xapian *x, char **errmsg);

/* How text is searched. */
enum {
	/* QueryParser::FLAG_PARTIAL: the last word is being typed. */
	BENCH_XAPIAN_PARTIAL = 1 << 0,
	/* A title completion: title terms only (prefix S), words AND-ed. */
	BENCH_XAPIAN_TITLE = 1 << 1,
};

/* Parses text with QueryParser defaults (default op OR, STEM_SOME with the
 * stemmer of lang, FLAG_DEFAULT), restricted to articles of lang when lang
 * is not NULL, and ranks with BM25 (Enquire's default). ids[0..*n) receive
 * the ids of the best `max` hits, malloc'd (the caller frees them), and
 * scores their weights. */
int bench_xapian_search(bench_xapian *x, const char *text, const char *lang, unsigned flags,
			size_t max, char **ids, double *scores, size_t *n, char **errmsg);

/* Closes the handle (a writable one commits first). Accepts NULL. */
void bench_xapian_close(bench_xapian *x);

#ifdef __cplusplus
}
#endif

#endif
