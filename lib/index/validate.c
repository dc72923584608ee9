/*
 * Article validation and normalisation (the rules of article.h), the
 * Markdown-to-text renderer, and the small helpers the two parsers share.
 *
 * Validation stops at the first problem and reports it once, at the line of
 * the field it is about, so that a content manager fixes one thing at a
 * time and the message always names where. UTF-8 and the size of the whole
 * article are checked first (before any rendering work), then each field in
 * kbs_field order, with the size again right after the body: a rendered
 * body can outgrow its Markdown. Not at the end: the defaults filled in by
 * then (kind, lang, audience) would count against the author's bytes.
 *
 * Leniency, on purpose: an optional string field that is blank (e.g. the
 * "category": "" of many CMS exports) counts as absent, and an empty audience
 * list counts as absent (public: there is no way to say "nobody"). Body line
 * endings are normalised (CRLF and lone CR become LF), and summary, which is
 * prose that YAML block scalars give with newlines, may hold \n and \t like
 * the body.
 */
#include "article.h"

#include <cmark.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Fields                                                                    */
/* ------------------------------------------------------------------------ */

static const char *const field_names[KBS_F_COUNT] = {
	[KBS_F_ID] = "id",
	[KBS_F_TITLE] = "title",
	[KBS_F_BODY] = "body",
	[KBS_F_KIND] = "kind",
	[KBS_F_LANG] = "lang",
	[KBS_F_CATEGORY] = "category",
	[KBS_F_TAGS] = "tags",
	[KBS_F_AUDIENCE] = "audience",
	[KBS_F_SEGMENTS] = "segments",
	[KBS_F_UPDATED] = "updated",
	[KBS_F_URL] = "url",
	[KBS_F_SUMMARY] = "summary",
};

const char *kbs_index__field_name(kbs_field f)
{
	return (unsigned)f < KBS_F_COUNT ? field_names[f] : "?";
}

int kbs_index__field_lookup(const char *name, size_t len)
{
	for (int f = 0; f < KBS_F_COUNT; f++)
		if (strlen(field_names[f]) == len && memcmp(field_names[f], name, len) == 0)
			return f;
	return -1;
}

char **kbs_index__field_str(kbs_index__article *a, kbs_field f)
{
	switch (f) {
	case KBS_F_ID: return &a->id;
	case KBS_F_TITLE: return &a->title;
	case KBS_F_BODY: return &a->body;
	case KBS_F_KIND: return &a->kind;
	case KBS_F_LANG: return &a->lang;
	case KBS_F_CATEGORY: return &a->category;
	case KBS_F_UPDATED: return &a->updated;
	case KBS_F_URL: return &a->url;
	case KBS_F_SUMMARY: return &a->summary;
	default: return NULL;
	}
}

kbs_strlist *kbs_index__field_list(kbs_index__article *a, kbs_field f)
{
	switch (f) {
	case KBS_F_TAGS: return &a->tags;
	case KBS_F_AUDIENCE: return &a->audience;
	case KBS_F_SEGMENTS: return &a->segments;
	default: return NULL;
	}
}

void kbs_index__article_free(kbs_index__article *a)
{
	if (!a)
		return;
	for (int f = 0; f < KBS_F_COUNT; f++) {
		char **s = kbs_index__field_str(a, (kbs_field)f);
		kbs_strlist *l = kbs_index__field_list(a, (kbs_field)f);
		if (s) {
			free(*s);
			*s = NULL;
		}
		if (l)
			kbs_strlist_free(l);
	}
}

/* ------------------------------------------------------------------------ */
/* Messages                                                                  */
/* ------------------------------------------------------------------------ */

void kbs_index__diagf(const kbs_index__sink *sink, kbs_diag_level level,
		      const char *file, unsigned line, const char *fmt, ...)
{
	if (!sink || !sink->diag)
		return;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	sink->diag(level, file, line, msg, sink->payload);
}

