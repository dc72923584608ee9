/*
 * Query planning: the user's text, analysed by the same pipeline as the
 * articles, becomes a query tree (store.h) over the ranking terms, and the
 * options become a filter, kept in parts so that a caller can ask what each
 * part removed (why a search found nothing).
 *
 * Steps:
 *   1. Syntax (kbsearch.h): "phrases" and -exclusions are cut out of the
 *      text; whatever does not parse stays plain text.
 *   2. Each piece is analysed once per language searched (the query's, or
 *      every language of the index): word k of every pass is the same word,
 *      with that language's stem. A hyphenated compound (text.h) is no word
 *      of its own: its stems match each of its parts as theirs do.
 *   2b. A French elision typed without its apostrophe ("lappli",
 *      "narrive": unglue) gets it back, and the text is read again from
 *      there, so that every later step sees what the apostrophe gives.
 *   3. Synonyms of each language are matched on the plain words, longest
 *      entry first, by stem (by the folded word for a stop word), so
 *      "mots-de-passe" meets the entry "mot de passe".
 *   4. A plain word the index lacks (neither the word nor its stem) gets its
 *      close spellings from the vocabulary (see "close spellings" below),
 *      unless, typed without accents, it has accented forms the index holds
 *      (accented_forms): then it is no slip. Nor is a word of the query
 *      language's dictionary (lemmas.c): "courriel" (e-mail) is not
 *      "courrier" (post) misspelt, "commander" not "commencer"; correcting
 *      it would answer another question, confidently.
 *      Query fillers (text.h: "dois", "faire", "need") are stop words here,
 *      as everywhere are the verb forms their neighbours make verbs ("a
 *      été", "nous sommes": KBS_TOK_AUX).
 *   4b. With no language given, the query's likely language (query_language:
 *      stop words, the index's own per-language vocabulary, elisions); when
 *      clear, its articles rise a little (LANG_BOOST) and the other
 *      languages' stem and synonym matches weigh OTHER_LANG_SCALE.
 *      Each language's stems and synonyms only match that language's
 *      articles (FILTER by L<lang>): stems of all languages share one term
 *      space, where English "log" meets French "logement".
 *   5. The tree. Per used plain word w:
 *        OR( SYNONYM(Z<stem> for each language),
 *            SCALE(SYNONYM(S<stem> ...), TITLE_BOOST),          title match
 *            SCALE(XA<exact>, EXACT_BOOST),                      accented query only
 *            SCALE(SYNONYM(<fix>, Z<fix stem>...), TYPO_SCALE),  close spellings
 *            SCALE(OR(WILDCARD <w>*, WILDCARD S<w>*), PREFIX_SCALE) )  last word
 *      (the whole of it SCALE(..., TIME_WEIGHT) for a time word: "jeudi"),
 *      and per synonym match SCALE(OR(alternatives), SYNONYM_SCALE), where
 *      the one-word alternatives are one word, OR(SYNONYM(Z<stem>...),
 *      SCALE(SYNONYM(S<stem>...), TITLE_BOOST)) (alt_add), and a multi-word
 *      one is a PHRASE of its folded words, OR-ed with an AND of its
 *      title stems scaled by TITLE_BOOST; each is scaled down to the idf
 *      of the words it stands for when it is rarer, so that a synonym never
 *      outweighs them. The positional words are in the index already, and
 *      a phrase does not match "mot" and "passe" found in two
 *      unrelated sentences as an AND of stems would. All of these are
 *      OR-ed: BM25 ranks the articles that have more of the words, and
 *      rarer ones, first. Phrases are required (AND_MAYBE the rest),
 *      exclusions cut (AND_NOT), and the visitor's segments add a small
 *      constant to the articles written for them (AND_MAYBE a FILTER of a
 *      constant weight by the XS terms: a boost, never a filter).
 *
 * Close spellings: edit distance (Damerau, a transposition is one edit) 1
 * for words of 4 to 7 letters, 2 from 8; an edit of the first letter
 * counts double, so words under 8 letters keep theirs. Candidates come from
 * the index's own vocabulary of folded words: the words that begin with the
 * same letter, read in order from the term list (at most TYPO_SCAN_MAX of
 * them, a bounded cost per unknown word even on a big index: a keystroke
 * costs nothing when its words are known, which is the common case), plus,
 * for words of 8 letters or more, the few exact lookups a first-letter
 * edit allows (drop it, swap it, or replace/insert one of a-z). Only words
 * the index lacks are looked up at all.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"
#include "synonyms.h"

/* A title match is worth this much more than the same word's stem weight:
 * an article whose title has the words is about them. */
#define TITLE_BOOST 1.0
/* A tag match: an editor's keyword for the article, less than its title. */
#define TAG_BOOST 0.5
/* An accented query word found with its accents in the text. */
#define EXACT_BOOST 0.3
/* A synonym ranks a little below the user's own word. */
#define SYNONYM_SCALE 0.8
/* A close spelling ranks below an exact match. */
#define TYPO_SCALE 0.6
/* Longer words that the word being typed begins. */
#define PREFIX_SCALE 0.6
#define PREFIX_MIN_CHARS 3
#define PREFIX_EXPANSION 30
/* Close spellings kept per word, and vocabulary read per word at most. */
#define TYPO_MAX_FIXES 4
#define TYPO_SCAN_MAX 50000
#define TYPO_MIN_CHARS 4
#define TYPO_TWO_CHARS 8
/* Derived forms (derived_forms): a stem the index lacks matches the
 * indexed stem of at least DERIVE_MIN_CHARS characters it extends by at
 * most DERIVE_MAX_CUT. */
#define DERIVE_MIN_CHARS 5
#define DERIVE_MAX_CUT 2
/* The e's of a word typed without accents that may be accented
 * (accented_forms), from its end. */
#define ACCENT_MAX_E 3
/* What an elision typed without its apostrophe leaves at least (glued). */
#define UNGLUED_MIN_CHARS 3
/* The segment boost, as a share of the query's total idf: a few percent of
 * a good hit's weight. */
#define SEGMENT_BOOST 0.15
/* What a time word of the query ("jeudi", "matin", "yesterday": text.h)
 * weighs, in the ranking and in coverage, against another word of its
 * rarity. It says when, not what: "plus de courant depuis jeudi matin" is
 * about an outage, and no article about one names the day, while the
 * opening hours of a contact page name every day. Half a word, so an
 * article that holds it ranks a little higher and one that lacks it is
 * barely judged off-topic; "ouvert le samedi" still finds the hours. */
#define TIME_WEIGHT 0.5
/* Languages searched at once when the query names none. */
#define MAX_LANGS KBS_QUERY_MAX_LANGS
/* The preference for articles in the query's likely language, when the
 * query names none and its words say it clearly, as a share of the query's
 * total idf (like the segment boost): enough to break a tie between an
 * article and its translation or a cross-language stem collision ("log"
 * and French "logement"), never enough to hide a better match. */
#define LANG_BOOST 0.25
/* What a match by another language's stems or synonyms weighs then. */
#define OTHER_LANG_SCALE 0.5
/* A word is evidence for a language when it is that much more frequent
 * (per article) there than in any other. */
#define LANG_RATE_RATIO 4.0
/* Articles of a word's posting list read at most to count its languages. */
#define LANG_SCAN_MAX 5000

/* ---- query nodes: one arena per search ---- */

void *kbs_query__alloc(kbs_query__arena *a, size_t size)
{
	if (a->oom)
		return NULL;
	if (!kbs_grow(&a->blocks, &a->cap, a->n, sizeof *a->blocks, 32)) {
		a->oom = true;
		return NULL;
	}
	void *p = calloc(1, size);
	if (!p) {
		a->oom = true;
		return NULL;
	}
	a->blocks[a->n++] = p;
	return p;
}

void kbs_query__arena_free(kbs_query__arena *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->blocks[i]);
	free(a->blocks);
}

kbs_qnode *kbs_query__term(kbs_query__arena *a, const char *prefix, const char *s)
{
	kbs_qnode *n = kbs_query__alloc(a, sizeof *n);
	size_t len = strlen(prefix) + strlen(s) + 1;
	char *t = kbs_query__alloc(a, len);
	if (!n || !t)
		return NULL;
	snprintf(t, len, "%s%s", prefix, s);
	n->op = KBS_Q_TERM;
	n->term = t;
	return n;
}

/* A node with room for `cap` kids; kids are added with q_add. */
kbs_qnode *kbs_query__op(kbs_query__arena *a, kbs_qop op, size_t cap)
{
	kbs_qnode *n = kbs_query__alloc(a, sizeof *n);
	kbs_qnode **kids = kbs_query__alloc(a, (cap ? cap : 1) * sizeof *kids);
	if (!n || !kids)
		return NULL;
	n->op = op;
	n->kids = kids;
	return n;
}

void kbs_query__add(kbs_qnode *parent, kbs_qnode *kid)
{
	if (parent && kid)
		parent->kids[parent->nkids++] = kid;
}

kbs_qnode *kbs_query__scale(kbs_query__arena *a, kbs_qnode *kid, double scale)
{
	kbs_qnode *n = kbs_query__op(a, KBS_Q_SCALE, 1);
	if (n) {
		n->scale = scale;
		kbs_query__add(n, kid);
	}
	return n;
}

/* The terms a word being typed begins, as one synonym of them: what the
 * engine's own wildcard does (the PREFIX_EXPANSION most frequent), with
 * the terms known to the plan (kbs_query__word.completions). */
static kbs_qnode *completions_query(kbs_query__arena *a, const kbs_strlist *terms)
{
	if (!terms->n)
		return NULL;
	kbs_qnode *n = kbs_query__op(a, KBS_Q_SYNONYM, terms->n);
	for (size_t i = 0; i < terms->n; i++)
		kbs_query__add(n, kbs_query__term(a, "", terms->v[i]));
	return n;
}

typedef struct completion {
	char term[KBS_TEXT_MAX_TERM + 8];
	uint64_t freq;
} completion;

typedef struct completing {
	completion best[PREFIX_EXPANSION];
	size_t n;
} completing;

static kbs_status keep_frequent(const char *term, uint64_t freq, void *payload)
{
	completing *c = payload;
	if (strlen(term) >= sizeof c->best[0].term)
		return KBS_OK;
	size_t at = c->n;
	while (at > 0 && c->best[at - 1].freq < freq)
		at--;
	/* A stop word is no word being typed: "pou" would otherwise match
	 * every article that says "pour". Asked only of the terms frequent
	 * enough to keep, not of every term the prefix walks. */
	if (at >= PREFIX_EXPANSION || kbs_text__is_stopword(term, NULL))
		return KBS_OK;
	size_t last = c->n < PREFIX_EXPANSION ? c->n : PREFIX_EXPANSION - 1;
	memmove(&c->best[at + 1], &c->best[at], (last - at) * sizeof *c->best);
	snprintf(c->best[at].term, sizeof c->best[at].term, "%s", term);
	c->best[at].freq = freq;
	if (c->n < PREFIX_EXPANSION)
		c->n++;
	return KBS_OK;
}

/* Fills w->completions from the index. */
static kbs_status complete(kbs_ctx *ctx, kbs_query__word *w, kbs_err *err)
{
	static const char *const pfx[2] = { "", KBS_PFX_TITLE };
	for (int k = 0; k < 2; k++) {
		char start[KBS_TEXT_MAX_TERM + 8];
		snprintf(start, sizeof start, "%s%s", pfx[k], w->term);
		completing c = { .n = 0 };
		kbs_status rc = kbs_store__each_term(ctx->reader, start, keep_frequent, &c, err);
		if (rc != KBS_OK)
			return rc;
		for (size_t i = 0; i < c.n; i++)
			if (!kbs_strlist_push(&w->completions[k], c.best[i].term))
				return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	}
	return KBS_OK;
}

