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
/* Limits                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Every bound the library enforces, in one place. Past a bound, input is
 * refused with a clear error, never cut silently: KBS_EINVALID from the
 * call, or, for an article read from a file, a diagnostic "FILE:LINE:
 * message" through kbs_diag_cb and the article skipped (the whole batch
 * refused in strict mode). Sizes are in bytes of UTF-8.
 *
 * Queries (kbs_search, kbs_answer, kbs_suggest) and vote comments:
 *   text                   at most KBS_MAX_QUERY_BYTES; any text within it
 *                          is accepted, punctuation only included
 *   words                  longer than 64 bytes (after case folding) are
 *                          not indexed, so not found
 *   limit                  clamped to KBS_MAX_LIMIT results (kbs_search)
 *                          and to 50 suggestions (kbs_suggest)
 *   offset                 at most 100000
 *
 * Articles (files and kbs_indexer_add):
 *   whole article          at most KBS_MAX_ARTICLE_BYTES, every field
 *                          counted, the body after Markdown rendering too
 *   Markdown file          at most KBS_MAX_ARTICLE_BYTES + 64 KiB (front
 *                          matter and markup), refused before it is read
 *   JSONL line             at most KBS_MAX_ARTICLE_BYTES + 64 KiB (JSON
 *                          syntax and escapes), a longer one skipped unread
 *   id                     1 to KBS_MAX_ID_BYTES of A-Z a-z 0-9 . _ : -
 *                          (no '/', no space: an id is never a path)
 *   title                  at most KBS_MAX_TITLE_BYTES
 *   category               at most KBS_MAX_CATEGORY_LEVELS levels, each at
 *                          most KBS_MAX_CATEGORY_LEVEL_BYTES
 *   tags, audience, segments: at most KBS_MAX_LIST_ITEMS entries, each at
 *                          most KBS_MAX_LIST_ITEM_BYTES
 *   labels                 a category path, tag, role or segment, case
 *                          folded, at most 237 bytes (an index term)
 *   YAML front matter      nested at most KBS_MAX_YAML_DEPTH deep, no
 *                          aliases, one document
 *   JSON                   nested at most 2048 deep (jansson's bound)
 *   folders                walked at most 32 levels deep
 *
 * Synonyms (kbs_synonyms_load): at most 1 MiB per language, 8 words per
 * entry, 64 entries per rule.
 *
 * Events: article ids as above; a search line of kbs_events_import holds
 * at most 64 tags and 64 roles.
 */

/* Longest accepted query text, in bytes; longer is KBS_EINVALID. */
#define KBS_MAX_QUERY_BYTES 4096
/* Largest accepted article (title + body + fields), in bytes. */
#define KBS_MAX_ARTICLE_BYTES (8u * 1024u * 1024u)
/* Longest article id. */
#define KBS_MAX_ID_BYTES 128
/* Longest title, in bytes (after trimming). */
#define KBS_MAX_TITLE_BYTES 1000
/* Deepest category path ("A/B/C" has 3 levels), and longest level. */
#define KBS_MAX_CATEGORY_LEVELS 8
#define KBS_MAX_CATEGORY_LEVEL_BYTES 100
/* Most entries in tags, audience or segments, and longest entry. */
#define KBS_MAX_LIST_ITEMS 100
#define KBS_MAX_LIST_ITEM_BYTES 100
/* Deepest nesting of a Markdown article's YAML front matter: more than any
 * article needs (2), far below what would hurt the parser. */
#define KBS_MAX_YAML_DEPTH 64
/* Most results one search returns (limit is clamped to it). */
#define KBS_MAX_LIMIT 1000
/* A read (search, answer, suggest, article, stats) whose state commits
 * overwrite while it runs starts again at the newest state, up to this many
 * attempts in all before it returns KBS_ERETRY. */
#define KBS_READ_ATTEMPTS 8

/* ------------------------------------------------------------------------ */
/* Knowledge base                                                            */
/* ------------------------------------------------------------------------ */

/* An opened knowledge base: a directory holding the index and everything
 * else of one help center. Opaque. */
typedef struct kbs_kb kbs_kb;

enum kbs_open_flags {
	/* Create the directory and an empty index when missing. Without it, a
	 * missing knowledge base is KBS_ENOTFOUND. */
	KBS_OPEN_CREATE = 1u << 0,
	/* Record nothing: searches with a session are not logged and the
	 * event calls fail with KBS_ERROR (a read-only deployment, say). */
	KBS_OPEN_NO_EVENTS = 1u << 1
};

