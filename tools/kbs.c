/*
 * kbs: the command-line face of libkbsearch. It uses the public API only,
 * like any host would.
 *
 * Exit status: 0 success, 1 failure (or rejected articles), 2 usage error.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: kbs COMMAND --db DIR [options]\n"
		"\n"
		"  index  --db DIR [--lang L] [--strict] [--prune] PATH...\n"
		"         index Markdown (.md) and JSONL (.jsonl) files and folders\n"
		"  search --db DIR [--lang L] [--category PATH] [--tag T]... [--kind K]\n"
		"         [--role R]... [--limit N] [--offset N] [--json] QUERY...\n"
		"  delete --db DIR ID...\n"
		"         remove articles by id (ids not found are reported)\n"
		"  show   --db DIR [--role R]... [--json] ID\n"
		"  stats  --db DIR [--json]\n"
		"\n"
		"  search ... [--segment S]...           articles for these visitors rise\n"
		"  index  ... [--synonyms FILE]          also load synonyms (synonyms.LANG.txt)\n"
		"  synonyms --db DIR load [--lang L] FILE | list [--lang L] [--json]\n"
		"  suggest  --db DIR [--lang L] [--role R]... [--limit N] [--json] PREFIX\n"
		"  answer   --db DIR [--lang L] [--role R]... [--segment S]... [--json] QUESTION\n"
		"\n"
		"  search ... --session S [--at TIME]      also records the search\n"
		"  event  --db DIR view|vote|ticket|resolved --session S [--article ID]\n"
		"         [--search-id X] [--helpful yes|no] [--comment TEXT] [--at TIME]\n"
		"  events --db DIR import FILE.jsonl | purge --older-than AGE\n"
		"         | erase --session S | trail --session S\n"
		"  report --db DIR gaps|articles|summary [--since TIME] [--until TIME]\n"
		"         [--window 24h] [--role R]... [--format table|csv|json|html]\n"
		"         [--limit N] [--out FILE]\n"
		"         TIME is ISO 8601 UTC (2026-03-01T09:30:00Z), AGE 90d, 24h, 30m\n"
		"\n"
		"  kbs --version | kbs --help\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("kbs %s\n", kbs_version());
		return 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "index", cmd_index },
		{ "delete", cmd_delete },
		{ "search", cmd_search },
		{ "show", cmd_show },
		{ "stats", cmd_stats },
		{ "synonyms", cmd_synonyms },
		{ "suggest", cmd_suggest },
		{ "answer", cmd_answer },
		{ "event", cmd_event },
		{ "events", cmd_events },
		{ "report", cmd_report },
	};
	for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++)
		if (!strcmp(cmd, cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	return cli_usage_error("unknown command '%s'", cmd);
}
