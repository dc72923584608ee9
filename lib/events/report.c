/*
 * Reports: the definitions of design.md ("Events and metrics") as SQL over
 * the store, then rendered as JSON, a table, CSV or one HTML page.
 *
 * Each report works on its own connection, in one read transaction (one
 * consistent snapshot), with TEMP tables built first:
 *   reader_roles(role)   the reader's roles and public
 *   visible(id, title)   articles of the period the reader may see
 *   s_cur, s_prev        the searches of the period and of the one of the
 *                        same length before it, each with its intent number
 *   i_cur, i_prev        their search intents, one row each, with the
 *                        fields of the intent's last search
 *
 * Search intent: a search starts a new intent of its session unless it
 * comes at most INTENT_GAP_MS after the session's previous search with no
 * view in between: typing, extending or correcting within a few seconds is
 * one question, and reading an article ends it. An intent stands for what
 * the visitor finally typed: its last search gives its text, key, results
 * and whether it was answered. In every count and rate a "search" is an
 * intent, except summary.searches, the raw count. Empty queries are never
 * logged (browsing), so never counted.
 *
 * An intent has a view when the session viewed an article from its first
 * search on, within ABANDON_MS of its last search, and before the next
 * intent began. An intent is abandoned when its last search had results
 * and no view of the session followed within ABANDON_MS.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

#define INTENT_GAP_MS 10000
#define ABANDON_MS (30 * 60 * 1000LL)
#define DAY_MS (24 * 3600 * 1000LL)
#define DEFAULT_PERIOD (30 * DAY_MS)
#define MIN_RATE_SESSIONS 5
#define EXAMPLES 3
#define HTML_TOP 15

typedef struct period {
	int64_t a, b;
} period;

typedef struct report {
	kbs_kb *kb;
	sqlite3 *db;
	kbs_err *err;
	period cur, prev;
	int64_t window;
	unsigned k;
	size_t limit;
	const char *const *roles;
	size_t nroles;
} report;

static kbs_status fail(report *r, const char *what)
{
	return kbs_err__set(r->err, sqlite3_errcode(r->db) == SQLITE_NOMEM ? KBS_ENOMEM : KBS_EIO,
			    "events report: %s: %s", what, sqlite3_errmsg(r->db));
}

static kbs_status prep(report *r, sqlite3_stmt **st, const char *sql, period p)
{
	if (sqlite3_prepare_v2(r->db, sql, -1, st, NULL) != SQLITE_OK)
		return fail(r, "preparing");
	int i;
	if ((i = sqlite3_bind_parameter_index(*st, ":a")))
		sqlite3_bind_int64(*st, i, p.a);
	if ((i = sqlite3_bind_parameter_index(*st, ":b")))
		sqlite3_bind_int64(*st, i, p.b);
	if ((i = sqlite3_bind_parameter_index(*st, ":w")))
		sqlite3_bind_int64(*st, i, r->window);
	if ((i = sqlite3_bind_parameter_index(*st, ":k")))
		sqlite3_bind_int64(*st, i, r->k);
	return KBS_OK;
}

static kbs_status run(report *r, const char *sql, period p)
{
	sqlite3_stmt *st = NULL;
	kbs_status rc = prep(r, &st, sql, p);
	if (rc == KBS_OK && sqlite3_step(st) != SQLITE_DONE)
		rc = fail(r, "running");
	sqlite3_finalize(st);
	return rc;
}

/* s_<name> and i_<name> for the period p. */
static kbs_status build_intents(report *r, const char *name, period p)
{
	kbs_status rc = KBS_OK;
	char *s = kbs_sprintf(
		"CREATE TEMP TABLE s_%s AS "
		"WITH s0 AS ("
		"  SELECT id, at, session, search_id, LAG(at) OVER w AS prev_at"
		"  FROM searches WHERE at >= :a AND at < :b"
		"  WINDOW w AS (PARTITION BY session ORDER BY at, id)),"
		"s1 AS ("
		"  SELECT *, prev_at IS NULL OR at - prev_at > %d OR EXISTS ("
		"    SELECT 1 FROM events v WHERE v.session = s0.session AND v.type = 'view'"
		"    AND v.at > s0.prev_at AND v.at <= s0.at) AS starts FROM s0)"
		"SELECT id, at, session, search_id, SUM(starts) OVER ("
		"  PARTITION BY session ORDER BY at, id ROWS UNBOUNDED PRECEDING) AS intent FROM s1",
		name, INTENT_GAP_MS);
	char *i = kbs_sprintf(
		"CREATE TEMP TABLE i_%s AS "
		"WITH r AS ("
		"  SELECT *, ROW_NUMBER() OVER ("
		"    PARTITION BY session, intent ORDER BY at DESC, id DESC) AS rn FROM s_%s),"
		"i0 AS ("
		"  SELECT session, intent, MIN(at) AS start, MAX(at) AS end,"
		"  MAX(CASE WHEN rn = 1 THEN id END) AS last FROM r GROUP BY session, intent)"
		"SELECT i0.*, LEAD(start) OVER (PARTITION BY i0.session ORDER BY start) AS next_start,"
		"  f.query, f.qkey, f.roles, f.results, f.confident, f.reason,"
		"  (f.results = 0 OR f.confident = 0) AS unanswered,"
		"  NOT EXISTS (SELECT 1 FROM json_each(f.roles) j"
		"    WHERE j.value NOT IN (SELECT role FROM reader_roles)) AS readable "
		"FROM i0 JOIN searches f ON f.id = i0.last",
		name, name);
	if (!s || !i) {
		rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = run(r, s, p)) != KBS_OK)
		goto cleanup;
	rc = run(r, i, p);
cleanup:
	free(s);
	free(i);
	return rc;
}

