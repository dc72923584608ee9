/*
 * groonga-bench: the Groonga peer of kbs-bench (libgroonga, in process),
 * driven the same way, one BENCH line per call (peer=groonga).
 *
 *   groonga-bench index CORPUS.jsonl DIR
 *       A new database DIR/db: table Articles (key: the id; columns lang,
 *       title, body), lexicon Terms (patricia trie, TokenBigram,
 *       NormalizerAuto) and one full-text index Terms.article_text on title
 *       and body (with sections and positions). The articles are loaded
 *       first and the index built after, the way Groonga's documentation
 *       advises for a bulk load (one static build, not one update per
 *       record); both are part of index_s, JSON parsing too. Only the
 *       articles a public visitor may see, as for the FTS5 peer: Groonga has
 *       no access filter of its own.
 *   groonga-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] [--prefix]
 *                       [--threads N] [--log]
 *       What `select --match_columns 'title * 4 || body' --query ...
 *       --sort_keys -_score --limit 10` does, without its output: the
 *       user's words, OR-ed, matched on title (weight 4, as the FTS5 peer)
 *       and body, Groonga's default scorer (term frequency times weight),
 *       the 10 best by _score; --lang adds the filter `lang == "fr"`;
 *       --prefix makes the last word a prefix search (word*). Groonga's
 *       defaults otherwise: a query with no exact hit escalates to partial
 *       matching of its words (match_escalation_threshold 0). One grn_ctx
 *       per thread, each using the one database object, as Groonga's own
 *       server threads do. --log is accepted and does nothing. Timing as
 *       kbs-bench: from building the query text to the 10th id copied out.
 *   groonga-bench suggest DIR PREFIXES.txt [--lang fr|en] [--threads N]
 *       A title completion: the words AND-ed on title, the last one a
 *       prefix, the 5 best.
 */
#include <errno.h>
#include <groonga.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"

#define TABLE "Articles"
#define LEXICON "Terms"

static void grn_ok(grn_ctx *ctx, const char *what)
{
	if (ctx->rc != GRN_SUCCESS)
		bench_die(what, ctx->errbuf[0] ? ctx->errbuf : "failed");
}

static grn_obj *get(grn_ctx *ctx, const char *name)
{
	grn_obj *o = grn_ctx_get(ctx, name, (int)strlen(name));
	if (!o)
		bench_die(name, ctx->errbuf[0] ? ctx->errbuf : "not in the database");
	return o;
}

static void db_path(char *out, size_t size, const char *dir)
{
	if ((size_t)snprintf(out, size, "%s/db", dir) >= size)
		bench_die(dir, "path too long");
}

/* ---- index ---- */

typedef struct loader {
	grn_ctx *ctx;
	grn_obj *table, *lang, *title, *body;
	grn_obj buf;
} loader;

static void set_text(loader *l, grn_obj *column, grn_id id, const char *text)
{
	GRN_TEXT_SETS(l->ctx, &l->buf, text);
	grn_obj_set_value(l->ctx, column, id, &l->buf, GRN_OBJ_SET);
	grn_ok(l->ctx, "set value");
}

static void add_article(const bench_article *a, void *payload)
{
	loader *l = payload;
	int added = 0;
	grn_id id = grn_table_add(l->ctx, l->table, a->id, (unsigned)strlen(a->id), &added);
	if (id == GRN_ID_NIL)
		bench_die(a->id, l->ctx->errbuf[0] ? l->ctx->errbuf : "cannot add");
	set_text(l, l->lang, id, a->lang);
	set_text(l, l->title, id, a->title);
	set_text(l, l->body, id, a->body);
}

static grn_obj *column(grn_ctx *ctx, grn_obj *table, const char *name, grn_obj *type,
		       grn_column_flags flags)
{
	grn_obj *c = grn_column_create(ctx, table, name, (unsigned)strlen(name), NULL,
				       flags | GRN_OBJ_PERSISTENT, type);
	grn_ok(ctx, name);
	return c;
}