#define KBS_OPEN_OPTS_VERSION 1
typedef struct kbs_open_opts {
	unsigned version;
	/* Bitwise OR of kbs_open_flags. */
	unsigned flags;
	/* Retention of the events log, in milliseconds: older events are
	 * purged when the handle opens and then every hour while it stays
	 * open. 0: keep everything. */
	int64_t events_retention;
	/* Most events waiting for the background writer (see kbs_event_log);
	 * 0: 8192. */
	size_t events_queue;
} kbs_open_opts;
#define KBS_OPEN_OPTS_INIT { KBS_OPEN_OPTS_VERSION, 0, 0, 0 }

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
 * set made from it must be freed first. Events still queued for the log are
 * written first (see kbs_events_flush). Accepts NULL. Not thread-safe with
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
 * bad options), KBS_ERETRY (commits overwrote the state being read
 * KBS_READ_ATTEMPTS times in a row, each time it was read again at the
 * newest state: writes this fast starve readers),
 * KBS_EIO (damaged index), KBS_ENOMEM. Messages through kbs_errmsg(kb).
 *
 * Thread-safe: any number of threads may search the same handle at once,
 * also while an indexer commits; each search sees one committed state. */
KBS_EXPORT kbs_status kbs_search(kbs_results **out, kbs_kb *kb,
				 const char *text, const kbs_search_opts *opts);

/* Number of hits in this page (<= limit). */
KBS_EXPORT size_t kbs_results_count(const kbs_results *r);
/* Estimated number of matching articles visible to the caller: exact up to
 * 5 000 matches; past that, the matches counted scaled by the share of the
 * index read to find them. With KBS_SEARCH_NO_FACETS the engine stops
 * counting once the best hits are sure, and the figure is rougher. */
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

/* Facet counts over the visible matches (not only this page), biggest
 * first: over every match when there are at most 5000, else over the first
 * 5000 in index order (counting more would cost every search of a common
 * word milliseconds). Categories are counted at each level ("Compte" and
 * "Compte/Connexion"). */
KBS_EXPORT size_t kbs_results_facet_count(const kbs_results *r, kbs_facet facet);
KBS_EXPORT const char *kbs_results_facet_label(const kbs_results *r, kbs_facet facet, size_t i);
KBS_EXPORT uint64_t kbs_results_facet_value(const kbs_results *r, kbs_facet facet, size_t i);

/* Frees a result set. Accepts NULL. */
KBS_EXPORT void kbs_results_free(kbs_results *r);

/* ------------------------------------------------------------------------ */
/* Suggestions, answers and synonyms                                         */
/* ------------------------------------------------------------------------ */

/* What kbs_search understands in the user's text, besides words:
 * - "a quoted phrase" (straight, curly or « French » quotes) must appear
 *   as written, word for word (accents and case aside);
 * - -word (a minus at the start of a word) excludes articles with that
 *   word; -"a phrase" excludes the phrase;
 * - anything else is plain text: an unbalanced quote is ignored, a lone
 *   minus is nothing, and a query of exclusions only is searched as words.
 * Every word may also match:
 * - in French, the other forms of its lemma ("sent" finds "sens", both of
 *   "sentir"; "recevoir" finds "recevez"), as the word itself, unless it is
 *   a lemma of its own too ("courant", "été"); the dictionary is loaded
 *   by the first French search of a handle (about 15 MB, once);
 * - its synonyms (kbs_synonyms_load), ranked a little below the word itself;
 * - when it is not in the index, its close spellings: 1 edit from 4
 *   letters, 2 from 8 (a transposition is one edit); the first letter only
 *   changes as one of two edits, so short words keep it; ranked below
 *   exact matches. When the query as typed finds little, or its best hit
 *   only matched a word by a close spelling, the corrected query runs and
 *   kbs_results_corrected_query() gives its text;
 * - when it is the last word and the text does not end with a space or
 *   punctuation (search as you type), any longer word it begins
 *   ("resil" finds "résiliation").
 * Articles written for one of kbs_search_opts.segments rise a little; the
 * others are still found. */