static kbs_status setup(report *r)
{
	kbs_status rc;
	sqlite3_stmt *st = NULL, *ins = NULL;
	period none = { 0, 0 };
	if (sqlite3_exec(r->db,
			 "BEGIN;"
			 "CREATE TEMP TABLE reader_roles (role TEXT PRIMARY KEY);"
			 "INSERT INTO reader_roles VALUES ('public');"
			 "CREATE TEMP TABLE visible (id TEXT PRIMARY KEY, title TEXT);",
			 NULL, NULL, NULL) != SQLITE_OK)
		return fail(r, "setting up");
	if ((rc = prep(r, &ins, "INSERT OR IGNORE INTO reader_roles VALUES (?)", none)) != KBS_OK)
		goto cleanup;
	/* Each role as given (rows logged before roles were folded) and
	 * folded, as the log stores it. */
	for (size_t i = 0; i < 2 * r->nroles; i++) {
		const char *role = r->roles[i / 2];
		if (!role)
			continue;
		char *folded = i % 2 ? kbs_text__fold(role, strlen(role)) : NULL;
		if (i % 2 && !folded) {
			rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		sqlite3_bind_text(ins, 1, folded ? folded : role, -1, SQLITE_TRANSIENT);
		free(folded);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			rc = fail(r, "roles");
			goto cleanup;
		}
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	ins = NULL;
	if ((rc = build_intents(r, "cur", r->cur)) != KBS_OK ||
	    (rc = build_intents(r, "prev", r->prev)) != KBS_OK)
		goto cleanup;

	/* Which articles of the period the reader may see, from the index. */
	if ((rc = prep(r, &st,
		       "SELECT article FROM events WHERE article IS NOT NULL AND at >= :a AND at < :b "
		       "UNION SELECT sh.article FROM s_cur s JOIN shown sh ON sh.search = s.id",
		       r->cur)) != KBS_OK ||
	    (rc = prep(r, &ins, "INSERT INTO visible VALUES (?, ?)", none)) != KBS_OK)
		goto cleanup;
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		bool vis;
		char *title = NULL;
		if ((rc = kbs_events__article(r->kb, id, r->roles, r->nroles, &vis, &title, r->err)) != KBS_OK)
			goto cleanup;
		if (vis) {
			sqlite3_bind_text(ins, 1, id, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 2, title, -1, SQLITE_TRANSIENT);
			step = sqlite3_step(ins);
			sqlite3_reset(ins);
		}
		free(title);
		if (vis && step != SQLITE_DONE) {
			rc = fail(r, "visible articles");
			goto cleanup;
		}
	}
	if (step != SQLITE_DONE)
		rc = fail(r, "visible articles");
cleanup:
	sqlite3_finalize(st);
	sqlite3_finalize(ins);
	return rc;
}

/* ---- JSON values ---- */

static json_t *rate(double num, double den)
{
	if (den <= 0)
		return json_null();
	return json_real(round(num / den * 10000.0) / 10000.0);
}

static json_t *time_json(int64_t ms)
{
	char s[32];
	kbs_events__format_time(ms, s);
	return json_string(s);
}

static json_t *col_text(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);
	return s ? json_string(s) : json_null();
}

/* ---- gaps ---- */

/* Sessions per key of the readable unanswered intents of a period. */
#define GAPS_SQL \
	"SELECT qkey, COUNT(DISTINCT session) AS n, COUNT(*), SUM(results = 0)," \
	" SUM(results > 0 AND confident = 0), MIN(end), MAX(end)" \
	" FROM i_%s WHERE unanswered AND readable AND qkey <> ''" \
	" GROUP BY qkey %s ORDER BY n DESC, 3 DESC, qkey"

static kbs_status gaps(report *r, json_t **out)
{
	kbs_status rc;
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	json_t *list = json_array(), *index = json_object(), *prev = json_object();
	int step;

	/* The previous period: sessions per key, for the trend. */
	if (!(sql = kbs_sprintf(GAPS_SQL, "prev", ""))) {
		rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = prep(r, &st, sql, r->prev)) != KBS_OK)
		goto cleanup;
	while ((step = sqlite3_step(st)) == SQLITE_ROW)
		json_object_set_new(prev, (const char *)sqlite3_column_text(st, 0),
				    json_integer(sqlite3_column_int64(st, 1)));
	if (step != SQLITE_DONE) {
		rc = fail(r, "gaps");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;
	free(sql);

	if (!(sql = kbs_sprintf(GAPS_SQL, "cur", "HAVING n >= :k"))) {
		rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = prep(r, &st, sql, r->cur)) != KBS_OK)
		goto cleanup;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->limit && json_array_size(list) >= r->limit)
			break;
		const char *key = (const char *)sqlite3_column_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);
		json_t *g = json_object();
		json_object_set_new(g, "key", json_string(key));
		json_object_set_new(g, "sessions", json_integer(n));
		json_object_set_new(g, "searches", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(g, "zero_results", json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(g, "unconfident", json_integer(sqlite3_column_int64(st, 4)));
		json_object_set_new(g, "reasons", json_object());
		json_object_set_new(g, "examples", json_array());
		json_object_set_new(g, "first_seen", time_json(sqlite3_column_int64(st, 5)));
		json_object_set_new(g, "last_seen", time_json(sqlite3_column_int64(st, 6)));
		int64_t before = json_integer_value(json_object_get(prev, key));
		json_t *t = json_object();
		json_object_set_new(t, "previous_sessions", json_integer(before));
		json_object_set_new(t, "direction", json_string(before == 0	? "new"
								 : n > before ? "up"
								 : n < before ? "down"
									      : "flat"));
		json_object_set_new(g, "trend", t);
		json_array_append_new(list, g);
		json_object_set(index, key, g);
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW) {
		rc = fail(r, "gaps");
		goto cleanup;
	}
	sqlite3_finalize(st);
	st = NULL;

	if ((rc = prep(r, &st,
		       "SELECT qkey, reason, COUNT(*) FROM i_cur"
		       " WHERE unanswered AND readable GROUP BY qkey, reason ORDER BY qkey, 3 DESC, reason",
		       r->cur)) != KBS_OK)
		goto cleanup;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *g = json_object_get(index, (const char *)sqlite3_column_text(st, 0));
		const char *reason = (const char *)sqlite3_column_text(st, 1);
		if (g && reason)
			json_object_set_new(json_object_get(g, "reasons"), reason,
					    json_integer(sqlite3_column_int64(st, 2)));
	}
	sqlite3_finalize(st);
	st = NULL;

	/* k-anonymity: a text is shown only when k sessions typed it. */
	if ((rc = prep(r, &st,
		       "SELECT qkey, query, COUNT(DISTINCT session) AS n FROM i_cur"
		       " WHERE unanswered AND readable GROUP BY qkey, query HAVING n >= :k"
		       " ORDER BY qkey, n DESC, query",
		       r->cur)) != KBS_OK)
		goto cleanup;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *g = json_object_get(index, (const char *)sqlite3_column_text(st, 0));
		json_t *ex = g ? json_object_get(g, "examples") : NULL;
		if (ex && json_array_size(ex) < EXAMPLES)
			json_array_append_new(ex, json_string((const char *)sqlite3_column_text(st, 1)));
	}
	if (step != SQLITE_DONE)
		rc = fail(r, "gap examples");
cleanup:
	sqlite3_finalize(st);
	free(sql);
	json_decref(index);
	json_decref(prev);
	if (rc == KBS_OK) {
		*out = list;
	} else {
		json_decref(list);
	}
	return rc;
}

/* ---- articles ---- */

/* Wilson score interval, 95 %, for k successes out of n. */
static void wilson(double k, double n, double *lo, double *hi)
{
	const double z = 1.959963984540054;
	double p = k / n, z2 = z * z;
	double centre = (p + z2 / (2 * n)) / (1 + z2 / n);
	double half = z * sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n);
	*lo = centre - half < 0 ? 0 : centre - half;
	*hi = centre + half > 1 ? 1 : centre + half;
}

