/*
 * Popular answered queries, the second source of kbs_suggest (kb.h
 * suggest_source): what visitors typed, found, and did not retype.
 *
 * Which searches count: the last search of a search intent (report.c's
 * definition, read from the next search of the session: none within
 * INTENT_GAP_MS, or a view in between), answered (results and confident),
 * within HORIZON_MS of the latest logged search (an imported or replayed
 * log is not "old"; retention is what ages a store), whose stored text holds no redaction marker
 * ("<email>", "<phone>"…: a text that had personal data is never shown,
 * even redacted). The keystrokes "fac", "fact" of "facture en ligne" are
 * thus never suggested.
 *
 * Privacy, as in the reports: a text is suggested only when at least
 * KBS_EVENTS__K distinct sessions typed it, counting only the searches
 * whose roles the caller has (a text typed only by agents is never
 * suggested to the public, nor does an agent's session help a public text
 * reach k).
 *
 * The table: a snapshot held in memory, immutable once built, reference
 * counted, swapped under a mutex that is held only to copy a pointer. Per
 * text it keeps, instead of the sessions, the number of sessions per
 * distinct set of role sets they typed it under (a bit mask over the role
 * sets of the snapshot): the caller's count is then exact, the sum of the
 * groups with a role set the caller has, in a few operations.
 *
 * Who builds it: nobody until the first suggest (a handle that never
 * suggests pays nothing). The first suggest reads the store when the file
 * exists (read-only: it never creates one) and builds the first snapshot.
 * From then on the writer thread rebuilds it after a batch that held
 * searches, at once when someone waits in kbs_events_flush, else at most
 * every REFRESH_MS; a handle without a writer (it only reads, other
 * processes log) re-reads the store when the snapshot is older than
 * STALE_MS, on one suggest thread while the others keep the old one.
 */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "events.h"

#define INTENT_GAP_MS 10000 /* as in report.c */
#define HORIZON_MS (90 * 24 * 3600 * 1000LL)
#define MAX_TEXTS 2000      /* the most popular texts kept */
#define MAX_ROLESETS 64     /* role sets beyond these are left out */
#define MAX_GROUPS 8        /* mask groups per text beyond these: left out */

typedef struct pq_group {
	uint64_t mask;   /* the role sets these sessions typed the text under */
	uint32_t sessions;
} pq_group;

typedef struct pq_text {
	char *text;      /* as stored (redacted: it has no marker) */
	char *folded;    /* kbs_text__fold(text) */
	char lang[8];    /* the language all its searches named, or "" */
	uint32_t total;  /* sessions, whatever the roles */
	pq_group g[MAX_GROUPS];
	size_t ng;
} pq_text;

struct kbs_events__popular {
	atomic_uint refs;
	int64_t built;   /* CLOCK_MONOTONIC ms */
	pq_text *v;      /* by total sessions, most first */
	size_t n;
	/* Role set r: the roles besides public (JSON array strings). */
	char **roles[MAX_ROLESETS];
	size_t nroles[MAX_ROLESETS];
	size_t nsets;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pq_free(kbs_events__popular *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].text);
		free(p->v[i].folded);
	}
	free(p->v);
	for (size_t r = 0; r < p->nsets; r++) {
		for (size_t i = 0; i < p->nroles[r]; i++)
			free(p->roles[r][i]);
		free(p->roles[r]);
	}
	free(p);
}

void kbs_events__popular_ref(kbs_events__popular *p)
{
	if (p)
		atomic_fetch_add(&p->refs, 1);
}

bool kbs_events__popular_stale(const kbs_events__popular *p, int64_t ms)
{
	return mono_ms() - p->built > ms;
}

void kbs_events__popular_unref(kbs_events__popular *p)
{
	if (p && atomic_fetch_sub(&p->refs, 1) == 1)
		pq_free(p);
}

/* Whether s holds a redaction marker: "<" lower-case letters ">". */
static bool has_marker(const char *s)
{
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		const char *q = p + 1;
		while (*q >= 'a' && *q <= 'z')
			q++;
		if (q > p + 1 && *q == '>')
			return true;
	}
	return false;
}

/* The index of the role set `json` in p, added when new; -1 when there
 * are too many or out of memory. */
static int roleset(kbs_events__popular *p, const char *json)
{
	json_error_t je;
	json_t *a = json_loads(json ? json : "[]", 0, &je);
	char *v[64];
	size_t n = 0, i;
	json_t *x;
	int found = -1;
	if (!json_is_array(a)) {
		json_decref(a);
		return -1;
	}
	json_array_foreach(a, i, x)
	{
		if (json_is_string(x) && n < 64)
			v[n++] = (char *)json_string_value(x);
	}
	for (size_t r = 0; r < p->nsets && found < 0; r++) {
		if (p->nroles[r] != n)
			continue;
		size_t j = 0;
		while (j < n && strcmp(p->roles[r][j], v[j]) == 0)
			j++;
		if (j == n) /* stored sorted (log.c roles_json): same order */
			found = (int)r;
	}
	if (found < 0 && p->nsets < MAX_ROLESETS) {
		char **copy = calloc(n ? n : 1, sizeof *copy);
		bool ok = copy != NULL;
		for (size_t j = 0; ok && j < n; j++)
			ok = (copy[j] = kbs_strdup(v[j])) != NULL;
		if (ok) {
			p->roles[p->nsets] = copy;
			p->nroles[p->nsets] = n;
			found = (int)p->nsets++;
		} else if (copy) {
			for (size_t j = 0; j < n; j++)
				free(copy[j]);
			free(copy);
		}
	}
	json_decref(a);
	return found;
}

