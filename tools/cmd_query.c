/* kbs synonyms, suggest, answer: what a search box and a chatbot need
 * beyond search. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- synonyms ---- */

static void print_entries(json_t *a)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) printf("%s%s", i ? ", " : "", json_string_value(v));
}

int cmd_synonyms(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_JSON, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest < 1)
		return cli_usage_error("synonyms: say 'load FILE' or 'list'");
	const char *verb = a.rest[0];
	if (strcmp(verb, "load") == 0 && a.nrest != 2)
		return cli_usage_error("synonyms load: name one file (synonyms.LANG.txt, or give --lang)");
	if (strcmp(verb, "list") == 0 && a.nrest != 1)
		return cli_usage_error("synonyms list takes no argument");
	if (strcmp(verb, "load") != 0 && strcmp(verb, "list") != 0)
		return cli_usage_error("synonyms: unknown action '%s' (load or list)", verb);
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	char *s = NULL;
	json_t *o = NULL;
	if (strcmp(verb, "load") == 0) {
		if (kbs_synonyms_load_file(kb, a.lang, a.rest[1]) != KBS_OK) {
			rc = cli_fail("%s", kbs_errmsg(kb));
			goto cleanup;
		}
	}
	/* Both actions end by showing the set(s) in force: load, the one it
	 * replaced (named by --lang, else by the file: synonyms.LANG.txt). */
	const char *show = a.lang;
	char named[8] = "";
	if (!show && strcmp(verb, "load") == 0) {
		const char *base = strrchr(a.rest[1], '/');
		base = base ? base + 1 : a.rest[1];
		if (sscanf(base, "synonyms.%7[A-Za-z].txt", named) == 1)
			show = named;
	}
	if (kbs_synonyms_json(&s, kb, show) != KBS_OK) {
		rc = cli_fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	json_error_t je;
	o = json_loads(s, 0, &je);
	if (!o) {
		rc = cli_fail("out of memory");
		goto cleanup;
	}
	if (a.json) {
		rc = cli_print_json(o);
		o = NULL;
		goto cleanup;
	}
	const char *lang;
	json_t *rules;
	size_t n = 0;
	json_object_foreach(o, lang, rules)
	{
		size_t i;
		json_t *r;
		if (strcmp(verb, "load") == 0) {
			printf("loaded %zu rule%s for '%s'\n", json_array_size(rules),
			       json_array_size(rules) == 1 ? "" : "s", lang);
			continue;
		}
		json_array_foreach(rules, i, r)
		{
			printf("%s:%lld: ", lang, (long long)json_integer_value(json_object_get(r, "line")));
			json_t *syn = json_object_get(r, "synonyms");
			if (syn) {
				print_entries(syn);
			} else {
				print_entries(json_object_get(r, "from"));
				printf(" => ");
				print_entries(json_object_get(r, "to"));
			}
			printf("\n");
		}
		n += json_array_size(rules);
	}
	if (strcmp(verb, "list") == 0 && n == 0)
		printf("no synonyms\n");
cleanup:
	json_decref(o);
	kbs_string_free(s);
	kbs_close(kb);
	return rc;
}

/* ---- suggest ---- */

int cmd_suggest(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_ROLE, O_LIMIT, O_JSON, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	char *prefix = cli_join(a.rest, a.nrest);
	if (!prefix)
		return cli_fail("out of memory");
	kbs_kb *kb = cli_open(a.db, false);
	kbs_suggestions *s = NULL;
	if (!kb) {
		rc = 1;
		goto cleanup;
	}
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	o.lang = a.lang;
	o.roles = a.roles;
	o.nroles = a.nroles;
	if (a.limit)
		o.limit = a.limit;
	if (kbs_suggest(&s, kb, prefix, &o) != KBS_OK) {
		rc = cli_fail("suggest: %s", kbs_errmsg(kb));
		goto cleanup;
	}
	if (a.json) {
		json_t *j = json_object(), *arr = json_array();
		json_object_set_new(j, "prefix", json_string(prefix));
		for (size_t i = 0; i < kbs_suggestions_count(s); i++) {
			json_t *e = json_object();
			const char *id = kbs_suggestions_id(s, i);
			json_object_set_new(e, "text", json_string(kbs_suggestions_text(s, i)));
			json_object_set_new(e, "id", id ? json_string(id) : json_null());
			json_array_append_new(arr, e);
		}
		json_object_set_new(j, "suggestions", arr);
		rc = cli_print_json(j);
	} else {
		for (size_t i = 0; i < kbs_suggestions_count(s); i++) {
			const char *id = kbs_suggestions_id(s, i);
			printf("%s%s%s%s\n", kbs_suggestions_text(s, i), id ? "  (" : "", id ? id : "",
			       id ? ")" : "");
		}
	}
cleanup:
	kbs_suggestions_free(s);
	kbs_close(kb);
	free(prefix);
	return rc;
}

/* ---- answer ---- */

int cmd_answer(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_ROLE, O_SEGMENT, O_JSON, 0 };
	args a = { 0 };
	kbs_kb *kb;
	kbs_results *r;
	char *q;
	int rc = cli_run_query(argc, argv, allowed, true, &a, &kb, &r, &q);
	if (rc)
		goto cleanup;
	bool found = kbs_results_count(r) > 0;
	const char *corrected = kbs_results_corrected_query(r);
	if (a.json) {
		json_t *j = json_object();
		json_object_set_new(j, "question", json_string(q));
		json_object_set_new(j, "corrected_query", corrected ? json_string(corrected) : json_null());
		json_object_set_new(j, "confident", json_boolean(found));
		json_object_set_new(j, "search_id", json_string(kbs_results_search_id(r)));
		json_t *ans = json_null();
		if (found) {
			const char *url = kbs_results_url(r, 0);
			ans = json_object();
			json_object_set_new(ans, "id", json_string(kbs_results_id(r, 0)));
			json_object_set_new(ans, "title", json_string(kbs_results_title(r, 0)));
			json_object_set_new(ans, "url", url ? json_string(url) : json_null());
			json_object_set_new(ans, "confidence", json_integer(kbs_results_confidence(r, 0)));
			json_object_set_new(ans, "passage", json_string(kbs_results_passage(r, 0)));
		}
		json_object_set_new(j, "answer", ans);
		rc = cli_print_json(j);
	} else if (found) {
		const char *url = kbs_results_url(r, 0);
		printf("%s  (%d%%)\n%s%s%s\n\n%s\n", kbs_results_title(r, 0), kbs_results_confidence(r, 0),
		       kbs_results_id(r, 0), url ? " · " : "", url ? url : "", kbs_results_passage(r, 0));
	} else {
		printf("no confident answer: offer a search or a human contact\n");
	}
cleanup:
	kbs_results_free(r);
	kbs_close(kb);
	free(q);
	return rc;
}
