/*
 * A synthetic help center of any size, deterministic per seed, and the query
 * sets that go with it.
 *
 *   gen_corpus [-n ARTICLES] [-s SEED] [-q QUERIES] OUTDIR --fr FILE... --en FILE...
 *
 * The vocabulary comes from real text: the words of the given files (the
 * Debian FAQ and Debian Reference HTML, installed by bench/setup.sh), tags
 * stripped, counted and ranked by frequency. Articles draw their words from
 * that ranking with a Zipf law (P(rank r) ~ 1/r), 70 % French, 30 % English;
 * a fifth of each body comes from words proper to its category, so that
 * categories mean something to a ranking. This is word statistics, not HTML
 * parsing: "<...>" is dropped and "&...;" ends a word.
 *
 * OUTDIR receives:
 *   corpus.jsonl              the articles, design.md's fields
 *   synonyms.fr.txt, .en.txt  Solr-format sets drawn from the same words
 *   queries-{plain,typo,prefix}.{fr,en}.txt   QID<TAB>text
 *     plain: 1-4 words; typo: the same with one edit in one word of 4+
 *     letters; prefix: the same with the last word cut short (as typed).
 *   queries-typed.{fr,en}.txt  every prefix of the first TYPED plain
 *     queries, one more character at a time, as a search box sees them
 *     typed (suggest; ~15 a query, enough for a p99 without making the
 *     short prefixes of a slow peer take minutes).
 *
 * Its PRNG is bench_rng (common.h): the same seed and sources give the same
 * bytes on every machine.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

/* ---- vocabulary ---- */

typedef struct word {
	char *text;
	unsigned long count;
	int apostrophe; /* an elided form, "l'installation" */
} word;

typedef struct vocab {
	word *w;       /* by count, most frequent first, after vocab_rank */
	size_t n, cap; /* cap: hash table size (power of 2) */
	size_t *slot;  /* hash -> index + 1 */
	double *cdf;   /* Zipf cumulative distribution over w */
} vocab;

static uint64_t hash_str(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
	return h;
}

static void vocab_add(vocab *v, const char *s, size_t len, int apostrophe)
{
	if (v->n * 2 >= v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 1 << 14;
		size_t *slot = calloc(cap, sizeof *slot);
		if (!slot)
			bench_die("vocabulary", "out of memory");
		for (size_t i = 0; i < v->n; i++) {
			size_t h = (size_t)hash_str(v->w[i].text, strlen(v->w[i].text)) & (cap - 1);
			while (slot[h])
				h = (h + 1) & (cap - 1);
			slot[h] = i + 1;
		}
		free(v->slot);
		v->slot = slot;
		v->cap = cap;
		word *w = realloc(v->w, cap / 2 * sizeof *w);
		if (!w)
			bench_die("vocabulary", "out of memory");
		v->w = w;
	}
	size_t h = (size_t)hash_str(s, len) & (v->cap - 1);
	while (v->slot[h]) {
		word *w = &v->w[v->slot[h] - 1];
		if (strlen(w->text) == len && memcmp(w->text, s, len) == 0) {
			w->count++;
			return;
		}
		h = (h + 1) & (v->cap - 1);
	}
	char *t = strndup(s, len);
	if (!t)
		bench_die("vocabulary", "out of memory");
	v->w[v->n] = (word){ t, 1, apostrophe };
	v->slot[h] = ++v->n;
}

/* Decodes one UTF-8 character at s (n bytes left); *cp receives it (0xFFFD
 * when malformed). Returns its length. */
static size_t utf8_next(const unsigned char *s, size_t n, unsigned *cp)
{
	unsigned c = s[0];
	size_t len = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
	if (!len || len > n) {
		*cp = 0xFFFD;
		return 1;
	}
	unsigned v = len == 1 ? c : c & (0x7F >> len);
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	*cp = v;
	return len;
}

/* A letter of the Latin scripts (ASCII, Latin-1, Extended-A and -B). */
static int is_letter(unsigned cp)
{
	return ((cp | 32) >= 'a' && (cp | 32) <= 'z') ||
	       (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7);
}

static size_t put_lower(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
		return 1;
	}
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7)
		cp += 0x20;
	out[0] = (char)(0xC0 | (cp >> 6));
	out[1] = (char)(0x80 | (cp & 0x3F));
	return 2;
}

