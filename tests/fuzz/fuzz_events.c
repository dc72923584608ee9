/*
 * An events import file (JSONL of searches, views, votes, tickets) into a
 * real knowledge base: the sample corpus, with its events store. Each input
 * is one file: kbs_events_import runs its searches on the index and queues
 * its events; then one report over everything imported so far, in a format
 * the input's length picks, and the escalation trail of one session. The
 * input also goes through kbs_redact, whose promise (no run of 8 digits
 * survives) is checked.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"

static char *home, *file;
static kbs_kb *kb;

static void close_kb(void)
{
	kbs_close(kb);
	kb = NULL;
	free(home);
	free(file);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char *dir = fz_tmpdir();
	home = malloc(strlen(dir) + 8);
	file = malloc(strlen(dir) + 16);
	if (!home || !file)
		fz_fail("out of memory");
	sprintf(home, "%s/kb", dir);
	sprintf(file, "%s/ev.jsonl", dir);
	free(dir);
	kb = fz_corpus_kb(home, 0);
	atexit(close_kb);
	return 0;
}

typedef struct seen {
	fz_diags d;
	unsigned max_line;
} seen;

static void on_diag(kbs_diag_level level, const char *f, unsigned line, const char *msg,
		    void *payload)
{
	seen *s = payload;
	fz_diag(level, f, line, msg, &s->d);
	if (strcmp(f, file) != 0)
		fz_fail("message about %s while importing %s", f, file);
	if (line == 0 || line > s->max_line)
		fz_fail("message at line %u of a file of %u lines: %s", line, s->max_line, msg);
}

static void check_redact(const uint8_t *data, size_t size)
{
	char *text = fz_strndup(data, size), *out = NULL;
	if (kbs_redact(&out, text) != KBS_OK)
		fz_fail("kbs_redact failed");
	if (fz_is_text(text, strlen(text)))
		fz_check_utf8("redacted text", out);
	for (size_t run = 0, i = 0; out[i]; i++) {
		run = out[i] >= '0' && out[i] <= '9' ? run + 1 : 0;
		if (run == 8)
			fz_fail("redaction kept 8 digits in a row: \"%s\" -> \"%s\"", text, out);
	}
	kbs_string_free(out);
	free(text);
}

static void report(size_t pick)
{
	kbs_report_opts ro = KBS_REPORT_OPTS_INIT;
	/* Years 1 to 9999, every time an import may carry. */
	ro.since = -62135596800000LL;
	ro.until = 253402300800000LL;
	ro.min_sessions = 1;
	kbs_report_kind kind = (kbs_report_kind)(pick % 3);
	kbs_report_format format = (kbs_report_format)((pick / 3) % 4);
	char *out = NULL;
	kbs_status rc = kbs_report(&out, kb, kind, format, &ro);
	if (rc != KBS_OK)
		fz_fail("kbs_report(%d, %d): %s: %s", kind, format, kbs_status_str(rc), kbs_errmsg(kb));
	fz_check_utf8("report", out);
	if (format == KBS_FORMAT_JSON) {
		json_error_t je;
		json_t *j = json_loads(out, 0, &je);
		if (!j)
			fz_fail("report is not JSON (%s): %s", je.text, out);
		json_decref(j);
	}
	kbs_string_free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned runs;
	fz_write(file, data, size);
	seen s = { { 0, 0 }, fz_lines(data, size) };
	kbs_events_import_summary sum = { 0, 0 };
	kbs_status rc = kbs_events_import(&sum, kb, file, on_diag, &s);
	if (rc != KBS_OK)
		fz_fail("kbs_events_import: %s: %s", kbs_status_str(rc), kbs_errmsg(kb));
	if (sum.rejected != s.d.errors)
		fz_fail("%llu lines rejected, %u reported", (unsigned long long)sum.rejected,
			s.d.errors);
	if (sum.imported + sum.rejected > s.max_line)
		fz_fail("%llu lines read from a file of %u",
			(unsigned long long)(sum.imported + sum.rejected), s.max_line);
	check_redact(data, size);
	report(size);
	/* The escalation trail of the seeds' first session. */
	char *trail = NULL;
	if (kbs_events_trail_json(&trail, kb, "s0") != KBS_OK)
		fz_fail("kbs_events_trail_json: %s", kbs_errmsg(kb));
	json_error_t je;
	json_t *j = json_loads(trail, 0, &je);
	if (!j)
		fz_fail("the trail is not JSON (%s): %s", je.text, trail);
	json_decref(j);
	kbs_string_free(trail);
	/* Keep the store small, as a retention period would. */
	if (++runs % 16 == 0 && kbs_events_purge(NULL, kb, INT64_MAX) != KBS_OK)
		fz_fail("kbs_events_purge: %s", kbs_errmsg(kb));
	return 0;
}
