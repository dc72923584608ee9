/*
 * The Xapian shim: the only C++ in kbsearch, behind this C ABI. Every entry
 * point catches every exception and turns it into a kbs_status and a message.
 *
 * Storage layout (one Xapian database in KB/index):
 *
 * Terms (prefixes follow Xapian's omega conventions, X... for our own):
 *   Q<id>            unique id; replace/delete by id
 *   <word>           folded unstemmed word, positional (title from position
 *                    0, body after a gap of 100): phrases, prefix
 *                    completion and the spelling vocabulary
 *   Z<stem>          folded stem of every text field, wdf weighted by field
 *                    (title 3, tags 3, category 2, body 1): the ranking terms.
 *                    A word with accents also gets the stem of its folded
 *                    form when that differs (Snowball reads accents:
 *                    "élevée" -> Zelev and Zelevee), so that a query typed
 *                    without accents stems to a term the article has
 *   S<stem>          folded stem(s) of title words only: the title boost, a
 *                    separate short posting list so a title match ranks
 *                    above a body match however often the body repeats it
 *   XG<stem>         folded stem(s) of tag words only: a smaller boost than
 *                    the title's, since an editor's keywords say what an
 *                    article is about (kept out of the title lead that
 *                    judges confidence: tags are many and loose)
 *                    Every article with S<stem> or XG<stem> has Z<stem>
 *                    too: counting matches, they add none beside it
 *   XA<exact>        case-folded accented word, only where it differs from
 *                    <word> and is no stop word: an accented query ranks
 *                    accented text first
 *   L<lang>          language (boolean)
 *   XK<kind>         kind (boolean)
 *   XC<path>         folded category path at every level: "XCcompte",
 *                    "XCcompte/connexion" (boolean; subtree filter)
 *   K<tag>           folded tag (boolean)
 *   XR<role>         audience role (boolean; access filter)
 *   XH               (the whole term) an article whose audience lacks public:
 *                    restricted. Each article has XRpublic or XH, so a
 *                    public caller's filter is "without XH", a short list,
 *                    instead of "with XRpublic", nearly every article.
 *   XS<segment>      folded visitor segment (boolean; boost)
 *   XT<word>         folded unstemmed word of the title (boolean): title
 *                    completions for kbs_suggest, which need whole words
 *                    ("resiliati" is longer than the stem "resili")
 *   XP<beginning>    the first 1..5 characters of each title word, and
 *   XF<beginning>    of the title's first word only (both boolean; see
 *                    KBS_PFX_TITLE_PREFIX)
 *
 * Values:
 *   0 KBS_SLOT_HASH     content hash of the article as indexed (hex), to
 *                       skip unchanged articles on re-index
 *   1 KBS_SLOT_UPDATED  "updated" as given (ISO 8601 sorts as text): browse
 *                       order, newest first
 *   2 KBS_SLOT_SOURCE   the file the article came from: --prune
 *   3 KBS_SLOT_FACETS   facet labels, '\n'-separated, each "c:<category
 *                       level>" or "t:<tag>", counted by a match spy
 *   4 KBS_SLOT_SUGGEST  "<id>\t<title>": what a suggestion shows, read
 *                       without parsing the document data (ids have no tab)
 *
 * Document data: the article's fields as one line of compact JSON, then a
 * newline and the body as plain text (for hits, snippets and `kbs show`).
 * The body stays out of the JSON so that a hit parses a few hundred bytes,
 * not the whole article.
 */
#ifndef KBS_STORE_H
#define KBS_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KBS_PFX_ID "Q"
#define KBS_PFX_STEM "Z"
#define KBS_PFX_TITLE "S"
#define KBS_PFX_EXACT "XA"
#define KBS_PFX_LANG "L"
#define KBS_PFX_KIND "XK"
#define KBS_PFX_CATEGORY "XC"
#define KBS_PFX_TAG "K"
#define KBS_PFX_ROLE "XR"
#define KBS_TERM_RESTRICTED "XH"
#define KBS_PFX_SEGMENT "XS"
#define KBS_PFX_TITLE_WORD "XT"
/* The first 1 .. KBS_TITLE_PREFIX_CHARS characters of each title word:
 * suggestions for a word just begun read one posting list instead of
 * expanding "XT" + prefix over every title word it begins. */