/* One row per (text, session): the role sets and languages it was typed
 * under, the text's total sessions first. */
static const char *const POPULAR_SQL =
	"WITH s AS ("
	"  SELECT id, at, session, query, lang, roles, results, confident,"
	"    LEAD(at) OVER (PARTITION BY session ORDER BY at, id) AS next_at"
	"  FROM searches WHERE at >= (SELECT MAX(at) FROM searches) - ?1),"
	"f AS MATERIALIZED ("
	"  SELECT * FROM s WHERE results > 0 AND confident = 1 AND query <> ''"
	"  AND (next_at IS NULL OR next_at - at > ?2 OR EXISTS ("
	"    SELECT 1 FROM events v WHERE v.session = s.session AND v.type = 'view'"
	"    AND v.at > s.at AND v.at <= s.next_at))),"
	"t AS ("
	"  SELECT query, COUNT(DISTINCT session) AS n FROM f GROUP BY query"
	"  HAVING n >= ?3 ORDER BY n DESC, query LIMIT ?4)"
	"SELECT t.query, t.n, f.session, group_concat(DISTINCT f.roles),"
	"  COUNT(DISTINCT coalesce(f.lang, '')), MIN(coalesce(f.lang, ''))"
	" FROM t JOIN f ON f.query = t.query"
	" GROUP BY t.query, f.session ORDER BY t.n DESC, t.query";

/* Splits "[..],[..]" (group_concat of JSON arrays) into role set bits. */
static uint64_t mask_of(kbs_events__popular *p, const char *concat)
{
	uint64_t mask = 0;
	const char *s = concat ? concat : "[]";
	while (*s) {
		const char *end = strchr(s, ']');
		if (!end)
			break;
		char one[1024];
		size_t len = (size_t)(end - s) + 1;
		if (len < sizeof one) {
			memcpy(one, s, len);
			one[len] = '\0';
			int r = roleset(p, one);
			if (r >= 0)
				mask |= 1ull << r;
		}
		s = end + 1;
		if (*s == ',')
			s++;
	}
	return mask;
}