static int cmd_index(const char *corpus, const char *dir)
{
	char path[4200];
	db_path(path, sizeof path, dir);
	if (mkdir(dir, 0777) != 0 && errno != EEXIST)
		bench_die(dir, strerror(errno));
	grn_ctx ctx;
	grn_ctx_init(&ctx, 0);
	double t0 = bench_now_us();
	grn_obj *db = grn_db_create(&ctx, path, NULL);
	if (!db)
		bench_die(path, ctx.errbuf[0] ? ctx.errbuf : "cannot create (does it exist?)");
	grn_obj *short_text = grn_ctx_at(&ctx, GRN_DB_SHORT_TEXT), *text = grn_ctx_at(&ctx, GRN_DB_TEXT);
	loader l = { .ctx = &ctx };
	l.table = grn_table_create(&ctx, TABLE, sizeof TABLE - 1, NULL,
				   GRN_OBJ_TABLE_HASH_KEY | GRN_OBJ_PERSISTENT, short_text, NULL);
	grn_ok(&ctx, TABLE);
	l.lang = column(&ctx, l.table, "lang", short_text, GRN_OBJ_COLUMN_SCALAR);
	l.title = column(&ctx, l.table, "title", text, GRN_OBJ_COLUMN_SCALAR);
	l.body = column(&ctx, l.table, "body", text, GRN_OBJ_COLUMN_SCALAR);
	GRN_TEXT_INIT(&l.buf, 0);
	unsigned long long docs = bench_read_corpus(corpus, add_article, &l);
	GRN_OBJ_FIN(&ctx, &l.buf);

	grn_obj *lex = grn_table_create(&ctx, LEXICON, sizeof LEXICON - 1, NULL,
					GRN_OBJ_TABLE_PAT_KEY | GRN_OBJ_PERSISTENT, short_text, NULL);
	grn_ok(&ctx, LEXICON);
	grn_obj_set_info(&ctx, lex, GRN_INFO_DEFAULT_TOKENIZER, get(&ctx, "TokenBigram"));
	grn_obj_set_info(&ctx, lex, GRN_INFO_NORMALIZER, get(&ctx, "NormalizerAuto"));
	grn_ok(&ctx, "lexicon options");
	grn_obj *ix = column(&ctx, lex, "article_text", l.table,
			     GRN_OBJ_COLUMN_INDEX | GRN_OBJ_WITH_SECTION | GRN_OBJ_WITH_POSITION);
	grn_obj sources;
	GRN_UINT32_INIT(&sources, GRN_OBJ_VECTOR);
	GRN_UINT32_PUT(&ctx, &sources, grn_obj_id(&ctx, l.title));
	GRN_UINT32_PUT(&ctx, &sources, grn_obj_id(&ctx, l.body));
	/* Setting the source of an index on a filled table builds it. */
	grn_obj_set_info(&ctx, ix, GRN_INFO_SOURCE, &sources);
	grn_ok(&ctx, "index build");
	GRN_OBJ_FIN(&ctx, &sources);
	grn_obj_close(&ctx, db);
	grn_ok(&ctx, "close");
	double secs = (bench_now_us() - t0) / 1e6;
	grn_ctx_fin(&ctx);
	bench_print_index("groonga", corpus, docs, secs, bench_du_bytes(dir));
	return 0;
}

/* ---- query ---- */

typedef struct worker {
	grn_ctx ctx;
	grn_obj *table;
	grn_obj *match_columns; /* parsed once, as a prepared statement */
} worker;

typedef struct ctx {
	const bench_queries *q;
	worker *w; /* one per thread */
	const char *op, *last; /* how words are joined; what follows the last */
	grn_operator default_op;
	char *filter;          /* `lang == "fr"`, or NULL */
	int limit;
} ctx;

static double score_value(grn_obj *v)
{
	switch (v->header.domain) {
	case GRN_DB_FLOAT:
		return GRN_FLOAT_VALUE(v);
	case GRN_DB_FLOAT32:
		return GRN_FLOAT32_VALUE(v);
	case GRN_DB_INT32:
		return GRN_INT32_VALUE(v);
	default:
		return 0;
	}
}

/* What one search leaves to free once its time is taken. */
typedef struct leftovers {
	grn_obj *expr, *res, *sorted;
} leftovers;

static void leftovers_free(grn_ctx *g, leftovers *o)
{
	if (o->sorted)
		grn_obj_close(g, o->sorted);
	if (o->res)
		grn_obj_close(g, o->res);
	if (o->expr)
		grn_obj_unlink(g, o->expr);
}

