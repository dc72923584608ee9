/*
 * Stop words: the function words of each language we index, which a query
 * may drop when it has better words.
 *
 * Words are stored folded exactly as `term` is (lowercase, no accents:
 * "où" is "ou", "für" is "fur"), since that is what they are compared to.
 * Each list is sorted by strcmp() for bsearch(); keep it so when editing.
 *
 * What stays out on purpose:
 *   - negation and quantity: pas, plus, sans, jamais, rien, aucun, not, no,
 *     nor, without, nicht, kein, ohne, sin, não, sem, mais, più, niet, geen.
 *     "je ne reçois plus les emails" is not "je reçois les emails".
 *   - particles that carry the meaning of help-center phrasal verbs: up,
 *     out, off, over ("sign up", "log out", "turn off").
 *   - words that are function words in one language but content words in
 *     another, because with no language every list applies at once: fr
 *     "car", nl "door", "want", "over", it "come", pt "no" (in the), pt
 *     "eu" (I; also the EU of "EU VAT"), de "bin", "war", en "us" (the US).
 * Question words (comment, pourquoi, how, why...) are in: "comment payer"
 * still has "payer".
 */
#include "text.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

static const char *const de[] = {
	"aber", "als", "am", "an", "auch", "auf", "aus", "bei", "bist", "da",
	"damit", "dann", "das", "dass", "dein", "deine", "deinem", "deinen",
	"deiner", "dem", "den", "denn", "der", "des", "dessen", "dich", "die",
	"dies", "diese", "diesem", "diesen", "dieser", "dieses", "dir", "du",
	"durch", "ein", "eine", "einem", "einen", "einer", "eines", "er", "es",
	"euch", "euer", "eure", "fur", "habe", "haben", "hast", "hat", "hatte",
	"ich", "ihm", "ihn", "ihr", "ihre", "ihrem", "ihren", "ihrer", "im",
	"in", "ist", "mein", "meine", "meinem", "meinen", "meiner", "mich",
	"mir", "mit", "nach", "oder", "sein", "seine", "seinem", "seinen",
	"seiner", "sich", "sie", "sind", "so", "um", "und", "uns", "unser",
	"unsere", "vom", "von", "wann", "warum", "was", "welche", "welcher",
	"welches", "wer", "werden", "wie", "wir", "wird", "wo", "wurde",
	"wurden", "zu", "zum", "zur",
};

static const char *const en[] = {
	"a", "about", "am", "an", "and", "are", "as", "at", "be", "been",
	"being", "but", "by", "can", "could", "did", "do", "does", "doing",
	"for", "from", "had", "has", "have", "having", "he", "her", "hers",
	"herself", "him", "himself", "his", "how", "i", "i'd", "i'll", "i'm",
	"i've", "if", "in", "into", "is", "it", "it's", "its", "itself",
	"let's", "may", "me", "might", "must", "my", "myself", "of", "on",
	"or", "our", "ours", "ourselves", "shall", "she", "should", "so",
	"than", "that", "that's", "the", "their", "theirs", "them",
	"themselves", "then", "there", "there's", "these", "they", "they're",
	"this", "those", "to", "was", "we", "we're", "were", "what", "what's",
	"when", "where", "which", "while", "who", "whom", "whose", "why",
	"will", "with", "would", "you", "you're", "your", "yours", "yourself",
	"yourselves",
};

static const char *const es[] = {
	"a", "al", "como", "con", "cual", "cuando", "de", "del", "donde", "e",
	"el", "ella", "ellas", "ellos", "en", "era", "es", "esa", "ese", "eso",
	"esta", "estan", "estas", "este", "esto", "estos", "estoy", "fue",
	"ha", "han", "has", "hay", "he", "la", "las", "le", "les", "lo", "los",
	"me", "mi", "mis", "muy", "nos", "nosotros", "o", "os", "para", "pero",
	"por", "porque", "que", "quien", "se", "si", "su", "sus", "te", "ti",
	"tu", "tus", "u", "un", "una", "unas", "uno", "unos", "usted",
	"ustedes", "vosotros", "y", "ya", "yo",
};

