/*
 * Article parsers and validation (lib/index/parse_md.c, parse_jsonl.c,
 * validate.c), from tables: input, expected outcome (the articles with
 * their fields, or the exact "LINE: message" diagnostics), and what each
 * row guards. An in-memory sink collects articles and diagnostics.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "index/article.h"

/* ------------------------------------------------------------------------ */
/* An in-memory sink                                                         */
/* ------------------------------------------------------------------------ */

typedef struct got {
	char *f[KBS_F_COUNT]; /* each field; lists joined with '|' */
	unsigned line, field_line[KBS_F_COUNT];
} got;

typedef struct collect {
	got *arts;
	size_t narts;
	char **diags; /* "LINE: message" or "LINE: warning: message" */
	size_t ndiags;
	const char *file;    /* the name every diagnostic must carry */
	size_t fail_after;   /* return fail_rc for the article after this many */
	kbs_status fail_rc;  /* (KBS_OK: never) */
	unsigned ndone;
	uint64_t done_bytes;
} collect;

static char *join(const kbs_strlist *l)
{
	size_t n = 1;
	for (size_t i = 0; i < l->n; i++)
		n += strlen(l->v[i]) + 1;
	char *s = calloc(1, n);
	assert_non_null(s);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			strcat(s, "|");
		strcat(s, l->v[i]);
	}
	return s;
}

static kbs_status on_article(kbs_index__article *a, void *payload)
{
	collect *c = payload;
	if (c->fail_rc != KBS_OK && c->narts == c->fail_after)
		return c->fail_rc;
	c->arts = realloc(c->arts, (c->narts + 1) * sizeof *c->arts);
	assert_non_null(c->arts);
	got *g = &c->arts[c->narts++];
	memset(g, 0, sizeof *g);
	for (int f = 0; f < KBS_F_COUNT; f++) {
		char **s = kbs_index__field_str(a, (kbs_field)f);
		kbs_strlist *l = kbs_index__field_list(a, (kbs_field)f);
		g->f[f] = s ? (*s ? strdup(*s) : NULL) : join(l);
	}
	g->line = a->line;
	memcpy(g->field_line, a->field_line, sizeof g->field_line);
	if (c->file)
		assert_string_equal(a->file, c->file);
	return KBS_OK;
}

static void on_diag(kbs_diag_level level, const char *file, unsigned line, const char *msg,
		    void *payload)
{
	collect *c = payload;
	if (c->file)
		assert_string_equal(file, c->file);
	c->diags = realloc(c->diags, (c->ndiags + 1) * sizeof *c->diags);
	assert_non_null(c->diags);
	size_t n = strlen(msg) + 64;
	char *s = malloc(n);
	assert_non_null(s);
	snprintf(s, n, "%u: %s%s", line, level == KBS_DIAG_WARNING ? "warning: " : "", msg);
	c->diags[c->ndiags++] = s;
}

static void on_done(uint64_t bytes, void *payload)
{
	collect *c = payload;
	assert_true(bytes >= c->done_bytes);
	c->done_bytes = bytes;
	c->ndone++;
}

static kbs_index__sink sink_for(collect *c)
{
	kbs_index__sink s = { on_article, on_diag, c, NULL };
	return s;
}

static void collect_free(collect *c)
{
	for (size_t i = 0; i < c->narts; i++)
		for (int f = 0; f < KBS_F_COUNT; f++)
			free(c->arts[i].f[f]);
	for (size_t i = 0; i < c->ndiags; i++)
		free(c->diags[i]);
	free(c->arts);
	free(c->diags);
	memset(c, 0, sizeof *c);
}

