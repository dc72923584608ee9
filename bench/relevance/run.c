/*
 * Relevance of kbsearch beside SQLite FTS5, in the same run, on the same
 * articles and the same judged queries.
 *
 *   relevance CORPUS_DIR QUERIES_TSV [--split tune|test|all] [--verbose] [--failures]
 *
 * CORPUS_DIR is indexed into a temporary knowledge base through the public
 * API only (so this keeps working while the engine changes), and every
 * CORPUS_DIR/synonyms.L.txt is loaded when the header has a synonyms API.
 * FTS5 gets every article a public visitor may see, as kbsearch stored it
 * (Markdown already rendered): tokenize='unicode61 remove_diacritics 2',
 * columns (id UNINDEXED, title, body), ranked by bm25(t, 0.0, 4.0, 1.0), the
 * user's words each quoted and OR-ed.
 *
 * kbsearch runs as a portal's search box would: role public, no language
 * filter, 10 hits. Metrics, over the answerable queries (rel = judged grade):
 *   nDCG@10   gain rel_i / log2(i + 1), linear gain, ideal DCG from the
 *             judgments (best grades first, top 10);
 *   MRR@10    1 / rank of the first hit with rel >= 1, 0 when none in top 10;
 *   Recall@5  hits with rel >= 1 in the top 5 / judged articles with rel >= 1;
 *   Success@1 the top hit has rel == 2 (it answers the query).
 * Confidence (kbsearch only; FTS5 has none):
 *   detection    unanswerable queries that come back confident == false
 *                (no hit at all counts as not confident);
 *   false alarm  answerable queries that come back confident == false;
 *   wrong & sure answerable queries confident == true whose top hit has
 *                rel == 0 (a confident wrong answer).
 * Each table ends with 95 % intervals (bootstrap): of the nDCG@10 margin,
 * detection and false alarms, from resamples of the split's queries.
 * Everything is printed for the test split, the tune split and all queries;
 * --split tune (or test, or all) prints only that split's table, and limits
 * --verbose and --failures to its queries, so that work on the engine can
 * look at the tune half alone.
 * --verbose prints every query (top 3 of each engine, grades, confident and
 *   the top hit's confidence, the figure the flag is read from);
 * --failures only those where kbsearch misses (Success@1 fails, or it is
 * below FTS5 on nDCG@10, or its confidence flag is wrong).
 */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../common.h"

#define TOPK 10
#define MAXJ 32

/* ---- queries ---- */

static const char *const TYPES[] = { "paraphrase", "synonym",  "typo",    "accents",     "oneword",
				     "question",   "elision",  "english", "unanswerable" };
#define NTYPES (sizeof TYPES / sizeof *TYPES)
enum { UNANSWERABLE = NTYPES - 1 };
enum { SPLIT_TUNE = 0, SPLIT_TEST = 1 };

typedef struct judged {
	char *id;
	int grade;
} judged;

typedef struct run {
	char *ids[TOPK];
	size_t n;
	int confident, confidence; /* the flag, and the top hit's 0..100 */
	char *corrected;
	double ndcg, rr, recall5, success1;
} run;

typedef struct query {
	char *qid, *text;
	int split, type;
	judged j[MAXJ];
	size_t nj;
	run k, f; /* kbsearch, FTS5 */
} query;

typedef struct queries {
	query *v;
	size_t n;
} queries;

static int type_index(const char *s)
{
	for (size_t i = 0; i < NTYPES; i++)
		if (!strcmp(s, TYPES[i]))
			return (int)i;
	return -1;
}

static void bad_line(const char *path, unsigned line, const char *why)
{
	fprintf(stderr, "relevance: %s:%u: %s\n", path, line, why);
	exit(1);
}

