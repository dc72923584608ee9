/*
 * Synonyms: parsing the Solr format, analysing entries, keeping the set of
 * each language fresh for searches, and the public kbs_synonyms_* calls.
 * See synonyms.h for the format and the freshness rules.
 */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synonyms.h"

/* Languages whose set one handle keeps in memory at once. */
#define SYN_SLOTS 16

typedef struct syn_slot {
	char lang[8];
	bool present;
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
	kbs_syn__set *set;
} syn_slot;

struct kbs_syn__cache {
	syn_slot v[SYN_SLOTS];
	size_t n;
};

bool kbs_syn__lang_ok(const char *lang, char out[8])
{
	size_t n = lang ? strlen(lang) : 0;
	if (n < 2 || n > 3)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = lang[i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c + 32);
		if (c < 'a' || c > 'z')
			return false;
		out[i] = c;
	}
	out[n] = '\0';
	return true;
}

/* ---- parsing ---- */

void kbs_syn__rules_free(kbs_syn__rules *r)
{
	for (size_t i = 0; i < r->n; i++) {
		kbs_strlist_free(&r->v[i].from);
		kbs_strlist_free(&r->v[i].to);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* Splits s[0..n) on unescaped commas into l, unescaping and trimming each
 * entry. Returns NULL, or the message of what is wrong. */
static const char *split_entries(const char *s, size_t n, kbs_strlist *l, bool *oom)
{
	kbs_buf b = { 0 };
	const char *msg = NULL;
	for (size_t i = 0; i <= n && !msg; i++) {
		if (i == n || s[i] == ',') {
			size_t a = 0, e = b.len;
			while (a < e && is_space(b.data[a]))
				a++;
			while (e > a && is_space(b.data[e - 1]))
				e--;
			if (e == a)
				msg = "empty entry (two commas in a row, or a comma at an end)";
			else if (l->n == KBS_SYN_MAX_ENTRIES)
				msg = "too many entries on one line";
			else if (!kbs_strlist_pushn(l, b.data + a, e - a))
				*oom = true;
			b.len = 0;
			continue;
		}
		if (s[i] == '\\' && i + 1 < n)
			i++;
		kbs_buf_addc(&b, s[i]);
	}
	if (b.oom)
		*oom = true;
	kbs_buf_free(&b);
	return *oom ? "out of memory" : msg;
}

kbs_status kbs_syn__parse(kbs_syn__rules *out, const char *name, const char *text, size_t len,
			  kbs_err *err)
{
	memset(out, 0, sizeof *out);
	if (len > KBS_SYN_MAX_BYTES)
		return kbs_err__set(err, KBS_EINVALID, "%s: larger than %u bytes", name,
				    KBS_SYN_MAX_BYTES);
	const char *p = text, *end = text + len;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) /* a BOM */
		p += 3;
	unsigned line = 0;
	while (p < end) {
		line++;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		size_t bad;
		if (!kbs_utf8_valid(p, (size_t)(le - p), &bad))
			return kbs_err__set(err, KBS_EINVALID, "%s:%u: not valid UTF-8 (byte %zu of the line)",
					    name, line, bad + 1);
		/* Entries are C strings from here on: a NUL would cut one short,
		 * down to nothing. */
		const char *nul = memchr(p, '\0', (size_t)(le - p));
		if (nul)
			return kbs_err__set(err, KBS_EINVALID, "%s:%u: NUL byte (byte %zu of the line)",
					    name, line, (size_t)(nul - p) + 1);
		while (p < le && is_space(*p))
			p++;
		while (le > p && is_space(le[-1]))
			le--;
		if (p == le || *p == '#') {
			p = next;
			continue;
		}
		/* The arrow, outside escapes. */
		const char *arrow = NULL;
		for (const char *c = p; c < le; c++) {
			if (*c == '\\') {
				c++;
				continue;
			}
			if (c + 1 < le && c[0] == '=' && c[1] == '>') {
				if (arrow)
					return kbs_err__set(err, KBS_EINVALID, "%s:%u: more than one '=>'", name,
							    line);
				arrow = c;
				c++;
			}
		}
		if (!kbs_grow(&out->v, &out->cap, out->n, sizeof *out->v, 16))
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		kbs_syn__rule *r = &out->v[out->n++];
		memset(r, 0, sizeof *r);
		r->line = line;
		r->oneway = arrow != NULL;
		bool oom = false;
		const char *msg = NULL;
		if (arrow) {
			const char *l = p, *le2 = arrow;
			while (le2 > l && is_space(le2[-1]))
				le2--;
			const char *rs = arrow + 2;
			while (rs < le && is_space(*rs))
				rs++;
			if (le2 == l)
				msg = "nothing before '=>'";
			else if (rs == le)
				msg = "nothing after '=>'";
			else if (!(msg = split_entries(l, (size_t)(le2 - l), &r->from, &oom)))
				msg = split_entries(rs, (size_t)(le - rs), &r->to, &oom);
		} else {
			msg = split_entries(p, (size_t)(le - p), &r->from, &oom);
			if (!msg && r->from.n < 2)
				msg = "only one entry: write 'a, b' for equivalent words or 'a => b' for a one-way rule";
		}
		if (oom)
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		if (msg)
			return kbs_err__set(err, KBS_EINVALID, "%s:%u: %s", name, line, msg);
		p = next;
	}
	return KBS_OK;
}

/* ---- compiling ---- */

static void entry_free(kbs_syn__entry *e)
{
	for (size_t i = 0; i < e->n; i++) {
		free(e->key[i]);
		free(e->term[i]);
		free(e->stem[i]);
		if (e->stem2)
			free(e->stem2[i]);
	}
	free(e->key);
	free(e->stem2);
	free(e->term);
	free(e->stem);
	free(e->stop);
	free(e->text);
}

static void set_free(kbs_syn__set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nrules; i++) {
		for (size_t j = 0; j < s->rules[i].ne; j++)
			entry_free(&s->rules[i].e[j]);
		free(s->rules[i].e);
	}
	free(s->rules);
	free(s);
}

