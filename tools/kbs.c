/*
 * kbs: the command-line face of libkbsearch. It uses the public API only,
 * like any host would.
 *
 * Exit status: 0 success, 1 failure (or rejected articles), 2 usage error.
 */
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

#include "kbsearch.h"

#define MAX_LIST 64

static const char *prog = "kbs";

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbs COMMAND --db DIR [options]\n"
		"\n"
		"  index  --db DIR [--lang L] [--strict] [--prune] PATH...\n"
		"         index Markdown (.md) and JSONL (.jsonl) files and folders\n"
		"  search --db DIR [--lang L] [--category PATH] [--tag T]... [--kind K]\n"
		"         [--role R]... [--limit N] [--offset N] [--json] QUERY...\n"
		"  delete --db DIR ID...\n"
		"         remove articles by id (ids not found are reported)\n"
		"  show   --db DIR [--role R]... [--json] ID\n"
		"  stats  --db DIR [--json]\n"
		"\n"
		"  kbs --version | kbs --help\n");
}

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(kbs --help lists the commands)\n", stderr);
	return 2;
}

/* Options every command may take; each command uses what it needs. */
typedef struct args {
	const char *db, *lang, *category, *kind;
	const char *tags[MAX_LIST], *roles[MAX_LIST];
	size_t ntags, nroles;
	size_t limit, offset;
	bool json, strict, prune;
	char **rest;
	int nrest;
} args;

enum { O_DB = 256, O_LANG, O_CATEGORY, O_TAG, O_KIND, O_ROLE, O_LIMIT, O_OFFSET, O_JSON,
       O_STRICT, O_PRUNE };

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

/* Parses argv for one command; `allowed` lists the O_* options it takes. */
static int parse_args(int argc, char **argv, const int *allowed, args *a)
{
	static const struct option opts[] = {
		{ "db", required_argument, NULL, O_DB },
		{ "lang", required_argument, NULL, O_LANG },
		{ "category", required_argument, NULL, O_CATEGORY },
		{ "tag", required_argument, NULL, O_TAG },
		{ "kind", required_argument, NULL, O_KIND },
		{ "role", required_argument, NULL, O_ROLE },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "offset", required_argument, NULL, O_OFFSET },
		{ "json", no_argument, NULL, O_JSON },
		{ "strict", no_argument, NULL, O_STRICT },
		{ "prune", no_argument, NULL, O_PRUNE },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
		if (c == '?')
			return usage_error("%s: unknown option '%s'", argv[0], argv[optind - 1]);
		if (c == ':')
			return usage_error("%s: option '%s' needs a value", argv[0], argv[optind - 1]);
		bool ok = false;
		for (const int *p = allowed; *p; p++)
			ok |= *p == c;
		if (!ok)
			return usage_error("%s does not take option '%s'", argv[0], argv[optind - 1]);
		switch (c) {
		case O_DB: a->db = optarg; break;
		case O_LANG: a->lang = optarg; break;
		case O_CATEGORY: a->category = optarg; break;
		case O_KIND: a->kind = optarg; break;
		case O_TAG:
		case O_ROLE: {
			const char **list = c == O_TAG ? a->tags : a->roles;
			size_t *n = c == O_TAG ? &a->ntags : &a->nroles;
			if (*n == MAX_LIST)
				return usage_error("at most %d --tag and --role each", MAX_LIST);
			list[(*n)++] = optarg;
			break;
		}
		case O_LIMIT:
		case O_OFFSET:
			if (!parse_size(optarg, c == O_LIMIT ? &a->limit : &a->offset))
				return usage_error("--%s: '%s' is not a number",
						   c == O_LIMIT ? "limit" : "offset", optarg);
			break;
		case O_JSON: a->json = true; break;
		case O_STRICT: a->strict = true; break;
		case O_PRUNE: a->prune = true; break;
		}
	}
	if (!a->db)
		return usage_error("%s needs --db DIR (the knowledge base)", argv[0]);
	a->rest = argv + optind;
	a->nrest = argc - optind;
	return 0;
}

/* Opens an existing knowledge base, saying how to make one when missing. */
static kbs_kb *open_kb(const char *db, bool create)
{
	kbs_kb *kb = NULL;
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	if (create)
		o.flags |= KBS_OPEN_CREATE;
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, db, &o, &msg);
	if (rc == KBS_ENOTFOUND && !create)
		fail("%s\n(create it with: kbs index --db %s PATH...)", msg ? msg : db, db);
	else if (rc != KBS_OK)
		fail("%s", msg ? msg : kbs_status_str(rc));
	kbs_string_free(msg);
	return kb;
}

