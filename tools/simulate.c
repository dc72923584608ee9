/*
 * kbs-simulate: replays simulated help-center traffic into a knowledge
 * base's events log, through the public API like a portal would: visitors
 * search (sometimes keystroke by keystroke), read the top hit, vote,
 * sometimes open a ticket; some ask what the corpus does not answer; a
 * few type personal data; agents search their own procedures. The same
 * seed gives the same traffic.
 *
 *   kbs-simulate --db DIR [--seed N] [--start 2026-02-01] [--days 59]
 *                [--sessions-per-day 70]
 *
 * Two months by default, so that a report of March has February to
 * compare with; one question ("appli bloquée ios") only appears in March.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kbsearch.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast and the same everywhere */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545F4914F6CDD1DULL;
}

static double uniform(void)
{
	return (double)(rnd() >> 11) / (double)(1ULL << 53);
}

static bool chance(double p)
{
	return uniform() < p;
}

typedef struct question {
	const char *text;
	const char *lang;
	double weight;
	int from_day; /* appears from this day of the simulation on */
} question;

/* What visitors of an energy supplier's help center type. The last group
 * has no answer in corpus/: the content gaps the report should show. */
static const question questions[] = {
	{ "mot de passe oublié", "fr", 9, 0 },
	{ "réinitialiser mot de passe", "fr", 4, 0 },
	{ "facture en ligne", "fr", 7, 0 },
	{ "télécharger ma facture", "fr", 6, 0 },
	{ "facture trop élevée", "fr", 6, 0 },
	{ "comprendre ma facture", "fr", 4, 0 },
	{ "résilier mon contrat", "fr", 6, 0 },
	{ "résiliation après décès", "fr", 2, 0 },
	{ "déménagement", "fr", 5, 0 },
	{ "mise en service compteur", "fr", 3, 0 },
	{ "relevé linky", "fr", 4, 0 },
	{ "autorelevé compteur", "fr", 3, 0 },
	{ "changer de rib", "fr", 3, 0 },
	{ "prélèvement rejeté", "fr", 3, 0 },
	{ "mensualisation échéancier", "fr", 3, 0 },
	{ "heures creuses", "fr", 3, 0 },
	{ "panne d'électricité", "fr", 4, 0 },
	{ "attestation de contrat", "fr", 2, 0 },
	{ "justificatif de domicile", "fr", 3, 0 },
	{ "installer l'appli", "fr", 3, 0 },
	{ "code de vérification non reçu", "fr", 3, 0 },
	{ "contacter le service client", "fr", 4, 0 },
	{ "changer d'offre", "fr", 2, 0 },
	{ "forgot password", "en", 3, 0 },
	{ "download invoice", "en", 2, 0 },
	{ "cancel contract", "en", 2, 0 },
	{ "moving out", "en", 1, 0 },
	{ "power outage", "en", 1, 0 },
	/* not answered by the corpus */
	{ "parrainage ami", "fr", 4, 0 },
	{ "borne de recharge voiture électrique", "fr", 3, 0 },
	{ "panneaux solaires autoconsommation", "fr", 2, 0 },
	{ "tarif gaz naturel", "fr", 3, 0 },
	{ "appli bloquée ios", "fr", 6, 31 },
	{ "off-peak hours", "en", 1, 0 },
};
#define NQ (sizeof questions / sizeof *questions)

static const char *const agent_questions[] = { "geste commercial", "correction index",
					       "meter override" };

/* How well each article settles the question (0.5..0.95), stable per id:
 * some articles prevent tickets, others do not. */