static kbs_status parse_jsonl_bytes(const char *in, size_t len, const kbs_index__sink *s,
				    collect *c)
{
	FILE *f = len ? fmemopen((void *)in, len, "r") : fopen("/dev/null", "r");
	assert_non_null(f);
	kbs_status rc = kbs_index__parse_jsonl(c->file, f, s, on_done);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------------------ */
/* Rows                                                                      */
/* ------------------------------------------------------------------------ */

typedef enum fmt { F_MD, F_JSONL } fmt;

typedef struct row {
	int src;             /* line of the row in this file (for failures) */
	fmt fmt;
	const char *in;
	size_t len;          /* 0: strlen(in) */
	int n;               /* articles expected */
	const char *diag[4]; /* every diagnostic, in order; each a prefix */
	/* Fields of the first article (NULL: not checked; "" for an empty
	 * list); lists joined with '|'. */
	const char *id, *title, *body, *kind, *lang, *category, *tags, *audience, *segments,
		*updated, *url, *summary;
	const char *absent;  /* fields that must be NULL, e.g. "url summary" */
	const char *lines;   /* first article's field lines, e.g. "line=1 id=2" */
	const char *ids;     /* every article's id, joined with '|' */
} row;

/* A literal with NUL bytes in it. */
#define BYTES(s) .in = s, .len = sizeof(s) - 1

#define MD(...) { .src = __LINE__, .fmt = F_MD, __VA_ARGS__ }
#define JL(...) { .src = __LINE__, .fmt = F_JSONL, __VA_ARGS__ }

/* Long strings, built by the compiler. */
#define X2(s) s s
#define X4(s) X2(s) X2(s)
#define X10(s) X4(s) X4(s) X2(s)
#define X100(s) X10(X10(s))

static const row rows[] = {
	/* ---------------- Markdown: front matter ---------------- */

	/* The smallest valid article; defaults (kind faq, lang en, audience
	 * public) and the line of each field, the body after the closing line. */
	MD(.in = "---\nid: a1\ntitle: Hello\n---\nBody text.\n", .n = 1, .id = "a1",
	   .title = "Hello", .body = "Body text.", .kind = "faq", .lang = "en",
	   .audience = "public", .tags = "", .segments = "",
	   .absent = "category updated url summary", .lines = "line=1 id=2 title=3 body=5"),
	/* Every field, block and flow lists, normalisations of article.h:
	 * category levels trimmed and trailing '/' dropped, list items trimmed
	 * and de-duplicated (first wins), lang lowered, a YAML date kept as text. */
	MD(.in = "---\n"
		 "id: kb:reset-password_2.0\n"
		 "title: '  Reset my password  '\n"
		 "kind: tutorial\n"
		 "lang: FR\n"
		 "category: ' Compte / Connexion/'\n"
		 "tags:\n"
		 "  - mot de passe\n"
		 "  - ' login '\n"
		 "  - mot de passe\n"
		 "audience: [agent, public]\n"
		 "segments:\n"
		 "- pro\n"
		 "updated: 2026-03-14\n"
		 "url: https://help.example.com/a\n"
		 "summary: |\n"
		 "  Two lines\n"
		 "  of summary.\n"
		 "---\n"
		 "Text\n",
	   .n = 1, .id = "kb:reset-password_2.0", .title = "Reset my password",
	   .kind = "tutorial", .lang = "fr", .category = "Compte/Connexion",
	   .tags = "mot de passe|login", .audience = "agent|public", .segments = "pro",
	   .updated = "2026-03-14", .url = "https://help.example.com/a",
	   .summary = "Two lines\nof summary.",
	   .lines = "id=2 title=3 kind=4 lang=5 category=6 tags=7 audience=11 segments=12 "
		    "updated=14 url=15 summary=16 body=20"),
	/* CRLF line endings everywhere, on the delimiters too. */
	MD(.in = "---\r\nid: crlf\r\ntitle: Windows\r\n---\r\nLine one\r\nline two\r\n", .n = 1,
	   .id = "crlf", .title = "Windows", .body = "Line one line two", .lines = "body=5"),
	/* A UTF-8 BOM before the first "---". */
	MD(.in = "\xEF\xBB\xBF---\nid: bom\ntitle: Été\n---\nCorps\n", .n = 1, .id = "bom",
	   .title = "Été", .body = "Corps"),
	/* Trailing blanks after the delimiters, and "..." closing the front matter. */
	MD(.in = "---  \t\nid: dots\ntitle: T\n...   \nBody\n", .n = 1, .id = "dots", .body = "Body"),
	/* A closing line at the very end of the file (no body) is an empty body. */
	MD(.in = "---\nid: a\ntitle: T\n---", .diag = { "5: body is empty" }),
	/* "--- x" is not a delimiter: YAML sees a second document. */
	MD(.in = "---\nid: a\n--- x\ntitle: T\n---\nBody\n",
	   .diag = { "3: front matter holds more than one YAML document" }),
	/* No front matter at all. */
	MD(.in = "# Just Markdown\n\nText\n",
	   .diag = { "1: missing front matter (--- ... ---) with id and title" }),
	/* An empty file. */
	MD(.in = "", .diag = { "1: missing front matter (--- ... ---) with id and title" }),
	/* "---" must be the first line, alone. */
	MD(.in = "\n---\nid: a\ntitle: T\n---\nBody\n",
	   .diag = { "1: missing front matter (--- ... ---) with id and title" }),
	/* Front matter never closed. */
	MD(.in = "---\nid: a\ntitle: T\nBody\n",
	   .diag = { "1: unterminated front matter: no closing '---' line" }),
	/* Only the opening line. */
	MD(.in = "---", .diag = { "1: unterminated front matter: no closing '---' line" }),
	/* Empty front matter: validation names what is missing, at line 1. */
	MD(.in = "---\n---\nBody\n", .diag = { "1: missing required field 'id'" }),
	/* Comments and blank lines in YAML are fine. */
	MD(.in = "---\n# comment\n\nid: c   # trailing comment\ntitle: T\n---\nBody\n", .n = 1,
	   .id = "c", .lines = "id=4 title=5"),

	/* ---------------- Markdown: YAML shapes ---------------- */

	/* A YAML syntax error is reported at libyaml's problem mark, as a
	 * file line (front matter starts at line 2), with libyaml's text. */
	MD(.in = "---\nid: a\ntitle: T\nsummary: a: b\n---\nBody\n",
	   .diag = { "4: YAML: mapping values are not allowed in this context" }),
	/* libyaml also breaks lines at a lone CR, NEL, LS and PS; messages
	 * still count lines by '\n', as the rest of the file (found by
	 * fuzzing: a YAML error named line 9 of a file of 4 lines). */
	MD(.in = "---\nid: a\ntitle: \"x\ry\xC2\x85z\xE2\x80\xA8w\"\nsummary: a: b\n---\nBody\n",
	   .diag = { "4: YAML: mapping values are not allowed in this context" }),
	MD(.in = "---\nid: a\rtitle: T\r\r\nkind: guide\n---\nBody\n", .n = 1, .id = "a",
	   .title = "T", .lines = "id=2 title=2 kind=3 body=5"),
	/* A YAML error with a context names where the construct began. */
	MD(.in = "---\nid: a\ntags: [a, b\ntitle: T\n---\nBody\n",
	   .diag = { "4: YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 3)" }),
	/* Control characters libyaml's reader refuses: reported at their line. */
	MD(.in = "---\nid: a\ntitle: T\x01x\n---\nBody\n",
	   .diag = { "3: YAML: control characters are not allowed" }),
	/* Aliases are refused (billion laughs), at the alias. */
	MD(.in = "---\nid: a\ntitle: &t Hello\nsummary: *t\n---\nBody\n",
	   .diag = { "4: YAML aliases are not allowed" }),
	/* The classic billion-laughs document stops at its first alias. */
	MD(.in = "---\nid: lol\ntitle: T\n"
		 "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
		 "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		 "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		 "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		 "---\nBody\n",
	   .diag = { "5: YAML aliases are not allowed" }),
	/* Deep nesting is cut short before the document is loaded. */
	MD(.in = "---\nid: a\ntitle: T\nx: " X100("[") X100("]") "\n---\nBody\n",
	   .diag = { "4: YAML nested deeper than 64 levels" }),
	/* The front matter must be a mapping. */
	MD(.in = "---\n- id\n- title\n---\nBody\n",
	   .diag = { "2: front matter must be a YAML mapping of fields (key: value)" }),
	/* A scalar front matter too. */
	MD(.in = "---\njust text\n---\nBody\n",
	   .diag = { "2: front matter must be a YAML mapping of fields (key: value)" }),
	/* A complex key. */
	MD(.in = "---\nid: a\n? [x]\n: y\ntitle: T\n---\nBody\n",
	   .diag = { "3: field names must be plain strings" }),
	/* Unknown key: a warning at the key's line, the article still goes in. */
	MD(.in = "---\nid: a\ntittle: T\ntitle: T\n---\nBody\n", .n = 1,
	   .diag = { "3: warning: unknown field 'tittle' (ignored)" }),
	/* A duplicate key is an error at the second one. */
	MD(.in = "---\nid: a\ntitle: A\nkind: faq\ntitle: B\n---\nBody\n",
	   .diag = { "5: duplicate field 'title' (first at line 3)" }),
	/* body belongs after the front matter. */
	MD(.in = "---\nid: a\ntitle: T\nbody: text\n---\nBody\n",
	   .diag = { "4: field 'body' is not allowed in front matter" }),
	/* A mapping where a string is expected: at the value's line. */
	MD(.in = "---\nid: a\ntitle:\n  en: Hello\n---\nBody\n",
	   .diag = { "4: field 'title' must be a string" }),
	/* A sequence where a string is expected. */
	MD(.in = "---\nid: a\ntitle: T\nkind: [faq]\n---\nBody\n",
	   .diag = { "4: field 'kind' must be a string" }),
	/* A mapping where a list is expected. */
	MD(.in = "---\nid: a\ntitle: T\ntags: {a: b}\n---\nBody\n",
	   .diag = { "4: field 'tags' must be a list of strings" }),
	/* A list inside a list: at the item's line. */
	MD(.in = "---\nid: a\ntitle: T\ntags:\n  - a\n  - [b]\n---\nBody\n",
	   .diag = { "6: field 'tags' must be a list of strings" }),
	/* A single scalar where a list is expected is a list of one. */
	MD(.in = "---\nid: a\ntitle: T\ntags: billing\naudience: agent\n---\nBody\n", .n = 1,
	   .tags = "billing", .audience = "agent"),
	/* Scalars YAML would type (number, date, boolean) are taken as text. */
	MD(.in = "---\nid: 007\ntitle: true\nupdated: 2026-03-14\n---\nBody\n", .n = 1,
	   .id = "007", .title = "true", .updated = "2026-03-14"),
	/* Null values are absent: the error names the key's line. */
	MD(.in = "---\nid: a\ntitle: ~\n---\nBody\n", .diag = { "3: missing required field 'title'" }),
	/* An empty value is null too; null lists and strings are absent. */
	MD(.in = "---\nid: a\ntitle: T\nkind:\ntags: null\ncategory: ''\n---\nBody\n", .n = 1,
	   .kind = "faq", .tags = "", .absent = "category"),
	/* A quoted "null" is a string. */
	MD(.in = "---\nid: a\ntitle: 'null'\n---\nBody\n", .n = 1, .title = "null"),
	/* A "\0" escape cannot sneak a NUL into a field. */
	MD(.in = "---\nid: a\ntitle: \"a\\0b\"\n---\nBody\n",
	   .diag = { "3: field 'title' contains a NUL character" }),

	/* ---------------- Markdown: bytes ---------------- */

	/* Invalid UTF-8 is found before YAML sees it, with its line. */
	MD(.in = "---\nid: a\ntitle: caf\xE9\n---\nBody\n",
	   .diag = { "3: invalid UTF-8 at byte 20" }),
	/* ... in the body too. */
	MD(.in = "---\nid: a\ntitle: T\n---\nBody\n\nbad \xC0\xAF\n",
	   .diag = { "7: invalid UTF-8 at byte 33" }),
	/* A NUL byte, with its line. */
	MD(BYTES("---\nid: a\ntitle: T\n---\nBo\0dy\n"), .diag = { "5: NUL byte in file" }),

	/* ---------------- validation, through Markdown ---------------- */

	/* No id key: reported at the article's line. */
	MD(.in = "---\ntitle: T\n---\nBody\n", .diag = { "1: missing required field 'id'" }),
	/* An id with a space. */
	MD(.in = "---\ntitle: T\nid: a b\n---\nBody\n",
	   .diag = { "3: invalid id 'a b': use 1-128 of A-Z a-z 0-9 . _ : -" }),
	/* An id with a slash (would break paths and URLs). */
	MD(.in = "---\nid: a/b\ntitle: T\n---\nBody\n", .diag = { "2: invalid id 'a/b'" }),
	/* An id of 128 bytes is the longest accepted. */
	MD(.in = "---\nid: " X100("a") X10("b") X10("c") "dddddddd\ntitle: T\n---\nBody\n", .n = 1),
	/* An id of 129 bytes is not (and the message shortens it). */
	MD(.in = "---\nid: " X100("a") X10("b") X10("c") "ddddddddd\ntitle: T\n---\nBody\n",
	   .diag = { "2: invalid id 'aaaa" }),
	/* An empty id string. */
	MD(.in = "---\nid: ''\ntitle: T\n---\nBody\n", .diag = { "2: invalid id ''" }),
	/* A blank title. */
	MD(.in = "---\nid: a\ntitle: '   '\n---\nBody\n", .diag = { "3: title is blank" }),
	/* A title of 1000 bytes is accepted... */
	MD(.in = "---\nid: a\ntitle: " X100("0123456789") "\n---\nBody\n", .n = 1),
	/* ... 1001 is not. */
	MD(.in = "---\nid: a\ntitle: " X100("0123456789") "x\n---\nBody\n",
	   .diag = { "3: title is longer than 1000 bytes" }),
	/* A control character in a title (YAML escape). */
	MD(.in = "---\nid: a\ntitle: \"ring\\a\"\n---\nBody\n",
	   .diag = { "3: title contains a control character (U+0007)" }),
	/* A C1 control character. */
	MD(.in = "---\nid: a\ntitle: \"x\\x85y\"\n---\nBody\n",
	   .diag = { "3: title contains a control character (U+0085)" }),
	/* A body that renders to nothing (an HTML comment). */
	MD(.in = "---\nid: a\ntitle: T\n---\n<!-- draft -->\n",
	   .diag = { "5: body is empty" }),
	/* A blank body. */
	MD(.in = "---\nid: a\ntitle: T\n---\n\n   \n\n", .diag = { "5: body is empty" }),
	/* Unknown kind. */
	MD(.in = "---\nid: a\ntitle: T\nkind: howto\n---\nBody\n",
	   .diag = { "4: kind 'howto' is not one of faq, tutorial, guide, troubleshooting" }),
	/* Each kind is accepted. */
	MD(.in = "---\nid: a\ntitle: T\nkind: troubleshooting\n---\nBody\n", .n = 1,
	   .kind = "troubleshooting"),
	/* A language name instead of its code. */
	MD(.in = "---\nid: a\ntitle: T\nlang: french\n---\nBody\n",
	   .diag = { "4: lang 'french' is not an ISO 639-1 code (two letters, e.g. fr)" }),
	/* A region tag is not ISO 639-1. */
	MD(.in = "---\nid: a\ntitle: T\nlang: fr-FR\n---\nBody\n",
	   .diag = { "4: lang 'fr-FR' is not an ISO 639-1 code" }),
	/* An impossible date. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2026-02-30\n---\nBody\n",
	   .diag = { "4: updated '2026-02-30' is not a valid ISO 8601 date" }),
	/* 29 February of a leap year. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2024-02-29\n---\nBody\n", .n = 1),
	/* ... of a year that is not (1900 is not either). */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 1900-02-29\n---\nBody\n",
	   .diag = { "4: updated '1900-02-29' is not" }),
	/* A full date-time with fraction and offset. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2026-03-14T09:26:53.589+01:00\n---\nBody\n",
	   .n = 1, .updated = "2026-03-14T09:26:53.589+01:00"),
	/* A date-time in UTC, minutes only. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2026-03-14T09:26Z\n---\nBody\n", .n = 1),
	/* An hour out of range. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2026-03-14T24:00\n---\nBody\n",
	   .diag = { "4: updated '2026-03-14T24:00' is not" }),
	/* A space instead of T. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 2026-03-14 10:00\n---\nBody\n",
	   .diag = { "4: updated '2026-03-14 10:00' is not" }),
	/* Month 13, and a European date. */
	MD(.in = "---\nid: a\ntitle: T\nupdated: 14/03/2026\n---\nBody\n",
	   .diag = { "4: updated '14/03/2026' is not" }),
	/* An empty category level. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: Compte//Connexion\n---\nBody\n",
	   .diag = { "4: category 'Compte//Connexion' has an empty level" }),
	/* A blank level between slashes. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: A/ /B\n---\nBody\n",
	   .diag = { "4: category 'A/ /B' has an empty level" }),
	/* Eight levels are accepted, nine are not. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: 1/2/3/4/5/6/7/8\n---\nBody\n", .n = 1,
	   .category = "1/2/3/4/5/6/7/8"),
	MD(.in = "---\nid: a\ntitle: T\ncategory: 1/2/3/4/5/6/7/8/9\n---\nBody\n",
	   .diag = { "4: category '1/2/3/4/5/6/7/8/9' has more than 8 levels" }),
	/* A level longer than 100 bytes. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: A/" X100("b") "b\n---\nBody\n",
	   .diag = { "4: category 'A/bbbb" }),
	/* A leading slash is tolerated like a trailing one. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: /Compte/\n---\nBody\n", .n = 1, .category = "Compte"),
	/* A category of only a slash. */
	MD(.in = "---\nid: a\ntitle: T\ncategory: /\n---\nBody\n",
	   .diag = { "4: category '/' has an empty level" }),
	/* A blank tag. */
	MD(.in = "---\nid: a\ntitle: T\ntags: [a, '  ']\n---\nBody\n",
	   .diag = { "4: tags entry 2 is blank" }),
	/* A null list item is a blank entry. */
	MD(.in = "---\nid: a\ntitle: T\nsegments:\n  - pro\n  -\n---\nBody\n",
	   .diag = { "4: segments entry 2 is blank" }),
	/* A tag over 100 bytes. */
	MD(.in = "---\nid: a\ntitle: T\ntags: [" X100("t") "t]\n---\nBody\n",
	   .diag = { "4: tags entry 'tttt" }),
	/* A newline inside a tag. */
	MD(.in = "---\nid: a\ntitle: T\ntags: [\"a\\nb\"]\n---\nBody\n",
	   .diag = { "4: tags entry 'a?b' contains a control character (U+000A)" }),
	/* An empty audience list means public. */
	MD(.in = "---\nid: a\ntitle: T\naudience: []\n---\nBody\n", .n = 1, .audience = "public"),
	/* A control character in url. */
	MD(.in = "---\nid: a\ntitle: T\nurl: \"http://x/\\ty\"\n---\nBody\n",
	   .diag = { "4: url contains a control character (U+0009)" }),
	/* A control character in summary (newlines and tabs are prose there). */
	MD(.in = "---\nid: a\ntitle: T\nsummary: \"a\\tb\\ec\"\n---\nBody\n",
	   .diag = { "4: summary contains a control character (U+001B)" }),
	/* Blank optional strings are absent. */
	MD(.in = "---\nid: a\ntitle: T\nurl: ' '\nsummary: ''\nupdated: ''\n---\nBody\n", .n = 1,
	   .absent = "url summary updated"),

	/* ---------------- Markdown rendering ---------------- */

	/* Headings are their own paragraphs; emphasis, code and links give
	 * their text, not the URL; images their alt text. */
	MD(.in = "---\nid: a\ntitle: T\n---\n"
		 "# Reset\n"
		 "Go to *Settings* > **Security** and click `Reset`.\n"
		 "See [the guide](https://example.com/guide) or ![a screenshot](s.png).\n",
	   .n = 1,
	   .body = "Reset\n\nGo to Settings > Security and click Reset. See the guide or a screenshot."),
	/* Lists: "- " and numbered items, each its own paragraph. */
	MD(.in = "---\nid: a\ntitle: T\n---\nSteps:\n\n3. Open\n4. Click\n\n* one\n* two\n", .n = 1,
	   .body = "Steps:\n\n3. Open\n\n4. Click\n\n- one\n\n- two"),
	/* HTML is dropped, hard breaks are kept, code blocks are paragraphs. */
	MD(.in = "---\nid: a\ntitle: T\n---\n<div>\nhidden\n</div>\n\nline<br>one  \nline two\n\n"
		 "```\ncode here\n```\n> quoted\n",
	   .n = 1, .body = "line\none\nline two\n\ncode here\n\nquoted"),

	/* ---------------- JSONL ---------------- */

	/* Two articles, a blank and a whitespace-only line skipped; the line
	 * numbers are the file's. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}\n\n  \t \n"
		 "{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n",
	   .n = 2, .ids = "a|b", .lines = "line=1 id=1 title=1 body=1"),
	/* Every field; body stays plain text (no Markdown rendering). */
	JL(.in = "{\"id\":\"j1\",\"title\":\" T \",\"body\":\"**not** rendered\\r\\nnext\","
		 "\"kind\":\"guide\",\"lang\":\"EN\",\"category\":\"A /B\",\"tags\":[\"x\",\"y\",\"x\"],"
		 "\"audience\":[\"agent\"],\"segments\":\"pro\",\"updated\":\"2026-01-31\","
		 "\"url\":\"u\",\"summary\":\"s\"}\n",
	   .n = 1, .id = "j1", .title = "T", .body = "**not** rendered\nnext", .kind = "guide",
	   .lang = "en", .category = "A/B", .tags = "x|y", .audience = "agent", .segments = "pro",
	   .updated = "2026-01-31", .url = "u", .summary = "s"),
	/* A bad JSON line is reported with jansson's text and column; the
	 * lines after it still go in. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}\n{\"id\": \"b\",, }\n"
		 "{\"id\":\"c\",\"title\":\"C\",\"body\":\"z\"}\n",
	   .n = 2, .ids = "a|c", .diag = { "2: JSON: string or '}' expected near ',' (column 12)" }),
	/* A line that is JSON but not an object. */
	JL(.in = "[1, 2]\n\"text\"\n{\"id\":\"c\",\"title\":\"C\",\"body\":\"z\"}\n", .n = 1,
	   .diag = { "1: expected a JSON object, not an array", "2: expected a JSON object, not a string" }),
	/* An integer id is taken as its decimal text. */
	JL(.in = "{\"id\":42,\"title\":\"A\",\"body\":\"x\"}\n", .n = 1, .id = "42"),
	/* Other non-string ids are not. */
	JL(.in = "{\"id\":4.5,\"title\":\"A\",\"body\":\"x\"}\n{\"id\":true,\"title\":\"A\",\"body\":\"x\"}\n",
	   .diag = { "1: field 'id' must be a string, not a number", "2: field 'id' must be a string, not a boolean" }),
	/* A number where a string is expected. */
	JL(.in = "{\"id\":\"a\",\"title\":7,\"body\":\"x\"}\n",
	   .diag = { "1: field 'title' must be a string, not a number" }),
	/* Unknown keys warn; the article goes in. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\",\"views\":3}\n", .n = 1,
	   .diag = { "1: warning: unknown field 'views' (ignored)" }),
	/* A duplicate key (jansson's JSON_REJECT_DUPLICATES). */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"title\":\"B\",\"body\":\"x\"}\n",
	   .diag = { "1: JSON: duplicate object key" }),
	/* null is absent. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\",\"kind\":null,\"tags\":null}\n", .n = 1,
	   .kind = "faq", .tags = ""),
	/* A list that is not one, and a list with a non-string. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\",\"tags\":3}\n"
		 "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\",\"tags\":[\"ok\",{}]}\n",
	   .diag = { "1: field 'tags' must be a list of strings, not a number",
		     "2: field 'tags' must be a list of strings (entry 2 is an object)" }),
	/* Missing body, blank body. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\"}\n{\"id\":\"a\",\"title\":\"A\",\"body\":\" \\n \"}\n",
	   .diag = { "1: missing required field 'body'", "2: body is empty" }),
	/* The body keeps tabs and newlines, not other control characters
	 * (reported at the line, the body's line in JSONL). */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"a\\tb\\nc\"}\n"
		 "{\"id\":\"b\",\"title\":\"B\",\"body\":\"a\\u0001b\"}\n",
	   .n = 1, .body = "a\tb\nc", .diag = { "2: body contains a control character (U+0001)" }),
	/* A control character given as a JSON escape. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\\u0007\",\"body\":\"x\"}\n",
	   .diag = { "1: title contains a control character (U+0007)" }),
	/* "\u0000" stays out (jansson refuses it without JSON_ALLOW_NUL). */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\\u0000\",\"body\":\"x\"}\n",
	   .diag = { "1: JSON: \\u0000 is not allowed without JSON_ALLOW_NUL" }),
	/* CRLF line endings and a BOM on the first line. */
	JL(.in = "\xEF\xBB\xBF{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}\r\n\r\n"
		 "{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\r\n",
	   .n = 2, .ids = "a|b"),
	/* The last line needs no newline. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}", .n = 1, .id = "a"),
	/* Invalid UTF-8 in a line: reported, the next line goes in. */
	JL(.in = "{\"id\":\"a\",\"title\":\"caf\xE9\",\"body\":\"x\"}\n"
		 "{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n",
	   .n = 1, .ids = "b", .diag = { "1: JSON: unable to decode byte 0xe9" }),
	/* A raw NUL byte in a line. */
	JL(BYTES("{\"id\":\"a\"\0}\n{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n"),
	   .n = 1, .ids = "b", .diag = { "1: JSON: " }),
	/* Trailing garbage after the object. */
	JL(.in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"} x\n", .diag = { "1: JSON: end of file expected" }),
	/* Deep nesting stops at jansson's depth limit. */
	JL(.in = "{\"x\":" X2(X10(X100("["))) X10(X100("[")) "}\n{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n", .n = 1,
	   .ids = "b", .diag = { "1: JSON: maximum parsing depth reached" }),
	/* jansson quotes the text near an error as it is: a raw control
	 * byte must not reach our message. */
	JL(.in = "[\x01]\n", .diag = { "1: JSON: invalid token near '?' (column 2)" }),
	/* Validation errors are at the line too. */
	JL(.in = "\n\n{\"id\":\"a b\",\"title\":\"A\",\"body\":\"x\"}\n",
	   .diag = { "3: invalid id 'a b': use 1-128 of A-Z a-z 0-9 . _ : -" }),
	/* An empty stream. */
	JL(.in = "", .n = 0),
};