bool kbs_syn__same_keys(const kbs_syn__entry *a, const kbs_syn__entry *b)
{
	return kbs_strv_equal(a->key, a->n, b->key, b->n);
}

const kbs_syn__entry *kbs_syn__canonical(const kbs_syn__crule *r)
{
	return r->oneway ? &r->e[r->nfrom] : &r->e[0];
}

typedef struct entry_build {
	kbs_syn__entry *e;
	bool too_long;
	/* The entry's hyphenated compounds (text.h), as byte ranges. */
	size_t compound[KBS_SYN_MAX_WORDS][2];
	size_t ncompounds;
} entry_build;

static kbs_status entry_token(const kbs_text__token *t, void *payload)
{
	entry_build *b = payload;
	kbs_syn__entry *e = b->e;
	if (t->flags & KBS_TOK_JOINED) { /* its words are matched one by one */
		if (b->ncompounds < KBS_SYN_MAX_WORDS) {
			b->compound[b->ncompounds][0] = t->start;
			b->compound[b->ncompounds++][1] = t->end;
		}
		return KBS_OK;
	}
	if (e->n == KBS_SYN_MAX_WORDS) {
		b->too_long = true;
		return KBS_STOP;
	}
	bool stop = (t->flags & KBS_TOK_STOP) != 0;
	char *term = kbs_strndup(t->term, t->term_len);
	char *stem = kbs_strndup(t->stem, t->stem_len);
	char *key = kbs_strdup(stop ? term : stem);
	char *stem2 = t->stem2 && !stop ? kbs_strndup(t->stem2, t->stem2_len) : NULL;
	if (!term || !stem || !key || (t->stem2 && !stop && !stem2)) {
		free(term);
		free(stem);
		free(key);
		free(stem2);
		return KBS_ENOMEM;
	}
	e->stem2[e->n] = stem2;
	e->term[e->n] = term;
	e->stem[e->n] = stem;
	e->key[e->n] = key;
	e->stop[e->n] = stop;
	e->n++;
	return KBS_OK;
}

/* *variant: the entry's text with the hyphens of its compounds taken out
 * ("facture par e-mail" -> "facture par email"), malloc'd, the compound's
 * other spelling; NULL when it has none. */
