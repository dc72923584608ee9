/*
 * Lemmas: the dictionary form of a word ("sent" -> "sentir", "recevez" ->
 * "recevoir"), from the Hunspell dictionaries Debian installs. Snowball
 * stems regular inflections alike but not irregular ones: "sent" and
 * "sens" (both of "sentir") stem to "sent" and "sen", "recevez" and
 * "recevoir" to "recev" and "recevoir". lib/query uses lemmas to find the
 * other forms of a query word that the index holds, and the part of speech
 * to tell a question's verbs from the nouns that name its topic.
 *
 * Languages: only those whose dictionary tells inflection from derivation.
 * French (hunspell-fr-classical, from Grammalecte) gives the verb of every
 * conjugated form and nothing else. Debian's English dictionary (en_US)
 * does not: it has no irregular forms ("paid", "bought" are their own
 * entries) and its affixes are derivations ("remove" -> "move",
 * "uninstall" -> "install", "promo" -> "mo"), which would match words of
 * other meanings; Snowball already handles regular English inflection.
 */
#include "text.h"

#include <hunspell/hunspell.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef KBS_HUNSPELL_DIR
#define KBS_HUNSPELL_DIR "/usr/share/hunspell"
#endif

/* ISO 639-1 code -> the Debian dictionary's file name. */
static const struct {
	const char *lang, *dict;
} DICTS[] = {
	{ "fr", "fr" },
};

/* Query words whose lemmas are remembered: a search box's words repeat
 * (a few hundred make most queries), and the dictionary's lookup is
 * most of the cost of the lemmas of a query (about 30 us). Forgotten all
 * at once past this, so memory stays bounded. */
#define LEMMA_MEMO_MAX 4096
/* Longer lemmas than this are no words of a dictionary: left out. */
#define LEMMA_MAX 128

struct kbs_text__lemmatizer {
	pthread_mutex_t lock; /* Hunspell keeps state while it analyses */
	Hunhandle *h;
	kbs_strmap memo; /* word -> its lemmas, '\n'-separated */
	unsigned refs;    /* its holders, under loaded_lock */
};

/* One dictionary per language for the whole process, held by every
 * knowledge-base handle that searches the language: a dictionary is about
 * 15 MB and 30 ms to load, and a host that opens a handle per help center
 * would pay that per handle. The lock also makes Hunspell's loads and
 * frees take turns: Hunspell keeps one table for all its dictionaries,
 * made by the first and freed by the last with a count nothing guards
 * (two handles loading at once leaked one table, and one freeing while
 * another loads could free it under the other). A load holds the lock
 * for its 30 ms, which only other first loads and last frees wait for. */
static pthread_mutex_t loaded_lock = PTHREAD_MUTEX_INITIALIZER;
static kbs_text__lemmatizer *loaded[sizeof DICTS / sizeof *DICTS];

bool kbs_text__has_lemmas(const char *lang)
{
	for (size_t i = 0; lang && i < sizeof DICTS / sizeof *DICTS; i++)
		if (strcmp(lang, DICTS[i].lang) == 0)
			return true;
	return false;
}

/* Loads DICTS[d]: NULL when its files are missing or unusable (the
 * language then goes without lemmas) or out of memory (*oom). Under
 * loaded_lock. */
static kbs_text__lemmatizer *load(size_t d, bool *oom)
{
	char aff[512], dic[512];
	snprintf(aff, sizeof aff, "%s/%s.aff", KBS_HUNSPELL_DIR, DICTS[d].dict);
	snprintf(dic, sizeof dic, "%s/%s.dic", KBS_HUNSPELL_DIR, DICTS[d].dict);
	/* Hunspell reports a missing file on stderr and goes on empty. */
	if (access(aff, R_OK) != 0 || access(dic, R_OK) != 0)
		return NULL;
	kbs_text__lemmatizer *lz = calloc(1, sizeof *lz);
	if (!lz) {
		*oom = true;
		return NULL;
	}
	lz->h = Hunspell_create(aff, dic);
	const char *enc = lz->h ? Hunspell_get_dic_encoding(lz->h) : NULL;
	/* Words reach it as UTF-8; a dictionary in another encoding would
	 * read them as other words. */
	if (!enc || strcmp(enc, "UTF-8") != 0) {
		if (lz->h)
			Hunspell_destroy(lz->h);
		free(lz);
		return NULL;
	}
	pthread_mutex_init(&lz->lock, NULL);
	return lz;
}

