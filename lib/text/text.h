/*
 * Text analysis: the one pipeline that turns text into terms, for indexing
 * and for querying alike, so the same word always becomes the same terms.
 *
 * For each word of the input, in order:
 *   1. Unicode NFC normalisation (composed and decomposed input are one);
 *      U+2019, U+2018 and U+02BC are read as an apostrophe (U+0027).
 *   2. ICU word boundaries (UAX #29 with dictionaries: Chinese, Japanese and
 *      Thai runs are split into words); punctuation and spaces are dropped.
 *      Hyphens split words ("mot-de-passe" is three words at consecutive
 *      positions, so it matches "mot de passe").
 *   3. French elision is stripped, in every language since a query's
 *      language may be unknown: l' m' t' qu' n' s' j' d' c' jusqu' quoiqu'
 *      lorsqu' puisqu' ("l'abonnement" -> "abonnement").
 *   4. Case folding (full Unicode folding: "Straße" -> "strasse"): `exact`.
 *   5. Accent folding (NFD, combining diacritics U+0300.. removed, œ -> oe,
 *      æ -> ae, NFC): `term`. Kana voicing marks and Indic and Thai vowel
 *      signs are nonspacing marks too but are kept: they are not accents.
 *   6. Stemming in the requested language (Snowball, through lib/store) of
 *      the accented form, then accent folding of the stem: `stem`; and,
 *      when the word has accents, the stem of the folded word too, when
 *      it differs: `stem2` (a visitor typing without accents stems alike).
 *   7. Stop words of the language are flagged, not dropped: the caller
 *      decides (indexing keeps them for phrases, querying drops them unless
 *      the query has nothing else).
 */
#ifndef KBS_TEXT_H
#define KBS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "../common.h"

/* Terms longer than this (in bytes, after folding) are not indexed: they are
 * base64 blobs, URLs or keyboard mashing, and Xapian caps terms at 245. */
#define KBS_TEXT_MAX_TERM 64

typedef struct kbs_text__analyzer kbs_text__analyzer;

enum kbs_text__token_flags {
	KBS_TOK_STOP = 1u << 0, /* a stop word of the language */
	KBS_TOK_IDEO = 1u << 1, /* ideographic / kana / Thai: not stemmed */
	KBS_TOK_NUM = 1u << 2,  /* starts with a digit: not stemmed */
	KBS_TOK_JOINED = 1u << 3, /* the parts of a hyphenated compound run
				   * together ("e-mail" -> "email"), or a
				   * word of digit and letter runs whole
				   * ("6kva" after "6", "kva"), after them,
				   * at the first part's position and over
				   * their byte range (analyzer.c) */
	KBS_TOK_AUX = 1u << 4, /* a verb form that is a stop word by the
				* words before it (kbs_text__is_auxiliary);
				* STOP is set too */
};

typedef struct kbs_text__token {
	const char *term;  /* accent- and case-folded, NUL-terminated */
	size_t term_len;
	const char *exact; /* case-folded, accents kept, NUL-terminated */
	size_t exact_len;
	const char *stem;  /* folded stem in the requested language; equals term
			    * when no language (or an unknown one) was given, and
			    * for IDEO/NUM tokens */
	size_t stem_len;
	const char *stem2; /* the stem of `term` (the word without its accents)
			    * when it differs from `stem`, else NULL: Snowball
			    * reads accents, so "elevee" and "élevée" stem apart;
			    * both are indexed and queried */
	size_t stem2_len;
	size_t start, end; /* byte range of the whole word in the input,
			    * elision included */
	unsigned pos;      /* word position, 0-based, consecutive (a JOINED
			    * word takes its first part's) */
	unsigned flags;    /* kbs_text__token_flags */
} kbs_text__token;

/* Called for each token; the token and its strings are borrowed for the
 * call. Return KBS_OK to go on, KBS_STOP to stop (analyze then returns
 * KBS_OK), anything else to abort with that status. */
typedef kbs_status (*kbs_text__token_cb)(const kbs_text__token *tok, void *payload);

