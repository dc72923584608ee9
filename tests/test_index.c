/*
 * Indexing on disk: both formats, replace, delete, unchanged skip, prune,
 * strict all-or-nothing, batches that are only ever seen whole, and bulk
 * loading of an empty index (shards compacted into place).
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

typedef struct fixture {
	char *dir;  /* temp root */
	char *src;  /* dir/src: a copy of corpus/ articles */
	char *db;   /* dir/kb */
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	f->dir = tu_tmpdir();
	f->src = tu_path(f->dir, "src");
	f->db = tu_path(f->dir, "kb");
	char cmd[8192];
	snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp -r '%s/articles' '%s/export.jsonl' '%s/'",
		 f->src, KBS_CORPUS, KBS_CORPUS, f->src);
	if (system(cmd) != 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->src);
	free(f->db);
	free(f);
	return 0;
}

static kbs_kb *open_kb(const char *db)
{
	kbs_kb *kb = NULL;
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	o.flags = KBS_OPEN_CREATE;
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, db, &o, &msg);
	if (rc != KBS_OK)
		fail_msg("open %s: %s", db, msg);
	return kb;
}

/* Runs one batch over paths with the given flags; returns commit's status. */
static kbs_status batch(kbs_kb *kb, const char *const *paths, size_t n, int strict, int prune,
			kbs_index_summary *s, tu_diags *d)
{
	kbs_index_opts o = KBS_INDEX_OPTS_INIT;
	o.strict = strict;
	o.prune = prune;
	o.diag = tu_diag_cb;
	o.payload = d;
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, &o));
	kbs_status rc = kbs_indexer_add_paths(ix, paths, n);
	if (rc != KBS_OK)
		fail_msg("add_paths: %s", kbs_indexer_errmsg(ix));
	rc = kbs_indexer_commit(ix, s);
	kbs_indexer_free(ix);
	return rc;
}

static uint64_t count_articles(kbs_kb *kb)
{
	char *s = NULL;
	assert_kbs_ok(kb, kbs_stats_json(&s, kb));
	const char *p = strstr(s, "\"articles\": ");
	assert_non_null(p);
	uint64_t n = strtoull(p + 12, NULL, 10);
	kbs_string_free(s);
	return n;
}

static size_t hits(kbs_kb *kb, const char *q)
{
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	const char *roles[] = { "agent" };
	o.roles = roles;
	o.nroles = 1;
	assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
	size_t n = kbs_results_count(r);
	kbs_results_free(r);
	return n;
}

static bool has_article(kbs_kb *kb, const char *id)
{
	char *s = NULL;
	const char *roles[] = { "agent" };
	kbs_status rc = kbs_article_json(&s, kb, id, roles, 1);
	kbs_string_free(s);
	assert_true(rc == KBS_OK || rc == KBS_ENOTFOUND);
	return rc == KBS_OK;
}

static void both_formats_then_unchanged(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(d.n, 0);
	assert_true(s.added >= 60);
	assert_int_equal(s.rejected, 0);
	assert_int_equal(count_articles(kb), s.added);
	assert_true(has_article(kb, "fr-mdp-oublie"));     /* from Markdown */
	assert_true(has_article(kb, "en-business-plans")); /* from JSONL */
	uint64_t total = s.added;

	/* The same files again: nothing to do. */
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.added, 0);
	assert_int_equal(s.updated, 0);
	assert_int_equal(s.unchanged, total);
	tu_diags_free(&d);
	kbs_close(kb);
}

static void edited_article_is_replaced(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(hits(kb, "hippopotame"), 0);

	tu_write(f->src, "articles/fr/fr-mdp-oublie.md",
		 "---\nid: fr-mdp-oublie\ntitle: Le hippopotame du mot de passe\nlang: fr\n---\n"
		 "Un corps tout neuf.\n");
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.updated, 1);
	assert_int_equal(s.added, 0);
	assert_int_equal(hits(kb, "hippopotame"), 1);
	/* Replaced, not duplicated: the old body's words are gone with it. */
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_search(&r, kb, "hippopotame", NULL));
	assert_string_equal(kbs_results_id(r, 0), "fr-mdp-oublie");
	kbs_results_free(r);
	assert_int_equal(hits(kb, "inquiétude oublié réinitialiser lien") > 0, 1);
	char *json = NULL;
	assert_kbs_ok(kb, kbs_article_json(&json, kb, "fr-mdp-oublie", NULL, 0));
	assert_non_null(strstr(json, "Un corps tout neuf."));
	kbs_string_free(json);
	tu_diags_free(&d);
	kbs_close(kb);
}

