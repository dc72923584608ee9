#include "common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *bench_prog = "bench";

double bench_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

void bench_die(const char *what, const char *why)
{
	fprintf(stderr, "%s: %s: %s\n", bench_prog, what, why ? why : "");
	exit(1);
}

int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

bench_lines bench_read_lines(const char *path)
{
	bench_lines l = { 0 };
	FILE *f = fopen(path, "r");
	if (!f)
		bench_die(path, "cannot open");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, f)) > 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		char **v = realloc(l.v, (l.n + 1) * sizeof *l.v);
		if (!v || !(v[l.n] = strdup(line)))
			bench_die(path, "out of memory");
		l.v = v;
		l.n++;
	}
	free(line);
	fclose(f);
	return l;
}

void bench_lines_free(bench_lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

kbs_kb *bench_kbs_build(const char *dir, const char *corpus, const char *default_lang,
			double *seconds, kbs_index_summary *sum)
{
	char articles[4096], jsonl[4096];
	snprintf(articles, sizeof articles, "%s/articles", corpus);
	snprintf(jsonl, sizeof jsonl, "%s/export.jsonl", corpus);
	const char *paths[] = { articles, jsonl };
	kbs_kb *kb = NULL;
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE;
	char *msg = NULL;
	if (kbs_open(&kb, dir, &oo, &msg) != KBS_OK)
		bench_die(dir, msg);
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.default_lang = default_lang;
	kbs_indexer *ix = NULL;
	double t0 = bench_now_us();
	if (kbs_indexer_new(&ix, kb, &io) != KBS_OK || kbs_indexer_add_paths(ix, paths, 2) != KBS_OK ||
	    kbs_indexer_commit(ix, sum) != KBS_OK)
		bench_die("indexing", ix ? kbs_indexer_errmsg(ix) : kbs_errmsg(kb));
	if (seconds)
		*seconds = (bench_now_us() - t0) / 1e6;
	kbs_indexer_free(ix);
	return kb;
}

void bench_sql_ok(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW)
		bench_die(what, sqlite3_errmsg(db));
}

sqlite3 *bench_fts_build(kbs_kb *kb, const char *path, const char *const *roles, size_t nroles,
			 double *seconds, size_t *count)
{
	sqlite3 *db = NULL;
	bench_sql_ok(db, sqlite3_open(path, &db), path);
	bench_sql_ok(db, sqlite3_exec(db,
				      "CREATE VIRTUAL TABLE a USING fts5(id UNINDEXED, title, body, "
				      "tokenize='unicode61 remove_diacritics 2')",
				      NULL, NULL, NULL),
		     "create");
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.roles = roles;
	o.nroles = nroles;
	o.limit = KBS_MAX_LIMIT;
	o.flags = KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS;
	kbs_results *all = NULL;
	if (kbs_search(&all, kb, "", &o) != KBS_OK)
		bench_die("browse", kbs_errmsg(kb));
	sqlite3_stmt *ins = NULL;
	bench_sql_ok(db, sqlite3_prepare_v2(db, "INSERT INTO a VALUES (?, ?, ?)", -1, &ins, NULL),
		     "prepare");
	double t0 = bench_now_us();
	bench_sql_ok(db, sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), "begin");
	for (size_t i = 0; i < kbs_results_count(all); i++) {
		char *js = NULL;
		if (kbs_article_json(&js, kb, kbs_results_id(all, i), roles, nroles) != KBS_OK)
			bench_die("article", kbs_errmsg(kb));
		json_t *a = json_loads(js, 0, NULL);
		if (!a)
			bench_die("article", "kbs_article_json is not JSON");
		for (int c = 0; c < 3; c++) {
			static const char *const col[] = { "id", "title", "body" };
			sqlite3_bind_text(ins, c + 1, json_string_value(json_object_get(a, col[c])), -1,
					  SQLITE_TRANSIENT);
		}
		bench_sql_ok(db, sqlite3_step(ins), "insert");
		sqlite3_reset(ins);
		json_decref(a);
		kbs_string_free(js);
	}
	bench_sql_ok(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit");
	if (seconds)
		*seconds = (bench_now_us() - t0) / 1e6;
	if (count)
		*count = kbs_results_count(all);
	sqlite3_finalize(ins);
	kbs_results_free(all);
	return db;
}

static int is_word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

char *bench_fts_query(const char *text)
{
	size_t cap = strlen(text) * 6 + 16, n = 0;
	char *q = malloc(cap);
	if (!q)
		bench_die("query", "out of memory");
	const unsigned char *s = (const unsigned char *)text;
	while (*s) {
		while (*s && !is_word_byte(*s))
			s++;
		const unsigned char *b = s;
		while (*s && is_word_byte(*s))
			s++;
		if (s > b)
			n += (size_t)sprintf(q + n, "%s\"%.*s\"", n ? " OR " : "", (int)(s - b), (const char *)b);
	}
	q[n] = '\0';
	return q;
}