/* n as a filter the store keeps (KBS_Q_KEPT); NULL when n is NULL or
 * empty. */
static kbs_qnode *kept(kbs_query__arena *a, kbs_qnode *n)
{
	if (!n || ((n->op == KBS_Q_AND || n->op == KBS_Q_OR) && !n->nkids))
		return NULL;
	kbs_qnode *k = kbs_query__op(a, KBS_Q_KEPT, 1);
	kbs_query__add(k, n);
	return k;
}

/* Whether the plan weighs matches in languages l and m alike. */
static bool same_weight(const kbs_query__plan *p, size_t l, size_t m)
{
	return p->qlang < 0 || ((size_t)p->qlang == l) == ((size_t)p->qlang == m);
}

/* The kept filter of the articles in the plan's languages `l` and those
 * in `among` (NULL: every one of them). */
static kbs_qnode *langs_kept(kbs_query__plan *p, const bool *among, size_t l)
{
	kbs_qnode *ls = kbs_query__op(&p->arena, KBS_Q_OR, p->nlangs);
	for (size_t m = 0; m < p->nlangs; m++)
		if (!among || m == l || among[m])
			kbs_query__add(ls, kbs_query__term(&p->arena, KBS_PFX_LANG, p->langs[m]));
	return kept(&p->arena, ls && ls->nkids == 1 ? ls->kids[0] : ls);
}

/* q restricted to the articles of the plan's languages `l` and those in
 * `among` (all weighed alike) when the plan matches each language on its
 * own articles (query.h per_lang). */
static kbs_qnode *in_langs(kbs_query__plan *p, kbs_qnode *q, const bool *among, size_t l)
{
	if (!p->per_lang || !q)
		return q;
	kbs_qnode *f = kbs_query__op(&p->arena, KBS_Q_FILTER, 2);
	kbs_query__add(f, q);
	kbs_query__add(f, langs_kept(p, among, l));
	/* Another language than the query's clear one: its stems meet the
	 * query's words by coincidence more often than by meaning. */
	if (p->qlang >= 0 && (size_t)p->qlang != l)
		return kbs_query__scale(&p->arena, f, OTHER_LANG_SCALE);
	return f;
}

static kbs_qnode *in_lang(kbs_query__plan *p, kbs_qnode *q, size_t l)
{
	const bool alone[KBS_QUERY_MAX_LANGS] = { false };
	return in_langs(p, q, alone, l);
}

/* q restricted to the articles in none of the plan's languages. */
static kbs_qnode *in_other_langs(kbs_query__plan *p, kbs_qnode *q)
{
	kbs_qnode *n = kbs_query__op(&p->arena, KBS_Q_AND_NOT, 2);
	kbs_query__add(n, q);
	kbs_query__add(n, langs_kept(p, NULL, 0));
	return n;
}

/* ---- 1. syntax ---- */

typedef struct seg {
	size_t start, end;
	kbs_query__kind kind;
} seg;

typedef struct segs {
	seg *v;
	size_t n, cap;
	bool oom;
} segs;

static void seg_add(segs *s, size_t start, size_t end, kbs_query__kind kind)
{
	if (end <= start)
		return;
	if (!kbs_grow(&s->v, &s->cap, s->n, sizeof *s->v, 8)) {
		s->oom = true;
		return;
	}
	s->v[s->n++] = (seg){ start, end, kind };
}

/* Bytes of a quote mark at s: " “ ” « », else 0. */
static size_t quote_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	if (u[0] == '"')
		return 1;
	if (u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x9C || u[2] == 0x9D))
		return 3;
	if (u[0] == 0xC2 && (u[1] == 0xAB || u[1] == 0xBB))
		return 2;
	return 0;
}

static bool space_at(const char *t, size_t i)
{
	return t[i] == ' ' || t[i] == '\t' || t[i] == '\n' || t[i] == '\r';
}

/* The closing quote after `from`: its offset, or len. */
static size_t closing_quote(const char *t, size_t from, size_t len, size_t *qlen)
{
	for (size_t j = from; j < len; j++)
		if ((*qlen = quote_len(t + j)))
			return j;
	return len;
}

static void split_syntax(const char *t, size_t len, segs *out)
{
	size_t i = 0, text_start = 0, ql, cl;
	while (i < len) {
		bool word_start = i == 0 || space_at(t, i - 1);
		if ((ql = quote_len(t + i))) {
			size_t j = closing_quote(t, i + ql, len, &cl);
			if (j < len) {
				seg_add(out, text_start, i, KBS_QW_TEXT);
				seg_add(out, i + ql, j, KBS_QW_PHRASE);
				i = text_start = j + cl;
				continue;
			}
			i += ql; /* unbalanced: a mere character */
			continue;
		}
		if (t[i] == '-' && word_start && i + 1 < len && !space_at(t, i + 1) && t[i + 1] != '-') {
			size_t k = i + 1;
			if ((ql = quote_len(t + k))) {
				size_t j = closing_quote(t, k + ql, len, &cl);
				if (j < len) {
					seg_add(out, text_start, i, KBS_QW_TEXT);
					seg_add(out, k + ql, j, KBS_QW_EXCLUDE);
					i = text_start = j + cl;
					continue;
				}
				i = k + ql;
				continue;
			}
			size_t j = k;
			while (j < len && !space_at(t, j) && !quote_len(t + j))
				j++;
			seg_add(out, text_start, i, KBS_QW_TEXT);
			seg_add(out, k, j, KBS_QW_EXCLUDE);
			i = text_start = j;
			continue;
		}
		i++;
	}
	seg_add(out, text_start, len, KBS_QW_TEXT);
}

/* ---- 2. analysis ---- */

typedef struct qtok {
	char *term, *exact;
	char *stem[MAX_LANGS];
	char *stem2[MAX_LANGS]; /* text.h `stem2`, NULL when none */
	bool lstop[MAX_LANGS]; /* a stop word of that pass's language */
	bool aux; /* a verb form its neighbours make a stop word (text.h) */
	/* Part of a hyphenated compound (text.h KBS_TOK_JOINED): the
	 * compound's stems, which match the part as its own do ("e-mail"
	 * finds "email"). NULL when none. */
	char *join_stem[MAX_LANGS], *join_stem2[MAX_LANGS];
	unsigned compound;     /* which compound of the text, from 1; 0: none */
	size_t start, end;     /* in the whole text */
	unsigned seg;
	kbs_query__kind kind;
	size_t word;
	bool keyed; /* a synonym rule gives its key */
} qtok;

typedef struct toks {
	qtok *v;
	size_t n, cap;
	unsigned pass;
	size_t next, base;
	unsigned seg;
	kbs_query__kind kind;
	unsigned ncompounds;
} toks;

static void toks_free(toks *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].term);
		free(t->v[i].exact);
		for (size_t p = 0; p < MAX_LANGS; p++) {
			free(t->v[i].stem[p]);
			free(t->v[i].stem2[p]);
			free(t->v[i].join_stem[p]);
			free(t->v[i].join_stem2[p]);
		}
	}
	free(t->v);
}

/* A compound is not a word of the query: its stems go to its parts. */
static kbs_status collect_joined(toks *w, const kbs_text__token *t)
{
	size_t end = w->pass == 0 ? w->n : w->next, pass = w->pass;
	if (pass == 0)
		w->ncompounds++;
	for (size_t i = end; i > 0 && w->v[i - 1].start >= w->base + t->start; i--) {
		qtok *q = &w->v[i - 1]; /* a part of this compound, of no other */
		if (pass == 0)
			q->compound = w->ncompounds;
		if (!(q->join_stem[pass] = kbs_strndup(t->stem, t->stem_len)) ||
		    (t->stem2 && !(q->join_stem2[pass] = kbs_strndup(t->stem2, t->stem2_len))))
			return KBS_ENOMEM;
	}
	return KBS_OK;
}

static kbs_status collect_tok(const kbs_text__token *t, void *payload)
{
	toks *w = payload;
	qtok *q;
	if (t->flags & KBS_TOK_JOINED)
		return collect_joined(w, t);
	if (w->pass == 0) {
		if (!kbs_grow(&w->v, &w->cap, w->n, sizeof *w->v, 8))
			return KBS_ENOMEM;
		q = &w->v[w->n++];
		memset(q, 0, sizeof *q);
		q->term = kbs_strndup(t->term, t->term_len);
		q->exact = kbs_strndup(t->exact, t->exact_len);
		q->start = w->base + t->start;
		q->end = w->base + t->end;
		q->seg = w->seg;
		q->kind = w->kind;
		if (!q->term || !q->exact)
			return KBS_ENOMEM;
	} else {
		/* Segmentation does not depend on the language: the k-th token
		 * of every pass is the same word. */
		if (w->next >= w->n)
			return KBS_STOP;
		q = &w->v[w->next++];
	}
	q->stem[w->pass] = kbs_strndup(t->stem, t->stem_len);
	q->lstop[w->pass] = (t->flags & KBS_TOK_STOP) != 0;
	q->aux |= (t->flags & KBS_TOK_AUX) != 0;
	if (t->stem2 && !(q->stem2[w->pass] = kbs_strndup(t->stem2, t->stem2_len)))
		return KBS_ENOMEM;
	return q->stem[w->pass] ? KBS_OK : KBS_ENOMEM;
}

typedef struct langs {
	char v[MAX_LANGS][8];
	size_t n;
	bool other; /* the index has a language not in v */
} langs;

static kbs_status collect_lang(const char *term, uint64_t freq, void *payload)
{
	langs *l = payload;
	(void)freq;
	const char *code = term + strlen(KBS_PFX_LANG);
	if (l->n < MAX_LANGS && strlen(code) < sizeof l->v[0] && kbs_text__has_stemmer(code))
		snprintf(l->v[l->n++], sizeof l->v[0], "%s", code);
	else
		l->other = true;
	return KBS_OK;
}

static kbs_status analyse(kbs_ctx *ctx, const char *text, const segs *sg, const langs *ls,
			  toks *w, kbs_err *err)
{
	size_t passes = ls->n ? ls->n : 1;
	for (size_t p = 0; p < passes; p++) {
		w->pass = (unsigned)p;
		w->next = 0;
		for (size_t s = 0; s < sg->n; s++) {
			w->base = sg->v[s].start;
			w->seg = (unsigned)s;
			w->kind = sg->v[s].kind;
			kbs_status rc = kbs_text__analyze(ctx->an, text + sg->v[s].start,
							  sg->v[s].end - sg->v[s].start,
							  ls->n ? ls->v[p] : NULL, collect_tok, w, err);
			if (rc == KBS_ENOMEM)
				return kbs_err__set(err, rc, "out of memory");
			if (rc != KBS_OK)
				return rc;
		}
	}
	return KBS_OK;
}

/* 1 and 2: the text's syntax into sg, its words into t. */
static kbs_status read_text(kbs_ctx *ctx, const char *text, const langs *ls, segs *sg, toks *t,
			    kbs_err *err)
{
	split_syntax(text, strlen(text), sg);
	if (sg->oom)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return analyse(ctx, text, sg, ls, t, err);
}

/* ---- 2b. elisions typed without their apostrophe ---- */