kbs_status kbs_text__lemmatizer_new(kbs_text__lemmatizer **out, const char *lang, kbs_err *err)
{
	*out = NULL;
	size_t d = 0;
	while (d < sizeof DICTS / sizeof *DICTS && (!lang || strcmp(lang, DICTS[d].lang) != 0))
		d++;
	if (d == sizeof DICTS / sizeof *DICTS)
		return KBS_ENOTFOUND;
	bool oom = false;
	pthread_mutex_lock(&loaded_lock);
	if (!loaded[d])
		loaded[d] = load(d, &oom);
	if (loaded[d])
		loaded[d]->refs++;
	*out = loaded[d];
	pthread_mutex_unlock(&loaded_lock);
	if (oom)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return *out ? KBS_OK : KBS_ENOTFOUND;
}

void kbs_text__lemmatizer_free(kbs_text__lemmatizer *lz)
{
	if (!lz)
		return;
	pthread_mutex_lock(&loaded_lock);
	if (--lz->refs == 0) {
		for (size_t d = 0; d < sizeof DICTS / sizeof *DICTS; d++)
			if (loaded[d] == lz)
				loaded[d] = NULL;
		Hunspell_destroy(lz->h);
		kbs_strmap_free(&lz->memo);
		pthread_mutex_destroy(&lz->lock);
		free(lz);
	}
	pthread_mutex_unlock(&loaded_lock);
}

/* Whether the dictionary's analyses (Grammalecte's "po:" fields) make a
 * word a verb form and nothing else: "respecter", "trouve", "changé" (a
 * participle is the verb's), but not "plante" (a plant too), "mort",
 * "sourd" or "avoir". */
static bool verb_only(char *const *analyses, int n)
{
	bool verb = false;
	for (int i = 0; i < n; i++) {
		const char *a = analyses[i];
		if (strstr(a, "po:v") || strstr(a, "po:ppas"))
			verb = true;
		else if (strstr(a, "po:nom") || strstr(a, "po:adj") || strstr(a, "po:adv"))
			return false;
	}
	return verb;
}

/* Appends the '\n'-separated lemmas of `joined` to out. */
static bool push_joined(kbs_strlist *out, const char *joined)
{
	while (*joined) {
		const char *nl = strchr(joined, '\n');
		size_t n = nl ? (size_t)(nl - joined) : strlen(joined);
		char one[LEMMA_MAX];
		if (n < sizeof one) {
			memcpy(one, joined, n);
			one[n] = '\0';
			if (!kbs_strlist_contains(out, one) && !kbs_strlist_push(out, one))
				return false;
		}
		joined += n + (nl != NULL);
	}
	return true;
}

kbs_status kbs_text__lemmas(kbs_text__lemmatizer *lz, const char *exact, bool remember,
			    kbs_strlist *out, bool *verb, kbs_err *err)
{
	/* One analysis gives both the lemmas and the parts of speech; the
	 * memo keeps the verb flag as its first byte. */
	kbs_buf joined = { 0 };
	bool ok = true;
	pthread_mutex_lock(&lz->lock);
	const char *known = kbs_strmap_get(&lz->memo, exact);
	if (known) {
		if (verb)
			*verb = known[0] == 'v';
		ok = push_joined(out, known + 1);
	} else {
		char **an = NULL, **list = NULL;
		int na = Hunspell_analyze(lz->h, &an, exact);
		int n = Hunspell_stem2(lz->h, &list, an, na);
		bool v = verb_only(an, na);
		ok = kbs_buf_add(&joined, v ? "v" : "-", 1);
		for (int i = 0; i < n && ok; i++)
			if (strlen(list[i]) < LEMMA_MAX && !strchr(list[i], '\n'))
				ok = (joined.len == 1 || kbs_buf_add(&joined, "\n", 1)) &&
				     kbs_buf_add(&joined, list[i], strlen(list[i]));
		Hunspell_free_list(lz->h, &list, n);
		Hunspell_free_list(lz->h, &an, na);
		if (verb)
			*verb = v;
		ok = ok && push_joined(out, joined.data + 1);
		if (ok && remember) {
			if (lz->memo.n >= LEMMA_MEMO_MAX)
				kbs_strmap_free(&lz->memo);
			ok = kbs_strmap_set(&lz->memo, exact, joined.data);
		}
	}
	pthread_mutex_unlock(&lz->lock);
	kbs_buf_free(&joined);
	return ok ? KBS_OK : kbs_err__set(err, KBS_ENOMEM, "out of memory");
}