/* "line=1 id=2": checks a->line and field_line[]. */
static bool check_lines(const got *g, const char *spec, char *why, size_t cap)
{
	char name[32];
	unsigned want;
	int used;
	for (const char *p = spec; sscanf(p, " %31[a-z]=%u%n", name, &want, &used) == 2; p += used) {
		unsigned have;
		if (strcmp(name, "line") == 0) {
			have = g->line;
		} else {
			int f = kbs_index__field_lookup(name, strlen(name));
			assert_true(f >= 0);
			have = g->field_line[f];
		}
		if (have != want) {
			snprintf(why, cap, "line of %s: %u, expected %u", name, have, want);
			return false;
		}
	}
	return true;
}

static bool check_row(const row *r, collect *c, char *why, size_t cap)
{
	size_t nd = 0;
	while (nd < 4 && r->diag[nd])
		nd++;
	if (c->ndiags != nd || c->narts != (size_t)r->n) {
		int k = snprintf(why, cap, "%zu articles (expected %d), %zu diags (expected %zu):",
				 c->narts, r->n, c->ndiags, nd);
		for (size_t i = 0; i < c->ndiags && k > 0 && (size_t)k < cap; i++)
			k += snprintf(why + k, cap - (size_t)k, " [%s]", c->diags[i]);
		return false;
	}
	for (size_t i = 0; i < c->ndiags; i++)
		if (!kbs_utf8_valid(c->diags[i], strlen(c->diags[i]), NULL)) {
			snprintf(why, cap, "diag %zu is not valid UTF-8", i + 1);
			return false;
		}
	for (size_t i = 0; i < nd; i++)
		if (strncmp(c->diags[i], r->diag[i], strlen(r->diag[i])) != 0) {
			snprintf(why, cap, "diag [%s], expected [%s...]", c->diags[i], r->diag[i]);
			return false;
		}
	if (r->ids) {
		char ids[256] = "";
		for (size_t i = 0; i < c->narts; i++)
			snprintf(ids + strlen(ids), sizeof ids - strlen(ids), "%s%s", i ? "|" : "",
				 c->arts[i].f[KBS_F_ID]);
		if (strcmp(ids, r->ids) != 0) {
			snprintf(why, cap, "ids %s, expected %s", ids, r->ids);
			return false;
		}
	}
	if (c->narts == 0)
		return true;
	const got *g = &c->arts[0];
	const char *want[KBS_F_COUNT] = {
		[KBS_F_ID] = r->id, [KBS_F_TITLE] = r->title, [KBS_F_BODY] = r->body,
		[KBS_F_KIND] = r->kind, [KBS_F_LANG] = r->lang, [KBS_F_CATEGORY] = r->category,
		[KBS_F_TAGS] = r->tags, [KBS_F_AUDIENCE] = r->audience,
		[KBS_F_SEGMENTS] = r->segments, [KBS_F_UPDATED] = r->updated,
		[KBS_F_URL] = r->url, [KBS_F_SUMMARY] = r->summary,
	};
	for (int f = 0; f < KBS_F_COUNT; f++) {
		if (!want[f])
			continue;
		if (!g->f[f] || strcmp(g->f[f], want[f]) != 0) {
			snprintf(why, cap, "%s = [%s], expected [%s]", kbs_index__field_name((kbs_field)f),
				 g->f[f] ? g->f[f] : "(null)", want[f]);
			return false;
		}
	}
	/* Validated articles always carry these. */
	if (!g->f[KBS_F_KIND] || !g->f[KBS_F_LANG] || !g->f[KBS_F_AUDIENCE][0]) {
		snprintf(why, cap, "kind, lang or audience not set");
		return false;
	}
	char name[32];
	int used;
	for (const char *p = r->absent ? r->absent : "";
	     sscanf(p, " %31[a-z]%n", name, &used) == 1; p += used) {
		int f = kbs_index__field_lookup(name, strlen(name));
		assert_true(f >= 0);
		if (g->f[f]) {
			snprintf(why, cap, "%s = [%s], expected absent", name, g->f[f]);
			return false;
		}
	}
	return r->lines ? check_lines(g, r->lines, why, cap) : true;
}