kbs_status kbs_events__popular_build(kbs_events__popular **out, sqlite3 *db, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	sqlite3_stmt *st = NULL;
	kbs_events__popular *p = calloc(1, sizeof *p);
	size_t cap = 0;
	int step;

	*out = NULL;
	if (!p)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	atomic_init(&p->refs, 1);
	p->built = mono_ms();
	if (!db)
		goto done; /* no store: nothing was ever logged */
	if (sqlite3_prepare_v2(db, POPULAR_SQL, -1, &st, NULL) != SQLITE_OK) {
		rc = kbs_err__set(err, KBS_EIO, "events store: popular queries: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	sqlite3_bind_int64(st, 1, HORIZON_MS);
	sqlite3_bind_int64(st, 2, INTENT_GAP_MS);
	sqlite3_bind_int64(st, 3, KBS_EVENTS__K);
	sqlite3_bind_int64(st, 4, MAX_TEXTS);
	pq_text *cur = NULL;
	bool mixed = false;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(st, 0);
		if (!cur || strcmp(cur->text, text) != 0) {
			if (!kbs_grow(&p->v, &cap, p->n, sizeof *p->v, 64)) {
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
				goto cleanup;
			}
			cur = &p->v[p->n];
			memset(cur, 0, sizeof *cur);
			cur->text = kbs_strdup(text);
			cur->folded = kbs_text__fold(text, strlen(text));
			if (!cur->text || !cur->folded) {
				free(cur->text);
				free(cur->folded);
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
				goto cleanup;
			}
			p->n++;
			cur->total = (uint32_t)sqlite3_column_int64(st, 1);
			mixed = false;
			snprintf(cur->lang, sizeof cur->lang, "%s",
				 (const char *)sqlite3_column_text(st, 5));
		}
		const char *lang = (const char *)sqlite3_column_text(st, 5);
		if (mixed || sqlite3_column_int(st, 4) != 1 || strcmp(cur->lang, lang) != 0) {
			mixed = true;
			cur->lang[0] = '\0';
		}
		uint64_t mask = mask_of(p, (const char *)sqlite3_column_text(st, 3));
		if (!mask)
			continue;
		size_t g = 0;
		while (g < cur->ng && cur->g[g].mask != mask)
			g++;
		if (g == cur->ng) {
			if (cur->ng == MAX_GROUPS)
				continue; /* left out: counts only ever fall short */
			cur->g[cur->ng++].mask = mask;
		}
		cur->g[g].sessions++;
	}
	if (step != SQLITE_DONE)
		rc = kbs_err__set(err, KBS_EIO, "events store: popular queries: %s", sqlite3_errmsg(db));
	/* Texts are dropped when they have a marker, here rather than in SQL
	 * (LIKE has no character classes). */
	size_t w = 0;
	for (size_t i = 0; i < p->n; i++) {
		if (has_marker(p->v[i].text)) {
			free(p->v[i].text);
			free(p->v[i].folded);
		} else {
			p->v[w++] = p->v[i];
		}
	}
	p->n = w;
done:
cleanup:
	sqlite3_finalize(st);
	if (rc != KBS_OK)
		pq_free(p);
	else
		*out = p;
	return rc;
}

/* ---- matching a prefix ---- */

static bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Whether the folded text has a word equal to w[0..n) (or, `begins`,
 * beginning with it). */
static bool has_word(const char *text, const char *w, size_t n, bool begins)
{
	const char *p = text;
	while (*p) {
		while (*p && !word_byte((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && word_byte((unsigned char)*p))
			p++;
		size_t len = (size_t)(p - s);
		if (len >= n && memcmp(s, w, n) == 0 && (begins || len == n))
			return true;
	}
	return false;
}

/* Whether the folded text completes the folded prefix: each complete word
 * of the prefix is a word of the text, the last one (when the prefix does
 * not end between words) begins one. *starts: the text begins with the
 * prefix's first word. */
static bool completes(const char *text, const char *prefix, bool *starts)
{
	const char *p = prefix;
	bool any = false;
	*starts = false;
	while (*p) {
		while (*p && !word_byte((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *s = p;
		while (*p && word_byte((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - s);
		bool last = *p == '\0';
		if (!any) {
			const char *t = text;
			while (*t && !word_byte((unsigned char)*t))
				t++;
			*starts = strncmp(t, s, n) == 0;
		}
		any = true;
		if (!has_word(text, s, n, last))
			return false;
	}
	return any;
}

typedef struct cand {
	const pq_text *t;
	uint32_t sessions;
	bool starts;
} cand;

static int cmp_cand(const void *a, const void *b)
{
	const cand *x = a, *y = b;
	if (x->starts != y->starts)
		return x->starts ? -1 : 1;
	if (x->sessions != y->sessions)
		return x->sessions > y->sessions ? -1 : 1;
	return strcmp(x->t->text, y->t->text);
}

kbs_status kbs_events__popular_suggest(kbs_events__popular *p, const char *prefix,
				       const kbs_suggest_opts *o, kbs_query__suggest_sink *sink,
				       kbs_err *err)
{
	kbs_status rc = KBS_OK;
	char *fp = NULL;
	cand best[KBS_EVENTS__MAX_SUGGEST];
	size_t nb = 0, want = (o->limit + 1) / 2;
	uint64_t visible = 0;

	if (!p || !p->n)
		return KBS_OK;
	if (want > KBS_EVENTS__MAX_SUGGEST)
		want = KBS_EVENTS__MAX_SUGGEST;
	/* The role sets the caller has: each of their roles among its own. */
	for (size_t r = 0; r < p->nsets; r++) {
		size_t j = 0;
		for (; j < p->nroles[r]; j++) {
			const char *role = p->roles[r][j];
			size_t i = 0;
			while (i < o->nroles && !(o->roles[i] && kbs_kb__same_label(o->roles[i], role)))
				i++;
			if (i == o->nroles)
				break;
		}
		if (j == p->nroles[r])
			visible |= 1ull << r;
	}
	if (!visible)
		return KBS_OK;
	if (!(fp = kbs_text__fold(prefix, strlen(prefix))))
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++) {
		const pq_text *t = &p->v[i];
		if (o->lang && t->lang[0] && strcmp(o->lang, t->lang) != 0)
			continue;
		uint32_t n = 0;
		for (size_t g = 0; g < t->ng; g++)
			if (t->g[g].mask & visible)
				n += t->g[g].sessions;
		bool starts;
		if (n < KBS_EVENTS__K || !completes(t->folded, fp, &starts))
			continue;
		cand c = { t, n, starts };
		/* Keep the `want` best, by insertion. */
		if (nb == want && cmp_cand(&c, &best[nb - 1]) >= 0)
			continue;
		size_t at = nb < want ? nb++ : nb - 1;
		while (at > 0 && cmp_cand(&c, &best[at - 1]) < 0) {
			best[at] = best[at - 1];
			at--;
		}
		best[at] = c;
	}
	/* Ranks (query.h): a band per "begins with the first word" like the
	 * titles (0, 0.5), and inside it before every title (whose rank adds
	 * its length / 1000), the most sessions first. */
	for (size_t i = 0; i < nb && rc == KBS_OK; i++) {
		double rank = (best[i].starts ? 0 : 0.5) + 0.0009 * (double)i / (double)want;
		rc = kbs_query__suggest_add(sink, best[i].t->text, NULL, rank);
		if (rc != KBS_OK)
			rc = kbs_err__set(err, rc, "out of memory");
	}
	free(fp);
	return rc;
}