static int print_json(json_t *o)
{
	if (!o)
		return fail("out of memory");
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

/* ---- index ---- */

typedef struct index_ui {
	bool tty;
	bool bar_shown;
	int last_pct; /* redrawn only when it moves: a JSONL line is no event */
} index_ui;

static void clear_bar(index_ui *ui)
{
	if (ui->bar_shown) {
		fputs("\r\033[K", stderr);
		ui->bar_shown = false;
	}
}

static void on_diag(kbs_diag_level level, const char *file, unsigned line, const char *message,
		    void *payload)
{
	clear_bar(payload);
	if (line)
		fprintf(stderr, "%s:%u: %s%s\n", file, line,
			level == KBS_DIAG_WARNING ? "warning: " : "", message);
	else
		fprintf(stderr, "%s: %s%s\n", file, level == KBS_DIAG_WARNING ? "warning: " : "",
			message);
}

static int on_progress(uint64_t done, uint64_t total, void *payload)
{
	index_ui *ui = payload;
	if (!ui->tty || total == 0)
		return 0;
	int width = 30, pct = (int)(done * 100 / total);
	if (ui->bar_shown && pct == ui->last_pct)
		return 0;
	ui->last_pct = pct;
	int fill = (int)(done * (uint64_t)width / total);
	fprintf(stderr, "\r[%.*s%*s] %3d%%  %.1f/%.1f MB", fill,
		"##############################", width - fill, "", pct, (double)done / 1e6,
		(double)total / 1e6);
	ui->bar_shown = true;
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmd_index(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_STRICT, O_PRUNE, 0 };
	args a = { 0 };
	int rc = parse_args(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest == 0)
		return usage_error("index: name the files or folders to index");

	kbs_kb *kb = open_kb(a.db, true);
	if (!kb)
		return 1;
	index_ui ui = { .tty = isatty(STDERR_FILENO) };
	kbs_index_opts o = KBS_INDEX_OPTS_INIT;
	o.default_lang = a.lang;
	o.strict = a.strict;
	o.prune = a.prune;
	o.diag = on_diag;
	o.progress = on_progress;
	o.payload = &ui;
	kbs_indexer *ix = NULL;
	kbs_index_summary sum = { 0 };
	double t0 = now_s();
	kbs_status st = kbs_indexer_new(&ix, kb, &o);
	if (st != KBS_OK) {
		rc = fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	st = kbs_indexer_add_paths(ix, (const char *const *)a.rest, (size_t)a.nrest);
	clear_bar(&ui);
	if (st != KBS_OK) {
		rc = fail("%s; nothing was committed", kbs_indexer_errmsg(ix));
		goto cleanup;
	}
	st = kbs_indexer_commit(ix, &sum);
	clear_bar(&ui);
	if (st != KBS_OK)
		rc = fail("%s", kbs_indexer_errmsg(ix));
	printf("added %llu, updated %llu, unchanged %llu, removed %llu, rejected %llu in %.2f s\n",
	       (unsigned long long)sum.added, (unsigned long long)sum.updated,
	       (unsigned long long)sum.unchanged, (unsigned long long)sum.removed,
	       (unsigned long long)sum.rejected, now_s() - t0);
	if (sum.rejected)
		rc = 1;
cleanup:
	kbs_indexer_free(ix);
	kbs_close(kb);
	return rc;
}

static int cmd_delete(int argc, char **argv)
{
	static const int allowed[] = { O_DB, 0 };
	args a = { 0 };
	int rc = parse_args(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest == 0)
		return usage_error("delete: name the ids to remove");
	kbs_kb *kb = open_kb(a.db, false);
	if (!kb)
		return 1;
	kbs_indexer *ix = NULL;
	kbs_index_summary sum = { 0 };
	if (kbs_indexer_new(&ix, kb, NULL) != KBS_OK) {
		rc = fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	for (int i = 0; i < a.nrest; i++) {
		kbs_status st = kbs_indexer_delete(ix, a.rest[i]);
		if (st == KBS_ENOTFOUND) {
			fail("%s", kbs_indexer_errmsg(ix));
			rc = 1;
		} else if (st != KBS_OK) {
			rc = fail("%s; nothing was committed", kbs_indexer_errmsg(ix));
			goto cleanup;
		}
	}
	if (kbs_indexer_commit(ix, &sum) != KBS_OK) {
		rc = fail("%s", kbs_indexer_errmsg(ix));
		goto cleanup;
	}
	printf("removed %llu\n", (unsigned long long)sum.removed);
cleanup:
	kbs_indexer_free(ix);
	kbs_close(kb);
	return rc;
}

/* ---- search ---- */

static json_t *results_json(const kbs_results *r)
{
	json_t *o = json_object();
	const char *corrected = kbs_results_corrected_query(r);
	json_object_set_new(o, "query", json_string(kbs_results_query(r)));
	json_object_set_new(o, "corrected_query", corrected ? json_string(corrected) : json_null());
	json_object_set_new(o, "confident", json_boolean(kbs_results_confident(r)));
	json_object_set_new(o, "total", json_integer((json_int_t)kbs_results_total(r)));
	json_object_set_new(o, "search_id", json_string(kbs_results_search_id(r)));
	json_t *hits = json_array();
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		json_t *h = json_object();
#define STR(k, v) json_object_set_new(h, k, (v) ? json_string(v) : json_null())
		STR("id", kbs_results_id(r, i));
		STR("title", kbs_results_title(r, i));
		STR("kind", kbs_results_kind(r, i));
		STR("lang", kbs_results_lang(r, i));
		STR("category", kbs_results_category(r, i));
		json_t *tags = json_array();
		for (size_t j = 0; j < kbs_results_ntags(r, i); j++)
			json_array_append_new(tags, json_string(kbs_results_tag(r, i, j)));
		json_object_set_new(h, "tags", tags);
		STR("url", kbs_results_url(r, i));
		json_object_set_new(h, "score", json_real(kbs_results_score(r, i)));
		json_object_set_new(h, "confidence", json_integer(kbs_results_confidence(r, i)));
		STR("snippet", kbs_results_snippet(r, i));
#undef STR
		json_array_append_new(hits, h);
	}
	json_object_set_new(o, "hits", hits);
	json_t *facets = json_object();
	const char *names[] = { "category", "tags" };
	for (int f = 0; f < 2; f++) {
		json_t *m = json_object();
		for (size_t i = 0; i < kbs_results_facet_count(r, (kbs_facet)f); i++)
			json_object_set_new(m, kbs_results_facet_label(r, (kbs_facet)f, i),
					    json_integer((json_int_t)kbs_results_facet_value(r, (kbs_facet)f, i)));
		json_object_set_new(facets, names[f], m);
	}
	json_object_set_new(o, "facets", facets);
	return o;
}

/* Prints a snippet's HTML for a terminal: marks in bold, entities back. */
static void print_snippet(const char *s, bool tty)
{
	static const struct {
		const char *from, *tty, *plain;
	} map[] = {
		{ "<mark>", "\033[1m", "[" }, { "</mark>", "\033[0m", "]" }, { "&lt;", "<", "<" },
		{ "&gt;", ">", ">" },         { "&amp;", "&", "&" },         { "&quot;", "\"", "\"" },
		{ "&#39;", "'", "'" },
	};
	while (*s) {
		size_t i;
		for (i = 0; i < sizeof map / sizeof *map; i++) {
			size_t n = strlen(map[i].from);
			if (strncmp(s, map[i].from, n) == 0) {
				fputs(tty ? map[i].tty : map[i].plain, stdout);
				s += n;
				break;
			}
		}
		if (i == sizeof map / sizeof *map)
			putchar(*s++);
	}
}

static void print_table(const kbs_results *r, bool browsing)
{
	bool tty = isatty(STDOUT_FILENO);
	size_t n = kbs_results_count(r);
	const char *corrected = kbs_results_corrected_query(r);
	if (corrected)
		printf("Showing results for \"%s\"\n", corrected);
	for (size_t i = 0; i < n; i++) {
		const char *cat = kbs_results_category(r, i);
		printf("%2zu. %s%s%s", i + 1, tty ? "\033[1m" : "", kbs_results_title(r, i),
		       tty ? "\033[0m" : "");
		if (!browsing)
			printf("  (%d%%)", kbs_results_confidence(r, i));
		printf("\n");
		printf("    %s · %s · %s · %s\n", kbs_results_id(r, i), kbs_results_kind(r, i),
		       kbs_results_lang(r, i), cat ? cat : "-");
		printf("    ");
		print_snippet(kbs_results_snippet(r, i), tty);
		printf("\n");
	}
	printf("%s%llu result%s%s\n", n ? "\n" : "", (unsigned long long)kbs_results_total(r),
	       kbs_results_total(r) == 1 ? "" : "s",
	       n == 0 || browsing		? ""
	       : kbs_results_confident(r) ? " — confident"
					  : " — not confident: offer a human contact too");
}

static char *join_words(char **v, int n)
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

static int cmd_search(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_CATEGORY, O_TAG, O_KIND, O_ROLE,
				       O_LIMIT, O_OFFSET, O_JSON, 0 };
	args a = { 0 };
	int rc = parse_args(argc, argv, allowed, &a);
	if (rc)
		return rc;
	char *text = join_words(a.rest, a.nrest);
	if (!text)
		return fail("out of memory");
	kbs_kb *kb = open_kb(a.db, false);
	kbs_results *r = NULL;
	if (!kb) {
		rc = 1;
		goto cleanup;
	}
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.lang = a.lang;
	o.category = a.category;
	o.kind = a.kind;
	o.tags = a.tags;
	o.ntags = a.ntags;
	o.roles = a.roles;
	o.nroles = a.nroles;
	o.limit = a.limit;
	o.offset = a.offset;
	kbs_status st = kbs_search(&r, kb, text, &o);
	if (st != KBS_OK) {
		rc = fail("search: %s", kbs_errmsg(kb));
		goto cleanup;
	}
	if (a.json)
		rc = print_json(results_json(r));
	else
		print_table(r, strspn(text, " \t\n") == strlen(text));
cleanup:
	kbs_results_free(r);
	kbs_close(kb);
	free(text);
	return rc;
}

/* ---- show, stats ---- */

static int cmd_show(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_ROLE, O_JSON, 0 };
	args a = { 0 };
	int rc = parse_args(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest != 1)
		return usage_error("show: name one article id");
	kbs_kb *kb = open_kb(a.db, false);
	if (!kb)
		return 1;
	char *s = NULL;
	json_t *o = NULL;
	if (kbs_article_json(&s, kb, a.rest[0], a.roles, a.nroles) != KBS_OK) {
		rc = fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	json_error_t je;
	o = json_loads(s, 0, &je);
	if (!o) {
		rc = fail("unreadable article data: %s", je.text);
		goto cleanup;
	}
	if (a.json) {
		rc = print_json(o);
		o = NULL;
		goto cleanup;
	}
	static const char *const fields[] = { "id", "kind", "lang", "category", "updated", "url",
					      "summary" };
	printf("%s\n\n", json_string_value(json_object_get(o, "title")));
	for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
		const char *v = json_string_value(json_object_get(o, fields[i]));
		if (v)
			printf("%-9s %s\n", fields[i], v);
	}
	const char *lists[] = { "tags", "audience", "segments" };
	for (size_t i = 0; i < 3; i++) {
		json_t *l = json_object_get(o, lists[i]), *v;
		size_t j;
		if (json_array_size(l) == 0)
			continue;
		printf("%-9s ", lists[i]);
		json_array_foreach(l, j, v) printf("%s%s", j ? ", " : "", json_string_value(v));
		printf("\n");
	}
	printf("\n%s\n", json_string_value(json_object_get(o, "body")));
cleanup:
	json_decref(o);
	kbs_string_free(s);
	kbs_close(kb);
	return rc;
}

