/*
 * A JSONL export of articles, read as a stream the way kbs index reads a
 * .jsonl file, parsed and validated without the index behind it.
 */
#include <stdio.h>

#include "fuzzutil.h"
#include "index/article.h"

typedef struct seen {
	unsigned max_line;
	unsigned last_line;
	uint64_t bytes;
	uint64_t size;
} seen;

static kbs_status on_article(kbs_index__article *a, void *payload)
{
	seen *s = payload;
	fz_check_article(a, s->max_line);
	if (a->line <= s->last_line)
		fz_fail("article of line %u after one of line %u", a->line, s->last_line);
	s->last_line = a->line;
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

static void on_done(uint64_t bytes, void *payload)
{
	seen *s = payload;
	if (bytes < s->bytes || bytes > s->size)
		fz_fail("progress went from %llu to %llu bytes of %llu", (unsigned long long)s->bytes,
			(unsigned long long)bytes, (unsigned long long)s->size);
	s->bytes = bytes;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	seen s = { fz_lines(data, size), 0, 0, size };
	kbs_index__sink sink = { on_article, on_diag, &s, NULL };
	FILE *f = size ? fmemopen((void *)data, size, "r") : fopen("/dev/null", "r");
	if (!f)
		return 0;
	kbs_status rc = kbs_index__parse_jsonl("fuzz.jsonl", f, &sink, on_done);
	fclose(f);
	if (rc != KBS_OK)
		fz_fail("parse_jsonl returned %s: bad lines are reported, not an error",
			kbs_status_str(rc));
	if (s.bytes != size)
		fz_fail("progress ended at %llu bytes of %zu", (unsigned long long)s.bytes, size);
	return 0;
}
