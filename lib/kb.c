#include "kb.h"
#include "events/events.h"
#include "query/synonyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One message slot per thread, tagged with the handle it belongs to: a
 * thread reading kbs_errmsg(kb) after its own failed call gets that call's
 * text, never another thread's, and a slot of another handle reads as "". */
static _Thread_local kbs_err tls_err;
static _Thread_local const kbs_kb *tls_kb;

/* Idle contexts kept for reuse; more than this are freed on return. */
#define KBS_POOL_MAX 16

const char *kbs_status_str(kbs_status status)
{
	switch (status) {
	case KBS_OK:
		return "ok";
	case KBS_STOP:
		return "stopped";
	case KBS_ERROR:
		return "error";
	case KBS_ENOTFOUND:
		return "not found";
	case KBS_EINVALID:
		return "invalid input";
	case KBS_ESYNTAX:
		return "query syntax error";
	case KBS_ELOCKED:
		return "locked by another writer";
	case KBS_ERETRY:
		return "index changed, retry";
	case KBS_ENOMEM:
		return "out of memory";
	case KBS_EIO:
		return "input/output error";
	case KBS_ITEROVER:
		return "end of iteration";
	}
	return "unknown status";
}

const char *kbs_version(void)
{
	return "0.1.0";
}

void kbs_string_free(char *s)
{
	free(s);
}

kbs_err *kbs_kb__begin(const kbs_kb *kb)
{
	tls_kb = kb;
	tls_err.msg[0] = '\0';
	return &tls_err;
}

const char *kbs_errmsg(const kbs_kb *kb)
{
	return kb && tls_kb == kb ? tls_err.msg : "";
}

kbs_status kbs_open_opts_init(kbs_open_opts *opts, unsigned version)
{
	if (!opts || version != KBS_OPEN_OPTS_VERSION)
		return KBS_EINVALID;
	kbs_open_opts d = KBS_OPEN_OPTS_INIT;
	*opts = d;
	return KBS_OK;
}

