/*
 * Markdown articles: optional UTF-8 BOM, YAML front matter between a first
 * line "---" and the next line "---" or "...", then the CommonMark body.
 *
 *     ---                      file line 1
 *     id: reset-password       file line 2 = YAML line 0 (libyaml marks)
 *     title: Reset my password
 *     tags: [account, login]
 *     ---
 *     Body in **Markdown**.    body: rendered by kbs_index__validate
 *
 * The front matter goes through libyaml twice: first as events, to refuse
 * aliases (an alias bomb expands into exponential work for whoever walks
 * the tree), extra documents and absurd nesting, each at its own line; then
 * through the document loader, whose nodes carry the marks that give every
 * field its line. Only the top mapping and one level below it are walked,
 * without recursion.
 */
#include "article.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <yaml.h>

/* Front matter and Markdown around an article of the largest size; the
 * article itself is held to KBS_MAX_ARTICLE_BYTES by validation. The same
 * bound as lib/index/indexer.c applies before reading a file. */

/* Where mark_line last stopped: libyaml line, byte in the front matter,
 * file line. */
typedef struct line_walk {
	size_t yline, off;
	unsigned line;
} line_walk;

typedef struct md {
	const char *file;
	const kbs_index__sink *sink;
	kbs_index__article *a;
	const char *yaml; /* the front matter, between the delimiter lines */
	size_t ylen;
	unsigned first; /* its first line in the file */
	line_walk *walk;
} md;