static const char *const ARTICLES_SQL =
	"WITH fv AS ("
	"  SELECT article, session, MIN(at) AS t0 FROM events"
	"  WHERE type = 'view' AND at >= :a AND at < :b GROUP BY article, session),"
	"o AS ("
	"  SELECT fv.article, fv.t0 + :w > :b AS pending,"
	"  EXISTS (SELECT 1 FROM events t WHERE t.session = fv.session AND t.type = 'ticket'"
	"    AND t.at > fv.t0 AND t.at <= fv.t0 + :w) AS ticketed,"
	"  EXISTS (SELECT 1 FROM events g WHERE g.session = fv.session AND g.article = fv.article"
	"    AND g.at >= fv.t0 AND g.at <= fv.t0 + :w"
	"    AND (g.type = 'resolved' OR (g.type = 'vote' AND g.helpful = 1))) AS signal"
	"  FROM fv),"
	"agg AS ("
	"  SELECT article, COUNT(*) AS viewers, SUM(pending) AS pending,"
	"  SUM(NOT pending AND ticketed) AS ticketed,"
	"  SUM(NOT pending AND NOT ticketed AND signal) AS confirmed,"
	"  SUM(NOT pending AND NOT ticketed AND NOT signal) AS potential"
	"  FROM o GROUP BY article),"
	"ev AS ("
	"  SELECT article, SUM(type = 'view') AS views, SUM(type = 'vote' AND helpful = 1) AS up,"
	"  SUM(type = 'vote' AND helpful = 0) AS down, SUM(type = 'resolved') AS resolved"
	"  FROM events WHERE article IS NOT NULL AND at >= :a AND at < :b GROUP BY article),"
	"imp AS ("
	"  SELECT sh.article, COUNT(DISTINCT s.session || ' ' || s.intent) AS n"
	"  FROM s_cur s JOIN shown sh ON sh.search = s.id GROUP BY sh.article),"
	"clk AS ("
	"  SELECT sh.article, COUNT(DISTINCT s.session || ' ' || s.intent) AS n"
	"  FROM s_cur s JOIN shown sh ON sh.search = s.id"
	"  JOIN events v ON v.type = 'view' AND v.search_id = s.search_id"
	"    AND v.session = s.session AND v.article = sh.article AND v.at >= :a AND v.at < :b"
	"  GROUP BY sh.article) "
	"SELECT vis.id, vis.title, COALESCE(ev.views, 0), COALESCE(agg.viewers, 0),"
	" COALESCE(agg.ticketed, 0), COALESCE(agg.pending, 0), COALESCE(agg.confirmed, 0),"
	" COALESCE(agg.potential, 0), COALESCE(ev.up, 0), COALESCE(ev.down, 0),"
	" COALESCE(ev.resolved, 0), COALESCE(imp.n, 0), COALESCE(clk.n, 0)"
	" FROM visible vis LEFT JOIN agg ON agg.article = vis.id LEFT JOIN ev ON ev.article = vis.id"
	" LEFT JOIN imp ON imp.article = vis.id LEFT JOIN clk ON clk.article = vis.id"
	" ORDER BY 4 DESC, 3 DESC, 1";

static kbs_status articles(report *r, json_t **out)
{
	kbs_status rc;
	sqlite3_stmt *st = NULL;
	json_t *list = json_array();
	int step;
	if ((rc = prep(r, &st, ARTICLES_SQL, r->cur)) != KBS_OK)
		goto cleanup;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->limit && json_array_size(list) >= r->limit)
			break;
		json_t *a = json_object();
		int64_t viewers = sqlite3_column_int64(st, 3), ticketed = sqlite3_column_int64(st, 4);
		int64_t pending = sqlite3_column_int64(st, 5);
		int64_t imp = sqlite3_column_int64(st, 11), clk = sqlite3_column_int64(st, 12);
		int64_t n = viewers - pending;
		json_object_set_new(a, "id", col_text(st, 0));
		json_object_set_new(a, "title", col_text(st, 1));
		json_object_set_new(a, "views", json_integer(sqlite3_column_int64(st, 2)));
		json_object_set_new(a, "viewer_sessions", json_integer(viewers));
		json_object_set_new(a, "ticketed_sessions", json_integer(ticketed));
		json_object_set_new(a, "pending_sessions", json_integer(pending));
		json_object_set_new(a, "confirmed", json_integer(sqlite3_column_int64(st, 6)));
		json_object_set_new(a, "potential", json_integer(sqlite3_column_int64(st, 7)));
		if (n >= MIN_RATE_SESSIONS) {
			double lo, hi;
			wilson((double)(n - ticketed), (double)n, &lo, &hi);
			json_object_set_new(a, "deflection", rate((double)(n - ticketed), (double)n));
			json_object_set_new(a, "deflection_low", rate(lo, 1));
			json_object_set_new(a, "deflection_high", rate(hi, 1));
			json_object_set_new(a, "insufficient_data", json_false());
		} else {
			json_object_set_new(a, "deflection", json_null());
			json_object_set_new(a, "deflection_low", json_null());
			json_object_set_new(a, "deflection_high", json_null());
			json_object_set_new(a, "insufficient_data", json_true());
		}
		json_object_set_new(a, "votes_up", json_integer(sqlite3_column_int64(st, 8)));
		json_object_set_new(a, "votes_down", json_integer(sqlite3_column_int64(st, 9)));
		json_object_set_new(a, "resolved", json_integer(sqlite3_column_int64(st, 10)));
		json_object_set_new(a, "ctr_impression",
				    imp >= MIN_RATE_SESSIONS ? rate((double)clk, (double)imp) : json_null());
		json_array_append_new(list, a);
	}
	if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = fail(r, "articles");
cleanup:
	sqlite3_finalize(st);
	if (rc == KBS_OK)
		*out = list;
	else
		json_decref(list);
	return rc;
}

/* ---- summary ---- */

#define SUMMARY_SQL \
	"SELECT" \
	" (SELECT COUNT(*) FROM s_%1$s)," \
	" (SELECT COUNT(*) FROM i_%1$s)," \
	" (SELECT COUNT(*) FROM (SELECT session FROM s_%1$s UNION" \
	"   SELECT session FROM events WHERE at >= :a AND at < :b))," \
	" (SELECT COUNT(*) FROM i_%1$s WHERE unanswered)," \
	" (SELECT COUNT(*) FROM i_%1$s i WHERE results > 0 AND NOT EXISTS (" \
	"   SELECT 1 FROM events v WHERE v.session = i.session AND v.type = 'view'" \
	"   AND v.at >= i.end AND v.at <= i.end + %2$lld))," \
	" (SELECT COUNT(*) FROM i_%1$s i WHERE EXISTS (" \
	"   SELECT 1 FROM events v WHERE v.session = i.session AND v.type = 'view'" \
	"   AND v.at >= i.start AND v.at <= i.end + %2$lld" \
	"   AND (i.next_start IS NULL OR v.at < i.next_start)))," \
	" (SELECT COUNT(*) FROM events WHERE type = 'view' AND at >= :a AND at < :b)," \
	" (SELECT COUNT(*) FROM events WHERE type = 'ticket' AND at >= :a AND at < :b)," \
	" (SELECT COUNT(DISTINCT session) FROM events WHERE type = 'view' AND at >= :a AND at < :b)," \
	" (SELECT COUNT(DISTINCT session) FROM events WHERE type = 'ticket' AND at >= :a AND at < :b)"