static void test_rows(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		const row *r = &rows[i];
		collect c = { 0 };
		c.file = r->fmt == F_MD ? "art.md" : "arts.jsonl";
		kbs_index__sink s = sink_for(&c);
		size_t len = r->len ? r->len : strlen(r->in);
		kbs_status rc = r->fmt == F_MD ? kbs_index__parse_markdown(c.file, r->in, len, &s)
					       : parse_jsonl_bytes(r->in, len, &s, &c);
		char why[2048] = "";
		bool ok = rc == KBS_OK;
		if (!ok)
			snprintf(why, sizeof why, "returned %s", kbs_status_str(rc));
		else
			ok = check_row(r, &c, why, sizeof why);
		if (ok && r->fmt == F_JSONL && c.done_bytes != len) {
			snprintf(why, sizeof why, "done() saw %llu bytes of %zu",
				 (unsigned long long)c.done_bytes, len);
			ok = false;
		}
		if (!ok) {
			print_error("test_parse.c:%d: %s\n", r->src, why);
			failed++;
		}
		collect_free(&c);
	}
	if (failed)
		fail_msg("%d of %zu rows failed", failed, sizeof rows / sizeof *rows);
}

/* ------------------------------------------------------------------------ */
/* Markdown to text                                                          */
/* ------------------------------------------------------------------------ */