/* Makes an analyzer (an ICU word-break iterator, a cache of stemmers and a
 * bounded cache of the stems it computed, about 400 KiB once used).
 * One analyzer is used by one thread at a time; make one per thread.
 * Returns KBS_ENOMEM, KBS_ERROR (ICU failure, described in err). */
kbs_status kbs_text__analyzer_new(kbs_text__analyzer **out, kbs_err *err);
void kbs_text__analyzer_free(kbs_text__analyzer *a);

/* Bytes of the hyphen that s[0..n) starts with (ASCII '-', U+2010 HYPHEN,
 * U+2011 NON-BREAKING HYPHEN), 0 if none: what links the parts of a
 * compound (KBS_TOK_JOINED). */
size_t kbs_text__hyphen_len(const char *s, size_t n);

/* Analyses text[0..len) in language `lang` (ISO 639-1 as stored, e.g. "fr";
 * NULL or "": no stemming, and a word is a stop word when it is one in any
 * language we know; an unknown code: no stemming, no stop words).
 * Returns KBS_EINVALID on invalid UTF-8 (err says at which byte) or text
 * of 2 GiB or more, the callback's error, KBS_ENOMEM, KBS_ERROR (ICU). */
kbs_status kbs_text__analyze(kbs_text__analyzer *a, const char *text, size_t len,
			     const char *lang, kbs_text__token_cb cb, void *payload,
			     kbs_err *err);

/* Turns the analyzer's fast path off (on: every text goes through ICU's
 * break iterator and normalisers whole) or back on. Both give the same
 * tokens; the switch is for tests that check it. */
void kbs_text__analyzer_set_icu_only(kbs_text__analyzer *a, bool on);

/* Whether the fast path is on: not turned off, and the ICU in use
 * segments its reference characters as it expects (checked when the
 * analyzer is made). */
bool kbs_text__analyzer_fast(const kbs_text__analyzer *a);

/* The folded stem, in `lang`, of a word's `exact` form (as a token gives
 * it): what the token's `stem` would have been had the text been analysed
 * in that language. For callers that analyse without a language and stem
 * only the few words worth it (snippets). The result is borrowed until the
 * next call on the analyzer; calling this from a token callback invalidates
 * that token's strings. *out is `exact` itself when lang has no stemmer.
 * Returns KBS_ENOMEM, KBS_ERROR (ICU). */
kbs_status kbs_text__stem(kbs_text__analyzer *a, const char *exact, size_t len, const char *lang,
			  const char **out, size_t *out_len, kbs_err *err);

/* Case- and accent-folds s[0..len) (NFC first) into a malloc'd string: the
 * same folding as `term` above, for labels such as tags and categories.
 * Returns NULL when out of memory or s is not valid UTF-8. Thread-safe. */
char *kbs_text__fold(const char *s, size_t len);

/* `word` (valid UTF-8, lower case, as a close spelling is) in the case the
 * visitor typed `model`: all capitals when model's letters are ("FACURE" ->
 * "FACTURE"), a capital first when model's first letter is one ("Facure"
 * -> "Facture"), else as it is. Returns a malloc'd string the caller
 * frees, NULL when out of memory or word is not valid UTF-8. Thread-safe. */
char *kbs_text__case_as(const char *word, const char *model, size_t model_len);

/* Whether s[0..n) (lower case ASCII) is a French word that elides onto
 * the next ("l", "d", "qu", "jusqu"...: the analysis strips it with its
 * apostrophe). Thread-safe. */
bool kbs_text__is_elision(const char *s, size_t n);

/* Bytes of the apostrophe that begins s[0..n): ', or ’, ‘ and ʼ, which
 * the analysis reads as ' (elision, terms); 0 if none. Thread-safe. */
static inline size_t kbs_text__apostrophe_at(const char *s, size_t n)
{
	const unsigned char *t = (const unsigned char *)s;
	if (n >= 1 && t[0] == '\'')
		return 1;
	if (n >= 2 && t[0] == 0xCA && t[1] == 0xBC) /* U+02BC */
		return 2;
	if (n >= 3 && t[0] == 0xE2 && t[1] == 0x80 && (t[2] == 0x98 || t[2] == 0x99)) /* U+2018/9 */
		return 3;
	return 0;
}