#define KBS_PFX_TITLE_PREFIX "XP"
#define KBS_TITLE_PREFIX_CHARS 5
/* The same beginnings of a title's first word only: suggestions find the
 * titles that begin like the prefix first, however many others match. */
#define KBS_PFX_TITLE_FIRST "XF"
#define KBS_PFX_TAG_STEM "XG"

enum {
	KBS_SLOT_HASH = 0,
	KBS_SLOT_UPDATED = 1,
	KBS_SLOT_SOURCE = 2,
	KBS_SLOT_FACETS = 3,
	KBS_SLOT_SUGGEST = 4,
};

/* Word positions of the body start after the title's, with a gap, so a
 * phrase never spans title and body. */
#define KBS_BODY_POS_BASE 100

/* ---- stemming ---- */

typedef struct kbs_store__stemmer kbs_store__stemmer;

/* A Snowball stemmer for ISO 639-1 `lang`. KBS_ENOTFOUND when Xapian has
 * none for it. Not thread-safe: one per thread. */
kbs_status kbs_store__stemmer_new(kbs_store__stemmer **out, const char *lang, kbs_err *err);
void kbs_store__stemmer_free(kbs_store__stemmer *s);
/* Stems word[0..len) into a malloc'd string (NULL: out of memory). */
char *kbs_store__stem(kbs_store__stemmer *s, const char *word, size_t len);
bool kbs_store__has_stemmer(const char *lang);

/* ---- queries: a small tree, built by lib/query, turned into Xapian's ---- */

typedef enum kbs_qop {
	KBS_Q_TERM,     /* term, wqf (0 -> 1) */
	KBS_Q_ALL,      /* every document */
	KBS_Q_OR,
	KBS_Q_AND,
	KBS_Q_SYNONYM,  /* kids are alternatives of one word */
	KBS_Q_AND_NOT,  /* kids[0] without any of kids[1..] */
	KBS_Q_AND_MAYBE,/* kids[0], weighted up by kids[1..] */
	KBS_Q_FILTER,   /* kids[0], restricted to kids[1..] without weight */
	KBS_Q_PHRASE,   /* kids in order within `window` (0: exact) */
	KBS_Q_SCALE,    /* kids[0] weighted by `scale` */
	KBS_Q_WILDCARD, /* terms starting with `term`, at most `max_expansion` */
	KBS_Q_CONST,    /* every document, with the constant weight `scale`
			 * (boolean terms weigh nothing: FILTER(CONST, terms)
			 * is how a boolean term adds weight) */
	/* kids[0], a filter (no weight) that many searches share, such as who
	 * may see what or an article's language. The store keeps the
	 * documents it matches per index revision as a set of docids, made
	 * by the first search that meets it (one pass over them), and
	 * filters by that set, skipping through it as through a term's
	 * posting list: walking the posting lists of a language and the
	 * access terms at every candidate was a third of a search at 100 000
	 * articles. */
	KBS_Q_KEPT,
} kbs_qop;

typedef struct kbs_qnode {
	kbs_qop op;
	const char *term;
	unsigned wqf;
	double scale;
	unsigned window;
	unsigned max_expansion;
	struct kbs_qnode **kids;
	size_t nkids;
} kbs_qnode;

/* ---- reading ---- */

typedef struct kbs_store__reader kbs_store__reader;

/* What the readers of one index share, for its newest revision: the facet
 * labels of the documents their searches counted (8 bytes a document and
 * 4 a label: with the vocabulary, 11 MB more peak RSS searching a million
 * generated articles, bench/run.sh --size 1m) and the terms of
 * each bucket kbs_store__each_term walked (the vocabulary). Thread-safe.
 * NULL: out of memory. Freed after every reader that uses it. */
