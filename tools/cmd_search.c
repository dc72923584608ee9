/* kbs search, show, stats: reading the knowledge base. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

int cmd_search(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_CATEGORY, O_TAG, O_KIND, O_ROLE,
				       O_LIMIT, O_OFFSET, O_JSON, O_SESSION, O_AT, O_SEGMENT, 0 };
	args a = { 0 };
	kbs_kb *kb;
	kbs_results *r;
	char *text;
	int rc = cli_run_query(argc, argv, allowed, false, &a, &kb, &r, &text);
	if (rc)
		goto cleanup;
	if (a.json)
		rc = cli_print_json(results_json(r));
	else
		print_table(r, strspn(text, " \t\n") == strlen(text));
cleanup:
	kbs_results_free(r);
	kbs_close(kb);
	free(text);
	return rc;
}

/* ---- show, stats ---- */

int cmd_show(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_ROLE, O_JSON, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest != 1)
		return cli_usage_error("show: name one article id");
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	char *s = NULL;
	json_t *o = NULL;
	if (kbs_article_json(&s, kb, a.rest[0], a.roles, a.nroles) != KBS_OK) {
		rc = cli_fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	json_error_t je;
	o = json_loads(s, 0, &je);
	if (!o) {
		rc = cli_fail("unreadable article data: %s", je.text);
		goto cleanup;
	}
	if (a.json) {
		rc = cli_print_json(o);
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

int cmd_stats(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_JSON, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest)
		return cli_usage_error("stats takes no argument");
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	char *s = NULL;
	json_t *o = NULL;
	if (kbs_stats_json(&s, kb) != KBS_OK) {
		rc = cli_fail("%s", kbs_errmsg(kb));
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