static int is_elision(const char *w, size_t len)
{
	static const char *const el[] = { "l", "d", "j", "n", "s", "c", "m", "t", "qu", "jusqu", "lorsqu", "puisqu" };
	for (size_t i = 0; i < sizeof el / sizeof *el; i++)
		if (strlen(el[i]) == len && memcmp(el[i], w, len) == 0)
			return 1;
	return 0;
}

/* Counts the words of one file: lower-cased, 2 to 24 characters, letters
 * only, French elisions kept on the word ("l'installation"). */
static void vocab_read(vocab *v, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		bench_die(path, strerror(errno));
	size_t cap = 1 << 20, n = 0;
	unsigned char *buf = malloc(cap);
	size_t got;
	while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap)
			buf = realloc(buf, cap *= 2);
	}
	fclose(f);
	if (!buf)
		bench_die(path, "out of memory");
	char w[128];
	size_t wl = 0, chars = 0;
	int apos = 0;
	for (size_t i = 0; i <= n;) {
		unsigned cp = ' ';
		size_t len = 1;
		if (i < n) {
			if (buf[i] == '<') {
				while (i < n && buf[i] != '>')
					i++;
			} else if (buf[i] == '&') {
				while (i < n && buf[i] != ';' && buf[i] != ' ' && buf[i] != '<')
					i++;
			} else {
				len = utf8_next(buf + i, n - i, &cp);
			}
		}
		if (is_letter(cp) && wl + 2 < sizeof w) {
			wl += put_lower(w + wl, cp);
			chars++;
		} else if ((cp == '\'' || cp == 0x2019) && i + len < n && !apos && is_elision(w, wl)) {
			unsigned next;
			utf8_next(buf + i + len, n - i - len, &next);
			if (is_letter(next)) {
				w[wl++] = '\'';
				apos = 1;
				chars = 0;
			} else {
				wl = chars = 0;
				apos = 0;
			}
		} else {
			if (chars >= 2 && chars <= 24)
				vocab_add(v, w, wl, apos);
			wl = chars = 0;
			apos = 0;
		}
		i += len;
	}
	free(buf);
}

static int by_count(const void *a, const void *b)
{
	const word *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->text, y->text); /* ties: stable across machines */
}

/* Sorts by frequency and builds the Zipf distribution over the ranks. */
static void vocab_rank(vocab *v)
{
	if (v->n < 100)
		bench_die("vocabulary", "fewer than 100 words in the sources");
	qsort(v->w, v->n, sizeof *v->w, by_count);
	free(v->slot);
	v->slot = NULL;
	v->cdf = malloc(v->n * sizeof *v->cdf);
	if (!v->cdf)
		bench_die("vocabulary", "out of memory");
	double sum = 0;
	for (size_t i = 0; i < v->n; i++)
		v->cdf[i] = (sum += 1.0 / (double)(i + 1));
	for (size_t i = 0; i < v->n; i++)
		v->cdf[i] /= sum;
}