static kbs_status compile_entry(kbs_syn__entry *e, const char *text, const char *lang,
				const char *name, unsigned line, kbs_text__analyzer *an, char **variant,
				kbs_err *err)
{
	*variant = NULL;
	e->text = kbs_strdup(text);
	e->key = calloc(KBS_SYN_MAX_WORDS, sizeof *e->key);
	e->term = calloc(KBS_SYN_MAX_WORDS, sizeof *e->term);
	e->stem = calloc(KBS_SYN_MAX_WORDS, sizeof *e->stem);
	e->stop = calloc(KBS_SYN_MAX_WORDS, sizeof *e->stop);
	e->stem2 = calloc(KBS_SYN_MAX_WORDS, sizeof *e->stem2);
	if (!e->text || !e->key || !e->term || !e->stem || !e->stop || !e->stem2)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	entry_build b = { .e = e };
	size_t len = strlen(text);
	kbs_status rc = kbs_text__analyze(an, text, len, lang, entry_token, &b, err);
	if (rc == KBS_ENOMEM)
		return kbs_err__set(err, rc, "out of memory");
	if (rc != KBS_OK)
		return rc;
	if (b.too_long)
		return kbs_err__set(err, KBS_EINVALID, "%s:%u: entry '%s' has more than %d words", name,
				    line, text, KBS_SYN_MAX_WORDS);
	if (e->n == 0)
		return kbs_err__set(err, KBS_EINVALID, "%s:%u: entry '%s' has no word", name, line, text);
	if (b.ncompounds == 0)
		return KBS_OK;
	kbs_buf v = { 0 };
	size_t c = 0;
	for (size_t i = 0; i < len;) {
		while (c < b.ncompounds && i >= b.compound[c][1])
			c++;
		size_t h = c < b.ncompounds && i > b.compound[c][0] ? kbs_text__hyphen_len(text + i, len - i) : 0;
		if (h == 0)
			kbs_buf_addc(&v, text[i]);
		i += h ? h : 1;
	}
	if (!(*variant = kbs_buf_steal(&v)))
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return KBS_OK;
}

/* Compiles `text` into c->e[c->ne++], then its compound-joined variant
 * when it has one: an entry written "e-mail" also meets the visitor who
 * types "email", and finds the articles that write it so. */
static kbs_status compile_with_variant(kbs_syn__crule *c, const char *text, const char *lang,
				       const char *name, unsigned line, kbs_text__analyzer *an,
				       kbs_err *err)
{
	char *v = NULL, *none = NULL;
	kbs_status rc = compile_entry(&c->e[c->ne++], text, lang, name, line, an, &v, err);
	if (rc != KBS_OK || !v) {
		free(v);
		return rc;
	}
	rc = compile_entry(&c->e[c->ne++], v, lang, name, line, an, &none, err);
	free(v);
	free(none);
	/* Written both ways in the rule already ("autorelevé, auto-relevé"). */
	for (size_t k = 0; rc == KBS_OK && k + 1 < c->ne; k++)
		if (kbs_syn__same_keys(&c->e[k], &c->e[c->ne - 1])) {
			entry_free(&c->e[--c->ne]);
			memset(&c->e[c->ne], 0, sizeof c->e[c->ne]);
			break;
		}
	return rc;
}

kbs_status kbs_syn__compile(kbs_syn__set **out, const kbs_syn__rules *rules, const char *lang,
			    const char *name, kbs_text__analyzer *an, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	kbs_syn__set *s = calloc(1, sizeof *s);
	*out = NULL;
	if (!s || (rules->n && !(s->rules = calloc(rules->n, sizeof *s->rules)))) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	snprintf(s->lang, sizeof s->lang, "%s", lang);
	s->refs = 1;
	for (size_t i = 0; i < rules->n; i++) {
		const kbs_syn__rule *r = &rules->v[i];
		kbs_syn__crule *c = &s->rules[s->nrules++];
		c->line = r->line;
		c->oneway = r->oneway;
		/* Room for each entry and its variant. */
		c->e = calloc(2 * (r->from.n + r->to.n), sizeof *c->e);
		if (!c->e) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
		for (size_t j = 0; j < r->from.n + r->to.n; j++) {
			if (j == r->from.n)
				c->nfrom = c->ne;
			const char *text = j < r->from.n ? r->from.v[j] : r->to.v[j - r->from.n];
			if ((rc = compile_with_variant(c, text, lang, name, r->line, an, err)) != KBS_OK)
				goto cleanup;
		}
		if (r->to.n == 0)
			c->nfrom = c->ne;
	}
	*out = s;
	s = NULL;
cleanup:
	set_free(s);
	return rc;
}

