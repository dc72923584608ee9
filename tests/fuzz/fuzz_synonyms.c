/*
 * A synonyms file (Solr format), parsed and compiled in memory as
 * kbs_synonyms_load does; a file that parses is then loaded for real into
 * a knowledge base of the sample corpus, listed back as JSON, and its
 * first entries are searched, so that arbitrary synonym sets meet the
 * query rewriting. The input's length picks the language (fr or en).
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "query/synonyms.h"

static char *home;
static kbs_kb *kb;
static kbs_text__analyzer *an;

static void close_kb(void)
{
	kbs_close(kb);
	kb = NULL;
	kbs_text__analyzer_free(an);
	free(home);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kbs_err err;
	if (kbs_text__analyzer_new(&an, &err) != KBS_OK)
		fz_fail("analyzer: %s", err.msg);
	home = fz_tmpdir();
	kb = fz_corpus_kb(home, KBS_OPEN_NO_EVENTS);
	atexit(close_kb);
	return 0;
}

static void check_rules(const kbs_syn__rules *rules, unsigned max_line)
{
	unsigned last = 0;
	for (size_t i = 0; i < rules->n; i++) {
		const kbs_syn__rule *r = &rules->v[i];
		if (r->line <= last || r->line > max_line)
			fz_fail("rule at line %u after line %u, in a file of %u lines", r->line, last,
				max_line);
		last = r->line;
		if (r->oneway ? r->from.n == 0 || r->to.n == 0 : r->from.n < 2 || r->to.n != 0)
			fz_fail("line %u: a rule of %zu => %zu entries", r->line, r->from.n, r->to.n);
		for (size_t j = 0; j < r->from.n + r->to.n; j++) {
			const char *e = j < r->from.n ? r->from.v[j] : r->to.v[j - r->from.n];
			fz_check_utf8("synonym entry", e);
			if (!*e)
				fz_fail("line %u: an empty entry", r->line);
		}
	}
}

static void search(const char *text, const char *lang)
{
	kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
	so.lang = lang;
	so.flags = KBS_SEARCH_NO_FACETS;
	kbs_results *r = NULL;
	kbs_status rc = kbs_search(&r, kb, text, &so);
	if (rc != KBS_OK && !(rc == KBS_EINVALID && strlen(text) > KBS_MAX_QUERY_BYTES))
		fz_fail("searching the entry \"%s\": %s: %s", text, kbs_status_str(rc), kbs_errmsg(kb));
	for (size_t i = 0; i < kbs_results_count(r); i++)
		fz_check_utf8("snippet", kbs_results_snippet(r, i));
	kbs_results_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *lang = size & 1 ? "en" : "fr";
	const char *text = (const char *)data;
	kbs_syn__rules rules;
	kbs_syn__set *set = NULL;
	kbs_err err;
	kbs_status rc = kbs_syn__parse(&rules, "synonyms.txt", text, size, &err);
	if (rc == KBS_OK) {
		check_rules(&rules, fz_lines(data, size));
		rc = kbs_syn__compile(&set, &rules, lang, "synonyms.txt", an, &err);
	}
	if (rc != KBS_OK && rc != KBS_EINVALID)
		fz_fail("synonyms: %s: %s", kbs_status_str(rc), err.msg);
	if (rc == KBS_EINVALID)
		fz_check_utf8("synonyms message", err.msg);
	if (set) {
		for (size_t i = 0; i < set->nrules; i++)
			for (size_t j = 0; j < set->rules[i].ne; j++)
				if (set->rules[i].e[j].n == 0 ||
				    set->rules[i].e[j].n > KBS_SYN_MAX_WORDS)
					fz_fail("entry '%s' of %zu words", set->rules[i].e[j].text,
						set->rules[i].e[j].n);
		kbs_syn__release(kb, set); /* its one reference, from compile */
	}

	/* What parses and compiles must load, and what does not must not. */
	kbs_status load = kbs_synonyms_load(kb, lang, text, size);
	if (load != rc && load != KBS_EINVALID)
		fz_fail("kbs_synonyms_load: %s: %s", kbs_status_str(load), kbs_errmsg(kb));
	if (load != rc)
		fz_fail("kbs_synonyms_load says %s where parsing says %s: %s", kbs_status_str(load),
			kbs_status_str(rc), kbs_errmsg(kb));
	if (load != KBS_OK) {
		fz_check_utf8("kbs_synonyms_load message", kbs_errmsg(kb));
		kbs_syn__rules_free(&rules);
		return 0;
	}
	char *json = NULL;
	if (kbs_synonyms_json(&json, kb, lang) != KBS_OK)
		fz_fail("kbs_synonyms_json: %s", kbs_errmsg(kb));
	json_error_t je;
	json_t *j = json_loads(json, 0, &je);
	json_t *list = j ? json_object_get(j, lang) : NULL;
	if (!j || json_array_size(list) != rules.n)
		fz_fail("kbs_synonyms_json lists %zu rules of %zu: %s", json_array_size(list), rules.n,
			json);
	json_decref(j);
	kbs_string_free(json);
	for (size_t i = 0, k = 0; i < rules.n && k < 3; i++)
		for (size_t e = 0; e < rules.v[i].from.n && k < 3; e++, k++)
			search(rules.v[i].from.v[e], lang);
	kbs_syn__rules_free(&rules);
	return 0;
}