static void prune_removes_articles_whose_file_is_gone(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	uint64_t total = count_articles(kb);

	char *gone = tu_path(f->src, "articles/fr/fr-odeur-gaz.md");
	unlink(gone); /* not there: it is in export.jsonl */
	free(gone);
	gone = tu_path(f->src, "articles/fr/fr-heures-creuses.md");
	assert_int_equal(unlink(gone), 0);
	free(gone);
	/* The JSONL loses one of its lines. */
	tu_write(f->src, "export.jsonl",
		 "{\"id\":\"fr-odeur-gaz\",\"title\":\"Je sens une odeur de gaz, que faire ?\","
		 "\"lang\":\"fr\",\"body\":\"Sortez et appelez le numéro d'urgence.\"}\n");

	/* Without --prune nothing is removed. */
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.removed, 0);
	assert_int_equal(count_articles(kb), total);

	assert_int_equal(batch(kb, paths, 1, 0, 1, &s, &d), KBS_OK);
	assert_false(has_article(kb, "fr-heures-creuses"));
	assert_false(has_article(kb, "en-business-plans"));
	assert_true(has_article(kb, "fr-odeur-gaz"));
	assert_true(has_article(kb, "fr-mdp-oublie"));
	/* 13 JSONL articles left their file, 1 Markdown file is gone. */
	assert_int_equal(s.removed, 14);
	assert_int_equal(count_articles(kb), total - 14);

	/* Pruning a subfolder never touches articles from elsewhere. */
	char *fr = tu_path(f->src, "articles/fr");
	const char *sub[] = { fr };
	assert_int_equal(batch(kb, sub, 1, 0, 1, &s, &d), KBS_OK);
	assert_int_equal(s.removed, 0);
	assert_true(has_article(kb, "en-forgot-password"));
	free(fr);
	tu_diags_free(&d);
	kbs_close(kb);
}

static void prune_keeps_articles_of_a_file_with_errors(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	/* A typo in front matter must not delete the published article. */
	tu_write(f->src, "articles/fr/fr-mdp-oublie.md",
		 "---\nid: fr-mdp-oublie\ntitle: [unclosed\n---\nBody.\n");
	assert_int_equal(batch(kb, paths, 1, 0, 1, &s, &d), KBS_OK);
	assert_int_equal(s.rejected, 1);
	assert_int_equal(s.removed, 0);
	assert_true(has_article(kb, "fr-mdp-oublie"));
	/* libyaml finds the unclosed list where the front matter ends. */
	assert_true(tu_diags_has(&d, "fr-mdp-oublie.md:4: YAML"));
	tu_diags_free(&d);
	kbs_close(kb);
}

static void bad_articles_are_reported_and_skipped(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	tu_write(f->dir, "bad/a.jsonl",
		 "{\"id\":\"ok-1\",\"title\":\"Fine\",\"body\":\"Fine body.\"}\n"
		 "{\"id\":\"bad id\",\"title\":\"T\",\"body\":\"B\"}\n"
		 "{\"id\":\"ok-2\",\"title\":\"Fine too\",\"body\":\"Body.\",\"kind\":\"howto\"}\n"
		 "not json\n"
		 "{\"id\":\"ok-1\",\"title\":\"Again\",\"body\":\"Duplicate.\"}\n"
		 "{\"id\":\"ok-3\",\"title\":\"Fine\",\"body\":\"Third.\"}\n");
	tu_write(f->dir, "bad/b.md", "---\nid: md-1\ntitle: A title\nkind: faq\nlang: french\n---\nBody\n");
	char *bad = tu_path(f->dir, "bad");
	const char *paths[] = { bad };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.added, 2);
	assert_int_equal(s.rejected, 5);
	assert_true(tu_diags_has(&d, "a.jsonl:2: invalid id 'bad id'"));
	assert_true(tu_diags_has(&d, "a.jsonl:3: kind 'howto'"));
	assert_true(tu_diags_has(&d, "a.jsonl:4: JSON"));
	assert_true(tu_diags_has(&d, "a.jsonl:5: duplicate id 'ok-1' (first at "));
	assert_true(tu_diags_has(&d, "b.md:5: lang 'french'"));
	assert_true(has_article(kb, "ok-1"));
	assert_true(has_article(kb, "ok-3"));
	assert_false(has_article(kb, "ok-2"));
	free(bad);
	tu_diags_free(&d);
	kbs_close(kb);
}