typedef struct kbs_store__shared kbs_store__shared;
kbs_store__shared *kbs_store__shared_new(void);
void kbs_store__shared_free(kbs_store__shared *s);

/* Opens the index in `dir` read-only, sharing `shared` with the other
 * readers of that index. KBS_ENOTFOUND when there is none, KBS_EIO when it
 * is damaged or unreadable. One thread at a time. */
kbs_status kbs_store__reader_open(kbs_store__reader **out, const char *dir,
				  kbs_store__shared *shared, kbs_err *err);
void kbs_store__reader_free(kbs_store__reader *r);
/* Moves to the latest committed state (cheap when nothing changed). */
kbs_status kbs_store__reader_refresh(kbs_store__reader *r, kbs_err *err);
/* After a read failed with KBS_ERETRY ("the revision being read has been
 * discarded"): whether a newer revision has been committed since r
 * opened its own, and r moves to it. False means no commit overwrote what
 * r read, so the index itself is damaged (the engine found a block
 * stamped with a later revision than any committed). */
bool kbs_store__reader_behind(kbs_store__reader *r);

uint64_t kbs_store__doccount(kbs_store__reader *r);
uint64_t kbs_store__termfreq(kbs_store__reader *r, const char *term);
/* How many documents have both terms: exact when the rarer of the two is
 * in at most scan_max documents, else extrapolated from the first scan_max
 * of them (a bounded cost on a big index). 0 on any error. */
uint64_t kbs_store__termfreq_both(kbs_store__reader *r, const char *a, const char *b,
				  uint64_t scan_max);

/* The document data of the document indexed by `idterm` (malloc'd into
 * *out, length in *len). KBS_ENOTFOUND when none. */
kbs_status kbs_store__get_data(kbs_store__reader *r, const char *idterm, char **out,
			       size_t *len, kbs_err *err);
/* The document data of docid (malloc'd into *out, length in *len). */
kbs_status kbs_store__hit_data(kbs_store__reader *r, uint32_t docid, char **out, size_t *len,
			       kbs_err *err);
/* Whether the document indexed by idterm also has `term`. */
kbs_status kbs_store__doc_has_term(kbs_store__reader *r, const char *idterm,
				   const char *term, bool *out, kbs_err *err);

/* Calls cb for each term starting with prefix, with its term frequency,
 * in byte order. cb returns KBS_OK, KBS_STOP, or an error that propagates.
 * A prefix with a character after its uppercase letters is answered from
 * the bucket of that character, read from the index once per revision and
 * shared (kbs_store__shared). */
kbs_status kbs_store__each_term(kbs_store__reader *r, const char *prefix,
				kbs_status (*cb)(const char *term, uint64_t freq, void *payload),
				void *payload, kbs_err *err);

/* The same read from the index at each call, never kept: for a caller
 * that keeps what it derives (kbs_store__derived) from a few terms,
 * where a bucket would read and hold a whole letter's. */
kbs_status kbs_store__walk_terms(kbs_store__reader *r, const char *prefix,
				 kbs_status (*cb)(const char *term, uint64_t freq, void *payload),
				 void *payload, kbs_err *err);

/* What a caller derives from the vocabulary of a reader's revision (the
 * other forms of a word: lib/query/lemmas.c), made once per revision and
 * `key` by make() and shared by every reader at that revision through
 * their kbs_store__shared. make runs without any lock held (it may read
 * the index through r; two threads may both make it, one is kept) and
 * sets *obj, which release() frees once no caller holds it and a newer
 * revision has replaced it. *out stays valid until kbs_store__derived_put
 * (*ref). Returns make's failure, or KBS_ENOMEM. Thread-safe as readers
 * are: one thread per reader. */
