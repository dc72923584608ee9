/*
 * What every kbs command shares: option parsing, error reporting, opening
 * the knowledge base, JSON output. One file per group of commands uses it.
 *
 * Exit status of every command: 0 success, 1 failure (or rejected
 * articles), 2 usage error.
 */
#ifndef KBS_CLI_H
#define KBS_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "kbsearch.h"

#define MAX_LIST 64

/* Every option of every command; each command says which it takes. */
enum cli_opt {
	O_DB = 256,
	O_LANG,
	O_CATEGORY,
	O_TAG,
	O_KIND,
	O_ROLE,
	O_SEGMENT,
	O_LIMIT,
	O_OFFSET,
	O_JSON,
	O_STRICT,
	O_PRUNE,
	O_SYNONYMS,
	O_SESSION,
	O_AT,
	O_ARTICLE,
	O_SEARCH_ID,
	O_HELPFUL,
	O_COMMENT,
	O_OLDER_THAN,
	O_SINCE,
	O_UNTIL,
	O_WINDOW,
	O_FORMAT,
	O_OUT,
};

typedef struct args {
	const char *db, *lang, *category, *kind, *synonyms;
	const char *session, *at, *article, *search_id, *helpful, *comment;
	const char *older_than, *since, *until, *window, *format, *out;
	const char *tags[MAX_LIST], *roles[MAX_LIST], *segments[MAX_LIST];
	size_t ntags, nroles, nsegments;
	size_t limit, offset;
	bool json, strict, prune;
	char **rest; /* what follows the options */
	int nrest;
} args;

/* Parses argv (argv[0] is the command's name) for one command; `allowed`
 * lists the O_* options it takes, 0-terminated. Returns 0, or the exit
 * status of a usage error (already reported). --db is required. */
int cli_parse(int argc, char **argv, const int *allowed, args *a);

/* "kbs: message" on stderr; returns 1. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same for a usage error, with a pointer to --help; returns 2. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Opens the knowledge base at db (creating it when `create`), saying how to
 * make one when it is missing. NULL on failure (reported). */
kbs_kb *cli_open(const char *db, bool create);

/* What kbs search and kbs answer share: parses argv for the options in
 * `allowed`, joins the rest into *text, opens the knowledge base and runs
 * kbs_search (or kbs_answer). Returns 0 with *kb, *r and *text set (the
 * caller frees them, also on failure), or an exit status (reported). */
int cli_run_query(int argc, char **argv, const int *allowed, bool answer, args *a,
		  kbs_kb **kb, kbs_results **r, char **text);

/* Prints o (consumed) indented; returns 0, or 1 when out of memory. */
int cli_print_json(json_t *o);

/* The words of argv joined by spaces (malloc'd). */
char *cli_join(char **v, int n);

double cli_now_s(void);

/* Commands, by file. */
int cmd_index(int argc, char **argv);  /* cmd_index.c */
int cmd_delete(int argc, char **argv); /* cmd_index.c */
int cmd_search(int argc, char **argv); /* cmd_search.c */
int cmd_show(int argc, char **argv);   /* cmd_search.c */
int cmd_stats(int argc, char **argv);  /* cmd_search.c */
int cmd_synonyms(int argc, char **argv); /* cmd_query.c */
int cmd_suggest(int argc, char **argv);  /* cmd_query.c */
int cmd_answer(int argc, char **argv);   /* cmd_query.c */
int cmd_event(int argc, char **argv);  /* cmd_events.c */
int cmd_events(int argc, char **argv); /* cmd_events.c */
int cmd_report(int argc, char **argv); /* cmd_events.c */

/* --OPT TIME (ISO 8601, UTC unless it says otherwise) into ms since the
 * epoch, and --OPT AGE (90d, 24h, 30m, 45s, 2w) into ms; NULL leaves 0.
 * Returns 0, or the exit status of a usage error (reported). */
int cli_parse_time(const char *opt, const char *s, int64_t *out);
int cli_parse_age(const char *opt, const char *s, int64_t *out);

#endif