/* Synonyms, in the Solr synonyms.txt format, one set per language:
 *
 *   # comment
 *   mot de passe, mdp, code d'accès   equivalent entries (several words allowed)
 *   annuler, arrêter => résilier      one-way: the left finds the right only
 *
 * `\` escapes the next character ("\,"). Entries are analysed like queries
 * (case, accents, plural, elision do not matter). Synonyms apply at query
 * time, to the queries of that language (and to queries without a language
 * on a knowledge base that has articles in it): loading never needs a
 * re-index.
 *
 * Loads `text` (len bytes) as the set of language `lang` (ISO 639-1,
 * e.g. "fr"), replacing the one in force; empty text removes the set. The
 * set is kept in the knowledge-base directory (synonyms.LANG.txt, written
 * whole then renamed into place): every handle on this knowledge base, in
 * this process or another, uses the new set from its next search. Returns
 * KBS_EINVALID (bad language code; a bad line, with "synonyms.LANG.txt:LINE:
 * message" in kbs_errmsg: invalid UTF-8, an empty entry, a second "=>", a
 * line with one entry, an entry with no word or more than 8, over 1 MiB),
 * KBS_EIO (cannot write the directory), KBS_ENOMEM. Nothing changes on
 * failure. Thread-safe. */
KBS_EXPORT kbs_status kbs_synonyms_load(kbs_kb *kb, const char *lang, const char *text,
					size_t len);

/* The same from a file. lang NULL: taken from a file named synonyms.LANG.txt
 * (KBS_EINVALID when the name does not say). Error lines name `path`.
 * Also KBS_ENOTFOUND when there is no such file. */
KBS_EXPORT kbs_status kbs_synonyms_load_file(kbs_kb *kb, const char *lang, const char *path);

/* The synonyms in force as a JSON object, one array per language (lang
 * NULL: every language that has a set), each rule with its line:
 *   {"fr": [{"line": 2, "synonyms": ["mot de passe", "mdp"]},
 *           {"line": 3, "from": ["annuler"], "to": ["résilier"]}]}
 * malloc'd into *out (kbs_string_free). Returns KBS_EINVALID (bad language
 * code, or a set file edited by hand into a bad one: the message says
 * where), KBS_EIO, KBS_ENOMEM. Thread-safe. */
KBS_EXPORT kbs_status kbs_synonyms_json(char **out, kbs_kb *kb, const char *lang);

/* Completions of what a visitor is typing, for a search box. */
#define KBS_SUGGEST_OPTS_VERSION 1
typedef struct kbs_suggest_opts {
	unsigned version;
	const char *lang;         /* only this language; NULL: all */
	const char *const *roles; /* caller's roles, as in kbs_search */
	size_t nroles;
	size_t limit;             /* 0: 5; at most 50 */
} kbs_suggest_opts;
#define KBS_SUGGEST_OPTS_INIT { KBS_SUGGEST_OPTS_VERSION, NULL, NULL, 0, 5 }

/* Defaults for the given version; see kbs_open_opts_init. */
KBS_EXPORT kbs_status kbs_suggest_opts_init(kbs_suggest_opts *opts, unsigned version);

/* A list of suggestions. Opaque; read-only once made (any thread may read
 * it); freed with kbs_suggestions_free. */
typedef struct kbs_suggestions kbs_suggestions;

/* Completions of `prefix` from two sources, merged without duplicates:
 *
 * - Titles: every word of the prefix is in the title (the complete ones by
 *   their stem: "factures en li" finds "Recevoir sa facture en ligne"),
 *   the last one as the beginning of a title word. Titles that begin with
 *   the first word come first, then shorter ones. The id is the article's.
 * - Popular answered queries, when the knowledge base has an events store:
 *   texts visitors searched (the last search of a search intent, with
 *   results and confident) that complete the prefix word by word, folded
 *   like titles (case and accents). A text is suggested only when at least
 *   3 distinct sessions typed it (the reports' k), counting only searches
 *   made with roles the caller has (a text typed by agents is never
 *   suggested to the public); never a text that held personal data. Its
 *   id is NULL: a query to run, not an article to open. They take at most
 *   half of the list, before the titles of their rank (texts that begin
 *   with the first word, then the others), most sessions first; a query
 *   that is an article's title shows once, as the title.
 *
 * Articles the caller's roles may not see are never suggested. An empty
 * prefix suggests nothing. The queries come from a table held in memory:
 * built by the first suggest (which reads the store, when the file exists,
 * and never creates one), refreshed by the events writer after it writes
 * searches (before kbs_events_flush returns), or, on a handle that logs
 * nothing, re-read at most once a minute. Returns KBS_EINVALID (prefix longer than
 * KBS_MAX_QUERY_BYTES, invalid UTF-8, bad options), KBS_ERETRY, KBS_EIO,
 * KBS_ENOMEM. Thread-safe, like kbs_search. */
