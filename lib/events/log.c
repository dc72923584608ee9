/*
 * The events store and its writer.
 *
 * A logged search or host event becomes one record: a single allocation
 * holding every string it needs, made on the caller's thread, queued under
 * a mutex. Everything slow happens on the writer thread: redaction, the
 * keyed hash of the session, the filters as JSON, and the inserts, one
 * transaction per batch (synchronous=FULL: a committed batch survives a
 * power cut). The queue is a ring of fixed capacity; when it is full the
 * caller never waits (see kbs_event_log in the header), except a thread
 * that asked to (import).
 *
 * Flush: records are numbered as they are queued; the writer advances
 * `written` after each commit, in queue order, so "everything queued
 * before me is durable" is `written >= the number when I was called`.
 *
 * The store is opened on first use, not by kbs_open: a handle that only
 * searches without sessions (the CLI's `kbs search`, a read-only
 * deployment) never creates a file or a thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <nettle/hmac.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"

#define DEFAULT_QUEUE 8192
/* Records per transaction at most: one fsync for many, without holding
 * the write lock of the store long enough to stall a report. */
#define BATCH 512
/* How long the writer waits for more records before it commits what it
 * has: one fsync per search would cost the searches CPU on a small
 * machine; a flush or a full batch cuts the wait short. */
#define LINGER_MS 50
/* Page ids kept per search, for click-through per impression. */
#define MAX_SHOWN 20
/* How long a writer or a report waits for another process's write lock. */
#define BUSY_MS 10000
#define HOUR_MS (3600 * 1000LL)
/* Popular queries (popular.c): the writer rebuilds the table at most this
 * often (at once for a flush); a handle without a writer re-reads the
 * store when its table is older than STALE_MS. */
#define REFRESH_MS 2000
#define STALE_MS 60000

enum { REC_SEARCH = 0 }; /* other records carry their kbs_event_type */

/* Strings of a record, by slot. */
enum {
	S_SESSION,
	S_TEXT,      /* query or vote comment, before redaction */
	S_QKEY,
	S_LANG,
	S_CATEGORY,
	S_KIND,
	S_SEARCH_ID,
	S_ARTICLE,
	S_REASON,
	NSTR
};
enum { L_TAGS, L_ROLES, L_SHOWN, NLIST };

typedef struct rec {
	int type;
	int64_t at;
	const char *s[NSTR];
	const char **l[NLIST];
	size_t nl[NLIST];
	uint64_t results;
	int confident, helpful;
	double latency_us;
} rec;

struct kbs_events {
	pthread_mutex_t mu;
	pthread_cond_t wake;  /* to the writer: records, or stop */
	pthread_cond_t done;  /* from the writer: `written` moved */
	bool off;             /* KBS_OPEN_NO_EVENTS */
	atomic_bool ready;    /* store open and writer running */
	bool tried;           /* an open was attempted (and failed: open_msg) */
	kbs_status open_rc;
	char open_msg[KBS_ERRMSG_CAP];
	char *path, *keypath;
	uint8_t key[32];
	sqlite3 *db; /* the writer's connection */
	pthread_t thread;
	bool stop, paused;
	unsigned flushers;    /* threads waiting in flush: no lingering */
	rec **q;
	size_t cap, head, n;
	uint64_t queued, written;
	atomic_uint_fast64_t dropped;
	uint64_t lost;        /* records of failed batches since the last flush */
	char werr[KBS_ERRMSG_CAP];
	int64_t retention;
	int64_t last_purge;   /* CLOCK_MONOTONIC ms */
	/* Popular answered queries for kbs_suggest: the current snapshot,
	 * swapped under pq_mu (held only to copy the pointer and take a
	 * reference); pq_load serializes loads by suggest threads. */
	pthread_mutex_t pq_mu, pq_load;
	kbs_events__popular *pq;
	atomic_bool pq_wanted; /* a suggest asked: the writer keeps it fresh */
	bool pq_dirty;         /* writer only: searches written since the build */
	int64_t pq_built;      /* writer only: CLOCK_MONOTONIC ms */
};

static _Thread_local bool tls_block;

void kbs_events__set_blocking(bool block)
{
	tls_block = block;
}

int64_t kbs_events__now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- schema ---- */

/* Migration i takes user_version i to i + 1. Append only: a store made by
 * an older kbsearch is brought up to date on open. */
static const char *const migrations[] = {
	"CREATE TABLE searches ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  session TEXT NOT NULL,"
	"  search_id TEXT,"
	"  query TEXT NOT NULL,"
	"  qkey TEXT NOT NULL,"
	"  lang TEXT,"
	"  filters TEXT,"
	"  roles TEXT NOT NULL DEFAULT '[]',"
	"  results INTEGER NOT NULL,"
	"  confident INTEGER NOT NULL,"
	"  reason TEXT CHECK (reason IN ('no_match', 'filtered', 'restricted',"
	"                                'other_language', 'low_confidence')),"
	"  latency_us REAL);"
	"CREATE INDEX searches_session ON searches(session, at);"
	"CREATE INDEX searches_at ON searches(at);"
	"CREATE INDEX searches_search_id ON searches(search_id);"
	"CREATE TABLE shown ("
	"  search INTEGER NOT NULL REFERENCES searches(id) ON DELETE CASCADE,"
	"  rank INTEGER NOT NULL,"
	"  article TEXT NOT NULL,"
	"  PRIMARY KEY (search, rank)) WITHOUT ROWID;"
	"CREATE INDEX shown_article ON shown(article);"
	"CREATE TABLE events ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  session TEXT NOT NULL,"
	"  type TEXT NOT NULL CHECK (type IN ('view', 'vote', 'ticket', 'resolved')),"
	"  article TEXT,"
	"  search_id TEXT,"
	"  helpful INTEGER,"
	"  comment TEXT);"
	"CREATE INDEX events_session ON events(session, at);"
	"CREATE INDEX events_article ON events(article, type);"
	"CREATE INDEX events_at ON events(at);",
};