/* Articles holding a stem. */
static uint64_t stem_df(kbs_ctx *ctx, const char *stem)
{
	char term[KBS_TEXT_MAX_TERM * 2 + 8];
	snprintf(term, sizeof term, KBS_PFX_STEM "%s", stem);
	return kbs_store__termfreq(ctx->reader, term);
}

/* The text rewritten in b, with the rest of the text after it: a new
 * string, NULL when out of memory (b is freed either way). */
static char *finished(kbs_buf *b, const char *rest)
{
	kbs_buf_adds(b, rest);
	if (b->oom) {
		kbs_buf_free(b);
		return NULL;
	}
	return kbs_buf_steal(b);
}

/* Whether the text of token q begins with the n ASCII letters of its
 * folded word, and goes on after them. */
static bool typed_as(const char *text, const qtok *q, size_t n)
{
	if (q->start + n >= q->end)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((text[q->start + i] | 0x20) != q->term[i])
			return false;
	return true;
}

/* Whether the token is an elided word and a word of at least
 * UNGLUED_MIN_CHARS glued together, the way a visitor types "lappli",
 * "je narrive pas" or "changement dadresse" when the apostrophe is
 * dropped (phone keyboards, haste): the bytes of the elided word (0 if
 * not). The glued word is in no article, and too far from one for a
 * close spelling when short (a short word's first letter is never
 * edited). So a token that neither the index nor the French dictionary
 * knows, made of an elided word (kbs_text__is_elision) then a vowel or h,
 * as French elides, is glued when the rest is a word (the index holds its
 * French stem, or the dictionary knows it: "sinscrire") that names
 * something ("jai" stays: "ai" is a stop word). */
static kbs_status glued(kbs_kb *kb, kbs_ctx *ctx, const char *text, const qtok *q, size_t fr,
			size_t *at, kbs_err *err)
{
	*at = 0;
	if (q->lstop[fr])
		return KBS_OK;
	/* The elided words are ASCII: the same bytes begin the text, the
	 * folded word and the exact one. Their letters are checked first, so
	 * that most words cost no lookup. */
	bool looked = false;
	for (size_t n = 1; n <= 6 && q->term[n] && q->exact[n]; n++) {
		if (!strchr("aeiouyh", q->term[n]) || !kbs_text__is_elision(q->term, n) ||
		    !typed_as(text, q, n) ||
		    kbs_utf8_chars(q->term + n) < UNGLUED_MIN_CHARS ||
		    kbs_text__is_query_stop(q->term + n, "fr"))
			continue;
		if (!looked) { /* a word the index holds is no glued one */
			looked = true;
			if (kbs_store__termfreq(ctx->reader, q->term) > 0 ||
			    (q->stem[fr] && stem_df(ctx, q->stem[fr]) > 0))
				return KBS_OK;
		}
		const char *rest = q->exact + n, *stem;
		size_t slen;
		kbs_status rc = kbs_text__stem(ctx->an, rest, strlen(rest), "fr", &stem, &slen, err);
		if (rc != KBS_OK)
			return rc;
		char s[KBS_TEXT_MAX_TERM * 2 + 1];
		snprintf(s, sizeof s, "%.*s", (int)slen, stem);
		bool word = stem_df(ctx, s) > 0, whole = false;
		if (!word && (rc = kbs_query__in_dict(kb, "fr", rest, &word, err)) != KBS_OK)
			return rc;
		if (!word)
			continue;
		if ((rc = kbs_query__in_dict(kb, "fr", q->exact, &whole, err)) != KBS_OK)
			return rc;
		if (!whole)
			*at = n;
		return KBS_OK;
	}
	return KBS_OK;
}

/* The text with the apostrophes of glued elisions put back (glued()),
 * into *out (malloc'd), or NULL when none is missing. The query is then
 * read from that text: synonyms, phrases and snippets see what the
 * apostrophe gives them ("changement d'adresse" is a synonym of moving,
 * "changement dadresse" would be nothing). */
static kbs_status unglue(kbs_kb *kb, kbs_ctx *ctx, const char *text, const toks *t,
			 const langs *ls, char **out, kbs_err *err)
{
	*out = NULL;
	size_t fr = 0;
	while (fr < ls->n && strcmp(ls->v[fr], "fr") != 0)
		fr++;
	if (fr == ls->n)
		return KBS_OK;
	kbs_buf b = { 0 };
	size_t from = 0;
	for (size_t k = 0; k < t->n; k++) {
		size_t at;
		kbs_status rc = glued(kb, ctx, text, &t->v[k], fr, &at, err);
		if (rc != KBS_OK) {
			kbs_buf_free(&b);
			return rc;
		}
		if (!at)
			continue;
		at += t->v[k].start;
		kbs_buf_add(&b, text + from, at - from);
		kbs_buf_add(&b, "'", 1);
		from = at;
	}
	if (!from)
		return KBS_OK;
	*out = finished(&b, text + from);
	return *out ? KBS_OK : kbs_err__set(err, KBS_ENOMEM, "out of memory");
}

/* ---- words ---- */

static void word_free(kbs_query__word *w)
{
	free(w->term);
	free(w->exact);
	kbs_strlist_free(&w->stems);
	kbs_strlist_free(&w->fixes);
	kbs_strlist_free(&w->alt_words);
	kbs_strlist_free(&w->alt_stems);
	kbs_strlist_free(&w->alt_phrases);
	kbs_strlist_free(&w->alt_titles);
	kbs_strlist_free(&w->join_stems);
	kbs_strlist_free(&w->completions[0]);
	kbs_strlist_free(&w->completions[1]);
	for (size_t l = 0; l < KBS_QUERY_MAX_LANGS; l++) {
		kbs_strlist_free(&w->lstems[l]);
		kbs_strlist_free(&w->lalt_words[l]);
		kbs_strlist_free(&w->lalt_stems[l]);
		kbs_strlist_free(&w->lalt_phrases[l]);
		kbs_strlist_free(&w->lalt_titles[l]);
	}
}

static bool push_distinct(kbs_strlist *l, const char *s)
{
	return kbs_strlist_contains(l, s) || kbs_strlist_push(l, s);
}

/* A stem of pass s matches the word by itself, in every language's list
 * and in pass s's. */
static bool push_stem(kbs_query__word *w, size_t s, const char *stem)
{
	return !stem || (push_distinct(&w->stems, stem) && push_distinct(&w->lstems[s], stem));
}

static kbs_query__word *new_word(kbs_query__plan *p, qtok *q, size_t passes, const char *lang_filter)
{
	kbs_query__word *w = &p->words[p->nwords];
	q->word = p->nwords++;
	w->kind = q->kind;
	w->term = kbs_strdup(q->term);
	w->exact = kbs_strdup(q->exact);
	if (!w->term || !w->exact)
		return NULL;
	w->stop = q->aux || kbs_text__is_query_stop(w->term, lang_filter);
	w->time = kbs_text__is_time_word(w->term, lang_filter);
	for (size_t s = 0; s < passes; s++)
		if (!push_stem(w, s, q->stem[s]) || !push_stem(w, s, q->stem2[s]))
			return NULL;
	return w;
}

/* Plain words are distinct ("facture facture" adds nothing); phrase and
 * excluded words keep their place. */
static kbs_status make_words(kbs_query__plan *p, toks *t, size_t passes, const char *lang_filter)
{
	p->words = calloc(t->n ? t->n : 1, sizeof *p->words);
	if (!p->words)
		return KBS_ENOMEM;
	for (size_t k = 0; k < t->n; k++) {
		qtok *q = &t->v[k];
		kbs_query__word *w = NULL;
		for (size_t j = 0; q->kind == KBS_QW_TEXT && j < p->nwords && !w; j++)
			if (p->words[j].kind == KBS_QW_TEXT && strcmp(p->words[j].term, q->term) == 0) {
				q->word = j;
				w = &p->words[j];
			}
		if (!w && !(w = new_word(p, q, passes, lang_filter)))
			return KBS_ENOMEM;
		for (size_t s = 0; s < passes; s++)
			if (!push_stem(w, s, q->join_stem[s]) || !push_stem(w, s, q->join_stem2[s]) ||
			    (q->join_stem[s] && !push_distinct(&w->join_stems, q->join_stem[s])))
				return KBS_ENOMEM;
	}
	return KBS_OK;
}

/* Code points of a UTF-8 string (at most cap), into u; its count. */
static size_t decode(const char *s, uint32_t *u, size_t cap)
{
	size_t n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		uint32_t c = *p++;
		int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
		if (more)
			c &= 0x3Fu >> more;
		while (more-- > 0 && (*p & 0xC0) == 0x80)
			c = (c << 6) | (*p++ & 0x3F);
		if (n == cap)
			return cap + 1;
		u[n++] = c;
	}
	return n;
}

/* ---- 3. synonyms ---- */

typedef struct syn_hit {
	const kbs_syn__crule *rule;
	size_t entry;
} syn_hit;

static inline bool same_str(const char *a, const char *b)
{
	return a && b && a[0] == b[0] && strcmp(a, b) == 0; /* most differ at once */
}

/* Whether stem a or a2 (either may be NULL) is b or b2: accents typed or
 * not (text.h). */
static inline bool stems_meet(const char *a, const char *a2, const char *b, const char *b2)
{
	return same_str(a, b) || same_str(a2, b) || same_str(a, b2) || same_str(a2, b2);
}

/* How many query tokens from `from` (before `to`) entry e matches, 0 when
 * it does not. One entry word is one token, or all the parts of a
 * compound the query writes with hyphens ("e-mail" for an entry "email"). */
static size_t entry_match(const kbs_syn__entry *e, const toks *t, size_t from, size_t to,
			  size_t pass)
{
	size_t k = from;
	for (size_t i = 0; i < e->n; i++, k++) {
		if (k >= to)
			return 0;
		const qtok *q = &t->v[k];
		if (q->lstop[pass] || e->stop[i]) {
			if (strcmp(q->lstop[pass] ? q->term : q->stem[pass], e->key[i]) != 0)
				return 0;
			continue;
		}
		if (stems_meet(q->stem[pass], q->stem2[pass], e->key[i], e->stem2[i]))
			continue;
		bool first_part = q->compound && (k == 0 || t->v[k - 1].compound != q->compound);
		if (!first_part ||
		    !stems_meet(q->join_stem[pass], q->join_stem2[pass], e->key[i], e->stem2[i]))
			return 0;
		while (k + 1 < to && t->v[k + 1].compound == q->compound)
			k++;
	}
	return k - from;
}

/* idf as the plan weighs words (word_idf), of a term in df of N articles. */
static double idf_of(uint64_t df, double N)
{
	double idf = log((N + 1.0) / ((double)df + 0.5));
	return idf < 0.05 ? 0.05 : idf;
}

/* What an entry's words weigh together (their idfs added, as the engine
 * adds a phrase's words), stop words aside; 0 for stop words only. */
static double entry_idf(kbs_ctx *ctx, const kbs_syn__entry *e, double N)
{
	double idf = 0;
	for (size_t i = 0; i < e->n; i++)
		if (!e->stop[i])
			idf += idf_of(stem_df(ctx, e->stem[i]), N);
	return idf;
}

/* The alternatives of one synonym match, as one query. The one-word ones
 * are one word to the engine: a SYNONYM of their stems (and one of their
 * title stems, boosted), so an article is weighed once however many of
 * them it holds, with the idf of their union, as the engine's own query
 * parser and Lucene's synonym query do. OR-ed as separate words, an
 * article using three synonyms of "résilier" outranked the one that says
 * "résilier", and every common alternative widened the matching the engine
 * cannot prune. A multi-word one is a phrase of its folded words (stop
 * words included). At most ALT_MAX of each.
 *
 * A synonym ranks below the user's own words, also when it is rarer than
 * they are (BM25 would weigh it more: "activation" for "move in"): an
 * alternative whose idf exceeds that of the words it stands for is scaled
 * down to it (cap). */