typedef struct kbs_store__derived_ref kbs_store__derived_ref;
kbs_status kbs_store__derived(kbs_store__reader *r, const char *key,
			      kbs_status (*make)(void *arg, void **obj, kbs_err *err),
			      void (*release)(void *obj), void *arg, const void **out,
			      kbs_store__derived_ref **ref, kbs_err *err);
void kbs_store__derived_put(kbs_store__derived_ref *ref);

typedef struct kbs_store__search_req {
	const kbs_qnode *query;  /* NULL: every document */
	const kbs_qnode *filter; /* NULL: none; applied without weight */
	size_t offset, limit;
	/* Look at this many matches at least: facet counts and the total are
	 * exact below it. */
	size_t check_at_least;
	bool facets;
	/* Fill hit.terms with the query's terms each hit has, plus those of
	 * `probe` it has (e.g. its language term). Read from the terms'
	 * posting lists, walked once in docid order over all hits: reading
	 * each hit's term list instead (Xapian's get_matching_terms) inflates
	 * every candidate's whole list and was a third of a search. */
	bool matching_terms;
	const char *const *probe;
	size_t nprobe;
	bool sort_by_updated;    /* newest first, then relevance */
	/* No ranking: any `limit` matches, in docid order. The engine stops
	 * at the limit instead of weighing every match (suggestions rank
	 * their candidates themselves). */
	bool unranked;
	/* 0: hit.data is the document data; n > 0: it is value slot n - 1
	 * (cheaper, e.g. KBS_SLOT_SUGGEST + 1). */
	unsigned data_slot;
	/* Leave hit.data NULL: the caller fetches the data of the few hits it
	 * shows (kbs_store__hit_data), not of every candidate it ranks. */
	bool no_data;
	/* Only the count: the estimate and the facets, no hits. The second
	 * half of a search whose ranked half ran with `facets` false, for a
	 * caller that first looks at the hits to decide whether to count. */
	bool count_only;
} kbs_store__search_req;

typedef struct kbs_store__hit {
	uint32_t docid;
	double weight;
	char *data;
	size_t data_len;
	char **terms; /* matching query terms, when asked */
	size_t nterms;
} kbs_store__hit;

typedef struct kbs_store__facet {
	char *label; /* an entry of KBS_SLOT_FACETS, e.g. "c:Compte" */
	uint64_t count;
} kbs_store__facet;

typedef struct kbs_store__result {
	kbs_store__hit *hits;
	size_t nhits;
	uint64_t estimate;
	double max_possible; /* the most weight any document could get */
	kbs_store__facet *facets; /* sorted by count desc, then label */
	size_t nfacets;
} kbs_store__result;

kbs_status kbs_store__search(kbs_store__reader *r, const kbs_store__search_req *req,
			     kbs_store__result *out, kbs_err *err);
void kbs_store__result_free(kbs_store__result *res);

/* ---- writing ---- */

typedef struct kbs_store__doc kbs_store__doc;

kbs_store__doc *kbs_store__doc_new(void); /* NULL: out of memory */
void kbs_store__doc_free(kbs_store__doc *d);
/* The doc_* calls return false only when out of memory. */
bool kbs_store__doc_term(kbs_store__doc *d, const char *term, unsigned wdf);
bool kbs_store__doc_posting(kbs_store__doc *d, const char *term, unsigned pos, unsigned wdf);
bool kbs_store__doc_boolean(kbs_store__doc *d, const char *term);
bool kbs_store__doc_value(kbs_store__doc *d, unsigned slot, const char *v, size_t len);
bool kbs_store__doc_data(kbs_store__doc *d, const char *v, size_t len);

typedef struct kbs_store__writer kbs_store__writer;

/* Opens (creating when `create`) the index in `dir` for writing and starts
 * a transaction. KBS_ELOCKED when another writer has it, KBS_ENOTFOUND,
 * KBS_EIO. */