static kbs_status sql_fail(kbs_err *err, sqlite3 *db, const char *what)
{
	int code = db ? sqlite3_errcode(db) : SQLITE_ERROR;
	kbs_status rc = code == SQLITE_BUSY || code == SQLITE_LOCKED ? KBS_ELOCKED
			: code == SQLITE_NOMEM				 ? KBS_ENOMEM
									 : KBS_EIO;
	return kbs_err__set(err, rc, "events store: %s: %s", what,
			    db ? sqlite3_errmsg(db) : "cannot open");
}

static kbs_status migrate(sqlite3 *db, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	sqlite3_stmt *st = NULL;
	int version = 0;
	const int latest = (int)(sizeof migrations / sizeof *migrations);

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return sql_fail(err, db, "begin");
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		rc = sql_fail(err, db, "reading the schema version");
		goto cleanup;
	}
	version = sqlite3_column_int(st, 0);
	if (version > latest) {
		rc = kbs_err__set(err, KBS_EIO,
				  "events store: schema version %d is newer than this kbsearch (%d)",
				  version, latest);
		goto cleanup;
	}
	for (; version < latest; version++) {
		if (sqlite3_exec(db, migrations[version], NULL, NULL, NULL) != SQLITE_OK) {
			rc = sql_fail(err, db, "migrating the schema");
			goto cleanup;
		}
	}
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", latest);
	if (sqlite3_exec(db, pragma, NULL, NULL, NULL) != SQLITE_OK)
		rc = sql_fail(err, db, "writing the schema version");