const char *kbs_index__excerpt(char *buf, size_t cap, const char *s, size_t len)
{
	if (cap == 0)
		return buf;
	bool cut = false;
	size_t n = len;
	if (n > cap - 1) {
		cut = true;
		n = cap >= 4 ? cap - 4 : 0; /* room for "..." and the NUL */
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--; /* do not split a UTF-8 sequence */
	}
	bool utf8 = kbs_utf8_valid(s, n, NULL);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[i] = (c < 0x20 || c == 0x7F || (c >= 0x80 && !utf8)) ? '?' : (char)c;
	}
	if (cut && cap >= 4) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

/* ------------------------------------------------------------------------ */
/* Markdown to text                                                          */
/* ------------------------------------------------------------------------ */

/* Walks the cmark tree with its iterator (no recursion, so any nesting
 * depth is safe). Text goes into the current block; the first text of a
 * block opens it with a blank line after the previous one and the pending
 * list-item prefix. A block that produces no text (an HTML block, an empty
 * item) leaves no trace. */
typedef struct render {
	kbs_buf out;
	kbs_buf prefix; /* "- " / "3. " waiting for the item's first text */
	bool open;      /* the current block has written something */
} render;

static void render_text(render *r, const char *s, size_t n)
{
	if (n == 0)
		return;
	if (!r->open) {
		if (r->out.len)
			kbs_buf_add(&r->out, "\n\n", 2);
		if (r->prefix.len) {
			kbs_buf_add(&r->out, r->prefix.data, r->prefix.len);
			r->prefix.len = 0;
		}
		r->open = true;
	}
	kbs_buf_add(&r->out, s, n);
}

