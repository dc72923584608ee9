/* Option parsing and the other pieces every command shares. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cli_fail(const char *fmt, ...)
{
	va_list ap;
	fputs("kbs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

int cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	fputs("kbs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(kbs --help lists the commands)\n", stderr);
	return 2;
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || s[0] == '-')
		return false;
	*out = (size_t)v;
	return true;
}

static const struct option options[] = {
	{ "db", required_argument, NULL, O_DB },
	{ "lang", required_argument, NULL, O_LANG },
	{ "category", required_argument, NULL, O_CATEGORY },
	{ "tag", required_argument, NULL, O_TAG },
	{ "kind", required_argument, NULL, O_KIND },
	{ "role", required_argument, NULL, O_ROLE },
	{ "segment", required_argument, NULL, O_SEGMENT },
	{ "limit", required_argument, NULL, O_LIMIT },
	{ "offset", required_argument, NULL, O_OFFSET },
	{ "json", no_argument, NULL, O_JSON },
	{ "strict", no_argument, NULL, O_STRICT },
	{ "prune", no_argument, NULL, O_PRUNE },
	{ "synonyms", required_argument, NULL, O_SYNONYMS },
	{ "session", required_argument, NULL, O_SESSION },
	{ "at", required_argument, NULL, O_AT },
	{ "article", required_argument, NULL, O_ARTICLE },
	{ "search-id", required_argument, NULL, O_SEARCH_ID },
	{ "helpful", required_argument, NULL, O_HELPFUL },
	{ "comment", required_argument, NULL, O_COMMENT },
	{ "older-than", required_argument, NULL, O_OLDER_THAN },
	{ "since", required_argument, NULL, O_SINCE },
	{ "until", required_argument, NULL, O_UNTIL },
	{ "window", required_argument, NULL, O_WINDOW },
	{ "format", required_argument, NULL, O_FORMAT },
	{ "out", required_argument, NULL, O_OUT },
	{ NULL, 0, NULL, 0 },
};

static const char **string_slot(args *a, int c)
{
	switch (c) {
	case O_DB: return &a->db;
	case O_LANG: return &a->lang;
	case O_CATEGORY: return &a->category;
	case O_KIND: return &a->kind;
	case O_SYNONYMS: return &a->synonyms;
	case O_SESSION: return &a->session;
	case O_AT: return &a->at;
	case O_ARTICLE: return &a->article;
	case O_SEARCH_ID: return &a->search_id;
	case O_HELPFUL: return &a->helpful;
	case O_COMMENT: return &a->comment;
	case O_OLDER_THAN: return &a->older_than;
	case O_SINCE: return &a->since;
	case O_UNTIL: return &a->until;
	case O_WINDOW: return &a->window;
	case O_FORMAT: return &a->format;
	case O_OUT: return &a->out;
	}
	return NULL;
}

int cli_parse(int argc, char **argv, const int *allowed, args *a)
{
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
		if (c == '?')
			return cli_usage_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		if (c == ':')
			return cli_usage_error("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		bool ok = false;
		for (const int *p = allowed; *p; p++)
			ok |= *p == c;
		if (!ok)
			return cli_usage_error("%s does not take option '%s'", argv[0], argv[optind - 1]);
		const char **slot = string_slot(a, c);
		if (slot) {
			*slot = optarg;
			continue;
		}
		switch (c) {
		case O_TAG:
		case O_ROLE:
		case O_SEGMENT: {
			const char **list = c == O_TAG ? a->tags : c == O_ROLE ? a->roles : a->segments;
			size_t *n = c == O_TAG ? &a->ntags : c == O_ROLE ? &a->nroles : &a->nsegments;
			if (*n == MAX_LIST)
				return cli_usage_error("at most %d of each --tag, --role, --segment", MAX_LIST);
			list[(*n)++] = optarg;
			break;
		}
		case O_LIMIT:
		case O_OFFSET:
			if (!parse_size(optarg, c == O_LIMIT ? &a->limit : &a->offset))
				return cli_usage_error("--%s: '%s' is not a number",
						       c == O_LIMIT ? "limit" : "offset", optarg);
			break;
		case O_JSON: a->json = true; break;
		case O_STRICT: a->strict = true; break;
		case O_PRUNE: a->prune = true; break;
		}
	}
	if (!a->db)
		return cli_usage_error("%s needs --db DIR (the knowledge base)", argv[0]);
	a->rest = argv + optind;
	a->nrest = argc - optind;
	return 0;
}

kbs_kb *cli_open(const char *db, bool create)
{
	kbs_kb *kb = NULL;
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	if (create)
		o.flags |= KBS_OPEN_CREATE;
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, db, &o, &msg);
	if (rc == KBS_ENOTFOUND && !create)
		cli_fail("%s\n(create it with: kbs index --db %s PATH...)", msg ? msg : db, db);
	else if (rc != KBS_OK)
		cli_fail("%s", msg ? msg : kbs_status_str(rc));
	kbs_string_free(msg);
	return kb;
}

/* Search options from the parsed arguments (options a command does not
 * take are unset there, so they stay at their defaults). Returns 0, or the
 * exit status of a bad --at (reported). The strings stay a's. */
static int cli_search_opts(const args *a, kbs_search_opts *o)
{
	kbs_search_opts_init(o, KBS_SEARCH_OPTS_VERSION);
	o->lang = a->lang;
	o->category = a->category;
	o->kind = a->kind;
	o->tags = a->tags;
	o->ntags = a->ntags;
	o->roles = a->roles;
	o->nroles = a->nroles;
	o->segments = a->segments;
	o->nsegments = a->nsegments;
	o->limit = a->limit;
	o->offset = a->offset;
	o->session = a->session; /* analytics: the search is recorded */
	return cli_parse_time("at", a->at, &o->at);
}

int cli_run_query(int argc, char **argv, const int *allowed, bool answer, args *a,
		  kbs_kb **kb, kbs_results **r, char **text)
{
	*kb = NULL;
	*r = NULL;
	*text = NULL;
	int rc = cli_parse(argc, argv, allowed, a);
	if (rc)
		return rc;
	if (!(*text = cli_join(a->rest, a->nrest)))
		return cli_fail("out of memory");
	if (!(*kb = cli_open(a->db, false)))
		return 1;
	kbs_search_opts o;
	if ((rc = cli_search_opts(a, &o)) != 0)
		return rc;
	kbs_status st = answer ? kbs_answer(r, *kb, *text, &o) : kbs_search(r, *kb, *text, &o);
	if (st != KBS_OK)
		return cli_fail("%s: %s", answer ? "answer" : "search", kbs_errmsg(*kb));
	return 0;
}

int cli_print_json(json_t *o)
{
	if (!o)
		return cli_fail("out of memory");
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return cli_fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

char *cli_join(char **v, int n)
{
	size_t len = 1;
	for (int i = 0; i < n; i++)
		len += strlen(v[i]) + 1;
	char *s = malloc(len);
	if (!s)
		return NULL;
	s[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, v[i]);
	}
	return s;
}

double cli_now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
