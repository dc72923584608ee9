/*
 * Indexing sessions: files and host articles in, one Xapian transaction per
 * batch out. The terms each article becomes are described in store.h; this
 * file decides them, so that lib/query can ask for exactly the same ones.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kb.h"
#include "article.h"

/* Bumped whenever the terms an article becomes change: every article then
 * differs from its stored hash and is re-indexed by the next batch. */
#define KBS_INDEX_FORMAT "kbs-index-11"

/* Field weights (wdf) of the ranking terms: Zendesk's title 3, tags 2.8,
 * category 1.5, body 1, rounded to the integers Xapian counts in. */
enum { W_TITLE = 3, W_TAGS = 3, W_CATEGORY = 2, W_BODY = 1 };

/* Xapian refuses terms over 245 bytes; boolean terms carry user labels. */
#define KBS_MAX_TERM_BYTES 240

/* Folder walks stop this deep: a symlink loop or a hostile tree. */
#define KBS_MAX_WALK_DEPTH 32

/* A batch into an empty index loads in bulk (store.h): articles are read,
 * checked and prepared here, in the caller's thread, and analysed and
 * written by worker threads, each building the shard of one run of
 * consecutive articles at a time. Runs start short, so that a small batch
 * still keeps every worker busy, and grow with the batch, since every
 * shard costs index size (compaction keeps each shard's postings of a
 * term as a separate chunk); they stop growing at RUN_MAX because a
 * shard's commits get dearer as it grows (100 000 articles: runs of 8192
 * took 130 s of CPU, of 2048 110 s, for a 2 % larger index). A worker's
 * queue holds a whole run, so the reader can fill one worker's run while
 * the other works through its own: memory stays flat. */
#define RUN_MIN 512
#define RUN_MAX 2048
#define WORKERS_MAX 4

typedef struct ix_job ix_job;

typedef struct ix_worker {
	struct kbs_indexer *ix;
	pthread_t thread;
	pthread_cond_t wake;     /* a job, or the end */
	ix_job *head, *tail;     /* its queue, FIFO */
	size_t queued;
	kbs_text__analyzer *an;  /* its own: analyzers are per thread */
	kbs_store__shard *shard; /* of run shard_run, while open */
	unsigned shard_run;
	kbs_err err;             /* its failure, until the pool takes it */
} ix_worker;

typedef struct ix_pool {
	pthread_mutex_t lock;
	pthread_cond_t room;     /* the reader waits for a queue to shrink */
	ix_worker w[WORKERS_MAX];
	size_t n;
	bool running, stop, failed;
	bool drop;               /* the batch is abandoned: skip the jobs left */
	kbs_status rc;           /* the first failure of a worker */
	kbs_err err;
	unsigned run;            /* run of the next job */
	size_t run_left;         /* jobs still to give to this run */
	uint64_t jobs;           /* given out so far */
} ix_pool;

struct kbs_indexer {
	kbs_kb *kb;
	kbs_store__writer *w;
	kbs_text__analyzer *an;
	bool bulk;    /* loading an empty index through shards */
	bool pool_ok; /* pool.lock and pool.room exist */
	ix_pool pool;
	kbs_err err;
	kbs_index_opts opts;
	char *default_lang;
	kbs_index_summary sum;
	kbs_strmap seen;      /* id -> "FILE:LINE" where this batch first had it */
	kbs_strmap bad_files; /* absolute path -> "" for files with errors */
	kbs_strlist roots;    /* absolute paths given to add_paths (prune) */
	const char *cur_file; /* display path of the file being read */
	const char *cur_abs;  /* its absolute path (the source value) */
	uint64_t bytes_done, bytes_total, file_base;
	bool cancelled, committed;
};

/* ---- diagnostics ---- */

static void report(kbs_indexer *ix, kbs_diag_level level, const char *file, unsigned line,
		   const char *msg)
{
	if (level == KBS_DIAG_ERROR) {
		ix->sum.rejected++;
		if (ix->cur_abs)
			kbs_strmap_set(&ix->bad_files, ix->cur_abs, "");
	} else {
		ix->sum.warnings++;
	}
	if (ix->opts.diag)
		ix->opts.diag(level, file, line, msg, ix->opts.payload);
}

static void sink_diag(kbs_diag_level level, const char *file, unsigned line, const char *msg,
		      void *payload)
{
	report(payload, level, file, line, msg);
}