static queries read_queries(const char *path)
{
	queries qs = { 0 };
	FILE *fp = fopen(path, "r");
	if (!fp)
		bench_die(path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	while ((len = getline(&line, &cap, fp)) > 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (!len || line[0] == '#')
			continue;
		char *col[5] = { 0 };
		char *p = line;
		size_t nc = 0;
		for (; nc < 5 && p; nc++) {
			col[nc] = p;
			p = strchr(p, '\t');
			if (p)
				*p++ = '\0';
		}
		if (nc < 4)
			bad_line(path, lineno, "expected qid, split, type, query, judgments (tab-separated)");
		query q = { 0 };
		q.qid = strdup(col[0]);
		q.text = strdup(col[3]);
		if (!strcmp(col[1], "tune"))
			q.split = SPLIT_TUNE;
		else if (!strcmp(col[1], "test"))
			q.split = SPLIT_TEST;
		else
			bad_line(path, lineno, "split must be tune or test");
		q.type = type_index(col[2]);
		if (q.type < 0)
			bad_line(path, lineno, "unknown query type");
		char *save = NULL;
		for (char *tok = col[4] ? strtok_r(col[4], " ", &save) : NULL; tok;
		     tok = strtok_r(NULL, " ", &save)) {
			char *eq = strrchr(tok, '=');
			if (!eq || (eq[1] != '1' && eq[1] != '2') || eq[2])
				bad_line(path, lineno, "a judgment is ARTICLE_ID=1 or ARTICLE_ID=2");
			if (q.nj == MAXJ)
				bad_line(path, lineno, "too many judgments");
			*eq = '\0';
			q.j[q.nj].id = strdup(tok);
			q.j[q.nj++].grade = eq[1] - '0';
		}
		if ((q.type == UNANSWERABLE) != (q.nj == 0))
			bad_line(path, lineno, "unanswerable queries, and only they, have no judgments");
		qs.v = realloc(qs.v, (qs.n + 1) * sizeof *qs.v);
		if (!qs.v)
			bench_die("realloc", "out of memory");
		qs.v[qs.n++] = q;
	}
	free(line);
	fclose(fp);
	if (!qs.n)
		bench_die(path, "no queries");
	return qs;
}

static int grade_of(const query *q, const char *id)
{
	for (size_t i = 0; i < q->nj; i++)
		if (!strcmp(q->j[i].id, id))
			return q->j[i].grade;
	return 0;
}

/* ---- metrics ---- */

static int cmp_grade_desc(const void *a, const void *b)
{
	return ((const judged *)b)->grade - ((const judged *)a)->grade;
}

static void score(const query *q, run *r)
{
	r->ndcg = r->rr = r->recall5 = r->success1 = 0;
	if (!q->nj)
		return;
	judged ideal[MAXJ];
	memcpy(ideal, q->j, q->nj * sizeof *ideal);
	qsort(ideal, q->nj, sizeof *ideal, cmp_grade_desc);
	double idcg = 0, dcg = 0;
	size_t relevant = 0, found5 = 0;
	for (size_t i = 0; i < q->nj && i < TOPK; i++)
		idcg += ideal[i].grade / log2((double)i + 2);
	for (size_t i = 0; i < q->nj; i++)
		relevant += q->j[i].grade >= 1;
	for (size_t i = 0; i < r->n; i++) {
		int g = grade_of(q, r->ids[i]);
		dcg += g / log2((double)i + 2);
		if (g >= 1 && r->rr == 0)
			r->rr = 1.0 / (double)(i + 1);
		if (g >= 1 && i < 5)
			found5++;
	}
	r->ndcg = idcg > 0 ? dcg / idcg : 0;
	r->recall5 = relevant ? (double)found5 / (double)relevant : 0;
	r->success1 = r->n && grade_of(q, r->ids[0]) == 2;
}

/* ---- kbsearch ---- */

/* Loads every CORPUS_DIR/synonyms.L.txt, as a help center would. */
static void load_synonyms(kbs_kb *kb, const char *corpus)
{
	static const char *const langs[] = { "fr", "en", "de", "es", "it", "nl", "pt" };
	size_t found = 0;
	for (size_t i = 0; i < sizeof langs / sizeof *langs; i++) {
		char path[4096];
		snprintf(path, sizeof path, "%s/synonyms.%s.txt", corpus, langs[i]);
		if (access(path, R_OK) != 0)
			continue;
		found++;
		if (kbs_synonyms_load_file(kb, langs[i], path) != KBS_OK)
			bench_die(path, kbs_errmsg(kb));
		printf("synonyms: loaded %s\n", path);
	}
	if (!found)
		printf("synonyms: none (no %s/synonyms.L.txt)\n", corpus);
}

static void kbs_run(kbs_kb *kb, query *q)
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.limit = TOPK;
	kbs_results *res = NULL;
	kbs_status rc = kbs_search(&res, kb, q->text, &o);
	if (rc == KBS_ERETRY)
		rc = kbs_search(&res, kb, q->text, &o);
	if (rc != KBS_OK) {
		fprintf(stderr, "relevance: kbsearch failed on %s \"%s\": %s\n", q->qid, q->text,
			kbs_errmsg(kb));
		return; /* scored as no hits, not confident */
	}
	q->k.n = kbs_results_count(res);
	if (q->k.n > TOPK)
		q->k.n = TOPK;
	for (size_t i = 0; i < q->k.n; i++)
		q->k.ids[i] = strdup(kbs_results_id(res, i));
	q->k.confident = kbs_results_confident(res);
	q->k.confidence = q->k.n ? kbs_results_confidence(res, 0) : 0;
	const char *c = kbs_results_corrected_query(res);
	q->k.corrected = c ? strdup(c) : NULL;
	kbs_results_free(res);
}

