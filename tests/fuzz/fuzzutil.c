#include "fuzzutil.h"

#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common.h"
#include "index/article.h"

#ifndef KBS_SOURCE_ROOT
#error "KBS_SOURCE_ROOT must be defined by the build"
#endif
#define FZ_CORPUS KBS_SOURCE_ROOT "/corpus"

const char *const fz_langs[8] = { NULL, "fr", "en", "", "de", "FR", "zz", "x\xC3\xA9" };

void fz_fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("fuzz invariant broken: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	abort();
}

/* Scratch directories to remove at exit. A crash skips atexit: fuzz.sh
 * runs each target with a TMPDIR of its own and removes that. */
static char *tmpdirs[8];
static size_t ntmpdirs;

static void remove_tmpdirs(void)
{
	while (ntmpdirs > 0) {
		char *d = tmpdirs[--ntmpdirs];
		fz_rmtree(d);
		free(d);
	}
}

char *fz_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char tmpl[4096];
	snprintf(tmpl, sizeof tmpl, "%s/kbs-fuzz-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		fz_fail("mkdtemp %s: %s", tmpl, strerror(errno));
	if (ntmpdirs == sizeof tmpdirs / sizeof *tmpdirs)
		fz_fail("too many scratch directories");
	if (ntmpdirs == 0)
		atexit(remove_tmpdirs);
	char *d = strdup(tmpl);
	if (!d)
		fz_fail("out of memory");
	tmpdirs[ntmpdirs++] = strdup(d);
	return d;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void fz_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void fz_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0)
		fz_fail("cannot write %s: %s", path, strerror(errno));
}

char *fz_strndup(const void *data, size_t len)
{
	char *s = malloc(len + 1);
	if (!s)
		fz_fail("out of memory");
	if (len)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

bool fz_is_text(const void *data, size_t len)
{
	size_t bad;
	return !memchr(data, '\0', len) && kbs_utf8_valid(data, len, &bad);
}

void fz_check_utf8(const char *what, const char *s)
{
	size_t bad;
	if (!s)
		fz_fail("%s is NULL", what);
	if (!kbs_utf8_valid(s, strlen(s), &bad))
		fz_fail("%s is not UTF-8 at byte %zu: \"%s\"", what, bad, s);
}

void fz_diag(kbs_diag_level level, const char *file, unsigned line, const char *message,
	     void *payload)
{
	fz_diags *d = payload;
	(void)line;
	if (level != KBS_DIAG_ERROR && level != KBS_DIAG_WARNING)
		fz_fail("diagnostic of unknown level %d", (int)level);
	fz_check_utf8("diagnostic file", file);
	fz_check_utf8("diagnostic message", message);
	if (!*message)
		fz_fail("empty diagnostic at %s:%u", file, line);
	if (d && level == KBS_DIAG_ERROR)
		d->errors++;
	else if (d)
		d->warnings++;
}

static void must(kbs_kb *kb, kbs_status rc, const char *what)
{
	if (rc != KBS_OK)
		fz_fail("%s: %s: %s", what, kbs_status_str(rc), kb ? kbs_errmsg(kb) : "");
}

kbs_kb *fz_corpus_kb(const char *dir, unsigned open_flags)
{
	kbs_kb *kb = NULL;
	kbs_open_opts oo = KBS_OPEN_OPTS_INIT;
	oo.flags = KBS_OPEN_CREATE | open_flags;
	char *msg = NULL;
	if (kbs_open(&kb, dir, &oo, &msg) != KBS_OK)
		fz_fail("kbs_open %s: %s", dir, msg ? msg : "?");
	kbs_index_opts io = KBS_INDEX_OPTS_INIT;
	io.default_lang = "fr";
	io.diag = fz_diag;
	kbs_indexer *ix = NULL;
	must(kb, kbs_indexer_new(&ix, kb, &io), "kbs_indexer_new");
	const char *paths[] = { FZ_CORPUS "/articles", FZ_CORPUS "/export.jsonl" };
	if (kbs_indexer_add_paths(ix, paths, 2) != KBS_OK ||
	    kbs_indexer_commit(ix, NULL) != KBS_OK)
		fz_fail("indexing the corpus: %s", kbs_indexer_errmsg(ix));
	kbs_indexer_free(ix);
	must(kb, kbs_synonyms_load_file(kb, NULL, FZ_CORPUS "/synonyms.fr.txt"), "synonyms fr");
	must(kb, kbs_synonyms_load_file(kb, NULL, FZ_CORPUS "/synonyms.en.txt"), "synonyms en");
	return kb;
}

bool fz_in(char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (strcmp(*list, s) == 0)
			return true;
	return false;
}

char **fz_restricted_ids(kbs_kb *kb)
{
	static const char *const all_roles[] = { "agent" };
	kbs_search_opts so = KBS_SEARCH_OPTS_INIT;
	so.roles = all_roles;
	so.nroles = 1;
	so.limit = KBS_MAX_LIMIT;
	kbs_results *r = NULL;
	must(kb, kbs_search(&r, kb, "", &so), "browsing the corpus");
	size_t n = kbs_results_count(r), k = 0;
	char **ids = calloc(n + 1, sizeof *ids);
	if (!ids)
		fz_fail("out of memory");
	for (size_t i = 0; i < n; i++) {
		char *json = NULL;
		const char *id = kbs_results_id(r, i);
		kbs_status rc = kbs_article_json(&json, kb, id, NULL, 0);
		kbs_string_free(json);
		if (rc == KBS_ENOTFOUND)
			ids[k++] = strdup(id);
		else
			must(kb, rc, "kbs_article_json");
	}
	kbs_results_free(r);
	if (k == 0)
		fz_fail("the corpus has no restricted article to check access control with");
	return ids;
}

unsigned fz_lines(const void *data, size_t len)
{
	unsigned n = 1;
	for (const char *p = data, *end = p + len; p < end && (p = memchr(p, '\n', (size_t)(end - p)));
	     p++)
		n++;
	return n;
}

static bool has_control(const char *s, const char *allow)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 || *s == 0x7f) && !strchr(allow, *s))
			return true;
	return false;
}

