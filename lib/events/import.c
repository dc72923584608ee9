/*
 * Events in from a JSONL file, and the escalation trail of one session.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"

/* ---- times ---- */

bool kbs_events__parse_time(const char *s, int64_t *out)
{
	return kbs_iso8601(s, out);
}

kbs_status kbs_time_parse(int64_t *out, const char *text)
{
	if (out)
		*out = 0;
	return out && text && kbs_iso8601(text, out) ? KBS_OK : KBS_EINVALID;
}

void kbs_events__format_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- import ---- */

static const char *str_field(json_t *o, const char *key, bool *bad)
{
	json_t *v = json_object_get(o, key);
	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v)) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

/* A list of strings from a JSON array (borrowed from it). */
static bool str_list(json_t *o, const char *key, const char **v, size_t cap, size_t *n)
{
	json_t *a = json_object_get(o, key), *x;
	size_t i;
	*n = 0;
	if (!a || json_is_null(a))
		return true;
	if (!json_is_array(a) || json_array_size(a) > cap)
		return false;
	json_array_foreach(a, i, x)
	{
		if (!json_is_string(x))
			return false;
		v[(*n)++] = json_string_value(x);
	}
	return true;
}

static const char *const types[] = { "search", "view", "vote", "ticket", "resolved" };

/* One line; a message in `why` when it is bad. */
static kbs_status import_line(kbs_kb *kb, json_t *o, char *why, size_t whylen)
{
	bool bad = false;
	int type = -1;
	int64_t at = 0;
	kbs_status rc = KBS_OK;
	if (!json_is_object(o)) {
		snprintf(why, whylen, "not a JSON object");
		return KBS_EINVALID;
	}
	const char *t = str_field(o, "type", &bad), *session = str_field(o, "session", &bad);
	const char *when = str_field(o, "at", &bad);
	if (bad || !t) {
		snprintf(why, whylen, "\"type\" must be one of search, view, vote, ticket, resolved");
		return KBS_EINVALID;
	}
	for (int i = 0; i < 5; i++)
		if (!strcmp(t, types[i]))
			type = i;
	if (type < 0) {
		snprintf(why, whylen, "unknown event type \"%s\"", t);
		return KBS_EINVALID;
	}
	if (!session || !*session) {
		snprintf(why, whylen, "\"session\" is missing");
		return KBS_EINVALID;
	}
	if (when && !kbs_events__parse_time(when, &at)) {
		snprintf(why, whylen, "\"at\": '%s' is not an ISO 8601 time", when);
		return KBS_EINVALID;
	}
	if (type == 0) {
		const char *tags[64], *roles[64];
		kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
		const char *q = str_field(o, "query", &bad);
		so.lang = str_field(o, "lang", &bad);
		so.category = str_field(o, "category", &bad);
		so.kind = str_field(o, "kind", &bad);
		if (bad || !q || !str_list(o, "tags", tags, 64, &so.ntags) ||
		    !str_list(o, "roles", roles, 64, &so.nroles)) {
			snprintf(why, whylen, "a search needs \"query\" (a string); lang, category, kind "
					      "are strings, tags and roles lists of strings");
			return KBS_EINVALID;
		}
		so.tags = tags;
		so.roles = roles;
		so.session = session;
		so.at = at;
		so.flags = KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS;
		kbs_results *r = NULL;
		rc = kbs_search(&r, kb, q, &so);
		kbs_results_free(r);
	} else {
		kbs_event ev = KBS_EVENT_INIT;
		ev.type = (kbs_event_type)type;
		ev.session = session;
		ev.at = at;
		ev.article = str_field(o, "article", &bad);
		ev.search_id = str_field(o, "search_id", &bad);
		ev.comment = str_field(o, "comment", &bad);
		json_t *h = json_object_get(o, "helpful");
		if (type == KBS_EVENT_VOTE && !json_is_boolean(h)) {
			snprintf(why, whylen, "a vote needs \"helpful\": true or false");
			return KBS_EINVALID;
		}
		ev.helpful = json_is_true(h);
		if (bad) {
			snprintf(why, whylen, "article, search_id and comment must be strings");
			return KBS_EINVALID;
		}
		rc = kbs_event_log(kb, &ev);
	}
	if (rc != KBS_OK)
		snprintf(why, whylen, "%s", kbs_errmsg(kb));
	return rc;
}