static kbs_status summary(report *r, const char *name, period p, json_t **out)
{
	kbs_status rc;
	sqlite3_stmt *st = NULL;
	char *sql = kbs_sprintf(SUMMARY_SQL, name, (long long)ABANDON_MS);
	if (!sql)
		return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
	if ((rc = prep(r, &st, sql, p)) != KBS_OK)
		goto cleanup;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = fail(r, "summary");
		goto cleanup;
	}
	int64_t v[10];
	for (int i = 0; i < 10; i++)
		v[i] = sqlite3_column_int64(st, i);
	json_t *o = json_object();
	json_object_set_new(o, "searches", json_integer(v[0]));
	json_object_set_new(o, "intents", json_integer(v[1]));
	json_object_set_new(o, "sessions", json_integer(v[2]));
	json_object_set_new(o, "unanswered", json_integer(v[3]));
	json_object_set_new(o, "no_result_rate", rate((double)v[3], (double)v[1]));
	json_object_set_new(o, "abandoned", json_integer(v[4]));
	json_object_set_new(o, "ctr_intent", rate((double)v[5], (double)v[1]));
	json_object_set_new(o, "views", json_integer(v[6]));
	json_object_set_new(o, "tickets", json_integer(v[7]));
	json_object_set_new(o, "self_service_ratio", rate((double)v[8], (double)v[9]));
	*out = o;
cleanup:
	sqlite3_finalize(st);
	free(sql);
	return rc;
}

/* ---- trends: per day, for the HTML report ---- */

/* Buckets of a trend chart at most: a longer period gets wider ones
 * (whole days). */
#define TREND_BUCKETS 92
enum { TR_SEARCHES, TR_UNANSWERED, TR_TICKETS, TR_N };

typedef struct trend {
	int64_t width;      /* bucket length, ms (a whole number of days) */
	size_t n;           /* buckets per period */
	int64_t *v[2][TR_N]; /* [0] this period, [1] the previous one */
} trend;

static void trend_free(trend *t)
{
	for (int p = 0; p < 2; p++)
		for (int k = 0; k < TR_N; k++)
			free(t->v[p][k]);
}

/* Searches (raw), unanswered intents (by their last search) and tickets
 * per bucket of the period p, from s_<name>, i_<name> and events. */
#define TREND_SQL \
	"SELECT 0, (at - :a) / %2$lld, COUNT(*) FROM s_%1$s GROUP BY 2" \
	" UNION ALL SELECT 1, (end - :a) / %2$lld, COUNT(*) FROM i_%1$s WHERE unanswered GROUP BY 2" \
	" UNION ALL SELECT 2, (at - :a) / %2$lld, COUNT(*) FROM events" \
	"  WHERE type = 'ticket' AND at >= :a AND at < :b GROUP BY 2"

static kbs_status trends(report *r, trend *t)
{
	kbs_status rc = KBS_OK;
	sqlite3_stmt *st = NULL;
	char *sql = NULL;
	int64_t span = r->cur.b - r->cur.a;
	int64_t days = (span + DAY_MS - 1) / DAY_MS;
	int64_t per = (days + TREND_BUCKETS - 1) / TREND_BUCKETS;
	t->width = (per ? per : 1) * DAY_MS;
	t->n = (size_t)((span + t->width - 1) / t->width);
	for (int p = 0; p < 2; p++) {
		for (int k = 0; k < TR_N; k++)
			if (!(t->v[p][k] = calloc(t->n, sizeof **t->v[p]))) {
				rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
				goto cleanup;
			}
		if (!(sql = kbs_sprintf(TREND_SQL, p ? "prev" : "cur", (long long)t->width))) {
			rc = kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		if ((rc = prep(r, &st, sql, p ? r->prev : r->cur)) != KBS_OK)
			goto cleanup;
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW) {
			int k = sqlite3_column_int(st, 0);
			int64_t i = sqlite3_column_int64(st, 1);
			if (k >= 0 && k < TR_N && i >= 0 && (size_t)i < t->n)
				t->v[p][k][i] = sqlite3_column_int64(st, 2);
		}
		if (step != SQLITE_DONE) {
			rc = fail(r, "trends");
			goto cleanup;
		}
		sqlite3_finalize(st);
		st = NULL;
		free(sql);
		sql = NULL;
	}
cleanup:
	sqlite3_finalize(st);
	free(sql);
	return rc;
}

/* ---- rendering ---- */

/* Pads to `width` characters (not bytes: "Déménagement" lines up). */
static void pad(kbs_buf *b, const char *s, int width, bool right)
{
	int chars = 0;
	for (const char *c = s; *c; c++)
		chars += ((unsigned char)*c & 0xC0) != 0x80;
	if (right)
		for (int i = chars; i < width; i++)
			kbs_buf_addc(b, ' ');
	kbs_buf_adds(b, s);
	if (!right)
		for (int i = chars; i < width; i++)
			kbs_buf_addc(b, ' ');
}

static void fmt_value(char *out, size_t n, json_t *v, bool percent)
{
	if (json_is_null(v) || !v)
		snprintf(out, n, "-");
	else if (json_is_real(v) && percent)
		snprintf(out, n, "%.0f%%", json_real_value(v) * 100);
	else if (json_is_real(v))
		snprintf(out, n, "%.2f", json_real_value(v));
	else if (json_is_integer(v))
		snprintf(out, n, "%lld", (long long)json_integer_value(v));
	else if (json_is_boolean(v))
		snprintf(out, n, "%s", json_is_true(v) ? "true" : "false");
	else if (json_is_string(v))
		snprintf(out, n, "%s", json_string_value(v));
	else
		snprintf(out, n, "?");
}

static void reasons_text(kbs_buf *b, json_t *reasons, const char *sep)
{
	const char *k;
	json_t *v;
	size_t i = 0;
	json_object_foreach(reasons, k, v)
	{
		kbs_buf_addf(b, "%s%s=%lld", i++ ? sep : "", k, (long long)json_integer_value(v));
	}
}

static void examples_text(kbs_buf *b, json_t *ex, const char *sep)
{
	size_t i;
	json_t *v;
	json_array_foreach(ex, i, v) kbs_buf_addf(b, "%s%s", i ? sep : "", json_string_value(v));
}

static void deflection_text(char *out, size_t n, json_t *a)
{
	if (json_is_true(json_object_get(a, "insufficient_data")))
		snprintf(out, n, "insufficient data");
	else
		snprintf(out, n, "%.0f%% [%.0f–%.0f%%]",
			 json_real_value(json_object_get(a, "deflection")) * 100,
			 json_real_value(json_object_get(a, "deflection_low")) * 100,
			 json_real_value(json_object_get(a, "deflection_high")) * 100);
}

static const char *const summary_fields[] = { "searches",  "intents",	 "sessions", "unanswered",
					      "no_result_rate", "abandoned", "ctr_intent", "views",
					      "tickets",   "self_service_ratio" };
