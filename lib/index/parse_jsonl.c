/*
 * JSONL articles: one JSON object per line, the fields of design.md, body
 * as plain text. A bad line is reported at its number and skipped; the
 * stream goes on.
 *
 * Lines are read into a buffer that grows as needed but never holds more
 * than KBS_INDEX_MAX_FILE_BYTES (+2 for CRLF): the rest of a longer line is
 * read and dropped, so one hostile line cannot take memory without bound
 * (getline would keep all of it before we could say no). The bound leaves
 * room for the JSON around an article of the largest size: with the
 * article's own bound, the largest article could not be given at all.
 */
#include "article.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define LINE_MAX_BYTES KBS_INDEX_MAX_FILE_BYTES
#define LINE_CAP (LINE_MAX_BYTES + 2)

typedef struct line {
	kbs_buf buf;     /* the line without its '\n' (and CR), at most LINE_CAP */
	bool too_long;   /* more than LINE_MAX_BYTES */
	uint64_t bytes;  /* bytes consumed, '\n' included */
} line;

/* Reads one line. KBS_ITEROVER at the end of the stream. */
static kbs_status read_line(FILE *in, line *l)
{
	char chunk[4096];
	size_t n = 0;
	int c = EOF;
	l->buf.len = 0;
	l->too_long = false;
	l->bytes = 0;
	flockfile(in);
	while ((c = getc_unlocked(in)) != EOF) {
		l->bytes++;
		if (c == '\n')
			break;
		if (l->buf.len + n >= LINE_CAP) {
			l->too_long = true;
			continue;
		}
		chunk[n++] = (char)c;
		if (n == sizeof chunk) {
			kbs_buf_add(&l->buf, chunk, n);
			n = 0;
		}
	}
	bool failed = c == EOF && ferror(in);
	funlockfile(in);
	if (n)
		kbs_buf_add(&l->buf, chunk, n);
	if (l->buf.oom)
		return KBS_ENOMEM;
	if (failed)
		return KBS_EIO;
	if (c == EOF && l->bytes == 0)
		return KBS_ITEROVER;
	if (!l->buf.data && !kbs_buf_add(&l->buf, "", 0))
		return KBS_ENOMEM;
	if (l->buf.len > 0 && l->buf.data[l->buf.len - 1] == '\r')
		l->buf.data[--l->buf.len] = '\0';
	if (l->buf.len > LINE_MAX_BYTES)
		l->too_long = true;
	return KBS_OK;
}

typedef struct jl {
	const char *file;
	const kbs_index__sink *sink;
	unsigned line;
} jl;