static kbs_status mkdir_p(const char *path, kbs_err *err)
{
	char *p = kbs_strdup(path);
	if (!p)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	kbs_status rc = KBS_OK;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, 0777) != 0 && errno != EEXIST) {
				rc = kbs_err__set(err, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO,
						  "cannot create directory %s: %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

static void ctx_free(kbs_ctx *c)
{
	if (!c)
		return;
	kbs_store__reader_free(c->reader);
	kbs_text__analyzer_free(c->an);
	free(c);
}

kbs_status kbs_open(kbs_kb **out, const char *path, const kbs_open_opts *opts, char **errmsg)
{
	kbs_err err = { { 0 } };
	kbs_status rc = KBS_OK;
	kbs_kb *kb = NULL;
	kbs_ctx *probe = NULL;
	struct stat st;

	if (out)
		*out = NULL;
	if (errmsg)
		*errmsg = NULL;
	if (!out || !path || !*path) {
		rc = kbs_err__set(&err, KBS_EINVALID, "kbs_open needs an out pointer and a path");
		goto cleanup;
	}
	if (opts && opts->version != KBS_OPEN_OPTS_VERSION) {
		rc = kbs_err__set(&err, KBS_EINVALID, "unknown kbs_open_opts version %u", opts->version);
		goto cleanup;
	}
	bool create = opts && (opts->flags & KBS_OPEN_CREATE);

	kb = calloc(1, sizeof *kb);
	if (!kb) {
		rc = kbs_err__set(&err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	pthread_mutex_init(&kb->lock, NULL);
	kb->home = kbs_strdup(path);
	kb->index_dir = kbs_sprintf("%s/index", path);
	kb->store = kbs_store__shared_new();
	if (!kb->home || !kb->index_dir || !kb->store) {
		rc = kbs_err__set(&err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}

	if (stat(path, &st) != 0) {
		if (errno != ENOENT || !create) {
			rc = kbs_err__set(&err, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO,
					  "no knowledge base at %s: %s", path, strerror(errno));
			goto cleanup;
		}
		if ((rc = mkdir_p(path, &err)) != KBS_OK)
			goto cleanup;
	} else if (!S_ISDIR(st.st_mode)) {
		rc = kbs_err__set(&err, KBS_EIO, "%s is not a directory", path);
		goto cleanup;
	}

	if (stat(kb->index_dir, &st) != 0) {
		if (!create) {
			rc = kbs_err__set(&err, KBS_ENOTFOUND,
					  "no knowledge base at %s (it has no index yet)", path);
			goto cleanup;
		}
		kbs_store__writer *w = NULL;
		if ((rc = kbs_store__writer_open(&w, kb->index_dir, true, &err)) != KBS_OK)
			goto cleanup;
		kbs_store__writer_free(w);
	}

	/* Open one context now, so a damaged index fails here and not at the
	 * first search. */
	if ((rc = kbs_kb__ctx_get(kb, &probe, &err)) != KBS_OK)
		goto cleanup;
	kbs_kb__ctx_put(kb, probe);
	probe = NULL;
	if ((rc = kbs_events__init(kb, opts, &err)) != KBS_OK)
		goto cleanup;

	*out = kb;
	kb = NULL;
cleanup:
	if (rc != KBS_OK && errmsg)
		*errmsg = kbs_strdup(err.msg);
	kbs_close(kb);
	return rc;
}

void kbs_close(kbs_kb *kb)
{
	if (!kb)
		return;
	kbs_events__close(kb);
	for (size_t i = 0; i < kb->npool; i++)
		ctx_free(kb->pool[i]);
	free(kb->pool);
	kbs_store__shared_free(kb->store);
	kbs_syn__cache_free(kb->synonyms);
	for (size_t i = 0; i < kb->nlemmatizers; i++)
		kbs_text__lemmatizer_free(kb->lemmatizers[i].lz);
	pthread_mutex_destroy(&kb->lock);
	free(kb->home);
	free(kb->index_dir);
	free(kb);
}

kbs_status kbs_kb__ctx_get(kbs_kb *kb, kbs_ctx **out, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	kbs_ctx *c = NULL;

	*out = NULL;
	pthread_mutex_lock(&kb->lock);
	if (kb->npool)
		c = kb->pool[--kb->npool];
	pthread_mutex_unlock(&kb->lock);

	if (c) {
		if ((rc = kbs_store__reader_refresh(c->reader, err)) != KBS_OK)
			goto cleanup;
	} else {
		c = calloc(1, sizeof *c);
		if (!c) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		if ((rc = kbs_store__reader_open(&c->reader, kb->index_dir, kb->store, err)) != KBS_OK)
			goto cleanup;
		if ((rc = kbs_text__analyzer_new(&c->an, err)) != KBS_OK)
			goto cleanup;
	}
	*out = c;
	c = NULL;
cleanup:
	ctx_free(c);
	return rc;
}

void kbs_kb__ctx_put(kbs_kb *kb, kbs_ctx *c)
{
	if (!c)
		return;
	pthread_mutex_lock(&kb->lock);
	if (kb->npool < KBS_POOL_MAX) {
		if (kbs_grow(&kb->pool, &kb->cappool, kb->npool, sizeof *kb->pool, 4)) {
			kb->pool[kb->npool++] = c;
			c = NULL;
		}
	}
	pthread_mutex_unlock(&kb->lock);
	ctx_free(c);
}

kbs_status kbs_kb__ctx_done(kbs_kb *kb, kbs_ctx *ctx, kbs_status rc, kbs_err *err)
{
	if (rc == KBS_ERETRY && ctx && !kbs_store__reader_behind(ctx->reader)) {
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err ? err->msg : "");
		rc = kbs_err__set(err, KBS_EIO, "the index is damaged: %s", why);
	}
	kbs_kb__ctx_put(kb, ctx);
	return rc;
}

bool kbs_kb__again(kbs_status rc, unsigned *attempts)
{
	return rc == KBS_ERETRY && ++*attempts < KBS_READ_ATTEMPTS;
}

kbs_status kbs_kb__claim_indexer(kbs_kb *kb, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	/* Said here, or the engine's failure to take its lock file reads as
	 * "another indexer" on a knowledge base nobody is writing. */
	if (faccessat(AT_FDCWD, kb->index_dir, W_OK, AT_EACCESS) != 0 &&
	    (errno == EACCES || errno == EROFS || errno == EPERM))
		return kbs_err__set(err, KBS_EIO, "the knowledge base at %s is read-only: %s",
				    kb->home, strerror(errno));
	pthread_mutex_lock(&kb->lock);
	if (kb->has_indexer)
		rc = kbs_err__set(err, KBS_ELOCKED,
				  "an indexer is already running on this knowledge base");
	else
		kb->has_indexer = true;
	pthread_mutex_unlock(&kb->lock);
	return rc;
}

void kbs_kb__release_indexer(kbs_kb *kb)
{
	pthread_mutex_lock(&kb->lock);
	kb->has_indexer = false;
	pthread_mutex_unlock(&kb->lock);
}

bool kbs_kb__same_label(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	char *fa = kbs_text__fold(a, strlen(a)), *fb = kbs_text__fold(b, strlen(b));
	bool same = fa && fb && strcmp(fa, fb) == 0;
	free(fa);
	free(fb);
	return same;
}

bool kbs_kb__visible(const char *const *audience, size_t naudience,
		     const char *const *roles, size_t nroles)
{
	if (naudience == 0)
		return true;
	for (size_t i = 0; i < naudience; i++) {
		if (kbs_kb__same_label(audience[i], "public"))
			return true;
		for (size_t j = 0; j < nroles; j++)
			if (roles[j] && kbs_kb__same_label(audience[i], roles[j]))
				return true;
	}
	return false;
}
