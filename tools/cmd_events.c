/* kbs event, events, report: the analytics log and its reports. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- times and ages ---- */

int cli_parse_time(const char *opt, const char *s, int64_t *out)
{
	*out = 0;
	if (!s || kbs_time_parse(out, s) == KBS_OK)
		return 0;
	return cli_usage_error("--%s: '%s' is not an ISO 8601 time (e.g. 2026-03-01T09:30:00Z)", opt, s);
}

int cli_parse_age(const char *opt, const char *s, int64_t *out)
{
	char *end;
	*out = 0;
	if (!s)
		return 0;
	errno = 0;
	long long n = strtoll(s, &end, 10);
	int64_t unit = *end == 's' ? 1000 : *end == 'm' ? 60000 : *end == 'h' ? 3600000
		: *end == 'd' ? 86400000LL : *end == 'w' ? 7 * 86400000LL : 0;
	if (errno || end == s || n <= 0 || !unit || end[1] || n > INT64_MAX / unit)
		return cli_usage_error("--%s: '%s' is not a duration (e.g. 90d, 24h, 30m, 45s, 2w)", opt, s);
	*out = n * unit;
	return 0;
}

static void now_iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- kbs event ---- */

int cmd_event(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_SESSION, O_ARTICLE, O_SEARCH_ID, O_HELPFUL,
				       O_COMMENT, O_AT, 0 };
	static const char *const types[] = { NULL, "view", "vote", "ticket", "resolved" };
	args a = { 0 };
	kbs_event ev = KBS_EVENT_INIT;
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest != 1)
		return cli_usage_error("event: name one type: view, vote, ticket or resolved");
	int type = 0;
	for (int i = 1; i <= 4; i++)
		if (!strcmp(a.rest[0], types[i]))
			type = i;
	if (!type)
		return cli_usage_error("event: unknown type '%s' (view, vote, ticket, resolved)", a.rest[0]);
	if (!a.session)
		return cli_usage_error("event needs --session S");
	if (type == KBS_EVENT_VOTE) {
		if (!a.helpful || (strcmp(a.helpful, "yes") && strcmp(a.helpful, "no")))
			return cli_usage_error("event vote needs --helpful yes or --helpful no");
		ev.helpful = !strcmp(a.helpful, "yes");
	} else if (a.helpful || a.comment) {
		return cli_usage_error("--helpful and --comment go with a vote");
	}
	if ((rc = cli_parse_time("at", a.at, &ev.at)) != 0)
		return rc;
	ev.type = (kbs_event_type)type;
	ev.session = a.session;
	ev.article = a.article;
	ev.search_id = a.search_id;
	ev.comment = a.comment;
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	if (kbs_event_log(kb, &ev) != KBS_OK || kbs_events_flush(kb) != KBS_OK)
		rc = cli_fail("event: %s", kbs_errmsg(kb));
	kbs_close(kb);
	return rc;
}

/* ---- kbs events ---- */

static void print_diag(kbs_diag_level level, const char *file, unsigned line, const char *message,
		       void *payload)
{
	(void)payload;
	fprintf(stderr, "%s:%u: %s%s\n", file, line, level == KBS_DIAG_WARNING ? "warning: " : "",
		message);
}