static const struct {
	int src;
	const char *md, *text; /* what it guards: in the comment above */
} md_rows[] = {
	/* Paragraphs apart, soft breaks as spaces. */
	{ __LINE__, "one\ntwo\n\nthree", "one two\n\nthree" },
	/* ATX and setext headings are paragraphs of their own. */
	{ __LINE__, "# Title\ntext\n\nSub\n---\nmore", "Title\n\ntext\n\nSub\n\nmore" },
	/* Unordered items with "- ", whatever the marker. */
	{ __LINE__, "- a\n+ b\n\n* c", "- a\n\n- b\n\n- c" },
	/* Ordered items keep their start number. */
	{ __LINE__, "1. a\n2. b\n3. c", "1. a\n\n2. b\n\n3. c" },
	{ __LINE__, "7) a\n8) b", "7. a\n\n8. b" },
	/* Nested lists, an item with two paragraphs. */
	{ __LINE__, "- a\n  - b\n\n  more\n- c", "- a\n\n- b\n\nmore\n\n- c" },
	/* An item starting with a list. */
	{ __LINE__, "- - x", "- - x" },
	/* An empty item leaves nothing behind. */
	{ __LINE__, "-\n\nafter", "after" },
	/* Link text, not the URL; autolinks give their text. */
	{ __LINE__, "[click here](http://x.y/z \"t\") <http://a.b>", "click here http://a.b" },
	/* Image alt text, reference links. */
	{ __LINE__, "![a cat](c.png)\n\n[ref]\n\n[ref]: http://r", "a cat\n\nref" },
	/* Inline code, emphasis, strong, entities. */
	{ __LINE__, "`x<y` *em* __strong__ &amp; &eacute;", "x<y em strong & é" },
	/* Hard breaks (two spaces, backslash) are newlines. */
	{ __LINE__, "a  \nb\\\nc", "a\nb\nc" },
	/* Code blocks (fenced, indented) keep their lines. */
	{ __LINE__, "```sh\n$ kbs index\n$ kbs search\n```\n\n    indented", "$ kbs index\n$ kbs search\n\nindented" },
	/* Block quotes give their paragraphs. */
	{ __LINE__, "> q1\n>\n> q2", "q1\n\nq2" },
	/* HTML blocks and inline HTML go. */
	{ __LINE__, "<!-- c -->\n\n<p>raw</p>\n\ntext <b>bold</b>", "text bold" },
	/* ... but an inline <br> breaks the line rather than gluing words;
	 * at the start of a paragraph it adds nothing. */
	{ __LINE__, "a<br>b<BR/>c<br />d<b>e</b>\n\n<br>f", "a\nb\nc\nde\n\nf" },
	/* Thematic breaks leave nothing. */
	{ __LINE__, "a\n\n***\n\nb", "a\n\nb" },
	/* Nothing at all. */
	{ __LINE__, "", "" },
	/* CRLF input. */
	{ __LINE__, "a\r\nb\r\n\r\n# H\r\n", "a b\n\nH" },
};

