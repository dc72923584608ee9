/*
 * kbs-bench: kbsearch driven the way any peer is driven, one BENCH line per
 * call (bench/run.sh reads them; so can any other harness).
 *
 *   kbs-bench index CORPUS.jsonl DIR
 *       Indexes the JSONL corpus into a new knowledge base at DIR, then loads
 *       the synonyms.fr.txt / synonyms.en.txt found beside CORPUS.jsonl, if
 *       any (part of index_s). index_bytes: DIR's disk usage, as du counts.
 *   kbs-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] [--prefix]
 *                   [--threads N] [--log] [--plain | --no-snippets | --no-facets]
 *       QUERIES: QID<TAB>text lines. RUN: `qid Q0 docid rank score kbsearch`,
 *       at most 10 lines a query. One untimed warm-up pass over the file, then
 *       one timed pass; each query is timed alone (CLOCK_MONOTONIC) from the
 *       call of kbs_search (which analyses the text) to its return, when the
 *       top-10 ids are in memory. kbsearch treats the last word of a text that
 *       does not end with a space as being typed (it matches longer words):
 *       without --prefix a space is appended to each text (before timing), so
 *       every word is complete; with --prefix the text goes as it is.
 *       --threads N: N threads share the one handle, taking queries in turn;
 *       qps is the queries over the wall time of the timed pass.
 *       --log: each search carries a session id (one per query, "bench-QID"),
 *       so it is recorded; the close at the end flushes the log.
 *       --plain (not a peer option, kbsearch's own): no snippets and no facets
 *       (KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS), to see what they
 *       cost; run it on a knowledge base without synonyms for plain ranking.
 *       --no-snippets, --no-facets: one of the two only (what each costs).
 *   kbs-bench suggest DIR PREFIXES.txt [--lang fr|en] [--threads N]
 *       kbs_suggest (5 completions) for each text, timed the same way.
 *
 * Every search runs as a public visitor (role "public" only), so the
 * audience filter is on: the corpus has restricted (agent) articles.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

typedef struct ctx {
	kbs_kb *kb;
	const bench_queries *q;
	char **texts; /* as passed: a space appended unless --prefix */
	char **sessions;
	kbs_search_opts so;
	kbs_suggest_opts go;
} ctx;

static double one_search(void *p, unsigned thread, size_t i, bench_top *top)
{
	ctx *c = p;
	kbs_search_opts o = c->so;
	o.session = c->sessions ? c->sessions[i] : NULL;
	kbs_results *r = NULL;
	double t0 = bench_now_us();
	kbs_status rc = kbs_search(&r, c->kb, c->texts[i], &o);
	double dt = bench_now_us() - t0;
	if (top) {
		if (rc != KBS_OK) {
			fprintf(stderr, "kbs-bench: %s: %s\n", c->q->qid[i], kbs_status_str(rc));
			top->error = 1;
		} else {
			size_t n = kbs_results_count(r);
			for (size_t k = 0; k < n && k < BENCH_TOP; k++) {
				top->id[k] = strdup(kbs_results_id(r, k));
				top->score[k] = kbs_results_score(r, k);
				top->n++;
			}
		}
	}
	kbs_results_free(r);
	return dt;
}

static double one_suggest(void *p, unsigned thread, size_t i, bench_top *top)
{
	ctx *c = p;
	kbs_suggestions *s = NULL;
	double t0 = bench_now_us();
	kbs_status rc = kbs_suggest(&s, c->kb, c->texts[i], &c->go);
	double dt = bench_now_us() - t0;
	if (top) {
		if (rc != KBS_OK) {
			top->error = 1;
		} else {
			size_t n = kbs_suggestions_count(s);
			for (size_t k = 0; k < n && k < BENCH_TOP; k++) {
				const char *id = kbs_suggestions_id(s, k);
				top->id[k] = strdup(id ? id : "-");
				top->score[k] = (double)(n - k);
				top->n++;
			}
		}
	}
	kbs_suggestions_free(s);
	return dt;
}

static kbs_kb *open_kb(const char *dir, unsigned flags)
{
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = flags;
	kbs_kb *kb = NULL;
	char *msg = NULL;
	if (kbs_open(&kb, dir, &oo, &msg) != KBS_OK)
		bench_die(dir, msg);
	return kb;
}