/* A rank drawn from the Zipf law, at least `from`. */
static size_t zipf(const vocab *v, bench_rng *r, size_t from)
{
	for (;;) {
		double u = bench_rng_unit(r);
		size_t lo = 0, hi = v->n - 1;
		while (lo < hi) {
			size_t mid = (lo + hi) / 2;
			if (v->cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo >= from)
			return lo;
	}
}

/* A word with no apostrophe, of 4+ bytes, from the ranks [lo, hi). */
static const char *plain_word(const vocab *v, bench_rng *r, size_t lo, size_t hi)
{
	if (hi > v->n)
		hi = v->n;
	for (;;) {
		const word *w = &v->w[bench_rng_range(r, (unsigned)lo, (unsigned)hi - 1)];
		if (!w->apostrophe && strlen(w->text) >= 4)
			return w->text;
	}
}

static void vocab_free(vocab *v)
{
	for (size_t i = 0; i < v->n; i++)
		free(v->w[i].text);
	free(v->w);
	free(v->slot);
	free(v->cdf);
}

/* ---- articles ---- */

#define NPARENT 5
#define NCHILD 5
#define NTOPIC 60 /* words proper to each category */
#define NTAGS 200

typedef struct lang_model {
	const char *code;
	vocab v;
	char cat[NPARENT * NCHILD][80];
	const char *topic[NPARENT * NCHILD][NTOPIC];
	const char *tags[NTAGS];
} lang_model;

static void capitalise(char *s)
{
	if (*s >= 'a' && *s <= 'z')
		*s = (char)(*s - 32);
	else if ((unsigned char)s[0] == 0xC3 && (unsigned char)s[1] >= 0xA0 && (unsigned char)s[1] <= 0xBE)
		s[1] = (char)(s[1] - 0x20);
}

static void model_build(lang_model *m, bench_rng *r)
{
	vocab_rank(&m->v);
	for (int p = 0; p < NPARENT; p++) {
		char parent[40];
		snprintf(parent, sizeof parent, "%s", plain_word(&m->v, r, 50, 600));
		capitalise(parent);
		for (int c = 0; c < NCHILD; c++) {
			char child[40];
			snprintf(child, sizeof child, "%s", plain_word(&m->v, r, 50, 1500));
			capitalise(child);
			snprintf(m->cat[p * NCHILD + c], sizeof m->cat[0], "%s/%s", parent, child);
		}
	}
	for (int c = 0; c < NPARENT * NCHILD; c++)
		for (int t = 0; t < NTOPIC; t++)
			m->topic[c][t] = plain_word(&m->v, r, 100, 8000);
	for (int t = 0; t < NTAGS; t++)
		m->tags[t] = plain_word(&m->v, r, 30, 3000);
}

/* Appends to a growing buffer. */
typedef struct buf {
	char *s;
	size_t n, cap;
} buf;

static void buf_put(buf *b, const char *s, size_t len)
{
	if (b->n + len + 1 > b->cap) {
		b->cap = (b->n + len + 1) * 2;
		if (!(b->s = realloc(b->s, b->cap)))
			bench_die("buffer", "out of memory");
	}
	memcpy(b->s + b->n, s, len);
	b->s[b->n += len] = '\0';
}

static void buf_str(buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

/* A JSON string; the words hold no quote or control character, but the
 * category and sources might one day. */
static void buf_json(buf *b, const char *s)
{
	buf_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\') {
			char e[2] = { '\\', *s };
			buf_put(b, e, 2);
		} else if ((unsigned char)*s < 0x20) {
			char e[8];
			snprintf(e, sizeof e, "\\u%04x", (unsigned char)*s);
			buf_str(b, e);
		} else {
			buf_put(b, s, 1);
		}
	}
	buf_put(b, "\"", 1);
}

static const char *article_word(const lang_model *m, bench_rng *r, int cat)
{
	if (bench_rng_unit(r) < 0.2)
		return m->topic[cat][zipf(&m->v, r, 0) % NTOPIC];
	return m->v.w[zipf(&m->v, r, 0)].text;
}

/* One sentence-cased run of n words into b. */
static void words(buf *b, const lang_model *m, bench_rng *r, int cat, unsigned n, int sentences)
{
	unsigned left = 0;
	for (unsigned i = 0; i < n; i++) {
		char w[128];
		snprintf(w, sizeof w, "%s", article_word(m, r, cat));
		if (left == 0) {
			if (i)
				buf_str(b, ". ");
			left = sentences ? bench_rng_range(r, 6, 20) : n;
			capitalise(w);
		} else {
			buf_str(b, " ");
		}
		buf_str(b, w);
		left--;
	}
	if (sentences)
		buf_str(b, ".");
}

static void article(buf *b, const lang_model *m, bench_rng *r, size_t i)
{
	static const char *const kinds[] = { "faq", "faq", "faq", "faq", "tutorial", "tutorial", "guide", "troubleshooting", "troubleshooting", "guide" };
	int cat = (int)bench_rng_range(r, 0, NPARENT * NCHILD - 1);
	char id[32];
	snprintf(id, sizeof id, "a%07zu", i);
	b->n = 0;
	buf_str(b, "{\"id\":\"");
	buf_str(b, id);
	buf_str(b, "\",\"lang\":\"");
	buf_str(b, m->code);
	buf_str(b, "\",\"kind\":\"");
	buf_str(b, kinds[bench_rng_range(r, 0, 9)]);
	buf_str(b, "\",\"title\":");
	buf tmp = { 0 };
	words(&tmp, m, r, cat, bench_rng_range(r, 4, 10), 0);
	buf_json(b, tmp.s);
	buf_str(b, ",\"category\":");
	buf_json(b, m->cat[cat]);
	unsigned ntags = bench_rng_range(r, 0, 3);
	buf_str(b, ",\"tags\":[");
	for (unsigned t = 0; t < ntags; t++) {
		if (t)
			buf_str(b, ",");
		buf_json(b, m->tags[zipf(&m->v, r, 0) % NTAGS]);
	}
	buf_str(b, "]");
	double u = bench_rng_unit(r);
	if (u < 0.05)
		buf_str(b, ",\"audience\":[\"agent\"]");
	else if (u < 0.15)
		buf_str(b, ",\"segments\":[\"pro\"]");
	char date[40];
	unsigned day = bench_rng_range(r, 0, 5 * 365);
	snprintf(date, sizeof date, ",\"updated\":\"%04u-%02u-%02u\"", 2021 + day / 365,
		 1 + day % 365 / 31 % 12, 1 + day % 28);
	buf_str(b, date);
	tmp.n = 0;
	words(&tmp, m, r, cat, bench_rng_range(r, 100, 400), 1);
	buf_str(b, ",\"body\":");
	buf_json(b, tmp.s);
	buf_str(b, "}\n");
	free(tmp.s);
}

