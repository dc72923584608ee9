/*
 * Hostile and bad input through the public API, one table: each row is an
 * input (a JSONL or Markdown file to index, a host article, a query, a
 * prefix, an event, a synonyms text), the exact status it gets, and the
 * exact message: "FILE:LINE: message" for files, the whole diagnostic for
 * host articles, a part of kbs_errmsg otherwise. Every row runs on one
 * real knowledge base, in strict mode, and leaves it as it was.
 *
 * The bounds of the header's "Limits" block each have a row at the bound
 * (accepted) and one past it (refused).
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"
#include "common.h"

typedef enum kind {
	K_JSONL,   /* `in` is a .jsonl file */
	K_MD,      /* `in` is a .md file */
	K_API,     /* `in` is the article as a JSON object, for kbs_indexer_add */
	K_SEARCH,  /* `in` is the query */
	K_SUGGEST, /* `in` is the prefix */
	K_ANSWER,  /* `in` is the question */
	K_EVENT,   /* `in` is the event as a JSON object, for kbs_event_log */
	K_SYN,     /* `in` is a French synonyms text */
} kind;

static const char *const kind_names[] = { "jsonl", "md", "api", "search", "suggest",
					  "answer", "event", "synonyms" };

typedef struct row {
	int src;
	kind kind;
	const char *in;
	size_t len;                   /* 0: strlen(in) */
	char *(*gen)(size_t n, size_t *len); /* instead of `in`: gen(n) */
	kbs_status status;
	/* Files: the only diagnostic, after "FILE" (":LINE: message"), or
	 * NULL for none. Host articles: the only diagnostic. Others: a part
	 * of kbs_errmsg (NULL: not checked). */
	const char *msg;
	size_t n; /* gen's size, count or depth */
} row;

/* ---- generated inputs ---- */

#define MB (1024u * 1024u)