/* ---- FTS5 ---- */

static void fts_run(sqlite3 *db, sqlite3_stmt *st, query *q)
{
	char *m = bench_fts_query(q->text);
	if (*m) {
		sqlite3_bind_text(st, 1, m, -1, SQLITE_TRANSIENT);
		int rc;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && q->f.n < TOPK)
			q->f.ids[q->f.n++] = strdup((const char *)sqlite3_column_text(st, 0));
		if (rc != SQLITE_ROW && rc != SQLITE_DONE)
			fprintf(stderr, "relevance: FTS5 failed on %s: %s\n", q->qid, sqlite3_errmsg(db));
		sqlite3_reset(st);
	}
	free(m);
}

/* ---- report ---- */

typedef struct agg {
	size_t n;
	double k[4], f[4]; /* nDCG, MRR, R@5, S@1 sums */
} agg;

static void add_run(double *s, const run *r)
{
	s[0] += r->ndcg;
	s[1] += r->rr;
	s[2] += r->recall5;
	s[3] += r->success1;
}

static void print_row(const char *label, const agg *a)
{
	printf("| %s | %zu |", label, a->n);
	for (int m = 0; m < 4; m++) {
		double k = a->n ? a->k[m] / (double)a->n : 0, f = a->n ? a->f[m] / (double)a->n : 0;
		printf(" %.3f | %.3f | %+.3f |", k, f, k - f);
	}
	printf("\n");
}

static int in_split(const query *q, int split)
{
	return split < 0 || q->split == split;
}

/* How far the split's figures could move with other queries of the same
 * kinds: each is a mean over the split's queries (the nDCG@10 margin, per
 * answerable query; detection, per unanswerable query; false alarms, per
 * answerable query), and its 95 % interval is that of the means of
 * BOOTSTRAP resamples of as many queries, drawn with replacement from a
 * fixed seed so that a run repeats. The margin's resamples keep each
 * query's two engines together (a paired bootstrap). A margin whose
 * interval holds the target is not shown to miss it, nor one whose
 * interval dips below it to meet it. */
#define BOOTSTRAP 10000

typedef struct interval {
	double lo, hi;
	double reach; /* share of the resampled means at or above the target */
} interval;