KBS_EXPORT kbs_status kbs_suggest(kbs_suggestions **out, kbs_kb *kb, const char *prefix,
				  const kbs_suggest_opts *opts);
KBS_EXPORT size_t kbs_suggestions_count(const kbs_suggestions *s);
/* The text to show (a title or a query); borrowed until
 * kbs_suggestions_free. */
KBS_EXPORT const char *kbs_suggestions_text(const kbs_suggestions *s, size_t i);
/* The article it leads to; NULL for a suggested query (not an article). */
KBS_EXPORT const char *kbs_suggestions_id(const kbs_suggestions *s, size_t i);
/* Accepts NULL. */
KBS_EXPORT void kbs_suggestions_free(kbs_suggestions *s);

/* Answer mode, for a chatbot or a voice assistant: the single best article
 * for `question` and its best passage, only when the engine is confident.
 * *out is a result set (read with the kbs_results_* getters) with one hit
 * and kbs_results_passage(r, 0) when confident, with no hit otherwise
 * (kbs_results_confident(r) says which; a question that is not answered is
 * not an error). opts as in kbs_search (limit and offset are ignored);
 * errors as kbs_search. Thread-safe. */
KBS_EXPORT kbs_status kbs_answer(kbs_results **out, kbs_kb *kb, const char *question,
				 const kbs_search_opts *opts);

/* The paragraph of hit i's body that best answers the question (a heading
 * comes with the paragraph it introduces, a list whole), as plain text;
 * NULL for results of kbs_search. Borrowed until kbs_results_free. */
KBS_EXPORT const char *kbs_results_passage(const kbs_results *r, size_t i);

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

/* ------------------------------------------------------------------------ */
/* Events and reports                                                        */
/* ------------------------------------------------------------------------ */

/*
 * The events log (KB/events.sqlite) records what visitors searched, read,
 * voted and whether they still opened a support ticket; the reports read it
 * back as content gaps, deflection per article and a summary. The
 * definitions are those of the design ("Events and metrics"); the README's
 * "Analytics" section restates them.
 *
 * Writing never waits on the disk: a logged search or event is copied into
 * a bounded in-memory queue that a background thread writes to the store
 * in batches, one transaction each. When the queue is full (the disk is far
 * behind), a search is still answered and its record is dropped and
 * counted (kbs_events_dropped); kbs_event_log says KBS_ERETRY instead.
 * Nothing is written when the handle was opened with KBS_OPEN_NO_EVENTS.
 *
 * Privacy: every stored text (query, vote comment) is redacted first
 * (kbs_redact); session ids are stored only as keyed hashes, with a secret
 * made for this knowledge base on first use (KB/events.key); reports show a
 * query text only when enough distinct sessions typed it.
 *
 * Times are milliseconds since the Unix epoch, UTC; 0 means "now".
 */

/* Searches log themselves: a kbs_search whose options carry `session` is
 * recorded, with `at` as its time. */

/* Reads an ISO 8601 date ("2026-03-01", midnight UTC) or date-time
 * ("2026-03-01T09:30:00Z", "2026-03-01T10:30+01:00"; UTC when no zone is
 * given) into milliseconds since the epoch, the unit of every time in this
 * API. The date must exist (no 2026-02-30). Returns KBS_EINVALID otherwise.
 * Thread-safe. */
KBS_EXPORT kbs_status kbs_time_parse(int64_t *out, const char *text);

typedef enum kbs_event_type {
	KBS_EVENT_VIEW = 1,     /* an article was opened */
	KBS_EVENT_VOTE = 2,     /* "was this helpful?" yes or no */
	KBS_EVENT_TICKET = 3,   /* the visitor opened a support ticket */
	KBS_EVENT_RESOLVED = 4  /* the visitor said an article solved it */
} kbs_event_type;

#define KBS_EVENT_VERSION 1
typedef struct kbs_event {
	unsigned version;
	kbs_event_type type;
	/* The visitor's session, as the host knows it: required. */
	const char *session;
	/* When it happened (ms since the epoch); 0: now. */
	int64_t at;
	/* The article: required for view, vote and resolved; optional for a
	 * ticket. */
	const char *article;
	/* The search the visitor came from (kbs_results_search_id), when
	 * any: it links a view to the hit that was shown. */
	const char *search_id;
	/* vote: 1 helpful, 0 not helpful. */
	int helpful;
	/* vote: optional free text; redacted before it is stored. */
	const char *comment;
} kbs_event;
#define KBS_EVENT_INIT { KBS_EVENT_VERSION, KBS_EVENT_VIEW, NULL, 0, NULL, NULL, 0, NULL }

