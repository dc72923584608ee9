/*
 * Error paths: every failure comes back as a status a caller can branch on,
 * with a message that says where and why, and leaves nothing half-made.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

static void open_missing_knowledge_base(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *missing = tu_path(dir, "nope");
	kbs_kb *kb = (kbs_kb *)1;
	char *msg = NULL;
	assert_int_equal(kbs_open(&kb, missing, NULL, &msg), KBS_ENOTFOUND);
	assert_null(kb);
	assert_non_null(msg);
	assert_non_null(strstr(msg, missing));
	kbs_string_free(msg);
	/* Opening to search never creates anything. */
	assert_int_equal(access(missing, F_OK), -1);

	/* An empty directory is not a knowledge base either. */
	assert_int_equal(kbs_open(&kb, dir, NULL, &msg), KBS_ENOTFOUND);
	assert_non_null(strstr(msg, "no index"));
	kbs_string_free(msg);

	/* A file where a directory should be. */
	tu_write(dir, "file", "x");
	char *file = tu_path(dir, "file");
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	o.flags = KBS_OPEN_CREATE;
	assert_int_equal(kbs_open(&kb, file, &o, &msg), KBS_EIO);
	assert_non_null(strstr(msg, "not a directory"));
	kbs_string_free(msg);
	free(file);
	free(missing);
	tu_rmtree(dir);
	free(dir);
}

static void damaged_index_is_reported(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *db = tu_path(dir, "kb");
	const char *paths[] = { KBS_CORPUS "/export.jsonl" };
	kbs_kb *kb = tu_kb_index(db, paths, 1, NULL, NULL);
	kbs_close(kb);
	/* Overwrite every table file of the index with garbage. */
	char cmd[4096];
	snprintf(cmd, sizeof cmd,
		 "for f in '%s'/index/*.glass; do head -c 8192 /dev/urandom > \"$f\"; done", db);
	assert_int_equal(system(cmd), 0);
	char *msg = NULL;
	kbs_status rc = kbs_open(&kb, db, NULL, &msg);
	if (rc == KBS_OK) {
		/* Xapian may only notice at first read: then the search fails. */
		kbs_results *r = NULL;
		rc = kbs_search(&r, kb, "facture", NULL);
		assert_null(r);
		msg = strdup(kbs_errmsg(kb));
		kbs_close(kb);
	}
	assert_int_equal(rc, KBS_EIO);
	assert_non_null(strstr(msg, "damaged"));
	free(msg);
	free(db);
	tu_rmtree(dir);
	free(dir);
}

