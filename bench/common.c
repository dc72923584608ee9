#include "common.h"

#include <errno.h>
#include <ftw.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

void bench_rng_seed(bench_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t bench_rng_next(bench_rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return out;
}

double bench_rng_unit(bench_rng *r)
{
	return (double)(bench_rng_next(r) >> 11) * 0x1.0p-53;
}

unsigned bench_rng_range(bench_rng *r, unsigned lo, unsigned hi)
{
	return lo + (unsigned)(bench_rng_unit(r) * (double)(hi - lo + 1));
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
	return bench_fts_match(text, " OR ", 0);
}

/* ---- the scale benchmark ---- */

static char *xstrdup(const char *s)
{
	char *d = strdup(s);
	if (!d)
		bench_die("strdup", "out of memory");
	return d;
}

bench_queries bench_read_queries(const char *path)
{
	bench_queries q = { 0 };
	bench_lines l = bench_read_lines(path);
	q.qid = calloc(l.n + 1, sizeof *q.qid);
	q.text = calloc(l.n + 1, sizeof *q.text);
	if (!q.qid || !q.text)
		bench_die(path, "out of memory");
	for (size_t i = 0; i < l.n; i++) {
		char *tab = strchr(l.v[i], '\t');
		q.text[i] = xstrdup(tab ? tab + 1 : l.v[i]);
		if (tab)
			*tab = '\0';
		q.qid[i] = xstrdup(l.v[i]);
	}
	q.n = l.n;
	bench_lines_free(&l);
	const char *base = strrchr(path, '/');
	q.name = xstrdup(base ? base + 1 : path);
	size_t len = strlen(q.name);
	if (len > 4 && strcmp(q.name + len - 4, ".txt") == 0)
		q.name[len - 4] = '\0';
	return q;
}

void bench_queries_free(bench_queries *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->qid[i]);
		free(q->text[i]);
	}
	free(q->qid);
	free(q->text);
	free(q->name);
	memset(q, 0, sizeof *q);
}

void bench_top_clear(bench_top *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->id[i]);
	t->n = 0;
	t->error = 0;
}

struct bench_loop {
	bench_query_fn fn;
	void *ctx;
	size_t n;
	bench_top *tops;
	double *lat;
	atomic_size_t next;
};

__attribute__((noinline)) void bench_query_loop(bench_loop *l, unsigned thread)
{
	size_t i;
	while ((i = atomic_fetch_add(&l->next, 1)) < l->n) {
		bench_top_clear(&l->tops[i]);
		l->lat[i] = l->fn(l->ctx, thread, i, &l->tops[i]);
	}
}

typedef struct run_arg {
	bench_loop *l;
	unsigned thread;
} run_arg;

static void *run_thread(void *p)
{
	run_arg *a = p;
	bench_query_loop(a->l, a->thread);
	return NULL;
}

/* Apart from the timed loop, so that --toggle-collect leaves it out. */
static void warm_up(bench_query_fn fn, void *ctx, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fn(ctx, 0, i, NULL);
}

void bench_run_queries(bench_query_fn fn, void *ctx, size_t n, unsigned threads, bench_top *tops,
		       bench_timing *out)
{
	memset(out, 0, sizeof *out);
	if (threads < 1)
		threads = 1;
	warm_up(fn, ctx, n);
	bench_loop l = { .fn = fn, .ctx = ctx, .n = n, .tops = tops };
	atomic_init(&l.next, 0);
	l.lat = calloc(n + 1, sizeof *l.lat);
	pthread_t *tid = calloc(threads, sizeof *tid);
	run_arg *args = calloc(threads, sizeof *args);
	if (!l.lat || !tid || !args)
		bench_die("run", "out of memory");
	double t0 = bench_now_us();
	if (threads == 1) {
		/* No thread to start: its cost stays out of qps, and callgrind
		 * sees the loop on the main thread. */
		bench_query_loop(&l, 0);
	} else {
		for (unsigned t = 0; t < threads; t++) {
			args[t] = (run_arg){ &l, t };
			if (pthread_create(&tid[t], NULL, run_thread, &args[t]) != 0)
				bench_die("pthread_create", strerror(errno));
		}
		for (unsigned t = 0; t < threads; t++)
			pthread_join(tid[t], NULL);
	}
	out->wall_s = (bench_now_us() - t0) / 1e6;
	double sum = 0;
	for (size_t i = 0; i < n; i++) {
		sum += l.lat[i];
		out->hits += tops[i].n;
		out->errors += tops[i].error != 0;
	}
	if (n) {
		qsort(l.lat, n, sizeof *l.lat, bench_cmp_double);
		out->p50 = l.lat[n / 2];
		out->p95 = l.lat[(size_t)((double)n * 0.95)];
		out->p99 = l.lat[(size_t)((double)n * 0.99)];
		out->mean = sum / (double)n;
		out->qps = out->wall_s > 0 ? (double)n / out->wall_s : 0;
	}
	free(l.lat);
	free(tid);
	free(args);
}

