#include "testutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "common.h"

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/kbs-test-XXXXXX", base && *base ? base : "/tmp");
	char *d = mkdtemp(tmpl);
	assert_non_null(d);
	return strdup(d);
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void tu_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

static void mkparents(char *path)
{
	for (char *s = path + 1; *s; s++) {
		if (*s == '/') {
			*s = '\0';
			if (mkdir(path, 0777) != 0 && errno != EEXIST)
				fail_msg("mkdir %s: %s", path, strerror(errno));
			*s = '/';
		}
	}
}

void tu_write(const char *dir, const char *name, const char *content)
{
	char *p = tu_path(dir, name);
	mkparents(p);
	FILE *f = fopen(p, "wb");
	if (!f)
		fail_msg("open %s: %s", p, strerror(errno));
	fwrite(content, 1, strlen(content), f);
	fclose(f);
	free(p);
}

void tu_diag_cb(kbs_diag_level level, const char *file, unsigned line,
		const char *message, void *payload)
{
	tu_diags *d = payload;
	char buf[2048], where[32] = "";
	if (line) /* as kbs prints them: no line for a whole file */
		snprintf(where, sizeof where, ":%u", line);
	snprintf(buf, sizeof buf, "%s%s: %s%s", file, where,
		 level == KBS_DIAG_WARNING ? "warning: " : "", message);
	d->lines = realloc(d->lines, (d->n + 1) * sizeof *d->lines);
	assert_non_null(d->lines);
	d->lines[d->n++] = strdup(buf);
}

int tu_diags_has(const tu_diags *d, const char *needle)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->lines[i], needle))
			return 1;
	return 0;
}

void tu_diags_free(tu_diags *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i]);
	free(d->lines);
	d->lines = NULL;
	d->n = 0;
}

kbs_kb *tu_kb_index(const char *dir, const char *const *paths, size_t n,
		    kbs_index_summary *summary, tu_diags *diags)
{
	kbs_kb *kb = NULL;
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE;
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, dir, &oo, &msg);
	if (rc != KBS_OK)
		fail_msg("kbs_open(%s): %s", dir, msg ? msg : kbs_status_str(rc));
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.diag = tu_diag_cb;
	tu_diags local = { 0 };
	io.payload = diags ? diags : &local;
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, &io));
	rc = kbs_indexer_add_paths(ix, paths, n);
	if (rc != KBS_OK)
		fail_msg("add_paths: %s", kbs_indexer_errmsg(ix));
	rc = kbs_indexer_commit(ix, summary);
	if (rc != KBS_OK)
		fail_msg("commit: %s", kbs_indexer_errmsg(ix));
	kbs_indexer_free(ix);
	tu_diags_free(&local);
	return kb;
}

tu_mini tu_mini_kb(const char *jsonl)
{
	tu_mini m = { tu_tmpdir(), NULL };
	tu_write(m.dir, "src/a.jsonl", jsonl);
	char *src = tu_path(m.dir, "src");
	char *db = tu_path(m.dir, "kb");
	const char *paths[] = { src };
	tu_diags d = { 0 };
	m.kb = tu_kb_index(db, paths, 1, NULL, &d);
	if (d.n)
		fail_msg("mini corpus diagnostic: %s", d.lines[0]);
	tu_diags_free(&d);
	free(src);
	free(db);
	return m;
}

tu_mini tu_mini_buf(kbs_buf *jsonl)
{
	assert_false(jsonl->oom);
	tu_mini m = tu_mini_kb(jsonl->data);
	kbs_buf_free(jsonl);
	return m;
}

