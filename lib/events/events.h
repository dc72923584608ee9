/*
 * Analytics: what visitors searched, read and still asked support about.
 * The search path reports to it through one call; everything else of this
 * module is reached through the public kbs_event_* / kbs_events_* /
 * kbs_report API.
 *
 * Files:
 *   log.c     the store (KB/events.sqlite), its secret, the queue and the
 *             background writer; kbs_event_log, flush, purge, erase
 *   redact.c  PII redaction of every stored text
 *   import.c  JSONL import and the escalation trail of one session
 *   report.c  gaps, articles, summary: SQL over the store, then JSON,
 *             table, CSV or HTML
 *   popular.c popular answered queries, kbs_suggest's second source
 *
 * Storage layout (SQLite, WAL, PRAGMA user_version = schema version):
 *
 *   searches(id, at, session, search_id, query, qkey, lang, filters, roles,
 *            results, confident, reason, latency_us)
 *       one row per logged search. `at` is milliseconds since the Unix
 *       epoch (UTC) in every table. `session` is the keyed hash of the
 *       host's session id (HMAC-SHA256 with the knowledge base's secret,
 *       the first 16 bytes in hex): the raw id is never stored. `query` is
 *       the text after redaction, `qkey` its query key (query.h). `filters`
 *       is a JSON object of the filters that were set (NULL: none); `roles`
 *       a JSON array of the caller's roles besides public, sorted: a report
 *       read with lesser roles leaves the search out of what it names.
 *       `results` is the total estimate; `reason` why it went unanswered
 *       (NULL when answered).
 *   shown(search, rank, article)
 *       the ids of the page a search returned, for click-through per
 *       impression. Deleted with their search.
 *   events(id, at, session, type, article, search_id, helpful, comment)
 *       host events: view, vote, ticket, resolved. `comment` is redacted.
 *
 * The secret lives beside the database, in KB/events.key (mode 0600, 32
 * random bytes in hex), so a copy of events.sqlite handed to an analyst
 * does not let anyone test guessed session ids against it.
 */
#ifndef KBS_EVENTS_H
#define KBS_EVENTS_H

#include <sqlite3.h>

#include "../query/query.h"

/* Called by kbs_search once a search has succeeded, before it returns:
 * records it when the search carried a session id (o->session) and logging
 * is on. Must not wait on the disk. `ctx` may be used for more engine
 * lookups (why a search went unanswered); `latency_us` is the search's own
 * time so far. Never fails the search: a failure to log is counted, not
 * returned. */
void kbs_events__search_done(kbs_kb *kb, kbs_ctx *ctx, const kbs_query__plan *plan,
			     const kbs_search_opts *o, const kbs_results *r, double latency_us);

/* ---- the handle's events state (log.c) ---- */

typedef struct kbs_events kbs_events;

/* Sets up kb->events from the open options; opens the store at once when
 * a retention period is set (to apply it), else on first use. */
kbs_status kbs_events__init(kbs_kb *kb, const kbs_open_opts *opts, kbs_err *err);
/* Flushes what is queued, stops the writer, frees kb->events. */
void kbs_events__close(kbs_kb *kb);

/* Tests only: holds the writer (true) so that the queue fills up, or lets
 * it go on (false). */
void kbs_events__pause(kbs_kb *kb, bool paused);

/* Opens a new connection to the store (creating it when needed) for a
 * report, a purge, an import: the caller closes it with sqlite3_close. */
kbs_status kbs_events__connect(kbs_kb *kb, sqlite3 **out, kbs_err *err);

/* The stored form of a session id (32 hex digits and a NUL). */
kbs_status kbs_events__session_hash(kbs_kb *kb, const char *session, char out[33],
				    kbs_err *err);

/* Makes the calling thread's logging wait for room in a full queue instead
 * of dropping (import: every line counts, and nobody waits on it). */
void kbs_events__set_blocking(bool block);

/* Title and visibility of an article for the given roles, from the index.
 * *title is malloc'd (NULL when the article is not in the index, which is
 * then not visible either). */
kbs_status kbs_events__article(kbs_kb *kb, const char *id, const char *const *roles,
			       size_t nroles, bool *visible, char **title, kbs_err *err);

/* ---- popular answered queries (popular.c) ---- */

/* The k of k-anonymity for texts outside reports (the reports' default):
 * a query text is suggested only when this many sessions typed it. */
#define KBS_EVENTS__K 3
/* Query suggestions per call at most (half of kbs_suggest's 50). */
#define KBS_EVENTS__MAX_SUGGEST 25

/* An immutable, reference-counted snapshot of the popular answered
 * queries (popular.c explains which searches count). */
typedef struct kbs_events__popular kbs_events__popular;

/* Builds a snapshot from the store db (NULL: an empty one, no store).
 * Returns KBS_EIO (SQL), KBS_ENOMEM. *out has one reference. */
kbs_status kbs_events__popular_build(kbs_events__popular **out, sqlite3 *db, kbs_err *err);
/* Takes a reference (NULL is ignored). Thread-safe. */
void kbs_events__popular_ref(kbs_events__popular *p);
/* Whether p was built more than ms milliseconds ago. */
bool kbs_events__popular_stale(const kbs_events__popular *p, int64_t ms);
/* Drops a reference; the last frees it. NULL is ignored. Thread-safe. */
void kbs_events__popular_unref(kbs_events__popular *p);
/* Adds to sink the texts of p that complete prefix for the caller's roles
 * and language (o normalized by kbs_suggest), at most (o->limit + 1) / 2,
 * ranked before titles (query.h). KBS_ENOMEM. Reads p only: any number of
 * threads may use one snapshot. */
kbs_status kbs_events__popular_suggest(kbs_events__popular *p, const char *prefix,
				       const kbs_suggest_opts *o, kbs_query__suggest_sink *sink,
				       kbs_err *err);

/* ---- redaction (redact.c) ---- */

/* text with emails, phone numbers, Luhn-valid card numbers, IBANs (mod 97
 * checked) and runs of 8 digits or more replaced by <email>, <phone>,
 * <card>, <iban>, <number>. Malloc'd; NULL when out of memory. */
char *kbs_events__redact(const char *text);

/* ---- times (import.c) ---- */

/* ISO 8601 date or date-time ("2026-03-01", "2026-03-01T10:00:00Z",
 * "...T10:00:00.250+02:00"; no zone is UTC) to ms since the epoch. */
bool kbs_events__parse_time(const char *s, int64_t *out);
/* ms since the epoch to "YYYY-MM-DDTHH:MM:SSZ". */
void kbs_events__format_time(int64_t ms, char out[32]);

/* Now, in ms since the epoch. */
int64_t kbs_events__now_ms(void);

#endif
