/*
 * xapian-bench: raw Xapian, the engine under kbsearch, set up the way its
 * documentation does it; driven like kbs-bench, one BENCH line per call
 * (peer=xapian). The C++ is lib/store/peer.cc (see peer.h for the layout).
 *
 *   xapian-bench index CORPUS.jsonl DIR
 *       A new Xapian database at DIR: TermGenerator defaults (the article's
 *       language's stemmer, STEM_SOME, positions), the title also under the
 *       S prefix, one commit at the end (Xapian's own flush every 10000
 *       documents in between). Only the articles a public visitor may see,
 *       as for the FTS5 peer: raw Xapian has no access filter of its own.
 *   xapian-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] [--prefix]
 *                      [--threads N] [--log]
 *       QueryParser defaults: default op OR, STEM_SOME with the stemmer of
 *       --lang (none without it), FLAG_DEFAULT; BM25 (Enquire's default);
 *       top 10; --lang also filters on the language term. --prefix adds
 *       FLAG_PARTIAL (the last word is being typed). One database handle per
 *       thread (a Xapian::Database is not shared between threads). --log is
 *       accepted and does nothing. Timing as kbs-bench: from the text handed
 *       to the QueryParser to the 10th id copied out.
 *   xapian-bench suggest DIR PREFIXES.txt [--lang fr|en] [--threads N]
 *       A title completion: the S terms, words AND-ed, FLAG_PARTIAL, top 5.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../lib/store/peer.h"
#include "common.h"

static void add_article(const bench_article *a, void *payload)
{
	char *msg = NULL;
	if (bench_xapian_add(payload, a->id, a->lang, a->title, a->body, &msg) != 0)
		bench_die(a->id, msg);
}

static int cmd_index(const char *corpus, const char *dir)
{
	bench_xapian *x = NULL;
	char *msg = NULL;
	double t0 = bench_now_us();
	if (bench_xapian_open(&x, dir, 1, &msg) != 0)
		bench_die(dir, msg);
	unsigned long long docs = bench_read_corpus(corpus, add_article, x);
	if (bench_xapian_commit(x, &msg) != 0)
		bench_die("commit", msg);
	bench_xapian_close(x);
	double secs = (bench_now_us() - t0) / 1e6;
	bench_print_index("xapian", corpus, docs, secs, bench_du_bytes(dir));
	return 0;
}

typedef struct ctx {
	const bench_queries *q;
	bench_xapian **x; /* one per thread */
	const char *lang;
	unsigned flags;
	size_t max;
} ctx;

static double one(void *p, unsigned thread, size_t i, bench_top *top)
{
	ctx *c = p;
	char *ids[BENCH_TOP];
	double scores[BENCH_TOP];
	size_t n = 0;
	char *msg = NULL;
	double t0 = bench_now_us();
	int rc = bench_xapian_search(c->x[thread], c->q->text[i], c->lang, c->flags, c->max, ids,
				     scores, &n, &msg);
	double dt = bench_now_us() - t0;
	if (rc != 0) {
		fprintf(stderr, "xapian-bench: %s: %s\n", c->q->qid[i], msg ? msg : "");
		free(msg);
	}
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
		top->error = rc != 0;
	}
	return dt;
}

static int cmd_query(int argc, char **argv, int suggest)
{
	const char *dir = argv[2], *run = suggest ? NULL : argv[4];
	bench_query_args a;
	bench_parse_query_args(argc, argv, suggest ? 4 : 5, &a);
	bench_queries q = bench_read_queries(argv[3]);
	ctx c = { .q = &q, .lang = a.lang, .max = suggest ? 5 : BENCH_TOP };
	c.flags = suggest ? BENCH_XAPIAN_TITLE : a.prefix ? BENCH_XAPIAN_PARTIAL : 0;
	c.x = calloc(a.threads, sizeof *c.x);
	if (!c.x)
		bench_die("query", "out of memory");
	for (unsigned t = 0; t < a.threads; t++) {
		char *msg = NULL;
		if (bench_xapian_open(&c.x[t], dir, 0, &msg) != 0)
			bench_die(dir, msg);
	}
	bench_top *tops = calloc(q.n + 1, sizeof *tops);
	bench_timing t;
	bench_run_queries(one, &c, q.n, a.threads, tops, &t);
	if (run)
		bench_write_trec(run, &q, tops, "xapian");
	bench_print_query("xapian", suggest ? "suggest" : "query", dir, &q, a.prefix, a.threads, &t,
			  "features=bm25 log=0");
	for (unsigned k = 0; k < a.threads; k++)
		bench_xapian_close(c.x[k]);
	for (size_t i = 0; i < q.n; i++)
		bench_top_clear(&tops[i]);
	free(tops);
	free(c.x);
	bench_queries_free(&q);
	return t.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_prog = "xapian-bench";
	if (argc == 4 && strcmp(argv[1], "index") == 0)
		return cmd_index(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "query") == 0)
		return cmd_query(argc, argv, 0);
	if (argc >= 4 && strcmp(argv[1], "suggest") == 0)
		return cmd_query(argc, argv, 1);
	fprintf(stderr, "usage: xapian-bench index CORPUS.jsonl DIR\n"
			"       xapian-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] "
			"[--prefix] [--threads N] [--log]\n"
			"       xapian-bench suggest DIR PREFIXES.txt [--lang fr|en] [--threads N]\n");
	return 2;
}