static void test_markdown_to_text(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof md_rows / sizeof *md_rows; i++) {
		char *t = kbs_index__markdown_to_text(md_rows[i].md, strlen(md_rows[i].md));
		assert_non_null(t);
		if (strcmp(t, md_rows[i].text) != 0) {
			print_error("test_parse.c:%d: got [%s], expected [%s]\n", md_rows[i].src, t,
				    md_rows[i].text);
			failed++;
		}
		free(t);
	}
	if (failed)
		fail_msg("%d markdown rows failed", failed);
}

/* Deep nesting of block quotes and lists renders without recursion. */
static void test_markdown_deep(void **state)
{
	(void)state;
	size_t n = 200000;
	char *md = malloc(2 * n + 2);
	assert_non_null(md);
	memset(md, '>', n);
	strcpy(md + n, "x");
	char *t = kbs_index__markdown_to_text(md, strlen(md));
	assert_non_null(t);
	assert_string_equal(t, "x");
	free(t);
	for (size_t i = 0; i < n; i++)
		memcpy(md + 2 * i, "- ", 2);
	strcpy(md + 2 * n, "x");
	t = kbs_index__markdown_to_text(md, strlen(md));
	assert_non_null(t);
	assert_int_equal(strlen(t), 2 * n + 1);
	free(t);
	free(md);
}