static void reportf(kbs_indexer *ix, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void reportf(kbs_indexer *ix, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	report(ix, KBS_DIAG_ERROR, file, line, msg);
}

static bool progress(kbs_indexer *ix, uint64_t done)
{
	ix->bytes_done = done;
	if (ix->opts.progress && ix->opts.progress(done, ix->bytes_total, ix->opts.payload))
		ix->cancelled = true;
	return !ix->cancelled;
}

/* ---- article -> document ---- */

typedef struct emit {
	kbs_store__doc *doc;
	unsigned zwdf;     /* weight of the Z terms */
	bool positional;   /* post <term> at pos_base + pos */
	bool title;        /* also S terms */
	bool tag;          /* also XG terms */
	bool exact;        /* also XA terms */
	bool first;        /* the next token is the field's first word */
	unsigned pos_base;
	unsigned npos;     /* positions used */
} emit;

static bool add_prefixed(kbs_store__doc *d, const char *pfx, const char *s, size_t n,
			 unsigned wdf)
{
	char term[KBS_MAX_TERM_BYTES + 8];
	size_t p = strlen(pfx);
	if (p + n >= sizeof term)
		return true; /* cannot happen below KBS_TEXT_MAX_TERM; skip */
	memcpy(term, pfx, p);
	memcpy(term + p, s, n);
	term[p + n] = '\0';
	return wdf ? kbs_store__doc_term(d, term, wdf) : kbs_store__doc_boolean(d, term);
}

/* pfx + the first 1 .. KBS_TITLE_PREFIX_CHARS characters of the word. */
static bool add_beginnings(kbs_store__doc *d, const char *pfx, const char *w, size_t len)
{
	bool ok = true;
	for (size_t k = 1, n = 0; ok && k <= KBS_TITLE_PREFIX_CHARS && n < len; k++) {
		n = kbs_utf8_prefix(w, len, k);
		ok = add_prefixed(d, pfx, w, n, 0);
	}
	return ok;
}

static kbs_status emit_token(const kbs_text__token *t, void *payload)
{
	emit *e = payload;
	bool ok = true;
	if (e->positional)
		ok = kbs_store__doc_posting(e->doc, t->term, e->pos_base + t->pos, 1);
	else
		ok = kbs_store__doc_term(e->doc, t->term, 1);
	if (ok && !(t->flags & KBS_TOK_STOP)) {
		ok = add_prefixed(e->doc, KBS_PFX_STEM, t->stem, t->stem_len, e->zwdf);
		if (ok && e->title)
			ok = add_prefixed(e->doc, KBS_PFX_TITLE, t->stem, t->stem_len, 1);
		/* The stem of the word without its accents too, when it
		 * differs: a query typed without accents finds it (text.h). */
		if (ok && t->stem2)
			ok = add_prefixed(e->doc, KBS_PFX_STEM, t->stem2, t->stem2_len, e->zwdf);
		if (ok && t->stem2 && e->title)
			ok = add_prefixed(e->doc, KBS_PFX_TITLE, t->stem2, t->stem2_len, 1);
		if (ok && e->tag)
			ok = add_prefixed(e->doc, KBS_PFX_TAG_STEM, t->stem, t->stem_len, 1);
		if (ok && t->stem2 && e->tag)
			ok = add_prefixed(e->doc, KBS_PFX_TAG_STEM, t->stem2, t->stem2_len, 1);
	}
	/* Every title word, stop words too: suggestions complete "mot de pa". */
	if (ok && e->title)
		ok = add_prefixed(e->doc, KBS_PFX_TITLE_WORD, t->term, t->term_len, 0);
	if (ok && e->title)
		ok = add_beginnings(e->doc, KBS_PFX_TITLE_PREFIX, t->term, t->term_len);
	if (ok && e->title && e->first)
		ok = add_beginnings(e->doc, KBS_PFX_TITLE_FIRST, t->term, t->term_len);
	e->first = false;
	/* Not for a stop word: a query searches those by the word alone
	 * (plan.c), and "a été" must not meet the accented query "été". */
	if (ok && e->exact && !(t->flags & KBS_TOK_STOP) &&
	    (t->exact_len != t->term_len || memcmp(t->exact, t->term, t->term_len)))
		ok = add_prefixed(e->doc, KBS_PFX_EXACT, t->exact, t->exact_len, 1);
	if (t->pos + 1 > e->npos)
		e->npos = t->pos + 1;
	return ok ? KBS_OK : KBS_ENOMEM;
}

static kbs_status index_text(kbs_text__analyzer *an, emit *e, const char *text, const char *lang,
			     kbs_err *err)
{
	if (!text || !*text)
		return KBS_OK;
	return kbs_text__analyze(an, text, strlen(text), lang, emit_token, e, err);
}

/* An article ready to become a document: everything but the analysis of
 * its text, which is most of the work and may run in another thread. */
struct ix_job {
	ix_job *next;
	unsigned run;         /* bulk: the shard it goes to */
	char *idterm;
	char *data;           /* the document data: JSON line, '\n', body */
	const char *body;     /* in data */
	char *title, *summary, *category, *lang;
	kbs_strlist tags;
	kbs_strlist booleans; /* boolean terms, prefixed */
	char *values[KBS_SLOT_SUGGEST + 1];
};

static void job_free(ix_job *j)
{
	if (!j)
		return;
	free(j->idterm);
	free(j->data);
	free(j->title);
	free(j->summary);
	free(j->category);
	free(j->lang);
	kbs_strlist_free(&j->tags);
	kbs_strlist_free(&j->booleans);
	for (size_t i = 0; i < sizeof j->values / sizeof *j->values; i++)
		free(j->values[i]);
	free(j);
}

/* The boolean term of a folded label. KBS_EINVALID when it does not fit a
 * term (the caller reports it). */
static kbs_status add_label(kbs_indexer *ix, ix_job *j, const char *pfx, const char *label,
			    size_t len)
{
	char *f = kbs_text__fold(label, len);
	if (!f)
		return kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	kbs_status rc = KBS_OK;
	size_t p = strlen(pfx), n = strlen(f);
	if (p + n > KBS_MAX_TERM_BYTES) {
		rc = KBS_EINVALID;
	} else {
		char t[KBS_MAX_TERM_BYTES + 1];
		memcpy(t, pfx, p);
		memcpy(t + p, f, n + 1);
		if (!kbs_strlist_push(&j->booleans, t))
			rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	}
	free(f);
	return rc;
}

static void set_str(json_t *o, const char *key, const char *v)
{
	json_object_set_new(o, key, v ? json_string(v) : json_null());
}

/* The stored document data (see store.h): the article's fields as JSON, in
 * a fixed order so the text is also a canonical fingerprint of the content,
 * then a newline and the body. */
static char *article_data(const kbs_index__article *a)
{
	json_t *o = json_object();
	if (!o)
		return NULL;
	set_str(o, "id", a->id);
	set_str(o, "title", a->title);
	set_str(o, "kind", a->kind);
	set_str(o, "lang", a->lang);
	set_str(o, "category", a->category);
	json_object_set_new(o, "tags", kbs_strlist_json(&a->tags));
	json_object_set_new(o, "audience", kbs_strlist_json(&a->audience));
	json_object_set_new(o, "segments", kbs_strlist_json(&a->segments));
	set_str(o, "updated", a->updated);
	set_str(o, "url", a->url);
	set_str(o, "summary", a->summary);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return NULL;
	/* Not through printf: the body is most of the article. */
	size_t n = strlen(s), b = strlen(a->body);
	char *data = realloc(s, n + 1 + b + 1);
	if (!data) {
		free(s);
		return NULL;
	}
	data[n] = '\n';
	memcpy(data + n + 1, a->body, b + 1);
	return data;
}

/* Fills j from a: copies of the analysed fields, the boolean terms, the
 * values. Takes data and idterm. KBS_EINVALID: a label too long for a term,
 * reported. */
static kbs_status prepare_job(kbs_indexer *ix, const kbs_index__article *a, char *data,
			      char *idterm, const char *hash, ix_job *j)
{
	kbs_status rc = KBS_OK;
	const char *file = a->file ? a->file : "<api>";
	kbs_buf facets = { 0 };

	j->data = data;
	j->idterm = idterm;
	j->body = strchr(data, '\n') + 1;
	j->title = kbs_strdup(a->title);
	j->summary = kbs_strdup(a->summary);
	j->category = kbs_strdup(a->category);
	j->lang = kbs_strdup(a->lang);
	if (!j->title || !j->lang || (a->summary && !j->summary) || (a->category && !j->category))
		goto nomem;
	for (size_t i = 0; i < a->tags.n; i++) {
		if (!kbs_strlist_push(&j->tags, a->tags.v[i]))
			goto nomem;
		if ((rc = add_label(ix, j, KBS_PFX_TAG, a->tags.v[i], strlen(a->tags.v[i]))) != KBS_OK)
			goto bad_label;
		kbs_buf_addf(&facets, "t:%s\n", a->tags.v[i]);
	}
	if (a->category) {
		/* Every level, so that a filter on "Compte" is one term lookup
		 * that also finds "Compte/Connexion". */
		for (const char *s = a->category;; s++) {
			if (*s == '/' || *s == '\0') {
				size_t n = (size_t)(s - a->category);
				if ((rc = add_label(ix, j, KBS_PFX_CATEGORY, a->category, n)) != KBS_OK)
					goto bad_label;
				kbs_buf_addf(&facets, "c:%.*s\n", (int)n, a->category);
				if (*s == '\0')
					break;
			}
		}
	}
	for (size_t i = 0; i < a->audience.n; i++)
		if ((rc = add_label(ix, j, KBS_PFX_ROLE, a->audience.v[i], strlen(a->audience.v[i]))) != KBS_OK)
			goto bad_label;
	bool open = false;
	for (size_t i = 0; i < a->audience.n && !open; i++)
		open = kbs_kb__same_label(a->audience.v[i], "public");
	if (!open && !kbs_strlist_push(&j->booleans, KBS_TERM_RESTRICTED))
		goto nomem;
	for (size_t i = 0; i < a->segments.n; i++)
		if ((rc = add_label(ix, j, KBS_PFX_SEGMENT, a->segments.v[i], strlen(a->segments.v[i]))) != KBS_OK)
			goto bad_label;
	if ((rc = add_label(ix, j, KBS_PFX_LANG, a->lang, strlen(a->lang))) != KBS_OK ||
	    (rc = add_label(ix, j, KBS_PFX_KIND, a->kind, strlen(a->kind))) != KBS_OK)
		goto bad_label;

	j->values[KBS_SLOT_SUGGEST] = kbs_sprintf("%s\t%s", a->id, a->title);
	j->values[KBS_SLOT_HASH] = kbs_strdup(hash);
	j->values[KBS_SLOT_UPDATED] = kbs_strdup(a->updated ? a->updated : "");
	j->values[KBS_SLOT_SOURCE] = kbs_strdup(ix->cur_abs ? ix->cur_abs : "");
	j->values[KBS_SLOT_FACETS] = facets.oom ? NULL : kbs_strdup(facets.data ? facets.data : "");
	for (size_t i = 0; i < sizeof j->values / sizeof *j->values; i++)
		if (!j->values[i])
			goto nomem;
	rc = KBS_OK;
	goto cleanup;
nomem:
	rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	goto cleanup;
bad_label:
	if (rc == KBS_EINVALID)
		reportf(ix, file, a->line, "article '%s': a category, tag, role or segment is longer "
			"than %d bytes", a->id, KBS_MAX_TERM_BYTES - 3);
cleanup:
	kbs_buf_free(&facets);
	return rc;
}

/* Makes the document of j: one analysis per text field, each token giving
 * every term family at once (emit_token). Any thread, with its analyzer. */
static kbs_status fill_doc(kbs_text__analyzer *an, const ix_job *j, kbs_store__doc *d,
			   kbs_err *err)
{
	kbs_status rc;
	emit title = { .doc = d, .zwdf = W_TITLE, .positional = true, .title = true, .exact = true,
		       .first = true };
	if ((rc = index_text(an, &title, j->title, j->lang, err)) != KBS_OK)
		return rc;
	emit body = { .doc = d, .zwdf = W_BODY, .positional = true, .exact = true,
		      .pos_base = title.npos + KBS_BODY_POS_BASE };
	if ((rc = index_text(an, &body, j->body, j->lang, err)) != KBS_OK)
		return rc;
	emit summary = { .doc = d, .zwdf = W_BODY };
	if ((rc = index_text(an, &summary, j->summary, j->lang, err)) != KBS_OK)
		return rc;
	emit tags = { .doc = d, .zwdf = W_TAGS, .tag = true };
	for (size_t i = 0; i < j->tags.n; i++)
		if ((rc = index_text(an, &tags, j->tags.v[i], j->lang, err)) != KBS_OK)
			return rc;
	emit cat = { .doc = d, .zwdf = W_CATEGORY };
	if ((rc = index_text(an, &cat, j->category, j->lang, err)) != KBS_OK)
		return rc;
	for (size_t i = 0; i < j->booleans.n; i++)
		if (!kbs_store__doc_boolean(d, j->booleans.v[i]))
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	for (unsigned slot = 0; slot < sizeof j->values / sizeof *j->values; slot++)
		if (!kbs_store__doc_value(d, slot, j->values[slot], strlen(j->values[slot])))
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	if (!kbs_store__doc_data(d, j->data, strlen(j->data)))
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return KBS_OK;
}

/* ---- bulk workers ---- */

/* Adds j to its run's shard, opening the shard at the run's first job. */
static kbs_status work(ix_worker *wk, const ix_job *j)
{
	kbs_status rc;
	if (wk->shard && wk->shard_run != j->run) {
		rc = kbs_store__shard_close(wk->shard, &wk->err);
		kbs_store__shard_free(wk->shard);
		wk->shard = NULL;
		if (rc != KBS_OK)
			return rc;
	}
	if (!wk->shard) {
		if ((rc = kbs_store__shard_new(&wk->shard, wk->ix->w, j->run, &wk->err)) != KBS_OK)
			return rc;
		wk->shard_run = j->run;
	}
	kbs_store__doc *d = kbs_store__doc_new();
	if (!d)
		return kbs_err__set(&wk->err, KBS_ENOMEM, "out of memory");
	if ((rc = fill_doc(wk->an, j, d, &wk->err)) == KBS_OK)
		rc = kbs_store__shard_add(wk->shard, j->idterm, d, &wk->err);
	kbs_store__doc_free(d);
	return rc;
}

/* Takes the first failure of a worker for the pool (lock held). */
static void note_failure(ix_pool *p, ix_worker *wk, kbs_status rc)
{
	if (!p->failed) {
		p->failed = true;
		p->rc = rc;
		p->err = wk->err;
	}
}

static void *worker_main(void *arg)
{
	ix_worker *wk = arg;
	ix_pool *p = &wk->ix->pool;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (!wk->head && !p->stop)
			pthread_cond_wait(&wk->wake, &p->lock);
		ix_job *j = wk->head;
		if (!j)
			break;
		wk->head = j->next;
		if (!wk->head)
			wk->tail = NULL;
		wk->queued--;
		pthread_cond_signal(&p->room);
		/* After a failure the batch will not commit: drop the rest. */
		bool skip = p->failed || p->drop;
		pthread_mutex_unlock(&p->lock);
		kbs_status rc = skip ? KBS_OK : work(wk, j);
		job_free(j);
		pthread_mutex_lock(&p->lock);
		if (rc != KBS_OK)
			note_failure(p, wk, rc);
	}
	bool keep = !p->failed && !p->drop;
	pthread_mutex_unlock(&p->lock);
	if (wk->shard) {
		kbs_status rc = keep ? kbs_store__shard_close(wk->shard, &wk->err) : KBS_OK;
		kbs_store__shard_free(wk->shard);
		wk->shard = NULL;
		if (rc != KBS_OK) {
			pthread_mutex_lock(&p->lock);
			note_failure(p, wk, rc);
			pthread_mutex_unlock(&p->lock);
		}
	}
	return NULL;
}

