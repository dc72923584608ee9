#include "common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

kbs_status kbs_err__vset(kbs_err *err, kbs_status rc, const char *fmt, va_list ap)
{
	if (!err)
		return rc;
	int n = vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	/* Messages quote the user's text: one cut short must not end in half
	 * a UTF-8 sequence (kbs_errmsg promises UTF-8). */
	if (n >= (int)sizeof err->msg) {
		size_t len = sizeof err->msg - 1, lead = len;
		while (lead > 0 && len - lead < 3 && ((unsigned char)err->msg[lead - 1] & 0xC0) == 0x80)
			lead--;
		unsigned char c = lead > 0 ? (unsigned char)err->msg[lead - 1] : 0;
		size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
		if (c >= 0xC0 && len - (lead - 1) < need)
			err->msg[lead - 1] = '\0';
	}
	return rc;
}

kbs_status kbs_err__set(kbs_err *err, kbs_status rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kbs_err__vset(err, rc, fmt, ap);
	va_end(ap);
	return rc;
}

void kbs_err__clear(kbs_err *err)
{
	if (err)
		err->msg[0] = '\0';
}

char *kbs_strdup(const char *s)
{
	return s ? kbs_strndup(s, strlen(s)) : NULL;
}

char *kbs_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);
	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *kbs_sprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return NULL;
	char *p = malloc((size_t)n + 1);
	if (!p)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