#define ALT_MAX 64
typedef struct alt_query {
	kbs_qnode *rest; /* phrases */
	kbs_qnode *z, *s; /* SYNONYM of the words' stems, of their title stems */
	kbs_ctx *ctx;
	double N;
	double user_idf; /* of the words matched (entry_idf) */
	uint64_t df;     /* the one-word alternatives' articles, added up */
} alt_query;

static double cap(const alt_query *q, double idf)
{
	return q->user_idf > 0 && idf > q->user_idf ? q->user_idf / idf : 1.0;
}

/* e: not a lone stop word (apply_synonyms leaves those out). */
static void alt_add(kbs_query__arena *a, alt_query *q, const kbs_syn__entry *e)
{
	if (e->n == 1) {
		for (int k = 0; k < 2; k++) {
			const char *stem = k ? e->stem2[0] : e->stem[0];
			if (!stem || !*stem || !q->z || q->z->nkids >= ALT_MAX)
				continue;
			kbs_query__add(q->z, kbs_query__term(a, KBS_PFX_STEM, stem));
			kbs_query__add(q->s, kbs_query__term(a, KBS_PFX_TITLE, stem));
			q->df += stem_df(q->ctx, stem);
		}
		return;
	}
	if (!q->rest || q->rest->nkids >= ALT_MAX)
		return;
	kbs_qnode *ph = kbs_query__op(a, KBS_Q_PHRASE, e->n);
	for (size_t i = 0; i < e->n; i++)
		kbs_query__add(ph, kbs_query__term(a, "", e->term[i]));
	/* In a title, as a one-word alternative is: a title is a few words,
	 * so holding the entry's words there is holding the entry. */
	kbs_qnode *node = ph, *title = kbs_query__op(a, KBS_Q_AND, e->n);
	for (size_t i = 0; i < e->n; i++)
		if (!e->stop[i] && e->stem[i] && *e->stem[i])
			kbs_query__add(title, kbs_query__term(a, KBS_PFX_TITLE, e->stem[i]));
	if (title && title->nkids) {
		node = kbs_query__op(a, KBS_Q_OR, 2);
		kbs_query__add(node, ph);
		kbs_query__add(node, kbs_query__scale(a, title, TITLE_BOOST));
	}
	kbs_query__add(q->rest, kbs_query__scale(a, node, cap(q, entry_idf(q->ctx, e, q->N))));
}

/* The alternatives as one node, NULL when there are none. */
static kbs_qnode *alt_query_node(kbs_query__arena *a, alt_query *q)
{
	if (q->z && q->z->nkids && q->s) {
		kbs_qnode *one = kbs_query__op(a, KBS_Q_OR, 2);
		kbs_query__add(one, q->z);
		kbs_query__add(one, kbs_query__scale(a, q->s, TITLE_BOOST));
		kbs_query__add(q->rest, kbs_query__scale(a, one, cap(q, idf_of(q->df, q->N))));
	}
	return q->rest && q->rest->nkids ? q->rest : NULL;
}

/* Records alternative e on the plain words of tokens [from, to). */
static kbs_status note_alternative(kbs_query__plan *p, const toks *t, size_t from, size_t to,
				   size_t pass, const kbs_syn__entry *e)
{
	kbs_buf phrase = { 0 }, title = { 0 };
	for (size_t i = 0; i < e->n; i++) {
		if (phrase.len)
			kbs_buf_addc(&phrase, ' ');
		kbs_buf_adds(&phrase, e->term[i]);
		if (e->stop[i] || !e->stem[i] || !*e->stem[i])
			continue;
		if (title.len)
			kbs_buf_addc(&title, ' ');
		kbs_buf_adds(&title, e->stem[i]);
	}
	bool ok = !phrase.oom && !title.oom;
	for (size_t k = from; k < to && ok; k++) {
		kbs_query__word *w = &p->words[t->v[k].word];
		if (w->stop)
			continue;
		w->syn = true;
		if (e->n > 1) {
			ok = push_distinct(&w->alt_phrases, phrase.data) &&
			     push_distinct(&w->lalt_phrases[pass], phrase.data) &&
			     (!title.len || (push_distinct(&w->alt_titles, title.data) &&
					     push_distinct(&w->lalt_titles[pass], title.data)));
			continue;
		}
		ok = push_distinct(&w->alt_words, e->term[0]) && push_distinct(&w->alt_stems, e->stem[0]) &&
		     (!e->stem2[0] || push_distinct(&w->alt_stems, e->stem2[0])) &&
		     push_distinct(&w->lalt_words[pass], e->term[0]) &&
		     push_distinct(&w->lalt_stems[pass], e->stem[0]) &&
		     (!e->stem2[0] || push_distinct(&w->lalt_stems[pass], e->stem2[0]));
	}
	kbs_buf_free(&phrase);
	kbs_buf_free(&title);
	return ok ? KBS_OK : KBS_ENOMEM;
}

/* Matches set (language pass `pass`) on the plain words; adds a node per
 * match to `or`. */
static kbs_status apply_synonyms(kbs_query__plan *p, kbs_ctx *ctx, toks *t, size_t pass,
				 const kbs_syn__set *set, kbs_qnode *or)
{
	size_t k = 0;
	while (k < t->n) {
		if (t->v[k].kind != KBS_QW_TEXT) {
			k++;
			continue;
		}
		size_t run_end = k;
		while (run_end < t->n && t->v[run_end].kind == KBS_QW_TEXT && t->v[run_end].seg == t->v[k].seg)
			run_end++;
		/* The entry starting at k that covers the most tokens, over
		 * every rule. */
		size_t best = 0, nhits = 0;
		syn_hit hits[16];
		for (size_t r = 0; r < set->nrules; r++) {
			const kbs_syn__crule *rule = &set->rules[r];
			for (size_t e = 0; e < rule->nfrom; e++) {
				const kbs_syn__entry *en = &rule->e[e];
				size_t used = entry_match(en, t, k, run_end, pass);
				if (used == 0 || used < best)
					continue;
				if (used > best) {
					best = used;
					nhits = 0;
				}
				if (nhits < sizeof hits / sizeof *hits)
					hits[nhits++] = (syn_hit){ rule, e };
			}
		}
		if (!best) {
			k++;
			continue;
		}
		double N = (double)kbs_store__doccount(ctx->reader);
		alt_query aq = { kbs_query__op(&p->arena, KBS_Q_OR, ALT_MAX + 1),
				 kbs_query__op(&p->arena, KBS_Q_SYNONYM, ALT_MAX + 1),
				 kbs_query__op(&p->arena, KBS_Q_SYNONYM, ALT_MAX + 1),
				 ctx, N, entry_idf(ctx, &hits[0].rule->e[hits[0].entry], N), 0 };
		for (size_t h = 0; h < nhits; h++) {
			const kbs_syn__crule *rule = hits[h].rule;
			const kbs_syn__entry *matched = &rule->e[hits[h].entry];
			for (size_t e = rule->oneway ? rule->nfrom : 0; e < rule->ne; e++) {
				const kbs_syn__entry *en = &rule->e[e];
				/* A lone stop word says nothing the word it stands
				 * for does not: the query's own stop words give way
				 * to better words, and this one would match nearly
				 * every article, at a walk of all of them. */
				if (kbs_syn__same_keys(en, matched) || (en->n == 1 && en->stop[0]))
					continue;
				alt_add(&p->arena, &aq, en);
				if (note_alternative(p, t, k, k + best, pass, en) != KBS_OK)
					return KBS_ENOMEM;
			}
		}
		kbs_qnode *alts = alt_query_node(&p->arena, &aq);
		p->synonyms = true;
		if (alts)
			kbs_query__add(or, kbs_query__scale(&p->arena, in_lang(p, alts, pass), SYNONYM_SCALE));
		/* The key: the canonical entry stands for the words it covers. */
		bool keyed = false;
		for (size_t i = k; i < k + best; i++)
			keyed |= t->v[i].keyed;
		if (!keyed) {
			const kbs_syn__entry *c = kbs_syn__canonical(hits[0].rule);
			for (size_t i = 0; i < c->n; i++)
				if (!c->stop[i] && !kbs_strlist_push(&p->key, c->stem[i]))
					return KBS_ENOMEM;
			for (size_t i = k; i < k + best; i++)
				t->v[i].keyed = true;
		}
		k += best;
	}
	return KBS_OK;
}

/* ---- 4. close spellings ---- */

typedef struct cand {
	char term[KBS_TEXT_MAX_TERM + 1];
	unsigned d;
	uint64_t freq;
} cand;

typedef struct typo_scan {
	uint32_t w[KBS_TEXT_MAX_TERM + 1];
	size_t wn;
	unsigned maxd;
	size_t scanned;
	cand best[TYPO_MAX_FIXES];
	size_t nbest;
	const char *word;
	/* A candidate must be in an article the caller may see: a word only
	 * hidden articles hold would reach the caller in the corrected
	 * query. */
	kbs_query__plan *p;
	kbs_ctx *ctx;
	kbs_status rc;
	kbs_err *err;
} typo_scan;