/* ------------------------------------------------------------------------ */
/* Validation called directly (the kbs_indexer_add path)                     */
/* ------------------------------------------------------------------------ */

static void set(char **slot, const char *s)
{
	*slot = s ? strdup(s) : NULL;
	assert_true(!s || *slot);
}

static void api_article(kbs_index__article *a, const char *id, const char *title,
			const char *body)
{
	memset(a, 0, sizeof *a);
	a->file = "<api>";
	set(&a->id, id);
	set(&a->title, title);
	set(&a->body, body);
}

static void test_validate_api(void **state)
{
	(void)state;
	collect c = { 0 };
	c.file = "<api>";
	kbs_index__sink s = sink_for(&c);
	kbs_index__article a;

	/* The sink's default language; body rendered on request. */
	s.default_lang = "FR";
	api_article(&a, "x", "Titre\n", "# H\n\ntexte *ici*");
	assert_int_equal(kbs_index__validate(&a, true, &s), KBS_OK);
	assert_string_equal(a.lang, "fr");
	assert_string_equal(a.title, "Titre");
	assert_string_equal(a.body, "H\n\ntexte ici");
	assert_int_equal(a.audience.n, 1);
	assert_string_equal(a.audience.v[0], "public");
	kbs_index__article_free(&a);
	kbs_index__article_free(&a); /* members are NULL again: harmless */
	assert_int_equal(c.ndiags, 0);

	/* Line 0 when nothing says where (field_line 0, line 0). */
	api_article(&a, "x", NULL, "b");
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_EINVALID);
	kbs_index__article_free(&a);
	assert_int_equal(c.ndiags, 1);
	assert_string_equal(c.diags[0], "0: missing required field 'title'");

	/* Invalid UTF-8 given through the API. */
	api_article(&a, "x", "caf\xC3", "b");
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_EINVALID);
	kbs_index__article_free(&a);
	assert_string_equal(c.diags[1], "0: field 'title' is not valid UTF-8 (byte 3)");
	api_article(&a, "x", "t", "b");
	assert_true(kbs_strlist_push(&a.tags, "ok"));
	assert_true(kbs_strlist_push(&a.tags, "\xFF"));
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_EINVALID);
	kbs_index__article_free(&a);
	assert_string_equal(c.diags[2], "0: field 'tags' is not valid UTF-8 (entry 2, byte 0)");

	/* More than 100 distinct tags (duplicates do not count); the list
	 * stays whole for article_free (ASan/valgrind check the rest). */
	api_article(&a, "x", "t", "b");
	for (int i = 0; i < 100; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, " t%d ", i);
		assert_true(kbs_strlist_push(&a.tags, tag));
		assert_true(kbs_strlist_push(&a.tags, tag + 1));
	}
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_OK);
	assert_int_equal(a.tags.n, 100);
	assert_string_equal(a.tags.v[99], "t99");
	kbs_index__article_free(&a);
	api_article(&a, "x", "t", "b");
	for (int i = 0; i < 150; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "t%d", i % 2 ? i : 0);
		assert_true(kbs_strlist_push(&a.tags, tag));
	}
	assert_true(kbs_strlist_push(&a.tags, "t149"));
	for (int i = 0; i < 60; i++)
		assert_true(kbs_strlist_push(&a.tags, "u"));
	a.line = 7;
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_OK); /* 77 distinct */
	kbs_index__article_free(&a);
	api_article(&a, "x", "t", "b");
	a.line = 7;
	for (int i = 0; i < 150; i++) {
		char tag[16];
		snprintf(tag, sizeof tag, "t%d", i);
		assert_true(kbs_strlist_push(&a.tags, i == 120 ? " " : tag));
	}
	assert_int_equal(kbs_index__validate(&a, false, &s), KBS_EINVALID);
	kbs_index__article_free(&a);
	assert_string_equal(c.diags[3], "7: tags has more than 100 entries");

	/* The whole article at KBS_MAX_ARTICLE_BYTES (every field counts),
	 * then one byte above. */
	for (int over = 0; over <= 1; over++) {
		size_t fixed = 1 + 3 + 2 + 6; /* id x, kind faq, lang en, public */
		size_t blen = KBS_MAX_ARTICLE_BYTES - fixed - 1;
		api_article(&a, "x", over ? "tt" : "t", NULL);
		set(&a.kind, "faq");
		set(&a.lang, "en");
		assert_true(kbs_strlist_push(&a.audience, "public"));
		a.body = malloc(blen + 1);
		assert_non_null(a.body);
		memset(a.body, 'b', blen);
		a.body[blen] = '\0';
		a.line = 3;
		assert_int_equal(kbs_index__validate(&a, false, &s), over ? KBS_EINVALID : KBS_OK);
		kbs_index__article_free(&a);
	}
	assert_string_equal(c.diags[4], "3: article is larger than 8388608 bytes");

	/* A body that outgrows the limit once rendered (every item of an
	 * ordered list numbered in full): checked again after rendering. */
	kbs_buf md = { 0 };
	kbs_buf_adds(&md, "999999999. a\n");
	for (int i = 0; i < 600000; i++)
		kbs_buf_adds(&md, "1. a\n");
	assert_false(md.oom);
	assert_true(md.len < KBS_MAX_ARTICLE_BYTES / 2);
	api_article(&a, "x", "t", NULL);
	a.body = kbs_buf_steal(&md);
	assert_int_equal(kbs_index__validate(&a, true, &s), KBS_EINVALID);
	kbs_index__article_free(&a);
	assert_string_equal(c.diags[5], "0: article is larger than 8388608 bytes");
	assert_int_equal(c.ndiags, 6);
	collect_free(&c);
}

static void test_field_names(void **state)
{
	(void)state;
	for (int f = 0; f < KBS_F_COUNT; f++) {
		const char *name = kbs_index__field_name((kbs_field)f);
		assert_int_equal(kbs_index__field_lookup(name, strlen(name)), f);
	}
	assert_string_equal(kbs_index__field_name(KBS_F_SEGMENTS), "segments");
	assert_int_equal(kbs_index__field_lookup("titles", 6), -1);
	assert_int_equal(kbs_index__field_lookup("title", 4), -1);
	char buf[KBS_INDEX__EXCERPT];
	kbs_index__excerpt(buf, sizeof buf, "a\nb", 3);
	assert_string_equal(buf, "a?b");
	/* Cut on a UTF-8 boundary. */
	const char *e = X10("é") X10("é") X10("é") X10("é") X10("é");
	kbs_index__excerpt(buf, sizeof buf, e, strlen(e));
	assert_true(strlen(buf) < sizeof buf);
	assert_true(kbs_utf8_valid(buf, strlen(buf), NULL));
	assert_string_equal(buf + strlen(buf) - 3, "...");
}