static const char *const fr[] = {
	"a", "ai", "as", "au", "aux", "avec", "avez", "avons", "c", "ca", "ce",
	"ceci", "cela", "ces", "cet", "cette", "ceux", "chez", "comment", "d",
	"dans", "de", "des", "donc", "dont", "du", "elle", "elles", "en",
	"entre", "es", "est", "et", "etait", "etes", "il", "ils", "j", "je",
	"l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma", "mais",
	"me", "mes", "moi", "mon", "n", "ne", "nos", "notre", "nous", "on",
	"ont", "ou", "par", "pour", "pourquoi", "puis", "qu", "quand", "que",
	"quel", "quelle", "quelles", "quels", "qui", "quoi", "s", "sa", "se",
	"ses", "si", "son", "sont", "sous", "suis", "sur", "t", "ta", "te",
	"tes", "toi", "ton", "tu", "un", "une", "vers", "vos", "votre", "vous",
	"y",
};

static const char *const it[] = {
	"a", "ad", "agli", "ai", "al", "alla", "alle", "allo", "anche", "che",
	"chi", "con", "cosa", "da", "dal", "dalla", "degli", "dei", "del",
	"della", "delle", "dello", "di", "e", "ed", "era", "fra", "gli", "ha",
	"hai", "hanno", "ho", "i", "il", "in", "io", "la", "le", "lei", "li",
	"lo", "lui", "ma", "me", "mi", "mia", "mie", "miei", "mio", "ne",
	"nei", "nel", "nella", "nelle", "nello", "noi", "o", "per", "perche",
	"quale", "quando", "quello", "questa", "questo", "se", "sei", "si",
	"sia", "siamo", "siete", "sono", "su", "sua", "sue", "sul", "sulla",
	"suo", "suoi", "ti", "tra", "tu", "tua", "tuo", "un", "una", "uno",
	"voi", "vostro",
};

static const char *const nl[] = {
	"aan", "al", "als", "bij", "dan", "dat", "de", "der", "deze", "die",
	"dit", "dus", "een", "en", "er", "had", "heb", "hebben", "heeft",
	"hem", "het", "hier", "hij", "hoe", "hun", "ik", "in", "is", "je",
	"jij", "jou", "jouw", "jullie", "kan", "maar", "me", "men", "met",
	"mij", "mijn", "na", "naar", "nu", "of", "om", "omdat", "ons", "onze",
	"ook", "op", "te", "tot", "u", "uw", "van", "voor", "waar", "waarom",
	"wanneer", "was", "wat", "we", "werd", "wie", "wij", "worden", "wordt",
	"zal", "ze", "zich", "zij", "zijn", "zo", "zou",
};

static const char *const pt[] = {
	"a", "ao", "aos", "as", "com", "como", "da", "das", "de", "do", "dos",
	"e", "ela", "elas", "ele", "eles", "em", "era", "essa", "esse", "esta",
	"este", "foi", "ha", "isso", "isto", "ja", "lhe", "me", "meu", "minha",
	"na", "nas", "nos", "nossa", "nosso", "num", "numa", "o", "os", "ou",
	"para", "pela", "pelas", "pelo", "pelos", "por", "porque", "qual",
	"quando", "que", "quem", "sao", "se", "ser", "seu", "seus", "sua",
	"suas", "te", "tem", "tu", "um", "uma", "voce", "voces",
};

typedef struct stoplist {
	const char *lang;
	const char *const *words;
	size_t n;
} stoplist;

#define LIST(l) { #l, l, sizeof l / sizeof *l }
static const stoplist lists[] = {
	LIST(de), LIST(en), LIST(es), LIST(fr), LIST(it), LIST(nl), LIST(pt),
};
#undef LIST

static int cmp_word(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static bool in_list(const stoplist *l, const char *word)
{
	return bsearch(word, l->words, l->n, sizeof *l->words, cmp_word) != NULL;
}

/* Hash sets of the lists, one a language and one of all of them (for
 * text of no known language: snippets, queries without one), built once
 * and read-only afterwards. Every word of every hit's snippet is looked
 * up, and a bsearch of the merged list was ten strcmp() calls a word; here
 * it is one hash, and a comparison only when the hashes are equal. */
typedef struct stopslot {
	const char *word; /* NULL: empty */
	uint32_t hash;
} stopslot;

typedef struct stopset {
	stopslot *slots;
	uint32_t mask;
	size_t maxlen; /* longer words are not in the set */
} stopset;

#define NLISTS (sizeof lists / sizeof *lists)
static stopset sets[NLISTS + 1]; /* the last one: every list */
static bool sets_ok;
static pthread_once_t sets_once = PTHREAD_ONCE_INIT;

/* FNV-1a of word, or false when it is longer than max bytes. */
static inline bool word_hash(const char *word, size_t max, uint32_t *out)
{
	uint32_t h = 2166136261u;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)word; *p; p++) {
		if (++n > max)
			return false;
		h = (h ^ *p) * 16777619u;
	}
	*out = h;
	return true;
}