#define NSUMMARY (sizeof summary_fields / sizeof *summary_fields)

static bool is_rate(const char *f)
{
	return strstr(f, "rate") || strstr(f, "ctr") || strstr(f, "ratio");
}

static void table(kbs_buf *b, kbs_report_kind kind, json_t *data, json_t *prev)
{
	char v[64], w[64];
	if (kind == KBS_REPORT_SUMMARY) {
		for (size_t i = 0; i < NSUMMARY; i++) {
			const char *f = summary_fields[i];
			bool ratio = !strcmp(f, "self_service_ratio");
			fmt_value(v, sizeof v, json_object_get(data, f), is_rate(f) && !ratio);
			fmt_value(w, sizeof w, json_object_get(prev, f), is_rate(f) && !ratio);
			pad(b, f, 20, false);
			pad(b, v, 8, true);
			kbs_buf_addf(b, "   (previous period: %s)\n", w);
		}
		return;
	}
	size_t i;
	json_t *x;
	if (kind == KBS_REPORT_GAPS) {
		kbs_buf_adds(b, "sessions searches zero unconfident trend  key                       reasons / examples\n");
		json_array_foreach(data, i, x)
		{
			json_t *t = json_object_get(x, "trend");
			fmt_value(v, sizeof v, json_object_get(x, "sessions"), false);
			pad(b, v, 8, true);
			fmt_value(v, sizeof v, json_object_get(x, "searches"), false);
			pad(b, v, 9, true);
			fmt_value(v, sizeof v, json_object_get(x, "zero_results"), false);
			pad(b, v, 5, true);
			fmt_value(v, sizeof v, json_object_get(x, "unconfident"), false);
			pad(b, v, 12, true);
			kbs_buf_addc(b, ' ');
			pad(b, json_string_value(json_object_get(t, "direction")), 6, false);
			pad(b, json_string_value(json_object_get(x, "key")), 25, false);
			kbs_buf_addc(b, ' ');
			reasons_text(b, json_object_get(x, "reasons"), " ");
			if (json_array_size(json_object_get(x, "examples"))) {
				kbs_buf_adds(b, " / \"");
				examples_text(b, json_object_get(x, "examples"), "\", \"");
				kbs_buf_addc(b, '"');
			}
			kbs_buf_addc(b, '\n');
		}
		if (json_array_size(data) == 0)
			kbs_buf_adds(b, "(no content gap in this period)\n");
		return;
	}
	kbs_buf_adds(b, "views viewers ticketed pending deflection [95% CI]  up down resolved ctr   article\n");
	json_array_foreach(data, i, x)
	{
		fmt_value(v, sizeof v, json_object_get(x, "views"), false);
		pad(b, v, 5, true);
		fmt_value(v, sizeof v, json_object_get(x, "viewer_sessions"), false);
		pad(b, v, 8, true);
		fmt_value(v, sizeof v, json_object_get(x, "ticketed_sessions"), false);
		pad(b, v, 9, true);
		fmt_value(v, sizeof v, json_object_get(x, "pending_sessions"), false);
		pad(b, v, 8, true);
		kbs_buf_addc(b, ' ');
		deflection_text(v, sizeof v, x);
		pad(b, v, 21, false);
		fmt_value(v, sizeof v, json_object_get(x, "votes_up"), false);
		pad(b, v, 3, true);
		fmt_value(v, sizeof v, json_object_get(x, "votes_down"), false);
		pad(b, v, 5, true);
		fmt_value(v, sizeof v, json_object_get(x, "resolved"), false);
		pad(b, v, 9, true);
		kbs_buf_addc(b, ' ');
		fmt_value(v, sizeof v, json_object_get(x, "ctr_impression"), true);
		pad(b, v, 5, false);
		kbs_buf_addf(b, " %s  %s\n", json_string_value(json_object_get(x, "id")),
			     json_string_value(json_object_get(x, "title")));
	}
	if (json_array_size(data) == 0)
		kbs_buf_adds(b, "(no article viewed or shown in this period)\n");
}

static void csv_field(kbs_buf *b, const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		kbs_buf_addc(b, '"');
		for (const char *c = s; *c; c++) {
			if (*c == '"')
				kbs_buf_addc(b, '"');
			kbs_buf_addc(b, *c);
		}
		kbs_buf_addc(b, '"');
	} else {
		kbs_buf_adds(b, s);
	}
	kbs_buf_adds(b, last ? "\r\n" : ",");
}

static const char *const gap_cols[] = { "key", "sessions", "searches", "zero_results", "unconfident",
					"reasons", "examples", "first_seen", "last_seen", "trend" };
static const char *const article_cols[] = { "id", "title", "views", "viewer_sessions",
					    "ticketed_sessions", "pending_sessions", "confirmed",
					    "potential", "deflection", "deflection_low",
					    "deflection_high", "insufficient_data", "votes_up",
					    "votes_down", "resolved", "ctr_impression" };

static void csv_row(kbs_buf *b, json_t *o, const char *const *cols, size_t n)
{
	char v[64];
	for (size_t c = 0; c < n; c++) {
		json_t *x = json_object_get(o, cols[c]);
		kbs_buf t = { 0 };
		kbs_buf_add(&t, "", 0);
		if (!strcmp(cols[c], "reasons")) {
			reasons_text(&t, x, ";");
		} else if (!strcmp(cols[c], "examples")) {
			examples_text(&t, x, " | ");
		} else if (!strcmp(cols[c], "trend")) {
			kbs_buf_addf(&t, "%s (%lld before)", json_string_value(json_object_get(x, "direction")),
				     (long long)json_integer_value(json_object_get(x, "previous_sessions")));
		} else if (json_is_real(x)) {
			kbs_buf_addf(&t, "%.4f", json_real_value(x));
		} else if (json_is_null(x)) {
			/* empty: no value */
		} else {
			fmt_value(v, sizeof v, x, false);
			kbs_buf_adds(&t, v);
		}
		csv_field(b, t.data ? t.data : "", c + 1 == n);
		kbs_buf_free(&t);
	}
}

static void csv(kbs_buf *b, kbs_report_kind kind, json_t *data)
{
	const char *const *cols = kind == KBS_REPORT_GAPS ? gap_cols
				  : kind == KBS_REPORT_ARTICLES ? article_cols
								: summary_fields;
	size_t n = kind == KBS_REPORT_GAPS ? sizeof gap_cols / sizeof *gap_cols
		   : kind == KBS_REPORT_ARTICLES ? sizeof article_cols / sizeof *article_cols
						 : NSUMMARY;
	for (size_t c = 0; c < n; c++)
		csv_field(b, cols[c], c + 1 == n);
	if (kind == KBS_REPORT_SUMMARY) {
		csv_row(b, data, cols, n);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(data, i, x) csv_row(b, x, cols, n);
}

static void html_esc(kbs_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': kbs_buf_adds(b, "&lt;"); break;
		case '>': kbs_buf_adds(b, "&gt;"); break;
		case '&': kbs_buf_adds(b, "&amp;"); break;
		case '"': kbs_buf_adds(b, "&quot;"); break;
		case '\'': kbs_buf_adds(b, "&#39;"); break;
		default: kbs_buf_addc(b, *s);
		}
	}
}