static interval bootstrap(const double *x, size_t n, double target)
{
	interval out = { 0, 0, 0 };
	double *means = malloc(BOOTSTRAP * sizeof *means);
	if (!means)
		bench_die("relevance", "out of memory");
	bench_rng r;
	bench_rng_seed(&r, 1);
	size_t reach = 0;
	for (size_t b = 0; b < BOOTSTRAP; b++) {
		double sum = 0;
		for (size_t i = 0; i < n; i++)
			sum += x[bench_rng_range(&r, 0, (unsigned)n - 1)];
		means[b] = n ? sum / (double)n : 0;
		reach += means[b] >= target;
	}
	qsort(means, BOOTSTRAP, sizeof *means, bench_cmp_double);
	out.lo = means[BOOTSTRAP / 40];
	out.hi = means[BOOTSTRAP - 1 - BOOTSTRAP / 40];
	out.reach = (double)reach / BOOTSTRAP;
	free(means);
	return out;
}

static int report(const queries *qs, int split, const char *name)
{
	/* Per query, for the intervals: the margin and the false alarm of
	 * each answerable one, the detection of each unanswerable one. */
	size_t cap = qs->n ? qs->n : 1;
	double *delta = malloc(cap * sizeof *delta), *alarm = malloc(cap * sizeof *alarm),
	       *caught = malloc(cap * sizeof *caught);
	if (!delta || !alarm || !caught)
		bench_die("relevance", "out of memory");
	agg by[NTYPES] = { { 0 } }, all = { 0 };
	size_t unans = 0, detected = 0, answ = 0, false_alarm = 0, wrong_sure = 0;
	for (size_t i = 0; i < qs->n; i++) {
		const query *q = &qs->v[i];
		if (!in_split(q, split))
			continue;
		if (q->type == UNANSWERABLE) {
			caught[unans++] = !q->k.confident;
			detected += !q->k.confident;
			continue;
		}
		delta[answ] = q->k.ndcg - q->f.ndcg;
		alarm[answ++] = !q->k.confident;
		false_alarm += !q->k.confident;
		wrong_sure += q->k.confident && (!q->k.n || grade_of(q, q->k.ids[0]) == 0);
		agg *t[2] = { &by[q->type], &all };
		for (int j = 0; j < 2; j++) {
			t[j]->n++;
			add_run(t[j]->k, &q->k);
			add_run(t[j]->f, &q->f);
		}
	}
	printf("\n### %s\n\n", name);
	printf("| type | n | nDCG@10 kbsearch | FTS5 | Δ | MRR@10 kbsearch | FTS5 | Δ "
	       "| Recall@5 kbsearch | FTS5 | Δ | Success@1 kbsearch | FTS5 | Δ |\n");
	printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
	int types_above = 1;
	for (size_t t = 0; t < UNANSWERABLE; t++) {
		if (!by[t].n)
			continue;
		print_row(TYPES[t], &by[t]);
		if (by[t].k[0] <= by[t].f[0])
			types_above = 0;
	}
	print_row("**all answerable**", &all);
	double dk = all.n ? all.k[0] / (double)all.n : 0, df = all.n ? all.f[0] / (double)all.n : 0;
	double det = unans ? (double)detected / (double)unans : 0;
	double fa = answ ? (double)false_alarm / (double)answ : 0;
	printf("\nkbsearch confidence: unanswerable detected (confident == false) **%zu/%zu = %.0f %%**; "
	       "false alarms (answerable, confident == false) **%zu/%zu = %.1f %%**; "
	       "confident but top hit not relevant %zu/%zu = %.1f %%.\n",
	       detected, unans, 100 * det, false_alarm, answ, 100 * fa, wrong_sure, answ,
	       answ ? 100.0 * (double)wrong_sure / (double)answ : 0.0);
	int ok = dk - df >= 0.15 && types_above && det >= 0.80 && fa <= 0.10;
	printf("\nTargets: nDCG@10 +%.3f over FTS5 (≥ +0.15: %s); above FTS5 on every type: %s; "
	       "detection ≥ 80 %%: %s; false alarms ≤ 10 %%: %s.\n",
	       dk - df, dk - df >= 0.15 ? "yes" : "NO", types_above ? "yes" : "NO", det >= 0.80 ? "yes" : "NO",
	       fa <= 0.10 ? "yes" : "NO");
	if (answ) {
		interval m = bootstrap(delta, answ, 0.15), f = bootstrap(alarm, answ, 0.10),
			 d = bootstrap(caught, unans, 0.80);
		printf("\nSampling error, 95 %% intervals (bootstrap, %d resamples of the queries): "
		       "nDCG@10 margin [%+.3f, %+.3f], %.0f %% of the resamples reach +0.15; "
		       "detection [%.0f %%, %.0f %%]; false alarms [%.1f %%, %.1f %%].\n",
		       BOOTSTRAP, m.lo, m.hi, 100 * m.reach, 100 * d.lo, 100 * d.hi, 100 * f.lo,
		       100 * f.hi);
	}
	free(delta);
	free(alarm);
	free(caught);
	return ok;
}