kbs_status kbs_store__writer_open(kbs_store__writer **out, const char *dir, bool create,
				  kbs_err *err);
/* Discards an uncommitted transaction and releases the lock. */
void kbs_store__writer_free(kbs_store__writer *w);
/* Adds or replaces the document indexed by idterm; *existed says which. */
kbs_status kbs_store__writer_replace(kbs_store__writer *w, const char *idterm,
				     kbs_store__doc *d, bool *existed, kbs_err *err);
/* Deletes by idterm; *existed false when there was nothing. */
kbs_status kbs_store__writer_delete(kbs_store__writer *w, const char *idterm,
				    bool *existed, kbs_err *err);
/* Value `slot` of the document indexed by idterm, malloc'd; *out NULL when
 * there is no such document. */
kbs_status kbs_store__writer_value(kbs_store__writer *w, const char *idterm, unsigned slot,
				   char **out, kbs_err *err);
/* Calls cb(idterm, value of slot) for every document. */
kbs_status kbs_store__writer_each(kbs_store__writer *w, unsigned slot,
				  kbs_status (*cb)(const char *idterm, const char *value,
						   void *payload),
				  void *payload, kbs_err *err);
/* Commits the transaction: all of the batch becomes visible at once. In
 * bulk mode (below), compacts the shards into the new index instead. */
kbs_status kbs_store__writer_commit(kbs_store__writer *w, kbs_err *err);

/* ---- bulk loading ----
 *
 * A batch that fills an empty index skips the writer's transaction: its
 * documents go into private shard databases, each a run of consecutive
 * articles, which several threads build at once; commit compacts the
 * shards, in run order, into a new database and swaps it with the empty
 * index in one rename (renameat2 RENAME_EXCHANGE). Docids follow the batch
 * order, as they would have one document at a time, so ties rank alike.
 * Why: a transaction buffers its postings in maps that grow slower to
 * update with every document until Xapian flushes them (every 10 000
 * documents, a threshold only the environment can change), whereas a
 * shard commits every few hundred; the threads use both cores; compaction
 * writes full blocks, so the index is smaller. Shards live in a directory
 * beside the index ("<index>.bulk-XXXXXX", in the knowledge base), removed
 * when the writer is freed, or by the next writer after a crash. */

typedef struct kbs_store__shard kbs_store__shard;

/* Whether the index has no documents (a batch may then load in bulk). */
bool kbs_store__writer_is_empty(kbs_store__writer *w);
/* Puts the writer in bulk mode (makes the shards' directory). From then
 * on, documents go through shards; writer_replace/delete/value/each must
 * not be called. KBS_EIO. */
kbs_status kbs_store__writer_bulk_begin(kbs_store__writer *w, kbs_err *err);
/* Creates shard `run` (commit orders shards by run; one shard per run).
 * Thread-safe with respect to other shards: it only reads the writer. */
kbs_status kbs_store__shard_new(kbs_store__shard **out, kbs_store__writer *w, unsigned run,
				kbs_err *err);
/* Adds the document indexed by idterm (adds idterm to d). */
kbs_status kbs_store__shard_add(kbs_store__shard *s, const char *idterm, kbs_store__doc *d,
				kbs_err *err);
/* Commits the shard and closes it; it is then part of the batch. */
kbs_status kbs_store__shard_close(kbs_store__shard *s, kbs_err *err);
/* Frees a shard. One that was not closed must not be committed: the
 * caller drops the batch. */
void kbs_store__shard_free(kbs_store__shard *s);
/* In bulk mode, with every shard closed: deletes the document indexed by
 * idterm from the shards; *existed false when none had it. */
kbs_status kbs_store__writer_bulk_delete(kbs_store__writer *w, const char *idterm,
					 bool *existed, kbs_err *err);

/* Bytes used by the index files under dir (0 when unreadable). */
uint64_t kbs_store__dir_bytes(const char *dir);

#ifdef __cplusplus
}
#endif

#endif