static const char *const HTML_HEAD =
	"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	"<title>Help center report</title>\n<style>\n"
	"body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;"
	"max-width:1100px;padding:0 1em;color:#1d2330}\n"
	"h1{font-size:1.6em;margin-bottom:.2em}h2{margin-top:2em;border-bottom:2px solid #e3e7ef;"
	"padding-bottom:.3em}\n.muted{color:#6b7385}.cards{display:flex;flex-wrap:wrap;gap:12px}\n"
	".card{border:1px solid #e3e7ef;border-radius:8px;padding:10px 14px;min-width:150px}\n"
	".card b{display:block;font-size:1.5em}.up{color:#b3261e}.down{color:#1e7b34}"
	".good.up{color:#1e7b34}.good.down{color:#b3261e}\n"
	"table{border-collapse:collapse;width:100%;margin-top:.8em}th,td{text-align:left;"
	"padding:5px 8px;border-bottom:1px solid #eef0f5;vertical-align:top}\n"
	"th{font-size:.85em;color:#6b7385;font-weight:600}td.n{text-align:right;"
	"font-variant-numeric:tabular-nums}\n.tag{display:inline-block;background:#eef2fb;"
	"border-radius:4px;padding:0 6px;margin:1px;font-size:.85em}\n"
	"</style></head><body>\n";

/* A trend arrow: this against the previous period. `good_up`: a rise is
 * good news (views), else bad (unanswered). */
static void html_card(kbs_buf *b, const char *label, json_t *now, json_t *before, bool percent,
		      bool good_up)
{
	char v[64], w[64];
	fmt_value(v, sizeof v, now, percent);
	fmt_value(w, sizeof w, before, percent);
	double x = json_number_value(now), y = json_number_value(before);
	const char *arrow = json_is_null(now) || json_is_null(before) || x == y ? "→"
			    : x > y					       ? "▲"
										       : "▼";
	const char *cls = x > y ? "up" : x < y ? "down" : "";
	kbs_buf_addf(b, "<div class=\"card\"><span class=\"muted\">%s</span><b>%s</b>"
			"<span class=\"%s%s\">%s</span> <span class=\"muted\">previous: %s</span></div>\n",
		     label, v, good_up ? "good " : "", cls, arrow, w);
}

/* One small line chart: series k of this period (a line with a point
 * per bucket, each with a <title> for hover) over the previous period's
 * (a faint dashed line), so a rise shows as the line leaving the shadow. */
static void html_trend(kbs_buf *b, const report *r, const trend *t, int k, const char *label,
		       const char *noun, const char *color)
{
	const int W = 340, H = 150, L = 44, R = 12, T = 30, B = 22;
	const int pw = W - L - R, ph = H - T - B;
	int64_t max = 1, tot[2] = { 0, 0 };
	for (int p = 0; p < 2; p++)
		for (size_t i = 0; i < t->n; i++) {
			if (t->v[p][k][i] > max)
				max = t->v[p][k][i];
			tot[p] += t->v[p][k][i];
		}
	const char *unit = t->width == DAY_MS ? "day" : "bucket";
	kbs_buf_addf(b, "<svg class=\"trend\" role=\"img\" aria-label=\"%s per %s\" width=\"%d\" "
			"height=\"%d\" viewBox=\"0 0 %d %d\" xmlns=\"http://www.w3.org/2000/svg\" "
			"font-family=\"system-ui,sans-serif\" font-size=\"11\" fill=\"#6b7385\">\n"
			"<text x=\"0\" y=\"13\" font-size=\"13\" font-weight=\"600\" fill=\"#1d2330\">%s "
			"per %s</text><text x=\"%d\" y=\"13\" text-anchor=\"end\">%lld (previous %lld)"
			"</text>\n",
		     label, unit, W, H, W, H, label, unit, W - R, (long long)tot[0], (long long)tot[1]);
	/* Axes: 0 and the maximum, the first and last day. */
	kbs_buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#e3e7ef\"/>"
			"<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#eef0f5\" "
			"stroke-dasharray=\"2 3\"/><text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>"
			"<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%lld</text>\n",
		     L, T + ph, L + pw, T + ph, L, T, L + pw, T, L - 6, T + ph + 4, L - 6, T + 4,
		     (long long)max);
	char d0[32], d1[32];
	kbs_events__format_time(r->cur.a, d0);
	kbs_events__format_time(r->cur.a + (int64_t)(t->n - 1) * t->width, d1);
	kbs_buf_addf(b, "<text x=\"%d\" y=\"%d\">%.10s</text><text x=\"%d\" y=\"%d\" "
			"text-anchor=\"end\">%.10s</text>\n",
		     L, H - 4, d0, L + pw, H - 4, d1);
	for (int p = 1; p >= 0; p--) {
		kbs_buf_addf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" %s"
				"stroke-linejoin=\"round\" points=\"",
			     p ? "#9aa3b5" : color, p ? "1.5" : "2",
			     p ? "stroke-dasharray=\"4 3\" opacity=\".6\" " : "");
		for (size_t i = 0; i < t->n; i++) {
			double x = L + (t->n > 1 ? (double)pw * (double)i / (double)(t->n - 1) : pw / 2.0);
			double y = T + ph - (double)ph * (double)t->v[p][k][i] / (double)max;
			kbs_buf_addf(b, "%s%.1f,%.1f", i ? " " : "", x, y);
		}
		kbs_buf_adds(b, "\"/>\n");
	}
	for (size_t i = 0; i < t->n; i++) {
		double x = L + (t->n > 1 ? (double)pw * (double)i / (double)(t->n - 1) : pw / 2.0);
		double y = T + ph - (double)ph * (double)t->v[0][k][i] / (double)max;
		char d[32];
		kbs_events__format_time(r->cur.a + (int64_t)i * t->width, d);
		kbs_buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"%s\"><title>%s%.10s: "
				"%lld %s (previous period: %lld)</title></circle>\n",
			     x, y, t->n > 45 ? "1.8" : "2.6", color, t->width == DAY_MS ? "" : "from ", d,
			     (long long)t->v[0][k][i], noun, (long long)t->v[1][k][i]);
	}
	kbs_buf_adds(b, "</svg>\n");
}