static void strict_batch_is_all_or_nothing(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 1, 0, &s, &d), KBS_OK);
	uint64_t before = count_articles(kb);

	tu_write(f->src, "articles/new/good.md", "---\nid: brand-new\ntitle: Nouveau\n---\nCorps.\n");
	tu_write(f->src, "articles/new/zz-bad.md", "---\nid: broken\n---\nNo title.\n");
	assert_int_equal(batch(kb, paths, 1, 1, 0, &s, &d), KBS_EINVALID);
	assert_int_equal(s.rejected, 1);
	assert_int_equal(s.added, 0);
	assert_true(tu_diags_has(&d, "zz-bad.md:1: missing required field 'title'"));
	assert_int_equal(count_articles(kb), before);
	assert_false(has_article(kb, "brand-new"));

	/* The same batch, not strict: the good article goes in. */
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_true(has_article(kb, "brand-new"));
	tu_diags_free(&d);
	kbs_close(kb);
}

static void host_articles_add_replace_delete(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	kbs_indexer *ix = NULL;
	tu_diags d = { 0 };
	kbs_index_opts o = KBS_INDEX_OPTS_INIT;
	o.default_lang = "fr";
	o.diag = tu_diag_cb;
	o.payload = &d;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, &o));
	const char *tags[] = { "appli", "appli", " notifications " };
	kbs_article a = KBS_ARTICLE_INIT;
	a.id = "cms:42";
	a.title = "Activer les notifications";
	a.body = "# Réglages\n\nOuvrez **Réglages** puis [Notifications](https://x).";
	a.body_is_markdown = 1;
	a.tags = tags;
	a.ntags = 3;
	a.category = "Application / Réglages";
	assert_int_equal(kbs_indexer_add(ix, &a), KBS_OK);
	kbs_article bad = a;
	bad.id = "has space";
	assert_int_equal(kbs_indexer_add(ix, &bad), KBS_EINVALID);
	assert_true(tu_diags_has(&d, "<api>"));
	kbs_index_summary s;
	assert_kbs_ok(kb, kbs_indexer_commit(ix, &s));
	kbs_indexer_free(ix);
	assert_int_equal(s.added, 1);
	assert_int_equal(s.rejected, 1);

	char *json = NULL;
	assert_kbs_ok(kb, kbs_article_json(&json, kb, "cms:42", NULL, 0));
	assert_non_null(strstr(json, "\"lang\":\"fr\""));
	assert_non_null(strstr(json, "\"category\":\"Application/Réglages\""));
	assert_non_null(strstr(json, "\"tags\":[\"appli\",\"notifications\"]"));
	assert_non_null(strstr(json, "Ouvrez Réglages puis Notifications."));
	kbs_string_free(json);

	/* Delete by id; deleting what is not there says so. */
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, &o));
	assert_kbs_ok(kb, kbs_indexer_delete(ix, "cms:42"));
	assert_int_equal(kbs_indexer_delete(ix, "cms:404"), KBS_ENOTFOUND);
	assert_non_null(strstr(kbs_indexer_errmsg(ix), "cms:404"));
	/* Not committed yet: still visible to searches. */
	assert_true(has_article(kb, "cms:42"));
	assert_kbs_ok(kb, kbs_indexer_commit(ix, &s));
	kbs_indexer_free(ix);
	assert_int_equal(s.removed, 1);
	assert_false(has_article(kb, "cms:42"));
	tu_diags_free(&d);
	kbs_close(kb);
}

