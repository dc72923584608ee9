/*
 * fts5-bench: the SQLite FTS5 peer of kbs-bench, driven the same way, one
 * BENCH line per call (peer=fts5).
 *
 *   fts5-bench index CORPUS.jsonl FILE.sqlite
 *       One table a(id UNINDEXED, lang UNINDEXED, title, body), unicode61
 *       with diacritics removed, filled in one transaction from the JSONL
 *       (parsing included in index_s, as for kbsearch). Only the articles a
 *       public visitor may see (no audience, or one that names "public"):
 *       FTS5 has no access filter, so it gets the filtered set for free.
 *   fts5-bench query FILE.sqlite QUERIES.txt RUN.trec [--lang fr|en]
 *                    [--prefix] [--threads N] [--log]
 *       The usual help-center setup: the words quoted and OR-ed, bm25 with
 *       the title weighted 4x, top 10, a highlighted snippet of the body;
 *       --lang adds `lang = ?`; --prefix makes the last word a prefix
 *       ("word"*). One connection per thread. --log is accepted and does
 *       nothing (FTS5 has no search log). Timing as kbs-bench: from building
 *       the MATCH text to the 10th row's id copied out.
 *   fts5-bench suggest FILE.sqlite PREFIXES.txt [--lang fr|en] [--threads N]
 *       The FTS5 way to complete a title: title: ("a" "b"*), 5 rows by rank.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

static sqlite3 *open_db(const char *path, int flags)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK)
		bench_die(path, db ? sqlite3_errmsg(db) : "cannot open");
	return db;
}

typedef struct loader {
	sqlite3 *db;
	sqlite3_stmt *ins;
} loader;

static void add_article(const bench_article *a, void *payload)
{
	loader *l = payload;
	const char *v[] = { a->id, a->lang, a->title, a->body };
	for (int c = 0; c < 4; c++)
		sqlite3_bind_text(l->ins, c + 1, v[c], -1, SQLITE_TRANSIENT);
	bench_sql_ok(l->db, sqlite3_step(l->ins), "insert");
	sqlite3_reset(l->ins);
}

static int cmd_index(const char *corpus, const char *path)
{
	unlink(path);
	double t0 = bench_now_us();
	loader l = { open_db(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE), NULL };
	bench_sql_ok(l.db, sqlite3_exec(l.db,
					"CREATE VIRTUAL TABLE a USING fts5(id UNINDEXED, lang UNINDEXED, "
					"title, body, tokenize='unicode61 remove_diacritics 2')",
					NULL, NULL, NULL),
		     "create");
	bench_sql_ok(l.db, sqlite3_prepare_v2(l.db, "INSERT INTO a VALUES (?, ?, ?, ?)", -1, &l.ins, NULL),
		     "prepare");
	bench_sql_ok(l.db, sqlite3_exec(l.db, "BEGIN", NULL, NULL, NULL), "begin");
	unsigned long long docs = bench_read_corpus(corpus, add_article, &l);
	bench_sql_ok(l.db, sqlite3_exec(l.db, "COMMIT", NULL, NULL, NULL), "commit");
	sqlite3_finalize(l.ins);
	sqlite3_close(l.db);
	double secs = (bench_now_us() - t0) / 1e6;
	bench_print_index("fts5", corpus, docs, secs, bench_du_bytes(path));
	return 0;
}

typedef struct ctx {
	const bench_queries *q;
	sqlite3 **db;         /* one per thread */
	sqlite3_stmt **st;    /* one per thread */
	const char *op;       /* " OR " for search, " " for suggest */
	const char *column;   /* "" or "title: " */
	int prefix;
} ctx;

