/*
 * The real indexing path, file to committed index: each input is one
 * article file (.md or .jsonl, by the first byte) in a source folder that
 * kbs_indexer_add_paths reads with pruning on, so each commit replaces the
 * articles of the input before. Then the index is read back: browsing
 * finds what was committed, each article's JSON parses, its title is
 * searchable.
 *
 * First byte: bit 0 JSONL (else Markdown), bit 1 strict mode.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzzutil.h"

static char *dir, *src, *md, *jsonl, *home;
static kbs_kb *kb;

static void close_kb(void)
{
	kbs_close(kb);
	kb = NULL;
	free(dir);
	free(src);
	free(md);
	free(jsonl);
	free(home);
}

static char *join(const char *a, const char *b)
{
	char *p = malloc(strlen(a) + strlen(b) + 2);
	if (!p)
		fz_fail("out of memory");
	sprintf(p, "%s/%s", a, b);
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	dir = fz_tmpdir();
	src = join(dir, "src");
	md = join(src, "a.md");
	jsonl = join(src, "a.jsonl");
	home = join(dir, "kb");
	if (mkdir(src, 0777) != 0)
		fz_fail("mkdir %s", src);
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE | KBS_OPEN_NO_EVENTS;
	char *msg = NULL;
	if (kbs_open(&kb, home, &oo, &msg) != KBS_OK)
		fz_fail("kbs_open %s: %s", home, msg ? msg : "?");
	atexit(close_kb);
	return 0;
}

static const char *const agent[] = { "agent", "admin", "staff" };

/* What browsing finds is at most what the batch kept (pruning removed the
 * rest); only at most, since a fuzzed audience may name roles we lack. */
static void browse_check(uint64_t most)
{
	kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
	so.roles = agent;
	so.nroles = 3;
	so.limit = KBS_MAX_LIMIT;
	/* Snippets of every article would cost more than the rest: the
	 * title searches below make a few. */
	so.flags = KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS;
	kbs_results *r = NULL;
	if (kbs_search(&r, kb, "", &so) != KBS_OK)
		fz_fail("browsing: %s", kbs_errmsg(kb));
	size_t n = kbs_results_count(r);
	if (n > most)
		fz_fail("%zu articles in the index after a batch of %llu", n,
			(unsigned long long)most);
	for (size_t i = 0; i < n; i++) {
		char *json = NULL;
		const char *id = kbs_results_id(r, i);
		fz_check_utf8("id", id);
		if (kbs_article_json(&json, kb, id, agent, 3) != KBS_OK)
			fz_fail("kbs_article_json(%s): %s", id, kbs_errmsg(kb));
		json_error_t je;
		json_t *j = json_loads(json, 0, &je);
		if (!j)
			fz_fail("article %s is not JSON (%s): %s", id, je.text, json);
		json_decref(j);
		kbs_string_free(json);

		if (i >= 3)
			continue;
		kbs_results *t = NULL;
		kbs_search_opts to = KBS_SEARCH_OPTS_INIT;
		to.roles = agent;
		to.nroles = 3;
		const char *title = kbs_results_title(r, i);
		if (kbs_search(&t, kb, title, &to) != KBS_OK)
			fz_fail("searching the title \"%s\": %s", title, kbs_errmsg(kb));
		for (size_t k = 0; k < kbs_results_count(t); k++)
			fz_check_utf8("snippet", kbs_results_snippet(t, k));
		kbs_results_free(t);
	}
	kbs_results_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	bool is_jsonl = data[0] & 1, strict = data[0] & 2;
	fz_write(is_jsonl ? jsonl : md, data + 1, size - 1);
	unlink(is_jsonl ? md : jsonl);

	fz_diags d = { 0, 0 };
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.default_lang = "fr";
	io.strict = strict;
	io.prune = 1;
	io.diag = fz_diag;
	io.payload = &d;
	kbs_indexer *ix = NULL;
	if (kbs_indexer_new(&ix, kb, &io) != KBS_OK)
		fz_fail("kbs_indexer_new: %s", kbs_errmsg(kb));
	const char *paths[] = { src };
	kbs_status rc = kbs_indexer_add_paths(ix, paths, 1);
	if (rc != KBS_OK)
		fz_fail("add_paths: %s: %s", kbs_status_str(rc), kbs_indexer_errmsg(ix));
	kbs_index_summary sum;
	memset(&sum, 0, sizeof sum);
	rc = kbs_indexer_commit(ix, &sum);
	if (rc != KBS_OK && !(rc == KBS_EINVALID && strict && sum.rejected > 0))
		fz_fail("commit: %s: %s", kbs_status_str(rc), kbs_indexer_errmsg(ix));
	if (rc == KBS_OK)
		fz_check_utf8("indexer message", kbs_indexer_errmsg(ix));
	kbs_indexer_free(ix);
	if (sum.rejected != d.errors)
		fz_fail("%llu articles rejected, %u errors reported", (unsigned long long)sum.rejected,
			d.errors);
	/* A file with a rejected article keeps its indexed ones (not pruned):
	 * only a clean batch bounds what the index holds. */
	if (rc == KBS_OK)
		browse_check(sum.rejected ? UINT64_MAX : sum.added + sum.updated + sum.unchanged);
	return 0;
}
