/*
 * Access control as a property: on a generated knowledge base whose
 * articles are for the public, for customers, for agents or for both,
 * thousands of random queries built from the words of the restricted
 * articles (whole, as prefixes, misspelt, quoted, excluded, with synonyms,
 * with filters) are run as a public caller, some as a customer. Nothing a
 * caller receives — hits and their fields, snippets, facets, corrected
 * query, answer passages, suggestions, and the reports of the events
 * store read with the caller's roles — may name a restricted article's id
 * or hold a word that appears only in articles above the caller's roles.
 *
 * Words are made up (no dictionary word, so none can come from elsewhere),
 * each pool of its own: public words, customer words (in customer and in
 * customer-and-agent articles), agent words (in agent-only articles).
 * KBS_TEST_SEED replays a run; KBS_ACCESS_QUERIES sets the number of
 * public searches (default 3000).
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "common.h"

enum { POOL_PUBLIC, POOL_CUSTOMER, POOL_AGENT, NPOOLS };
#define POOL_WORDS 80

typedef struct article {
	char id[16];
	int pool;         /* whose words it is written with */
	bool customer, agent; /* its audience, beyond public */
	char *title, *body, *category, *tags[4];
	size_t ntags;
} article;

#define NARTICLES 120

static tu_rng rng;
static uint64_t seed;
static char *words[NPOOLS][POOL_WORDS];
static article arts[NARTICLES];
static char *dir;
static kbs_kb *kb;
static unsigned checked, matched_restricted, leaks;

/* ---- the corpus ---- */

/* A made-up word of 7 or 8 letters, consonant-vowel: pronounceable, and
 * neither French nor English. */
static char *make_word(void)
{
	static const char cons[] = "bdfgklmnprtvz", vow[] = "aeiou";
	char w[16];
	size_t n = 7 + tu_below(&rng, 2);
	for (size_t i = 0; i < n; i++)
		w[i] = i % 2 ? vow[tu_below(&rng, 5)] : cons[tu_below(&rng, 13)];
	w[n] = '\0';
	return strdup(w);
}

static bool word_taken(const char *w)
{
	for (int p = 0; p < NPOOLS; p++)
		for (int i = 0; i < POOL_WORDS && words[p][i]; i++)
			if (!strcmp(words[p][i], w))
				return true;
	return false;
}

static const char *pick(int pool)
{
	return words[pool][tu_below(&rng, POOL_WORDS)];
}

/* A word of the article's own pool most of the time, a public one now and
 * then: restricted articles share words with public ones, so that one
 * query finds both and the filter has something to remove. */
static const char *article_word(int pool)
{
	return pool != POOL_PUBLIC && tu_below(&rng, 4) == 0 ? pick(POOL_PUBLIC) : pick(pool);
}

static char *sentence(int pool, size_t nmin, size_t nmax)
{
	kbs_buf b = { 0 };
	size_t n = nmin + tu_below(&rng, nmax - nmin + 1);
	for (size_t i = 0; i < n; i++) {
		const char *w = article_word(pool);
		kbs_buf_addf(&b, "%s%c%s", i ? " " : "", i ? w[0] : (char)toupper((unsigned char)w[0]),
			     w + 1);
		if (i + 1 < n && tu_below(&rng, 7) == 0)
			kbs_buf_adds(&b, tu_below(&rng, 2) ? "," : ".");
	}
	kbs_buf_addc(&b, '.');
	assert_false(b.oom);
	return kbs_buf_steal(&b);
}

static void json_str(kbs_buf *b, const char *key, const char *v)
{
	kbs_buf_addf(b, ",\"%s\":\"%s\"", key, v);
}