static void uncommitted_batch_leaves_no_trace(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	const char *paths[] = { f->src };
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	assert_kbs_ok(kb, kbs_indexer_add_paths(ix, paths, 1));
	kbs_indexer_free(ix); /* dropped without commit */
	assert_int_equal(count_articles(kb), 0);

	/* A process killed in the middle of a batch leaves the last commit. */
	tu_diags d = { 0 };
	kbs_index_summary s;
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	uint64_t committed = count_articles(kb);
	tu_write(f->src, "articles/more.jsonl",
		 "{\"id\":\"extra-1\",\"title\":\"Extra\",\"body\":\"Extra body.\"}\n");
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		kbs_kb *k2 = open_kb(f->db);
		kbs_indexer *i2 = NULL;
		if (kbs_indexer_new(&i2, k2, NULL) != KBS_OK ||
		    kbs_indexer_add_paths(i2, paths, 1) != KBS_OK)
			_exit(3);
		raise(SIGKILL);
		_exit(4);
	}
	int status;
	waitpid(pid, &status, 0);
	assert_true(WIFSIGNALED(status));
	kbs_close(kb);
	kb = open_kb(f->db);
	assert_int_equal(count_articles(kb), committed);
	assert_false(has_article(kb, "extra-1"));
	/* And the lock died with it: a new batch goes through. */
	assert_int_equal(batch(kb, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_true(has_article(kb, "extra-1"));
	tu_diags_free(&d);
	kbs_close(kb);
}

static void each_file_is_read_once(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	/* A folder and a file inside it, and a symlink loop back to the top:
	 * each article is read once, so nothing clashes with itself. */
	char *jsonl = tu_path(f->src, "export.jsonl");
	char *loop = tu_path(f->src, "articles/fr/loop");
	assert_int_equal(symlink(f->src, loop), 0);
	char *dangling = tu_path(f->src, "articles/gone.md");
	assert_int_equal(symlink("/nonexistent/gone.md", dangling), 0);
	char *readme = tu_path(f->src, "articles/notes");
	assert_int_equal(symlink("/nonexistent/notes", readme), 0);
	const char *paths[] = { f->src, jsonl, f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 3, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.added, 72);
	/* Only the dangling article file is worth a word. */
	assert_int_equal(s.rejected, 1);
	assert_int_equal(d.n, 1);
	assert_true(tu_diags_has(&d, "gone.md: cannot read"));
	free(jsonl);
	free(loop);
	free(dangling);
	free(readme);
	tu_diags_free(&d);
	kbs_close(kb);
}

/* ---- bulk loading (an empty index is filled through shards) ---- */

/* Whether the knowledge base's folder holds a leftover of bulk loading. */
static bool has_bulk_leftover(const char *db)
{
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "ls -a '%s' | grep -q '^index\\.bulk-'", db);
	return system(cmd) == 0;
}

static kbs_results *search_as_agent(kbs_kb *kb, const char *q, size_t limit, size_t offset)
{
	kbs_results *r = NULL;
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	const char *roles[] = { "agent" };
	o.roles = roles;
	o.nroles = 1;
	o.limit = limit;
	o.offset = offset;
	assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
	return r;
}

/* Guards the bulk path against ranking otherwise than one article at a time:
 * the same corpus loaded into an empty index (shards, compaction) and into
 * one that already had an article (the transaction) gives the same hits in
 * the same order with the same scores. */
static void bulk_load_ranks_as_one_by_one(void **state)
{
	fixture *f = *state;
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	kbs_kb *bulk = open_kb(f->db);
	assert_int_equal(batch(bulk, paths, 1, 0, 0, &s, &d), KBS_OK);
	assert_int_equal(s.added, 72);

	char *db2 = tu_path(f->dir, "kb2");
	kbs_kb *serial = open_kb(db2);
	kbs_indexer *ix = NULL;
	assert_kbs_ok(serial, kbs_indexer_new(&ix, serial, NULL));
	kbs_article seed = KBS_ARTICLE_INIT;
	seed.id = "seed";
	seed.title = "Graine";
	seed.body = "Un article pour que l'index ne soit pas vide.";
	assert_kbs_ok(serial, kbs_indexer_add(ix, &seed));
	assert_kbs_ok(serial, kbs_indexer_commit(ix, NULL));
	kbs_indexer_free(ix);
	assert_kbs_ok(serial, kbs_indexer_new(&ix, serial, NULL));
	assert_kbs_ok(serial, kbs_indexer_add_paths(ix, paths, 1));
	assert_kbs_ok(serial, kbs_indexer_delete(ix, "seed"));
	assert_kbs_ok(serial, kbs_indexer_commit(ix, NULL));
	kbs_indexer_free(ix);
	assert_int_equal(count_articles(serial), 72);

	static const char *const queries[] = {
		"mot de passe oublié", "facture", "résilier contrat", "download invoice",
		"compteur", "\"espace client\"", "", "password reset", "déménagement",
	};
	for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
		kbs_results *a = search_as_agent(bulk, queries[q], 50, 0);
		kbs_results *b = search_as_agent(serial, queries[q], 50, 0);
		assert_int_equal(kbs_results_count(a), kbs_results_count(b));
		assert_int_equal(kbs_results_total(a), kbs_results_total(b));
		for (size_t i = 0; i < kbs_results_count(a); i++) {
			if (strcmp(kbs_results_id(a, i), kbs_results_id(b, i)) != 0)
				fail_msg("\"%s\" hit %zu: %s in bulk, %s one by one", queries[q], i,
					 kbs_results_id(a, i), kbs_results_id(b, i));
			assert_float_equal(kbs_results_score(a, i), kbs_results_score(b, i), 1e-9);
		}
		kbs_results_free(a);
		kbs_results_free(b);
	}
	assert_false(has_bulk_leftover(f->db));
	kbs_close(serial);
	kbs_close(bulk);
	tu_rmtree(db2);
	free(db2);
	tu_diags_free(&d);
}