int cmd_events(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_SESSION, O_OLDER_THAN, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	kbs_kb *kb = NULL;
	char *s = NULL;
	kbs_status st;
	if (rc)
		return rc;
	if (a.nrest < 1)
		return cli_usage_error("events: import FILE, purge --older-than AGE, erase --session S "
				       "or trail --session S");
	const char *verb = a.rest[0];
	bool import = !strcmp(verb, "import"), purge = !strcmp(verb, "purge");
	bool erase = !strcmp(verb, "erase"), trail = !strcmp(verb, "trail");
	if (!import && !purge && !erase && !trail)
		return cli_usage_error("events: unknown action '%s' (import, purge, erase, trail)", verb);
	if (import && a.nrest != 2)
		return cli_usage_error("events import: name one JSONL file");
	if (!import && a.nrest != 1)
		return cli_usage_error("events %s takes no argument", verb);
	if (purge && !a.older_than)
		return cli_usage_error("events purge needs --older-than AGE (e.g. 90d)");
	if ((erase || trail) && !a.session)
		return cli_usage_error("events %s needs --session S", verb);
	int64_t age = 0;
	if (purge && (rc = cli_parse_age("older-than", a.older_than, &age)) != 0)
		return rc;
	if (!(kb = cli_open(a.db, false)))
		return 1;
	if (import) {
		kbs_events_import_summary sum = { 0, 0 };
		st = kbs_events_import(&sum, kb, a.rest[1], print_diag, NULL);
		if (st != KBS_OK)
			rc = cli_fail("%s", kbs_errmsg(kb));
		printf("imported %llu, rejected %llu\n", (unsigned long long)sum.imported,
		       (unsigned long long)sum.rejected);
		if (sum.rejected)
			rc = 1;
	} else if (purge) {
		uint64_t n = 0;
		char when[32];
		int64_t before = now_ms() - age;
		now_iso(before, when);
		if (kbs_events_purge(&n, kb, before) != KBS_OK)
			rc = cli_fail("%s", kbs_errmsg(kb));
		else
			printf("purged %llu record%s older than %s\n", (unsigned long long)n, n == 1 ? "" : "s",
			       a.older_than);
	} else if (erase) {
		uint64_t n = 0;
		if (kbs_events_erase(&n, kb, a.session) != KBS_OK)
			rc = cli_fail("%s", kbs_errmsg(kb));
		else
			printf("erased %llu record%s of that session\n", (unsigned long long)n,
			       n == 1 ? "" : "s");
	} else {
		if (kbs_events_trail_json(&s, kb, a.session) != KBS_OK)
			rc = cli_fail("%s", kbs_errmsg(kb));
		else
			puts(s);
	}
	kbs_string_free(s);
	kbs_close(kb);
	return rc;
}

/* ---- kbs report ---- */

int cmd_report(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_SINCE, O_UNTIL, O_WINDOW, O_ROLE, O_FORMAT, O_OUT,
				       O_JSON, O_LIMIT, 0 };
	static const char *const kinds[] = { "gaps", "articles", "summary" };
	static const char *const formats[] = { "json", "table", "csv", "html" };
	args a = { 0 };
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	int rc = cli_parse(argc, argv, allowed, &a);
	int kind = -1, format = KBS_FORMAT_TABLE;
	char *s = NULL;
	if (rc)
		return rc;
	if (a.nrest != 1)
		return cli_usage_error("report: name one report: gaps, articles or summary");
	for (int i = 0; i < 3; i++)
		if (!strcmp(a.rest[0], kinds[i]))
			kind = i;
	if (kind < 0)
		return cli_usage_error("report: unknown report '%s' (gaps, articles, summary)", a.rest[0]);
	if (a.json)
		format = KBS_FORMAT_JSON;
	if (a.format) {
		format = -1;
		for (int i = 0; i < 4; i++)
			if (!strcmp(a.format, formats[i]))
				format = i;
		if (format < 0)
			return cli_usage_error("--format: '%s' is not table, csv, json or html", a.format);
	}
	if ((rc = cli_parse_time("since", a.since, &o.since)) != 0 ||
	    (rc = cli_parse_time("until", a.until, &o.until)) != 0 ||
	    (rc = cli_parse_age("window", a.window, &o.window)) != 0)
		return rc;
	o.roles = a.roles;
	o.nroles = a.nroles;
	o.limit = a.limit;
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	if (kbs_report(&s, kb, (kbs_report_kind)kind, (kbs_report_format)format, &o) != KBS_OK) {
		rc = cli_fail("report: %s", kbs_errmsg(kb));
		goto cleanup;
	}
	if (a.out) {
		FILE *f = fopen(a.out, "w");
		if (!f || fputs(s, f) == EOF || fclose(f) != 0) {
			rc = cli_fail("cannot write %s: %s", a.out, strerror(errno));
			goto cleanup;
		}
		printf("wrote %s\n", a.out);
	} else {
		fputs(s, stdout);
	}
cleanup:
	kbs_string_free(s);
	kbs_close(kb);
	return rc;
}