/* Records one host event. Strings are copied: they are the caller's again
 * when this returns. The event is queued, not yet on disk (kbs_events_flush).
 *
 * Returns KBS_EINVALID (no session, a missing or malformed article id, an
 * unknown type or version, invalid UTF-8), KBS_ERETRY (the queue is full:
 * nothing was recorded; try again later), KBS_ERROR (events are off for
 * this handle), KBS_EIO (the events store cannot be opened), KBS_ENOMEM.
 * Messages through kbs_errmsg(kb). Thread-safe; never waits on the disk. */
KBS_EXPORT kbs_status kbs_event_log(kbs_kb *kb, const kbs_event *ev);

/* Returns once everything queued before the call (searches and events, from
 * any thread) is durable in the store: written and synced, so a crash of
 * the process or of the machine afterwards loses none of it.
 *
 * Returns KBS_EIO when the writer failed since the last flush (disk full,
 * read-only store; those records are lost and the message says how many),
 * KBS_OK otherwise (also when events are off). Thread-safe. */
KBS_EXPORT kbs_status kbs_events_flush(kbs_kb *kb);

/* How many logged searches were dropped because the queue was full, since
 * the handle was opened. Thread-safe. */
KBS_EXPORT uint64_t kbs_events_dropped(const kbs_kb *kb);

/* Deletes every search and event older than `before` (ms since the epoch;
 * kept: at >= before), after flushing the queue. *out (may be NULL)
 * receives how many rows went. Returns KBS_EIO, KBS_ELOCKED (another
 * process held the store too long), KBS_ERROR (events off). Thread-safe. */
KBS_EXPORT kbs_status kbs_events_purge(uint64_t *out, kbs_kb *kb, int64_t before);

/* Erases every search and event of one session (as the host knows it), for
 * a visitor who asks for it; flushes first. *out (may be NULL) receives how
 * many rows went. Returns KBS_EINVALID (no session), as kbs_events_purge
 * otherwise. Thread-safe. */
KBS_EXPORT kbs_status kbs_events_erase(uint64_t *out, kbs_kb *kb, const char *session);

/* The escalation trail of one session, for the support agent who picks up
 * its ticket, as a JSON object malloc'd into *out (kbs_string_free):
 *   {"session": "<hash>", "events": [
 *     {"at": "2026-03-02T10:00:00Z", "type": "search", "query": "...",
 *      "results": 3, "confident": false, "reason": "low_confidence"},
 *     {"at": ..., "type": "view", "article": "id", "title": "..."},
 *     {"at": ..., "type": "vote", "article": "id", "title": "...",
 *      "helpful": false, "comment": "..."},
 *     {"at": ..., "type": "ticket"}, ...]}
 * oldest first; texts as stored (redacted). Titles are looked up whatever
 * the article's audience: this is a support agent's view. An unknown
 * session has an empty list. Flushes first. Thread-safe. */
KBS_EXPORT kbs_status kbs_events_trail_json(char **out, kbs_kb *kb, const char *session);

/* What an import did. */
typedef struct kbs_events_import_summary {
	uint64_t imported; /* lines recorded */
	uint64_t rejected; /* bad lines, reported through diag and skipped */
} kbs_events_import_summary;

/* Imports events from a JSONL file, one object per line:
 *   {"type": "view"|"vote"|"ticket"|"resolved", "session": "...",
 *    "at": "2026-03-02T10:00:00Z", "article": "...", "search_id": "...",
 *    "helpful": true, "comment": "..."}
 *   {"type": "search", "session": "...", "at": ..., "query": "...",
 *    "lang": "fr", "category": "...", "tags": [...], "kind": "...",
 *    "roles": [...]}
 * with the fields of kbs_event (and of kbs_search_opts for a search; "at"
 * is ISO 8601, UTC unless it says otherwise; missing: now). A search line
 * runs the search on the index as it is now, so that its results,
 * confidence and unanswered reason are recorded as for a live one. Blank
 * lines are skipped. A bad line is reported through diag as FILE:LINE and
 * skipped. Waits for room in the queue rather than drop anything, and
 * flushes before returning. *out may be NULL.
 *
 * Returns KBS_ENOTFOUND / KBS_EIO (the file), KBS_ERROR (events off),
 * KBS_ENOMEM; rejected lines alone are not a failure. Thread-safe. */