/* The top of words (query syntax) into ids/scores; returns how many. The
 * error, if any, is left in the context. */
static size_t search(const ctx *c, worker *w, const char *words, char **ids, double *scores,
		     leftovers *o)
{
	grn_ctx *g = &w->ctx;
	size_t n = 0;
	grn_obj *expr = NULL, *var = NULL, *res = NULL, *sorted = NULL;
	GRN_EXPR_CREATE_FOR_QUERY(g, w->table, expr, var);
	if (!expr || !var)
		goto cleanup;
	grn_expr_parse(g, expr, words, (unsigned)strlen(words), w->match_columns, GRN_OP_MATCH,
		       c->default_op, GRN_EXPR_SYNTAX_QUERY);
	if (g->rc != GRN_SUCCESS)
		goto cleanup;
	if (c->filter) {
		grn_expr_parse(g, expr, c->filter, (unsigned)strlen(c->filter), NULL, GRN_OP_MATCH,
			       GRN_OP_AND, GRN_EXPR_SYNTAX_SCRIPT);
		grn_expr_append_op(g, expr, GRN_OP_AND, 2);
		if (g->rc != GRN_SUCCESS)
			goto cleanup;
	}
	res = grn_table_select(g, w->table, expr, NULL, GRN_OP_OR);
	if (!res || g->rc != GRN_SUCCESS)
		goto cleanup;
	sorted = grn_table_create(g, NULL, 0, NULL, GRN_OBJ_TABLE_NO_KEY, NULL, res);
	if (!sorted)
		goto cleanup;
	grn_table_sort_key key = { grn_obj_column(g, res, "_score", 6), GRN_TABLE_SORT_DESC, 0 };
	grn_table_sort(g, res, 0, c->limit, sorted, &key, 1);
	grn_obj_unlink(g, key.key);
	grn_obj *id_col = grn_obj_column(g, sorted, "_key", 4),
		*score_col = grn_obj_column(g, sorted, "_score", 6);
	grn_obj idv, scorev;
	GRN_TEXT_INIT(&idv, 0);
	GRN_VOID_INIT(&scorev);
	grn_table_cursor *cur = grn_table_cursor_open(g, sorted, NULL, 0, NULL, 0, 0, -1, 0);
	grn_id rid;
	while (cur && n < BENCH_TOP && (rid = grn_table_cursor_next(g, cur)) != GRN_ID_NIL) {
		GRN_BULK_REWIND(&idv);
		grn_obj_reinit(g, &scorev, GRN_DB_VOID, 0);
		grn_obj_get_value(g, id_col, rid, &idv);
		grn_obj_get_value(g, score_col, rid, &scorev);
		if (!(ids[n] = strndup(GRN_TEXT_VALUE(&idv), GRN_TEXT_LEN(&idv))))
			bench_die("query", "out of memory");
		scores[n++] = score_value(&scorev);
	}
	if (cur)
		grn_table_cursor_close(g, cur);
	GRN_OBJ_FIN(g, &idv);
	GRN_OBJ_FIN(g, &scorev);
	grn_obj_unlink(g, id_col);
	grn_obj_unlink(g, score_col);
cleanup:
	*o = (leftovers){ expr, res, sorted };
	return n;
}

static double one(void *p, unsigned thread, size_t i, bench_top *top)
{
	ctx *c = p;
	worker *w = &c->w[thread];
	grn_ctx *g = &w->ctx;
	char *ids[BENCH_TOP];
	double scores[BENCH_TOP];
	size_t n = 0;
	leftovers o = { 0 };
	double t0 = bench_now_us();
	char *words = bench_join_words(c->q->text[i], "", c->op, c->last);
	/* No words, nothing to search: no hits, as for the other peers. */
	if (*words)
		n = search(c, w, words, ids, scores, &o);
	double dt = bench_now_us() - t0;
	leftovers_free(g, &o);
	int error = g->rc != GRN_SUCCESS;
	if (error) {
		fprintf(stderr, "groonga-bench: %s: %s\n", c->q->qid[i], g->errbuf);
		g->rc = GRN_SUCCESS;
		g->errbuf[0] = '\0';
	}
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
		top->error = error;
	}
	return dt;
}