static void html(kbs_buf *b, const report *r, json_t *sum, json_t *prev, json_t *gl, json_t *al,
		 const trend *tr)
{
	char from[32], to[32], pfrom[32];
	kbs_events__format_time(r->cur.a, from);
	kbs_events__format_time(r->cur.b, to);
	kbs_events__format_time(r->prev.a, pfrom);
	kbs_buf_adds(b, HTML_HEAD);
	kbs_buf_addf(b, "<h1>Help center report</h1>\n<p class=\"muted\">%s to %s, compared with "
			"%s to %s. Deflection window %lld h. Query texts shown when at least %u "
			"sessions typed them.</p>\n",
		     from, to, pfrom, from, (long long)(r->window / 3600000), r->k);

	kbs_buf_adds(b, "<h2>Summary</h2>\n<div class=\"cards\">\n");
	static const struct {
		const char *field, *label;
		bool percent, good_up;
	} cards[] = {
		{ "sessions", "Sessions", false, true },
		{ "intents", "Search intents", false, true },
		{ "unanswered", "Unanswered intents", false, false },
		{ "no_result_rate", "No-result rate", true, false },
		{ "ctr_intent", "Click-through per intent", true, true },
		{ "abandoned", "Abandoned searches", false, false },
		{ "views", "Article views", false, true },
		{ "tickets", "Tickets", false, false },
		{ "self_service_ratio", "Self-service ratio", false, true },
	};
	for (size_t i = 0; i < sizeof cards / sizeof *cards; i++)
		html_card(b, cards[i].label, json_object_get(sum, cards[i].field),
			  json_object_get(prev, cards[i].field), cards[i].percent, cards[i].good_up);
	kbs_buf_adds(b, "</div>\n");

	kbs_buf_adds(b, "<h2>Trends</h2>\n<p class=\"muted\">Per day over the period; the dashed "
			"grey line is the previous period, day for day. Hover a point for its "
			"figures.</p>\n<div class=\"cards\">\n");
	html_trend(b, r, tr, TR_SEARCHES, "Searches", "searches", "#1f5fa8");
	html_trend(b, r, tr, TR_UNANSWERED, "Unanswered intents", "unanswered intents", "#d9534f");
	html_trend(b, r, tr, TR_TICKETS, "Tickets", "tickets", "#8a5cc2");
	kbs_buf_adds(b, "</div>\n");

	/* Top gaps: bar chart, then the table. */
	kbs_buf_adds(b, "<h2>Content gaps</h2>\n<p class=\"muted\">Unanswered search intents by "
			"query key, most sessions first. Reasons: <i>no_match</i> write an article; "
			"<i>filtered</i> the visitor's filters hid it; <i>restricted</i> it exists "
			"for another audience; <i>other_language</i> translate it; "
			"<i>low_confidence</i> results that do not answer.</p>\n");
	size_t n = json_array_size(gl) < HTML_TOP ? json_array_size(gl) : HTML_TOP;
	int64_t max = 1;
	for (size_t i = 0; i < n; i++) {
		int64_t s = json_integer_value(json_object_get(json_array_get(gl, i), "sessions"));
		if (s > max)
			max = s;
	}
	if (n == 0) {
		kbs_buf_adds(b, "<p>No content gap in this period.</p>\n");
	} else {
		int row = 26, left = 300, width = 500;
		kbs_buf_addf(b, "<svg role=\"img\" aria-label=\"Top content gaps\" width=\"%d\" height=\"%zu\" "
				"viewBox=\"0 0 %d %zu\" xmlns=\"http://www.w3.org/2000/svg\" "
				"font-family=\"system-ui,sans-serif\" font-size=\"13\">\n",
			     left + width + 60, n * (size_t)row + 10, left + width + 60, n * (size_t)row + 10);
		for (size_t i = 0; i < n; i++) {
			json_t *g = json_array_get(gl, i);
			int64_t s = json_integer_value(json_object_get(g, "sessions"));
			int w = (int)(width * s / max);
			int y = (int)i * row + 4;
			kbs_buf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", left - 8, y + 15);
			/* What visitors typed reads better than a stemmed key; the
			 * key stands in when no text passed the k threshold. */
			json_t *ex = json_array_get(json_object_get(g, "examples"), 0);
			const char *label = json_is_string(ex) ? json_string_value(ex)
							       : json_string_value(json_object_get(g, "key"));
			/* At most 40 characters fit left of the bars; the table
			 * below has the whole text. */
			size_t cut = 0, chars = 0;
			while (label[cut] && chars < 40)
				if (((unsigned char)label[++cut] & 0xC0) != 0x80)
					chars++;
			char *shown = kbs_strndup(label, cut);
			html_esc(b, shown ? shown : "");
			free(shown);
			if (label[cut])
				kbs_buf_adds(b, "…");
			kbs_buf_addf(b, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"18\" rx=\"3\" "
					"fill=\"#d9534f\"/><text x=\"%d\" y=\"%d\">%lld</text>\n",
				     left, y + 2, w > 1 ? w : 1, left + w + 6, y + 15, (long long)s);
		}
		kbs_buf_adds(b, "</svg>\n<table><tr><th>Key</th><th>Sessions</th><th>Intents</th>"
				"<th>Zero results</th><th>Unconfident</th><th>Reasons</th>"
				"<th>Examples</th><th>Last seen</th><th>Trend</th></tr>\n");
		size_t i;
		json_t *g;
		json_array_foreach(gl, i, g)
		{
			json_t *t = json_object_get(g, "trend"), *v, *x;
			const char *k;
			size_t j;
			kbs_buf_adds(b, "<tr><td>");
			html_esc(b, json_string_value(json_object_get(g, "key")));
			kbs_buf_addf(b, "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
					"<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td>",
				     (long long)json_integer_value(json_object_get(g, "sessions")),
				     (long long)json_integer_value(json_object_get(g, "searches")),
				     (long long)json_integer_value(json_object_get(g, "zero_results")),
				     (long long)json_integer_value(json_object_get(g, "unconfident")));
			json_object_foreach(json_object_get(g, "reasons"), k, v)
			{
				kbs_buf_addf(b, "<span class=\"tag\">%s %lld</span>", k,
					     (long long)json_integer_value(v));
			}
			kbs_buf_adds(b, "</td><td>");
			json_array_foreach(json_object_get(g, "examples"), j, x)
			{
				kbs_buf_adds(b, j ? "<br>“" : "“");
				html_esc(b, json_string_value(x));
				kbs_buf_adds(b, "”");
			}
			const char *dir = json_string_value(json_object_get(t, "direction"));
			kbs_buf_addf(b, "</td><td>%.10s</td><td class=\"%s\">%s (%lld before)</td></tr>\n",
				     json_string_value(json_object_get(g, "last_seen")),
				     !strcmp(dir, "down") ? "down" : !strcmp(dir, "flat") ? "" : "up", dir,
				     (long long)json_integer_value(json_object_get(t, "previous_sessions")));
		}
		kbs_buf_adds(b, "</table>\n");
	}

	kbs_buf_adds(b, "<h2>Deflection per article</h2>\n<p class=\"muted\">Share of the sessions "
			"that viewed an article and did not open a ticket within the window, with its "
			"95&nbsp;% Wilson interval (the bar). Sessions whose window is not over are "
			"pending and left out; under 5 sessions the figure is not shown.</p>\n"
			"<table><tr><th>Article</th><th>Views</th><th>Sessions</th><th>Ticketed</th>"
			"<th>Pending</th><th>Deflection</th><th style=\"width:190px\">95% interval</th>"
			"<th>Confirmed</th><th>Helpful</th><th>Not helpful</th><th>Resolved</th><th>CTR</th></tr>\n");
	size_t i;
	json_t *a;
	json_array_foreach(al, i, a)
	{
		char v[64];
		kbs_buf_adds(b, "<tr><td>");
		html_esc(b, json_string_value(json_object_get(a, "title")));
		kbs_buf_adds(b, "<br><span class=\"muted\">");
		html_esc(b, json_string_value(json_object_get(a, "id")));
		kbs_buf_addf(b, "</span></td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
				"<td class=\"n\">%lld</td><td class=\"n\">%lld</td>",
			     (long long)json_integer_value(json_object_get(a, "views")),
			     (long long)json_integer_value(json_object_get(a, "viewer_sessions")),
			     (long long)json_integer_value(json_object_get(a, "ticketed_sessions")),
			     (long long)json_integer_value(json_object_get(a, "pending_sessions")));
		if (json_is_true(json_object_get(a, "insufficient_data"))) {
			kbs_buf_adds(b, "<td class=\"muted\">insufficient data</td><td></td>");
		} else {
			double d = json_real_value(json_object_get(a, "deflection"));
			double lo = json_real_value(json_object_get(a, "deflection_low"));
			double hi = json_real_value(json_object_get(a, "deflection_high"));
			kbs_buf_addf(b, "<td class=\"n\">%.0f%%</td><td><svg width=\"180\" height=\"16\" "
					"viewBox=\"0 0 180 16\" xmlns=\"http://www.w3.org/2000/svg\">"
					"<rect x=\"0\" y=\"7\" width=\"180\" height=\"2\" fill=\"#eef0f5\"/>"
					"<rect x=\"%.1f\" y=\"4\" width=\"%.1f\" height=\"8\" rx=\"2\" "
					"fill=\"#9cc3e6\"/><circle cx=\"%.1f\" cy=\"8\" r=\"4\" fill=\"#1f5fa8\"/>"
					"<title>%.0f%% (95%%: %.0f–%.0f%%)</title></svg></td>",
				     d * 100, lo * 180, (hi - lo) * 180, d * 180, d * 100, lo * 100, hi * 100);
		}
		fmt_value(v, sizeof v, json_object_get(a, "ctr_impression"), true);
		kbs_buf_addf(b, "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td>"
				"<td class=\"n\">%lld</td><td class=\"n\">%s</td></tr>\n",
			     (long long)json_integer_value(json_object_get(a, "confirmed")),
			     (long long)json_integer_value(json_object_get(a, "votes_up")),
			     (long long)json_integer_value(json_object_get(a, "votes_down")),
			     (long long)json_integer_value(json_object_get(a, "resolved")), v);
	}
	kbs_buf_adds(b, "</table>\n<p class=\"muted\">Made by kbsearch. Click-through per impression: "
			"intents in which the article was clicked ÷ intents in which it was shown. "
			"Self-service ratio: sessions that read an article ÷ sessions that opened a "
			"ticket.</p>\n</body></html>\n");
}

