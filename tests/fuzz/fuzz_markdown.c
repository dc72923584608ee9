/*
 * A Markdown article file (front matter + CommonMark body), parsed and
 * validated in memory the way kbs index reads a .md file, without the
 * index behind it so that thousands of files a second go through.
 */
#include "fuzzutil.h"
#include "index/article.h"

typedef struct seen {
	unsigned max_line;
	unsigned articles;
} seen;

static kbs_status on_article(kbs_index__article *a, void *payload)
{
	seen *s = payload;
	fz_check_article(a, s->max_line);
	if (a->line != 1)
		fz_fail("a Markdown article starts at line %u, not 1", a->line);
	s->articles++;
	return KBS_OK;
}

static void on_diag(kbs_diag_level level, const char *file, unsigned line, const char *msg,
		    void *payload)
{
	seen *s = payload;
	fz_diag(level, file, line, msg, NULL);
	if (line == 0 || line > s->max_line)
		fz_fail("message at line %u of a file of %u lines: %s", line, s->max_line, msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The body may start on the line after a last, unterminated one. */
	seen s = { fz_lines(data, size) + 1, 0 };
	kbs_index__sink sink = { on_article, on_diag, &s, "fr" };
	/* libFuzzer's buffer is exactly size bytes: reading past it is
	 * caught. */
	kbs_status rc = kbs_index__parse_markdown("fuzz.md", (const char *)data, size, &sink);
	if (rc != KBS_OK)
		fz_fail("parse_markdown returned %s: a bad file is reported, not an error",
			kbs_status_str(rc));
	return 0;
}