/* Whether `word` (folded, as `term`) is a stop word in `lang` (NULL or "":
 * in any language). Thread-safe. */
bool kbs_text__is_stopword(const char *word, const char *lang);

/* Whether `word` (folded) is, in `lang` (NULL or "": in any language),
 * a verb form that is a noun too and, after the words before it, the verb:
 * "sommes" after "nous", "été" after a form of "avoir" (stopwords.c).
 * `before` holds the folded words of the same clause before it, nearest
 * first (nbefore of them, at most 3 are read); `elided`: the text had an
 * article elided onto the word ("l'été" is the noun). Thread-safe. */
bool kbs_text__is_auxiliary(const char *word, const char *const *before, size_t nbefore,
			    bool elided, const char *lang);

/* Whether `word` (folded) is one of the forms kbs_text__is_auxiliary may
 * flag: asked of every word of French text before the words before it
 * are read, so inline and by the first letter first. */
static inline bool kbs_text__may_be_auxiliary(const char *word)
{
	return word && ((word[0] == 'e' && word[1] == 't' && strcmp(word, "ete") == 0) ||
			(word[0] == 's' && word[1] == 'o' && strcmp(word, "sommes") == 0) ||
			(word[0] == 'a' && word[1] == 'v' && strcmp(word, "avions") == 0));
}

/* Whether `word` (folded) is a query filler in `lang` (NULL or "": in any
 * language): a word that frames a question ("dois", "faire", "need")
 * rather than names its topic; queries treat it as a stop word, indexing
 * does not. Thread-safe. */
bool kbs_text__is_filler(const char *word, const char *lang);

/* Whether `word` (folded) is, in `lang` (NULL or "": in any language), a
 * time word: a day, a month, a time of day or of the week ("jeudi",
 * "matin", "yesterday"), which says when rather than what (stopwords.c).
 * Thread-safe. */
bool kbs_text__is_time_word(const char *word, const char *lang);

/* Whether `word` (folded) names no topic of a query in `lang` (NULL or "":
 * in any language): a stop word or a query filler. The one rule for every
 * reading of a visitor's words (the query's words, close spellings, the
 * other forms of a lemma, suggestions). Thread-safe. */
bool kbs_text__is_query_stop(const char *word, const char *lang);

/* Whether the analyzer can stem `lang` (Snowball has a stemmer for it). */
bool kbs_text__has_stemmer(const char *lang);

/* ---- lemmas (lemma.c) ---- */

typedef struct kbs_text__lemmatizer kbs_text__lemmatizer;

/* Whether kbsearch reads lemmas in `lang` (ISO 639-1) at all: French
 * only, for now (lemma.c says why). Thread-safe. */
bool kbs_text__has_lemmas(const char *lang);
/* A hold on the process's dictionary of `lang`, loaded by the first hold
 * (about 15 MB, 30 ms) and shared by all. KBS_ENOTFOUND when lang has none
 * or its files are missing or unusable: the caller goes on without lemmas.
 * KBS_ENOMEM. Thread-safe. kbs_text__lemmatizer_free releases the hold;
 * the last release unloads the dictionary. */
kbs_status kbs_text__lemmatizer_new(kbs_text__lemmatizer **out, const char *lang, kbs_err *err);
void kbs_text__lemmatizer_free(kbs_text__lemmatizer *lz);
/* Appends to *out the lemmas of `exact` (a case-folded word with its
 * accents, as a token's `exact`) that are not in it yet, as the
 * dictionary spells them; none for a word it does not know. *verb (when
 * not NULL): the dictionary knows the word as a verb form only, never as
 * a noun, adjective or adverb ("respecter", "changé"; not "plante").
 * remember: keep the answer for the next call (query words, which repeat;
 * not the vocabulary, read once). Thread-safe (calls are serialised:
 * about 10 us each, unless remembered). KBS_ENOMEM. */
kbs_status kbs_text__lemmas(kbs_text__lemmatizer *lz, const char *exact, bool remember,
			    kbs_strlist *out, bool *verb, kbs_err *err);

#endif