/* Stops the workers once their queues are done (abandon: drops the jobs
 * left) and joins them. Their shards are then closed. */
static void pool_stop(kbs_indexer *ix, bool abandon)
{
	ix_pool *p = &ix->pool;
	if (!p->running)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	p->drop = p->drop || abandon;
	for (size_t i = 0; i < p->n; i++)
		pthread_cond_signal(&p->w[i].wake);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->n; i++) {
		pthread_join(p->w[i].thread, NULL);
		pthread_cond_destroy(&p->w[i].wake);
	}
	p->running = p->stop = false;
	/* Jobs given after this go to new runs: closed shards stay closed. */
	p->run_left = 0;
}

static kbs_status pool_start(kbs_indexer *ix)
{
	ix_pool *p = &ix->pool;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	p->n = cpus < 1 ? 1 : cpus > WORKERS_MAX ? WORKERS_MAX : (size_t)cpus;
	for (size_t i = 0; i < p->n; i++) {
		ix_worker *wk = &p->w[i];
		wk->ix = ix;
		kbs_status rc;
		if (!wk->an && (rc = kbs_text__analyzer_new(&wk->an, &ix->err)) != KBS_OK)
			return rc;
	}
	for (size_t i = 0; i < p->n; i++) {
		ix_worker *wk = &p->w[i];
		pthread_cond_init(&wk->wake, NULL);
		int e = pthread_create(&wk->thread, NULL, worker_main, wk);
		if (e != 0) {
			pthread_cond_destroy(&wk->wake);
			p->n = i;
			p->running = i > 0;
			pool_stop(ix, true);
			p->failed = true;
			p->rc = kbs_err__set(&p->err, KBS_ERROR, "cannot start a thread: %s",
					     strerror(e));
			return kbs_err__set(&ix->err, p->rc, "%s", p->err.msg);
		}
	}
	p->running = true;
	return KBS_OK;
}