static int cmd_query(int argc, char **argv, int suggest)
{
	const char *dir = argv[2], *run = suggest ? NULL : argv[4];
	bench_query_args a;
	bench_parse_query_args(argc, argv, suggest ? 4 : 5, &a);
	bench_queries q = bench_read_queries(argv[3]);
	char path[4200];
	db_path(path, sizeof path, dir);
	ctx c = { .q = &q, .op = " ", .last = a.prefix || suggest ? "*" : "",
		  .default_op = suggest ? GRN_OP_AND : GRN_OP_OR, .limit = suggest ? 5 : BENCH_TOP };
	if (a.lang) {
		size_t len = strlen(a.lang) + 16;
		c.filter = malloc(len);
		if (!c.filter)
			bench_die("query", "out of memory");
		snprintf(c.filter, len, "lang == \"%s\"", a.lang);
	}
	c.w = calloc(a.threads, sizeof *c.w);
	if (!c.w)
		bench_die("query", "out of memory");
	grn_obj *db = NULL;
	const char *mc = suggest ? "title" : "title * 4 || body";
	for (unsigned t = 0; t < a.threads; t++) {
		grn_ctx *g = &c.w[t].ctx;
		grn_ctx_init(g, 0);
		if (t == 0) {
			if (!(db = grn_db_open(g, path)))
				bench_die(path, g->errbuf[0] ? g->errbuf : "cannot open");
		} else {
			grn_ctx_use(g, db);
			grn_ok(g, "grn_ctx_use");
		}
		c.w[t].table = get(g, TABLE);
		grn_obj *var = NULL;
		GRN_EXPR_CREATE_FOR_QUERY(g, c.w[t].table, c.w[t].match_columns, var);
		if (!c.w[t].match_columns || !var)
			bench_die("match columns", g->errbuf);
		grn_expr_parse(g, c.w[t].match_columns, mc, (unsigned)strlen(mc), NULL, GRN_OP_MATCH,
			       GRN_OP_AND, GRN_EXPR_SYNTAX_SCRIPT);
		grn_ok(g, mc);
	}
	bench_top *tops = calloc(q.n + 1, sizeof *tops);
	bench_timing t;
	bench_run_queries(one, &c, q.n, a.threads, tops, &t);
	if (run)
		bench_write_trec(run, &q, tops, "groonga");
	bench_print_query("groonga", suggest ? "suggest" : "query", dir, &q, a.prefix, a.threads, &t,
			  "features=tf log=0");
	/* Each context lets go of what it holds before the database closes. */
	for (unsigned k = a.threads; k-- > 0;) {
		grn_obj_unlink(&c.w[k].ctx, c.w[k].match_columns);
		grn_obj_unlink(&c.w[k].ctx, c.w[k].table);
		if (k == 0)
			grn_obj_close(&c.w[k].ctx, db);
		grn_ctx_fin(&c.w[k].ctx);
	}
	for (size_t i = 0; i < q.n; i++)
		bench_top_clear(&tops[i]);
	free(tops);
	free(c.w);
	free(c.filter);
	bench_queries_free(&q);
	return t.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_prog = "groonga-bench";
	/* No log file: Groonga's default one lives outside the work files. */
	grn_default_logger_set_max_level(GRN_LOG_NONE);
	grn_default_logger_set_path(NULL);
	if (grn_init() != GRN_SUCCESS)
		bench_die("grn_init", "failed");
	int rc = 2;
	if (argc == 4 && strcmp(argv[1], "index") == 0)
		rc = cmd_index(argv[2], argv[3]);
	else if (argc >= 5 && strcmp(argv[1], "query") == 0)
		rc = cmd_query(argc, argv, 0);
	else if (argc >= 4 && strcmp(argv[1], "suggest") == 0)
		rc = cmd_query(argc, argv, 1);
	else
		fprintf(stderr, "usage: groonga-bench index CORPUS.jsonl DIR\n"
				"       groonga-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] "
				"[--prefix] [--threads N] [--log]\n"
				"       groonga-bench suggest DIR PREFIXES.txt [--lang fr|en] "
				"[--threads N]\n");
	grn_fin();
	return rc;
}
