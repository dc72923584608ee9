/*
 * Internals shared by every module: error text, small string and list
 * helpers. Nothing here is exported.
 */
#ifndef KBS_COMMON_H
#define KBS_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kbsearch.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error text ---- */

/* A message buffer owned by the object a call was made on. */
#define KBS_ERRMSG_CAP 512
typedef struct kbs_err {
	char msg[KBS_ERRMSG_CAP];
} kbs_err;

/* Formats into err (when not NULL) and returns rc, so a failure reads
 * `return kbs_err__set(err, KBS_EINVALID, "...", ...);`. */
kbs_status kbs_err__set(kbs_err *err, kbs_status rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
kbs_status kbs_err__vset(kbs_err *err, kbs_status rc, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
void kbs_err__clear(kbs_err *err);

/* ---- strings ---- */

char *kbs_strdup(const char *s);          /* NULL stays NULL */
char *kbs_strndup(const char *s, size_t n);
char *kbs_sprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether s[0..len) is valid UTF-8 (no overlongs, no surrogates); on failure
 * *bad receives the byte offset of the first bad byte. */
bool kbs_utf8_valid(const char *s, size_t len, size_t *bad);
/* Characters (code points) of a valid UTF-8 string. */
size_t kbs_utf8_chars(const char *s);
/* Bytes of the first `chars` characters of valid UTF-8 s[0..len) (all of
 * it when shorter). */
size_t kbs_utf8_prefix(const char *s, size_t len, size_t chars);

/* A growable byte buffer, always NUL-terminated once anything was added. */
typedef struct kbs_buf {
	char *data;
	size_t len, cap;
	bool oom; /* sticky: a failed append leaves the buffer unusable */
} kbs_buf;
bool kbs_buf_add(kbs_buf *b, const char *s, size_t n);
bool kbs_buf_adds(kbs_buf *b, const char *s);
bool kbs_buf_addf(kbs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool kbs_buf_addc(kbs_buf *b, char c);
void kbs_buf_free(kbs_buf *b);
/* Hands the string over to the caller; the buffer is empty afterwards. */
char *kbs_buf_steal(kbs_buf *b);

/* Makes room for one more element in the array *arr of *n elements (of
 * `size` bytes) and *cap slots, doubling from `first`. false: no memory,
 * and the array is left as it was. */
bool kbs_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first);

/* A list of owned strings. */
typedef struct kbs_strlist {
	char **v;
	size_t n, cap;
} kbs_strlist;
bool kbs_strlist_push(kbs_strlist *l, const char *s);     /* copies s */
bool kbs_strlist_pushn(kbs_strlist *l, const char *s, size_t n);
bool kbs_strlist_contains(const kbs_strlist *l, const char *s);
bool kbs_strlist_equal(const kbs_strlist *a, const kbs_strlist *b); /* same strings, same order */
/* The same for two arrays of n and m strings. */
bool kbs_strv_equal(char *const *a, size_t n, char *const *b, size_t m);
void kbs_strlist_free(kbs_strlist *l);
/* The list as a new JSON array of strings (jansson), NULL when out of
 * memory. */
struct json_t;
struct json_t *kbs_strlist_json(const kbs_strlist *l);

/* A string -> string map (open addressing), keys and values owned. */
typedef struct kbs_strmap {
	char **keys, **vals;
	size_t n, cap;
} kbs_strmap;
/* Sets key to val (copies both; replaces an old value). false: no memory. */
bool kbs_strmap_set(kbs_strmap *m, const char *key, const char *val);
/* The value of key, or NULL. */
const char *kbs_strmap_get(const kbs_strmap *m, const char *key);
void kbs_strmap_free(kbs_strmap *m);

/* Parses an ISO 8601 date (YYYY-MM-DD, midnight UTC) or date-time
 * (YYYY-MM-DDTHH:MM[:SS[.frac]][Z|+HH:MM|-HH:MM], UTC when no zone) with a
 * real calendar date and clock time, into milliseconds
 * since the epoch (out may be NULL to only check). Article dates and event
 * times are read by this one function. */
bool kbs_iso8601(const char *s, int64_t *out);

/* 64-bit FNV-1a, to fingerprint content. */
uint64_t kbs_hash64(const void *data, size_t len, uint64_t seed);

#ifdef __cplusplus
}
#endif

#endif