static void check_list(const char *what, const kbs_strlist *l)
{
	if (l->n > 100)
		fz_fail("%s has %zu entries", what, l->n);
	for (size_t i = 0; i < l->n; i++) {
		fz_check_utf8(what, l->v[i]);
		size_t n = strlen(l->v[i]);
		if (n == 0 || n > 100 || has_control(l->v[i], "") || l->v[i][0] == ' ' ||
		    l->v[i][n - 1] == ' ')
			fz_fail("%s entry \"%s\" breaks the rules of validation", what, l->v[i]);
		for (size_t j = 0; j < i; j++)
			if (strcmp(l->v[i], l->v[j]) == 0)
				fz_fail("%s entry \"%s\" is there twice", what, l->v[i]);
	}
}

void fz_check_article(const kbs_index__article *a, unsigned max_line)
{
	static const char *const kinds[] = { "faq", "tutorial", "guide", "troubleshooting" };
	fz_check_utf8("id", a->id);
	size_t n = strlen(a->id);
	if (n == 0 || n > KBS_MAX_ID_BYTES ||
	    strspn(a->id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != n)
		fz_fail("id \"%s\" accepted", a->id);
	fz_check_utf8("title", a->title);
	if (!*a->title || strlen(a->title) > 1000 || has_control(a->title, ""))
		fz_fail("title \"%s\" accepted", a->title);
	fz_check_utf8("body", a->body);
	if (strspn(a->body, " \t\n") == strlen(a->body))
		fz_fail("blank body accepted");
	fz_check_utf8("kind", a->kind);
	bool kind_ok = false;
	for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
		kind_ok |= strcmp(a->kind, kinds[i]) == 0;
	if (!kind_ok)
		fz_fail("kind \"%s\" accepted", a->kind);
	fz_check_utf8("lang", a->lang);
	if (strlen(a->lang) != 2 || a->lang[0] < 'a' || a->lang[0] > 'z' || a->lang[1] < 'a' ||
	    a->lang[1] > 'z')
		fz_fail("lang \"%s\" accepted", a->lang);
	if (a->category) {
		fz_check_utf8("category", a->category);
		const char *c = a->category;
		unsigned levels = 1;
		for (const char *p = c; *p; p++)
			levels += *p == '/';
		if (!*c || levels > 8 || c[0] == '/' || c[strlen(c) - 1] == '/' || strstr(c, "//") ||
		    has_control(c, ""))
			fz_fail("category \"%s\" accepted", c);
	}
	check_list("tags", &a->tags);
	check_list("audience", &a->audience);
	check_list("segments", &a->segments);
	if (a->audience.n == 0)
		fz_fail("an article with no audience (public is the default)");
	if (a->updated && !kbs_iso8601(a->updated, NULL))
		fz_fail("updated \"%s\" accepted", a->updated);
	if (a->url)
		fz_check_utf8("url", a->url);
	if (a->summary)
		fz_check_utf8("summary", a->summary);
	size_t total = strlen(a->title) + strlen(a->body);
	if (total > KBS_MAX_ARTICLE_BYTES)
		fz_fail("an article of %zu bytes accepted", total);
	if (a->line == 0 || a->line > max_line)
		fz_fail("article at line %u of %u", a->line, max_line);
	for (int f = 0; f < KBS_F_COUNT; f++)
		if (a->field_line[f] > max_line)
			fz_fail("field %s at line %u of %u", kbs_index__field_name((kbs_field)f),
				a->field_line[f], max_line);
}