KBS_EXPORT kbs_status kbs_events_import(kbs_events_import_summary *out, kbs_kb *kb,
					const char *path, kbs_diag_cb diag, void *payload);

/* `text` with personal data replaced: emails by <email>; phone numbers
 * (French: 06 12 34 56 78, 06.12.34.56.78, 0612345678, +33 6 12 34 56 78,
 * 0033 6 12 34 56 78; international: + and 8 to 15 digits) by <phone>;
 * Luhn-valid card numbers of 13 to 19 digits (spaces or dashes allowed) by
 * <card>; IBANs with a valid mod-97 checksum (spaces allowed) by <iban>;
 * what remains of 8 digits or more in a row by <number>. Shorter numbers
 * stay ("commande 4521"). This is what the log stores. Malloc'd into *out
 * (kbs_string_free). Returns KBS_EINVALID (NULL text), KBS_ENOMEM.
 * Thread-safe. */
KBS_EXPORT kbs_status kbs_redact(char **out, const char *text);

typedef enum kbs_report_kind {
	/* Unanswered searches by query key, most sessions first. */
	KBS_REPORT_GAPS = 0,
	/* Views, deflection, votes and click-through per article. */
	KBS_REPORT_ARTICLES = 1,
	/* The whole period in one object. */
	KBS_REPORT_SUMMARY = 2
} kbs_report_kind;

typedef enum kbs_report_format {
	KBS_FORMAT_JSON = 0,
	KBS_FORMAT_TABLE = 1, /* aligned text for a terminal */
	KBS_FORMAT_CSV = 2,   /* RFC 4180, a header line first */
	/* One self-contained HTML page (inline CSS and SVG, no external
	 * asset) with all three reports, whatever the kind asked: the
	 * summary with its trends, the top gaps as a bar chart, deflection
	 * per article with its interval. */
	KBS_FORMAT_HTML = 3
} kbs_report_format;

#define KBS_REPORT_OPTS_VERSION 1
typedef struct kbs_report_opts {
	unsigned version;
	/* The period [since, until), ms since the epoch. until 0: now;
	 * since 0: 30 days before until. Trends compare it with the period
	 * of the same length just before. */
	int64_t since, until;
	/* Deflection window W in ms; 0: 24 hours. */
	int64_t window;
	/* The reader's roles ("public" always holds): articles the reader
	 * may not see, and searches made with roles the reader lacks, are
	 * left out of what the report names. */
	const char *const *roles;
	size_t nroles;
	/* A query text or key is shown only when at least this many
	 * distinct sessions typed it; 0: 3. */
	unsigned min_sessions;
	/* Most rows of gaps or articles; 0: all. */
	size_t limit;
} kbs_report_opts;
#define KBS_REPORT_OPTS_INIT { KBS_REPORT_OPTS_VERSION, 0, 0, 0, NULL, 0, 0, 0 }

/* Defaults for the given version; see kbs_open_opts_init. */
KBS_EXPORT kbs_status kbs_report_opts_init(kbs_report_opts *opts, unsigned version);

/* Computes a report over the events log and renders it, malloc'd into *out
 * (kbs_string_free). JSON shapes (times ISO 8601 UTC, rates in 0..1, null
 * where a rate has no denominator):
 *   gaps: [{key, sessions, searches, zero_results, unconfident,
 *           reasons: {reason: count}, examples: [text], first_seen,
 *           last_seen, trend: {previous_sessions, direction}}]
 *         direction is "new", "up", "down" or "flat".
 *   articles: [{id, title, views, viewer_sessions, ticketed_sessions,
 *           pending_sessions, confirmed, potential, deflection,
 *           deflection_low, deflection_high, insufficient_data, votes_up,
 *           votes_down, resolved, ctr_impression}]
 *   summary: {searches, intents, sessions, unanswered, no_result_rate,
 *           abandoned, ctr_intent, views, tickets, self_service_ratio}
 * Flushes the queue first, so the report includes everything logged
 * before the call. opts may be NULL (defaults).
 *
 * Returns KBS_EINVALID (bad options, since >= until), KBS_EIO, KBS_ERROR
 * (events off), KBS_ENOMEM. Thread-safe. */
KBS_EXPORT kbs_status kbs_report(char **out, kbs_kb *kb, kbs_report_kind kind,
				 kbs_report_format format, const kbs_report_opts *opts);

#ifdef __cplusplus
}
#endif

#endif /* KBSEARCH_H */