/* ---- entry point ---- */

kbs_status kbs_report_opts_init(kbs_report_opts *opts, unsigned version)
{
	if (!opts || version != KBS_REPORT_OPTS_VERSION)
		return KBS_EINVALID;
	kbs_report_opts d = KBS_REPORT_OPTS_INIT;
	*opts = d;
	return KBS_OK;
}

kbs_status kbs_report(char **out, kbs_kb *kb, kbs_report_kind kind, kbs_report_format format,
		      const kbs_report_opts *opts)
{
	kbs_err *err = kbs_kb__begin(kb);
	kbs_status rc = KBS_OK;
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	report r = { 0 };
	json_t *data = NULL, *sum = NULL, *prev = NULL, *gl = NULL, *al = NULL;
	kbs_buf b = { 0 };
	trend tr = { 0 };

	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_report needs out and kb");
	if (opts) {
		if (opts->version != KBS_REPORT_OPTS_VERSION)
			return kbs_err__set(err, KBS_EINVALID, "unknown kbs_report_opts version %u",
					    opts->version);
		o = *opts;
	}
	if ((unsigned)kind > KBS_REPORT_SUMMARY || (unsigned)format > KBS_FORMAT_HTML)
		return kbs_err__set(err, KBS_EINVALID, "unknown report kind or format");
	if (o.window < 0)
		return kbs_err__set(err, KBS_EINVALID, "the deflection window cannot be negative");
	r.kb = kb;
	r.err = err;
	r.cur.b = o.until ? o.until : kbs_events__now_ms();
	r.cur.a = o.since ? o.since : r.cur.b - DEFAULT_PERIOD;
	if (r.cur.a >= r.cur.b)
		return kbs_err__set(err, KBS_EINVALID, "the period is empty: since must come before until");
	r.prev.b = r.cur.a;
	r.prev.a = r.cur.a - (r.cur.b - r.cur.a);
	r.window = o.window ? o.window : DAY_MS;
	r.k = o.min_sessions ? o.min_sessions : 3;
	r.limit = o.limit;
	r.roles = o.roles;
	r.nroles = o.nroles;

	if ((rc = kbs_events__connect(kb, &r.db, err)) != KBS_OK)
		goto cleanup;
	if ((rc = setup(&r)) != KBS_OK)
		goto cleanup;
	if (format == KBS_FORMAT_HTML || kind == KBS_REPORT_SUMMARY) {
		if ((rc = summary(&r, "cur", r.cur, &sum)) != KBS_OK ||
		    (rc = summary(&r, "prev", r.prev, &prev)) != KBS_OK)
			goto cleanup;
	}
	if ((format == KBS_FORMAT_HTML || kind == KBS_REPORT_GAPS) && (rc = gaps(&r, &gl)) != KBS_OK)
		goto cleanup;
	if ((format == KBS_FORMAT_HTML || kind == KBS_REPORT_ARTICLES) &&
	    (rc = articles(&r, &al)) != KBS_OK)
		goto cleanup;
	if (format == KBS_FORMAT_HTML && (rc = trends(&r, &tr)) != KBS_OK)
		goto cleanup;
	data = kind == KBS_REPORT_SUMMARY ? sum : kind == KBS_REPORT_GAPS ? gl : al;

	switch (format) {
	case KBS_FORMAT_JSON: {
		char *s = json_dumps(data, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
		if (s) {
			kbs_buf_adds(&b, s);
			kbs_buf_addc(&b, '\n');
			free(s);
		} else {
			b.oom = true;
		}
		break;
	}
	case KBS_FORMAT_TABLE: table(&b, kind, data, prev); break;
	case KBS_FORMAT_CSV: csv(&b, kind, data); break;
	case KBS_FORMAT_HTML: html(&b, &r, sum, prev, gl, al, &tr); break;
	}
	if (b.oom || !(*out = kbs_buf_steal(&b)))
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	trend_free(&tr);
	kbs_buf_free(&b);
	json_decref(sum);
	json_decref(prev);
	json_decref(gl);
	json_decref(al);
	if (r.db) {
		sqlite3_exec(r.db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(r.db);
	}
	return rc;
}