/* Guards the order of documents across shards: articles that rank alike
 * come out in the order they were added, as they would one at a time,
 * however many runs (shards) the batch took. */
static void bulk_load_keeps_batch_order(void **state)
{
	fixture *f = *state;
	enum { N = 1500 }; /* several runs of the bulk workers */
	kbs_kb *kb = open_kb(f->db);
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	for (unsigned i = 0; i < N; i++) {
		char id[16];
		snprintf(id, sizeof id, "a%04u", i);
		kbs_article a = KBS_ARTICLE_INIT;
		a.id = id;
		a.title = "Identical twins";
		a.body = "Every article of this batch has the same words.";
		a.lang = "en";
		assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
	}
	kbs_index_summary s;
	assert_kbs_ok(kb, kbs_indexer_commit(ix, &s));
	kbs_indexer_free(ix);
	assert_int_equal(s.added, N);
	assert_int_equal(count_articles(kb), N);
	static const size_t offsets[] = { 0, 500, 511, 1020, 1490 };
	for (size_t k = 0; k < sizeof offsets / sizeof *offsets; k++) {
		kbs_results *r = search_as_agent(kb, "identical twins", 10, offsets[k]);
		assert_int_equal(kbs_results_total(r), N);
		assert_int_equal(kbs_results_count(r), 10);
		for (size_t i = 0; i < 10; i++) {
			char id[16];
			snprintf(id, sizeof id, "a%04zu", offsets[k] + i);
			assert_string_equal(kbs_results_id(r, i), id);
		}
		kbs_results_free(r);
	}
	kbs_close(kb);
}

/* Guards deletes inside a bulk batch: the article is in a shard, not in
 * the index yet. */
static void bulk_delete_within_the_batch(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	static const char *const ids[] = { "a", "b", "c" };
	kbs_article a = KBS_ARTICLE_INIT;
	a.title = "Changer d'adresse";
	a.body = "Mettez votre adresse à jour.";
	for (size_t i = 0; i < 3; i++) {
		a.id = ids[i];
		assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
	}
	assert_kbs_ok(kb, kbs_indexer_delete(ix, "b"));
	assert_int_equal(kbs_indexer_delete(ix, "nope"), KBS_ENOTFOUND);
	a.id = "d";
	assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
	kbs_index_summary s;
	assert_kbs_ok(kb, kbs_indexer_commit(ix, &s));
	kbs_indexer_free(ix);
	assert_int_equal(s.added, 4);
	assert_int_equal(s.removed, 1);
	assert_true(has_article(kb, "a"));
	assert_false(has_article(kb, "b"));
	assert_true(has_article(kb, "c"));
	assert_true(has_article(kb, "d"));
	assert_int_equal(hits(kb, "adresse"), 3);
	kbs_close(kb);
}

/* Guards the shards' folder: a failed, dropped or crashed bulk batch
 * leaves the index empty and nothing beside it (a crash's leftover goes
 * with the next writer). */
