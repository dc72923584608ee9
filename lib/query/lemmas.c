/*
 * Other forms of a query word: the forms of its lemma (lib/text/lemma.c)
 * that the index holds. "ça sent le gaz" meets "je sens une odeur de gaz"
 * (both of "sentir"), "recevoir mes factures" meets "vous recevez vos
 * factures": Snowball stems these apart, so BM25 would miss the article
 * and coverage would judge it off-topic.
 *
 * The index says which forms exist: the words of a revision that begin
 * with the first FORM_HEAD characters of a lemma are lemmatised once, into
 * a table of (lemma, stem of the form; only stems the index holds)
 * sorted by lemma, shared by the readers of that revision
 * (kbs_store__derived). So a form counts when it
 * begins like its lemma ("sens" and "sentir", "reçu" and "recevoir",
 * "pris" and "prendre"); the irregular forms that do not ("vais" of
 * "aller", "peux" of "pouvoir") are mostly stop words. The walk is a few
 * hundred words at most on 100 000 articles, and reads only that part of
 * the term list.
 *
 * What is left out, on purpose:
 *   - a query word that is a lemma of its own and the form of another
 *     ("courant": a noun, and "courir"; "été": a noun, and "être";
 *     "passe" of "mot de passe"): which one the visitor meant is unknown,
 *     and the other's forms ("court", "sont") would match what the visitor
 *     did not ask for;
 *   - forms that are stop words or query fillers of the language: they
 *     say nothing of the topic.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* A form of a lemma that the index holds, by the stem it is indexed by. */
typedef struct form {
	char *lemma;
	char *stem;
} form;

typedef struct forms {
	form *v;
	size_t n, cap;
} forms;

static void forms_free(void *p)
{
	forms *f = p;
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].lemma);
		free(f->v[i].stem);
	}
	free(f->v);
	free(f);
}

static int form_cmp(const void *a, const void *b)
{
	const form *x = a, *y = b;
	int c = strcmp(x->lemma, y->lemma);
	return c ? c : strcmp(x->stem, y->stem);
}

/* Characters a form shares with the beginning of its lemma. */
#define FORM_HEAD 2

/* The first FORM_HEAD characters of s, into out[16]; "" when s is not
 * valid UTF-8 or that does not fit. */
static void head_of(const char *s, char out[16])
{
	size_t n = kbs_utf8_prefix(s, strlen(s), FORM_HEAD);
	out[0] = '\0';
	if (n < 16) {
		memcpy(out, s, n);
		out[n] = '\0';
	}
}

typedef struct making {
	kbs_ctx *ctx;
	kbs_text__lemmatizer *lz;
	const char *lang;
	const char *head; /* head_of the lemmas wanted, accents kept */
	forms *out;
	kbs_strlist lemmas; /* scratch */
	kbs_err *err;
} making;

/* One word of the vocabulary: its exact spelling (accents kept when the
 * index has them: XA terms) and its folded one, as indexed. */
static kbs_status add_word(making *m, const char *exact, const char *term)
{
	if (kbs_text__is_query_stop(term, m->lang))
		return KBS_OK;
	kbs_strlist_free(&m->lemmas);
	kbs_status rc = kbs_text__lemmas(m->lz, exact, false, &m->lemmas, NULL, m->err);
	if (rc != KBS_OK || !m->lemmas.n)
		return rc;
	const char *stem;
	size_t len;
	if ((rc = kbs_text__stem(m->ctx->an, exact, strlen(exact), m->lang, &stem, &len, m->err)) !=
	    KBS_OK)
		return rc;
	/* The word may be indexed only in other languages' articles, with
	 * their stems: this stem would match nothing. Asked here, once per
	 * revision, rather than by every search. */
	char zterm[KBS_TEXT_MAX_TERM * 2 + 8];
	snprintf(zterm, sizeof zterm, KBS_PFX_STEM "%.*s", (int)len, stem);
	if (kbs_store__termfreq(m->ctx->reader, zterm) == 0)
		return KBS_OK;
	for (size_t i = 0; i < m->lemmas.n; i++) {
		char head[16];
		head_of(m->lemmas.v[i], head);
		if (strcmp(head, m->head) != 0)
			continue;
		forms *f = m->out;
		if (!kbs_grow(&f->v, &f->cap, f->n, sizeof *f->v, 64))
			return kbs_err__set(m->err, KBS_ENOMEM, "out of memory");
		form *e = &f->v[f->n];
		e->lemma = kbs_strdup(m->lemmas.v[i]);
		e->stem = kbs_strndup(stem, len);
		if (!e->lemma || !e->stem) {
			free(e->lemma);
			free(e->stem);
			return kbs_err__set(m->err, KBS_ENOMEM, "out of memory");
		}
		f->n++;
	}
	return KBS_OK;
}