size_t kbs_utf8_chars(const char *s)
{
	size_t n = 0;
	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

size_t kbs_utf8_prefix(const char *s, size_t len, size_t chars)
{
	size_t n = 0;
	for (size_t k = 0; k < chars && n < len; k++)
		do /* one more character */
			n++;
		while (n < len && ((unsigned char)s[n] & 0xC0) == 0x80);
	return n;
}

bool kbs_utf8_valid(const char *str, size_t len, size_t *bad)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		size_t n;
		uint32_t cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			goto fail;
		}
		for (size_t k = 1; k <= n; k++) {
			if (i + k >= len || (s[i + k] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += n + 1;
	}
	return true;
fail:
	if (bad)
		*bad = i;
	return false;
}

static bool buf_reserve(kbs_buf *b, size_t extra)
{
	if (b->oom)
		return false;
	if (b->len + extra + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->len + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

bool kbs_buf_add(kbs_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return false;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

bool kbs_buf_adds(kbs_buf *b, const char *s)
{
	return kbs_buf_add(b, s, strlen(s));
}

bool kbs_buf_addc(kbs_buf *b, char c)
{
	return kbs_buf_add(b, &c, 1);
}

bool kbs_buf_addf(kbs_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return false;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return true;
}

void kbs_buf_free(kbs_buf *b)
{
	free(b->data);
	memset(b, 0, sizeof *b);
}

char *kbs_buf_steal(kbs_buf *b)
{
	char *p = b->data;
	if (!p && !b->oom)
		p = kbs_strdup("");
	if (b->oom) {
		free(p);
		p = NULL;
	}
	memset(b, 0, sizeof *b);
	return p;
}

bool kbs_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	if (n < *cap)
		return true;
	size_t want = *cap ? *cap * 2 : first;
	if (want > SIZE_MAX / size)
		return false;
	/* Through memcpy: *arr is a T*, not a void*, and must not be written
	 * through a void** lvalue. */
	void *old;
	memcpy(&old, arr, sizeof old);
	void *q = realloc(old, want * size);
	if (!q)
		return false;
	memcpy(arr, &q, sizeof q);
	*cap = want;
	return true;
}

bool kbs_strlist_pushn(kbs_strlist *l, const char *s, size_t n)
{
	if (!kbs_grow(&l->v, &l->cap, l->n, sizeof *l->v, 4))
		return false;
	char *c = kbs_strndup(s, n);
	if (!c)
		return false;
	l->v[l->n++] = c;
	return true;
}

bool kbs_strlist_push(kbs_strlist *l, const char *s)
{
	return kbs_strlist_pushn(l, s, strlen(s));
}

bool kbs_strlist_contains(const kbs_strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

bool kbs_strv_equal(char *const *a, size_t n, char *const *b, size_t m)
{
	if (n != m)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i], b[i]) != 0)
			return false;
	return true;
}

bool kbs_strlist_equal(const kbs_strlist *a, const kbs_strlist *b)
{
	return kbs_strv_equal(a->v, a->n, b->v, b->n);
}

void kbs_strlist_free(kbs_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

uint64_t kbs_hash64(const void *data, size_t len, uint64_t seed)
{
	const unsigned char *p = data;
	uint64_t h = 1469598103934665603ULL ^ seed;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static size_t map_slot(char *const *keys, size_t cap, const char *key)
{
	size_t i = (size_t)kbs_hash64(key, strlen(key), 0) & (cap - 1);
	while (keys[i] && strcmp(keys[i], key) != 0)
		i = (i + 1) & (cap - 1);
	return i;
}

static bool map_grow(kbs_strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	char **keys = calloc(cap, sizeof *keys);
	char **vals = calloc(cap, sizeof *vals);
	if (!keys || !vals) {
		free(keys);
		free(vals);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (m->keys[i]) {
			size_t j = map_slot(keys, cap, m->keys[i]);
			keys[j] = m->keys[i];
			vals[j] = m->vals[i];
		}
	}
	free(m->keys);
	free(m->vals);
	m->keys = keys;
	m->vals = vals;
	m->cap = cap;
	return true;
}

bool kbs_strmap_set(kbs_strmap *m, const char *key, const char *val)
{
	if ((m->n + 1) * 2 > m->cap && !map_grow(m))
		return false;
	size_t i = map_slot(m->keys, m->cap, key);
	char *v = kbs_strdup(val ? val : "");
	if (!v)
		return false;
	if (m->keys[i]) {
		free(m->vals[i]);
		m->vals[i] = v;
		return true;
	}
	m->keys[i] = kbs_strdup(key);
	if (!m->keys[i]) {
		free(v);
		return false;
	}
	m->vals[i] = v;
	m->n++;
	return true;
}

const char *kbs_strmap_get(const kbs_strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	size_t i = map_slot(m->keys, m->cap, key);
	return m->keys[i] ? m->vals[i] : NULL;
}

void kbs_strmap_free(kbs_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++) {
		free(m->keys[i]);
		free(m->vals[i]);
	}
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}

static bool digits_at(const char *s, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool kbs_iso8601(const char *s, int64_t *out)
{
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, off = 0;
	if (!s || !digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &mo) || s[7] != '-' ||
	    !digits_at(s + 8, 2, &d))
		return false;
	s += 10;
	if (*s == 'T') {
		if (!digits_at(s + 1, 2, &h) || s[3] != ':' || !digits_at(s + 4, 2, &mi))
			return false;
		s += 6;
		if (*s == ':') {
			if (!digits_at(s + 1, 2, &sec))
				return false;
			s += 3;
			if (*s == '.') {
				int scale = 100;
				if (s[1] < '0' || s[1] > '9')
					return false;
				for (s++; *s >= '0' && *s <= '9'; s++) {
					ms += (*s - '0') * scale;
					scale /= 10;
				}
			}
		}
		if (*s == 'Z') {
			s++;
		} else if (*s == '+' || *s == '-') {
			int oh, om;
			if (!digits_at(s + 1, 2, &oh) || s[3] != ':' || !digits_at(s + 4, 2, &om) || oh > 23 ||
			    om > 59)
				return false;
			off = (oh * 60 + om) * (*s == '-' ? -1 : 1);
			s += 6;
		}
	}
	if (*s || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59)
		return false;
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	if (tm.tm_mday != d) /* 2026-02-30 */
		return false;
	if (out)
		*out = ((int64_t)t - (int64_t)off * 60) * 1000 + ms;
	return true;
}


json_t *kbs_strlist_json(const kbs_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i]));
	return a;
}