static void bulk_leaves_nothing_behind(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	tu_write(f->src, "bad.jsonl",
		 "{\"id\":\"ok-1\",\"title\":\"Bon\",\"body\":\"Un bon article.\"}\n"
		 "{\"id\":\"bad 2\",\"title\":\"Mauvais\",\"body\":\"Un id invalide.\"}\n");
	char *bad = tu_path(f->src, "bad.jsonl");
	const char *paths[] = { f->src };
	kbs_index_summary s;
	tu_diags d = { 0 };
	assert_int_equal(batch(kb, paths, 1, 1, 0, &s, &d), KBS_EINVALID);
	assert_int_equal(count_articles(kb), 0);
	assert_false(has_bulk_leftover(f->db));

	/* Dropped without a commit. */
	kbs_indexer *ix = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	assert_true(has_bulk_leftover(f->db));
	assert_kbs_ok(kb, kbs_indexer_add_paths(ix, paths, 1));
	kbs_indexer_free(ix);
	assert_int_equal(count_articles(kb), 0);
	assert_false(has_bulk_leftover(f->db));

	/* What a killed writer left is removed by the next one. */
	char *stale = tu_path(f->db, "index.bulk-Zx81q0");
	tu_write(stale, "s00000000/postlist.glass", "partial");
	assert_true(has_bulk_leftover(f->db));
	unlink(bad);
	assert_int_equal(batch(kb, paths, 1, 1, 0, &s, &d), KBS_OK);
	assert_int_equal(count_articles(kb), 72);
	assert_false(has_bulk_leftover(f->db));
	free(stale);
	free(bad);
	tu_diags_free(&d);
	kbs_close(kb);
}

/* Guards the swap of an empty index: searches on an open handle must see
 * the new one even when both were made by a bulk batch (the first one's
 * only article deleted within it), since readers notice a new index by its
 * revision alone. */
static void bulk_batch_after_an_empty_bulk_batch(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	kbs_indexer *ix = NULL;
	kbs_article a = KBS_ARTICLE_INIT;
	a.id = "gone";
	a.title = "Article fantôme";
	a.body = "Ajouté puis retiré dans le même lot.";
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
	assert_kbs_ok(kb, kbs_indexer_delete(ix, "gone"));
	assert_kbs_ok(kb, kbs_indexer_commit(ix, NULL));
	kbs_indexer_free(ix);
	assert_int_equal(hits(kb, "fantôme"), 0);

	a.id = "here";
	a.title = "Article présent";
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	assert_kbs_ok(kb, kbs_indexer_add(ix, &a));
	assert_kbs_ok(kb, kbs_indexer_commit(ix, NULL));
	kbs_indexer_free(ix);
	assert_int_equal(hits(kb, "présent"), 1);
	assert_int_equal(count_articles(kb), 1);
	kbs_close(kb);
}

static void one_writer_at_a_time(void **state)
{
	fixture *f = *state;
	kbs_kb *kb = open_kb(f->db);
	kbs_indexer *ix = NULL, *second = NULL;
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	/* Same handle. */
	assert_int_equal(kbs_indexer_new(&second, kb, NULL), KBS_ELOCKED);
	assert_null(second);
	/* Another handle on the same directory, as a second process would. */
	kbs_kb *other = open_kb(f->db);
	assert_int_equal(kbs_indexer_new(&second, other, NULL), KBS_ELOCKED);
	assert_non_null(strstr(kbs_errmsg(other), "another indexer"));
	kbs_indexer_free(ix);
	assert_kbs_ok(other, kbs_indexer_new(&second, other, NULL));
	kbs_indexer_free(second);
	kbs_close(other);
	kbs_close(kb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(both_formats_then_unchanged, setup, teardown),
		cmocka_unit_test_setup_teardown(edited_article_is_replaced, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_removes_articles_whose_file_is_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(prune_keeps_articles_of_a_file_with_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_articles_are_reported_and_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(strict_batch_is_all_or_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(host_articles_add_replace_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(uncommitted_batch_leaves_no_trace, setup, teardown),
		cmocka_unit_test_setup_teardown(each_file_is_read_once, setup, teardown),
		cmocka_unit_test_setup_teardown(one_writer_at_a_time, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_load_ranks_as_one_by_one, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_load_keeps_batch_order, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_delete_within_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_leaves_nothing_behind, setup, teardown),
		cmocka_unit_test_setup_teardown(bulk_batch_after_an_empty_bulk_batch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