/* Hands j over to the worker of its run (blocks while that queue holds a
 * whole run). Takes j in every case. */
static kbs_status pool_give(kbs_indexer *ix, ix_job *j)
{
	ix_pool *p = &ix->pool;
	kbs_status rc = KBS_OK;
	if (!p->running && (rc = pool_start(ix)) != KBS_OK) {
		job_free(j);
		return rc;
	}
	if (p->run_left == 0) {
		p->run_left = (size_t)(p->jobs / 2);
		p->run_left = p->run_left < RUN_MIN ? RUN_MIN : p->run_left > RUN_MAX ? RUN_MAX : p->run_left;
		if (p->jobs)
			p->run++;
	}
	p->run_left--;
	p->jobs++;
	j->run = p->run;
	ix_worker *wk = &p->w[p->run % p->n];
	pthread_mutex_lock(&p->lock);
	while (wk->queued >= RUN_MAX && !p->failed)
		pthread_cond_wait(&p->room, &p->lock);
	if (p->failed) {
		rc = kbs_err__set(&ix->err, p->rc, "%s", p->err.msg);
		pthread_mutex_unlock(&p->lock);
		job_free(j);
		return rc;
	}
	if (wk->tail)
		wk->tail->next = j;
	else
		wk->head = j;
	wk->tail = j;
	wk->queued++;
	pthread_cond_signal(&wk->wake);
	pthread_mutex_unlock(&p->lock);
	return KBS_OK;
}