/* ------------------------------------------------------------------------ */
/* Streams and sizes                                                         */
/* ------------------------------------------------------------------------ */

/* A line longer than KBS_INDEX_MAX_FILE_BYTES is reported and skipped
 * without being kept whole; the next line goes in. */
static void test_jsonl_long_line(void **state)
{
	(void)state;
	const char *tail = "\n{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n";
	size_t big = KBS_INDEX_MAX_FILE_BYTES + 10;
	size_t len = big + strlen(tail);
	char *in = malloc(len + 1);
	assert_non_null(in);
	memset(in, ' ', big);
	memcpy(in, "{\"id\":\"a\",\"body\":\"", 18);
	strcpy(in + big, tail);
	collect c = { 0 };
	c.file = "big.jsonl";
	kbs_index__sink s = sink_for(&c);
	assert_int_equal(parse_jsonl_bytes(in, len, &s, &c), KBS_OK);
	assert_int_equal(c.ndiags, 1);
	assert_string_equal(c.diags[0], "1: line is longer than 8454144 bytes");
	assert_int_equal(c.narts, 1);
	assert_string_equal(c.arts[0].f[KBS_F_ID], "b");
	assert_int_equal(c.arts[0].line, 2);
	assert_int_equal(c.ndone, 2);
	assert_int_equal(c.done_bytes, len);
	collect_free(&c);
	free(in);
}

/* A Markdown file above the limit (the article's plus 64 KiB of front
 * matter and markup) is refused before any parsing. */
static void test_markdown_too_large(void **state)
{
	(void)state;
	size_t len = (size_t)KBS_MAX_ARTICLE_BYTES + 65536 + 1;
	char *in = malloc(len);
	assert_non_null(in);
	memset(in, 'x', len);
	memcpy(in, "---\nid: a\ntitle: T\n---\n", 23);
	collect c = { 0 };
	c.file = "big.md";
	kbs_index__sink s = sink_for(&c);
	assert_int_equal(kbs_index__parse_markdown(c.file, in, len, &s), KBS_OK);
	assert_int_equal(c.ndiags, 1);
	assert_string_equal(c.diags[0], "1: file is larger than 8454144 bytes");
	assert_int_equal(c.narts, 0);
	collect_free(&c);
	/* One byte less is read: then the article is too large. */
	s = sink_for(&c);
	c.file = "big.md";
	assert_int_equal(kbs_index__parse_markdown(c.file, in, len - 1, &s), KBS_OK);
	assert_int_equal(c.ndiags, 1);
	assert_string_equal(c.diags[0], "1: article is larger than 8388608 bytes");
	collect_free(&c);
	free(in);
}

/* Big YAML within the limit: many keys, a long list; no crash, linear. */
static void test_markdown_big_yaml(void **state)
{
	(void)state;
	kbs_buf b = { 0 };
	kbs_buf_adds(&b, "---\nid: a\ntitle: T\ntags:\n");
	for (int i = 0; i < 200000; i++)
		kbs_buf_addf(&b, "  - t%d\n", i);
	kbs_buf_adds(&b, "---\nBody\n");
	assert_false(b.oom);
	collect c = { 0 };
	c.file = "many.md";
	kbs_index__sink s = sink_for(&c);
	assert_int_equal(kbs_index__parse_markdown(c.file, b.data, b.len, &s), KBS_OK);
	assert_int_equal(c.ndiags, 1);
	assert_string_equal(c.diags[0], "4: tags has more than 100 entries");
	collect_free(&c);
	kbs_buf_free(&b);
}

/* The sink's own status aborts a stream; KBS_STOP ends it quietly. */
static void test_sink_status(void **state)
{
	(void)state;
	const char *in = "{\"id\":\"a\",\"title\":\"A\",\"body\":\"x\"}\n"
			 "{\"id\":\"b\",\"title\":\"B\",\"body\":\"y\"}\n"
			 "{\"id\":\"c\",\"title\":\"C\",\"body\":\"z\"}\n";
	collect c = { 0 };
	kbs_index__sink s = sink_for(&c);
	c.fail_after = 1;
	c.fail_rc = KBS_EIO;
	assert_int_equal(parse_jsonl_bytes(in, strlen(in), &s, &c), KBS_EIO);
	assert_int_equal(c.narts, 1);
	collect_free(&c);
	s = sink_for(&c);
	c.fail_after = 2;
	c.fail_rc = KBS_STOP;
	assert_int_equal(parse_jsonl_bytes(in, strlen(in), &s, &c), KBS_OK);
	assert_int_equal(c.narts, 2);
	assert_int_equal(c.ndone, 3); /* the line that stopped was read */
	collect_free(&c);
	s = sink_for(&c);
	c.fail_after = 0;
	c.fail_rc = KBS_ENOMEM;
	const char *md = "---\nid: a\ntitle: T\n---\nBody\n";
	assert_int_equal(kbs_index__parse_markdown("a.md", md, strlen(md), &s), KBS_ENOMEM);
	c.fail_rc = KBS_STOP;
	assert_int_equal(kbs_index__parse_markdown("a.md", md, strlen(md), &s), KBS_OK);
	collect_free(&c);
	/* No diag callback, no article callback, no done: nothing breaks. */
	kbs_index__sink none = { 0 };
	assert_int_equal(kbs_index__parse_markdown("a.md", "x", 1, &none), KBS_OK);
	assert_int_equal(kbs_index__parse_markdown("a.md", md, strlen(md), &none), KBS_OK);
	FILE *f = fmemopen((void *)in, strlen(in), "r");
	assert_non_null(f);
	assert_int_equal(kbs_index__parse_jsonl("x.jsonl", f, &none, NULL), KBS_OK);
	fclose(f);
}

/* A stream that cannot be read is KBS_EIO. */
static void test_jsonl_read_error(void **state)
{
	(void)state;
	FILE *f = fopen("/", "r"); /* a directory: reads fail with EISDIR */
	assert_non_null(f);
	collect c = { 0 };
	kbs_index__sink s = sink_for(&c);
	assert_int_equal(kbs_index__parse_jsonl("dir", f, &s, NULL), KBS_EIO);
	fclose(f);
	assert_int_equal(c.narts, 0);
	collect_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_markdown_to_text),
		cmocka_unit_test(test_markdown_deep),
		cmocka_unit_test(test_validate_api),
		cmocka_unit_test(test_field_names),
		cmocka_unit_test(test_jsonl_long_line),
		cmocka_unit_test(test_markdown_too_large),
		cmocka_unit_test(test_markdown_big_yaml),
		cmocka_unit_test(test_sink_status),
		cmocka_unit_test(test_jsonl_read_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