/* ---- synonyms and queries ---- */

static void synonyms(const char *path, const lang_model *m, bench_rng *r)
{
	FILE *f = fopen(path, "w");
	if (!f)
		bench_die(path, strerror(errno));
	fprintf(f, "# generated by gen_corpus: %s, 200 sets\n", m->code);
	for (int i = 0; i < 200; i++) {
		unsigned n = bench_rng_range(r, 2, 3);
		for (unsigned j = 0; j < n; j++)
			fprintf(f, "%s%s", j ? ", " : "", plain_word(&m->v, r, 30, 5000));
		fputc('\n', f);
	}
	if (fclose(f) != 0)
		bench_die(path, strerror(errno));
}

/* 1-4 words a visitor would type: content words (past the 30 most frequent,
 * mostly function words), Zipf-distributed like the articles. */
static void query_words(buf *b, const lang_model *m, bench_rng *r)
{
	unsigned n = bench_rng_range(r, 1, 4);
	b->n = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i)
			buf_str(b, " ");
		buf_str(b, m->v.w[zipf(&m->v, r, 30)].text);
	}
}

/* One edit (substitution, deletion, insertion, transposition) at ASCII
 * letters of one word of 4+ bytes, when there is one. */
static void typo(buf *b, bench_rng *r)
{
	size_t starts[8], n = 0;
	for (size_t i = 0; i < b->n && n < 8; i++)
		if ((i == 0 || b->s[i - 1] == ' ') && strcspn(b->s + i, " ") >= 4)
			starts[n++] = i;
	if (!n)
		return;
	size_t w = starts[bench_rng_range(r, 0, (unsigned)n - 1)];
	size_t len = strcspn(b->s + w, " ");
	for (int tries = 0; tries < 20; tries++) {
		size_t p = w + 1 + bench_rng_range(r, 0, (unsigned)len - 3); /* keep the first letter */
		char *s = b->s;
		if ((unsigned char)s[p] >= 0x80 || (unsigned char)s[p + 1] >= 0x80 || s[p] == '\'' || s[p + 1] == '\'')
			continue;
		char c = (char)('a' + bench_rng_range(r, 0, 25));
		switch (bench_rng_range(r, 0, 3)) {
		case 0:
			s[p] = c != s[p] ? c : (char)(c == 'z' ? 'a' : c + 1);
			break;
		case 1:
			memmove(s + p, s + p + 1, b->n - p);
			b->n--;
			break;
		case 2:
			buf_put(b, " ", 1);
			s = b->s;
			memmove(s + p + 1, s + p, b->n - 1 - p);
			s[p] = c;
			break;
		default:
			if (s[p] == s[p + 1])
				continue;
			c = s[p];
			s[p] = s[p + 1];
			s[p + 1] = c;
		}
		return;
	}
}

/* Cuts the last word to 3 or more characters short of its end, as typed. */
static void prefix(buf *b, bench_rng *r)
{
	size_t last = b->n;
	while (last && b->s[last - 1] != ' ')
		last--;
	size_t chars = 0;
	for (size_t i = last; i < b->n; i++)
		chars += ((unsigned char)b->s[i] & 0xC0) != 0x80;
	if (chars < 4)
		return;
	size_t keep = bench_rng_range(r, 3, (unsigned)chars - 1), i = last;
	for (size_t c = 0; i < b->n; i++) {
		if (((unsigned char)b->s[i] & 0xC0) != 0x80 && c++ == keep)
			break;
	}
	b->s[b->n = i] = '\0';
}