static kbs_status plain_word(const char *term, uint64_t freq, void *payload)
{
	(void)freq;
	return add_word(payload, term, term);
}

static kbs_status accented_word(const char *term, uint64_t freq, void *payload)
{
	(void)freq;
	making *m = payload;
	const char *exact = term + strlen(KBS_PFX_EXACT);
	char *folded = kbs_text__fold(exact, strlen(exact));
	if (!folded)
		return KBS_OK; /* not a word this analyzer wrote */
	kbs_status rc = add_word(m, exact, folded);
	free(folded);
	return rc;
}

/* The table of one head (kbs_store__derived's make). */
static kbs_status make_forms(void *arg, void **obj, kbs_err *err)
{
	making *m = arg;
	m->err = err;
	m->out = calloc(1, sizeof *m->out);
	char *folded = kbs_text__fold(m->head, strlen(m->head));
	if (!m->out || !folded) {
		free(m->out);
		free(folded);
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	/* Words are indexed folded ("recu"), and those with accents also as
	 * XA<exact> ("XAreçu"), which the dictionary knows. */
	char xa[32];
	snprintf(xa, sizeof xa, KBS_PFX_EXACT "%s", m->head);
	kbs_status rc = kbs_store__walk_terms(m->ctx->reader, folded, plain_word, m, err);
	if (rc == KBS_OK)
		rc = kbs_store__walk_terms(m->ctx->reader, xa, accented_word, m, err);
	free(folded);
	if (rc != KBS_OK) {
		forms_free(m->out);
		return rc;
	}
	forms *f = m->out;
	if (f->n)
		qsort(f->v, f->n, sizeof *f->v, form_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < f->n; i++) {
		if (kept && form_cmp(&f->v[kept - 1], &f->v[i]) == 0) {
			free(f->v[i].lemma);
			free(f->v[i].stem);
		} else {
			f->v[kept++] = f->v[i];
		}
	}
	f->n = kept;
	*obj = f;
	return KBS_OK;
}

/* The kb's lemmatizer of lang, loaded on first use; NULL when none. */
static kbs_status lemmatizer_of(kbs_kb *kb, const char *lang, kbs_text__lemmatizer **out,
				kbs_err *err)
{
	*out = NULL;
	pthread_mutex_lock(&kb->lock);
	for (size_t i = 0; i < kb->nlemmatizers; i++)
		if (strcmp(kb->lemmatizers[i].lang, lang) == 0) {
			*out = kb->lemmatizers[i].lz;
			pthread_mutex_unlock(&kb->lock);
			return KBS_OK;
		}
	pthread_mutex_unlock(&kb->lock);

	kbs_text__lemmatizer *lz = NULL;
	kbs_status rc = kbs_text__lemmatizer_new(&lz, lang, err);
	if (rc == KBS_ENOMEM)
		return rc;
	/* Anything else: this language has no lemmas, and is not tried again. */
	pthread_mutex_lock(&kb->lock);
	for (size_t i = 0; i < kb->nlemmatizers; i++)
		if (strcmp(kb->lemmatizers[i].lang, lang) == 0) { /* another thread won */
			kbs_text__lemmatizer_free(lz);
			*out = kb->lemmatizers[i].lz;
			pthread_mutex_unlock(&kb->lock);
			return KBS_OK;
		}
	if (kb->nlemmatizers < KBS_KB_LEMMA_LANGS) {
		struct kbs_kb_lemmatizer *s = &kb->lemmatizers[kb->nlemmatizers++];
		snprintf(s->lang, sizeof s->lang, "%s", lang);
		s->lz = lz;
		*out = lz;
	} else {
		kbs_text__lemmatizer_free(lz);
	}
	pthread_mutex_unlock(&kb->lock);
	return KBS_OK;
}

/* The lemmas of a query word (remembered) and whether it is a verb form
 * only, from kb's dictionary of lang; *lz NULL and nothing when kb is
 * NULL or lang has none. */
static kbs_status query_lemmas(kbs_kb *kb, const char *lang, const char *exact,
			       kbs_text__lemmatizer **lz, kbs_strlist *lemmas, bool *verb, kbs_err *err)
{
	*lz = NULL;
	if (!kb || !lang || !kbs_text__has_lemmas(lang))
		return KBS_OK;
	kbs_status rc = lemmatizer_of(kb, lang, lz, err);
	if (rc != KBS_OK || !*lz)
		return rc;
	return kbs_text__lemmas(*lz, exact, true, lemmas, verb, err);
}

kbs_status kbs_query__in_dict(kbs_kb *kb, const char *lang, const char *exact, bool *known,
			      kbs_err *err)
{
	kbs_text__lemmatizer *lz;
	kbs_strlist lemmas = { 0 };
	kbs_status rc = query_lemmas(kb, lang, exact, &lz, &lemmas, NULL, err);
	*known = lemmas.n > 0;
	kbs_strlist_free(&lemmas);
	return rc;
}

kbs_status kbs_query__lemma_stems(kbs_kb *kb, kbs_ctx *ctx, const char *lang, const char *exact,
				  kbs_strlist *out, bool *in_dict, bool *verb, kbs_err *err)
{
	kbs_text__lemmatizer *lz;
	kbs_strlist lemmas = { 0 };
	bool v = false;
	kbs_status rc = query_lemmas(kb, lang, exact, &lz, &lemmas, &v, err);
	if (rc != KBS_OK || !lz)
		goto done;
	if (in_dict && lemmas.n)
		*in_dict = true;
	if (verb && v)
		*verb = true;
	if (lemmas.n > 1 && kbs_strlist_contains(&lemmas, exact))
		goto done; /* a lemma of its own and a form of another */
	for (size_t i = 0; i < lemmas.n && rc == KBS_OK; i++) {
		making m = { .ctx = ctx, .lz = lz, .lang = lang, .err = err };
		char head[16], key[40];
		head_of(lemmas.v[i], head);
		if (!head[0])
			continue;
		m.head = head;
		snprintf(key, sizeof key, "forms:%s:%s", lang, head);
		const void *obj;
		kbs_store__derived_ref *ref;
		rc = kbs_store__derived(ctx->reader, key, make_forms, forms_free, &m, &obj, &ref, err);
		kbs_strlist_free(&m.lemmas);
		if (rc != KBS_OK)
			break;
		const forms *f = obj;
		form want = { .lemma = lemmas.v[i], .stem = "" };
		size_t lo = 0, hi = f->n; /* the first form of the lemma */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (form_cmp(&f->v[mid], &want) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (; lo < f->n && strcmp(f->v[lo].lemma, lemmas.v[i]) == 0; lo++)
			if (!kbs_strlist_contains(out, f->v[lo].stem) && !kbs_strlist_push(out, f->v[lo].stem)) {
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
				break;
			}
		kbs_store__derived_put(ref);
	}
done:
	kbs_strlist_free(&lemmas);
	return rc;
}