static char *corpus_jsonl(void)
{
	kbs_buf b = { 0 };
	for (size_t i = 0; i < NARTICLES; i++) {
		const article *a = &arts[i];
		kbs_buf_addf(&b, "{\"id\":\"%s\"", a->id);
		json_str(&b, "title", a->title);
		json_str(&b, "body", a->body);
		json_str(&b, "category", a->category);
		json_str(&b, "lang", i % 2 ? "fr" : "en");
		kbs_buf_addf(&b, ",\"url\":\"https://kb.example/%s\"", a->id);
		kbs_buf_adds(&b, ",\"tags\":[");
		for (size_t t = 0; t < a->ntags; t++)
			kbs_buf_addf(&b, "%s\"%s\"", t ? "," : "", a->tags[t]);
		kbs_buf_adds(&b, "]");
		if (a->customer || a->agent)
			kbs_buf_addf(&b, ",\"audience\":[%s%s%s]", a->customer ? "\"customer\"" : "",
				     a->customer && a->agent ? "," : "", a->agent ? "\"agent\"" : "");
		if (a->pool != POOL_PUBLIC) {
			char *s = sentence(a->pool, 4, 8);
			json_str(&b, "summary", s);
			free(s);
		}
		kbs_buf_adds(&b, "}\n");
	}
	assert_false(b.oom);
	return kbs_buf_steal(&b);
}

/* Synonyms that tie public words to restricted ones, both ways. */
static char *synonyms_text(void)
{
	kbs_buf b = { 0 };
	for (int i = 0; i < 10; i++) {
		kbs_buf_addf(&b, "%s, %s\n", words[POOL_PUBLIC][i], words[POOL_AGENT][i]);
		kbs_buf_addf(&b, "%s => %s\n", words[POOL_PUBLIC][10 + i], words[POOL_CUSTOMER][i]);
		kbs_buf_addf(&b, "%s => %s\n", words[POOL_AGENT][10 + i], words[POOL_PUBLIC][20 + i]);
	}
	return kbs_buf_steal(&b);
}

static int setup(void **state)
{
	(void)state;
	rng = tu_rng_new(0xACCE55);
	seed = rng.s;
	for (int p = 0; p < NPOOLS; p++)
		for (int i = 0; i < POOL_WORDS; i++) {
			char *w;
			while (word_taken(w = make_word()))
				free(w);
			words[p][i] = w;
		}
	/* 60 public, 25 customer, 25 agent, 10 for both customers and
	 * agents (written with customer words: visible to customers). */
	for (size_t i = 0; i < NARTICLES; i++) {
		article *a = &arts[i];
		if (i < 60) {
			a->pool = POOL_PUBLIC;
			snprintf(a->id, sizeof a->id, "pub-%zu", i);
		} else if (i < 85) {
			a->pool = POOL_CUSTOMER;
			a->customer = true;
			snprintf(a->id, sizeof a->id, "cus-%zu", i);
		} else if (i < 110) {
			a->pool = POOL_AGENT;
			a->agent = true;
			snprintf(a->id, sizeof a->id, "agt-%zu", i);
		} else {
			a->pool = POOL_CUSTOMER;
			a->customer = a->agent = true;
			snprintf(a->id, sizeof a->id, "cag-%zu", i);
		}
		a->title = sentence(a->pool, 3, 6);
		a->title[strlen(a->title) - 1] = '\0';
		a->body = sentence(a->pool, 20, 60);
		/* Half the restricted articles sit in public categories (their
		 * counts must not show), half in categories of their own
		 * words (their names must not show). */
		if (a->pool == POOL_PUBLIC || tu_below(&rng, 2))
			a->category = kbs_sprintf("%s/%s", words[POOL_PUBLIC][tu_below(&rng, 5)],
						  words[POOL_PUBLIC][5 + tu_below(&rng, 3)]);
		else
			a->category = kbs_sprintf("%s/%s", pick(a->pool), pick(a->pool));
		a->ntags = 1 + tu_below(&rng, 3);
		for (size_t t = 0; t < a->ntags; t++)
			a->tags[t] = strdup(t == 0 && a->pool != POOL_PUBLIC && tu_below(&rng, 2)
						    ? words[POOL_PUBLIC][tu_below(&rng, 10)]
						    : pick(a->pool));
	}
	char *jsonl = corpus_jsonl();
	tu_mini m = tu_mini_kb(jsonl);
	free(jsonl);
	dir = m.dir;
	kb = m.kb;
	char *syn = synonyms_text();
	assert_kbs_ok(kb, kbs_synonyms_load(kb, "fr", syn, strlen(syn)));
	assert_kbs_ok(kb, kbs_synonyms_load(kb, "en", syn, strlen(syn)));
	free(syn);
	return tu_count_articles(kb) == NARTICLES ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	kbs_close(kb);
	tu_rmtree(dir);
	free(dir);
	for (int p = 0; p < NPOOLS; p++)
		for (int i = 0; i < POOL_WORDS; i++)
			free(words[p][i]);
	for (size_t i = 0; i < NARTICLES; i++) {
		free(arts[i].title);
		free(arts[i].body);
		free(arts[i].category);
		for (size_t t = 0; t < arts[i].ntags; t++)
			free(arts[i].tags[t]);
	}
	return 0;
}