/* ---- reading files ---- */

/* Reads a whole file of at most KBS_SYN_MAX_BYTES into *out (malloc'd). */
static kbs_status read_file(const char *path, char **out, size_t *len, kbs_err *err)
{
	*out = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return kbs_err__set(err, errno == ENOENT ? KBS_ENOTFOUND : KBS_EIO, "cannot open %s: %s",
				    path, strerror(errno));
	kbs_status rc = KBS_OK;
	char *buf = malloc(KBS_SYN_MAX_BYTES + 2);
	if (!buf) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	size_t n = fread(buf, 1, KBS_SYN_MAX_BYTES + 1, f);
	if (ferror(f)) {
		rc = kbs_err__set(err, KBS_EIO, "cannot read %s: %s", path, strerror(errno));
		goto cleanup;
	}
	if (n > KBS_SYN_MAX_BYTES) {
		rc = kbs_err__set(err, KBS_EINVALID, "%s: larger than %u bytes", path, KBS_SYN_MAX_BYTES);
		goto cleanup;
	}
	buf[n] = '\0';
	*out = buf;
	*len = n;
	buf = NULL;
cleanup:
	free(buf);
	fclose(f);
	return rc;
}

static char *set_path(const kbs_kb *kb, const char *lang)
{
	return kbs_sprintf("%s/synonyms.%s.txt", kb->home, lang);
}

/* Reads, parses and compiles one file. */
static kbs_status load_set(const char *path, const char *lang, kbs_text__analyzer *an,
			   kbs_syn__set **out, kbs_err *err)
{
	char *text = NULL;
	size_t len = 0;
	kbs_syn__rules rules = { 0 };
	*out = NULL;
	kbs_status rc = read_file(path, &text, &len, err);
	if (rc == KBS_OK)
		rc = kbs_syn__parse(&rules, path, text, len, err);
	if (rc == KBS_OK)
		rc = kbs_syn__compile(out, &rules, lang, path, an, err);
	kbs_syn__rules_free(&rules);
	free(text);
	return rc;
}

/* ---- the per-handle cache ---- */

void kbs_syn__release(kbs_kb *kb, kbs_syn__set *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&kb->lock);
	bool last = --s->refs == 0;
	pthread_mutex_unlock(&kb->lock);
	if (last)
		set_free(s);
}

void kbs_syn__cache_free(struct kbs_syn__cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		set_free(c->v[i].set);
	free(c);
}

static bool same_file(const syn_slot *s, bool present, const struct stat *st)
{
	if (s->present != present)
		return false;
	return !present || (s->dev == st->st_dev && s->ino == st->st_ino && s->size == st->st_size &&
			    s->mtime.tv_sec == st->st_mtim.tv_sec &&
			    s->mtime.tv_nsec == st->st_mtim.tv_nsec);
}

static syn_slot *find_slot(struct kbs_syn__cache *c, const char *lang)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].lang, lang) == 0)
			return &c->v[i];
	return NULL;
}