/* Optimal string alignment distance, or maxd + 1 when above maxd. */
static unsigned osa(const uint32_t *a, size_t an, const uint32_t *b, size_t bn, unsigned maxd)
{
	unsigned rows[3][KBS_TEXT_MAX_TERM + 2];
	unsigned *pp = rows[0], *prev = rows[1], *cur = rows[2];
	for (size_t j = 0; j <= bn; j++)
		prev[j] = (unsigned)j;
	for (size_t i = 1; i <= an; i++) {
		cur[0] = (unsigned)i;
		unsigned rowmin = cur[0];
		for (size_t j = 1; j <= bn; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (rowmin > maxd)
			return maxd + 1;
		unsigned *tmp = pp;
		pp = prev;
		prev = cur;
		cur = tmp;
	}
	return prev[bn] > maxd ? maxd + 1 : prev[bn];
}

/* Whether an article the caller may see holds `term`. Asked only of the
 * few candidates good enough to keep, and only when the index hides
 * something from someone. */
static bool seen_by_caller(typo_scan *s, const char *term)
{
	if (s->rc != KBS_OK)
		return false;
	if (!s->p->hides)
		return true;
	kbs_qnode *t = kbs_query__term(&s->p->arena, "", term);
	if (!t) {
		s->rc = kbs_err__set(s->err, KBS_ENOMEM, "out of memory");
		return false;
	}
	kbs_store__search_req req = {
		.query = t, .filter = s->p->roles, .limit = 1, .unranked = true, .no_data = true,
	};
	kbs_store__result r = { 0 };
	s->rc = kbs_store__search(s->ctx->reader, &req, &r, s->err);
	bool yes = s->rc == KBS_OK && r.nhits > 0;
	kbs_store__result_free(&r);
	return yes;
}

static void cand_add(typo_scan *s, const char *term, unsigned d, uint64_t freq)
{
	if (strlen(term) > KBS_TEXT_MAX_TERM || strcmp(term, s->word) == 0)
		return;
	/* A stop word or a filler is no word the visitor meant: "pouf" as
	 * "pour" would match every article, and confidently. */
	if (kbs_text__is_query_stop(term, NULL))
		return;
	for (size_t i = 0; i < s->nbest; i++)
		if (strcmp(s->best[i].term, term) == 0)
			return;
	size_t at = s->nbest;
	while (at > 0 && (s->best[at - 1].d > d || (s->best[at - 1].d == d && s->best[at - 1].freq < freq)))
		at--;
	if (at >= TYPO_MAX_FIXES || !seen_by_caller(s, term))
		return;
	size_t last = s->nbest < TYPO_MAX_FIXES ? s->nbest : TYPO_MAX_FIXES - 1;
	memmove(&s->best[at + 1], &s->best[at], (last - at) * sizeof *s->best);
	snprintf(s->best[at].term, sizeof s->best[at].term, "%s", term);
	s->best[at].d = d;
	s->best[at].freq = freq;
	if (s->nbest < TYPO_MAX_FIXES)
		s->nbest++;
}

static kbs_status scan_term(const char *term, uint64_t freq, void *payload)
{
	typo_scan *s = payload;
	if (++s->scanned > TYPO_SCAN_MAX || s->rc != KBS_OK)
		return KBS_STOP;
	uint32_t c[KBS_TEXT_MAX_TERM + 1];
	size_t cn = decode(term, c, KBS_TEXT_MAX_TERM);
	if (cn > KBS_TEXT_MAX_TERM || (cn > s->wn ? cn - s->wn : s->wn - cn) > s->maxd)
		return KBS_OK;
	/* Same first letter: the edits are after it, each counts once. */
	unsigned d = osa(s->w + 1, s->wn - 1, c + 1, cn - 1, s->maxd);
	if (d >= 1 && d <= s->maxd)
		cand_add(s, term, d, freq);
	return KBS_OK;
}

static void probe(kbs_ctx *ctx, typo_scan *s, const char *term)
{
	uint64_t f = kbs_store__termfreq(ctx->reader, term);
	if (f)
		cand_add(s, term, 2, f);
}

/* The close spellings of a folded word the index lacks, best first. */
static kbs_status find_fixes(kbs_query__plan *p, kbs_ctx *ctx, const char *word, kbs_strlist *out,
			     kbs_err *err)
{
	typo_scan s = { .word = word, .p = p, .ctx = ctx, .rc = KBS_OK, .err = err };
	s.wn = decode(word, s.w, KBS_TEXT_MAX_TERM);
	if (s.wn > KBS_TEXT_MAX_TERM || s.wn < TYPO_MIN_CHARS)
		return KBS_OK;
	s.maxd = s.wn >= TYPO_TWO_CHARS ? 2 : 1;
	size_t first = kbs_utf8_prefix(word, strlen(word), 1);
	char bucket[8];
	snprintf(bucket, sizeof bucket, "%.*s", (int)first, word);
	kbs_status rc = kbs_store__each_term(ctx->reader, bucket, scan_term, &s, err);
	if (rc == KBS_OK)
		rc = s.rc;
	if (rc != KBS_OK)
		return rc;
	if (s.maxd == 2) {
		/* A first-letter edit uses both edits: the rest is as typed. */
		char buf[KBS_TEXT_MAX_TERM + 8];
		const char *rest = word + first;
		probe(ctx, &s, rest);
		if (rest[0] && ((unsigned char)rest[0] & 0x80) == 0) {
			snprintf(buf, sizeof buf, "%c%.*s%s", rest[0], (int)first, word, rest + 1);
			probe(ctx, &s, buf);
		}
		for (char c = 'a'; c <= 'z'; c++) {
			snprintf(buf, sizeof buf, "%c%s", c, rest);
			probe(ctx, &s, buf);
			snprintf(buf, sizeof buf, "%c%s", c, word);
			probe(ctx, &s, buf);
		}
		if (s.rc != KBS_OK)
			return s.rc;
	}
	/* Only the closest: "installer" (1 edit) for "instaler", not also
	 * "install" (2). */
	for (size_t i = 0; i < s.nbest && s.best[i].d == s.best[0].d; i++)
		if (!kbs_strlist_push(out, s.best[i].term))
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return KBS_OK;
}

static bool starts_with_digit(const char *s)
{
	return *s >= '0' && *s <= '9';
}

/* Whether the index has the word as typed (folded). Not its stem: stems
 * of every language share one term space, and "instaler" stemmed in
 * English is "instal", the stem of English "install" — known, yet not what
 * a French visitor meant. A word whose stem matches keeps that match; its
 * close spellings only add to it. */
static bool known(kbs_ctx *ctx, const kbs_query__word *w)
{
	if (kbs_store__termfreq(ctx->reader, w->term) > 0)
		return true;
	/* Part of a compound the index holds: "monnaie" of "porte-monnaie"
	 * where articles write "portemonnaie". */
	for (size_t i = 0; i < w->join_stems.n; i++)
		if (stem_df(ctx, w->join_stems.v[i]) > 0)
			return true;
	return false;
}

/* The last ACCENT_MAX_E e's of a folded word (where French inflections
 * put é or è), from the end: accented_forms and shown_spelling try
 * accents there. */
typedef struct e_spots {
	size_t at[ACCENT_MAX_E], n, len;
} e_spots;

static e_spots last_es(const char *word)
{
	e_spots s = { .n = 0, .len = strlen(word) };
	for (size_t i = s.len; i-- > 0 && s.n < ACCENT_MAX_E;)
		if (word[i] == 'e')
			s.at[s.n++] = i;
	return s;
}

/* `word` (at most KBS_TEXT_MAX_TERM bytes) with its e's at s accented as
 * `pick` says, one base-3 digit a spot (0 e, 1 é, 2 è): into out, of at
 * least KBS_TEXT_MAX_TERM + ACCENT_MAX_E + 1 bytes. */
static void accent_es(const char *word, const e_spots *s, unsigned pick, char *out)
{
	static const char *const E[] = { "e", "\xC3\xA9", "\xC3\xA8" }; /* e, é, è */
	unsigned digit[ACCENT_MAX_E];
	for (size_t i = 0; i < s->n; i++, pick /= 3)
		digit[i] = pick % 3;
	size_t o = 0, from = 0;
	for (size_t i = s->n; i-- > 0;) { /* at[] runs from the end */
		memcpy(out + o, word + from, s->at[i] - from);
		o += s->at[i] - from;
		size_t el = strlen(E[digit[i]]);
		memcpy(out + o, E[digit[i]], el);
		o += el;
		from = s->at[i] + 1;
	}
	memcpy(out + o, word + from, s->len - from + 1);
}

/* A word typed without accents stems like the indexed text only when that
 * very inflection is indexed (stem2 in text.h): Snowball reads é as a
 * vowel, so "coupee" stems to "coupe" while the indexed "coupé" and
 * "coupés" stem to "coup", and "coupée" may be in no article. Such a word
 * is no slip: when none of its stems is indexed, each of its e's in turn
 * becomes é or è (at most ACCENT_MAX_E of them, from the end, where
 * inflections are), and a variant whose stem the index holds is the
 * word: its stem joins the word's own, at full weight, and no close
 * spelling is looked for. The index vouches for every variant kept. */
static kbs_status accented_forms(kbs_ctx *ctx, kbs_query__word *w, const langs *ls, bool *found,
				 kbs_err *err)
{
	*found = false;
	if (!ls->n || strcmp(w->term, w->exact) != 0)
		return KBS_OK; /* the visitor typed accents: they are meant */
	for (size_t i = 0; i < w->stems.n; i++)
		if (stem_df(ctx, w->stems.v[i]) > 0)
			return KBS_OK;
	e_spots es = last_es(w->term);
	if (es.len > KBS_TEXT_MAX_TERM)
		return KBS_OK;
	/* One e at a time: é or è (digit 1 or 2 at spot i). */
	for (unsigned i = 0, unit = 1; i < es.n; i++, unit *= 3) {
		for (unsigned a = 1; a <= 2; a++) {
			char v[KBS_TEXT_MAX_TERM + ACCENT_MAX_E + 1];
			accent_es(w->term, &es, a * unit, v);
			for (size_t l = 0; l < ls->n; l++) {
				const char *stem;
				size_t slen;
				kbs_status rc = kbs_text__stem(ctx->an, v, strlen(v), ls->v[l], &stem, &slen, err);
				if (rc != KBS_OK)
					return rc;
				char s[KBS_TEXT_MAX_TERM * 2 + 1];
				snprintf(s, sizeof s, "%.*s", (int)slen, stem);
				if (kbs_strlist_contains(&w->lstems[l], s) || stem_df(ctx, s) == 0)
					continue;
				if (!push_stem(w, l, s))
					return kbs_err__set(err, KBS_ENOMEM, "out of memory");
				*found = true;
			}
		}
	}
	return KBS_OK;
}

/* A word the index lacks that has no close spelling may still be another
 * form of an indexed word, longer than a close spelling reaches:
 * "justifier" (stem "justifi") for "justificatif" (stem "justif"). Its
 * stem, cut by at most DERIVE_MAX_CUT characters but kept at
 * DERIVE_MIN_CHARS or more, matches the longest indexed stem it extends,
 * as a close spelling would. */
static kbs_status derived_forms(kbs_ctx *ctx, kbs_query__word *w, const langs *ls, bool *found,
				kbs_err *err)
{
	*found = false;
	size_t passes = ls->n ? ls->n : 1, min = strlen(KBS_PFX_STEM);
	for (size_t l = 0; l < passes; l++) {
		const kbs_strlist *stems = ls->n ? &w->lstems[l] : &w->stems;
		for (size_t i = 0; i < stems->n; i++) {
			char key[KBS_TEXT_MAX_TERM * 2 + 8];
			snprintf(key, sizeof key, KBS_PFX_STEM "%s", stems->v[i]);
			if (kbs_store__termfreq(ctx->reader, key) > 0)
				continue;
			size_t len = strlen(key);
			for (size_t cut = 1; cut <= DERIVE_MAX_CUT; cut++) {
				do /* a character boundary */
					len--;
				while (len > min && ((unsigned char)key[len] & 0xC0) == 0x80);
				key[len] = '\0';
				if (kbs_utf8_chars(key + min) < DERIVE_MIN_CHARS)
					break;
				if (kbs_store__termfreq(ctx->reader, key) > 0) {
					if (!push_distinct(&w->alt_stems, key + min) ||
					    !push_distinct(&w->lalt_stems[l], key + min))
						return kbs_err__set(err, KBS_ENOMEM, "out of memory");
					*found = true;
					break;
				}
			}
		}
	}
	return KBS_OK;
}

/* Whether a synonym rule of language pass l gave w an alternative the
 * index holds (a word, a stem, or the first word of a phrase: enough to
 * tell a rule that finds something from one that does not). */
static bool synonyms_found(kbs_ctx *ctx, const kbs_query__word *w, size_t l)
{
	char key[KBS_TEXT_MAX_TERM * 2 + 8];
	for (size_t i = 0; i < w->lalt_words[l].n; i++)
		if (kbs_store__termfreq(ctx->reader, w->lalt_words[l].v[i]) > 0)
			return true;
	for (size_t i = 0; i < w->lalt_stems[l].n; i++)
		if (stem_df(ctx, w->lalt_stems[l].v[i]) > 0)
			return true;
	for (size_t i = 0; i < w->lalt_phrases[l].n; i++) {
		const char *ph = w->lalt_phrases[l].v[i], *sp = strchr(ph, ' ');
		snprintf(key, sizeof key, "%.*s", (int)(sp ? (size_t)(sp - ph) : strlen(ph)), ph);
		if (kbs_store__termfreq(ctx->reader, key) > 0)
			return true;
	}
	return false;
}

/* 3b. The other forms of a word's lemma that the index holds (lemmas.c)
 * are the word: their stems join its own, at full weight, in the pass of
 * that language. */
static kbs_status other_forms(kbs_kb *kb, kbs_ctx *ctx, kbs_query__word *w, const langs *ls,
			      int qlang, kbs_err *err)
{
	if (w->kind != KBS_QW_TEXT || !w->used || w->stop)
		return KBS_OK;
	kbs_strlist stems = { 0 };
	kbs_status rc = KBS_OK;
	for (size_t l = 0; l < ls->n && rc == KBS_OK; l++) {
		kbs_strlist_free(&stems);
		/* Only the query's language, when clear, says how it is spelt
		 * and what kind of word it is. */
		bool mine = qlang < 0 || (size_t)qlang == l;
		if ((rc = kbs_query__lemma_stems(kb, ctx, ls->v[l], w->exact, &stems,
						 mine ? &w->in_dict : NULL, mine ? &w->verb : NULL,
						 err)) != KBS_OK)
			break;
		for (size_t i = 0; i < stems.n; i++) {
			if (kbs_strlist_contains(&w->lstems[l], stems.v[i]))
				continue;
			if (!push_stem(w, l, stems.v[i])) {
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
				break;
			}
			w->forms = true;
		}
	}
	kbs_strlist_free(&stems);
	return rc;
}

static kbs_status close_spellings(kbs_query__plan *p, kbs_ctx *ctx, kbs_query__word *w,
				  const langs *ls, kbs_err *err)
{
	if (w->kind != KBS_QW_TEXT || w->stop || starts_with_digit(w->term) ||
	    kbs_utf8_chars(w->term) < TYPO_MIN_CHARS || known(ctx, w))
		return KBS_OK;
	/* A word the index lacks but a synonym rule of the query's language
	 * (given, or clear from its words) answers is a word the visitor
	 * meant, not a slip: "subscription" stands for "contract" in an
	 * English query, it is not French "souscription" misspelt. Without
	 * a known language, synonyms may come from another language's stem
	 * ("instaler" stems to English "instal", "linki" to "link") and say
	 * nothing of what the visitor meant: close spellings are looked up. */
	int ql = !p->per_lang && ls->n == 1 ? 0 : p->qlang;
	if (ql >= 0 && synonyms_found(ctx, w, (size_t)ql))
		return KBS_OK;
	kbs_status rc;
	if (w->prefix && w->completions[0].n) /* being typed: completions say more than spellings */
		return KBS_OK;
	if (w->forms) /* another form of a word the index holds: no slip */
		return KBS_OK;
	bool accented = false;
	if ((rc = accented_forms(ctx, w, ls, &accented, err)) != KBS_OK || accented)
		return rc;
	if (!w->in_dict && (rc = find_fixes(p, ctx, w->term, &w->fixes, err)) != KBS_OK)
		return rc;
	for (size_t i = 0; i < w->fixes.n; i++) {
		const char *f = w->fixes.v[i];
		if (!push_distinct(&w->alt_words, f))
			return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		size_t passes = ls->n ? ls->n : 1;
		for (size_t l = 0; l < passes; l++)
			if (!push_distinct(&w->lalt_words[l], f))
				return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		for (size_t l = 0; l < passes; l++) {
			const char *stem;
			size_t len;
			if ((rc = kbs_text__stem(ctx->an, f, strlen(f), ls->n ? ls->v[l] : NULL, &stem, &len,
						 err)) != KBS_OK)
				return rc;
			char buf[KBS_TEXT_MAX_TERM * 2 + 1];
			snprintf(buf, sizeof buf, "%.*s", (int)len, stem);
			if (!push_distinct(&w->alt_stems, buf) || !push_distinct(&w->lalt_stems[l], buf))
				return kbs_err__set(err, KBS_ENOMEM, "out of memory");
		}
	}
	bool derived = false;
	if (w->fixes.n == 0 &&
	    (rc = derived_forms(ctx, w, ls, &derived, err)) != KBS_OK)
		return rc;
	w->typo = w->fixes.n > 0 || derived;
	return KBS_OK;
}

/* ---- 4b. the query's language ---- */

/* Whether token q lost an elision (l' j' d' qu'...; text.h): its text has
 * an apostrophe that its folded word does not. */
static bool elided(const char *text, const qtok *q)
{
	if (strchr(q->term, '\''))
		return false;
	for (size_t i = q->start; i < q->end; i++)
		if (kbs_text__apostrophe_at(text + i, q->end - i))
			return true;
	return false;
}

/* The language the query is most likely written in, among the languages
 * of the index, when the evidence is clear; -1 otherwise. Each word votes:
 * a stop word of some of the languages but not all of them votes for
 * those; another word votes for the languages whose articles use it
 * LANG_RATE_RATIO times more often (per article) than the others'; an
 * elided word (l'appli) votes for French, the language whose elisions the
 * analyzer strips. A language wins when it has at least one vote and more
 * than twice the votes of the runner-up. A method, not a list: it reads the
 * index's own vocabulary, so it knows the words of any knowledge base. */
static int query_language(kbs_ctx *ctx, const char *text, const toks *t, const langs *ls)
{
	double votes[MAX_LANGS] = { 0 }, size[MAX_LANGS] = { 0 };
	char lterm[sizeof ls->v[0] + 4];
	if (ls->n < 2)
		return -1;
	for (size_t l = 0; l < ls->n; l++) {
		snprintf(lterm, sizeof lterm, KBS_PFX_LANG "%s", ls->v[l]);
		size[l] = (double)kbs_store__termfreq(ctx->reader, lterm);
	}
	for (size_t k = 0; k < t->n; k++) {
		const qtok *q = &t->v[k];
		if (q->kind == KBS_QW_EXCLUDE || starts_with_digit(q->term))
			continue;
		if (elided(text, q))
			for (size_t l = 0; l < ls->n; l++)
				votes[l] += strcmp(ls->v[l], "fr") == 0;
		size_t nstop = 0;
		bool stop[MAX_LANGS] = { false };
		for (size_t l = 0; l < ls->n; l++)
			nstop += stop[l] = kbs_text__is_stopword(q->term, ls->v[l]);
		if (nstop) {
			for (size_t l = 0; nstop < ls->n && l < ls->n; l++)
				votes[l] += stop[l];
			continue;
		}
		double rate[MAX_LANGS];
		for (size_t l = 0; l < ls->n; l++) {
			snprintf(lterm, sizeof lterm, KBS_PFX_LANG "%s", ls->v[l]);
			uint64_t df = kbs_store__termfreq_both(ctx->reader, q->term, lterm, LANG_SCAN_MAX);
			rate[l] = size[l] > 0 ? (double)df / size[l] : 0;
		}
		for (size_t l = 0; l < ls->n; l++) {
			double other = 0;
			for (size_t m = 0; m < ls->n; m++)
				if (m != l && rate[m] > other)
					other = rate[m];
			if (rate[l] > 0 && rate[l] >= LANG_RATE_RATIO * other)
				votes[l] += 1;
		}
	}
	int best = -1;
	double second = 0;
	for (size_t l = 0; l < ls->n; l++) {
		if (best < 0 || votes[l] > votes[best]) {
			if (best >= 0 && votes[best] > second)
				second = votes[best];
			best = (int)l;
		} else if (votes[l] > second) {
			second = votes[l];
		}
	}
	return best >= 0 && votes[best] >= 1 && votes[best] > 2 * second ? best : -1;
}

/* ---- 5. the engine query ---- */

/* A word by its stems (body, and title boosted). */
static kbs_qnode *stems_query(kbs_query__arena *a, const kbs_strlist *stems)
{
	kbs_qnode *alts = kbs_query__op(a, KBS_Q_SYNONYM, stems->n);
	kbs_qnode *titles = kbs_query__op(a, KBS_Q_SYNONYM, stems->n);
	kbs_qnode *tags = kbs_query__op(a, KBS_Q_SYNONYM, stems->n);
	for (size_t i = 0; i < stems->n; i++) {
		kbs_query__add(alts, kbs_query__term(a, KBS_PFX_STEM, stems->v[i]));
		kbs_query__add(titles, kbs_query__term(a, KBS_PFX_TITLE, stems->v[i]));
		kbs_query__add(tags, kbs_query__term(a, KBS_PFX_TAG_STEM, stems->v[i]));
	}
	kbs_qnode *or = kbs_query__op(a, KBS_Q_OR, 3);
	kbs_query__add(or, alts);
	kbs_query__add(or, kbs_query__scale(a, titles, TITLE_BOOST));
	if (TAG_BOOST > 0)
		kbs_query__add(or, kbs_query__scale(a, tags, TAG_BOOST));
	return or;
}

/* A misspelt word by its close spellings and their stems, below a match. */
static kbs_qnode *fixes_query(kbs_query__arena *a, const kbs_strlist *fixes, const kbs_strlist *stems)
{
	kbs_qnode *fx = kbs_query__op(a, KBS_Q_SYNONYM, fixes->n + stems->n);
	kbs_qnode *ft = kbs_query__op(a, KBS_Q_SYNONYM, stems->n);
	for (size_t i = 0; i < fixes->n; i++)
		kbs_query__add(fx, kbs_query__term(a, "", fixes->v[i]));
	for (size_t i = 0; i < stems->n; i++) {
		kbs_query__add(fx, kbs_query__term(a, KBS_PFX_STEM, stems->v[i]));
		kbs_query__add(ft, kbs_query__term(a, KBS_PFX_TITLE, stems->v[i]));
	}
	kbs_qnode *or = kbs_query__op(a, KBS_Q_OR, 2);
	kbs_query__add(or, kbs_query__scale(a, fx, TYPO_SCALE));
	kbs_query__add(or, kbs_query__scale(a, ft, TITLE_BOOST * TYPO_SCALE));
	return or;
}

static kbs_qnode *word_query(kbs_query__plan *p, const kbs_query__word *w)
{
	kbs_query__arena *a = &p->arena;
	if (p->stop_only) /* stop words have no stem terms: match the words themselves */
		return kbs_query__term(a, "", w->term);
	kbs_qnode *or = kbs_query__op(a, KBS_Q_OR, 2 * p->nlangs + 6);
	if (!p->per_lang) {
		kbs_query__add(or, stems_query(a, &w->stems));
		if (w->typo)
			kbs_query__add(or, fixes_query(a, &w->fixes, &w->alt_stems));
	} else {
		/* Each language's stems on that language's articles. Languages
		 * that stem the word alike and weigh it alike (names, numbers,
		 * words the stemmers leave whole) share one node, so the engine
		 * reads its lists once: an article is in one language, so the
		 * weights are the same. */
		bool done[KBS_QUERY_MAX_LANGS] = { false };
		for (size_t l = 0; l < p->nlangs; l++) {
			if (done[l])
				continue;
			bool alike[KBS_QUERY_MAX_LANGS] = { false };
			for (size_t m = l + 1; m < p->nlangs; m++)
				if (!done[m] && same_weight(p, l, m) &&
				    kbs_strlist_equal(&w->lstems[l], &w->lstems[m]) &&
				    (!w->typo || kbs_strlist_equal(&w->lalt_stems[l], &w->lalt_stems[m])))
					alike[m] = done[m] = true;
			kbs_query__add(or, in_langs(p, stems_query(a, &w->lstems[l]), alike, l));
			if (w->typo)
				kbs_query__add(or, in_langs(p, fixes_query(a, &w->fixes, &w->lalt_stems[l]),
							    alike, l));
		}
		if (p->other_langs) { /* no stemmer: the stem is the word */
			kbs_strlist self = { .v = (char **)&w->term, .n = 1 };
			kbs_query__add(or, in_other_langs(p, stems_query(a, &self)));
			if (w->typo)
				kbs_query__add(or, in_other_langs(p, fixes_query(a, &w->fixes, &w->fixes)));
		}
	}
	if (strcmp(w->exact, w->term) != 0)
		kbs_query__add(or, kbs_query__scale(a, kbs_query__term(a, KBS_PFX_EXACT, w->exact), EXACT_BOOST));
	if (w->prefix && (w->completions[0].n || w->completions[1].n)) {
		kbs_qnode *px = kbs_query__op(a, KBS_Q_OR, 2);
		kbs_query__add(px, completions_query(a, &w->completions[0]));
		kbs_query__add(px, completions_query(a, &w->completions[1]));
		kbs_query__add(or, kbs_query__scale(a, px, PREFIX_SCALE));
	}
	return or;
}

/* "A / B/" -> "a/b" as indexed (folded, trimmed levels). */
static char *category_term(const char *cat)
{
	kbs_buf b = { 0 };
	const char *s = cat;
	while (*s) {
		while (*s == '/' || *s == ' ' || *s == '\t')
			s++;
		const char *e = s;
		while (*e && *e != '/')
			e++;
		const char *t = e;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > s) {
			if (b.len)
				kbs_buf_addc(&b, '/');
			kbs_buf_add(&b, s, (size_t)(t - s));
		}
		s = e;
	}
	char *raw = kbs_buf_steal(&b);
	if (!raw)
		return NULL;
	char *folded = kbs_text__fold(raw, strlen(raw));
	free(raw);
	return folded;
}

