/*
 * Articles in: the internal article model, the two file formats (Markdown
 * with YAML front matter, JSONL) and validation. Parsers only read and
 * check; lib/index/indexer.c turns articles into documents.
 */
#ifndef KBS_INDEX_ARTICLE_H
#define KBS_INDEX_ARTICLE_H

#include <stdio.h>

#include "../common.h"

/* Fields of design.md, in a fixed order so each can carry its own line. */
typedef enum kbs_field {
	KBS_F_ID,
	KBS_F_TITLE,
	KBS_F_BODY,
	KBS_F_KIND,
	KBS_F_LANG,
	KBS_F_CATEGORY,
	KBS_F_TAGS,
	KBS_F_AUDIENCE,
	KBS_F_SEGMENTS,
	KBS_F_UPDATED,
	KBS_F_URL,
	KBS_F_SUMMARY,
	KBS_F_COUNT
} kbs_field;

/* The field's name as written in files ("id", "title", ...). */
const char *kbs_index__field_name(kbs_field f);

/* One article, every string owned (malloc'd) and valid UTF-8. Absent
 * optional fields are NULL / empty lists. After kbs_index__validate
 * succeeds, kind and lang are set (defaults applied), category is
 * normalised ("A / B/" -> "A/B"), tags/audience/segments are trimmed and
 * de-duplicated, audience is {"public"} when it was absent, and body is
 * plain text (Markdown rendered, headings kept as their own paragraphs,
 * paragraphs separated by a blank line). */
typedef struct kbs_index__article {
	char *id, *title, *body, *kind, *lang, *category, *updated, *url, *summary;
	kbs_strlist tags, audience, segments;
	const char *file;        /* borrowed: where it came from ("<api>") */
	unsigned line;           /* where the article starts (1-based) */
	unsigned field_line[KBS_F_COUNT]; /* where each field is; 0: unknown */
} kbs_index__article;

void kbs_index__article_free(kbs_index__article *a); /* frees members only */

/* Where parsers send what they find. */
typedef struct kbs_index__sink {
	/* Each valid article (already validated). Borrowed for the call: the
	 * sink copies what it keeps. A non-OK return aborts the parse with
	 * that status. */
	kbs_status (*article)(kbs_index__article *a, void *payload);
	/* Each problem: file, 1-based line, message (no "FILE:LINE: " prefix;
	 * the receiver adds it). An ERROR means the article was skipped. */
	void (*diag)(kbs_diag_level level, const char *file, unsigned line,
		     const char *msg, void *payload);
	void *payload;
	const char *default_lang; /* applied by validation; NULL: "en" */
} kbs_index__sink;

/* Largest Markdown file read, and longest JSONL line: an article of the
 * largest size plus room for its front matter and markup, or for its JSON
 * syntax and escapes. */
#define KBS_INDEX_MAX_FILE_BYTES ((size_t)KBS_MAX_ARTICLE_BYTES + 65536u)

/* Parses one Markdown file's bytes: optional UTF-8 BOM, then front matter
 * between a first line "---" and the next line "---" (or "..."), YAML
 * mapping of the article fields; the rest is the CommonMark body.
 * One file is one article. Errors name the line in the file (YAML errors
 * at their mark, field errors at the field's key).
 * Returns KBS_OK when the file was read (even if its article was rejected),
 * or the sink's error / KBS_ENOMEM. */
kbs_status kbs_index__parse_markdown(const char *file, const char *data, size_t len,
				     const kbs_index__sink *sink);

/* Parses a JSONL stream: one JSON object per line, blank lines skipped.
 * A bad line is reported with its line number and skipped; the other lines
 * go on. Lines are read with no length limit other than
 * KBS_INDEX_MAX_FILE_BYTES (a longer line is reported and skipped).
 * Returns KBS_OK when the stream was read to its end, KBS_EIO on a read
 * error, or the sink's error / KBS_ENOMEM. `done` (may be NULL) receives
 * the bytes read so far after each line, for progress. */
kbs_status kbs_index__parse_jsonl(const char *file, FILE *in,
				  const kbs_index__sink *sink,
				  void (*done)(uint64_t bytes, void *payload));

/* Checks and normalises an article in place (see kbs_index__article).
 * On the first problem, reports it through sink->diag at the field's line
 * and returns KBS_EINVALID. Rules:
 *   id        required, [A-Za-z0-9._:-]{1,128}
 *   title     required, non-blank, at most 1000 bytes, no control chars
 *   body      required, non-blank after rendering
 *   kind      faq | tutorial | guide | troubleshooting
 *   lang      ISO 639-1: two lowercase letters (upper case is lowered)
 *   category  segments separated by '/', none blank, at most 8 levels,
 *             each at most 100 bytes
 *   tags, audience, segments: strings, each non-blank, at most 100 bytes,
 *             at most 100 entries; no newline
 *   updated   ISO 8601 date (YYYY-MM-DD) or date-time (YYYY-MM-DDTHH:MM[:SS]
 *             [.frac][Z|+HH:MM]), with a real calendar date
 *   url, summary: strings
 *   whole article at most KBS_MAX_ARTICLE_BYTES.
 * body_is_markdown: render body from CommonMark first (cmark). */
kbs_status kbs_index__validate(kbs_index__article *a, bool body_is_markdown,
			       const kbs_index__sink *sink);

/* Renders CommonMark to plain text as described above; malloc'd, NULL when
 * out of memory. */
char *kbs_index__markdown_to_text(const char *md, size_t len);

/* ---- helpers shared by the parsers and validation (lib/index only) ---- */

/* The field named name[0..len), or -1 when it is not one of design.md's. */
int kbs_index__field_lookup(const char *name, size_t len);
/* Where a string field lives in `a` (NULL for the list fields), and where a
 * list field lives (NULL for the string fields). */
char **kbs_index__field_str(kbs_index__article *a, kbs_field f);
kbs_strlist *kbs_index__field_list(kbs_index__article *a, kbs_field f);
/* Formats a message and sends it to sink->diag (when set). */
void kbs_index__diagf(const kbs_index__sink *sink, kbs_diag_level level,
		      const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* s[0..len) made fit for quoting in a message: control characters as '?',
 * cut on a UTF-8 boundary (with "...") to fit buf[cap]. Returns buf. */
#define KBS_INDEX__EXCERPT 80
const char *kbs_index__excerpt(char *buf, size_t cap, const char *s, size_t len);

#endif