kbs_status kbs_events_import(kbs_events_import_summary *out, kbs_kb *kb, const char *path,
			     kbs_diag_cb diag, void *payload)
{
	kbs_err *err = kbs_kb__begin(kb);
	kbs_status rc = KBS_OK;
	kbs_events_import_summary sum = { 0, 0 };
	FILE *f = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;

	if (out)
		*out = sum;
	if (!kb || !path)
		return kbs_err__set(err, KBS_EINVALID, "kbs_events_import needs kb and a path");
	if ((rc = kbs_events__session_hash(kb, "", (char[33]){ 0 }, err)) != KBS_OK)
		return rc; /* events off, or no store */
	f = fopen(path, "re");
	if (!f)
		return kbs_err__set(err, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO, "cannot open %s: %s",
				    path, strerror(errno));
	kbs_events__set_blocking(true);
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strspn(line, " \t") == (size_t)len)
			continue;
		char why[KBS_ERRMSG_CAP + 64] = "";
		json_error_t je;
		json_t *o = json_loadb(line, (size_t)len, 0, &je);
		kbs_status lrc;
		if (!o) {
			snprintf(why, sizeof why, "invalid JSON: %s", je.text);
			lrc = KBS_EINVALID;
		} else {
			lrc = import_line(kb, o, why, sizeof why);
		}
		json_decref(o);
		if (lrc == KBS_ENOMEM || lrc == KBS_EIO) {
			rc = kbs_err__set(err, lrc, "%s:%u: %s", path, lineno, why);
			goto cleanup;
		}
		if (lrc != KBS_OK) {
			sum.rejected++;
			if (diag)
				diag(KBS_DIAG_ERROR, path, lineno, why, payload);
		} else {
			sum.imported++;
		}
	}
	if (ferror(f)) {
		rc = kbs_err__set(err, KBS_EIO, "cannot read %s: %s", path, strerror(errno));
		goto cleanup;
	}
	rc = kbs_events_flush(kb);
cleanup:
	kbs_events__set_blocking(false);
	free(line);
	fclose(f);
	if (out)
		*out = sum;
	return rc;
}

/* ---- the escalation trail ---- */

kbs_status kbs_events_trail_json(char **out, kbs_kb *kb, const char *session)
{
	kbs_err *err = kbs_kb__begin(kb);
	kbs_status rc;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	json_t *o = NULL, *list;
	char h[33];

	if (out)
		*out = NULL;
	if (!out || !kb || !session || !*session)
		return kbs_err__set(err, KBS_EINVALID, "kbs_events_trail_json needs out, kb and a session");
	if ((rc = kbs_events__session_hash(kb, session, h, err)) != KBS_OK)
		goto cleanup;
	if ((rc = kbs_events__connect(kb, &db, err)) != KBS_OK)
		goto cleanup;
	if (sqlite3_prepare_v2(db,
			       "SELECT at, 'search', query, results, confident, reason, NULL, NULL, id, 0"
			       "  FROM searches WHERE session = ?1"
			       " UNION ALL "
			       "SELECT at, type, comment, NULL, NULL, NULL, article, helpful, id, 1"
			       "  FROM events WHERE session = ?1"
			       " ORDER BY 1, 10, 9",
			       -1, &st, NULL) != SQLITE_OK) {
		rc = kbs_err__set(err, KBS_EIO, "events store: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
	o = json_object();
	list = json_array();
	json_object_set_new(o, "session", json_string(h));
	json_object_set_new(o, "events", list);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		json_t *e = json_object();
		char when[32];
		const char *type = (const char *)sqlite3_column_text(st, 1);
		kbs_events__format_time(sqlite3_column_int64(st, 0), when);
		json_object_set_new(e, "at", json_string(when));
		json_object_set_new(e, "type", json_string(type));
		if (!strcmp(type, "search")) {
			json_object_set_new(e, "query", json_string((const char *)sqlite3_column_text(st, 2)));
			json_object_set_new(e, "results", json_integer(sqlite3_column_int64(st, 3)));
			json_object_set_new(e, "confident", json_boolean(sqlite3_column_int(st, 4)));
			const char *reason = (const char *)sqlite3_column_text(st, 5);
			json_object_set_new(e, "reason", reason ? json_string(reason) : json_null());
		} else {
			const char *article = (const char *)sqlite3_column_text(st, 6);
			if (article) {
				bool visible;
				char *title = NULL;
				json_object_set_new(e, "article", json_string(article));
				if ((rc = kbs_events__article(kb, article, NULL, 0, &visible, &title, err)) != KBS_OK) {
					json_decref(e);
					goto cleanup;
				}
				json_object_set_new(e, "title", title ? json_string(title) : json_null());
				free(title);
			}
			if (!strcmp(type, "vote")) {
				json_object_set_new(e, "helpful", json_boolean(sqlite3_column_int(st, 7)));
				const char *c = (const char *)sqlite3_column_text(st, 2);
				json_object_set_new(e, "comment", c ? json_string(c) : json_null());
			}
		}
		json_array_append_new(list, e);
	}
	if (step != SQLITE_DONE) {
		rc = kbs_err__set(err, KBS_EIO, "events store: %s", sqlite3_errmsg(db));
		goto cleanup;
	}
	*out = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	json_decref(o);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return rc;
}