/* ---- what a caller may see ---- */

typedef struct caller {
	const char *name;
	const char *const *roles;
	size_t nroles;
	bool sees[NPOOLS];         /* whose words it may receive */
	const char *hidden_ids[3]; /* id prefixes of articles above it */
} caller;

static const char *const customer_roles[] = { "customer" };
static const caller PUBLIC = { "public", NULL, 0, { true, false, false }, { "cus-", "agt-", "cag-" } };
static const caller CUSTOMER = { "customer", customer_roles, 1, { true, true, false },
				 { "agt-", NULL, NULL } };

static int pool_of(const char *w)
{
	for (int p = 0; p < NPOOLS; p++)
		for (int i = 0; i < POOL_WORDS; i++)
			if (!strcmp(words[p][i], w))
				return p;
	return -1;
}

/* Whether `typed` (what the caller wrote) holds the word w. */
static bool typed_word(const char *typed, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = typed; (p = strstr(p, w)) != NULL; p++)
		if ((p == typed || !isalpha((unsigned char)p[-1])) && !isalpha((unsigned char)p[n]))
			return true;
	return false;
}

/* Fails (counting the leak) when `out`, something the caller received
 * for `typed`, names a hidden article or holds a word it may not see
 * (unless the caller typed that word itself). */
static void check_text(const caller *c, const char *what, const char *typed, const char *out)
{
	if (!out)
		return;
	for (int i = 0; i < 3 && c->hidden_ids[i]; i++)
		if (strstr(out, c->hidden_ids[i])) {
			leaks++;
			fail_msg("%s caller, query \"%s\" (seed %llu): %s names a hidden article: %s",
				 c->name, typed, (unsigned long long)seed, what, out);
		}
	char w[64];
	for (const char *p = out; *p;) {
		if (!isalpha((unsigned char)*p)) {
			p++;
			continue;
		}
		size_t n = 0;
		while (isalpha((unsigned char)p[n]))
			n++;
		if (n < sizeof w) {
			for (size_t k = 0; k < n; k++)
				w[k] = (char)tolower((unsigned char)p[k]);
			w[n] = '\0';
			int pool = pool_of(w);
			if (pool >= 0 && !c->sees[pool] && !typed_word(typed, w)) {
				leaks++;
				fail_msg("%s caller, query \"%s\" (seed %llu): %s holds \"%s\", a word of "
					 "%s articles only: %s",
					 c->name, typed, (unsigned long long)seed, what, w,
					 pool == POOL_AGENT ? "agent" : "customer", out);
			}
		}
		p += n;
	}
}

/* Labels counted in visible articles only: a facet count above that
 * counts a hidden article. */
static uint64_t visible_with_label(const caller *c, kbs_facet f, const char *label)
{
	uint64_t n = 0;
	for (size_t i = 0; i < NARTICLES; i++) {
		const article *a = &arts[i];
		if (!c->sees[a->pool])
			continue;
		if (f == KBS_FACET_CATEGORY) {
			size_t l = strlen(label);
			n += !strncmp(a->category, label, l) && (!a->category[l] || a->category[l] == '/');
		} else {
			for (size_t t = 0; t < a->ntags; t++)
				if (!strcasecmp(a->tags[t], label)) {
					n++;
					break;
				}
		}
	}
	return n;
}