static void render_literal(render *r, cmark_node *node, bool trim_newlines)
{
	const char *s = cmark_node_get_literal(node);
	size_t n = s ? strlen(s) : 0;
	while (trim_newlines && n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	render_text(r, s, n);
}

static void render_item(render *r, cmark_node *item)
{
	cmark_node *list = cmark_node_parent(item);
	if (list && cmark_node_get_list_type(list) == CMARK_ORDERED_LIST) {
		/* The list's user data counts its items (set when it opened). */
		intptr_t n = (intptr_t)cmark_node_get_user_data(list);
		cmark_node_set_user_data(list, (void *)(n + 1));
		kbs_buf_addf(&r->prefix, "%ld. ", (long)n);
	} else {
		kbs_buf_add(&r->prefix, "- ", 2);
	}
}

/* Inline <br>, <br/>, <BR />: a line break rather than words glued. */
static bool is_br(const char *html)
{
	return html && html[0] == '<' && (html[1] == 'b' || html[1] == 'B') &&
	       (html[2] == 'r' || html[2] == 'R') &&
	       (html[3] == '>' || html[3] == '/' || html[3] == ' ' || html[3] == '\t');
}

char *kbs_index__markdown_to_text(const char *md, size_t len)
{
	cmark_node *doc = cmark_parse_document(md ? md : "", md ? len : 0, CMARK_OPT_DEFAULT);
	if (!doc)
		return NULL;
	cmark_iter *it = cmark_iter_new(doc);
	if (!it) {
		cmark_node_free(doc);
		return NULL;
	}
	render r = { 0 };
	cmark_event_type ev;
	while ((ev = cmark_iter_next(it)) != CMARK_EVENT_DONE) {
		cmark_node *node = cmark_iter_get_node(it);
		bool enter = ev == CMARK_EVENT_ENTER;
		switch (cmark_node_get_type(node)) {
		case CMARK_NODE_PARAGRAPH:
		case CMARK_NODE_HEADING:
			r.open = false; /* each is its own block, on enter and exit */
			break;
		case CMARK_NODE_CODE_BLOCK:
			r.open = false;
			render_literal(&r, node, true);
			r.open = false;
			break;
		case CMARK_NODE_LIST:
			if (enter)
				cmark_node_set_user_data(node,
					(void *)(intptr_t)cmark_node_get_list_start(node));
			break;
		case CMARK_NODE_ITEM:
			if (enter) {
				render_item(&r, node);
			} else {
				r.prefix.len = 0; /* an item that wrote nothing */
				r.open = false;
			}
			break;
		case CMARK_NODE_TEXT:
		case CMARK_NODE_CODE:
			render_literal(&r, node, false);
			break;
		case CMARK_NODE_SOFTBREAK:
			render_text(&r, " ", 1);
			break;
		case CMARK_NODE_LINEBREAK:
			render_text(&r, "\n", 1);
			break;
		case CMARK_NODE_HTML_INLINE:
			if (r.open && is_br(cmark_node_get_literal(node)))
				render_text(&r, "\n", 1);
			break;
		default:
			/* HTML blocks and other inline HTML are dropped;
			 * thematic breaks, block quotes, emphasis, links and
			 * images give only what their children (the text, the
			 * alt text) give. */
			break;
		}
	}
	cmark_iter_free(it);
	cmark_node_free(doc);
	kbs_buf_free(&r.prefix);
	if (r.out.oom) {
		kbs_buf_free(&r.out);
		return NULL;
	}
	while (r.out.len > 0 && strchr(" \t\r\n", r.out.data[r.out.len - 1]))
		r.out.data[--r.out.len] = '\0';
	return kbs_buf_steal(&r.out);
}

/* ------------------------------------------------------------------------ */
/* Validation                                                                */
/* ------------------------------------------------------------------------ */

typedef struct vctx {
	kbs_index__article *a;
	const kbs_index__sink *sink;
} vctx;

static unsigned field_line(const vctx *v, kbs_field f)
{
	return v->a->field_line[f] ? v->a->field_line[f] : v->a->line;
}

/* Reports the article's problem at field f's line; returns KBS_EINVALID. */
static kbs_status bad(const vctx *v, kbs_field f, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static kbs_status bad(const vctx *v, kbs_field f, const char *fmt, ...)
{
	if (v->sink && v->sink->diag) {
		char msg[1024];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
		v->sink->diag(KBS_DIAG_ERROR, v->a->file, field_line(v, f), msg,
			      v->sink->payload);
	}
	return KBS_EINVALID;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Trims ASCII whitespace in place; returns the new length. */
static size_t trim(char *s)
{
	size_t n = strlen(s), b = 0;
	while (n > 0 && is_space(s[n - 1]))
		n--;
	while (b < n && is_space(s[b]))
		b++;
	memmove(s, s + b, n - b);
	s[n - b] = '\0';
	return n - b;
}

static bool is_blank(const char *s)
{
	for (; *s; s++)
		if (!is_space(*s))
			return false;
	return true;
}

/* The first control character of s (C0, DEL, C1) other than those in
 * `allow`, or -1. */
static long control_char(const char *s, const char *allow)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p < 0x20 && !strchr(allow, *p)) || *p == 0x7F)
			return *p;
		if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
			return p[1];
	}
	return -1;
}

/* Trims an optional string field; a blank one becomes absent. */
static void trim_optional(char **s)
{
	if (*s && trim(*s) == 0) {
		free(*s);
		*s = NULL;
	}
}

static size_t article_bytes(kbs_index__article *a)
{
	size_t n = 0;
	for (int f = 0; f < KBS_F_COUNT; f++) {
		char **s = kbs_index__field_str(a, (kbs_field)f);
		kbs_strlist *l = kbs_index__field_list(a, (kbs_field)f);
		if (s && *s)
			n += strlen(*s);
		for (size_t i = 0; l && i < l->n; i++)
			n += strlen(l->v[i]);
	}
	return n;
}