static kbs_qnode *label_term(kbs_query__arena *a, const char *prefix, const char *label, bool *bad)
{
	char *f = kbs_text__fold(label, strlen(label));
	if (!f) {
		*bad = true;
		return NULL;
	}
	kbs_qnode *n = kbs_query__term(a, prefix, f);
	free(f);
	return n;
}

/* Whether every article of the index says whether it is public: XRpublic
 * or XH (store.h), as an index made since KBS_TERM_RESTRICTED exists
 * does. An older one, until re-indexed, is filtered the older way: its
 * restricted articles have no XH, and "without XH" would show them.
 * `restricted` is how many articles are not public. */
static bool restricted_marked(kbs_ctx *ctx, uint64_t *restricted)
{
	uint64_t pub = kbs_store__termfreq(ctx->reader, KBS_PFX_ROLE "public");
	uint64_t marked = kbs_store__termfreq(ctx->reader, KBS_TERM_RESTRICTED);
	uint64_t all = kbs_store__doccount(ctx->reader);
	*restricted = all > pub ? all - pub : 0;
	return pub + marked == all;
}

/* The caller's access filter: public articles and those of its roles.
 * Said as "without the restricted articles none of its roles opens"
 * when the index allows it: almost every article is public, and the
 * engine checks a filter on each candidate, a short list far faster than
 * the list of nearly every article. */