static double one(void *p, unsigned thread, size_t i, bench_top *top)
{
	ctx *c = p;
	sqlite3_stmt *st = c->st[thread];
	double t0 = bench_now_us();
	char *words = bench_fts_match(c->q->text[i], c->op, c->prefix);
	size_t len = strlen(words) + strlen(c->column) + 8;
	char *m = malloc(len);
	snprintf(m, len, "%s(%s)", c->column, *words ? words : "\"\"");
	sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
	char *ids[BENCH_TOP];
	double scores[BENCH_TOP];
	size_t n = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && n < BENCH_TOP) {
		ids[n] = strdup((const char *)sqlite3_column_text(st, 0));
		scores[n++] = -sqlite3_column_double(st, 1);
	}
	double dt = bench_now_us() - t0;
	sqlite3_reset(st);
	free(m);
	free(words);
	for (size_t k = 0; k < n; k++) {
		if (top) {
			top->id[k] = ids[k];
			top->score[k] = scores[k];
		} else {
			free(ids[k]);
		}
	}
	if (top) {
		top->n = n;
		top->error = rc != SQLITE_DONE && rc != SQLITE_ROW;
	}
	return dt;
}

static int cmd_query(int argc, char **argv, int suggest)
{
	const char *path = argv[2], *run = suggest ? NULL : argv[4];
	bench_query_args a;
	bench_parse_query_args(argc, argv, suggest ? 4 : 5, &a);
	bench_queries q = bench_read_queries(argv[3]);
	ctx c = { .q = &q, .op = suggest ? " " : " OR ", .column = suggest ? "title: " : "",
		  .prefix = a.prefix || suggest };
	c.db = calloc(a.threads, sizeof *c.db);
	c.st = calloc(a.threads, sizeof *c.st);
	char sql[512];
	snprintf(sql, sizeof sql,
		 suggest ? "SELECT id, rank FROM a WHERE a MATCH ?1 %s ORDER BY rank LIMIT 5"
			 : "SELECT id, bm25(a, 0.0, 0.0, 4.0, 1.0) AS s, "
			   "snippet(a, 3, '<mark>', '</mark>', '…', 24) FROM a "
			   "WHERE a MATCH ?1 %s ORDER BY s LIMIT 10",
		 a.lang ? "AND lang = ?2" : "");
	for (unsigned t = 0; t < a.threads; t++) {
		c.db[t] = open_db(path, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX);
		bench_sql_ok(c.db[t], sqlite3_prepare_v2(c.db[t], sql, -1, &c.st[t], NULL), "prepare");
		if (a.lang)
			sqlite3_bind_text(c.st[t], 2, a.lang, -1, SQLITE_STATIC);
	}
	bench_top *tops = calloc(q.n + 1, sizeof *tops);
	bench_timing t;
	bench_run_queries(one, &c, q.n, a.threads, tops, &t);
	if (run)
		bench_write_trec(run, &q, tops, "fts5");
	bench_print_query("fts5", suggest ? "suggest" : "query", path, &q, a.prefix, a.threads, &t,
			  "features=bm25+snippet log=0");
	for (unsigned k = 0; k < a.threads; k++) {
		sqlite3_finalize(c.st[k]);
		sqlite3_close(c.db[k]);
	}
	for (size_t i = 0; i < q.n; i++)
		bench_top_clear(&tops[i]);
	free(tops);
	free(c.db);
	free(c.st);
	bench_queries_free(&q);
	return t.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_prog = "fts5-bench";
	/* No global allocation statistics: their mutex serialises threads
	 * that share nothing else (a multi-threaded host would do the same). */
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (argc == 4 && strcmp(argv[1], "index") == 0)
		return cmd_index(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "query") == 0)
		return cmd_query(argc, argv, 0);
	if (argc >= 4 && strcmp(argv[1], "suggest") == 0)
		return cmd_query(argc, argv, 1);
	fprintf(stderr, "usage: fts5-bench index CORPUS.jsonl FILE.sqlite\n"
			"       fts5-bench query FILE.sqlite QUERIES.txt RUN.trec [--lang fr|en] "
			"[--prefix] [--threads N] [--log]\n"
			"       fts5-bench suggest FILE.sqlite PREFIXES.txt [--lang fr|en] [--threads N]\n");
	return 2;
}