static kbs_status check_utf8(const vctx *v)
{
	for (int f = 0; f < KBS_F_COUNT; f++) {
		char **s = kbs_index__field_str(v->a, (kbs_field)f);
		kbs_strlist *l = kbs_index__field_list(v->a, (kbs_field)f);
		size_t at;
		if (s && *s && !kbs_utf8_valid(*s, strlen(*s), &at))
			return bad(v, (kbs_field)f, "field '%s' is not valid UTF-8 (byte %zu)",
				   field_names[f], at);
		for (size_t i = 0; l && i < l->n; i++)
			if (!kbs_utf8_valid(l->v[i], strlen(l->v[i]), &at))
				return bad(v, (kbs_field)f,
					   "field '%s' is not valid UTF-8 (entry %zu, byte %zu)",
					   field_names[f], i + 1, at);
	}
	return KBS_OK;
}

static kbs_status check_size(const vctx *v)
{
	if (article_bytes(v->a) <= KBS_MAX_ARTICLE_BYTES)
		return KBS_OK;
	/* About the whole article: reported at its first line. */
	kbs_index__diagf(v->sink, KBS_DIAG_ERROR, v->a->file, v->a->line,
			 "article is larger than %u bytes", KBS_MAX_ARTICLE_BYTES);
	return KBS_EINVALID;
}

static kbs_status check_id(const vctx *v)
{
	const char *id = v->a->id;
	if (!id)
		return bad(v, KBS_F_ID, "missing required field 'id'");
	size_t n = strlen(id);
	bool ok = n >= 1 && n <= KBS_MAX_ID_BYTES;
	for (size_t i = 0; ok && i < n; i++) {
		char c = id[i];
		ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '.' || c == '_' || c == ':' || c == '-';
	}
	if (!ok) {
		char q[KBS_INDEX__EXCERPT];
		return bad(v, KBS_F_ID, "invalid id '%s': use 1-%d of A-Z a-z 0-9 . _ : -",
			   kbs_index__excerpt(q, sizeof q, id, n), KBS_MAX_ID_BYTES);
	}
	return KBS_OK;
}

/* A control character in field f's value (allowing those in `allow`). */
static kbs_status check_controls(const vctx *v, kbs_field f, const char *s, const char *allow)
{
	long c = control_char(s, allow);
	if (c >= 0)
		return bad(v, f, "%s contains a control character (U+%04lX)", field_names[f],
			   (unsigned long)c);
	return KBS_OK;
}

static kbs_status check_title(const vctx *v)
{
	if (!v->a->title)
		return bad(v, KBS_F_TITLE, "missing required field 'title'");
	size_t n = trim(v->a->title);
	if (n == 0)
		return bad(v, KBS_F_TITLE, "title is blank");
	if (n > KBS_MAX_TITLE_BYTES)
		return bad(v, KBS_F_TITLE, "title is longer than %d bytes (%zu)", KBS_MAX_TITLE_BYTES,
			   n);
	return check_controls(v, KBS_F_TITLE, v->a->title, "");
}