/* 1-based line of byte `off` of data. */
static unsigned line_at(const char *data, size_t off)
{
	unsigned line = 1;
	for (const char *p = data, *end = data + off;
	     p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
		line++;
	return line;
}

/* Length of the YAML line break at y[0..n), or 0. libyaml breaks lines at
 * CR, NEL, LS and PS too (YAML 1.1), where the file has no new line. */
static size_t yaml_break(const unsigned char *y, size_t n)
{
	if (y[0] == '\r')
		return n > 1 && y[1] == '\n' ? 2 : 1;
	if (y[0] == '\n')
		return 1;
	if (n > 1 && y[0] == 0xC2 && y[1] == 0x85)
		return 2;
	if (n > 2 && y[0] == 0xE2 && y[1] == 0x80 && (y[2] == 0xA8 || y[2] == 0xA9))
		return 3;
	return 0;
}

/* The file line of a libyaml mark, counted by '\n' like every other line
 * we report: libyaml's own count also breaks at a stray CR or U+2028 and
 * would name a line past the end of the file. Marks mostly come in order
 * (one per field), so the walk goes on from the last one. */
static unsigned mark_line(const md *m, yaml_mark_t mark)
{
	const unsigned char *y = (const unsigned char *)m->yaml;
	line_walk *w = m->walk;
	if (mark.line < w->yline || w->line < m->first) {
		w->yline = 0;
		w->off = 0;
		w->line = m->first;
	}
	while (w->yline < mark.line && w->off < m->ylen) {
		size_t b = yaml_break(y + w->off, m->ylen - w->off);
		if (b == 0) {
			w->off++;
			continue;
		}
		if (y[w->off + b - 1] == '\n')
			w->line++;
		w->off += b;
		w->yline++;
	}
	return w->line;
}

static kbs_status error(const md *m, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static kbs_status error(const md *m, unsigned line, const char *fmt, ...)
{
	if (m->sink && m->sink->diag) {
		char msg[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		m->sink->diag(KBS_DIAG_ERROR, m->file, line, msg, m->sink->payload);
	}
	return KBS_EINVALID;
}

/* Whether line[0..n) (no '\n') is the delimiter d, trailing blanks and a
 * CR allowed. */
static bool is_delim(const char *line, size_t n, const char *d)
{
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
		n--;
	return n == 3 && memcmp(line, d, 3) == 0;
}

static kbs_status yaml_error(const md *m, const yaml_parser_t *p)
{
	if (p->error == YAML_MEMORY_ERROR)
		return KBS_ENOMEM;
	/* The reader gives a byte offset, the others a mark. */
	size_t off = p->problem_offset < m->ylen ? p->problem_offset : m->ylen;
	unsigned line = p->error == YAML_READER_ERROR ? m->first - 1 + line_at(m->yaml, off)
						      : mark_line(m, p->problem_mark);
	const char *problem = p->problem ? p->problem : "syntax error";
	if (p->context && p->error != YAML_READER_ERROR)
		return error(m, line, "YAML: %s (%s at line %u)", problem, p->context,
			     mark_line(m, p->context_mark));
	return error(m, line, "YAML: %s", problem);
}

static void yaml_input(const md *m, yaml_parser_t *p)
{
	yaml_parser_set_input_string(p, (const unsigned char *)m->yaml, m->ylen);
	yaml_parser_set_encoding(p, YAML_UTF8_ENCODING);
}

/* First pass, events only: syntax errors, aliases, documents, depth. */
static kbs_status yaml_screen(const md *m)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return KBS_ENOMEM;
	yaml_input(m, &p);
	kbs_status rc = KBS_OK;
	int depth = 0, documents = 0;
	for (bool end = false; !end && rc == KBS_OK;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_error(m, &p);
			break;
		}
		unsigned line = mark_line(m, ev.start_mark);
		switch (ev.type) {
		case YAML_ALIAS_EVENT:
			rc = error(m, line, "YAML aliases are not allowed");
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++documents > 1)
				rc = error(m, line,
					   "front matter holds more than one YAML document");
			break;
		case YAML_SEQUENCE_START_EVENT:
		case YAML_MAPPING_START_EVENT:
			if (++depth > KBS_MAX_YAML_DEPTH)
				rc = error(m, line, "YAML nested deeper than %d levels",
					   KBS_MAX_YAML_DEPTH);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			depth--;
			break;
		case YAML_STREAM_END_EVENT:
			end = true;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

/* YAML's null: an empty plain scalar, ~, null. */
static bool is_null(const yaml_node_t *n)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	return n->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

/* A scalar's text; a "\0" escape cannot reach the article. */
static kbs_status scalar_text(const md *m, kbs_field f, const yaml_node_t *n, char **out)
{
	const char *s = (const char *)n->data.scalar.value;
	size_t len = n->data.scalar.length;
	if (memchr(s, '\0', len))
		return error(m, mark_line(m, n->start_mark), "field '%s' contains a NUL character",
			     kbs_index__field_name(f));
	*out = kbs_strndup(s, len);
	return *out ? KBS_OK : KBS_ENOMEM;
}

static kbs_status set_string(const md *m, kbs_field f, const yaml_node_t *v)
{
	if (v->type != YAML_SCALAR_NODE)
		return error(m, mark_line(m, v->start_mark), "field '%s' must be a string",
			     kbs_index__field_name(f));
	if (is_null(v))
		return KBS_OK;
	return scalar_text(m, f, v, kbs_index__field_str(m->a, f));
}

static kbs_status push_scalar(const md *m, kbs_field f, const yaml_node_t *v)
{
	kbs_strlist *l = kbs_index__field_list(m->a, f);
	char *s = NULL;
	kbs_status rc = is_null(v) ? ((s = kbs_strdup("")) ? KBS_OK : KBS_ENOMEM)
				   : scalar_text(m, f, v, &s);
	if (rc == KBS_OK && !kbs_strlist_push(l, s))
		rc = KBS_ENOMEM;
	free(s);
	return rc;
}

/* A sequence of scalars (flow or block); a single scalar is a list of
 * one; null is absent. A null item stays, as a blank entry for validation
 * to report. */
static kbs_status set_list(const md *m, yaml_document_t *doc, kbs_field f, yaml_node_t *v)
{
	const char *name = kbs_index__field_name(f);
	if (v->type == YAML_SCALAR_NODE)
		return is_null(v) ? KBS_OK : push_scalar(m, f, v);
	if (v->type != YAML_SEQUENCE_NODE)
		return error(m, mark_line(m, v->start_mark), "field '%s' must be a list of strings",
			     name);
	for (yaml_node_item_t *it = v->data.sequence.items.start; it < v->data.sequence.items.top;
	     it++) {
		yaml_node_t *item = yaml_document_get_node(doc, *it);
		kbs_status rc;
		if (!item || item->type != YAML_SCALAR_NODE)
			return error(m, mark_line(m, item ? item->start_mark : v->start_mark),
				     "field '%s' must be a list of strings", name);
		if ((rc = push_scalar(m, f, item)) != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

static kbs_status set_fields(const md *m, yaml_document_t *doc)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	if (!root) /* empty front matter: validation names what is missing */
		return KBS_OK;
	if (root->type != YAML_MAPPING_NODE)
		return error(m, mark_line(m, root->start_mark),
			     "front matter must be a YAML mapping of fields (key: value)");
	for (yaml_node_pair_t *pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(doc, pair->value);
		if (!k || !v)
			continue;
		unsigned line = mark_line(m, k->start_mark);
		if (k->type != YAML_SCALAR_NODE)
			return error(m, line, "field names must be plain strings");
		const char *key = (const char *)k->data.scalar.value;
		size_t klen = k->data.scalar.length;
		char q[KBS_INDEX__EXCERPT];
		int f = kbs_index__field_lookup(key, klen);
		if (f < 0) {
			kbs_index__diagf(m->sink, KBS_DIAG_WARNING, m->file, line,
					 "unknown field '%s' (ignored)",
					 kbs_index__excerpt(q, sizeof q, key, klen));
			continue;
		}
		if (f == KBS_F_BODY)
			return error(m, line, "field 'body' is not allowed in front matter: "
					      "the body is the Markdown after the closing '---'");
		if (m->a->field_line[f])
			return error(m, line, "duplicate field '%s' (first at line %u)",
				     kbs_index__field_name((kbs_field)f), m->a->field_line[f]);
		m->a->field_line[f] = line;
		kbs_status rc = kbs_index__field_list(m->a, (kbs_field)f)
			? set_list(m, doc, (kbs_field)f, v)
			: set_string(m, (kbs_field)f, v);
		if (rc != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

static kbs_status front_matter(const md *m)
{
	kbs_status rc = yaml_screen(m);
	if (rc != KBS_OK)
		return rc;
	yaml_parser_t p;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&p))
		return KBS_ENOMEM;
	yaml_input(m, &p);
	if (!yaml_parser_load(&p, &doc)) {
		rc = yaml_error(m, &p);
		yaml_parser_delete(&p);
		return rc;
	}
	rc = set_fields(m, &doc);
	yaml_document_delete(&doc);
	yaml_parser_delete(&p);
	return rc;
}

/* Everything before the article's own fields: size, bytes, delimiters.
 * Sets m->yaml and *body. */
static kbs_status split(md *m, const char *data, size_t len, const char **body, size_t *blen)
{
	if (len > KBS_INDEX_MAX_FILE_BYTES)
		return error(m, 1, "file is larger than %zu bytes", KBS_INDEX_MAX_FILE_BYTES);
	size_t bad = len;
	const char *nul = len ? memchr(data, '\0', len) : NULL;
	bool utf8 = kbs_utf8_valid(data, len, &bad);
	if (nul && (utf8 || (size_t)(nul - data) < bad))
		return error(m, line_at(data, (size_t)(nul - data)), "NUL byte in file");
	if (!utf8)
		return error(m, line_at(data, bad), "invalid UTF-8 at byte %zu", bad);

	size_t p = 0;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		p = 3;
	const char *nl = memchr(data + p, '\n', len - p);
	size_t n = nl ? (size_t)(nl - (data + p)) : len - p;
	if (!is_delim(data + p, n, "---"))
		return error(m, 1, "missing front matter (--- ... ---) with id and title");
	if (!nl)
		return error(m, 1, "unterminated front matter: no closing '---' line");
	size_t start = (size_t)(nl - data) + 1;
	unsigned line = 2;
	for (size_t q = start; q < len; line++) {
		const char *e = memchr(data + q, '\n', len - q);
		size_t ln = e ? (size_t)(e - (data + q)) : len - q;
		if (is_delim(data + q, ln, "---") || is_delim(data + q, ln, "...")) {
			m->yaml = data + start;
			m->ylen = q - start;
			m->first = 2;
			m->a->field_line[KBS_F_BODY] = line + 1;
			*body = e ? e + 1 : data + len;
			*blen = (size_t)(data + len - *body);
			return KBS_OK;
		}
		if (!e)
			break;
		q = (size_t)(e - data) + 1;
	}
	return error(m, 1, "unterminated front matter: no closing '---' line");
}

kbs_status kbs_index__parse_markdown(const char *file, const char *data, size_t len,
				     const kbs_index__sink *sink)
{
	kbs_index__article a = { 0 };
	a.file = file;
	a.line = 1;
	line_walk walk = { 0, 0, 0 };
	md m = { file, sink, &a, NULL, 0, 2, &walk };
	const char *body = NULL;
	size_t blen = 0;
	kbs_status rc = split(&m, data ? data : "", data ? len : 0, &body, &blen);
	if (rc == KBS_OK)
		rc = front_matter(&m);
	if (rc == KBS_OK && !(a.body = kbs_strndup(body, blen)))
		rc = KBS_ENOMEM;
	if (rc == KBS_OK)
		rc = kbs_index__validate(&a, true, sink);
	if (rc == KBS_EINVALID) /* rejected and reported; the file was read */
		rc = KBS_OK;
	else if (rc == KBS_OK && sink && sink->article)
		rc = sink->article(&a, sink->payload);
	kbs_index__article_free(&a);
	return rc == KBS_STOP ? KBS_OK : rc;
}