static kbs_qnode *roles_filter(kbs_query__plan *p, kbs_ctx *ctx, const kbs_search_opts *o, bool *bad)
{
	kbs_query__arena *a = &p->arena;
	kbs_qnode *roles = kbs_query__op(a, KBS_Q_OR, o->nroles + 1);
	uint64_t restricted;
	bool fast = restricted_marked(ctx, &restricted);
	p->hides = restricted > 0;
	if (!fast)
		kbs_query__add(roles, kbs_query__term(a, KBS_PFX_ROLE, "public"));
	for (size_t i = 0; i < o->nroles; i++)
		if (o->roles[i] && *o->roles[i])
			kbs_query__add(roles, label_term(a, KBS_PFX_ROLE, o->roles[i], bad));
	if (!fast)
		return roles;
	kbs_qnode *closed = kbs_query__term(a, KBS_TERM_RESTRICTED, "");
	if (roles && roles->nkids) {
		kbs_qnode *opened = kbs_query__op(a, KBS_Q_AND_NOT, 2);
		kbs_query__add(opened, closed);
		kbs_query__add(opened, roles);
		closed = opened;
	}
	kbs_qnode *visible = kbs_query__op(a, KBS_Q_AND_NOT, 2);
	kbs_query__add(visible, kbs_query__op(a, KBS_Q_ALL, 0));
	kbs_query__add(visible, closed);
	return visible;
}

kbs_status kbs_query__plan_filter(kbs_query__plan *p, kbs_ctx *ctx, const kbs_search_opts *o,
				  kbs_err *err)
{
	bool bad = false;
	kbs_query__arena *a = &p->arena;
	if (o->lang && *o->lang)
		p->lang = label_term(a, KBS_PFX_LANG, o->lang, &bad);
	kbs_qnode *and = kbs_query__op(a, KBS_Q_AND, 2 + o->ntags);
	if (o->category && *o->category) {
		char *c = category_term(o->category);
		if (!c)
			return kbs_err__set(err, KBS_EINVALID, "category filter is not valid UTF-8");
		if (*c)
			kbs_query__add(and, kbs_query__term(a, KBS_PFX_CATEGORY, c));
		free(c);
	}
	for (size_t i = 0; i < o->ntags; i++)
		if (o->tags[i] && *o->tags[i])
			kbs_query__add(and, label_term(a, KBS_PFX_TAG, o->tags[i], &bad));
	if (o->kind && *o->kind)
		kbs_query__add(and, label_term(a, KBS_PFX_KIND, o->kind, &bad));
	if (and && and->nkids)
		p->filters = and;
	p->roles = roles_filter(p, ctx, o, &bad);
	kbs_qnode *who = kbs_query__op(a, KBS_Q_AND, 2);
	kbs_query__add(who, p->lang);
	kbs_query__add(who, p->roles);
	p->filter = kbs_query__op(a, KBS_Q_AND, 2);
	kbs_query__add(p->filter, p->filters);
	kbs_query__add(p->filter, kept(a, who));
	if (p->filter && !p->filter->nkids)
		p->filter = NULL;
	if (bad)
		return kbs_err__set(err, KBS_EINVALID, "a filter or role is not valid UTF-8");
	if (a->oom)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return KBS_OK;
}

/* ---- the plan ---- */

void kbs_query__plan_free(kbs_query__plan *p)
{
	for (size_t i = 0; i < p->nwords; i++)
		word_free(&p->words[i]);
	free(p->words);
	kbs_query__arena_free(&p->arena);
	kbs_strlist_free(&p->key);
	free(p->corrected);
	memset(p, 0, sizeof *p);
}

/* idf from the commonest alternative; a misspelt word weighs what its best
 * spelling does. *unknown: nothing in the index matches the word (no
 * stem, synonym or close spelling); its idf here is then the highest
 * there is, which the plan lowers (step 5). */
static double word_idf(kbs_ctx *ctx, const kbs_query__word *w, bool stop_only, double N,
		       bool *unknown)
{
	uint64_t df = 0;
	char term[KBS_TEXT_MAX_TERM * 2 + 8];
	if (stop_only) {
		df = kbs_store__termfreq(ctx->reader, w->term);
	} else {
		const kbs_strlist *l = w->typo ? &w->alt_stems : &w->stems;
		for (size_t s = 0; s < l->n; s++) {
			snprintf(term, sizeof term, KBS_PFX_STEM "%s", l->v[s]);
			uint64_t f = kbs_store__termfreq(ctx->reader, term);
			if (f > df)
				df = f;
		}
	}
	*unknown = df == 0 && w->alt_words.n == 0 && w->alt_stems.n == 0 &&
		   w->alt_phrases.n == 0;
	return idf_of(df, N);
}

/* How the articles spell a close spelling (a folded word): with the
 * accents of its commonest exact form (XA terms) among those that put é
 * or è on its last ACCENT_MAX_E e's, when that form is in most of the
 * articles that hold the word; else as it is. A visitor is shown "compte
 * verrouillé", not "compte verrouille", and "facture", not "facturé". */
static void shown_spelling(kbs_ctx *ctx, const char *fix, char *out, size_t size)
{
	snprintf(out, size, "%s", fix);
	e_spots es = last_es(fix);
	if (es.len > KBS_TEXT_MAX_TERM) /* no close spelling is longer */
		return;
	/* The folded word is in the articles of every spelling: an accented
	 * one is shown when it is in most of them. */
	uint64_t best = kbs_store__termfreq(ctx->reader, fix) / 2;
	unsigned combos = 1;
	for (size_t i = 0; i < es.n; i++)
		combos *= 3;
	for (unsigned c = 1; c < combos; c++) { /* 0: the folded word itself */
		char v[sizeof KBS_PFX_EXACT + KBS_TEXT_MAX_TERM + ACCENT_MAX_E];
		memcpy(v, KBS_PFX_EXACT, strlen(KBS_PFX_EXACT));
		accent_es(fix, &es, c, v + strlen(KBS_PFX_EXACT));
		uint64_t f = kbs_store__termfreq(ctx->reader, v);
		if (f > best) {
			best = f;
			snprintf(out, size, "%s", v + strlen(KBS_PFX_EXACT));
		}
	}
}

/* The user's text with each misspelt plain word replaced by its best
 * close spelling, as the articles spell it, in the case it was typed. */
static char *corrected_text(kbs_ctx *ctx, const kbs_query__plan *p, const toks *t,
			    const char *text)
{
	kbs_buf b = { 0 };
	size_t at = 0;
	bool any = false;
	for (size_t k = 0; k < t->n; k++) {
		const kbs_query__word *w = &p->words[t->v[k].word];
		if (t->v[k].kind != KBS_QW_TEXT || !w->typo || !w->fixes.n)
			continue;
		/* An elided article stays: "L'APLLI" is "L'APPLI". */
		size_t from = t->v[k].start;
		if (elided(text, &t->v[k]))
			for (size_t ap = 0; from < t->v[k].end && !ap; from += ap ? ap : 1)
				ap = kbs_text__apostrophe_at(text + from, t->v[k].end - from);
		kbs_buf_add(&b, text + at, from - at);
		char shown[KBS_TEXT_MAX_TERM * 2 + 8];
		shown_spelling(ctx, w->fixes.v[0], shown, sizeof shown);
		char *cased = kbs_text__case_as(shown, text + from, t->v[k].end - from);
		kbs_buf_adds(&b, cased ? cased : shown);
		free(cased);
		at = t->v[k].end;
		any = true;
	}
	if (!any)
		return NULL;
	return finished(&b, text + at);
}

kbs_status kbs_query__plan_build(kbs_query__plan *p, kbs_ctx *ctx, const char *text,
				 const kbs_search_opts *o, kbs_err *err)
{
	return kbs_query__plan_build_kb(p, NULL, ctx, text, o, 0, err);
}