static int cmd_stats(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_JSON, 0 };
	args a = { 0 };
	int rc = parse_args(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest)
		return usage_error("stats takes no argument");
	kbs_kb *kb = open_kb(a.db, false);
	if (!kb)
		return 1;
	char *s = NULL;
	json_t *o = NULL;
	if (kbs_stats_json(&s, kb) != KBS_OK) {
		rc = fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	if (a.json) {
		puts(s);
		goto cleanup;
	}
	json_error_t je;
	o = json_loads(s, 0, &je);
	printf("articles     %lld\n", (long long)json_integer_value(json_object_get(o, "articles")));
	printf("index size   %.1f MB\n",
	       (double)json_integer_value(json_object_get(o, "index_bytes")) / 1e6);
	const char *groups[] = { "lang", "kind", "category" };
	for (size_t g = 0; g < 3; g++) {
		const char *k;
		json_t *v;
		printf("\nby %s\n", groups[g]);
		json_object_foreach(json_object_get(o, groups[g]), k, v)
		{
			/* Pad by characters, not bytes: "Déménagement" lines up. */
			int chars = 0;
			for (const char *c = k; *c; c++)
				chars += ((unsigned char)*c & 0xC0) != 0x80;
			printf("  %s%*s %lld\n", k, chars < 32 ? 32 - chars : 0, "",
			       (long long)json_integer_value(v));
		}
	}
cleanup:
	json_decref(o);
	kbs_string_free(s);
	kbs_close(kb);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("kbs %s\n", kbs_version());
		return 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "index", cmd_index },
		{ "delete", cmd_delete },
		{ "search", cmd_search },
		{ "show", cmd_show },
		{ "stats", cmd_stats },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return usage_error("unknown command '%s'", cmd);
}
