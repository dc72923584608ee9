/*
 * What the fuzz targets share: scratch directories, a real knowledge base
 * built from corpus/, and the checks that turn a broken promise of
 * kbsearch.h (a message that is not UTF-8, a restricted article shown to
 * the public) into a crash libFuzzer records, like any sanitizer report.
 */
#ifndef KBS_FUZZUTIL_H
#define KBS_FUZZUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbsearch.h"

/* Reports a broken invariant and aborts, so that libFuzzer keeps the
 * input as a crash. */
_Noreturn void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A new scratch directory under $TMPDIR (or /tmp), removed at exit. */
char *fz_tmpdir(void);
/* Removes a directory tree; ignores errors. */
void fz_rmtree(const char *path);
/* Writes data[0..len) to path, replacing it; aborts on failure. */
void fz_write(const char *path, const void *data, size_t len);
/* A malloc'd copy of data[0..len) with a NUL after it. */
char *fz_strndup(const void *data, size_t len);

/* Fails unless s is non-NULL and valid UTF-8: every string the library
 * hands out is UTF-8 (kbsearch.h). */
void fz_check_utf8(const char *what, const char *s);
/* Whether data[0..len) is valid UTF-8 with no NUL byte. */
bool fz_is_text(const void *data, size_t len);

/* Counts of the diagnostics fz_diag saw. */
typedef struct fz_diags {
	unsigned errors, warnings;
} fz_diags;
/* A kbs_diag_cb that checks what every diagnostic promises (a file, a
 * known level, a UTF-8 message) and counts them into payload (a fz_diags,
 * or NULL). */
void fz_diag(kbs_diag_level level, const char *file, unsigned line, const char *message,
	     void *payload);

/* Opens (creating) a knowledge base in dir with the whole sample corpus
 * indexed and both synonym files loaded; aborts on any failure. */
kbs_kb *fz_corpus_kb(const char *dir, unsigned open_flags);

/* Ids in kb that the public may not see (their audience is not public),
 * as a NULL-terminated malloc'd array of malloc'd strings. */
char **fz_restricted_ids(kbs_kb *kb);
bool fz_in(char *const *list, const char *s);

/* Fails unless a, handed to a parser's sink, keeps every promise of
 * lib/index/article.h for a validated article; lines are at most
 * max_line. */
struct kbs_index__article;
void fz_check_article(const struct kbs_index__article *a, unsigned max_line);
/* 1 + the number of '\n' in data[0..len): the last line a message about
 * it may name. */
unsigned fz_lines(const void *data, size_t len);

/* The languages the targets pick from: none, the corpus's two, one with a
 * stemmer and no article, an unknown code, upper case, and junk. */
extern const char *const fz_langs[8];

#endif