static double helpfulness(const char *id)
{
	uint64_t h = 1469598103934665603ULL;
	for (const char *c = id; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	return 0.5 + (double)(h % 1000) / 1000.0 * 0.45;
}

static const question *pick(int day)
{
	double total = 0;
	for (size_t i = 0; i < NQ; i++)
		if (day >= questions[i].from_day)
			total += questions[i].weight;
	double x = uniform() * total;
	for (size_t i = 0; i < NQ; i++) {
		if (day < questions[i].from_day)
			continue;
		if ((x -= questions[i].weight) < 0)
			return &questions[i];
	}
	return &questions[0];
}

typedef struct counts {
	unsigned long sessions, searches, views, votes, tickets, resolved;
} counts;

static kbs_results *search(kbs_kb *kb, const char *session, int64_t at, const char *text,
			   const char *lang, const char *const *roles, size_t nroles, counts *c)
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.session = session;
	o.at = at;
	o.lang = lang;
	o.roles = roles;
	o.nroles = nroles;
	o.limit = 5;
	o.flags = KBS_SEARCH_NO_SNIPPETS | KBS_SEARCH_NO_FACETS;
	kbs_results *r = NULL;
	if (kbs_search(&r, kb, text, &o) != KBS_OK) {
		fprintf(stderr, "kbs-simulate: search: %s\n", kbs_errmsg(kb));
		exit(1);
	}
	c->searches++;
	return r;
}

static void event(kbs_kb *kb, kbs_event_type type, const char *session, int64_t at,
		  const char *article, const char *search_id, int helpful, counts *c)
{
	kbs_event ev = KBS_EVENT_INIT;
	ev.type = type;
	ev.session = session;
	ev.at = at;
	ev.article = article;
	ev.search_id = search_id;
	ev.helpful = helpful;
	if (type == KBS_EVENT_VOTE && !helpful && chance(0.3))
		ev.comment = chance(0.5) ? "pas clair, rappelez-moi au 06 12 34 56 78"
					 : "ne répond pas à ma question";
	kbs_status st;
	while ((st = kbs_event_log(kb, &ev)) == KBS_ERETRY)
		kbs_events_flush(kb); /* a burst outran the writer: let it catch up */
	if (st != KBS_OK) {
		fprintf(stderr, "kbs-simulate: event: %s\n", kbs_errmsg(kb));
		exit(1);
	}
	c->views += type == KBS_EVENT_VIEW;
	c->votes += type == KBS_EVENT_VOTE;
	c->tickets += type == KBS_EVENT_TICKET;
	c->resolved += type == KBS_EVENT_RESOLVED;
}

/* One visitor: one or two questions, each perhaps typed keystroke by
 * keystroke, then reading, voting, or giving up and opening a ticket. */
static void visit(kbs_kb *kb, int64_t t, int day, unsigned long n, counts *c)
{
	char session[32];
	snprintf(session, sizeof session, "sim-%lu", n);
	c->sessions++;
	bool agent = chance(0.04);
	const char *roles[] = { "agent" };
	int nq = chance(0.25) ? 2 : 1;
	for (int k = 0; k < nq; k++) {
		const question *q = pick(day);
		const char *text = agent ? agent_questions[rnd() % 3] : q->text;
		/* A portal passes its interface language. */
		const char *lang = agent ? NULL : q->lang;
		char typed[256];
		snprintf(typed, sizeof typed, "%s", text);
		if (!agent && chance(0.015))
			snprintf(typed, sizeof typed, "%s %s", text,
				 chance(0.5) ? "client 0612345678" : "jean.martin@exemple.fr");
		/* Instant search: a few prefixes, 400 ms apart. */
		if (chance(0.3)) {
			for (size_t cut = 3; cut < strlen(typed) && cut < 12; cut += 4) {
				char prefix[16];
				size_t end = cut;
				while (end > 1 && ((unsigned char)typed[end] & 0xC0) == 0x80)
					end--; /* whole characters only */
				snprintf(prefix, sizeof prefix, "%.*s", (int)end, typed);
				kbs_results_free(search(kb, session, t, prefix, lang, NULL, 0, c));
				t += 400;
			}
		}
		kbs_results *r = search(kb, session, t, typed, lang, roles, agent ? 1 : 0, c);
		t += 5000 + (int64_t)(uniform() * 20000);
		bool found = kbs_results_count(r) > 0;
		bool sure = kbs_results_confident(r);
		if (found && chance(sure ? 0.8 : 0.35)) {
			size_t pick_hit = chance(0.8) ? 0 : rnd() % kbs_results_count(r);
			const char *id = kbs_results_id(r, pick_hit);
			double h = helpfulness(id);
			event(kb, KBS_EVENT_VIEW, session, t, id, kbs_results_search_id(r), 0, c);
			t += 30000 + (int64_t)(uniform() * 120000);
			bool solved = chance(sure ? h : h * 0.6);
			if (chance(0.25))
				event(kb, KBS_EVENT_VOTE, session, t, id, NULL, solved, c);
			if (solved && chance(0.1))
				event(kb, KBS_EVENT_RESOLVED, session, t + 1000, id, NULL, 0, c);
			if (!solved && chance(0.5)) {
				/* The ticket comes later, sometimes the next day. */
				int64_t later = chance(0.8) ? 10 * 60000 : 30 * 3600000LL;
				event(kb, KBS_EVENT_TICKET, session, t + later, NULL, NULL, 0, c);
				kbs_results_free(r);
				return;
			}
		} else if (chance(found ? 0.25 : 0.5)) {
			event(kb, KBS_EVENT_TICKET, session, t + 2 * 60000, NULL, NULL, 0, c);
			kbs_results_free(r);
			return;
		}
		kbs_results_free(r);
		t += 60000;
	}
}

