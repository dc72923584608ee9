/*
 * kbsearch — search for self-service help centers.
 *
 * This header is the manual. Conventions that hold for every function unless
 * its own comment says otherwise:
 *
 * - Fallible functions return a kbs_status; KBS_OK (0) is success. Out-params
 *   come first; the one that receives the result is named `out`, and *out is
 *   set to NULL (or zero) on entry, so it is never left dangling on failure.
 * - What comes back through `**out` is the caller's and is released with the
 *   matching *_free function. Strings returned directly by a getter are
 *   borrowed from their parent object and stay valid until that object is
 *   freed.
 * - Every *_free and kbs_close accepts NULL and does nothing with it.
 * - Error text lives with the object the call was made on, and is reset when
 *   each call starts: kbs_errmsg(kb) for calls on a knowledge base (each
 *   thread reads the text of its own last call there, so threads sharing a
 *   handle never see each other's messages), kbs_indexer_errmsg(ix) for
 *   calls on an indexer, and the optional `errmsg` out-param of kbs_open,
 *   which has no handle yet.
 * - Strings in and out are UTF-8. Invalid UTF-8 in input is KBS_EINVALID.
 * - Options come in versioned structs: declare them with their _INIT macro or
 *   initialise them with the matching *_init function. New fields are only
 *   ever added at the end.
 * - No global initialisation is needed. All thread-safety promises are per
 *   function below.
 */
#ifndef KBSEARCH_H
#define KBSEARCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(KBS_BUILDING) && defined(__GNUC__)
#define KBS_EXPORT __attribute__((visibility("default")))
#else
#define KBS_EXPORT
#endif

#define KBS_VERSION_MAJOR 0
#define KBS_VERSION_MINOR 1
#define KBS_VERSION_PATCH 0

/* ------------------------------------------------------------------------ */
/* Status codes                                                              */
/* ------------------------------------------------------------------------ */

typedef enum kbs_status {
	KBS_OK = 0,
	/* A callback asked to stop early; functions map it back to KBS_OK. */
	KBS_STOP = 1,
	/* Generic failure; the message says what happened. */
	KBS_ERROR = -1,
	/* No such knowledge base, article or file. */
	KBS_ENOTFOUND = -2,
	/* Invalid input: a malformed article, option or argument, invalid UTF-8,
	 * a value above a documented bound. */
	KBS_EINVALID = -3,
	/* A query that cannot be understood (reserved: free text never fails). */
	KBS_ESYNTAX = -4,
	/* Another writer holds the knowledge base (a second indexer). */
	KBS_ELOCKED = -5,
	/* The index changed under a reader faster than it could follow; the call
	 * can simply be repeated. */
	KBS_ERETRY = -6,
	/* Out of memory. */
	KBS_ENOMEM = -7,
	/* The disk failed us: unreadable, read-only, full, or a damaged index. */
	KBS_EIO = -8,
	/* End of an iteration. */
	KBS_ITEROVER = -31
} kbs_status;

/* A short English description of a status ("not found", ...). Never NULL;
 * the string is static. Thread-safe. */
KBS_EXPORT const char *kbs_status_str(kbs_status status);

/* The library's version as "MAJOR.MINOR.PATCH". Static string. Thread-safe. */
KBS_EXPORT const char *kbs_version(void);

/* ------------------------------------------------------------------------ */
/* Bounds                                                                    */
/* ------------------------------------------------------------------------ */

/* Longest accepted query text, in bytes; longer is KBS_EINVALID. */
#define KBS_MAX_QUERY_BYTES 4096
/* Largest accepted article (title + body + fields), in bytes. */
#define KBS_MAX_ARTICLE_BYTES (8u * 1024u * 1024u)
/* Longest article id. */
#define KBS_MAX_ID_BYTES 128
/* Most results one search returns (limit is clamped to it). */
#define KBS_MAX_LIMIT 1000

/* ------------------------------------------------------------------------ */
/* Knowledge base                                                            */
/* ------------------------------------------------------------------------ */

/* An opened knowledge base: a directory holding the index and everything
 * else of one help center. Opaque. */
typedef struct kbs_kb kbs_kb;

enum kbs_open_flags {
	/* Create the directory and an empty index when missing. Without it, a
	 * missing knowledge base is KBS_ENOTFOUND. */
	KBS_OPEN_CREATE = 1u << 0
};

#define KBS_OPEN_OPTS_VERSION 1
typedef struct kbs_open_opts {
	unsigned version;
	/* Bitwise OR of kbs_open_flags. */
	unsigned flags;
} kbs_open_opts;
#define KBS_OPEN_OPTS_INIT { KBS_OPEN_OPTS_VERSION, 0 }