/* Waits for every job given so far to be in a closed shard. */
static kbs_status pool_finish(kbs_indexer *ix)
{
	ix_pool *p = &ix->pool;
	pool_stop(ix, false);
	if (p->failed)
		return kbs_err__set(&ix->err, p->rc, "%s", p->err.msg);
	return KBS_OK;
}

/* Adds one validated article to the batch. Returns an error only when the
 * batch cannot go on (memory, disk); a bad article is reported and skipped. */
static kbs_status add_article(kbs_indexer *ix, const kbs_index__article *a)
{
	kbs_status rc = KBS_OK;
	const char *file = a->file ? a->file : "<api>";
	char *data = NULL, *idterm = NULL, *old = NULL;
	ix_job *j = NULL;
	kbs_store__doc *d = NULL;
	char hash[64], where[PATH_MAX + 32];

	const char *first = kbs_strmap_get(&ix->seen, a->id);
	if (first) {
		reportf(ix, file, a->line, "duplicate id '%s' (first at %s)", a->id, first);
		goto cleanup;
	}
	snprintf(where, sizeof where, "%s:%u", file, a->line);
	if (!kbs_strmap_set(&ix->seen, a->id, where)) {
		rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if (ix->opts.strict && ix->sum.rejected)
		goto cleanup; /* nothing will be committed: spare the work */

	data = article_data(a);
	idterm = kbs_sprintf(KBS_PFX_ID "%s", a->id);
	if (!data || !idterm) {
		rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	const char *source = ix->cur_abs ? ix->cur_abs : "";
	uint64_t h = kbs_hash64(data, strlen(data), 0);
	h = kbs_hash64(source, strlen(source), h);
	h = kbs_hash64(KBS_INDEX_FORMAT, strlen(KBS_INDEX_FORMAT), h);
	snprintf(hash, sizeof hash, "%016llx", (unsigned long long)h);

	/* In bulk the index is empty: nothing to compare with. */
	if (!ix->bulk &&
	    (rc = kbs_store__writer_value(ix->w, idterm, KBS_SLOT_HASH, &old, &ix->err)) != KBS_OK)
		goto cleanup;
	if (old && strcmp(old, hash) == 0) {
		ix->sum.unchanged++;
		goto cleanup;
	}
	if (!(j = calloc(1, sizeof *j))) {
		rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	rc = prepare_job(ix, a, data, idterm, hash, j);
	data = idterm = NULL; /* the job's now */
	if (rc == KBS_EINVALID) { /* reported */
		rc = KBS_OK;
		goto cleanup;
	}
	if (rc != KBS_OK)
		goto cleanup;
	if (ix->bulk) {
		rc = pool_give(ix, j);
		j = NULL;
		if (rc == KBS_OK)
			ix->sum.added++;
		goto cleanup;
	}
	d = kbs_store__doc_new();
	if (!d) {
		rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = fill_doc(ix->an, j, d, &ix->err)) != KBS_OK)
		goto cleanup;
	bool existed = false;
	if ((rc = kbs_store__writer_replace(ix->w, j->idterm, d, &existed, &ix->err)) != KBS_OK)
		goto cleanup;
	if (existed)
		ix->sum.updated++;
	else
		ix->sum.added++;
cleanup:
	kbs_store__doc_free(d);
	job_free(j);
	free(data);
	free(idterm);
	free(old);
	return rc;
}

static kbs_status sink_article(kbs_index__article *a, void *payload)
{
	kbs_indexer *ix = payload;
	if (ix->cancelled)
		return kbs_err__set(&ix->err, KBS_ERROR, "indexing cancelled");
	return add_article(ix, a);
}

static void jsonl_done(uint64_t bytes, void *payload)
{
	kbs_indexer *ix = payload;
	progress(ix, ix->file_base + bytes);
}

/* ---- files ---- */

typedef struct file_entry {
	char *shown; /* as the user can find it: their path joined with names */
	char *abs;
	uint64_t size;
} file_entry;

typedef struct file_list {
	file_entry *v;
	size_t n, cap;
	/* Real paths already listed ("f:...") or walked ("d:..."): a file named
	 * twice, or reached again through a symlink, is read once, so its
	 * articles do not clash with themselves as duplicate ids. */
	kbs_strmap seen;
} file_list;

static void file_list_free(file_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].shown);
		free(l->v[i].abs);
	}
	free(l->v);
	kbs_strmap_free(&l->seen);
}

/* Marks kind+path seen; *again says it already was. */
static kbs_status mark_seen(kbs_indexer *ix, file_list *l, char kind, const char *abs, bool *again)
{
	char *key = kbs_sprintf("%c:%s", kind, abs);
	if (!key)
		return kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	*again = kbs_strmap_get(&l->seen, key) != NULL;
	bool ok = *again || kbs_strmap_set(&l->seen, key, "");
	free(key);
	return ok ? KBS_OK : kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
}