kbs_status kbs_syn__get(kbs_kb *kb, kbs_ctx *ctx, const char *lang, kbs_syn__set **out,
			kbs_err *err)
{
	char l[8];
	*out = NULL;
	if (!kbs_syn__lang_ok(lang, l))
		return KBS_OK;
	char *path = set_path(kb, l);
	if (!path)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	struct stat st;
	bool present = stat(path, &st) == 0 && S_ISREG(st.st_mode);

	pthread_mutex_lock(&kb->lock);
	if (!kb->synonyms)
		kb->synonyms = calloc(1, sizeof *kb->synonyms);
	syn_slot *slot = kb->synonyms ? find_slot(kb->synonyms, l) : NULL;
	if (slot && same_file(slot, present, &st)) {
		if ((*out = slot->set))
			slot->set->refs++;
		pthread_mutex_unlock(&kb->lock);
		free(path);
		return KBS_OK;
	}
	pthread_mutex_unlock(&kb->lock);

	kbs_syn__set *set = NULL;
	if (present) {
		kbs_err ignored;
		kbs_status rc = load_set(path, l, ctx->an, &set, &ignored);
		if (rc == KBS_ENOMEM) {
			free(path);
			return kbs_err__set(err, rc, "out of memory");
		}
		/* Any other failure: the language has no synonyms (synonyms.h). */
	}
	free(path);

	kbs_syn__set *old = NULL;
	pthread_mutex_lock(&kb->lock);
	struct kbs_syn__cache *c = kb->synonyms;
	slot = c ? find_slot(c, l) : NULL;
	if (!slot && c && c->n < SYN_SLOTS) {
		slot = &c->v[c->n++];
		memset(slot, 0, sizeof *slot);
		snprintf(slot->lang, sizeof slot->lang, "%s", l);
	}
	if (slot) {
		old = slot->set;
		slot->set = set; /* the cache keeps the first reference */
		slot->present = present;
		if (present) {
			slot->dev = st.st_dev;
			slot->ino = st.st_ino;
			slot->size = st.st_size;
			slot->mtime = st.st_mtim;
		}
		if (set)
			set->refs++;
	}
	pthread_mutex_unlock(&kb->lock);
	kbs_syn__release(kb, old);
	*out = set; /* uncached (no slot left): the caller's only reference */
	return KBS_OK;
}

/* ---- public API ---- */

/* Validates text for `lang` and makes it the set in force (an empty set
 * removes the file). */