/* Initialises *opts to defaults for the given version (every *_opts_init
 * works the same way). Returns KBS_EINVALID when version is unknown or opts
 * is NULL. Thread-safe. */
KBS_EXPORT kbs_status kbs_open_opts_init(kbs_open_opts *opts, unsigned version);

/* Opens the knowledge base at `path`.
 *
 * opts may be NULL (defaults). On failure, when errmsg is not NULL, *errmsg
 * receives a malloc'd message the caller frees with kbs_string_free (or NULL
 * when out of memory).
 *
 * Returns KBS_ENOTFOUND (no knowledge base there, and no KBS_OPEN_CREATE),
 * KBS_EIO (unreadable, not a knowledge base, damaged index), KBS_EINVALID
 * (NULL path, bad options), KBS_ENOMEM.
 *
 * The handle may be shared by any number of threads for searching (see
 * kbs_search). Opening does not lock: readers never block each other or a
 * writer. */
KBS_EXPORT kbs_status kbs_open(kbs_kb **out, const char *path,
			       const kbs_open_opts *opts, char **errmsg);

/* Closes the knowledge base and frees the handle. Every indexer and result
 * set made from it must be freed first. Accepts NULL. Not thread-safe with
 * any other call on the same handle. */
KBS_EXPORT void kbs_close(kbs_kb *kb);

/* The message of the last failure of a call made on the handle itself (open,
 * search, article, stats). Never NULL ("" when there is none); borrowed until
 * the next call on the handle from the same thread. Thread-safe: each thread
 * sees the message of its own last call. */
KBS_EXPORT const char *kbs_errmsg(const kbs_kb *kb);

/* Frees a string the library returned through an out-param. Accepts NULL.
 * Thread-safe. */
KBS_EXPORT void kbs_string_free(char *s);

/* ------------------------------------------------------------------------ */
/* Articles in                                                               */
/* ------------------------------------------------------------------------ */

/* An article given directly by the host (e.g. synced from its CMS). All
 * strings are borrowed for the duration of the call. NULL means "absent". */
#define KBS_ARTICLE_VERSION 1
typedef struct kbs_article {
	unsigned version;
	const char *id;       /* required, [A-Za-z0-9._:-]{1,128} */
	const char *title;    /* required, non-empty */
	const char *body;     /* required, non-empty */
	int body_is_markdown; /* 1: CommonMark, rendered to plain text */
	const char *kind;     /* faq (default), tutorial, guide, troubleshooting */
	const char *lang;     /* ISO 639-1; default: the indexer's lang */
	const char *category; /* "Parent/Child" */
	const char *const *tags;
	size_t ntags;
	const char *const *audience; /* roles allowed; default {"public"} */
	size_t naudience;
	const char *const *segments; /* visitor segments (ranking boost) */
	size_t nsegments;
	const char *updated; /* ISO 8601 date or date-time */
	const char *url;
	const char *summary;
} kbs_article;
#define KBS_ARTICLE_INIT \
	{ KBS_ARTICLE_VERSION, NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, NULL, NULL, NULL }

/* An indexing session: one batch of changes committed at once. Opaque. */
typedef struct kbs_indexer kbs_indexer;

typedef enum kbs_diag_level { KBS_DIAG_ERROR = 0, KBS_DIAG_WARNING = 1 } kbs_diag_level;

/* Receives each problem found while indexing: `file` and `line` say where
 * ("<api>" and 0 for kbs_indexer_add), message says what. All borrowed for
 * the call. An ERROR means the article was rejected; a WARNING means it was
 * indexed anyway (an unknown field, say). */
typedef void (*kbs_diag_cb)(kbs_diag_level level, const char *file,
			    unsigned line, const char *message, void *payload);

/* Reports progress through the input in bytes; return non-zero to cancel
 * (the batch then fails with KBS_ERROR and nothing is committed). */
typedef int (*kbs_progress_cb)(uint64_t done, uint64_t total, void *payload);

#define KBS_INDEX_OPTS_VERSION 1
typedef struct kbs_index_opts {
	unsigned version;
	/* Language of articles that do not say theirs (default "en"). */
	const char *default_lang;
	/* Any rejected article makes the whole batch fail at commit, with the
	 * index unchanged. */
	int strict;
	/* At commit, remove articles that came from files under the paths given
	 * to kbs_indexer_add_paths but were not seen in this batch (their file
	 * is gone, or the article left its JSONL file). */
	int prune;
	kbs_diag_cb diag;
	kbs_progress_cb progress;
	void *payload; /* passed to diag and progress */
} kbs_index_opts;
#define KBS_INDEX_OPTS_INIT { KBS_INDEX_OPTS_VERSION, NULL, 0, 0, NULL, NULL, NULL }

/* Defaults for the given version; see kbs_open_opts_init. */
KBS_EXPORT kbs_status kbs_index_opts_init(kbs_index_opts *opts, unsigned version);

