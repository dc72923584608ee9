/*
 * The knowledge-base handle and what its modules share: where things live in
 * the home directory, the per-thread error text, and the pool of search
 * contexts (an index reader and an analyzer each) that lets many threads
 * search one handle at once without sharing engine objects.
 */
#ifndef KBS_KB_H
#define KBS_KB_H

#include <pthread.h>

#include "common.h"
#include "store/store.h"
#include "text/text.h"

/* What one search thread needs, borrowed from the pool for one call. */
typedef struct kbs_ctx {
	kbs_store__reader *reader;
	kbs_text__analyzer *an;
} kbs_ctx;

struct kbs_query__suggest_sink; /* lib/query/query.h */

/* Languages a knowledge base keeps a lemmatizer for (those with lemmas:
 * text.h kbs_text__has_lemmas). */
#define KBS_KB_LEMMA_LANGS 4

struct kbs_kb {
	char *home;      /* the knowledge-base directory */
	char *index_dir; /* home/index: the Xapian database */
	pthread_mutex_t lock; /* guards the pool and has_indexer */
	kbs_ctx **pool;  /* idle contexts */
	kbs_store__shared *store; /* what their readers share */
	size_t npool, cappool;
	bool has_indexer;
	/* Synonym sets in force, per language (lib/query/synonyms.c); made
	 * on first use, guarded by lock. */
	struct kbs_syn__cache *synonyms;
	/* Holds on the lemmatizers of the languages searched
	 * (lib/query/lemmas.c; the process shares each dictionary), taken on
	 * first use, guarded by lock; lz NULL: the language has none. */
	struct kbs_kb_lemmatizer {
		char lang[8];
		struct kbs_text__lemmatizer *lz;
	} lemmatizers[KBS_KB_LEMMA_LANGS];
	size_t nlemmatizers;
	/* A second source of suggestions after titles (popular answered
	 * queries), for the analytics module to set; NULL: none. See
	 * kbs_query__suggest_source in lib/query/query.h. */
	kbs_status (*suggest_source)(struct kbs_kb *kb, const char *prefix,
				     const struct kbs_suggest_opts *o,
				     struct kbs_query__suggest_sink *sink, void *payload);
	void *suggest_payload;
	struct kbs_events *events; /* the analytics log (lib/events) */
};

/* Starts a call on kb from this thread: clears and returns the thread's
 * message slot for kb. */
kbs_err *kbs_kb__begin(const kbs_kb *kb);

/* Borrows a context at the latest committed state of the index. */
kbs_status kbs_kb__ctx_get(kbs_kb *kb, kbs_ctx **out, kbs_err *err);
/* Gives it back (NULL is ignored). */
void kbs_kb__ctx_put(kbs_kb *kb, kbs_ctx *ctx);
/* Gives it back after a read that ended in rc, and returns rc, except
 * that a KBS_ERETRY no commit explains (kbs_store__reader_behind) becomes
 * KBS_EIO "the index is damaged": retrying would fail the same way. */
kbs_status kbs_kb__ctx_done(kbs_kb *kb, kbs_ctx *ctx, kbs_status rc, kbs_err *err);
/* Whether a read that ended in `rc` should run again: a reader fails with
 * KBS_ERETRY when commits overwrite the revision it reads (the engine
 * keeps only the last two), and the next attempt borrows a context at the
 * newest one. A caller sees KBS_ERETRY only after KBS_READ_ATTEMPTS
 * (kbsearch.h) such failures in a row.
 * Usage: do rc = read(...); while (kbs_kb__again(rc, &n)); */
bool kbs_kb__again(kbs_status rc, unsigned *attempts);

/* Marks the single indexer slot taken; KBS_ELOCKED when it already is. */
kbs_status kbs_kb__claim_indexer(kbs_kb *kb, kbs_err *err);
void kbs_kb__release_indexer(kbs_kb *kb);

/* Whether two labels (roles, audiences) are the same as the index sees
 * them: folded, so "Agent", "agent" and "AGENT" are one role everywhere
 * (filters fold them too). False when either cannot be folded. */
bool kbs_kb__same_label(const char *a, const char *b);
/* Whether an article with this audience may be seen by a caller with these
 * roles ("public" always holds for both sides' defaults). */
bool kbs_kb__visible(const char *const *audience, size_t naudience,
		     const char *const *roles, size_t nroles);

#endif