static bool in_set(const stopset *s, const char *word)
{
	uint32_t h;
	if (!word_hash(word, s->maxlen, &h))
		return false;
	for (uint32_t i = h & s->mask;; i = (i + 1) & s->mask) {
		const stopslot *e = &s->slots[i];
		if (!e->word)
			return false;
		if (e->hash == h && strcmp(e->word, word) == 0)
			return true;
	}
}

/* Fills s with the words of lists[from..to). */
static bool set_build(stopset *s, size_t from, size_t to)
{
	size_t n = 0;
	for (size_t i = from; i < to; i++) {
		n += lists[i].n;
		for (size_t j = 0; j < lists[i].n; j++)
			if (strlen(lists[i].words[j]) > s->maxlen)
				s->maxlen = strlen(lists[i].words[j]);
	}
	/* At most a quarter full: probes stay short. */
	size_t cap = 16;
	while (cap < 4 * n)
		cap *= 2;
	s->slots = calloc(cap, sizeof *s->slots);
	if (!s->slots)
		return false;
	s->mask = (uint32_t)(cap - 1);
	for (size_t i = from; i < to; i++) {
		for (size_t j = 0; j < lists[i].n; j++) {
			const char *w = lists[i].words[j];
			uint32_t h = 0;
			word_hash(w, s->maxlen, &h);
			uint32_t k = h & s->mask;
			while (s->slots[k].word && strcmp(s->slots[k].word, w) != 0)
				k = (k + 1) & s->mask;
			s->slots[k] = (stopslot){ w, h };
		}
	}
	return true;
}

static void build_sets(void)
{
	bool ok = true;
	for (size_t i = 0; i < NLISTS; i++)
		ok = ok && set_build(&sets[i], i, i + 1);
	ok = ok && set_build(&sets[NLISTS], 0, NLISTS);
	if (!ok) {
		/* Lookups then bsearch the lists one by one. */
		for (size_t i = 0; i <= NLISTS; i++)
			free(sets[i].slots);
		memset(sets, 0, sizeof sets);
	}
	sets_ok = ok;
}

/* Whether word is in the list of lang among of[0..n) (NULL or "": in any
 * of them). */
static bool in_lang_lists(const stoplist *of, size_t n, const char *word, const char *lang)
{
	if (!word)
		return false;
	bool any = !lang || !*lang;
	for (size_t i = 0; i < n; i++)
		if ((any || strcmp(of[i].lang, lang) == 0) && in_list(&of[i], word))
			return true;
	return false;
}

bool kbs_text__is_stopword(const char *word, const char *lang)
{
	if (!word)
		return false;
	/* An empty language is no language, as for stemming. */
	bool any = !lang || !*lang;
	pthread_once(&sets_once, build_sets);
	if (sets_ok) {
		if (any)
			return in_set(&sets[NLISTS], word);
		for (size_t i = 0; i < NLISTS; i++)
			if (lists[i].lang[0] == lang[0] && strcmp(lists[i].lang, lang) == 0)
				return in_set(&sets[i], word);
		return false;
	}
	return in_lang_lists(lists, NLISTS, word, lang);
}

bool kbs_text__has_stemmer(const char *lang)
{
	return kbs_store__has_stemmer(lang);
}

/* Query fillers: the words that frame a visitor's question rather than
 * name its topic ("que dois-je faire quand...", "est-ce que je peux...",
 * "I need to..."): modal and light verbs, the tenses of être and avoir
 * that the stop lists leave out ("il y aura", "sera-t-il"; not "avoir",
 * a credit note, nor "avions", planes), and politeness. They are stop
 * words for queries only: articles keep them (indexing uses the lists
 * above), and a query of nothing else still searches them. A word here
 * must be one no help-center topic is named by. Sorted, folded. */
static const char *const filler_en[] = {
	"hello", "hi", "need", "please", "thank", "thanks", "wanna", "want",
};

static const char *const filler_fr[] = {
	"aie", "aient", "aies", "aimerais", "ait", "aura", "aurai", "auraient",
	"aurais", "aurait", "auras", "aurez", "auriez", "aurions", "aurons",
	"auront", "avaient", "avais", "avait", "aviez", "ayant", "ayez",
	"ayons", "besoin", "bonjour", "combien", "devoir", "dois", "doit",
	"doivent", "etaient", "etais", "etiez", "etions", "etre", "eut",
	"faire", "fais", "faut", "fut", "merci", "peut", "peuvent", "peux",
	"pouvez", "pouvoir", "savoir", "sera", "serai", "seraient", "serais",
	"serait", "seras", "serez", "seriez", "serions", "serons", "seront",
	"soient", "sois", "soit", "souhaite", "souhaiterais", "soyez",
	"soyons", "svp", "veut", "veux", "voudrais", "vouloir",
};