static kbs_status install(kbs_kb *kb, const char *lang, const char *name, const char *text,
			  size_t len, kbs_err *err)
{
	kbs_status rc;
	kbs_syn__rules rules = { 0 };
	kbs_syn__set *set = NULL;
	kbs_ctx *ctx = NULL;
	char *path = set_path(kb, lang), *tmp = kbs_sprintf("%s/.synonyms.%s.txt.%ld", kb->home, lang,
							      (long)getpid());
	FILE *f = NULL;
	if (!path || !tmp) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	if ((rc = kbs_syn__parse(&rules, name, text, len, err)) != KBS_OK)
		goto cleanup;
	if ((rc = kbs_kb__ctx_get(kb, &ctx, err)) != KBS_OK)
		goto cleanup;
	if ((rc = kbs_syn__compile(&set, &rules, lang, name, ctx->an, err)) != KBS_OK)
		goto cleanup;
	if (rules.n == 0) {
		if (unlink(path) != 0 && errno != ENOENT)
			rc = kbs_err__set(err, KBS_EIO, "cannot remove %s: %s", path, strerror(errno));
		goto cleanup;
	}
	/* A new file renamed into place: readers see the old set or the new
	 * one, never half of one. */
	f = fopen(tmp, "wb");
	if (!f || fwrite(text, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		rc = kbs_err__set(err, KBS_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	if (fclose(f) != 0) {
		f = NULL;
		rc = kbs_err__set(err, KBS_EIO, "cannot write %s: %s", tmp, strerror(errno));
		goto cleanup;
	}
	f = NULL;
	if (rename(tmp, path) != 0)
		rc = kbs_err__set(err, KBS_EIO, "cannot write %s: %s", path, strerror(errno));
cleanup:
	if (f)
		fclose(f);
	if (rc != KBS_OK && tmp)
		unlink(tmp);
	set_free(set);
	kbs_kb__ctx_put(kb, ctx);
	kbs_syn__rules_free(&rules);
	free(path);
	free(tmp);
	return rc;
}

kbs_status kbs_synonyms_load(kbs_kb *kb, const char *lang, const char *text, size_t len)
{
	kbs_err *err = kbs_kb__begin(kb);
	char l[8], name[32];
	if (!kb)
		return KBS_EINVALID;
	if (!kbs_syn__lang_ok(lang, l))
		return kbs_err__set(err, KBS_EINVALID, "'%s' is not a language code (e.g. fr)",
				    lang ? lang : "(null)");
	if (!text && len)
		return kbs_err__set(err, KBS_EINVALID, "kbs_synonyms_load: NULL text");
	snprintf(name, sizeof name, "synonyms.%s.txt", l);
	return install(kb, l, name, text ? text : "", len, err);
}

/* "synonyms.fr.txt" (any folder) -> "fr". */
static bool lang_of_name(const char *path, char out[8])
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base);
	if (n < 14 || strncmp(base, "synonyms.", 9) != 0 || strcmp(base + n - 4, ".txt") != 0)
		return false;
	char code[8];
	size_t cl = n - 13;
	if (cl >= sizeof code)
		return false;
	memcpy(code, base + 9, cl);
	code[cl] = '\0';
	return kbs_syn__lang_ok(code, out);
}

kbs_status kbs_synonyms_load_file(kbs_kb *kb, const char *lang, const char *path)
{
	kbs_err *err = kbs_kb__begin(kb);
	char l[8];
	if (!kb || !path)
		return kbs_err__set(err, KBS_EINVALID, "kbs_synonyms_load_file needs kb and path");
	if (lang ? !kbs_syn__lang_ok(lang, l) : !lang_of_name(path, l))
		return kbs_err__set(err, KBS_EINVALID,
				    lang ? "'%s' is not a language code (e.g. fr)"
					 : "cannot tell the language of %s: name the file "
					   "synonyms.LANG.txt (e.g. synonyms.fr.txt) or give the language",
				    lang ? lang : path);
	char *text = NULL;
	size_t len = 0;
	kbs_status rc = read_file(path, &text, &len, err);
	if (rc == KBS_OK)
		rc = install(kb, l, path, text, len, err);
	free(text);
	return rc;
}

/* Adds the rules of one language's file to o[lang]. */
static kbs_status list_one(json_t *o, const kbs_kb *kb, const char *lang, kbs_err *err)
{
	char *path = set_path(kb, lang), *text = NULL;
	size_t len;
	kbs_syn__rules rules = { 0 };
	if (!path)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	kbs_status rc = read_file(path, &text, &len, err);
	if (rc == KBS_ENOTFOUND) {
		rc = KBS_OK;
		goto cleanup;
	}
	if (rc != KBS_OK || (rc = kbs_syn__parse(&rules, path, text, len, err)) != KBS_OK)
		goto cleanup;
	json_t *a = json_array();
	json_object_set_new(o, lang, a);
	for (size_t i = 0; i < rules.n; i++) {
		const kbs_syn__rule *r = &rules.v[i];
		json_t *e = json_object();
		json_object_set_new(e, "line", json_integer(r->line));
		if (r->oneway) {
			json_object_set_new(e, "from", kbs_strlist_json(&r->from));
			json_object_set_new(e, "to", kbs_strlist_json(&r->to));
		} else {
			json_object_set_new(e, "synonyms", kbs_strlist_json(&r->from));
		}
		json_array_append_new(a, e);
	}
cleanup:
	kbs_syn__rules_free(&rules);
	free(text);
	free(path);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

kbs_status kbs_synonyms_json(char **out, kbs_kb *kb, const char *lang)
{
	kbs_err *err = kbs_kb__begin(kb);
	kbs_status rc = KBS_OK;
	kbs_strlist langs = { 0 };
	json_t *o = NULL;
	char l[8];
	if (out)
		*out = NULL;
	if (!out || !kb)
		return kbs_err__set(err, KBS_EINVALID, "kbs_synonyms_json needs out and kb");
	if (lang && !kbs_syn__lang_ok(lang, l))
		return kbs_err__set(err, KBS_EINVALID, "'%s' is not a language code (e.g. fr)", lang);
	if (lang) {
		if (!kbs_strlist_push(&langs, l))
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
	} else {
		DIR *d = opendir(kb->home);
		if (!d) {
			rc = kbs_err__set(err, KBS_EIO, "cannot read %s: %s", kb->home, strerror(errno));
			goto cleanup;
		}
		struct dirent *e;
		while ((e = readdir(d)))
			if (lang_of_name(e->d_name, l) && !kbs_strlist_push(&langs, l))
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		closedir(d);
		qsort(langs.v, langs.n, sizeof *langs.v, cmp_str);
	}
	if (rc != KBS_OK)
		goto cleanup;
	o = json_object();
	if (!o) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	for (size_t i = 0; i < langs.n && rc == KBS_OK; i++)
		rc = list_one(o, kb, langs.v[i], err);
	if (rc != KBS_OK)
		goto cleanup;
	*out = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	json_decref(o);
	kbs_strlist_free(&langs);
	return rc;
}