static bool has_ext(const char *name, const char *ext)
{
	size_t n = strlen(name), e = strlen(ext);
	return n > e && strcmp(name + n - e, ext) == 0;
}

static bool is_article_file(const char *name)
{
	return has_ext(name, ".md") || has_ext(name, ".markdown") || has_ext(name, ".jsonl");
}

static kbs_status list_push(kbs_indexer *ix, file_list *l, const char *shown, uint64_t size)
{
	if (!kbs_grow(&l->v, &l->cap, l->n, sizeof *l->v, 32))
		return kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	char *abs = realpath(shown, NULL);
	char *s = kbs_strdup(shown);
	bool again = false;
	kbs_status rc = KBS_OK;
	if (!abs || !s)
		rc = kbs_err__set(&ix->err, abs ? KBS_ENOMEM : KBS_EIO, "%s: %s", shown,
				  abs ? "out of memory" : strerror(errno));
	else
		rc = mark_seen(ix, l, 'f', abs, &again);
	if (rc != KBS_OK || again) {
		free(abs);
		free(s);
		return rc;
	}
	l->v[l->n++] = (file_entry){ s, abs, size };
	return KBS_OK;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Collects article files under dir, in name order so batches are
 * reproducible. Hidden files and folders are skipped. */
static kbs_status walk(kbs_indexer *ix, file_list *l, const char *dir, int depth)
{
	kbs_status rc = KBS_OK;
	kbs_strlist names = { 0 };
	DIR *d = NULL;

	if (depth > KBS_MAX_WALK_DEPTH) {
		reportf(ix, dir, 0, "folders nested deeper than %d levels are not read",
			KBS_MAX_WALK_DEPTH);
		goto cleanup;
	}
	char *abs = realpath(dir, NULL);
	bool again = false;
	if (!abs) {
		rc = kbs_err__set(&ix->err, KBS_EIO, "cannot read folder %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	rc = mark_seen(ix, l, 'd', abs, &again);
	free(abs);
	if (rc != KBS_OK || again)
		goto cleanup;
	d = opendir(dir);
	if (!d) {
		rc = kbs_err__set(&ix->err, KBS_EIO, "cannot read folder %s: %s", dir, strerror(errno));
		goto cleanup;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (!kbs_strlist_push(&names, e->d_name)) {
			rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	qsort(names.v, names.n, sizeof *names.v, cmp_names);
	for (size_t i = 0; i < names.n && rc == KBS_OK; i++) {
		char *p = kbs_sprintf("%s%s%s", dir, has_ext(dir, "/") ? "" : "/", names.v[i]);
		struct stat st;
		if (!p) {
			rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		} else if (stat(p, &st) != 0) {
			if (is_article_file(names.v[i])) /* a dangling link, say */
				reportf(ix, p, 0, "cannot read: %s", strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = walk(ix, l, p, depth + 1);
		} else if (S_ISREG(st.st_mode) && is_article_file(names.v[i])) {
			rc = list_push(ix, l, p, (uint64_t)st.st_size);
		}
		free(p);
	}
cleanup:
	if (d)
		closedir(d);
	kbs_strlist_free(&names);
	return rc;
}

static kbs_status read_markdown(kbs_indexer *ix, const file_entry *f, const kbs_index__sink *sink)
{
	kbs_status rc = KBS_OK;
	char *data = NULL;
	FILE *in = NULL;

	/* Refused before reading it whole; the parser says the same of a file
	 * that grew meanwhile. */
	if (f->size > KBS_INDEX_MAX_FILE_BYTES) {
		reportf(ix, f->shown, 1, "file is larger than %zu bytes", KBS_INDEX_MAX_FILE_BYTES);
		goto cleanup;
	}
	in = fopen(f->shown, "rb");
	data = malloc((size_t)f->size + 1);
	if (!in || !data) {
		rc = in ? kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory")
			: kbs_err__set(&ix->err, KBS_EIO, "cannot open %s: %s", f->shown, strerror(errno));
		goto cleanup;
	}
	size_t n = fread(data, 1, (size_t)f->size, in);
	if (ferror(in)) {
		rc = kbs_err__set(&ix->err, KBS_EIO, "cannot read %s: %s", f->shown, strerror(errno));
		goto cleanup;
	}
	data[n] = '\0';
	rc = kbs_index__parse_markdown(f->shown, data, n, sink);
cleanup:
	if (in)
		fclose(in);
	free(data);
	return rc;
}

/* ---- public API ---- */

kbs_status kbs_index_opts_init(kbs_index_opts *opts, unsigned version)
{
	if (!opts || version != KBS_INDEX_OPTS_VERSION)
		return KBS_EINVALID;
	kbs_index_opts d = KBS_INDEX_OPTS_INIT;
	*opts = d;
	return KBS_OK;
}

void kbs_indexer_free(kbs_indexer *ix)
{
	if (!ix)
		return;
	if (ix->pool_ok) {
		pool_stop(ix, true);
		for (size_t i = 0; i < WORKERS_MAX; i++)
			kbs_text__analyzer_free(ix->pool.w[i].an);
		pthread_cond_destroy(&ix->pool.room);
		pthread_mutex_destroy(&ix->pool.lock);
	}
	kbs_store__writer_free(ix->w);
	kbs_text__analyzer_free(ix->an);
	if (ix->kb)
		kbs_kb__release_indexer(ix->kb);
	kbs_strmap_free(&ix->seen);
	kbs_strmap_free(&ix->bad_files);
	kbs_strlist_free(&ix->roots);
	free(ix->default_lang);
	free(ix);
}

kbs_status kbs_indexer_new(kbs_indexer **out, kbs_kb *kb, const kbs_index_opts *opts)
{
	kbs_status rc = KBS_OK;
	kbs_indexer *ix = NULL;
	kbs_err *err = kbs_kb__begin(kb);

	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_indexer_new needs out and kb");
	if (opts && opts->version != KBS_INDEX_OPTS_VERSION)
		return kbs_err__set(err, KBS_EINVALID, "unknown kbs_index_opts version %u",
				    opts->version);
	const char *lang = opts && opts->default_lang ? opts->default_lang : "en";
	if (strlen(lang) != 2 || lang[0] < 'a' || lang[0] > 'z' || lang[1] < 'a' || lang[1] > 'z')
		return kbs_err__set(err, KBS_EINVALID,
				    "default language '%s' is not an ISO 639-1 code (e.g. fr)", lang);
	if ((rc = kbs_kb__claim_indexer(kb, err)) != KBS_OK)
		return rc;
	ix = calloc(1, sizeof *ix);
	if (!ix) {
		kbs_kb__release_indexer(kb);
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	ix->kb = kb;
	if (opts)
		ix->opts = *opts;
	else
		kbs_index_opts_init(&ix->opts, KBS_INDEX_OPTS_VERSION);
	ix->default_lang = kbs_strdup(lang);
	ix->opts.default_lang = ix->default_lang;
	if (!ix->default_lang) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = kbs_store__writer_open(&ix->w, kb->index_dir, false, err)) != KBS_OK)
		goto cleanup;
	if ((rc = kbs_text__analyzer_new(&ix->an, err)) != KBS_OK)
		goto cleanup;
	if (kbs_store__writer_is_empty(ix->w)) {
		if (pthread_mutex_init(&ix->pool.lock, NULL) != 0) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		if (pthread_cond_init(&ix->pool.room, NULL) != 0) {
			pthread_mutex_destroy(&ix->pool.lock);
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		ix->pool_ok = true;
		if ((rc = kbs_store__writer_bulk_begin(ix->w, err)) != KBS_OK)
			goto cleanup;
		ix->bulk = true;
	}
	*out = ix;
	ix = NULL;
cleanup:
	kbs_indexer_free(ix);
	return rc;
}

const char *kbs_indexer_errmsg(const kbs_indexer *ix)
{
	return ix ? ix->err.msg : "";
}

static kbs_index__sink make_sink(kbs_indexer *ix)
{
	return (kbs_index__sink){ .article = sink_article, .diag = sink_diag, .payload = ix,
				  .default_lang = ix->default_lang };
}

kbs_status kbs_indexer_add_paths(kbs_indexer *ix, const char *const *paths, size_t npaths)
{
	kbs_status rc = KBS_OK;
	file_list files = { 0 };

	if (!ix)
		return KBS_EINVALID;
	kbs_err__clear(&ix->err);
	if (ix->committed)
		return kbs_err__set(&ix->err, KBS_EINVALID, "this batch was already committed");
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;
		if (!paths[i] || stat(paths[i], &st) != 0) {
			rc = kbs_err__set(&ix->err, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO,
					  "%s: %s", paths[i] ? paths[i] : "(null)", strerror(errno));
			goto cleanup;
		}
		char *abs = realpath(paths[i], NULL);
		if (!abs || !kbs_strlist_push(&ix->roots, abs)) {
			free(abs);
			rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		free(abs);
		if (S_ISDIR(st.st_mode)) {
			rc = walk(ix, &files, paths[i], 0);
		} else if (!is_article_file(paths[i])) {
			rc = kbs_err__set(&ix->err, KBS_EINVALID,
					  "%s: not an article file (expected .md, .markdown or .jsonl)",
					  paths[i]);
		} else {
			rc = list_push(ix, &files, paths[i], (uint64_t)st.st_size);
		}
		if (rc != KBS_OK)
			goto cleanup;
	}
	for (size_t i = 0; i < files.n; i++)
		ix->bytes_total += files.v[i].size;

	kbs_index__sink sink = make_sink(ix);
	for (size_t i = 0; i < files.n && rc == KBS_OK; i++) {
		const file_entry *f = &files.v[i];
		ix->cur_file = f->shown;
		ix->cur_abs = f->abs;
		ix->file_base = ix->bytes_done;
		if (has_ext(f->shown, ".jsonl")) {
			FILE *in = fopen(f->shown, "rb");
			if (!in) {
				rc = kbs_err__set(&ix->err, KBS_EIO, "cannot open %s: %s", f->shown,
						  strerror(errno));
				break;
			}
			rc = kbs_index__parse_jsonl(f->shown, in, &sink, jsonl_done);
			fclose(in);
		} else {
			rc = read_markdown(ix, f, &sink);
		}
		if (rc == KBS_OK && !progress(ix, ix->file_base + f->size))
			rc = kbs_err__set(&ix->err, KBS_ERROR, "indexing cancelled");
	}
	ix->cur_file = ix->cur_abs = NULL;
cleanup:
	file_list_free(&files);
	return rc;
}

/* Copies a host article into the internal model (strings owned). */
static kbs_status copy_list(kbs_strlist *l, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] && !kbs_strlist_push(l, v[i]))
			return KBS_ENOMEM;
	return KBS_OK;
}

kbs_status kbs_indexer_add(kbs_indexer *ix, const kbs_article *in)
{
	kbs_status rc = KBS_OK;
	kbs_index__article a = { 0 };

	if (!ix)
		return KBS_EINVALID;
	kbs_err__clear(&ix->err);
	if (ix->committed)
		return kbs_err__set(&ix->err, KBS_EINVALID, "this batch was already committed");
	if (!in || in->version != KBS_ARTICLE_VERSION)
		return kbs_err__set(&ix->err, KBS_EINVALID, "kbs_article: NULL or unknown version");
	const char *strs[] = { in->id, in->title, in->body, in->kind, in->lang,
			       in->category, in->updated, in->url, in->summary };
	char **dst[] = { &a.id, &a.title, &a.body, &a.kind, &a.lang,
			 &a.category, &a.updated, &a.url, &a.summary };
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++) {
		if (strs[i] && !(*dst[i] = kbs_strdup(strs[i]))) {
			rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	if (copy_list(&a.tags, in->tags, in->ntags) != KBS_OK ||
	    copy_list(&a.audience, in->audience, in->naudience) != KBS_OK ||
	    copy_list(&a.segments, in->segments, in->nsegments) != KBS_OK) {
		rc = kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	a.file = "<api>";
	a.line = 0;
	kbs_index__sink sink = make_sink(ix);
	rc = kbs_index__validate(&a, in->body_is_markdown != 0, &sink);
	if (rc == KBS_EINVALID)
		kbs_err__set(&ix->err, rc, "article '%s' is invalid (see diagnostics)", in->id ? in->id : "");
	else if (rc != KBS_OK)
		kbs_err__set(&ix->err, rc, "%s", rc == KBS_ENOMEM ? "out of memory" : kbs_status_str(rc));
	if (rc != KBS_OK)
		goto cleanup;
	uint64_t rejected = ix->sum.rejected;
	rc = add_article(ix, &a);
	if (rc == KBS_OK && ix->sum.rejected != rejected)
		rc = kbs_err__set(&ix->err, KBS_EINVALID, "article '%s' was rejected (see diagnostics)",
				  a.id);
cleanup:
	kbs_index__article_free(&a);
	return rc;
}

kbs_status kbs_indexer_delete(kbs_indexer *ix, const char *id)
{
	if (!ix)
		return KBS_EINVALID;
	kbs_err__clear(&ix->err);
	if (ix->committed)
		return kbs_err__set(&ix->err, KBS_EINVALID, "this batch was already committed");
	if (!id || !*id || strlen(id) > KBS_MAX_ID_BYTES)
		return kbs_err__set(&ix->err, KBS_EINVALID, "invalid article id");
	char *idterm = kbs_sprintf(KBS_PFX_ID "%s", id);
	if (!idterm)
		return kbs_err__set(&ix->err, KBS_ENOMEM, "out of memory");
	bool existed = false;
	kbs_status rc;
	/* In bulk, only this batch's shards can have it. Rare enough to wait
	 * for the workers to close them. */
	if (!ix->bulk)
		rc = kbs_store__writer_delete(ix->w, idterm, &existed, &ix->err);
	else if ((rc = pool_finish(ix)) == KBS_OK)
		rc = kbs_store__writer_bulk_delete(ix->w, idterm, &existed, &ix->err);
	free(idterm);
	if (rc != KBS_OK)
		return rc;
	if (!existed)
		return kbs_err__set(&ix->err, KBS_ENOTFOUND, "no article with id '%s'", id);
	ix->sum.removed++;
	return KBS_OK;
}

static bool under_root(const kbs_indexer *ix, const char *source)
{
	for (size_t i = 0; i < ix->roots.n; i++) {
		size_t n = strlen(ix->roots.v[i]);
		if (strncmp(source, ix->roots.v[i], n) == 0 && (source[n] == '\0' || source[n] == '/'))
			return true;
	}
	return false;
}

static kbs_status prune_one(const char *idterm, const char *source, void *payload)
{
	kbs_indexer *ix = payload;
	const char *id = idterm + strlen(KBS_PFX_ID);
	if (!*source || !under_root(ix, source) || kbs_strmap_get(&ix->seen, id) ||
	    kbs_strmap_get(&ix->bad_files, source))
		return KBS_OK;
	bool existed = false;
	kbs_status rc = kbs_store__writer_delete(ix->w, idterm, &existed, &ix->err);
	if (rc == KBS_OK && existed)
		ix->sum.removed++;
	return rc;
}

kbs_status kbs_indexer_commit(kbs_indexer *ix, kbs_index_summary *summary)
{
	kbs_status rc = KBS_OK;
	if (summary)
		memset(summary, 0, sizeof *summary);
	if (!ix)
		return KBS_EINVALID;
	kbs_err__clear(&ix->err);
	if (ix->committed)
		return kbs_err__set(&ix->err, KBS_EINVALID, "this batch was already committed");
	ix->committed = true;
	if (ix->opts.strict && ix->sum.rejected) {
		rc = kbs_err__set(&ix->err, KBS_EINVALID,
				  "%llu article(s) rejected; strict mode: nothing was committed",
				  (unsigned long long)ix->sum.rejected);
		goto cleanup;
	}
	if (ix->cancelled) {
		rc = kbs_err__set(&ix->err, KBS_ERROR, "indexing cancelled; nothing was committed");
		goto cleanup;
	}
	/* In bulk the index was empty: nothing to prune. */
	if (ix->bulk && (rc = pool_finish(ix)) != KBS_OK)
		goto cleanup;
	if (!ix->bulk && ix->opts.prune && ix->roots.n &&
	    (rc = kbs_store__writer_each(ix->w, KBS_SLOT_SOURCE, prune_one, ix, &ix->err)) != KBS_OK)
		goto cleanup;
	rc = kbs_store__writer_commit(ix->w, &ix->err);
cleanup:
	if (rc != KBS_OK) /* what the summary reports is what was committed */
		ix->sum.added = ix->sum.updated = ix->sum.removed = ix->sum.unchanged = 0;
	if (summary)
		*summary = ix->sum;
	/* Release the lock now: the batch is over either way (the workers
	 * first: they write beside the index). */
	pool_stop(ix, true);
	kbs_store__writer_free(ix->w);
	ix->w = NULL;
	return rc;
}