static size_t visible_articles(const caller *c)
{
	size_t n = 0;
	for (size_t i = 0; i < NARTICLES; i++)
		n += c->sees[arts[i].pool];
	return n;
}

static void check_results(const caller *c, const char *typed, const kbs_results *r)
{
	for (size_t i = 0; i < kbs_results_count(r); i++) {
		check_text(c, "a hit's id", typed, kbs_results_id(r, i));
		check_text(c, "a hit's title", typed, kbs_results_title(r, i));
		check_text(c, "a hit's category", typed, kbs_results_category(r, i));
		check_text(c, "a hit's url", typed, kbs_results_url(r, i));
		check_text(c, "a snippet", typed, kbs_results_snippet(r, i));
		check_text(c, "a passage", typed, kbs_results_passage(r, i));
		for (size_t t = 0; t < kbs_results_ntags(r, i); t++)
			check_text(c, "a hit's tag", typed, kbs_results_tag(r, i, t));
	}
	check_text(c, "the corrected query", typed, kbs_results_corrected_query(r));
	if (kbs_results_total(r) > visible_articles(c))
		fail_msg("%s caller, query \"%s\": a total of %llu counts hidden articles", c->name,
			 typed, (unsigned long long)kbs_results_total(r));
	for (int f = KBS_FACET_CATEGORY; f <= KBS_FACET_TAG; f++) {
		for (size_t i = 0; i < kbs_results_facet_count(r, (kbs_facet)f); i++) {
			const char *label = kbs_results_facet_label(r, (kbs_facet)f, i);
			check_text(c, "a facet", typed, label);
			uint64_t v = kbs_results_facet_value(r, (kbs_facet)f, i);
			if (v > visible_with_label(c, (kbs_facet)f, label))
				fail_msg("%s caller, query \"%s\": facet %s counts %llu, more than the "
					 "visible articles that have it",
					 c->name, typed, label, (unsigned long long)v);
		}
	}
}

/* ---- queries ---- */

static const char *restricted_word(const caller *c)
{
	return pick(c->sees[POOL_CUSTOMER] ? POOL_AGENT : 1 + (int)tu_below(&rng, 2));
}

/* One or two edits: substitution, deletion, insertion, transposition. */
static void misspell(char *w)
{
	size_t n = strlen(w), edits = 1 + tu_below(&rng, 2);
	for (size_t e = 0; e < edits && n > 2; e++) {
		size_t i = 1 + tu_below(&rng, n - 1);
		switch (tu_below(&rng, 4)) {
		case 0: w[i] = (char)('a' + tu_below(&rng, 26)); break;
		case 1: memmove(w + i, w + i + 1, n - i); n--; break;
		case 2:
			memmove(w + i + 1, w + i, n - i + 1);
			w[i] = (char)('a' + tu_below(&rng, 26));
			n++;
			break;
		default:
			if (i + 1 < n) {
				char t = w[i];
				w[i] = w[i + 1];
				w[i + 1] = t;
			}
		}
	}
}

/* Two words in a row from a restricted article's body. */
static void restricted_phrase(const caller *c, kbs_buf *b)
{
	const article *a;
	do
		a = &arts[60 + tu_below(&rng, NARTICLES - 60)];
	while (c->sees[a->pool]);
	const char *s = a->body;
	size_t skip = tu_below(&rng, 10);
	for (size_t k = 0; k < skip; k++) {
		const char *sp = strchr(s, ' ');
		if (!sp)
			break;
		s = sp + 1;
	}
	const char *e = strchr(s, ' ');
	e = e ? strchr(e + 1, ' ') : NULL;
	kbs_buf_addf(b, "\"%.*s\"", (int)(e ? (size_t)(e - s) : strlen(s)), s);
}