static int cmd_index(const char *corpus, const char *dir)
{
	kbs_kb *kb = open_kb(dir, KBS_OPEN_CREATE);
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	kbs_indexer *ix = NULL;
	kbs_index_summary sum = { 0 };
	const char *paths[] = { corpus };
	double t0 = bench_now_us();
	if (kbs_indexer_new(&ix, kb, &io) != KBS_OK || kbs_indexer_add_paths(ix, paths, 1) != KBS_OK ||
	    kbs_indexer_commit(ix, &sum) != KBS_OK)
		bench_die("indexing", ix ? kbs_indexer_errmsg(ix) : kbs_errmsg(kb));
	kbs_indexer_free(ix);
	char syn[4200];
	const char *slash = strrchr(corpus, '/');
	int dlen = slash ? (int)(slash - corpus) : 1;
	for (int l = 0; l < 2; l++) {
		snprintf(syn, sizeof syn, "%.*s/synonyms.%s.txt", dlen, slash ? corpus : ".",
			 l ? "en" : "fr");
		kbs_status rc = kbs_synonyms_load_file(kb, NULL, syn);
		if (rc != KBS_OK && rc != KBS_ENOTFOUND)
			bench_die(syn, kbs_errmsg(kb));
	}
	double secs = (bench_now_us() - t0) / 1e6;
	kbs_close(kb);
	if (sum.rejected)
		fprintf(stderr, "kbs-bench: %llu articles rejected\n", (unsigned long long)sum.rejected);
	bench_print_index("kbsearch", corpus, (unsigned long long)(sum.added + sum.updated + sum.unchanged),
			  secs, bench_du_bytes(dir));
	return sum.rejected ? 1 : 0;
}

static int cmd_query(int argc, char **argv, int suggest)
{
	const char *dir = argv[2], *qpath = argv[3], *run = suggest ? NULL : argv[4];
	unsigned flags = 0;
	/* --plain, --no-snippets and --no-facets are ours; the rest is every
	 * peer's. */
	for (int i = suggest ? 4 : 5; i < argc; i++) {
		unsigned f = strcmp(argv[i], "--plain") == 0 ? KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS
			     : strcmp(argv[i], "--no-snippets") == 0 ? KBS_SEARCH_NO_SNIPPETS
			     : strcmp(argv[i], "--no-facets") == 0	  ? KBS_SEARCH_NO_FACETS
									  : 0;
		if (f) {
			flags |= f;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i - 1) * sizeof *argv);
			argc--;
			i--;
		}
	}
	bench_query_args a;
	bench_parse_query_args(argc, argv, suggest ? 4 : 5, &a);
	bench_queries q = bench_read_queries(qpath);
	ctx c = { .q = &q };
	c.kb = open_kb(dir, 0);
	kbs_search_opts_init(&c.so, KBS_SEARCH_OPTS_VERSION);
	kbs_suggest_opts_init(&c.go, KBS_SUGGEST_OPTS_VERSION);
	c.so.lang = c.go.lang = a.lang;
	c.so.limit = BENCH_TOP;
	c.so.flags = flags;
	c.texts = calloc(q.n + 1, sizeof *c.texts);
	if (a.log)
		c.sessions = calloc(q.n + 1, sizeof *c.sessions);
	for (size_t i = 0; i < q.n; i++) {
		size_t len = strlen(q.text[i]);
		c.texts[i] = malloc(len + 2);
		memcpy(c.texts[i], q.text[i], len);
		strcpy(c.texts[i] + len, a.prefix || suggest ? "" : " ");
		if (c.sessions) {
			c.sessions[i] = malloc(strlen(q.qid[i]) + 8);
			sprintf(c.sessions[i], "bench-%s", q.qid[i]);
		}
	}
	bench_top *tops = calloc(q.n + 1, sizeof *tops);
	bench_timing t;
	bench_run_queries(suggest ? one_suggest : one_search, &c, q.n, a.threads, tops, &t);
	if (run)
		bench_write_trec(run, &q, tops, "kbsearch");
	char extra[128];
	snprintf(extra, sizeof extra, "features=%s log=%d",
		 flags == (KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS) ? "plain"
		 : flags == KBS_SEARCH_NO_SNIPPETS			     ? "no-snippets"
		 : flags == KBS_SEARCH_NO_FACETS			     ? "no-facets"
									     : "full",
		 a.log);
	if (a.log) {
		kbs_events_flush(c.kb);
		snprintf(extra + strlen(extra), sizeof extra - strlen(extra), " events_dropped=%llu",
			 (unsigned long long)kbs_events_dropped(c.kb));
	}
	bench_print_query("kbsearch", suggest ? "suggest" : "query", dir, &q, a.prefix, a.threads, &t,
			  extra);
	kbs_close(c.kb);
	for (size_t i = 0; i < q.n; i++) {
		bench_top_clear(&tops[i]);
		free(c.texts[i]);
		if (c.sessions)
			free(c.sessions[i]);
	}
	free(tops);
	free(c.texts);
	free(c.sessions);
	bench_queries_free(&q);
	return t.errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	bench_prog = "kbs-bench";
	if (argc == 4 && strcmp(argv[1], "index") == 0)
		return cmd_index(argv[2], argv[3]);
	if (argc >= 5 && strcmp(argv[1], "query") == 0)
		return cmd_query(argc, argv, 0);
	if (argc >= 4 && strcmp(argv[1], "suggest") == 0)
		return cmd_query(argc, argv, 1);
	fprintf(stderr, "usage: kbs-bench index CORPUS.jsonl DIR\n"
			"       kbs-bench query DIR QUERIES.txt RUN.trec [--lang fr|en] [--prefix] "
			"[--threads N] [--log] [--plain | --no-snippets | --no-facets]\n"
			"       kbs-bench suggest DIR PREFIXES.txt [--lang fr|en] [--threads N]\n");
	return 2;
}