kbs_status kbs_query__plan_build_kb(kbs_query__plan *p, kbs_kb *kb, kbs_ctx *ctx,
				    const char *text, const kbs_search_opts *o, unsigned flags,
				    kbs_err *err)
{
	kbs_status rc;
	toks t = { 0 };
	segs sg = { 0 };
	langs ls = { .n = 0 };
	kbs_syn__set *sets[MAX_LANGS] = { 0 };
	kbs_query__arena *a = &p->arena;
	const char *lang = o->lang && *o->lang ? o->lang : NULL;
	size_t len = strlen(text);
	char *unglued = NULL;

	memset(p, 0, sizeof *p);
	p->qlang = -1;
	if (lang) {
		snprintf(ls.v[0], sizeof ls.v[0], "%s", lang);
		ls.n = 1;
	} else if ((rc = kbs_store__each_term(ctx->reader, KBS_PFX_LANG, collect_lang, &ls, err)) != KBS_OK) {
		goto cleanup;
	}
	size_t passes = ls.n ? ls.n : 1;
	for (size_t l = 0; l < ls.n; l++)
		snprintf(p->langs[l], sizeof p->langs[l], "%s", ls.v[l]);
	p->nlangs = ls.n;
	p->per_lang = !lang && ls.n > 0;
	p->other_langs = p->per_lang && ls.other;
	/* First: close spellings (4) are drawn from what the caller may see. */
	if ((rc = kbs_query__plan_filter(p, ctx, o, err)) != KBS_OK)
		goto cleanup;

	/* 1, 2: syntax and analysis. */
	if ((rc = read_text(ctx, text, &ls, &sg, &t, err)) != KBS_OK)
		goto cleanup;
	/* 2b: a glued elision's apostrophe put back, and the text read again
	 * from there on. */
	if ((rc = unglue(kb, ctx, text, &t, &ls, &unglued, err)) != KBS_OK)
		goto cleanup;
	if (unglued) {
		text = unglued;
		len = strlen(text);
		toks_free(&t);
		memset(&t, 0, sizeof t);
		free(sg.v);
		memset(&sg, 0, sizeof sg);
		if ((rc = read_text(ctx, text, &ls, &sg, &t, err)) != KBS_OK)
			goto cleanup;
	}
	bool positive = false;
	for (size_t k = 0; k < t.n; k++)
		positive |= t.v[k].kind != KBS_QW_EXCLUDE;
	if (!positive) /* "-facture" alone: words, not syntax */
		for (size_t k = 0; k < t.n; k++)
			t.v[k].kind = KBS_QW_TEXT;
	if ((rc = make_words(p, &t, passes, lang)) != KBS_OK) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	size_t nonstop = 0;
	for (size_t i = 0; i < p->nwords; i++)
		nonstop += p->words[i].kind != KBS_QW_EXCLUDE && !p->words[i].stop;
	p->stop_only = nonstop == 0;
	for (size_t i = 0; i < p->nwords; i++) {
		kbs_query__word *w = &p->words[i];
		w->used = w->kind != KBS_QW_EXCLUDE && (!w->stop || p->stop_only);
	}
	/* The word being typed: the last, right at the end of the text. */
	if (t.n && t.v[t.n - 1].kind == KBS_QW_TEXT && t.v[t.n - 1].end == len && !p->stop_only) {
		kbs_query__word *w = &p->words[t.v[t.n - 1].word];
		if (w->used && !starts_with_digit(w->term) && kbs_utf8_chars(w->term) >= PREFIX_MIN_CHARS)
			w->prefix = true;
		if (w->prefix && (rc = complete(ctx, w, err)) != KBS_OK)
			goto cleanup;
	}

	if (!p->nwords)
		goto done;
	kbs_qnode *or = kbs_query__op(a, KBS_Q_OR, p->nwords + t.n * passes + 1);

	/* The query's likely language (4b), before the tree weighs by it. */
	int qlang = lang || p->stop_only ? -1 : query_language(ctx, text, &t, &ls);
	if (qlang >= 0)
		snprintf(p->query_lang, sizeof p->query_lang, "%s", ls.v[qlang]);
	p->qlang = qlang;

	/* 3: synonyms. */
	for (size_t l = 0; kb && !p->stop_only && l < passes; l++) {
		if (!ls.n)
			break;
		if ((rc = kbs_syn__get(kb, ctx, ls.v[l], &sets[l], err)) != KBS_OK)
			goto cleanup;
		if (sets[l] && (rc = apply_synonyms(p, ctx, &t, l, sets[l], or)) != KBS_OK) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	/* 3b: other forms of the same lemma. */
	for (size_t i = 0; !p->stop_only && i < p->nwords; i++)
		if ((rc = other_forms(kb, ctx, &p->words[i], &ls, qlang, err)) != KBS_OK)
			goto cleanup;
	/* 4: close spellings. */
	for (size_t i = 0; !(flags & KBS_PLAN_NO_TYPO) && !p->stop_only && i < p->nwords; i++)
		if ((rc = close_spellings(p, ctx, &p->words[i], &ls, err)) != KBS_OK)
			goto cleanup;

	/* 5: the tree. */
	double N = (double)kbs_store__doccount(ctx->reader), idf_sum = 0;
	kbs_qnode *phrases = kbs_query__op(a, KBS_Q_AND, sg.n);
	kbs_qnode *excl = kbs_query__op(a, KBS_Q_OR, sg.n);
	for (size_t i = 0; i < p->nwords; i++) {
		kbs_query__word *w = &p->words[i];
		if (w->used) {
			w->idf = word_idf(ctx, w, p->stop_only, N, &w->unknown);
			if (w->unknown && w->prefix) /* unless it begins a word */
				w->unknown = w->completions[0].n == 0;
		}
		if (w->kind == KBS_QW_TEXT && w->used)
			kbs_query__add(or, w->time ? kbs_query__scale(a, word_query(p, w), TIME_WEIGHT)
						   : word_query(p, w));
	}
	/* A word the index lacks altogether would get the highest idf of all,
	 * log((N + 1) / 0.5), and so dominate coverage and confidence. But an
	 * index cannot tell a word it lacks from one it holds once: the
	 * rarest word it can vouch for is in one article. An unknown word
	 * weighs that, log((N + 1) / 1.5). */
	for (size_t i = 0; i < p->nwords; i++) {
		kbs_query__word *w = &p->words[i];
		if (w->used && w->unknown && !p->stop_only)
			w->idf = log((N + 1.0) / 1.5);
		if (w->time)
			w->idf *= TIME_WEIGHT;
		if (w->used)
			idf_sum += w->idf;
	}
	/* Phrases and exclusions, one node per piece of syntax. */
	for (size_t s = 0; s < sg.n; s++) {
		if (sg.v[s].kind == KBS_QW_TEXT)
			continue;
		size_t n = 0, first = 0;
		for (size_t k = 0; k < t.n; k++)
			if (t.v[k].seg == s && t.v[k].kind != KBS_QW_TEXT && n++ == 0)
				first = k;
		if (n == 0)
			continue;
		kbs_qnode *node;
		const kbs_query__word *w = &p->words[t.v[first].word];
		if (n == 1 && t.v[first].kind == KBS_QW_EXCLUDE) {
			if (w->stop) /* "-de" would leave nothing */
				continue;
			node = kbs_query__op(a, KBS_Q_OR, w->stems.n + 1);
			kbs_query__add(node, kbs_query__term(a, "", w->term));
			for (size_t i = 0; i < w->stems.n; i++)
				kbs_query__add(node, kbs_query__term(a, KBS_PFX_STEM, w->stems.v[i]));
		} else if (n == 1) {
			node = kbs_query__term(a, "", w->term);
		} else {
			node = kbs_query__op(a, KBS_Q_PHRASE, n);
			for (size_t k = first; k < t.n; k++)
				if (t.v[k].seg == s)
					kbs_query__add(node, kbs_query__term(a, "", t.v[k].term));
		}
		kbs_query__add(t.v[first].kind == KBS_QW_EXCLUDE ? excl : phrases, node);
	}
	kbs_qnode *main = or && or->nkids ? or : NULL;
	if (phrases && phrases->nkids) {
		if (main) {
			kbs_qnode *m = kbs_query__op(a, KBS_Q_AND_MAYBE, 2);
			kbs_query__add(m, phrases);
			kbs_query__add(m, main);
			main = m;
		} else {
			main = phrases;
		}
	}
	if (main && excl && excl->nkids) {
		kbs_qnode *m = kbs_query__op(a, KBS_Q_AND_NOT, 2);
		kbs_query__add(m, main);
		kbs_query__add(m, excl);
		main = m;
	}
	if (main && qlang >= 0) {
		kbs_qnode *c = kbs_query__op(a, KBS_Q_CONST, 0);
		if (c)
			c->scale = LANG_BOOST * idf_sum;
		kbs_qnode *f = kbs_query__op(a, KBS_Q_FILTER, 2);
		kbs_query__add(f, c);
		kbs_query__add(f, kept(a, kbs_query__term(a, KBS_PFX_LANG, ls.v[qlang])));
		kbs_qnode *m = kbs_query__op(a, KBS_Q_AND_MAYBE, 2);
		kbs_query__add(m, main);
		kbs_query__add(m, f);
		main = m;
	}
	if (main && o->nsegments) {
		bool bad = false;
		kbs_qnode *seg_terms = kbs_query__op(a, KBS_Q_OR, o->nsegments);
		for (size_t i = 0; i < o->nsegments; i++)
			if (o->segments[i] && *o->segments[i])
				kbs_query__add(seg_terms, label_term(a, KBS_PFX_SEGMENT, o->segments[i], &bad));
		if (bad) {
			rc = kbs_err__set(err, KBS_EINVALID, "a segment is not valid UTF-8");
			goto cleanup;
		}
		if (seg_terms && seg_terms->nkids) {
			kbs_qnode *c = kbs_query__op(a, KBS_Q_CONST, 0);
			if (c)
				c->scale = SEGMENT_BOOST * idf_sum;
			kbs_qnode *f = kbs_query__op(a, KBS_Q_FILTER, 2);
			kbs_query__add(f, c);
			kbs_query__add(f, seg_terms);
			kbs_qnode *m = kbs_query__op(a, KBS_Q_AND_MAYBE, 2);
			kbs_query__add(m, main);
			kbs_query__add(m, f);
			main = m;
		}
	}
	p->query = main ? main : or; /* words that build nothing still search */

	/* The key: each used word by its shortest stem (then the first in
	 * byte order), unless a synonym rule gave the words it covers their
	 * canonical entry. The shortest, not the first: stems come one per
	 * language searched, plus the stem of the unaccented form, so any
	 * fixed position would make "oublié" and "oublie", or one question
	 * asked with and without a language, two keys — two gaps where the
	 * content team should see one. */
	for (size_t k = 0; k < t.n; k++) {
		const kbs_query__word *w = &p->words[t.v[k].word];
		if (!w->used || t.v[k].keyed)
			continue;
		const char *stem = w->term;
		for (size_t s = 0; s < w->stems.n; s++) {
			const char *c = w->stems.v[s];
			if (stem == w->term || strlen(c) < strlen(stem) ||
			    (strlen(c) == strlen(stem) && strcmp(c, stem) < 0))
				stem = c;
		}
		if (!kbs_strlist_push(&p->key, stem)) {
			rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
			goto cleanup;
		}
	}
	p->corrected = corrected_text(ctx, p, &t, text);
done:
	if (a->oom)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	for (size_t l = 0; l < MAX_LANGS; l++)
		if (sets[l])
			kbs_syn__release(kb, sets[l]);
	toks_free(&t);
	free(sg.v);
	free(unglued);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *kbs_query__key(const kbs_query__plan *p)
{
	const char **v = malloc((p->key.n ? p->key.n : 1) * sizeof *v);
	if (!v)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < p->key.n; i++)
		v[n++] = p->key.v[i];
	qsort(v, n, sizeof *v, cmp_str);
	kbs_buf b = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (i && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (b.len)
			kbs_buf_addc(&b, ' ');
		kbs_buf_adds(&b, v[i]);
	}
	free(v);
	if (!b.data)
		return kbs_strdup("");
	return kbs_buf_steal(&b);
}