static char *random_query(const caller *c)
{
	kbs_buf b = { 0 };
	char w[32];
	switch (tu_below(&rng, 10)) {
	case 0: /* restricted words */
		for (size_t i = 0, n = 1 + tu_below(&rng, 3); i < n; i++)
			kbs_buf_addf(&b, "%s%s", i ? " " : "", restricted_word(c));
		break;
	case 1: /* mixed with public words */
		kbs_buf_addf(&b, "%s %s", pick(POOL_PUBLIC), restricted_word(c));
		break;
	case 2: /* a restricted word being typed */
		snprintf(w, sizeof w, "%s", restricted_word(c));
		w[3 + tu_below(&rng, strlen(w) - 3)] = '\0';
		kbs_buf_addf(&b, "%s%s", tu_below(&rng, 2) ? "" : "le ", w);
		break;
	case 3: /* a restricted word misspelt, alone or with a public word */
		snprintf(w, sizeof w, "%s", restricted_word(c));
		misspell(w);
		if (tu_below(&rng, 2))
			kbs_buf_addf(&b, "%s ", pick(POOL_PUBLIC));
		kbs_buf_addf(&b, "%s ", w);
		break;
	case 4: /* a phrase of a restricted article */
		restricted_phrase(c, &b);
		break;
	case 5: /* exclusions */
		kbs_buf_addf(&b, "-%s %s -\"%s\"", pick(POOL_PUBLIC), restricted_word(c),
			     pick(POOL_PUBLIC));
		break;
	case 6: /* case and accents */
		snprintf(w, sizeof w, "%s", restricted_word(c));
		for (char *p = w; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		kbs_buf_addf(&b, "%s l'%s", w, restricted_word(c));
		break;
	case 7: /* a public word tied to restricted ones by a synonym */
		kbs_buf_addf(&b, "%s ", words[POOL_PUBLIC][tu_below(&rng, 20)]);
		break;
	case 8: /* public words only */
		kbs_buf_addf(&b, "%s %s", pick(POOL_PUBLIC), pick(POOL_PUBLIC));
		break;
	default: /* browsing */
		break;
	}
	assert_false(b.oom);
	if (!b.data)
		kbs_buf_add(&b, "", 0);
	return kbs_buf_steal(&b);
}

static void random_filters(kbs_search_opts *o, const char **tag)
{
	o->limit = tu_below(&rng, 2) ? 10 : 100;
	o->lang = tu_below(&rng, 3) == 0 ? (tu_below(&rng, 2) ? "fr" : "en") : NULL;
	switch (tu_below(&rng, 6)) {
	case 0: /* a public category */
		o->category = arts[tu_below(&rng, 60)].category;
		break;
	case 1: /* a restricted article's category, as one may guess it */
		o->category = arts[60 + tu_below(&rng, NARTICLES - 60)].category;
		break;
	case 2: /* a restricted article's tag */
		*tag = arts[60 + tu_below(&rng, NARTICLES - 60)].tags[0];
		o->tags = tag;
		o->ntags = 1;
		break;
	default:
		break;
	}
}

static void search_as(const caller *c, const char *q)
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	const char *tag = NULL;
	random_filters(&o, &tag);
	o.roles = c->roles;
	o.nroles = c->nroles;
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
	check_results(c, q, r);
	kbs_results_free(r);
	checked++;
	if (checked % 4 == 0) {
		/* Would an agent have seen something hidden from this
		 * caller? Then the query put the filter to the test. */
		const char *agent[] = { "agent", "customer" };
		o.roles = agent;
		o.nroles = 2;
		assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
		for (size_t i = 0; i < kbs_results_count(r); i++) {
			const char *id = kbs_results_id(r, i);
			if (strncmp(id, "pub-", 4) && (c == &PUBLIC || !strncmp(id, "agt-", 4))) {
				matched_restricted++;
				break;
			}
		}
		kbs_results_free(r);
	}
}

static void answer_as(const caller *c, const char *q)
{
	kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
	o.roles = c->roles;
	o.nroles = c->nroles;
	kbs_results *r = NULL;
	assert_kbs_ok(kb, kbs_answer(&r, kb, q, &o));
	check_results(c, q, r);
	kbs_results_free(r);
	checked++;
}