static const stoplist fillers[] = {
	{ "en", filler_en, sizeof filler_en / sizeof *filler_en },
	{ "fr", filler_fr, sizeof filler_fr / sizeof *filler_fr },
};

bool kbs_text__is_filler(const char *word, const char *lang)
{
	return in_lang_lists(fillers, sizeof fillers / sizeof *fillers, word, lang);
}

/* Time words: when the visitor's trouble happened or will ("plus de
 * courant depuis jeudi matin", "coupure demain", "since yesterday").
 * Unlike fillers they may be the point ("relevé de janvier", "ouvert le
 * samedi"), so they stay words of the query, but weigh less: an article
 * about an outage never says which Thursday (lib/query/plan.c
 * TIME_WEIGHT). Days, months, and the times of a day or a week. Sorted,
 * folded. */
static const char *const time_en[] = {
	"april", "august", "december", "evening", "february", "friday", "january",
	"july", "june", "march", "monday", "morning", "november", "october",
	"saturday", "september", "sunday", "thursday", "today", "tomorrow",
	"tonight", "tuesday", "wednesday", "week", "weekend", "yesterday",
};

static const char *const time_fr[] = {
	"aout", "avril", "decembre", "demain", "dimanche", "fevrier",
	"hier", "janvier", "jeudi", "juillet", "juin", "lundi", "mardi", "mars",
	"matin", "mercredi", "midi", "novembre", "octobre", "samedi", "semaine",
	"septembre", "soir", "soiree", "vendredi", "weekend",
};

static const stoplist times[] = {
	{ "en", time_en, sizeof time_en / sizeof *time_en },
	{ "fr", time_fr, sizeof time_fr / sizeof *time_fr },
};

bool kbs_text__is_time_word(const char *word, const char *lang)
{
	return in_lang_lists(times, sizeof times / sizeof *times, word, lang);
}

bool kbs_text__is_query_stop(const char *word, const char *lang)
{
	return kbs_text__is_stopword(word, lang) || kbs_text__is_filler(word, lang);
}

/* French verb forms that are nouns too: "nous sommes" (we are) is no
 * "somme" (a sum), "nous avions" (we had) no "avion", and "a été" (has
 * been) no "été" (summer). Indexed as words, the verb would pull every
 * article that says "nous sommes désolés" into a search for "somme", so a
 * form is a stop word where its neighbours make it the verb: after "nous"
 * for the first two (the forms that follow no other subject), after a form
 * of "avoir" within the last few words for "été" ("n'a pas encore été",
 * "a-t-il été"), and never with an article elided onto it ("l'été").
 * Anything else keeps it a word: "la somme", "les avions", "cet été". */
static const char *const aux_avoir[] = {
	"a", "ai", "aie", "aient", "aies", "ait", "as", "aura", "aurai",
	"auraient", "aurais", "aurait", "auras", "aurez", "auriez", "aurions",
	"aurons", "auront", "avaient", "avais", "avait", "avez", "aviez",
	"avions", "avoir", "avons", "ayant", "ayez", "ayons", "eut", "ont",
};

/* Words that may stand between "nous" and its verb: "nous ne sommes",
 * "nous y sommes", "nous en avions". */
static const char *const aux_clitics[] = {
	"en", "ne", "y",
};

bool kbs_text__is_auxiliary(const char *word, const char *const *before, size_t nbefore,
			    bool elided, const char *lang)
{
	if (!kbs_text__may_be_auxiliary(word) || (lang && *lang && strcmp(lang, "fr") != 0))
		return false;
	bool ete = strcmp(word, "ete") == 0;
	static const stoplist avoir = { "fr", aux_avoir, sizeof aux_avoir / sizeof *aux_avoir };
	static const stoplist clitics = { "fr", aux_clitics, sizeof aux_clitics / sizeof *aux_clitics };
	if (ete) {
		if (elided)
			return false;
		for (size_t i = 0; i < nbefore; i++)
			if (in_list(&avoir, before[i]))
				return true;
		return false;
	}
	size_t i = 0;
	while (i < nbefore && in_list(&clitics, before[i]))
		i++;
	return i < nbefore && strcmp(before[i], "nous") == 0;
}