static void print_top(const query *q, const run *r)
{
	if (!r->n) {
		printf("(no hit)");
		return;
	}
	for (size_t i = 0; i < r->n && i < 3; i++)
		printf("%s%s[%d]", i ? ", " : "", r->ids[i], grade_of(q, r->ids[i]));
}

static void details(const queries *qs, int split, int failures_only)
{
	printf("\n### Per query%s\n\n", failures_only ? ": kbsearch misses" : "");
	printf("Top 3 of each engine, [grade] after each id; nDCG@10 kbsearch / FTS5.\n\n");
	for (size_t i = 0; i < qs->n; i++) {
		const query *q = &qs->v[i];
		if (!in_split(q, split))
			continue;
		int answerable = q->type != UNANSWERABLE;
		int miss = answerable ? (!q->k.success1 || q->k.ndcg < q->f.ndcg || !q->k.confident)
				      : q->k.confident;
		if (failures_only && !miss)
			continue;
		printf("- %s %s %s \"%s\"%s%s%s\n", q->qid, q->split == SPLIT_TUNE ? "tune" : "test",
		       TYPES[q->type], q->text, q->k.corrected ? " (ran: \"" : "",
		       q->k.corrected ? q->k.corrected : "", q->k.corrected ? "\")" : "");
		printf("  - kbsearch (%s, %d): ", q->k.confident ? "confident" : "not confident",
		       q->k.confidence);
		print_top(q, &q->k);
		printf("\n  - FTS5: ");
		print_top(q, &q->f);
		if (answerable) {
			printf("\n  - judged: ");
			for (size_t j = 0; j < q->nj; j++)
				printf("%s%s=%d", j ? " " : "", q->j[j].id, q->j[j].grade);
			printf("\n  - nDCG@10 %.3f / %.3f", q->k.ndcg, q->f.ndcg);
		}
		printf("\n");
	}
}

/* Every judged id must be an article a public visitor can see. */
static void check_judgments(kbs_kb *kb, const queries *qs)
{
	size_t bad = 0;
	for (size_t i = 0; i < qs->n; i++)
		for (size_t j = 0; j < qs->v[i].nj; j++) {
			char *js = NULL;
			if (kbs_article_json(&js, kb, qs->v[i].j[j].id, NULL, 0) != KBS_OK) {
				fprintf(stderr, "relevance: %s judges %s, which no public visitor can see\n",
					qs->v[i].qid, qs->v[i].j[j].id);
				bad++;
			}
			kbs_string_free(js);
		}
	if (bad)
		bench_die("queries", "judgments name unknown or restricted articles");
}