static bool parse_day(const char *s, int64_t *out)
{
	return kbs_time_parse(out, s) == KBS_OK;
}

int main(int argc, char **argv)
{
	const char *db = NULL, *start = "2026-02-01";
	unsigned long seed = 42, per_day = 70;
	int days = 59;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--db"))
			db = argv[i + 1];
		else if (!strcmp(argv[i], "--seed"))
			seed = strtoul(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--start"))
			start = argv[i + 1];
		else if (!strcmp(argv[i], "--days"))
			days = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--sessions-per-day"))
			per_day = strtoul(argv[i + 1], NULL, 10);
		else
			db = NULL, i = argc;
	}
	int64_t t0;
	if (!db || days <= 0 || !parse_day(start, &t0)) {
		fprintf(stderr, "usage: kbs-simulate --db DIR [--seed N] [--start YYYY-MM-DD] [--days N]"
				" [--sessions-per-day N]\n");
		return 2;
	}
	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	kbs_kb *kb = NULL;
	char *msg = NULL;
	if (kbs_open(&kb, db, NULL, &msg) != KBS_OK) {
		fprintf(stderr, "kbs-simulate: %s\n", msg ? msg : "cannot open");
		return 1;
	}
	counts c = { 0 };
	unsigned long n = 0;
	for (int day = 0; day < days; day++) {
		int64_t midnight = t0 + (int64_t)day * 86400000LL;
		int wday = (int)(((midnight / 86400000LL) + 4) % 7); /* 0 Sunday */
		unsigned long today = wday == 0 || wday == 6 ? per_day / 2 : per_day;
		for (unsigned long v = 0; v < today; v++) {
			/* Mostly office hours, some evenings. */
			double hour = chance(0.8) ? 8 + uniform() * 10 : 18 + uniform() * 5;
			visit(kb, midnight + (int64_t)(hour * 3600000.0), day, n++, &c);
		}
	}
	kbs_status st = kbs_events_flush(kb);
	if (st != KBS_OK)
		fprintf(stderr, "kbs-simulate: %s\n", kbs_errmsg(kb));
	printf("simulated %d days from %s: %lu sessions, %lu searches, %lu views, %lu votes, "
	       "%lu resolved, %lu tickets\n",
	       days, start, c.sessions, c.searches, c.views, c.votes, c.resolved, c.tickets);
	kbs_close(kb);
	return st == KBS_OK ? 0 : 1;
}