void bench_write_trec(const char *path, const bench_queries *q, const bench_top *tops,
		      const char *tag)
{
	FILE *f = fopen(path, "w");
	if (!f)
		bench_die(path, strerror(errno));
	for (size_t i = 0; i < q->n; i++)
		for (size_t r = 0; r < tops[i].n; r++)
			fprintf(f, "%s Q0 %s %zu %.6f %s\n", q->qid[i], tops[i].id[r], r + 1,
				tops[i].score[r], tag);
	if (fclose(f) != 0)
		bench_die(path, strerror(errno));
}

static unsigned long long du_total;

static int du_add(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	du_total += (unsigned long long)sb->st_blocks * 512u;
	return 0;
}

unsigned long long bench_du_bytes(const char *path)
{
	du_total = 0;
	if (nftw(path, du_add, 16, FTW_PHYS) != 0)
		bench_die(path, strerror(errno));
	return du_total;
}

long bench_peak_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

void bench_print_index(const char *peer, const char *corpus, unsigned long long docs,
		       double index_s, unsigned long long index_bytes)
{
	printf("BENCH v=1 peer=%s phase=index corpus=%s docs=%llu index_s=%.3f docs_per_s=%.1f "
	       "index_bytes=%llu peak_rss_kb=%ld\n",
	       peer, corpus, docs, index_s, index_s > 0 ? (double)docs / index_s : 0.0, index_bytes,
	       bench_peak_rss_kb());
}

void bench_print_query(const char *peer, const char *phase, const char *store,
		       const bench_queries *q, int prefix, unsigned threads, const bench_timing *t,
		       const char *extra)
{
	printf("BENCH v=1 peer=%s phase=%s store=%s qset=%s queries=%zu prefix=%d threads=%u "
	       "p50_us=%.1f p95_us=%.1f p99_us=%.1f mean_us=%.1f qps=%.1f hits_total=%llu "
	       "errors=%llu peak_rss_kb=%ld%s%s\n",
	       peer, phase, store, q->name, q->n, prefix, threads, t->p50, t->p95, t->p99, t->mean,
	       t->qps, t->hits, t->errors, bench_peak_rss_kb(), extra && *extra ? " " : "",
	       extra ? extra : "");
}

void bench_parse_query_args(int argc, char **argv, int first, bench_query_args *a)
{
	*a = (bench_query_args){ .threads = 1 };
	for (int i = first; i < argc; i++) {
		if (strcmp(argv[i], "--lang") == 0 && i + 1 < argc)
			a->lang = argv[++i];
		else if (strcmp(argv[i], "--prefix") == 0)
			a->prefix = 1;
		else if (strcmp(argv[i], "--log") == 0)
			a->log = 1;
		else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
			a->threads = (unsigned)atoi(argv[++i]);
		else
			bench_die(argv[i], "unknown option (--lang L, --prefix, --threads N, --log)");
	}
}

char *bench_join_words(const char *text, const char *quote, const char *op, const char *last)
{
	size_t tl = strlen(text), cap = tl * (1 + 2 * strlen(quote) + strlen(op)) + strlen(last) + 1,
	       n = 0;
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
			n += (size_t)sprintf(q + n, "%s%s%.*s%s", n ? op : "", quote, (int)(s - b),
					     (const char *)b, quote);
	}
	if (n)
		n += (size_t)sprintf(q + n, "%s", last);
	q[n] = '\0';
	return q;
}

char *bench_fts_match(const char *text, const char *op, int prefix_last)
{
	return bench_join_words(text, "\"", op, prefix_last ? "*" : "");
}

/* Public articles only: no audience, or one naming "public". */
static int is_public(json_t *a)
{
	json_t *aud = json_object_get(a, "audience");
	if (!json_is_array(aud))
		return 1;
	size_t i;
	json_t *v;
	json_array_foreach(aud, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), "public") == 0)
			return 1;
	return 0;
}

static const char *str_field(json_t *a, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(a, key));
	return v ? v : dflt;
}

unsigned long long bench_read_corpus(const char *path, bench_article_fn fn, void *payload)
{
	FILE *f = fopen(path, "r");
	if (!f)
		bench_die(path, strerror(errno));
	char *line = NULL;
	size_t cap = 0;
	unsigned long long seen = 0, lineno = 0;
	while (getline(&line, &cap, f) > 0) {
		lineno++;
		json_error_t err;
		json_t *a = json_loads(line, 0, &err);
		if (!a) {
			fprintf(stderr, "%s: %s:%llu: %s\n", bench_prog, path, lineno, err.text);
			continue;
		}
		if (is_public(a)) {
			bench_article art = { str_field(a, "id", ""), str_field(a, "lang", "en"),
					      str_field(a, "title", ""), str_field(a, "body", "") };
			fn(&art, payload);
			seen++;
		}
		json_decref(a);
	}
	free(line);
	fclose(f);
	return seen;
}