#define TYPED 100

/* Every state of the search box while text is typed, one character at a
 * time: its first 1, 2, ... characters, but none ending in a space (the
 * next key follows at once). QIDs: QID.CHARS. */
static void typed(FILE *f, const char *qid, const char *text)
{
	size_t chars = 0;
	for (size_t i = 0; text[i];) {
		i++;
		while (((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
		chars++;
		if (text[i - 1] != ' ')
			fprintf(f, "%s.%zu\t%.*s\n", qid, chars, (int)i, text);
	}
}

static FILE *open_set(const char *dir, const char *set, const char *lang)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/queries-%s.%s.txt", dir, set, lang);
	FILE *f = fopen(path, "w");
	if (!f)
		bench_die(path, strerror(errno));
	return f;
}

static void queries(const char *dir, const lang_model *m, uint64_t seed, unsigned nq)
{
	static const char *const sets[] = { "plain", "typo", "prefix" };
	FILE *ft = open_set(dir, "typed", m->code);
	for (int s = 0; s < 3; s++) {
		FILE *f = open_set(dir, sets[s], m->code);
		/* The same words in the three sets, so they compare. */
		bench_rng r, edit;
		bench_rng_seed(&r, seed ^ 0x51ull ^ (uint64_t)(m->code[0]));
		bench_rng_seed(&edit, seed ^ 0xED17ull ^ (uint64_t)s);
		buf b = { 0 };
		for (unsigned i = 0; i < nq; i++) {
			query_words(&b, m, &r);
			if (s == 1)
				typo(&b, &edit);
			else if (s == 2)
				prefix(&b, &edit);
			fprintf(f, "%c%s%u\t%s\n", sets[s][0], m->code, i + 1, b.s);
			if (s == 0 && i < TYPED) {
				char qid[32];
				snprintf(qid, sizeof qid, "t%s%u", m->code, i + 1);
				typed(ft, qid, b.s);
			}
		}
		free(b.s);
		if (fclose(f) != 0)
			bench_die(sets[s], strerror(errno));
	}
	if (fclose(ft) != 0)
		bench_die("typed", strerror(errno));
}

int main(int argc, char **argv)
{
	bench_prog = "gen_corpus";
	unsigned long long n = 10000, seed = 1;
	unsigned nq = 300;
	const char *out = NULL;
	static lang_model fr = { .code = "fr" }, en = { .code = "en" };
	lang_model *cur = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-n") == 0 && i + 1 < argc)
			n = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc)
			seed = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "-q") == 0 && i + 1 < argc)
			nq = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--fr") == 0)
			cur = &fr;
		else if (strcmp(argv[i], "--en") == 0)
			cur = &en;
		else if (cur)
			vocab_read(&cur->v, argv[i]);
		else if (!out)
			out = argv[i];
		else
			cur = NULL, out = NULL, i = argc;
	}
	if (!out || !fr.v.n || !en.v.n) {
		fprintf(stderr, "usage: gen_corpus [-n ARTICLES] [-s SEED] [-q QUERIES] OUTDIR "
				"--fr FILE... --en FILE...\n");
		return 2;
	}
	bench_rng r;
	bench_rng_seed(&r, seed);
	model_build(&fr, &r);
	model_build(&en, &r);

	char path[4200];
	snprintf(path, sizeof path, "%s/corpus.jsonl", out);
	FILE *f = fopen(path, "w");
	if (!f)
		bench_die(path, strerror(errno));
	buf b = { 0 };
	for (unsigned long long i = 0; i < n; i++) {
		article(&b, bench_rng_unit(&r) < 0.7 ? &fr : &en, &r, (size_t)i);
		fwrite(b.s, 1, b.n, f);
	}
	free(b.s);
	if (fclose(f) != 0)
		bench_die(path, strerror(errno));
	for (int l = 0; l < 2; l++) {
		lang_model *m = l ? &en : &fr;
		snprintf(path, sizeof path, "%s/synonyms.%s.txt", out, m->code);
		synonyms(path, m, &r);
		queries(out, m, seed, nq);
	}
	fprintf(stderr, "gen_corpus: %llu articles, vocabulary fr %zu en %zu words, in %s\n", n,
		fr.v.n, en.v.n, out);
	vocab_free(&fr.v);
	vocab_free(&en.v);
	return 0;
}