/* CRLF and lone CR become LF, in place. */
static void normalise_newlines(char *s)
{
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (*r == '\r') {
			*w++ = '\n';
			if (r[1] == '\n')
				r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static kbs_status check_body(const vctx *v, bool markdown)
{
	kbs_index__article *a = v->a;
	if (!a->body)
		return bad(v, KBS_F_BODY, "missing required field 'body'");
	if (markdown) {
		char *text = kbs_index__markdown_to_text(a->body, strlen(a->body));
		if (!text)
			return KBS_ENOMEM;
		free(a->body);
		a->body = text;
	}
	normalise_newlines(a->body);
	if (is_blank(a->body))
		return bad(v, KBS_F_BODY, "body is empty");
	return check_controls(v, KBS_F_BODY, a->body, "\n\t");
}

static kbs_status check_kind(const vctx *v)
{
	static const char *const kinds[] = { "faq", "tutorial", "guide", "troubleshooting" };
	kbs_index__article *a = v->a;
	trim_optional(&a->kind);
	if (!a->kind)
		return (a->kind = kbs_strdup("faq")) ? KBS_OK : KBS_ENOMEM;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		if (strcmp(a->kind, kinds[i]) == 0)
			return KBS_OK;
	char q[KBS_INDEX__EXCERPT];
	return bad(v, KBS_F_KIND, "kind '%s' is not one of faq, tutorial, guide, troubleshooting",
		   kbs_index__excerpt(q, sizeof q, a->kind, strlen(a->kind)));
}

static kbs_status check_lang(const vctx *v)
{
	kbs_index__article *a = v->a;
	trim_optional(&a->lang);
	if (!a->lang) {
		const char *def = v->sink && v->sink->default_lang ? v->sink->default_lang : "en";
		if (!(a->lang = kbs_strdup(def)))
			return KBS_ENOMEM;
	}
	char q[KBS_INDEX__EXCERPT];
	kbs_index__excerpt(q, sizeof q, a->lang, strlen(a->lang));
	bool ok = strlen(a->lang) == 2;
	for (char *p = a->lang; ok && *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		ok = *p >= 'a' && *p <= 'z';
	}
	if (!ok)
		return bad(v, KBS_F_LANG,
			   "lang '%s' is not an ISO 639-1 code (two letters, e.g. fr)", q);
	return KBS_OK;
}

/* "A / B/" -> "A/B": levels trimmed, one leading and one trailing '/'
 * tolerated, an empty level inside is an error. */
static kbs_status check_category(const vctx *v)
{
	kbs_index__article *a = v->a;
	trim_optional(&a->category);
	if (!a->category)
		return KBS_OK;
	char q[KBS_INDEX__EXCERPT];
	kbs_index__excerpt(q, sizeof q, a->category, strlen(a->category));
	kbs_status rc = check_controls(v, KBS_F_CATEGORY, a->category, "");
	if (rc != KBS_OK)
		return rc;
	const char *s = a->category;
	const char *end = s + strlen(s);
	if (*s == '/')
		s++;
	if (end > s && end[-1] == '/')
		end--;
	kbs_buf out = { 0 };
	int levels = 0;
	for (const char *p = s;;) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *e = slash ? slash : end;
		const char *b = p;
		while (b < e && is_space(*b))
			b++;
		while (e > b && is_space(e[-1]))
			e--;
		if (b == e)
			rc = bad(v, KBS_F_CATEGORY, "category '%s' has an empty level", q);
		else if (++levels > KBS_MAX_CATEGORY_LEVELS)
			rc = bad(v, KBS_F_CATEGORY, "category '%s' has more than %d levels", q,
				 KBS_MAX_CATEGORY_LEVELS);
		else if ((size_t)(e - b) > KBS_MAX_CATEGORY_LEVEL_BYTES)
			rc = bad(v, KBS_F_CATEGORY,
				 "category '%s' has a level longer than %d bytes", q,
				 KBS_MAX_CATEGORY_LEVEL_BYTES);
		if (rc != KBS_OK)
			goto cleanup;
		if (out.len)
			kbs_buf_addc(&out, '/');
		kbs_buf_add(&out, b, (size_t)(e - b));
		if (!slash)
			break;
		p = slash + 1;
	}
	if (out.oom) {
		rc = KBS_ENOMEM;
		goto cleanup;
	}
	free(a->category);
	a->category = kbs_buf_steal(&out);
cleanup:
	kbs_buf_free(&out);
	return rc;
}

/* Closes the gap left in l->v[kept..from) by moved and dropped entries. */
static void list_compact(kbs_strlist *l, size_t kept, size_t from)
{
	if (from < l->n)
		memmove(l->v + kept, l->v + from, (l->n - from) * sizeof *l->v);
	l->n = kept + (l->n - from);
}

/* Trims, checks and de-duplicates (first wins) a list, in place. On error
 * the list stays whole, so that kbs_index__article_free frees it. */
static kbs_status check_list(const vctx *v, kbs_field f)
{
	kbs_strlist *l = kbs_index__field_list(v->a, f);
	const char *name = field_names[f];
	char q[KBS_INDEX__EXCERPT];
	kbs_status rc = KBS_OK;
	size_t kept = 0, i;
	for (i = 0; i < l->n; i++) {
		char *s = l->v[i];
		size_t n = trim(s);
		long c = control_char(s, "");
		kbs_index__excerpt(q, sizeof q, s, n);
		if (n == 0)
			rc = bad(v, f, "%s entry %zu is blank", name, i + 1);
		else if (n > KBS_MAX_LIST_ITEM_BYTES)
			rc = bad(v, f, "%s entry '%s' is longer than %d bytes", name, q,
				 KBS_MAX_LIST_ITEM_BYTES);
		else if (c >= 0)
			rc = bad(v, f, "%s entry '%s' contains a control character (U+%04lX)",
				 name, q, (unsigned long)c);
		if (rc != KBS_OK)
			break;
		bool dup = false;
		for (size_t j = 0; j < kept && !dup; j++)
			dup = strcmp(l->v[j], s) == 0;
		if (dup) {
			free(s);
			continue;
		}
		if (kept == KBS_MAX_LIST_ITEMS) {
			rc = bad(v, f, "%s has more than %d entries", name, KBS_MAX_LIST_ITEMS);
			break;
		}
		l->v[kept++] = s;
	}
	list_compact(l, kept, i);
	if (rc == KBS_OK && f == KBS_F_AUDIENCE && l->n == 0 && !kbs_strlist_push(l, "public"))
		rc = KBS_ENOMEM;
	return rc;
}

static kbs_status check_updated(const vctx *v)
{
	kbs_index__article *a = v->a;
	trim_optional(&a->updated);
	if (a->updated && !kbs_iso8601(a->updated, NULL)) {
		char q[KBS_INDEX__EXCERPT];
		return bad(v, KBS_F_UPDATED, "updated '%s' is not a valid ISO 8601 date",
			   kbs_index__excerpt(q, sizeof q, a->updated, strlen(a->updated)));
	}
	return KBS_OK;
}

static kbs_status check_text(const vctx *v, kbs_field f, const char *allow)
{
	char **s = kbs_index__field_str(v->a, f);
	trim_optional(s);
	return *s ? check_controls(v, f, *s, allow) : KBS_OK;
}

kbs_status kbs_index__validate(kbs_index__article *a, bool body_is_markdown,
			       const kbs_index__sink *sink)
{
	vctx v = { a, sink };
	kbs_status rc;
	/* The size again once the body is rendered: the text can outgrow
	 * its Markdown (list items set apart, every item numbered in full).
	 * What follows only trims, or fills in defaults. */
	if ((rc = check_utf8(&v)) != KBS_OK || (rc = check_size(&v)) != KBS_OK ||
	    (rc = check_id(&v)) != KBS_OK || (rc = check_title(&v)) != KBS_OK ||
	    (rc = check_body(&v, body_is_markdown)) != KBS_OK || (rc = check_size(&v)) != KBS_OK ||
	    (rc = check_kind(&v)) != KBS_OK || (rc = check_lang(&v)) != KBS_OK ||
	    (rc = check_category(&v)) != KBS_OK || (rc = check_list(&v, KBS_F_TAGS)) != KBS_OK ||
	    (rc = check_list(&v, KBS_F_AUDIENCE)) != KBS_OK ||
	    (rc = check_list(&v, KBS_F_SEGMENTS)) != KBS_OK ||
	    (rc = check_updated(&v)) != KBS_OK || (rc = check_text(&v, KBS_F_URL, "")) != KBS_OK ||
	    (rc = check_text(&v, KBS_F_SUMMARY, "\n\t")) != KBS_OK)
		return rc;
	return KBS_OK;
}