static void suggest_as(const caller *c, const char *prefix)
{
	kbs_suggest_opts o = KBS_SUGGEST_OPTS_INIT;
	o.roles = c->roles;
	o.nroles = c->nroles;
	o.limit = 50;
	kbs_suggestions *s = NULL;
	assert_kbs_ok(kb, kbs_suggest(&s, kb, prefix, &o));
	for (size_t i = 0; i < kbs_suggestions_count(s); i++) {
		check_text(c, "a suggestion", prefix, kbs_suggestions_text(s, i));
		check_text(c, "a suggestion's id", prefix, kbs_suggestions_id(s, i));
	}
	kbs_suggestions_free(s);
	checked++;
}

/* A prefix of a restricted title: its first word whole, then the start of
 * the next, as a visitor types it. */
static char *restricted_title_prefix(const caller *c)
{
	const article *a;
	do
		a = &arts[60 + tu_below(&rng, NARTICLES - 60)];
	while (c->sees[a->pool]);
	const char *sp = strchr(a->title, ' ');
	size_t n = sp ? (size_t)(sp - a->title) + 1 + 1 + tu_below(&rng, 4) : strlen(a->title);
	if (n > strlen(a->title))
		n = strlen(a->title);
	return kbs_strndup(a->title, n);
}

/* ---- the properties ---- */

static void random_queries_never_leak(void **state)
{
	(void)state;
	unsigned n = tu_env_count("KBS_ACCESS_QUERIES", 3000);
	for (unsigned i = 0; i < n; i++) {
		char *q = random_query(&PUBLIC);
		search_as(&PUBLIC, q);
		if (i % 6 == 0)
			answer_as(&PUBLIC, q);
		free(q);
		if (i % 3 == 0) {
			char w[32];
			snprintf(w, sizeof w, "%s", restricted_word(&PUBLIC));
			w[2 + tu_below(&rng, strlen(w) - 2)] = '\0';
			suggest_as(&PUBLIC, w);
			char *t = restricted_title_prefix(&PUBLIC);
			suggest_as(&PUBLIC, t);
			free(t);
		}
		if (i % 6 == 3) {
			q = random_query(&CUSTOMER);
			search_as(&CUSTOMER, q);
			free(q);
			char *t = restricted_title_prefix(&CUSTOMER);
			suggest_as(&CUSTOMER, t);
			free(t);
		}
	}
	print_message("random access-control queries checked: %u (searches, answers and "
		      "suggestions), %u of the sampled ones matched hidden articles, seed %llu\n",
		      checked, matched_restricted, (unsigned long long)seed);
	/* The property was put to the test: many queries had hidden matches. */
	assert_true(matched_restricted > n / 40);
}

