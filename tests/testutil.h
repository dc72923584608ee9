/*
 * Helpers shared by the cmocka tests: temporary knowledge bases on disk and
 * assertions that print the library's own error text on failure.
 */
#ifndef KBS_TESTUTIL_H
#define KBS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kbsearch.h"

/* Source tree root and sample corpus, from meson. */
#ifndef KBS_SOURCE_ROOT
#error "KBS_SOURCE_ROOT must be defined by the build"
#endif
#define KBS_CORPUS KBS_SOURCE_ROOT "/corpus"

/* Runs a kbs_* call on kb; on failure prints kbs_errmsg(kb) and fails. */
#define assert_kbs_ok(kb, expr)                                                   \
	do {                                                                      \
		kbs_status rc_ = (expr);                                          \
		if (rc_ != KBS_OK)                                                \
			fail_msg("%s -> %s: %s", #expr, kbs_status_str(rc_),       \
				 (kb) ? kbs_errmsg(kb) : "");                      \
	} while (0)

/* A fresh temporary directory (malloc'd path); removed by tu_rmtree. */
char *tu_tmpdir(void);
/* Removes a directory tree; ignores errors. */
void tu_rmtree(const char *path);
/* Writes a file (creating parent directories); fails the test on error. */
void tu_write(const char *dir, const char *name, const char *content);
/* Joins dir and name into a malloc'd path. */
char *tu_path(const char *dir, const char *name);

/* Collected indexing diagnostics, as "FILE:LINE: message" lines. */
typedef struct tu_diags {
	char **lines;
	size_t n;
} tu_diags;
void tu_diag_cb(kbs_diag_level level, const char *file, unsigned line,
		const char *message, void *payload);
/* Whether some collected line contains `needle`. */
int tu_diags_has(const tu_diags *d, const char *needle);
void tu_diags_free(tu_diags *d);

/* Opens (creating) a KB in dir and indexes the given paths in one batch;
 * fails the test on error. Returns the open KB. */
kbs_kb *tu_kb_index(const char *dir, const char *const *paths, size_t n,
		    kbs_index_summary *summary, tu_diags *diags);

/* A small knowledge base of one JSONL text, in a temporary directory; any
 * indexing diagnostic fails the test. */
typedef struct tu_mini {
	char *dir;
	kbs_kb *kb;
} tu_mini;
tu_mini tu_mini_kb(const char *jsonl);
/* The same of the JSONL built in *jsonl, which it frees; a buffer that ran
 * out of memory fails the test. */
struct kbs_buf;
tu_mini tu_mini_buf(struct kbs_buf *jsonl);
void tu_mini_free(tu_mini *m);
/* Replaces the mini knowledge base's articles with `jsonl` through its own
 * handle (a pruning batch), as a host re-indexing while searching. */
void tu_mini_reindex(tu_mini *m, const char *jsonl);

/* Opens an existing knowledge base with the given kbs_open_flags; fails the
 * test on error. */
kbs_kb *tu_open(const char *dir, unsigned flags);

/* Searches kb (opts may be NULL); fails the test on error. */
kbs_results *tu_search(kbs_kb *kb, const char *text, const kbs_search_opts *o);
/* Where hit `id` ranks in r, from 0; -1 when it is not there. */
long tu_rank_of(const kbs_results *r, const char *id);
/* Fails the test unless `id` comes first for `text`; `why` (may be NULL)
 * says what the case shows. */
void tu_assert_top(kbs_kb *kb, const char *text, const kbs_search_opts *o, const char *id,
		   const char *why);

/* Articles in the knowledge base, whatever their audience (kbs_stats_json). */
uint64_t tu_count_articles(kbs_kb *kb);
/* "total N; label=count ..." of a result set (categories, then tags), to
 * compare two searches' counts; malloc'd. */
char *tu_facets_text(const kbs_results *r);

/* Copies a directory tree (cp -a); fails the test on error. */
void tu_copytree(const char *from, const char *to);

/* A small deterministic generator for randomised tests. The seed comes from
 * KBS_TEST_SEED when set (to replay a failure), else `fallback`; tests print
 * it when they fail. */
typedef struct tu_rng {
	uint64_t s;
} tu_rng;
tu_rng tu_rng_new(uint64_t fallback);
uint64_t tu_rand(tu_rng *r);
/* Uniform in [0, n); n > 0. */
size_t tu_below(tu_rng *r, size_t n);

/* A positive integer from the environment variable `name`, else `fallback`. */
unsigned tu_env_count(const char *name, unsigned fallback);

/* The first column of the first row of `sql` on an open SQLite database
 * (the events store, read as a report would not): an integer (-1 with no
 * row) or a malloc'd string (NULL with no row or a NULL). A statement that
 * does not prepare fails the test. */
struct sqlite3;
int64_t tu_sql_int(struct sqlite3 *db, const char *sql);
char *tu_sql_text(struct sqlite3 *db, const char *sql);

#endif