static char *fill(size_t n, char c)
{
	char *s = malloc(n + 1);
	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* Each generator makes an input of the shape its name says and of size
 * (or count, or depth) n, given by the row: one generator serves the
 * case past a bound, at it and just over it. */

/* An n-byte article, mostly body: a JSONL line, a Markdown file, a host
 * article (JSON without the newline). */
static char *big_article(size_t n, const char *head, const char *tail, size_t *len)
{
	char *s = fill(n, 'a');
	memcpy(s, head, strlen(head));
	memcpy(s + n - strlen(tail), tail, strlen(tail));
	*len = n;
	return s;
}

static char *gen_big_jsonl(size_t n, size_t *len)
{
	return big_article(n, "{\"id\":\"huge\",\"title\":\"Huge\",\"body\":\"", "\"}\n", len);
}

static char *gen_big_md(size_t n, size_t *len)
{
	return big_article(n, "---\nid: huge\ntitle: Huge\n---\n", "", len);
}

static char *gen_big_api(size_t n, size_t *len)
{
	return big_article(n, "{\"id\":\"huge\",\"title\":\"Huge\",\"body\":\"", "\"}", len);
}

/* An article n bytes past KBS_MAX_ARTICLE_BYTES (id + title + body). */
static char *gen_article_past_max(size_t n, size_t *len)
{
	const char *head = "{\"id\":\"max\",\"title\":\"Max\",\"body\":\"";
	size_t body = KBS_MAX_ARTICLE_BYTES - strlen("max") - strlen("Max") + n;
	return big_article(strlen(head) + body + 3, head, "\"}\n", len);
}

/* head, then n items (quote, name, number, quote) between separators, then
 * tail. */
static char *json_list(size_t n, const char *head, const char *quote, const char *name,
		       const char *sep, const char *tail, size_t *len)
{
	kbs_buf b = { 0 };
	kbs_buf_adds(&b, head);
	for (size_t i = 0; i < n; i++) {
		if (i)
			kbs_buf_adds(&b, sep);
		kbs_buf_addf(&b, "%s%s%zu%s", quote, name, i, quote);
	}
	kbs_buf_adds(&b, tail);
	assert_false(b.oom);
	*len = b.len;
	return kbs_buf_steal(&b);
}

static char *gen_tags(size_t n, size_t *len)
{
	return json_list(n, "{\"id\":\"tags\",\"title\":\"Many tags\",\"body\":\"x\",\"tags\":[",
			 "\"", "t", ",", "]}\n", len);
}

static char *gen_category_levels(size_t n, size_t *len)
{
	return json_list(n, "{\"id\":\"deep\",\"title\":\"Deep\",\"body\":\"x\",\"category\":\"",
			 "", "L", "/", "\"}\n", len);
}

/* n brackets opened, then closed, between head and tail. */
static char *nested(size_t n, const char *head, const char *tail, size_t *len)
{
	size_t total = strlen(head) + 2 * n + strlen(tail);
	char *s = fill(total, '[');
	memcpy(s, head, strlen(head));
	memset(s + strlen(head) + n, ']', n);
	memcpy(s + total - strlen(tail), tail, strlen(tail));
	*len = total;
	return s;
}

/* JSON nested n deep inside a field. */
static char *gen_deep_json(size_t n, size_t *len)
{
	return nested(n, "{\"id\":\"deep\",\"title\":\"Deep\",\"body\":\"x\",\"extra\":", "}\n", len);
}

static char *gen_deep_yaml(size_t n, size_t *len)
{
	return nested(n, "---\nid: deep\ntitle: Deep\nextra: ", "\n---\nBody\n", len);
}

/* n bytes of `unit` repeated. */
static char *repeat(size_t n, const char *unit, size_t *len)
{
	char *s = fill(n, ' ');
	size_t u = strlen(unit);
	for (size_t i = 0; i < n; i++)
		s[i] = unit[i % u];
	*len = n;
	return s;
}

/* A query of n bytes of words. */
static char *gen_query(size_t n, size_t *len)
{
	return repeat(n, "facture ", len);
}

/* A query of n bytes of punctuation only. */
static char *gen_punct(size_t n, size_t *len)
{
	return repeat(n, "!?-.", len);
}

/* A vote whose comment has n characters. */
static char *gen_comment(size_t n, size_t *len)
{
	char *c = fill(n, 'c');
	kbs_buf b = { 0 };
	kbs_buf_addf(&b, "{\"type\":\"vote\",\"session\":\"s\",\"article\":\"a-facture\","
			 "\"helpful\":false,\"comment\":\"%s\"}", c);
	free(c);
	assert_false(b.oom);
	*len = b.len;
	return kbs_buf_steal(&b);
}

/* A synonyms file of n bytes. */
static char *gen_synonyms(size_t n, size_t *len)
{
	return repeat(n, "a, b\n", len);
}

/* A JSONL article whose title has n bytes. */
static char *gen_title(size_t n, size_t *len)
{
	char *t = fill(n, 't');
	kbs_buf b = { 0 };
	kbs_buf_addf(&b, "{\"id\":\"t\",\"body\":\"x\",\"title\":\"%s\"}\n", t);
	free(t);
	assert_false(b.oom);
	*len = b.len;
	return kbs_buf_steal(&b);
}

/* ---- the table ---- */

#define FILE_ROW(k, in, st, msg) { __LINE__, k, in, 0, NULL, st, msg, 0 }
#define NUL_ROW(k, in, st, msg) { __LINE__, k, in, sizeof in - 1, NULL, st, msg, 0 }
#define GEN_ROW(k, gen, n, st, msg) { __LINE__, k, NULL, 0, gen, st, msg, n }

static const row rows[] = {
	/* ---- JSONL ---- */
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\"\n", KBS_EINVALID,
		 ":1: JSON: '}' expected near end of file (column 32)"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",}\n", KBS_EINVALID,
		 ":1: JSON: string or '}' expected near '}' (column 34)"),
	FILE_ROW(K_JSONL, "{'id':'a'}\n", KBS_EINVALID,
		 ":1: JSON: string or '}' expected near ''' (column 2)"),
	FILE_ROW(K_JSONL, "[{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\"}]\n", KBS_EINVALID,
		 ":1: expected a JSON object, not an array"),
	FILE_ROW(K_JSONL, "\n\n\"just a string\"\n", KBS_EINVALID,
		 ":3: expected a JSON object, not a string"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"id\":\"b\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: JSON: duplicate object key near '\"id\"' (column 14)"),
	FILE_ROW(K_JSONL,
		 "{\"id\":\"dup\",\"title\":\"T\",\"body\":\"B\"}\n"
		 "{\"id\":\"other\",\"title\":\"T\",\"body\":\"B\"}\n"
		 "{\"id\":\"dup\",\"title\":\"T2\",\"body\":\"B2\"}\n",
		 KBS_EINVALID, ":3: duplicate id 'dup' (first at FILE:1)"),
	FILE_ROW(K_JSONL, "{\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: missing required field 'id'"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: missing required field 'title'"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\"}\n", KBS_EINVALID,
		 ":1: missing required field 'body'"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"   \",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: title is blank"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\" \\n\\t \"}\n", KBS_EINVALID,
		 ":1: body is empty"),
	FILE_ROW(K_JSONL, "{\"id\":[\"a\"],\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: field 'id' must be a string, not an array"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"tags\":[1]}\n", KBS_EINVALID,
		 ":1: field 'tags' must be a list of strings (entry 1 is a number)"),
	/* Invalid UTF-8, raw and escaped NUL bytes. */
	NUL_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"caf\xe9\",\"body\":\"B\"}\n", KBS_EINVALID,
		":1: JSON: unable to decode byte 0xe9 near '\"caf' (column 22)"),
	NUL_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"a\0b\"}\n", KBS_EINVALID,
		":1: JSON: control character 0x0 near '\"a' (column 31)"),
	NUL_ROW(K_JSONL, "\0\n", KBS_EINVALID, ":1: JSON: invalid token near end of file (column 1)"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"a\\u0000b\"}\n", KBS_EINVALID,
		 ":1: JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"a\\u0000b\"' (column 39)"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\\u0007\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: title contains a control character (U+0007)"),
	/* Ids with path characters, and other bad ids. */
	FILE_ROW(K_JSONL, "{\"id\":\"../../etc/passwd\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id '../../etc/passwd': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"a/b\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id 'a/b': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"C:\\\\Windows\\\\x\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id 'C:\\Windows\\x': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"a b\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id 'a b': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"café\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id 'café': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\\nb\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id 'a?b': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL, "{\"id\":\"\",\"title\":\"T\",\"body\":\"B\"}\n", KBS_EINVALID,
		 ":1: invalid id '': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_JSONL,
		 "{\"id\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\",\"title\":\"T\",\"body\":\"B\"}\n",
		 KBS_EINVALID,
		 ":1: invalid id 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...': "
		 "use 1-128 of A-Z a-z 0-9 . _ : -"),
	/* The other fields' rules. */
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"kind\":\"blog\"}\n", KBS_EINVALID,
		 ":1: kind 'blog' is not one of faq, tutorial, guide, troubleshooting"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"lang\":\"french\"}\n", KBS_EINVALID,
		 ":1: lang 'french' is not an ISO 639-1 code (two letters, e.g. fr)"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"updated\":\"2026-02-30\"}\n",
		 KBS_EINVALID, ":1: updated '2026-02-30' is not a valid ISO 8601 date"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"category\":\"A//B\"}\n",
		 KBS_EINVALID, ":1: category 'A//B' has an empty level"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"audience\":[\"\"]}\n", KBS_EINVALID,
		 ":1: audience entry 1 is blank"),
	FILE_ROW(K_JSONL, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"tags\":[\"a\\tb\"]}\n", KBS_EINVALID,
		 ":1: tags entry 'a?b' contains a control character (U+0009)"),
	/* A label too long for the index, though each level is within bounds. */
	FILE_ROW(K_JSONL,
		 "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"category\":\""
		 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
		 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb/"
		 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\"}\n",
		 KBS_EINVALID,
		 ":1: article 'a': a category, tag, role or segment is longer than 237 bytes"),
	/* An unknown field is a warning, not an error: the article goes in. */
	FILE_ROW(K_JSONL, "{\"id\":\"w\",\"title\":\"T\",\"body\":\"B\",\"colour\":\"red\"}\n", KBS_OK,
		 ":1: warning: unknown field 'colour' (ignored)"),
	/* Sizes: a 50 MB line, the largest article (its line once was over the
	 * line bound) and one byte more, 100 000
	 * tags, 100 and 101, 10 000 category levels, 8 and 9, JSON nested
	 * 100 000 deep, a title at its bound and past it. */
	GEN_ROW(K_JSONL, gen_big_jsonl, 50 * MB, KBS_EINVALID, ":1: line is longer than 8454144 bytes"),
	GEN_ROW(K_JSONL, gen_article_past_max, 0, KBS_OK, NULL),
	GEN_ROW(K_JSONL, gen_article_past_max, 1, KBS_EINVALID, ":1: article is larger than 8388608 bytes"),
	GEN_ROW(K_JSONL, gen_tags, 100000, KBS_EINVALID, ":1: tags has more than 100 entries"),
	GEN_ROW(K_JSONL, gen_tags, 100, KBS_OK, NULL),
	GEN_ROW(K_JSONL, gen_tags, 101, KBS_EINVALID, ":1: tags has more than 100 entries"),
	GEN_ROW(K_JSONL, gen_category_levels, 10000, KBS_EINVALID,
		":1: category 'L0/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/L17/L18/L19/L20/L2...' "
		"has more than 8 levels"),
	GEN_ROW(K_JSONL, gen_category_levels, 8, KBS_OK, NULL),
	GEN_ROW(K_JSONL, gen_category_levels, 9, KBS_EINVALID,
		":1: category 'L0/L1/L2/L3/L4/L5/L6/L7/L8' has more than 8 levels"),
	GEN_ROW(K_JSONL, gen_deep_json, 100000, KBS_EINVALID,
		":1: JSON: maximum parsing depth reached near '[' (column 2095)"),
	GEN_ROW(K_JSONL, gen_title, KBS_MAX_TITLE_BYTES, KBS_OK, NULL),
	GEN_ROW(K_JSONL, gen_title, KBS_MAX_TITLE_BYTES + 1, KBS_EINVALID, ":1: title is longer than 1000 bytes (1001)"),

	/* ---- Markdown ---- */
	FILE_ROW(K_MD, "id: a\ntitle: T\n\nBody\n", KBS_EINVALID,
		 ":1: missing front matter (--- ... ---) with id and title"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\nBody\n", KBS_EINVALID,
		 ":1: unterminated front matter: no closing '---' line"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: [unclosed\n---\nBody\n", KBS_EINVALID,
		 ":4: YAML: did not find expected ',' or ']' (while parsing a flow sequence at line 3)"),
	FILE_ROW(K_MD, "---\nid: a\n  title: T\n---\nBody\n", KBS_EINVALID,
		 ":3: YAML: mapping values are not allowed in this context"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\ttab: x\n---\nBody\n", KBS_EINVALID,
		 ":3: YAML: mapping values are not allowed in this context"),
	FILE_ROW(K_MD, "---\n- id: a\n---\nBody\n", KBS_EINVALID,
		 ":2: front matter must be a YAML mapping of fields (key: value)"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: &t T\nsummary: *t\n---\nBody\n", KBS_EINVALID,
		 ":4: YAML aliases are not allowed"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\nid: b\n---\nBody\n", KBS_EINVALID,
		 ":4: duplicate field 'id' (first at line 2)"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\nbody: x\n---\nBody\n", KBS_EINVALID,
		 ":4: field 'body' is not allowed in front matter: the body is the Markdown after the "
		 "closing '---'"),
	FILE_ROW(K_MD, "---\nid: a\n---\nBody\n", KBS_EINVALID, ":1: missing required field 'title'"),
	FILE_ROW(K_MD, "---\ntitle: T\n---\nBody\n", KBS_EINVALID, ":1: missing required field 'id'"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\n---\n\n<!-- only a comment -->\n", KBS_EINVALID,
		 ":5: body is empty"),
	FILE_ROW(K_MD, "---\nid: ../up\ntitle: T\n---\nBody\n", KBS_EINVALID,
		 ":2: invalid id '../up': use 1-128 of A-Z a-z 0-9 . _ : -"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\ntags: {x: 1}\n---\nBody\n", KBS_EINVALID,
		 ":4: field 'tags' must be a list of strings"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: \"T\\0\"\n---\nBody\n", KBS_EINVALID,
		 ":3: field 'title' contains a NUL character"),
	NUL_ROW(K_MD, "---\nid: a\ntitle: T\n---\nBo\0dy\n", KBS_EINVALID, ":5: NUL byte in file"),
	NUL_ROW(K_MD, "---\nid: a\ntitle: caf\xe9\n---\nBody\n", KBS_EINVALID,
		":3: invalid UTF-8 at byte 20"),
	FILE_ROW(K_MD, "---\nid: a\ntitle: T\n---\nBody\n---\nid: b\n---\n", KBS_OK, NULL),
	GEN_ROW(K_MD, gen_big_md, 50 * MB, KBS_EINVALID, ":1: file is larger than 8454144 bytes"),
	GEN_ROW(K_MD, gen_deep_yaml, 100000, KBS_EINVALID, ":4: YAML nested deeper than 64 levels"),

	/* ---- host articles ---- */
	FILE_ROW(K_API, "{\"title\":\"T\",\"body\":\"B\"}", KBS_EINVALID,
		 "<api>: missing required field 'id'"),
	FILE_ROW(K_API, "{\"id\":\"a/../b\",\"title\":\"T\",\"body\":\"B\"}", KBS_EINVALID,
		 "<api>: invalid id 'a/../b': use 1-128 of A-Z a-z 0-9 . _ : -"),
	/* "<FF>" in a host article's JSON stands for the byte 0xFF. */
	FILE_ROW(K_API, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"caf<FF>\"}", KBS_EINVALID,
		 "<api>: field 'body' is not valid UTF-8 (byte 3)"),
	FILE_ROW(K_API, "{\"id\":\"a\",\"title\":\"T\",\"body\":\"B\",\"tags\":[\"ok\",\"<FF>\"]}",
		 KBS_EINVALID, "<api>: field 'tags' is not valid UTF-8 (entry 2, byte 0)"),
	GEN_ROW(K_API, gen_big_api, 50 * MB, KBS_EINVALID, "<api>: article is larger than 8388608 bytes"),
	GEN_ROW(K_API, gen_tags, 100000, KBS_EINVALID, "<api>: tags has more than 100 entries"),
	GEN_ROW(K_API, gen_category_levels, 10000, KBS_EINVALID,
		"<api>: category 'L0/L1/L2/L3/L4/L5/L6/L7/L8/L9/L10/L11/L12/L13/L14/L15/L16/L17/L18/L19/L20/L2...' "
		"has more than 8 levels"),

	/* ---- queries, prefixes, questions ---- */
	GEN_ROW(K_SEARCH, gen_query, 100000, KBS_EINVALID, "query is 100000 bytes long; the limit is 4096"),
	GEN_ROW(K_SEARCH, gen_query, KBS_MAX_QUERY_BYTES, KBS_OK, NULL),
	GEN_ROW(K_SEARCH, gen_query, KBS_MAX_QUERY_BYTES + 1, KBS_EINVALID, "query is 4097 bytes long; the limit is 4096"),
	GEN_ROW(K_SEARCH, gen_punct, 100000, KBS_EINVALID, "query is 100000 bytes long; the limit is 4096"),
	GEN_ROW(K_SEARCH, gen_punct, KBS_MAX_QUERY_BYTES, KBS_OK, NULL),
	FILE_ROW(K_SEARCH, "?!.,;:()[]{}<>«»“”‘’\"'-_/\\|@#$%^&*+=~`", KBS_OK, NULL),
	FILE_ROW(K_SEARCH, "\"\"\"", KBS_OK, NULL),
	FILE_ROW(K_SEARCH, "- - -- -\"", KBS_OK, NULL),
	NUL_ROW(K_SEARCH, "factur\xc3", KBS_EINVALID, "query is not valid UTF-8 (byte 6)"),
	NUL_ROW(K_SEARCH, "\xed\xa0\x80", KBS_EINVALID, "query is not valid UTF-8 (byte 0)"),
	NUL_ROW(K_SEARCH, "\xc0\xaf", KBS_EINVALID, "query is not valid UTF-8 (byte 0)"),
	GEN_ROW(K_SUGGEST, gen_query, 100000, KBS_EINVALID, "is 100000 bytes long; the limit is 4096"),
	GEN_ROW(K_SUGGEST, gen_punct, KBS_MAX_QUERY_BYTES, KBS_OK, NULL),
	NUL_ROW(K_SUGGEST, "fa\xff", KBS_EINVALID, "not valid UTF-8 (byte 2)"),
	GEN_ROW(K_ANSWER, gen_query, 100000, KBS_EINVALID, "query is 100000 bytes long; the limit is 4096"),
	GEN_ROW(K_ANSWER, gen_punct, 100000, KBS_EINVALID, "query is 100000 bytes long; the limit is 4096"),
	FILE_ROW(K_ANSWER, "???", KBS_OK, NULL),

	/* ---- events ---- */
	FILE_ROW(K_EVENT, "{\"type\":\"view\",\"session\":\"s\",\"article\":\"../etc/passwd\"}", KBS_EINVALID,
		 "'../etc/passwd' is not an article id"),
	FILE_ROW(K_EVENT, "{\"type\":\"view\",\"session\":\"\",\"article\":\"a\"}", KBS_EINVALID,
		 "an event needs a session id"),
	FILE_ROW(K_EVENT, "{\"type\":\"vote\",\"session\":\"s\"}", KBS_EINVALID,
		 "a vote event needs an article id"),
	GEN_ROW(K_EVENT, gen_comment, KBS_MAX_QUERY_BYTES + 1, KBS_EINVALID, "comment is longer than 4096 bytes"),

	/* ---- synonyms ---- */
	FILE_ROW(K_SYN, "a, b\nc => d => e\n", KBS_EINVALID, "synonyms.fr.txt:2: more than one '=>'"),
	FILE_ROW(K_SYN, "un deux trois quatre cinq six sept huit neuf, b\n", KBS_EINVALID,
		 "synonyms.fr.txt:1: entry 'un deux trois quatre cinq six sept huit neuf' has more than 8 words"),
	GEN_ROW(K_SYN, gen_synonyms, MB + 1, KBS_EINVALID, "synonyms.fr.txt: larger than 1048576 bytes"),
};

/* ---- running a row ---- */

typedef struct fx {
	char *dir, *db;
	kbs_kb *kb;
	uint64_t articles;
} fx;

static const char *const SEED =
	"{\"id\":\"a-facture\",\"title\":\"Télécharger sa facture\",\"lang\":\"fr\","
	"\"body\":\"Votre facture est en ligne.\"}\n";

static void write_bytes(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A JSON string of a row with "<FF>" made the byte 0xFF (JSON itself
 * cannot carry invalid UTF-8), in place. */
static const char *bad_bytes(json_t *v)
{
	char *s = (char *)json_string_value(v);
	for (char *p = s ? strstr(s, "<FF>") : NULL; p; p = strstr(p, "<FF>")) {
		*p = '\xff';
		memmove(p + 1, p + 4, strlen(p + 4) + 1);
	}
	return s;
}

/* A host article from a JSON object: strings and lists of strings. */
static void article_from_json(json_t *o, kbs_article *a, const char **lists[3])
{
	static const char *const list_names[] = { "tags", "audience", "segments" };
	a->id = bad_bytes(json_object_get(o, "id"));
	a->title = bad_bytes(json_object_get(o, "title"));
	a->body = bad_bytes(json_object_get(o, "body"));
	a->category = bad_bytes(json_object_get(o, "category"));
	size_t *counts[] = { &a->ntags, &a->naudience, &a->nsegments };
	for (int l = 0; l < 3; l++) {
		json_t *v = json_object_get(o, list_names[l]);
		size_t n = json_array_size(v);
		lists[l] = calloc(n + 1, sizeof *lists[l]);
		assert_non_null(lists[l]);
		for (size_t i = 0; i < n; i++)
			lists[l][i] = bad_bytes(json_array_get(v, i));
		*counts[l] = n;
	}
	a->tags = lists[0];
	a->audience = lists[1];
	a->segments = lists[2];
}

/* The exact diagnostics a row expects, against what came. */
static bool diags_match(const tu_diags *d, const char *want, char *why, size_t cap)
{
	if (!want) {
		if (d->n == 0)
			return true;
		snprintf(why, cap, "unexpected diagnostic [%s]", d->lines[0]);
		return false;
	}
	if (d->n != 1 || strcmp(d->lines[0], want) != 0) {
		snprintf(why, cap, "diagnostics (%zu): [%s], expected [%s]", d->n,
			 d->n ? d->lines[0] : "", want);
		return false;
	}
	return true;
}

/* Runs one row; false (with why) when it did not go as the row says. */
static bool run_row(fx *f, const row *r, size_t idx, char *why, size_t cap)
{
	size_t len = r->len;
	char *owned = NULL;
	const char *in = r->in;
	if (r->gen)
		in = owned = r->gen(r->n, &len);
	else if (!len)
		len = strlen(in);
	char *text = NULL; /* NUL-terminated copy for the string calls */
	bool ok = true;
	kbs_status rc = KBS_OK;
	char msg[1024] = "";
	tu_diags d = { 0 };

	switch (r->kind) {
	case K_JSONL:
	case K_MD: {
		char name[64];
		snprintf(name, sizeof name, "row%zu.%s", idx, r->kind == K_MD ? "md" : "jsonl");
		char *path = tu_path(f->dir, name);
		write_bytes(path, in, len);
		kbs_index_opts o = KBS_INDEX_OPTS_INIT;
		o.strict = 1;
		o.diag = tu_diag_cb;
		o.payload = &d;
		kbs_indexer *ix = NULL;
		assert_kbs_ok(f->kb, kbs_indexer_new(&ix, f->kb, &o));
		const char *paths[] = { path };
		rc = kbs_indexer_add_paths(ix, paths, 1);
		if (rc == KBS_OK)
			rc = kbs_indexer_commit(ix, NULL);
		snprintf(msg, sizeof msg, "%s", kbs_indexer_errmsg(ix));
		char want[512] = "";
		if (r->msg) {
			/* "FILE" in a message stands for the file's path. */
			char m[400];
			const char *at = strstr(r->msg, "FILE");
			if (at)
				snprintf(m, sizeof m, "%.*s%s%s", (int)(at - r->msg), r->msg, path, at + 4);
			else
				snprintf(m, sizeof m, "%s", r->msg);
			snprintf(want, sizeof want, "%s%s", path, m);
		}
		ok = diags_match(&d, r->msg ? want : NULL, why, cap);
		kbs_indexer_free(ix);
		unlink(path);
		free(path);
		break;
	}
	case K_API: {
		json_error_t je;
		json_t *o = json_loadb(in, len, JSON_ALLOW_NUL, &je);
		if (!o)
			fail_msg("test_hostile.c:%d: bad row JSON: %s", r->src, je.text);
		kbs_article a = KBS_ARTICLE_INIT;
		const char **lists[3];
		article_from_json(o, &a, lists);
		kbs_index_opts io = KBS_INDEX_OPTS_INIT;
		io.diag = tu_diag_cb;
		io.payload = &d;
		kbs_indexer *ix = NULL;
		assert_kbs_ok(f->kb, kbs_indexer_new(&ix, f->kb, &io));
		rc = kbs_indexer_add(ix, &a);
		snprintf(msg, sizeof msg, "%s", kbs_indexer_errmsg(ix));
		ok = diags_match(&d, r->msg, why, cap);
		if (ok && rc != KBS_OK && !strstr(msg, "see diagnostics")) {
			snprintf(why, cap, "message [%s] does not point to the diagnostics", msg);
			ok = false;
		}
		kbs_indexer_free(ix); /* never committed */
		for (int l = 0; l < 3; l++)
			free(lists[l]);
		json_decref(o);
		break;
	}
	case K_SEARCH:
	case K_ANSWER:
	case K_SUGGEST: {
		text = kbs_strndup(in, len);
		assert_non_null(text);
		if (r->kind == K_SUGGEST) {
			kbs_suggestions *s = NULL;
			rc = kbs_suggest(&s, f->kb, text, NULL);
			ok = (rc == KBS_OK) == (s != NULL);
			kbs_suggestions_free(s);
		} else {
			kbs_results *res = NULL;
			rc = r->kind == K_SEARCH ? kbs_search(&res, f->kb, text, NULL)
						 : kbs_answer(&res, f->kb, text, NULL);
			ok = (rc == KBS_OK) == (res != NULL);
			kbs_results_free(res);
		}
		if (!ok)
			snprintf(why, cap, "*out does not match the status");
		snprintf(msg, sizeof msg, "%s", kbs_errmsg(f->kb));
		break;
	}
	case K_EVENT: {
		json_t *o = json_loadb(in, len, 0, NULL);
		assert_non_null(o);
		static const char *const types[] = { "", "view", "vote", "ticket", "resolved" };
		kbs_event ev = KBS_EVENT_INIT;
		const char *t = json_string_value(json_object_get(o, "type"));
		for (int i = 1; i <= 4; i++)
			if (!strcmp(t, types[i]))
				ev.type = (kbs_event_type)i;
		ev.session = json_string_value(json_object_get(o, "session"));
		ev.article = json_string_value(json_object_get(o, "article"));
		ev.comment = json_string_value(json_object_get(o, "comment"));
		ev.helpful = json_is_true(json_object_get(o, "helpful"));
		rc = kbs_event_log(f->kb, &ev);
		snprintf(msg, sizeof msg, "%s", kbs_errmsg(f->kb));
		json_decref(o);
		break;
	}
	case K_SYN:
		rc = kbs_synonyms_load(f->kb, "fr", in, len);
		snprintf(msg, sizeof msg, "%s", kbs_errmsg(f->kb));
		break;
	}
	if (ok && rc != r->status) {
		snprintf(why, cap, "status %s, expected %s (%s)", kbs_status_str(rc),
			 kbs_status_str(r->status), msg);
		ok = false;
	}
	if (ok && rc != KBS_OK && !*msg) {
		snprintf(why, cap, "no message");
		ok = false;
	}
	bool msg_in_errmsg = r->kind >= K_SEARCH;
	if (ok && msg_in_errmsg && r->msg && !strstr(msg, r->msg)) {
		snprintf(why, cap, "message [%s] lacks [%s]", msg, r->msg);
		ok = false;
	}
	tu_diags_free(&d);
	free(text);
	free(owned);
	return ok;
}

static int setup(void **state)
{
	fx *f = calloc(1, sizeof *f);
	tu_mini m = tu_mini_kb(SEED);
	f->dir = m.dir;
	f->kb = m.kb;
	f->articles = tu_count_articles(f->kb);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	kbs_close(f->kb);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static void bad_inputs(void **state)
{
	fx *f = *state;
	int failed = 0;
	size_t n = sizeof rows / sizeof *rows;
	for (size_t i = 0; i < n; i++) {
		const row *r = &rows[i];
		char why[2048] = "";
		if (!run_row(f, r, i, why, sizeof why)) {
			print_error("test_hostile.c:%d (%s): %s\n", r->src, kind_names[r->kind], why);
			failed++;
		}
		/* Refused input leaves the knowledge base as it was; the rows
		 * at a bound add their one article. */
		if (r->kind <= K_MD && r->status != KBS_OK) {
			uint64_t now = tu_count_articles(f->kb);
			if (now != f->articles) {
				print_error("test_hostile.c:%d: %llu articles, expected %llu\n", r->src,
					    (unsigned long long)now, (unsigned long long)f->articles);
				failed++;
			}
		}
		f->articles = tu_count_articles(f->kb);
	}
	/* Still searching, after all that. */
	kbs_results *res = NULL;
	assert_kbs_ok(f->kb, kbs_search(&res, f->kb, "facture", NULL));
	assert_true(kbs_results_count(res) >= 1);
	kbs_results_free(res);
	if (failed)
		fail_msg("%d of %zu rows failed", failed, n);
	print_message("bad inputs tried: %zu, each with its exact status and message\n", n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(bad_inputs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