/* What agents searched, read and said: never shown to a lesser reader. */
static void reports_and_popular_queries_never_leak(void **state)
{
	(void)state;
	const char *agent[] = { "agent" };
	int64_t t0 = 1772445600000LL; /* 2026-03-02T10:00:00Z */
	char session[32], q[128];
	for (int s = 0; s < 6; s++) {
		snprintf(session, sizeof session, "agent-%d", s);
		for (int i = 0; i < 8; i++) {
			/* The title of an agent article: answered, confident,
			 * typed by 6 sessions: popular, for agents. */
			const article *a = &arts[85 + i];
			kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
			o.roles = agent;
			o.nroles = 1;
			o.session = session;
			o.at = t0 + (s * 8 + i) * 60000LL;
			kbs_results *r = NULL;
			assert_kbs_ok(kb, kbs_search(&r, kb, a->title, &o));
			kbs_event ev = KBS_EVENT_INIT;
			ev.type = KBS_EVENT_VIEW;
			ev.session = session;
			ev.at = o.at + 1000;
			ev.article = a->id;
			ev.search_id = kbs_results_search_id(r);
			assert_kbs_ok(kb, kbs_event_log(kb, &ev));
			kbs_results_free(r);
			snprintf(q, sizeof q, "%s %s", words[POOL_AGENT][i], words[POOL_AGENT][i + 1]);
			kbs_event v = KBS_EVENT_INIT;
			v.type = KBS_EVENT_VOTE;
			v.session = session;
			v.at = o.at + 2000;
			v.article = a->id;
			v.helpful = 1;
			v.comment = q;
			assert_kbs_ok(kb, kbs_event_log(kb, &v));
			/* Unanswered agent searches: a gap, for agents. */
			snprintf(q, sizeof q, "%s zzzqqq", words[POOL_AGENT][40 + i]);
			o.at += 3000;
			assert_kbs_ok(kb, kbs_search(&r, kb, q, &o));
			kbs_results_free(r);
		}
		/* A public visitor of the same period, for a report that is
		 * not empty. */
		snprintf(session, sizeof session, "visitor-%d", s);
		kbs_search_opts o = KBS_SEARCH_OPTS_INIT;
		o.session = session;
		o.at = t0 + s * 60000LL;
		kbs_results *r = NULL;
		assert_kbs_ok(kb, kbs_search(&r, kb, arts[s].title, &o));
		kbs_event ev = KBS_EVENT_INIT;
		ev.type = KBS_EVENT_VIEW;
		ev.session = session;
		ev.at = o.at + 1000;
		ev.article = arts[s].id;
		assert_kbs_ok(kb, kbs_event_log(kb, &ev));
		kbs_results_free(r);
	}
	assert_kbs_ok(kb, kbs_events_flush(kb));

	unsigned reports = 0;
	kbs_report_opts o = KBS_REPORT_OPTS_INIT;
	o.since = t0 - 3600000LL;
	o.until = t0 + 24 * 3600000LL;
	o.min_sessions = 1; /* show every text the reader may read */
	bool agent_sees = false;
	for (int kind = KBS_REPORT_GAPS; kind <= KBS_REPORT_SUMMARY; kind++)
		for (int fmt = KBS_FORMAT_JSON; fmt <= KBS_FORMAT_HTML; fmt++) {
			char *s = NULL;
			o.roles = NULL;
			o.nroles = 0;
			assert_kbs_ok(kb, kbs_report(&s, kb, (kbs_report_kind)kind, (kbs_report_format)fmt, &o));
			check_text(&PUBLIC, "a report", "", s);
			kbs_string_free(s);
			o.roles = customer_roles;
			o.nroles = 1;
			assert_kbs_ok(kb, kbs_report(&s, kb, (kbs_report_kind)kind, (kbs_report_format)fmt, &o));
			check_text(&CUSTOMER, "a report", "", s);
			kbs_string_free(s);
			/* The agents' own report names them: the check above
			 * had something to find. */
			o.roles = agent;
			o.nroles = 1;
			assert_kbs_ok(kb, kbs_report(&s, kb, (kbs_report_kind)kind, (kbs_report_format)fmt, &o));
			agent_sees |= strstr(s, "agt-") != NULL;
			kbs_string_free(s);
			reports += 3;
		}
	assert_true(agent_sees);

	/* Popular queries: the agents' titles complete for agents only. */
	unsigned suggested_to_agents = 0;
	for (int i = 0; i < 8; i++) {
		const article *a = &arts[85 + i];
		char *prefix = kbs_strndup(a->title, strchr(a->title, ' ') ? (size_t)(strchr(a->title, ' ') - a->title) + 2 : 3);
		suggest_as(&PUBLIC, prefix);
		suggest_as(&CUSTOMER, prefix);
		kbs_suggest_opts so = KBS_SUGGEST_OPTS_INIT;
		so.roles = agent;
		so.nroles = 1;
		kbs_suggestions *sg = NULL;
		assert_kbs_ok(kb, kbs_suggest(&sg, kb, prefix, &so));
		suggested_to_agents += kbs_suggestions_count(sg) > 0;
		kbs_suggestions_free(sg);
		free(prefix);
	}
	assert_true(suggested_to_agents > 0);
	print_message("reports read with lesser roles: %u, none named a hidden article or word\n",
		      reports);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_queries_never_leak),
		cmocka_unit_test(reports_and_popular_queries_never_leak),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