static kbs_status error(const jl *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static kbs_status error(const jl *j, const char *fmt, ...)
{
	if (j->sink && j->sink->diag) {
		char msg[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		j->sink->diag(KBS_DIAG_ERROR, j->file, j->line, msg, j->sink->payload);
	}
	return KBS_EINVALID;
}

static const char *json_type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER:
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

static kbs_status set_string(const jl *j, kbs_index__article *a, kbs_field f, json_t *v)
{
	char **slot = kbs_index__field_str(a, f);
	if (json_is_null(v))
		return KBS_OK;
	if (json_is_string(v))
		*slot = kbs_strndup(json_string_value(v), json_string_length(v));
	else if (f == KBS_F_ID && json_is_integer(v)) /* a common export quirk */
		*slot = kbs_sprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		return error(j, "field '%s' must be a string, not %s", kbs_index__field_name(f),
			     json_type_name(v));
	return *slot ? KBS_OK : KBS_ENOMEM;
}

/* An array of strings; a single string is a list of one; null is absent. */
static kbs_status set_list(const jl *j, kbs_index__article *a, kbs_field f, json_t *v)
{
	kbs_strlist *l = kbs_index__field_list(a, f);
	if (json_is_null(v))
		return KBS_OK;
	if (json_is_string(v))
		return kbs_strlist_pushn(l, json_string_value(v), json_string_length(v))
			? KBS_OK : KBS_ENOMEM;
	if (!json_is_array(v))
		return error(j, "field '%s' must be a list of strings, not %s",
			     kbs_index__field_name(f), json_type_name(v));
	size_t i;
	json_t *item;
	json_array_foreach(v, i, item) {
		if (!json_is_string(item))
			return error(j, "field '%s' must be a list of strings (entry %zu is %s)",
				     kbs_index__field_name(f), i + 1, json_type_name(item));
		if (!kbs_strlist_pushn(l, json_string_value(item), json_string_length(item)))
			return KBS_ENOMEM;
	}
	return KBS_OK;
}

static kbs_status set_fields(const jl *j, kbs_index__article *a, json_t *obj)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		char q[KBS_INDEX__EXCERPT];
		size_t klen = strlen(key);
		int f = kbs_index__field_lookup(key, klen);
		kbs_status rc;
		if (f < 0) {
			kbs_index__diagf(j->sink, KBS_DIAG_WARNING, j->file, j->line,
					 "unknown field '%s' (ignored)",
					 kbs_index__excerpt(q, sizeof q, key, klen));
			continue;
		}
		a->field_line[f] = j->line;
		rc = kbs_index__field_list(a, (kbs_field)f) ? set_list(j, a, (kbs_field)f, v)
							    : set_string(j, a, (kbs_field)f, v);
		if (rc != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

/* jansson's message, fit for ours: it quotes the text near the error, cut
 * at a fixed size that may split a UTF-8 sequence. */
static const char *json_text(const json_error_t *err, char *buf)
{
	size_t n = strnlen(err->text, sizeof err->text), bad;
	if (!kbs_utf8_valid(err->text, n, &bad))
		n = bad;
	return kbs_index__excerpt(buf, sizeof err->text, err->text, n);
}

/* One non-blank line: KBS_OK (article sent or rejected), or the sink's
 * error / KBS_ENOMEM. */
static kbs_status parse_line(const jl *j, const char *s, size_t len)
{
	kbs_index__article a = { 0 };
	a.file = j->file;
	a.line = j->line;
	json_error_t err;
	char text[sizeof err.text];
	json_t *obj = json_loadb(s, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	kbs_status rc;
	if (!obj)
		rc = json_error_code(&err) == json_error_out_of_memory
			? KBS_ENOMEM
			: error(j, "JSON: %s (column %d)", json_text(&err, text), err.column);
	else if (!json_is_object(obj))
		rc = error(j, "expected a JSON object, not %s", json_type_name(obj));
	else
		rc = set_fields(j, &a, obj);
	json_decref(obj);
	if (rc == KBS_OK)
		rc = kbs_index__validate(&a, false, j->sink);
	if (rc == KBS_EINVALID) /* rejected and reported */
		rc = KBS_OK;
	else if (rc == KBS_OK && j->sink && j->sink->article)
		rc = j->sink->article(&a, j->sink->payload);
	kbs_index__article_free(&a);
	return rc;
}

static bool blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr(" \t\r\f\v", s[i]) || s[i] == '\0')
			return false;
	return true;
}

kbs_status kbs_index__parse_jsonl(const char *file, FILE *in, const kbs_index__sink *sink,
				  void (*done)(uint64_t bytes, void *payload))
{
	jl j = { file, sink, 0 };
	line l = { 0 };
	uint64_t bytes = 0;
	kbs_status rc;
	while ((rc = read_line(in, &l)) == KBS_OK) {
		const char *s = l.buf.data;
		size_t n = l.buf.len;
		j.line++;
		bytes += l.bytes;
		if (j.line == 1 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
			s += 3; /* a BOM, as Windows tools write them */
			n -= 3;
		}
		if (l.too_long)
			error(&j, "line is longer than %zu bytes", LINE_MAX_BYTES);
		else if (!blank(s, n))
			rc = parse_line(&j, s, n);
		if (done)
			done(bytes, sink ? sink->payload : NULL);
		if (rc != KBS_OK)
			break;
	}
	kbs_buf_free(&l.buf);
	if (rc == KBS_ITEROVER || rc == KBS_STOP)
		rc = KBS_OK;
	return rc;
}