void tu_mini_reindex(tu_mini *m, const char *jsonl)
{
	tu_write(m->dir, "src/a.jsonl", jsonl);
	char *src = tu_path(m->dir, "src");
	const char *paths[] = { src };
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.prune = 1;
	kbs_indexer *ix = NULL;
	assert_kbs_ok(m->kb, kbs_indexer_new(&ix, m->kb, &io));
	if (kbs_indexer_add_paths(ix, paths, 1) != KBS_OK || kbs_indexer_commit(ix, NULL) != KBS_OK)
		fail_msg("re-index: %s", kbs_indexer_errmsg(ix));
	kbs_indexer_free(ix);
	free(src);
}

void tu_mini_free(tu_mini *m)
{
	kbs_close(m->kb);
	tu_rmtree(m->dir);
	free(m->dir);
}

kbs_kb *tu_open(const char *dir, unsigned flags)
{
	kbs_kb *kb = NULL;
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	o.flags = flags;
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, dir, &o, &msg);
	if (rc != KBS_OK)
		fail_msg("kbs_open(%s): %s", dir, msg ? msg : kbs_status_str(rc));
	return kb;
}

uint64_t tu_count_articles(kbs_kb *kb)
{
	char *s = NULL;
	assert_kbs_ok(kb, kbs_stats_json(&s, kb));
	const char *p = strstr(s, "\"articles\":");
	assert_non_null(p);
	uint64_t n = strtoull(p + strlen("\"articles\":"), NULL, 10);
	kbs_string_free(s);
	return n;
}

void tu_copytree(const char *from, const char *to)
{
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "cp -a '%s' '%s'", from, to);
	if (system(cmd) != 0)
		fail_msg("%s failed", cmd);
}

tu_rng tu_rng_new(uint64_t fallback)
{
	const char *e = getenv("KBS_TEST_SEED");
	tu_rng r = { e && *e ? strtoull(e, NULL, 0) : fallback };
	return r;
}

/* splitmix64: tiny, and good enough to pick test inputs. */
uint64_t tu_rand(tu_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

size_t tu_below(tu_rng *r, size_t n)
{
	return (size_t)(tu_rand(r) % n);
}

unsigned tu_env_count(const char *name, unsigned fallback)
{
	const char *e = getenv(name);
	long v = e && *e ? strtol(e, NULL, 10) : 0;
	return v > 0 ? (unsigned)v : fallback;
}

int64_t tu_sql_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
	sqlite3_finalize(st);
	return v;
}

char *tu_sql_text(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	char *v = NULL;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		v = strdup((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return v;
}

kbs_results *tu_search(kbs_kb *kb, const char *text, const kbs_search_opts *o)
{
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_search(&r, kb, text, o));
	assert_non_null(r);
	return r;
}

long tu_rank_of(const kbs_results *r, const char *id)
{
	for (size_t i = 0; i < kbs_results_count(r); i++)
		if (strcmp(kbs_results_id(r, i), id) == 0)
			return (long)i;
	return -1;
}

void tu_assert_top(kbs_kb *kb, const char *text, const kbs_search_opts *o, const char *id,
		   const char *why)
{
	kbs_results *r = tu_search(kb, text, o);
	if (kbs_results_count(r) == 0 || strcmp(kbs_results_id(r, 0), id) != 0)
		fail_msg("query \"%s\": expected %s first, got %s (rank of expected: %ld)%s%s%s", text, id,
			 kbs_results_count(r) ? kbs_results_id(r, 0) : "nothing", tu_rank_of(r, id),
			 why ? " (" : "", why ? why : "", why ? ")" : "");
	kbs_results_free(r);
}

char *tu_facets_text(const kbs_results *r)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	fprintf(f, "total %llu;", (unsigned long long)kbs_results_total(r));
	for (int k = KBS_FACET_CATEGORY; k <= KBS_FACET_TAG; k++)
		for (size_t i = 0; i < kbs_results_facet_count(r, (kbs_facet)k); i++)
			fprintf(f, " %s=%llu", kbs_results_facet_label(r, (kbs_facet)k, i),
				(unsigned long long)kbs_results_facet_value(r, (kbs_facet)k, i));
	assert_int_equal(fclose(f), 0);
	return out;
}