cleanup:
	sqlite3_finalize(st);
	sqlite3_exec(db, rc == KBS_OK ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static kbs_status connect(kbs_events *e, sqlite3 **out, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	sqlite3 *db = NULL;
	*out = NULL;
	if (sqlite3_open_v2(e->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = sql_fail(err, db, e->path);
		goto cleanup;
	}
	sqlite3_busy_timeout(db, BUSY_MS);
	if (sqlite3_exec(db,
			 "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(err, db, "setting up");
		goto cleanup;
	}
	*out = db;
	db = NULL;
cleanup:
	sqlite3_close(db);
	return rc;
}

/* ---- the secret ---- */

static bool hex_decode(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (uint8_t)v;
	}
	return true;
}

/* Makes a new secret and puts it in place whole: written and synced under
 * a name of this process's own, then linked to events.key, which fails if
 * another process got there first (it then reads theirs). A process killed
 * halfway leaves only its own temporary file, never a partial events.key:
 * creating events.key itself and then writing it, as this once did, left
 * an empty secret after a kill, and the events store unusable for good.
 * KBS_STOP: another process made it first. */
static kbs_status make_key(kbs_events *e, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	char hex[65];
	uint8_t k[32];
	char *tmp = kbs_sprintf("%s.%ld.tmp", e->keypath, (long)getpid());
	if (!tmp)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	if (getrandom(k, sizeof k, 0) != (ssize_t)sizeof k) {
		rc = kbs_err__set(err, KBS_EIO, "no randomness for the events secret: %s",
				  strerror(errno));
		goto cleanup;
	}
	for (size_t i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", k[i]);
	hex[64] = '\n';
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = kbs_err__set(err, KBS_EIO, "cannot create %s: %s", e->keypath, strerror(errno));
		goto cleanup;
	}
	bool ok = write(fd, hex, 65) == 65 && fsync(fd) == 0;
	int saved = errno;
	close(fd);
	if (!ok) {
		rc = kbs_err__set(err, KBS_EIO, "cannot write %s: %s", e->keypath, strerror(saved));
		goto cleanup;
	}
	if (link(tmp, e->keypath) != 0) {
		if (errno == EEXIST)
			rc = KBS_STOP;
		else
			rc = kbs_err__set(err, KBS_EIO, "cannot create %s: %s", e->keypath,
					  strerror(errno));
		goto cleanup;
	}
	/* The new name must survive a power cut too. */
	const char *slash = strrchr(e->keypath, '/');
	char *home = slash ? kbs_strndup(e->keypath, (size_t)(slash - e->keypath)) : NULL;
	int dfd = home ? open(home, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	free(home);
	memcpy(e->key, k, sizeof k);
cleanup:
	unlink(tmp);
	free(tmp);
	return rc;
}

/* Reads the secret, making it when missing. */
static kbs_status load_key(kbs_events *e, kbs_err *err)
{
	char hex[65] = "";
	FILE *f = fopen(e->keypath, "re");
	if (!f && errno == ENOENT) {
		kbs_status rc = make_key(e, err);
		if (rc != KBS_STOP)
			return rc;
		f = fopen(e->keypath, "re");
	}
	if (!f)
		return kbs_err__set(err, KBS_EIO, "cannot read %s: %s", e->keypath, strerror(errno));
	size_t got = fread(hex, 1, 64, f);
	fclose(f);
	hex[got] = '\0';
	if (got != 64 || !hex_decode(hex, e->key, 32))
		return kbs_err__set(err, KBS_EIO, "%s is damaged (not 64 hex digits)", e->keypath);
	return KBS_OK;
}

static void hash_session(const kbs_events *e, const char *session, char out[33])
{
	struct hmac_sha256_ctx h;
	uint8_t d[SHA256_DIGEST_SIZE];
	hmac_sha256_set_key(&h, sizeof e->key, e->key);
	hmac_sha256_update(&h, strlen(session), (const uint8_t *)session);
	hmac_sha256_digest(&h, sizeof d, d);
	for (size_t i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* ---- writing ---- */

typedef struct stmts {
	sqlite3_stmt *search, *shown, *event, *purge[2];
} stmts;

static void stmts_free(stmts *s)
{
	sqlite3_finalize(s->search);
	sqlite3_finalize(s->shown);
	sqlite3_finalize(s->event);
	sqlite3_finalize(s->purge[0]);
	sqlite3_finalize(s->purge[1]);
}

static int prepare(sqlite3 *db, stmts *s)
{
	int r = sqlite3_prepare_v2(db,
				   "INSERT INTO searches (at, session, search_id, query, qkey, lang, filters,"
				   " roles, results, confident, reason, latency_us)"
				   " VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
				   -1, &s->search, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, "INSERT INTO shown (search, rank, article) VALUES (?,?,?)", -1,
				       &s->shown, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db,
				       "INSERT INTO events (at, session, type, article, search_id, helpful,"
				       " comment) VALUES (?,?,?,?,?,?,?)",
				       -1, &s->event, NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, "DELETE FROM searches WHERE at < ?", -1, &s->purge[0], NULL);
	if (r == SQLITE_OK)
		r = sqlite3_prepare_v2(db, "DELETE FROM events WHERE at < ?", -1, &s->purge[1], NULL);
	return r;
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The filters that were set, as a JSON object; NULL when none. */
static char *filters_json(const rec *r)
{
	if (!r->s[S_CATEGORY] && !r->s[S_KIND] && !r->nl[L_TAGS])
		return NULL;
	json_t *o = json_object();
	if (r->s[S_CATEGORY])
		json_object_set_new(o, "category", json_string(r->s[S_CATEGORY]));
	if (r->nl[L_TAGS]) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->nl[L_TAGS]; i++)
			json_array_append_new(a, json_string(r->l[L_TAGS][i]));
		json_object_set_new(o, "tags", a);
	}
	if (r->s[S_KIND])
		json_object_set_new(o, "kind", json_string(r->s[S_KIND]));
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

/* The caller's roles besides public, folded as search folds them ("Agent"
 * is "agent"), sorted and distinct, as a JSON array. Folded here, in the
 * writer, not on the search path. NULL: out of memory. */
static char *roles_json(const rec *r)
{
	size_t n = r->nl[L_ROLES], k = 0;
	char **v = calloc(n ? n : 1, sizeof *v);
	json_t *a = json_array();
	char *s = NULL;
	if (!v || !a)
		goto cleanup;
	for (; k < n; k++)
		if (!(v[k] = kbs_text__fold(r->l[L_ROLES][k], strlen(r->l[L_ROLES][k]))))
			goto cleanup;
	qsort(v, n, sizeof *v, cmp_str);
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], "public") != 0 && (i == 0 || strcmp(v[i], v[i - 1]) != 0))
			json_array_append_new(a, json_string(v[i]));
	s = json_dumps(a, JSON_COMPACT);
cleanup:
	for (size_t i = 0; i < k && v; i++)
		free(v[i]);
	free(v);
	json_decref(a);
	return s;
}

static const char *const type_names[] = { "search", "view", "vote", "ticket", "resolved" };

static int write_rec(kbs_events *e, sqlite3 *db, stmts *s, const rec *r)
{
	char session[33];
	int rc = SQLITE_OK;
	/* A search's text was redacted on its way in (search_done). */
	bool redact = r->s[S_TEXT] && r->type != REC_SEARCH;
	char *owned = redact ? kbs_events__redact(r->s[S_TEXT]) : NULL;
	const char *text = redact ? owned : r->s[S_TEXT];
	char *filters = NULL, *roles = NULL;
	if (redact && !owned)
		return SQLITE_NOMEM;
	hash_session(e, r->s[S_SESSION], session);
	if (r->type == REC_SEARCH) {
		filters = filters_json(r);
		roles = roles_json(r);
		/* Never "[]" for want of memory: the row would read as public. */
		if (!roles) {
			free(filters);
			free(owned);
			return SQLITE_NOMEM;
		}
		sqlite3_stmt *st = s->search;
		sqlite3_bind_int64(st, 1, r->at);
		bind_text(st, 2, session);
		bind_text(st, 3, r->s[S_SEARCH_ID]);
		bind_text(st, 4, text ? text : "");
		bind_text(st, 5, r->s[S_QKEY] ? r->s[S_QKEY] : "");
		bind_text(st, 6, r->s[S_LANG]);
		bind_text(st, 7, filters);
		bind_text(st, 8, roles);
		sqlite3_bind_int64(st, 9, (sqlite3_int64)r->results);
		sqlite3_bind_int(st, 10, r->confident);
		bind_text(st, 11, r->s[S_REASON]);
		sqlite3_bind_double(st, 12, r->latency_us);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		sqlite3_int64 id = sqlite3_last_insert_rowid(db);
		for (size_t i = 0; rc == SQLITE_DONE && i < r->nl[L_SHOWN]; i++) {
			sqlite3_bind_int64(s->shown, 1, id);
			sqlite3_bind_int64(s->shown, 2, (sqlite3_int64)i + 1);
			bind_text(s->shown, 3, r->l[L_SHOWN][i]);
			rc = sqlite3_step(s->shown);
			sqlite3_reset(s->shown);
		}
	} else {
		sqlite3_stmt *st = s->event;
		sqlite3_bind_int64(st, 1, r->at);
		bind_text(st, 2, session);
		bind_text(st, 3, type_names[r->type]);
		bind_text(st, 4, r->s[S_ARTICLE]);
		bind_text(st, 5, r->s[S_SEARCH_ID]);
		if (r->type == KBS_EVENT_VOTE)
			sqlite3_bind_int(st, 6, r->helpful != 0);
		else
			sqlite3_bind_null(st, 6);
		bind_text(st, 7, text);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
	}
	free(owned);
	free(filters);
	free(roles);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int purge_before(sqlite3 *db, stmts *s, int64_t before, uint64_t *removed)
{
	int rc = SQLITE_OK;
	for (int i = 0; i < 2 && rc == SQLITE_OK; i++) {
		sqlite3_bind_int64(s->purge[i], 1, before);
		rc = sqlite3_step(s->purge[i]);
		sqlite3_reset(s->purge[i]);
		if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
			if (removed)
				*removed += (uint64_t)sqlite3_changes(db);
		}
	}
	return rc;
}

/* ---- popular queries ---- */

/* Installs p (taking its reference) as the current table. */
static void pq_set(kbs_events *e, kbs_events__popular *p)
{
	pthread_mutex_lock(&e->pq_mu);
	kbs_events__popular *old = e->pq;
	e->pq = p;
	pthread_mutex_unlock(&e->pq_mu);
	kbs_events__popular_unref(old);
}

/* The writer's rebuild, on its own connection. A failure keeps the old
 * table (and tries again after REFRESH_MS). */
static void pq_rebuild(kbs_events *e)
{
	kbs_events__popular *p = NULL;
	kbs_err err;
	e->pq_built = mono_ms();
	if (kbs_events__popular_build(&p, e->db, &err) == KBS_OK) {
		pq_set(e, p);
		e->pq_dirty = false;
	}
}

/* Builds a table on the calling thread from a read-only connection: none
 * when the store does not exist (it is never created here). A store that
 * cannot be read gives an empty table: suggestions go on from titles. */
static kbs_events__popular *pq_load(kbs_events *e)
{
	kbs_events__popular *p = NULL;
	sqlite3 *db = NULL;
	kbs_err err;
	if (access(e->path, F_OK) == 0 &&
	    sqlite3_open_v2(e->path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
		sqlite3_busy_timeout(db, 200);
		if (kbs_events__popular_build(&p, db, &err) != KBS_OK)
			p = NULL;
	}
	sqlite3_close(db);
	if (!p)
		kbs_events__popular_build(&p, NULL, &err); /* empty */
	return p;
}

/* The current table with a reference (NULL only when out of memory). */
static kbs_events__popular *pq_get(kbs_events *e)
{
	pthread_mutex_lock(&e->pq_mu);
	kbs_events__popular *p = e->pq;
	kbs_events__popular_ref(p);
	pthread_mutex_unlock(&e->pq_mu);
	if (p && (atomic_load(&e->ready) || !kbs_events__popular_stale(p, STALE_MS)))
		return p;
	/* None yet, or old with no writer here to refresh it: one thread
	 * loads; the others go on with what there is (when there is one). */
	if (p ? pthread_mutex_trylock(&e->pq_load) != 0 : pthread_mutex_lock(&e->pq_load) != 0)
		return p;
	atomic_store(&e->pq_wanted, true);
	pthread_mutex_lock(&e->pq_mu);
	bool fresh = e->pq && e->pq != p && !kbs_events__popular_stale(e->pq, STALE_MS);
	pthread_mutex_unlock(&e->pq_mu);
	if (!fresh) {
		kbs_events__popular *n = pq_load(e);
		if (n)
			pq_set(e, n);
	}
	kbs_events__popular_unref(p);
	pthread_mutex_lock(&e->pq_mu);
	p = e->pq;
	kbs_events__popular_ref(p);
	pthread_mutex_unlock(&e->pq_mu);
	pthread_mutex_unlock(&e->pq_load);
	return p;
}

/* kb->suggest_source. */
static kbs_status suggest_popular(kbs_kb *kb, const char *prefix, const kbs_suggest_opts *o,
				  kbs_query__suggest_sink *sink, void *payload)
{
	kbs_events *e = payload;
	kbs_err *err = kbs_kb__begin(kb);
	kbs_events__popular *p = pq_get(e);
	kbs_status rc = kbs_events__popular_suggest(p, prefix, o, sink, err);
	kbs_events__popular_unref(p);
	return rc;
}

static void *writer_main(void *arg)
{
	kbs_events *e = arg;
	stmts s = { 0 };
	rec *batch[BATCH];
	int prc = prepare(e->db, &s);

	pthread_mutex_lock(&e->mu);
	for (;;) {
		while (!e->stop && (e->n == 0 || e->paused)) {
			if (e->pq_dirty) {
				/* Searches written since the last build: rebuild
				 * when REFRESH_MS has passed, if nothing comes. */
				int64_t left = e->pq_built + REFRESH_MS - mono_ms();
				if (left <= 0)
					break;
				struct timespec ts;
				clock_gettime(CLOCK_REALTIME, &ts);
				ts.tv_sec += left / 1000;
				ts.tv_nsec += (left % 1000) * 1000000L;
				if (ts.tv_nsec >= 1000000000L) {
					ts.tv_sec++;
					ts.tv_nsec -= 1000000000L;
				}
				pthread_cond_timedwait(&e->wake, &e->mu, &ts);
				continue;
			}
			if (!e->retention) {
				pthread_cond_wait(&e->wake, &e->mu);
				continue;
			}
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_sec += 3600;
			pthread_cond_timedwait(&e->wake, &e->mu, &ts);
			if (mono_ms() - e->last_purge >= HOUR_MS)
				break;
		}
		if (e->n && !e->stop && !e->paused) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += LINGER_MS * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			while (!e->stop && !e->flushers && e->n < BATCH &&
			       pthread_cond_timedwait(&e->wake, &e->mu, &ts) == 0)
				;
		}
		size_t k = 0;
		if (!e->paused || e->stop) {
			while (k < BATCH && e->n) {
				batch[k++] = e->q[e->head];
				e->head = (e->head + 1) % e->cap;
				e->n--;
			}
		}
		bool purge = e->retention && mono_ms() - e->last_purge >= HOUR_MS;
		if (k == 0 && !purge && e->stop)
			break;
		int64_t retention = e->retention;
		bool flushing = e->flushers > 0;
		pthread_mutex_unlock(&e->mu);

		int rc = prc;
		bool searches = false;
		if (rc == SQLITE_OK && (k || purge))
			rc = sqlite3_exec(e->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		for (size_t i = 0; i < k && rc == SQLITE_OK; i++) {
			searches |= batch[i]->type == REC_SEARCH;
			rc = write_rec(e, e->db, &s, batch[i]);
		}
		if (rc == SQLITE_OK && purge)
			rc = purge_before(e->db, &s, kbs_events__now_ms() - retention, NULL);
		if (rc == SQLITE_OK && (k || purge))
			rc = sqlite3_exec(e->db, "COMMIT", NULL, NULL, NULL);
		char msg[KBS_ERRMSG_CAP] = "";
		if (rc != SQLITE_OK) {
			snprintf(msg, sizeof msg, "%s", prc != SQLITE_OK ? sqlite3_errstr(prc) : sqlite3_errmsg(e->db));
			sqlite3_exec(e->db, "ROLLBACK", NULL, NULL, NULL);
		}
		/* Before `written` moves: a flush returns with the table fresh. */
		if (atomic_load(&e->pq_wanted)) {
			e->pq_dirty |= (searches && rc == SQLITE_OK) || purge;
			if (e->pq_dirty && (flushing || mono_ms() - e->pq_built >= REFRESH_MS))
				pq_rebuild(e);
		}
		for (size_t i = 0; i < k; i++)
			free(batch[i]);

		pthread_mutex_lock(&e->mu);
		if (purge)
			e->last_purge = mono_ms();
		if (rc != SQLITE_OK) {
			e->lost += k;
			snprintf(e->werr, sizeof e->werr, "%s", msg);
		}
		e->written += k;
		pthread_cond_broadcast(&e->done);
	}
	pthread_mutex_unlock(&e->mu);
	stmts_free(&s);
	return NULL;
}

/* Opens the store and starts the writer, once; e->mu held. A failure is
 * remembered: the search path must not retry an open on every search. */
static kbs_status ensure_locked(kbs_events *e, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	kbs_err local = { { 0 } };
	if (atomic_load(&e->ready))
		return KBS_OK;
	if (e->off)
		return kbs_err__set(err, KBS_ERROR, "events are off for this handle (KBS_OPEN_NO_EVENTS)");
	if (e->tried)
		return kbs_err__set(err, e->open_rc, "%s", e->open_msg);
	e->tried = true;
	if ((rc = load_key(e, &local)) != KBS_OK)
		goto cleanup;
	if ((rc = connect(e, &e->db, &local)) != KBS_OK)
		goto cleanup;
	if ((rc = migrate(e->db, &local)) != KBS_OK)
		goto cleanup;
	e->q = calloc(e->cap, sizeof *e->q);
	if (!e->q) {
		rc = kbs_err__set(&local, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	e->last_purge = mono_ms();
	if (e->retention) {
		stmts s = { 0 };
		int r = prepare(e->db, &s);
		if (r == SQLITE_OK)
			r = purge_before(e->db, &s, kbs_events__now_ms() - e->retention, NULL);
		stmts_free(&s);
		if (r != SQLITE_OK) {
			rc = sql_fail(&local, e->db, "purging old events");
			goto cleanup;
		}
	}
	if (pthread_create(&e->thread, NULL, writer_main, e) != 0) {
		rc = kbs_err__set(&local, KBS_ERROR, "cannot start the events writer thread");
		goto cleanup;
	}
	atomic_store(&e->ready, true);
cleanup:
	if (rc != KBS_OK) {
		sqlite3_close(e->db);
		e->db = NULL;
		free(e->q);
		e->q = NULL;
		e->open_rc = rc;
		snprintf(e->open_msg, sizeof e->open_msg, "%s", local.msg);
		kbs_err__set(err, rc, "%s", local.msg);
	}
	return rc;
}

static kbs_status ensure(kbs_events *e, kbs_err *err)
{
	if (atomic_load(&e->ready))
		return KBS_OK;
	pthread_mutex_lock(&e->mu);
	kbs_status rc = ensure_locked(e, err);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

/* Queues r (taking it over). false: the queue was full and r was freed. */
static bool enqueue(kbs_events *e, rec *r, bool block)
{
	bool ok = false;
	pthread_mutex_lock(&e->mu);
	while (block && e->n == e->cap && !e->paused)
		pthread_cond_wait(&e->done, &e->mu);
	if (e->n < e->cap) {
		e->q[(e->head + e->n) % e->cap] = r;
		e->n++;
		e->queued++;
		ok = true;
		/* Wakes an idle writer, or a lingering one with a full batch;
		 * not on every record. */
		if (e->n == 1 || e->n == BATCH)
			pthread_cond_signal(&e->wake);
	}
	pthread_mutex_unlock(&e->mu);
	if (!ok)
		free(r);
	return ok;
}

/* ---- records: one allocation each ---- */

typedef struct rec_src {
	const char *s[NSTR];
	const char *const *l[NLIST];
	size_t nl[NLIST];
} rec_src;

static rec *rec_new(const rec_src *src)
{
	size_t bytes = sizeof(rec), nptr = 0;
	for (int i = 0; i < NSTR; i++)
		if (src->s[i])
			bytes += strlen(src->s[i]) + 1;
	for (int i = 0; i < NLIST; i++) {
		nptr += src->nl[i];
		for (size_t j = 0; j < src->nl[i]; j++)
			bytes += strlen(src->l[i][j]) + 1;
	}
	bytes += nptr * sizeof(char *);
	rec *r = calloc(1, bytes);
	if (!r)
		return NULL;
	const char **ptrs = (const char **)(r + 1);
	char *p = (char *)(ptrs + nptr);
	for (int i = 0; i < NSTR; i++) {
		if (!src->s[i])
			continue;
		size_t n = strlen(src->s[i]) + 1;
		memcpy(p, src->s[i], n);
		r->s[i] = p;
		p += n;
	}
	for (int i = 0; i < NLIST; i++) {
		r->l[i] = ptrs;
		r->nl[i] = src->nl[i];
		for (size_t j = 0; j < src->nl[i]; j++) {
			size_t n = strlen(src->l[i][j]) + 1;
			memcpy(p, src->l[i][j], n);
			*ptrs++ = p;
			p += n;
		}
	}
	return r;
}

/* ---- why a search went unanswered ---- */

/* Whether query, restricted to the AND of the given filter parts, matches
 * anything. */
static bool matches(kbs_ctx *ctx, const kbs_qnode *query, kbs_qnode *lang, kbs_qnode *filters,
		    kbs_qnode *roles)
{
	kbs_qnode *kids[3];
	kbs_qnode and = { .op = KBS_Q_AND, .kids = kids };
	if (lang)
		kids[and.nkids++] = lang;
	if (filters)
		kids[and.nkids++] = filters;
	if (roles)
		kids[and.nkids++] = roles;
	kbs_store__search_req req = { .query = query, .filter = and.nkids ? &and : NULL,
				      .limit = 1, .check_at_least = 1 };
	kbs_store__result res = { 0 };
	kbs_err err;
	bool any = kbs_store__search(ctx->reader, &req, &res, &err) == KBS_OK && res.nhits > 0;
	kbs_store__result_free(&res);
	return any;
}

/* The reason of design.md, found by taking the search's filter apart.
 * The checks go from what the visitor chose to what the help center
 * decides, and the first that lets a match through names the reason:
 *   1. filtered        without the category/tag/kind filters, in the
 *                      search's language, with the caller's roles
 *   2. restricted      in the search's language, whatever the roles (the
 *                      check before failed, so every match is above them)
 *   3. other_language  any language, with the caller's roles
 *   4. restricted      any language, any roles
 *   5. no_match        nothing anywhere has the words
 * Results that are only unconfident are low_confidence. */
static const char *unanswered_reason(kbs_ctx *ctx, const kbs_query__plan *p, const kbs_results *r)
{
	if (kbs_results_total(r) > 0 || kbs_results_count(r) > 0)
		return kbs_results_confident(r) ? NULL : "low_confidence";
	if (p->filters && matches(ctx, p->query, p->lang, NULL, p->roles))
		return "filtered";
	if (matches(ctx, p->query, p->lang, NULL, NULL))
		return "restricted";
	if (p->lang && matches(ctx, p->query, NULL, NULL, p->roles))
		return "other_language";
	if (p->lang && matches(ctx, p->query, NULL, NULL, NULL))
		return "restricted";
	return "no_match";
}

void kbs_events__search_done(kbs_kb *kb, kbs_ctx *ctx, const kbs_query__plan *plan,
			     const kbs_search_opts *o, const kbs_results *r, double latency_us)
{
	kbs_events *e = kb->events;
	char *qkey = NULL, *text = NULL;
	rec *rc = NULL;
	const char *shown[MAX_SHOWN];

	/* An empty query browses: never a search intent (design.md). */
	if (!o->session || !*o->session || !plan->query || !e || e->off)
		return;
	if (ensure(e, NULL) != KBS_OK)
		goto dropped;
	/* Redacted here, not by the writer, because the key must come from
	 * the redacted text too: the raw one would keep a phone number or an
	 * email's words in the key. Re-planning costs a few store lookups,
	 * only for the rare text that held personal data. */
	text = kbs_events__redact(kbs_results_query(r));
	if (!text)
		goto dropped;
	if (strcmp(text, kbs_results_query(r)) != 0) {
		kbs_query__plan clean;
		kbs_err perr;
		if (kbs_query__plan_build_kb(&clean, kb, ctx, text, o, KBS_PLAN_NO_TYPO, &perr) == KBS_OK)
			qkey = kbs_query__key(&clean);
		kbs_query__plan_free(&clean);
	} else {
		qkey = kbs_query__key(plan);
	}
	if (!qkey)
		goto dropped;
	rec_src src;
	memset(&src, 0, sizeof src);
	src.s[S_SESSION] = o->session;
	src.s[S_TEXT] = text;
	src.s[S_QKEY] = qkey;
	src.s[S_LANG] = o->lang && *o->lang ? o->lang : NULL;
	src.s[S_CATEGORY] = o->category && *o->category ? o->category : NULL;
	src.s[S_KIND] = o->kind && *o->kind ? o->kind : NULL;
	src.s[S_SEARCH_ID] = kbs_results_search_id(r);
	src.s[S_REASON] = unanswered_reason(ctx, plan, r);
	const char *tags[64], *roles[64];
	for (size_t i = 0; i < o->ntags && src.nl[L_TAGS] < 64; i++)
		if (o->tags[i] && *o->tags[i])
			tags[src.nl[L_TAGS]++] = o->tags[i];
	for (size_t i = 0; i < o->nroles && src.nl[L_ROLES] < 64; i++)
		if (o->roles[i] && *o->roles[i])
			roles[src.nl[L_ROLES]++] = o->roles[i];
	for (size_t i = 0; i < kbs_results_count(r) && src.nl[L_SHOWN] < MAX_SHOWN; i++)
		shown[src.nl[L_SHOWN]++] = kbs_results_id(r, i);
	src.l[L_TAGS] = tags;
	src.l[L_ROLES] = roles;
	src.l[L_SHOWN] = shown;
	rc = rec_new(&src);
	if (!rc)
		goto dropped;
	rc->type = REC_SEARCH;
	rc->at = o->at ? o->at : kbs_events__now_ms();
	rc->results = kbs_results_total(r);
	rc->confident = kbs_results_confident(r);
	rc->latency_us = latency_us;
	free(qkey);
	free(text);
	if (!enqueue(e, rc, tls_block))
		atomic_fetch_add(&e->dropped, 1);
	return;
dropped:
	free(qkey);
	free(text);
	atomic_fetch_add(&e->dropped, 1);
}

/* ---- the public calls ---- */

/* design.md: [A-Za-z0-9._:-]{1,128} */
static bool is_id_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == ':' || c == '-';
}

static bool valid_id(const char *id)
{
	size_t n = strlen(id);
	if (n == 0 || n > KBS_MAX_ID_BYTES)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_id_char(id[i]))
			return false;
	return true;
}

kbs_status kbs_event_log(kbs_kb *kb, const kbs_event *ev)
{
	kbs_err *err = kbs_kb__begin(kb);
	kbs_status rc = KBS_OK;
	if (!kb || !ev)
		return kbs_err__set(err, KBS_EINVALID, "kbs_event_log needs kb and ev");
	if (ev->version != KBS_EVENT_VERSION)
		return kbs_err__set(err, KBS_EINVALID, "unknown kbs_event version %u", ev->version);
	if (ev->type < KBS_EVENT_VIEW || ev->type > KBS_EVENT_RESOLVED)
		return kbs_err__set(err, KBS_EINVALID, "unknown event type %d", (int)ev->type);
	if (!ev->session || !*ev->session)
		return kbs_err__set(err, KBS_EINVALID, "an event needs a session id");
	if (ev->type != KBS_EVENT_TICKET && !ev->article)
		return kbs_err__set(err, KBS_EINVALID, "a %s event needs an article id",
				    type_names[ev->type]);
	if (ev->article && !valid_id(ev->article))
		return kbs_err__set(err, KBS_EINVALID, "'%s' is not an article id", ev->article);
	const char *strs[] = { ev->session, ev->search_id, ev->comment };
	for (size_t i = 0; i < 3; i++)
		if (strs[i] && !kbs_utf8_valid(strs[i], strlen(strs[i]), NULL))
			return kbs_err__set(err, KBS_EINVALID, "event text is not valid UTF-8");
	if (ev->comment && strlen(ev->comment) > KBS_MAX_QUERY_BYTES)
		return kbs_err__set(err, KBS_EINVALID, "comment is longer than %d bytes",
				    KBS_MAX_QUERY_BYTES);
	if ((rc = ensure(kb->events, err)) != KBS_OK)
		return rc;
	rec_src src;
	memset(&src, 0, sizeof src);
	src.s[S_SESSION] = ev->session;
	src.s[S_ARTICLE] = ev->article;
	src.s[S_SEARCH_ID] = ev->search_id && *ev->search_id ? ev->search_id : NULL;
	src.s[S_TEXT] = ev->type == KBS_EVENT_VOTE && ev->comment && *ev->comment ? ev->comment : NULL;
	rec *r = rec_new(&src);
	if (!r)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	r->type = (int)ev->type;
	r->at = ev->at ? ev->at : kbs_events__now_ms();
	r->helpful = ev->helpful;
	if (!enqueue(kb->events, r, tls_block))
		rc = kbs_err__set(err, KBS_ERETRY, "the events queue is full; nothing was recorded");
	return rc;
}

static kbs_status flush(kbs_events *e, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	if (!atomic_load(&e->ready))
		return KBS_OK;
	pthread_mutex_lock(&e->mu);
	uint64_t target = e->queued;
	e->flushers++;
	pthread_cond_signal(&e->wake);
	while (e->written < target)
		pthread_cond_wait(&e->done, &e->mu);
	e->flushers--;
	if (e->lost) {
		rc = kbs_err__set(err, KBS_EIO, "events store: %llu records lost: %s",
				  (unsigned long long)e->lost, e->werr);
		e->lost = 0;
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

kbs_status kbs_events_flush(kbs_kb *kb)
{
	kbs_err *err = kbs_kb__begin(kb);
	if (!kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_events_flush needs kb");
	return flush(kb->events, err);
}

uint64_t kbs_events_dropped(const kbs_kb *kb)
{
	return kb ? atomic_load(&kb->events->dropped) : 0;
}

kbs_status kbs_events__connect(kbs_kb *kb, sqlite3 **out, kbs_err *err)
{
	kbs_status rc;
	*out = NULL;
	if ((rc = ensure(kb->events, err)) != KBS_OK)
		return rc;
	if ((rc = flush(kb->events, err)) != KBS_OK)
		return rc;
	return connect(kb->events, out, err);
}

kbs_status kbs_events__session_hash(kbs_kb *kb, const char *session, char out[33], kbs_err *err)
{
	kbs_status rc = ensure(kb->events, err);
	if (rc == KBS_OK)
		hash_session(kb->events, session, out);
	return rc;
}

/* Runs a DELETE bound to one value in a transaction; *removed += rows. */
static kbs_status delete_rows(kbs_kb *kb, const char *const *sql, size_t n, int64_t ival,
			      const char *sval, uint64_t *removed, kbs_err *err)
{
	kbs_status rc;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	if ((rc = kbs_events__connect(kb, &db, err)) != KBS_OK)
		goto cleanup;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(err, db, "begin");
		goto cleanup;
	}
	for (size_t i = 0; i < n; i++) {
		if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			rc = sql_fail(err, db, "delete");
			goto cleanup;
		}
		if (sval)
			sqlite3_bind_text(st, 1, sval, -1, SQLITE_TRANSIENT);
		else
			sqlite3_bind_int64(st, 1, ival);
		if (sqlite3_step(st) != SQLITE_DONE) {
			rc = sql_fail(err, db, "delete");
			goto cleanup;
		}
		*removed += (uint64_t)sqlite3_changes(db);
		sqlite3_finalize(st);
		st = NULL;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		rc = sql_fail(err, db, "commit");
		goto cleanup;
	}
	/* An erased session or purged searches leave the suggestions now,
	 * not at the next refresh. */
	if (atomic_load(&kb->events->pq_wanted)) {
		kbs_events__popular *p = NULL;
		kbs_err perr;
		if (kbs_events__popular_build(&p, db, &perr) == KBS_OK)
			pq_set(kb->events, p);
	}
cleanup:
	sqlite3_finalize(st);
	if (db && rc != KBS_OK)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

kbs_status kbs_events_purge(uint64_t *out, kbs_kb *kb, int64_t before)
{
	kbs_err *err = kbs_kb__begin(kb);
	uint64_t removed = 0;
	static const char *const sql[] = { "DELETE FROM searches WHERE at < ?",
					   "DELETE FROM events WHERE at < ?" };
	if (out)
		*out = 0;
	if (!kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_events_purge needs kb");
	kbs_status rc = delete_rows(kb, sql, 2, before, NULL, &removed, err);
	if (rc == KBS_OK && out)
		*out = removed;
	return rc;
}

kbs_status kbs_events_erase(uint64_t *out, kbs_kb *kb, const char *session)
{
	kbs_err *err = kbs_kb__begin(kb);
	uint64_t removed = 0;
	char h[33];
	kbs_status rc;
	static const char *const sql[] = { "DELETE FROM searches WHERE session = ?",
					   "DELETE FROM events WHERE session = ?" };
	if (out)
		*out = 0;
	if (!kb || !session || !*session)
		return kbs_err__set(err, KBS_EINVALID, "kbs_events_erase needs kb and a session id");
	if ((rc = kbs_events__session_hash(kb, session, h, err)) != KBS_OK)
		return rc;
	rc = delete_rows(kb, sql, 2, 0, h, &removed, err);
	if (rc == KBS_OK && out)
		*out = removed;
	return rc;
}

/* ---- the handle ---- */

kbs_status kbs_events__init(kbs_kb *kb, const kbs_open_opts *opts, kbs_err *err)
{
	kbs_events *e = calloc(1, sizeof *e);
	if (!e)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->wake, NULL);
	pthread_cond_init(&e->done, NULL);
	pthread_mutex_init(&e->pq_mu, NULL);
	pthread_mutex_init(&e->pq_load, NULL);
	kb->events = e;
	kb->suggest_source = suggest_popular;
	kb->suggest_payload = e;
	e->off = opts && (opts->flags & KBS_OPEN_NO_EVENTS);
	e->cap = opts && opts->events_queue ? opts->events_queue : DEFAULT_QUEUE;
	e->retention = opts && opts->events_retention > 0 ? opts->events_retention : 0;
	e->path = kbs_sprintf("%s/events.sqlite", kb->home);
	e->keypath = kbs_sprintf("%s/events.key", kb->home);
	if (!e->path || !e->keypath)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	if (e->retention && !e->off)
		return ensure(e, err);
	return KBS_OK;
}

void kbs_events__pause(kbs_kb *kb, bool paused)
{
	kbs_events *e = kb->events;
	pthread_mutex_lock(&e->mu);
	e->paused = paused;
	pthread_cond_broadcast(&e->wake);
	pthread_cond_broadcast(&e->done);
	pthread_mutex_unlock(&e->mu);
}

void kbs_events__close(kbs_kb *kb)
{
	kbs_events *e = kb->events;
	if (!e)
		return;
	if (atomic_load(&e->ready)) {
		pthread_mutex_lock(&e->mu);
		e->stop = true;
		pthread_cond_signal(&e->wake);
		pthread_mutex_unlock(&e->mu);
		pthread_join(e->thread, NULL);
		/* The writer drained the queue before it stopped. */
		sqlite3_close(e->db);
		free(e->q);
	}
	kbs_events__popular_unref(e->pq);
	pthread_mutex_destroy(&e->pq_mu);
	pthread_mutex_destroy(&e->pq_load);
	kb->suggest_source = NULL;
	kb->suggest_payload = NULL;
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->done);
	pthread_mutex_destroy(&e->mu);
	free(e->path);
	free(e->keypath);
	free(e);
	kb->events = NULL;
}

kbs_status kbs_events__article(kbs_kb *kb, const char *id, const char *const *roles,
			       size_t nroles, bool *visible, char **title, kbs_err *err)
{
	json_t *o = NULL;
	char *body = NULL;
	*title = NULL;
	kbs_status rc = kbs_query__article(kb, id, roles, nroles, &o, &body, visible, err);
	if (rc == KBS_ENOTFOUND || rc == KBS_EIO) {
		/* Gone from the index (or unreadable): its audience is unknown,
		 * so it is named to nobody. */
		*visible = false;
		return KBS_OK;
	}
	if (rc == KBS_OK) {
		const char *t = json_string_value(json_object_get(o, "title"));
		if (t && !(*title = kbs_strdup(t)))
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	json_decref(o);
	free(body);
	return rc;
}