/* What one batch did. */
typedef struct kbs_index_summary {
	uint64_t added;     /* new ids */
	uint64_t updated;   /* ids whose content changed */
	uint64_t unchanged; /* ids seen with the same content: skipped */
	uint64_t removed;   /* deleted or pruned */
	uint64_t rejected;  /* invalid articles (reported through diag) */
	uint64_t warnings;
} kbs_index_summary;

/* Starts a batch on `kb`. Only one indexer may exist per knowledge base, in
 * this process or any other: a second gets KBS_ELOCKED. opts may be NULL; its
 * strings are copied. Searches on the same handle go on while the batch runs
 * and see the last committed state. Returns KBS_ELOCKED, KBS_EIO (read-only
 * directory), KBS_EINVALID, KBS_ENOMEM. The indexer is used from one thread
 * at a time. */
KBS_EXPORT kbs_status kbs_indexer_new(kbs_indexer **out, kbs_kb *kb,
				      const kbs_index_opts *opts);

/* Reads files and folders (recursively: *.md, *.markdown, *.jsonl) and adds
 * their articles to the batch. Bad articles are reported through diag and
 * counted as rejected; that alone is not a failure of this call. Returns
 * KBS_ENOTFOUND when a path does not exist, KBS_EIO when it cannot be read,
 * KBS_ERROR when progress cancelled, KBS_ENOMEM. Messages: kbs_indexer_errmsg. */
KBS_EXPORT kbs_status kbs_indexer_add_paths(kbs_indexer *ix,
					    const char *const *paths, size_t npaths);

/* Adds (or replaces, by id) one article given by the host. Returns
 * KBS_EINVALID when it is invalid (also reported through diag), KBS_ENOMEM,
 * KBS_EIO. */
KBS_EXPORT kbs_status kbs_indexer_add(kbs_indexer *ix, const kbs_article *article);

/* Deletes an article by id in this batch. Returns KBS_ENOTFOUND when no such
 * article exists. */
KBS_EXPORT kbs_status kbs_indexer_delete(kbs_indexer *ix, const char *id);

/* Commits the batch: everything, or nothing (KBS_EINVALID in strict mode
 * after a rejected article; KBS_EIO when the disk fails). A crash before this
 * returns leaves the previous committed index. The indexer cannot be used for
 * anything but kbs_indexer_free afterwards. `summary` may be NULL. */
KBS_EXPORT kbs_status kbs_indexer_commit(kbs_indexer *ix, kbs_index_summary *summary);

/* Message of the indexer's last failure; "" when none. Borrowed until the
 * next call on the indexer. */
KBS_EXPORT const char *kbs_indexer_errmsg(const kbs_indexer *ix);

/* Frees the indexer; an uncommitted batch is discarded and the lock
 * released. Accepts NULL. */
KBS_EXPORT void kbs_indexer_free(kbs_indexer *ix);

/* ------------------------------------------------------------------------ */
/* Search                                                                    */
/* ------------------------------------------------------------------------ */

/* Features a caller may turn off for one search (to measure what each
 * costs, or for an exact-match mode). */
enum kbs_search_flags {
	KBS_SEARCH_NO_SNIPPETS = 1u << 0,
	KBS_SEARCH_NO_FACETS = 1u << 1,
};

#define KBS_SEARCH_OPTS_VERSION 1
typedef struct kbs_search_opts {
	unsigned version;
	const char *lang;     /* only this language; NULL: all */
	const char *category; /* subtree: "Compte" includes "Compte/Connexion" */
	const char *const *tags; /* every tag must be present */
	size_t ntags;
	const char *kind;
	const char *const *roles; /* caller's roles; "public" always holds */
	size_t nroles;
	const char *const *segments; /* visitor's segments: a boost */
	size_t nsegments;
	size_t limit;  /* 0: 10; clamped to KBS_MAX_LIMIT */
	size_t offset;
	/* The visitor's session, for analytics: a search that carries one is
	 * recorded (see the events functions); NULL: not recorded. */
	const char *session;
	/* When the search happened, in milliseconds since the Unix epoch, for
	 * imports and tests; 0: now. */
	int64_t at;
	/* Bitwise OR of kbs_search_flags (0: everything on). */
	unsigned flags;
} kbs_search_opts;
#define KBS_SEARCH_OPTS_INIT \
	{ KBS_SEARCH_OPTS_VERSION, NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, 0, 10, 0, NULL, 0, 0 }

/* Defaults for the given version; see kbs_open_opts_init. */
KBS_EXPORT kbs_status kbs_search_opts_init(kbs_search_opts *opts, unsigned version);

