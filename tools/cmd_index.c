/* kbs index, kbs delete: articles in and out. */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- index ---- */

typedef struct index_ui {
	bool tty;
	bool bar_shown;
	int last_pct; /* redrawn only when it moves: a JSONL line is no event */
} index_ui;

static void clear_bar(index_ui *ui)
{
	if (ui->bar_shown) {
		fputs("\r\033[K", stderr);
		ui->bar_shown = false;
	}
}

static void on_diag(kbs_diag_level level, const char *file, unsigned line, const char *message,
		    void *payload)
{
	clear_bar(payload);
	if (line)
		fprintf(stderr, "%s:%u: %s%s\n", file, line,
			level == KBS_DIAG_WARNING ? "warning: " : "", message);
	else
		fprintf(stderr, "%s: %s%s\n", file, level == KBS_DIAG_WARNING ? "warning: " : "",
			message);
}

static int on_progress(uint64_t done, uint64_t total, void *payload)
{
	index_ui *ui = payload;
	if (!ui->tty || total == 0)
		return 0;
	int width = 30, pct = (int)(done * 100 / total);
	if (ui->bar_shown && pct == ui->last_pct)
		return 0;
	ui->last_pct = pct;
	int fill = (int)(done * (uint64_t)width / total);
	fprintf(stderr, "\r[%.*s%*s] %3d%%  %.1f/%.1f MB", fill,
		"##############################", width - fill, "", pct, (double)done / 1e6,
		(double)total / 1e6);
	ui->bar_shown = true;
	return 0;
}

int cmd_index(int argc, char **argv)
{
	static const int allowed[] = { O_DB, O_LANG, O_STRICT, O_PRUNE, O_SYNONYMS, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest == 0)
		return cli_usage_error("index: name the files or folders to index");

	kbs_kb *kb = cli_open(a.db, true);
	if (!kb)
		return 1;
	index_ui ui = { .tty = isatty(STDERR_FILENO) };
	kbs_index_opts o = KBS_INDEX_OPTS_INIT;
	o.default_lang = a.lang;
	o.strict = a.strict;
	o.prune = a.prune;
	o.diag = on_diag;
	o.progress = on_progress;
	o.payload = &ui;
	kbs_indexer *ix = NULL;
	kbs_index_summary sum = { 0 };
	double t0 = cli_now_s();
	kbs_status st = kbs_indexer_new(&ix, kb, &o);
	if (st != KBS_OK) {
		rc = cli_fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	st = kbs_indexer_add_paths(ix, (const char *const *)a.rest, (size_t)a.nrest);
	clear_bar(&ui);
	if (st != KBS_OK) {
		rc = cli_fail("%s; nothing was committed", kbs_indexer_errmsg(ix));
		goto cleanup;
	}
	st = kbs_indexer_commit(ix, &sum);
	clear_bar(&ui);
	if (st != KBS_OK)
		rc = cli_fail("%s", kbs_indexer_errmsg(ix));
	printf("added %llu, updated %llu, unchanged %llu, removed %llu, rejected %llu in %.2f s\n",
	       (unsigned long long)sum.added, (unsigned long long)sum.updated,
	       (unsigned long long)sum.unchanged, (unsigned long long)sum.removed,
	       (unsigned long long)sum.rejected, cli_now_s() - t0);
	if (sum.rejected)
		rc = 1;
	/* Synonyms apply at query time: loaded beside the index, not in it
	 * (the language from a synonyms.LANG.txt name). */
	if (a.synonyms) {
		if (kbs_synonyms_load_file(kb, NULL, a.synonyms) != KBS_OK)
			rc = cli_fail("%s", kbs_errmsg(kb));
		else
			printf("synonyms loaded from %s\n", a.synonyms);
	}
cleanup:
	kbs_indexer_free(ix);
	kbs_close(kb);
	return rc;
}

int cmd_delete(int argc, char **argv)
{
	static const int allowed[] = { O_DB, 0 };
	args a = { 0 };
	int rc = cli_parse(argc, argv, allowed, &a);
	if (rc)
		return rc;
	if (a.nrest == 0)
		return cli_usage_error("delete: name the ids to remove");
	kbs_kb *kb = cli_open(a.db, false);
	if (!kb)
		return 1;
	kbs_indexer *ix = NULL;
	kbs_index_summary sum = { 0 };
	if (kbs_indexer_new(&ix, kb, NULL) != KBS_OK) {
		rc = cli_fail("%s", kbs_errmsg(kb));
		goto cleanup;
	}
	for (int i = 0; i < a.nrest; i++) {
		kbs_status st = kbs_indexer_delete(ix, a.rest[i]);
		if (st == KBS_ENOTFOUND) {
			cli_fail("%s", kbs_indexer_errmsg(ix));
			rc = 1;
		} else if (st != KBS_OK) {
			rc = cli_fail("%s; nothing was committed", kbs_indexer_errmsg(ix));
			goto cleanup;
		}
	}
	if (kbs_indexer_commit(ix, &sum) != KBS_OK) {
		rc = cli_fail("%s", kbs_indexer_errmsg(ix));
		goto cleanup;
	}
	printf("removed %llu\n", (unsigned long long)sum.removed);
cleanup:
	kbs_indexer_free(ix);
	kbs_close(kb);
	return rc;
}