static void bad_arguments(void **state)
{
	(void)state;
	kbs_kb *kb = NULL;
	assert_int_equal(kbs_open(NULL, "/tmp", NULL, NULL), KBS_EINVALID);
	assert_int_equal(kbs_open(&kb, NULL, NULL, NULL), KBS_EINVALID);
	kbs_open_opts o = KBS_OPEN_OPTS_INIT;
	o.version = 99;
	assert_int_equal(kbs_open(&kb, "/tmp", &o, NULL), KBS_EINVALID);
	assert_int_equal(kbs_open_opts_init(&o, 99), KBS_EINVALID);
	assert_int_equal(kbs_open_opts_init(&o, KBS_OPEN_OPTS_VERSION), KBS_OK);
	kbs_search_opts so;
	assert_int_equal(kbs_search_opts_init(&so, KBS_SEARCH_OPTS_VERSION), KBS_OK);
	assert_int_equal(so.limit, 10);
	kbs_index_opts io;
	assert_int_equal(kbs_index_opts_init(&io, 0), KBS_EINVALID);

	char *dir = tu_tmpdir();
	const char *paths[] = { KBS_CORPUS "/export.jsonl" };
	kb = tu_kb_index(dir, paths, 1, NULL, NULL);
	kbs_results *r = NULL;
	so.version = 7;
	assert_int_equal(kbs_search(&r, kb, "x", &so), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(kb), "version"));
	/* The message is reset by the next call that succeeds. */
	assert_kbs_ok(kb, kbs_search(&r, kb, "facture", NULL));
	assert_string_equal(kbs_errmsg(kb), "");
	kbs_results_free(r);

	/* Getters out of range answer NULL / 0 rather than crash. */
	assert_kbs_ok(kb, kbs_search(&r, kb, "facture", NULL));
	size_t n = kbs_results_count(r);
	assert_null(kbs_results_id(r, n));
	assert_null(kbs_results_tag(r, 0, 999));
	assert_int_equal(kbs_results_confidence(r, n), 0);
	assert_null(kbs_results_facet_label(r, (kbs_facet)7, 0));
	assert_int_equal(kbs_results_count(NULL), 0);
	kbs_results_free(r);

	/* Indexer argument errors. */
	kbs_index_opts bad = KBS_INDEX_OPTS_INIT;
	bad.default_lang = "french";
	kbs_indexer *ix = NULL;
	assert_int_equal(kbs_indexer_new(&ix, kb, &bad), KBS_EINVALID);
	assert_non_null(strstr(kbs_errmsg(kb), "ISO 639-1"));
	assert_kbs_ok(kb, kbs_indexer_new(&ix, kb, NULL));
	char *missing = tu_path(dir, "missing.md");
	const char *nopaths[] = { missing };
	assert_int_equal(kbs_indexer_add_paths(ix, nopaths, 1), KBS_ENOTFOUND);
	assert_non_null(strstr(kbs_indexer_errmsg(ix), missing));
	tu_write(dir, "notes.txt", "hello");
	char *txt = tu_path(dir, "notes.txt");
	const char *txtpaths[] = { txt };
	assert_int_equal(kbs_indexer_add_paths(ix, txtpaths, 1), KBS_EINVALID);
	assert_non_null(strstr(kbs_indexer_errmsg(ix), "not an article file"));
	kbs_article a = KBS_ARTICLE_INIT;
	a.version = 42;
	assert_int_equal(kbs_indexer_add(ix, &a), KBS_EINVALID);
	assert_kbs_ok(kb, kbs_indexer_commit(ix, NULL));
	assert_int_equal(kbs_indexer_commit(ix, NULL), KBS_EINVALID); /* once only */
	kbs_indexer_free(ix);
	free(missing);
	free(txt);
	kbs_close(kb);
	tu_rmtree(dir);
	free(dir);

	/* NULL is fine for every free. */
	kbs_close(NULL);
	kbs_results_free(NULL);
	kbs_indexer_free(NULL);
	kbs_string_free(NULL);
}

static void status_strings(void **state)
{
	(void)state;
	const kbs_status all[] = { KBS_OK, KBS_STOP, KBS_ERROR, KBS_ENOTFOUND, KBS_EINVALID,
				   KBS_ESYNTAX, KBS_ELOCKED, KBS_ERETRY, KBS_ENOMEM, KBS_EIO,
				   KBS_ITEROVER };
	for (size_t i = 0; i < sizeof all / sizeof *all; i++) {
		const char *s = kbs_status_str(all[i]);
		assert_non_null(s);
		assert_string_not_equal(s, "unknown status");
	}
	assert_string_equal(kbs_status_str((kbs_status)12345), "unknown status");
	assert_string_equal(kbs_version(), "0.1.0");
}

static void read_only_knowledge_base(void **state)
{
	(void)state;
	if (geteuid() == 0)
		skip(); /* root writes through any permission */
	char *dir = tu_tmpdir();
	const char *paths[] = { KBS_CORPUS "/export.jsonl" };
	kbs_kb *kb = tu_kb_index(dir, paths, 1, NULL, NULL);
	kbs_close(kb);
	char *idx = tu_path(dir, "index");
	chmod(idx, 0555);
	char *msg = NULL;
	assert_kbs_ok(NULL, kbs_open(&kb, dir, NULL, &msg)); /* reading is fine */
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_search(&r, kb, "facture", NULL));
	assert_true(kbs_results_count(r) > 0);
	kbs_results_free(r);
	kbs_indexer *ix = NULL;
	kbs_status rc = kbs_indexer_new(&ix, kb, NULL);
	assert_true(rc == KBS_EIO || rc == KBS_ELOCKED);
	assert_string_not_equal(kbs_errmsg(kb), "");
	kbs_close(kb);
	chmod(idx, 0755);
	free(idx);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_missing_knowledge_base),
		cmocka_unit_test(damaged_index_is_reported),
		cmocka_unit_test(bad_arguments),
		cmocka_unit_test(status_strings),
		cmocka_unit_test(read_only_knowledge_base),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