/* A result set. Opaque; read with the kbs_results_* getters. It never
 * changes once kbs_search returned it, so any number of threads may read it
 * at once; it must not be read during or after kbs_results_free. */
typedef struct kbs_results kbs_results;

/* Searches `kb` for the user's free text.
 *
 * Any text is accepted: words, punctuation, stray quotes. An empty (or
 * all-punctuation) text browses: every visible article that meets the
 * filters, most recently updated first. opts may be NULL (defaults: all
 * languages, role public, 10 hits).
 *
 * Returns KBS_EINVALID (text longer than KBS_MAX_QUERY_BYTES, invalid UTF-8,
 * bad options), KBS_ERETRY (the index moved on too fast, repeat the call),
 * KBS_EIO (damaged index), KBS_ENOMEM. Messages through kbs_errmsg(kb).
 *
 * Thread-safe: any number of threads may search the same handle at once,
 * also while an indexer commits; each search sees one committed state. */
KBS_EXPORT kbs_status kbs_search(kbs_results **out, kbs_kb *kb,
				 const char *text, const kbs_search_opts *opts);

/* Number of hits in this page (<= limit). */
KBS_EXPORT size_t kbs_results_count(const kbs_results *r);
/* Estimated number of matching articles visible to the caller. */
KBS_EXPORT uint64_t kbs_results_total(const kbs_results *r);
/* 1 when the engine believes the best hit (of the whole ranking, whatever
 * the page) answers the question; 0 with no hit, and when browsing. */
KBS_EXPORT int kbs_results_confident(const kbs_results *r);
/* The query that ran instead of the user's, or NULL when it ran as typed. */
KBS_EXPORT const char *kbs_results_corrected_query(const kbs_results *r);
/* A unique id for this search (to link later events to it). */
KBS_EXPORT const char *kbs_results_search_id(const kbs_results *r);
/* The query text as given. */
KBS_EXPORT const char *kbs_results_query(const kbs_results *r);

/* Per-hit getters; i < kbs_results_count(r), else NULL / 0. Strings are
 * borrowed until kbs_results_free; an absent field is NULL. */
KBS_EXPORT const char *kbs_results_id(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_title(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_kind(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_lang(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_category(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_url(const kbs_results *r, size_t i);
KBS_EXPORT size_t kbs_results_ntags(const kbs_results *r, size_t i);
KBS_EXPORT const char *kbs_results_tag(const kbs_results *r, size_t i, size_t j);
KBS_EXPORT double kbs_results_score(const kbs_results *r, size_t i);
/* 0..100: how sure the engine is that this hit answers the query; it never
 * rises down the ranking. 0 when browsing (empty query). */
KBS_EXPORT int kbs_results_confidence(const kbs_results *r, size_t i);
/* A passage of the article around the matched words, as an HTML fragment:
 * the text is HTML-escaped and each matched word is wrapped in
 * <mark>...</mark>. NULL when the search had KBS_SEARCH_NO_SNIPPETS. */
KBS_EXPORT const char *kbs_results_snippet(const kbs_results *r, size_t i);

typedef enum kbs_facet { KBS_FACET_CATEGORY = 0, KBS_FACET_TAG = 1 } kbs_facet;

/* Facet counts over every visible match (not only this page), biggest first.
 * Categories are counted at each level ("Compte" and "Compte/Connexion"). */
KBS_EXPORT size_t kbs_results_facet_count(const kbs_results *r, kbs_facet facet);
KBS_EXPORT const char *kbs_results_facet_label(const kbs_results *r, kbs_facet facet, size_t i);
KBS_EXPORT uint64_t kbs_results_facet_value(const kbs_results *r, kbs_facet facet, size_t i);

/* Frees a result set. Accepts NULL. */
KBS_EXPORT void kbs_results_free(kbs_results *r);

/* ------------------------------------------------------------------------ */
/* Reading the knowledge base                                                */
/* ------------------------------------------------------------------------ */

/* The stored article `id` as a JSON object (every field of the article, the
 * body as plain text), malloc'd into *out: free it with kbs_string_free.
 * roles/nroles as in kbs_search: an article the caller may not see is
 * KBS_ENOTFOUND, exactly like a missing one. Thread-safe. */
KBS_EXPORT kbs_status kbs_article_json(char **out, kbs_kb *kb, const char *id,
				       const char *const *roles, size_t nroles);

/* Figures on the knowledge base as a JSON object:
 * {"articles": N, "lang": {...}, "kind": {...}, "category": {...},
 *  "index_bytes": N}, malloc'd into *out (kbs_string_free). Counts every
 * article whatever its audience: this is an administrator's view.
 * Thread-safe. */
KBS_EXPORT kbs_status kbs_stats_json(char **out, kbs_kb *kb);

#ifdef __cplusplus
}
#endif

#endif /* KBSEARCH_H */