int main(int argc, char **argv)
{
	bench_prog = "relevance";
	int verbose = 0, failures = 0;
	/* -2: every table (test, tune, all); -1: all queries only; else one split */
	int split = -2;
	const char *pos[2] = { 0 };
	size_t npos = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--split") && i + 1 < argc) {
			const char *s = argv[++i];
			if (!strcmp(s, "tune"))
				split = SPLIT_TUNE;
			else if (!strcmp(s, "test"))
				split = SPLIT_TEST;
			else if (!strcmp(s, "all"))
				split = -1;
			else
				npos = 3;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v"))
			verbose = 1;
		else if (!strcmp(argv[i], "--failures"))
			failures = 1;
		else if (npos < 2 && argv[i][0] != '-')
			pos[npos++] = argv[i];
		else
			npos = 3;
	}
	if (npos != 2) {
		fprintf(stderr, "usage: relevance CORPUS_DIR QUERIES_TSV [--split tune|test|all] "
				"[--verbose] [--failures]\n");
		return 2;
	}
	queries qs = read_queries(pos[1]);
	char dir[] = "/tmp/kbs-relevance-XXXXXX";
	if (!mkdtemp(dir))
		bench_die("mkdtemp", strerror(errno));
	char kbdir[4096];
	snprintf(kbdir, sizeof kbdir, "%s/kb", dir);

	printf("## Relevance: kbsearch beside SQLite FTS5\n\n");
	kbs_index_summary sum;
	kbs_kb *kb = bench_kbs_build(kbdir, pos[0], NULL, NULL, &sum);
	printf("kbsearch %s: indexed %llu articles (%llu rejected)\n", kbs_version(),
	       (unsigned long long)(sum.added + sum.updated + sum.unchanged),
	       (unsigned long long)sum.rejected);
	load_synonyms(kb, pos[0]);
	check_judgments(kb, &qs);
	size_t narticles = 0;
	sqlite3 *db = bench_fts_build(kb, ":memory:", NULL, 0, NULL, &narticles); /* public */
	printf("SQLite %s FTS5: %zu public articles, as kbsearch stored them\n", sqlite3_libversion(),
	       narticles);
	sqlite3_stmt *st = NULL;
	bench_sql_ok(db, sqlite3_prepare_v2(db,
				      "SELECT id FROM a WHERE a MATCH ? ORDER BY bm25(a, 0.0, 4.0, 1.0) LIMIT 10",
				      -1, &st, NULL),
	       "prepare");
	size_t per[2] = { 0 };
	for (size_t i = 0; i < qs.n; i++) {
		query *q = &qs.v[i];
		kbs_run(kb, q);
		fts_run(db, st, q);
		score(q, &q->k);
		score(q, &q->f);
		per[q->split]++;
	}
	sqlite3_finalize(st);
	printf("%zu queries (%zu tune, %zu test); kbsearch: role public, all languages, top %d; "
	       "FTS5: words quoted and OR-ed, bm25(a, 0.0, 4.0, 1.0).\n",
	       qs.n, per[SPLIT_TUNE], per[SPLIT_TEST], TOPK);
	printf("nDCG@10: linear gain rel/log2(rank+1), ideal from the judgments. MRR@10: first hit with rel ≥ 1. "
	       "Recall@5: of the articles with rel ≥ 1. Success@1: top hit has rel = 2.\n");

	if (split == -2 || split == SPLIT_TEST)
		report(&qs, SPLIT_TEST, "Test split (report these)");
	if (split == -2 || split == SPLIT_TUNE)
		report(&qs, SPLIT_TUNE, "Tune split (tune on these only)");
	int ok = split < 0 ? report(&qs, -1, "All queries") : 0;
	if (verbose || failures)
		details(&qs, split < 0 ? -1 : split, !verbose);

	sqlite3_close(db);
	kbs_close(kb);
	for (size_t i = 0; i < qs.n; i++) {
		query *q = &qs.v[i];
		for (size_t j = 0; j < q->nj; j++)
			free(q->j[j].id);
		for (size_t j = 0; j < q->k.n; j++)
			free(q->k.ids[j]);
		for (size_t j = 0; j < q->f.n; j++)
			free(q->f.ids[j]);
		free(q->k.corrected);
		free(q->qid);
		free(q->text);
	}
	free(qs.v);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "relevance: could not remove %s\n", dir);
	(void)ok; /* a benchmark reports; it does not fail on its figures */
	return 0;
}
