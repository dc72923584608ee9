/*
 * The analyzer: UTF-8 in, folded terms with positions and byte ranges out.
 *
 * Work happens in UTF-16 because that is what ICU's break iterators and
 * normalisers take. The text is converted once per call into a work buffer
 * that is kept in the analyzer between calls (one allocation per thread, not
 * per article), together with a table giving, for each UTF-16 unit, the byte
 * offset in the caller's text where it came from. Tokens report byte ranges
 * of the caller's text, never of our normalised copy, so that snippets and
 * highlighting can slice the original.
 */
#include "text.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ubrk.h>
#include <unicode/ucasemap.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>

#include "store/store.h"

/* Above this many UTF-16 units the work buffers are given back after the
 * call: one huge article should not pin megabytes in every thread. */
#define WORK_KEEP_UNITS (64 * 1024)

/* Distinct languages whose stemmers stay cached; a knowledge base rarely
 * has more, and a miss only costs building a Snowball stemmer. */
#define STEMMER_CACHE 4

typedef struct u16buf {
	UChar *p;
	int32_t len, cap;
} u16buf;

typedef struct stemmer_slot {
	char lang[16];
	kbs_store__stemmer *s; /* NULL: Snowball has none for lang */
	bool used;
} stemmer_slot;

/* Stems already computed, by language and exact word. Running Snowball
 * and folding its output was a third of the analysis of an article, for
 * words that mostly recur (a help center's vocabulary is small next to
 * its text). Bounded: when the table is half full or its strings fill the
 * pool, it starts over empty. Open addressing, linear probing. Sized for
 * a vocabulary of two languages: with 4096 words before a restart, indexing
 * 10k generated articles stemmed 37 % of its words again (16384: about 6 %
 * of indexing instructions saved); the pool is filled, and so resident,
 * only as words come. */
#define STEM_CACHE_SLOTS 32768 /* a power of two */
#define STEM_CACHE_POOL (1024 * 1024)

typedef struct stem_entry {
	uint32_t hash;  /* 0: empty slot */
	uint32_t off;   /* in the pool: lang, exact, stem, stem2, each + NUL */
	uint8_t lang_len, exact_len, stem_len, stem2_len;
} stem_entry;

typedef struct stem_cache {
	stem_entry *slots; /* STEM_CACHE_SLOTS of them once allocated */
	char *pool;
	uint32_t pool_len, count;
} stem_cache;

/* Character classes of the fast path (see "the fast path" below). */
enum fast_class {
	FC_UNKNOWN, /* not looked at yet */
	FC_NONE,    /* left to ICU */
	FC_SEP,     /* breaks on both sides, never in a word */
	FC_LETTER,
	FC_DIGIT,
	FC_MIDL,    /* joins a letter to a letter (UAX #29 MidLetter) */
	FC_MIDN,    /* joins a digit to a digit (MidNum) */
	FC_MIDNL,   /* both (MidNumLet, Single_Quote) */
};

/* Longest fold of one character kept, in bytes: "ß" is "ss". */
#define FC_FOLD_MAX 6

typedef struct fast_char {
	uint8_t cls;   /* enum fast_class */
	bool digit;    /* u_isdigit(): a word it starts is a number */
	uint8_t exact_len, term_len;
	char exact[FC_FOLD_MAX], term[FC_FOLD_MAX];
} fast_char;

/* The characters the fast path may handle: Latin (Basic, Latin-1,
 * Extended-A and -B) and General Punctuation, what European text is
 * written with. Anything else is left to ICU without a look. */
#define FC_LATIN_END 0x0250
#define FC_PUNCT_START 0x2000
#define FC_PUNCT_END 0x2070
#define FC_SIZE (FC_LATIN_END + FC_PUNCT_END - FC_PUNCT_START)

struct kbs_text__analyzer {
	UBreakIterator *bi;
	const UNormalizer2 *nfc, *nfd;

	/* The text as UTF-16 and, per unit, its byte offset in the input
	 * (off[len] is the input's length). */
	u16buf src;
	uint32_t *src_off;
	int32_t src_off_cap;
	/* The same after NFC, only filled when NFC changes something. */
	u16buf norm;
	uint32_t *norm_off;
	int32_t norm_off_cap;

	/* Per-word scratch. */
	u16buf fold, nfd_buf, exact16, term16, stem16;
	kbs_buf term, exact, stem, stem2;
	/* The hyphenated compound being read (emit_token): its parts' forms
	 * run together. */
	kbs_buf join_term, join_exact;

	stemmer_slot stemmers[STEMMER_CACHE];
	unsigned next_slot;
	stem_cache stems;

	/* The fast path: whether it may be used at all (it checked that ICU
	 * segments its reference characters as it expects), whether the
	 * caller turned it off, and what it learnt of each character. */
	bool fast_ok, icu_only;
	fast_char fc[FC_SIZE];
};

/* ---- small buffers ---- */

static bool u16_reserve(u16buf *b, int64_t need)
{
	if (need <= b->cap)
		return true;
	if (need > INT32_MAX)
		return false;
	int64_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	if (cap > INT32_MAX)
		cap = INT32_MAX;
	UChar *p = realloc(b->p, (size_t)cap * sizeof *p);
	if (!p)
		return false;
	b->p = p;
	b->cap = (int32_t)cap;
	return true;
}

static void u16_free(u16buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static bool off_reserve(uint32_t **off, int32_t *cap, int64_t need)
{
	if (need <= *cap)
		return true;
	if (need > INT32_MAX)
		return false;
	int64_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	if (c > INT32_MAX)
		c = INT32_MAX;
	uint32_t *p = realloc(*off, (size_t)c * sizeof *p);
	if (!p)
		return false;
	*off = p;
	*cap = (int32_t)c;
	return true;
}

/* ---- ICU calls with growing output ---- */

/* Both helpers size the output before the first call: it spares a
 * preflight for the usual case, and a later call never sees a NULL buffer
 * as input (u_strFoldCase rejects NULL even with length 0). */
static UErrorCode icu_normalize(const UNormalizer2 *n, const UChar *s, int32_t len, u16buf *out)
{
	if (!u16_reserve(out, (int64_t)len + 1))
		return U_MEMORY_ALLOCATION_ERROR;
	for (;;) {
		UErrorCode st = U_ZERO_ERROR;
		int32_t got = unorm2_normalize(n, s, len, out->p, out->cap, &st);
		if (st == U_BUFFER_OVERFLOW_ERROR) {
			if (!u16_reserve(out, (int64_t)got + 1))
				return U_MEMORY_ALLOCATION_ERROR;
			continue;
		}
		if (U_FAILURE(st))
			return st;
		out->len = got;
		return U_ZERO_ERROR;
	}
}

static UErrorCode icu_fold_case(const UChar *s, int32_t len, u16buf *out)
{
	if (!u16_reserve(out, (int64_t)len + 1))
		return U_MEMORY_ALLOCATION_ERROR;
	for (;;) {
		UErrorCode st = U_ZERO_ERROR;
		int32_t got = u_strFoldCase(out->p, out->cap, s, len, U_FOLD_CASE_DEFAULT, &st);
		if (st == U_BUFFER_OVERFLOW_ERROR) {
			if (!u16_reserve(out, (int64_t)got + 1))
				return U_MEMORY_ALLOCATION_ERROR;
			continue;
		}
		if (U_FAILURE(st))
			return st;
		out->len = got;
		return U_ZERO_ERROR;
	}
}

static kbs_status icu_status(kbs_err *err, UErrorCode st, const char *what)
{
	if (st == U_MEMORY_ALLOCATION_ERROR)
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	return kbs_err__set(err, KBS_ERROR, "ICU %s: %s", what, u_errorName(st));
}

/* ---- UTF-8 <-> UTF-16 ---- */

/* Whether c is read as an apostrophe (kbs_text__apostrophe_at). Mapping
 * here, before anything else, is what lets elision and terms treat ’, ‘
 * and ʼ as '. ICU would keep "l‘appli" whole (U+2018 joins letters as a
 * full stop does) where "l'appli" is an elision; between words ‘ and ’
 * quote as ' does. It commutes with NFC: no canonical decomposition
 * contains them, and all four are starters that compose with nothing. */
static inline UChar32 map_apostrophe(UChar32 c)
{
	return c == 0x2019 || c == 0x2018 || c == 0x02BC ? 0x27 : c;
}

/* Decodes s[0..len), which must be valid UTF-8, into out; when off is not
 * NULL, off[i] receives base + the byte offset of unit i and off[out->len]
 * = base + len (base: where str lies in the caller's text). */
static bool utf8_to_u16(const char *str, size_t len, u16buf *out, uint32_t **off, int32_t *off_cap,
			size_t base)
{
	const unsigned char *s = (const unsigned char *)str;
	/* UTF-16 never needs more units than UTF-8 has bytes. */
	if (!u16_reserve(out, (int64_t)len + 1))
		return false;
	if (off && !off_reserve(off, off_cap, (int64_t)len + 1))
		return false;
	int32_t n = 0;
	size_t i = 0;
	while (i < len) {
		size_t at = i;
		UChar32 c = s[i++];
		if (c >= 0xF0) {
			c = (c & 0x07) << 18 | (s[i] & 0x3F) << 12 | (s[i + 1] & 0x3F) << 6 |
			    (s[i + 2] & 0x3F);
			i += 3;
		} else if (c >= 0xE0) {
			c = (c & 0x0F) << 12 | (s[i] & 0x3F) << 6 | (s[i + 1] & 0x3F);
			i += 2;
		} else if (c >= 0xC0) {
			c = (c & 0x1F) << 6 | (s[i] & 0x3F);
			i += 1;
		}
		c = map_apostrophe(c);
		if (off) {
			(*off)[n] = (uint32_t)(base + at);
			if (c > 0xFFFF)
				(*off)[n + 1] = (uint32_t)(base + at);
		}
		U16_APPEND_UNSAFE(out->p, n, c);
	}
	if (off)
		(*off)[n] = (uint32_t)(base + len);
	out->len = n;
	return true;
}

/* Empties b for reuse. The analyzer's buffers live as long as it does, so
 * an earlier out-of-memory (sticky in kbs_buf) must not poison them. */
static bool buf_reset(kbs_buf *b)
{
	if (b->oom)
		kbs_buf_free(b);
	b->len = 0;
	return kbs_buf_add(b, "", 0);
}

/* Replaces b's content with the UTF-8 of s[0..n). */
static bool u16_to_buf(kbs_buf *b, const UChar *s, int32_t n)
{
	char chunk[256];
	size_t k = 0;
	if (!buf_reset(b))
		return false;
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		U16_NEXT(s, i, n, c);
		if (k + 4 > sizeof chunk) {
			if (!kbs_buf_add(b, chunk, k))
				return false;
			k = 0;
		}
		if (c < 0x80) {
			chunk[k++] = (char)c;
		} else if (c < 0x800) {
			chunk[k++] = (char)(0xC0 | c >> 6);
			chunk[k++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			chunk[k++] = (char)(0xE0 | c >> 12);
			chunk[k++] = (char)(0x80 | (c >> 6 & 0x3F));
			chunk[k++] = (char)(0x80 | (c & 0x3F));
		} else {
			chunk[k++] = (char)(0xF0 | c >> 18);
			chunk[k++] = (char)(0x80 | (c >> 12 & 0x3F));
			chunk[k++] = (char)(0x80 | (c >> 6 & 0x3F));
			chunk[k++] = (char)(0x80 | (c & 0x3F));
		}
	}
	return kbs_buf_add(b, chunk, k);
}

static bool is_ascii8(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static bool is_ascii16(const UChar *s, int32_t n)
{
	for (int32_t i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return false;
	return true;
}

/* ---- folding ---- */

/* Whether c is an accent to fold away. Only the generic combining
 * diacritics (the marks Latin, Greek and Cyrillic letters decompose into)
 * qualify: kana voicing marks, Indic vowel signs and viramas, Thai vowels
 * are nonspacing marks too, but removing them turns one word into another
 * ("パ" -> "ハ"), so "drop every Mn" would be wrong. */
static inline bool is_accent(UChar c)
{
	return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
	       (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
	       (c >= 0xFE20 && c <= 0xFE2F);
}

typedef struct fold_bufs {
	u16buf *fold, *nfd, *exact, *term;
} fold_bufs;

/* Case-folds s[0..n) into b->exact (NFC; skipped when b->exact is NULL)
 * and case- and accent-folds it into b->term (NFC). Folding can leave text
 * denormalised ("İ" folds to i + U+0307, "ΐ" to three units), hence the
 * NFC at the end of both. */
static UErrorCode fold_u16(const UNormalizer2 *nfc, const UNormalizer2 *nfd, const UChar *s,
			   int32_t n, fold_bufs *b)
{
	UErrorCode st;
	if ((st = icu_fold_case(s, n, b->fold)) != U_ZERO_ERROR)
		return st;
	if (b->exact &&
	    (st = icu_normalize(nfc, b->fold->p, b->fold->len, b->exact)) != U_ZERO_ERROR)
		return st;
	if ((st = icu_normalize(nfd, b->fold->p, b->fold->len, b->nfd)) != U_ZERO_ERROR)
		return st;

	/* Accents out, œ and æ spelt out (they have no decomposition, and
	 * French writers type "oe" as often as "œ"); b->fold is free again.
	 * Each unit becomes at most two. */
	u16buf *w = b->fold;
	if (!u16_reserve(w, 2 * (int64_t)b->nfd->len + 1))
		return U_MEMORY_ALLOCATION_ERROR;
	int32_t k = 0;
	for (int32_t i = 0; i < b->nfd->len; i++) {
		UChar c = b->nfd->p[i];
		if (is_accent(c))
			continue;
		if (c == 0x0153) {
			w->p[k++] = 'o';
			w->p[k++] = 'e';
		} else if (c == 0x00E6) {
			w->p[k++] = 'a';
			w->p[k++] = 'e';
		} else {
			w->p[k++] = c;
		}
	}
	w->len = k;
	return icu_normalize(nfc, w->p, w->len, b->term);
}

char *kbs_text__case_as(const char *word, const char *model, size_t model_len)
{
	size_t len = word ? strlen(word) : 0;
	if (!word || len >= INT32_MAX / 3 || !kbs_utf8_valid(word, len, NULL))
		return NULL;
	/* The model's letters: how many, how many capitals, the first's case. */
	size_t letters = 0, upper = 0;
	bool first_upper = false;
	for (int32_t i = 0; model && (size_t)i < model_len && model_len < INT32_MAX;) {
		UChar32 c;
		U8_NEXT(model, i, (int32_t)model_len, c);
		if (c < 0 || !u_isalpha(c))
			continue;
		if (letters++ == 0)
			first_upper = u_isupper(c);
		upper += u_isupper(c) ? 1 : 0;
	}
	char *out = NULL;
	if (letters > 1 && upper == letters) {
		UErrorCode st = U_ZERO_ERROR;
		UCaseMap *cm = ucasemap_open("", 0, &st);
		/* Upper case can grow ("ß" -> "SS"): three bytes for each. */
		int32_t cap = (int32_t)len * 3 + 1;
		if (U_SUCCESS(st) && (out = malloc((size_t)cap))) {
			ucasemap_utf8ToUpper(cm, out, cap, word, (int32_t)len, &st);
			if (U_FAILURE(st)) {
				free(out);
				out = NULL;
			}
		}
		ucasemap_close(cm);
		return out;
	}
	if (!(out = malloc(len + 4 + 1)))
		return NULL;
	int32_t i = 0, o = 0;
	if (first_upper && len) {
		UChar32 c;
		U8_NEXT(word, i, (int32_t)len, c);
		UBool bad = false;
		U8_APPEND((uint8_t *)out, o, (int32_t)len + 4, u_toupper(c), bad);
		if (bad) {
			free(out);
			return NULL;
		}
	}
	memcpy(out + o, word + i, len - (size_t)i + 1);
	return out;
}

char *kbs_text__fold(const char *s, size_t len)
{
	u16buf in = { 0 }, norm = { 0 }, fold = { 0 }, nfd = { 0 }, term = { 0 };
	kbs_buf out = { 0 };
	char *res = NULL;
	UErrorCode st = U_ZERO_ERROR;

	if (!s || len >= INT32_MAX || !kbs_utf8_valid(s, len, NULL))
		goto cleanup;
	/* ASCII folds to lower case and nothing else (most labels: a
	 * language, a kind, a role); spare ICU's buffers. */
	if (is_ascii8(s, len)) {
		if ((res = malloc(len + 1))) {
			for (size_t i = 0; i < len; i++)
				res[i] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] + 'a' - 'A') : s[i];
			res[len] = '\0';
		}
		goto cleanup;
	}
	const UNormalizer2 *nfc = unorm2_getNFCInstance(&st);
	const UNormalizer2 *nfd_n = unorm2_getNFDInstance(&st);
	if (U_FAILURE(st))
		goto cleanup;
	if (!utf8_to_u16(s, len, &in, NULL, NULL, 0))
		goto cleanup;
	/* NFC first, as the analyzer does, so that fold(x) is term(x) even
	 * where case folding is not closed under canonical equivalence. */
	if (icu_normalize(nfc, in.p, in.len, &norm) != U_ZERO_ERROR)
		goto cleanup;
	fold_bufs b = { &fold, &nfd, NULL, &term };
	if (fold_u16(nfc, nfd_n, norm.p, norm.len, &b) != U_ZERO_ERROR)
		goto cleanup;
	if (!u16_to_buf(&out, term.p, term.len))
		goto cleanup;
	res = kbs_buf_steal(&out);
cleanup:
	kbs_buf_free(&out);
	u16_free(&in);
	u16_free(&norm);
	u16_free(&fold);
	u16_free(&nfd);
	u16_free(&term);
	return res;
}

/* ---- the analyzer ---- */

static void fast_init(kbs_text__analyzer *a);

kbs_status kbs_text__analyzer_new(kbs_text__analyzer **out, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	UErrorCode st = U_ZERO_ERROR;
	kbs_text__analyzer *a;

	*out = NULL;
	a = calloc(1, sizeof *a);
	if (!a) {
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
		goto cleanup;
	}
	a->nfc = unorm2_getNFCInstance(&st);
	a->nfd = unorm2_getNFDInstance(&st);
	if (U_FAILURE(st)) {
		rc = icu_status(err, st, "normalizer");
		goto cleanup;
	}
	/* Root locale: the dictionaries for Chinese, Japanese, Thai, Lao,
	 * Khmer and Burmese apply whatever the locale. */
	a->bi = ubrk_open(UBRK_WORD, "", NULL, 0, &st);
	if (U_FAILURE(st)) {
		rc = icu_status(err, st, "word break iterator");
		goto cleanup;
	}
	fast_init(a);
cleanup:
	if (rc != KBS_OK)
		kbs_text__analyzer_free(a);
	else
		*out = a;
	return rc;
}

static void release_work(kbs_text__analyzer *a)
{
	u16_free(&a->src);
	u16_free(&a->norm);
	free(a->src_off);
	free(a->norm_off);
	a->src_off = a->norm_off = NULL;
	a->src_off_cap = a->norm_off_cap = 0;
}

void kbs_text__analyzer_free(kbs_text__analyzer *a)
{
	if (!a)
		return;
	if (a->bi)
		ubrk_close(a->bi);
	release_work(a);
	u16_free(&a->fold);
	u16_free(&a->nfd_buf);
	u16_free(&a->exact16);
	u16_free(&a->term16);
	u16_free(&a->stem16);
	kbs_buf_free(&a->term);
	kbs_buf_free(&a->exact);
	kbs_buf_free(&a->stem);
	kbs_buf_free(&a->stem2);
	kbs_buf_free(&a->join_term);
	kbs_buf_free(&a->join_exact);
	for (size_t i = 0; i < STEMMER_CACHE; i++)
		kbs_store__stemmer_free(a->stemmers[i].s);
	free(a->stems.slots);
	free(a->stems.pool);
	free(a);
}

/* The stemmer for lang (NULL when there is none), built on first use. */
static kbs_status get_stemmer(kbs_text__analyzer *a, const char *lang, kbs_store__stemmer **out,
			      kbs_err *err)
{
	*out = NULL;
	if (!lang || !*lang || strlen(lang) >= sizeof a->stemmers[0].lang)
		return KBS_OK;
	for (size_t i = 0; i < STEMMER_CACHE; i++) {
		if (a->stemmers[i].used && strcmp(a->stemmers[i].lang, lang) == 0) {
			*out = a->stemmers[i].s;
			return KBS_OK;
		}
	}
	kbs_store__stemmer *s = NULL;
	if (kbs_store__has_stemmer(lang)) {
		kbs_status rc = kbs_store__stemmer_new(&s, lang, err);
		if (rc != KBS_OK)
			return rc;
	}
	stemmer_slot *slot = &a->stemmers[a->next_slot];
	a->next_slot = (a->next_slot + 1) % STEMMER_CACHE;
	kbs_store__stemmer_free(slot->s);
	strcpy(slot->lang, lang);
	slot->s = s;
	slot->used = true;
	*out = s;
	return KBS_OK;
}

/*
 * NFC with offsets. NFC can merge characters (e + U+0301 -> é) and split
 * them (U+0958 -> U+0915 U+093C), so a unit of the output does not have one
 * unit of the input. But text falls apart into pieces that normalise
 * independently: each starts at a character with a normalisation boundary
 * before it (unorm2_hasBoundaryBefore), and NFC of the whole is NFC of each
 * piece concatenated. So we normalise piece by piece and give every output
 * unit of a piece the byte offset where the piece began; the spans that
 * are already NFC (unorm2_spanQuickCheckYes, which stops at a boundary)
 * are copied with their offsets unchanged. A word boundary always falls
 * between pieces in practice (a piece is a base and the marks that extend
 * it); if one ever fell inside, word_end() below still returns the end of
 * the whole piece, so a range can only grow to whole characters of the
 * input, never cut one.
 */
static UErrorCode normalize_with_offsets(kbs_text__analyzer *a, size_t len)
{
	const UChar *s = a->src.p;
	const int32_t n = a->src.len;
	u16buf *out = &a->norm;
	UErrorCode st = U_ZERO_ERROR;
	int32_t i = 0, k = 0;

	out->len = 0;
	while (i < n) {
		int32_t span = unorm2_spanQuickCheckYes(a->nfc, s + i, n - i, &st);
		if (U_FAILURE(st))
			return st;
		if (!u16_reserve(out, (int64_t)k + span + 1) ||
		    !off_reserve(&a->norm_off, &a->norm_off_cap, (int64_t)k + span + 1))
			return U_MEMORY_ALLOCATION_ERROR;
		memcpy(out->p + k, s + i, (size_t)span * sizeof *s);
		memcpy(a->norm_off + k, a->src_off + i, (size_t)span * sizeof *a->norm_off);
		k += span;
		i += span;
		if (i >= n)
			break;

		int32_t j = i;
		UChar32 c;
		U16_NEXT(s, j, n, c);
		while (j < n) {
			int32_t next = j;
			U16_NEXT(s, next, n, c);
			if (unorm2_hasBoundaryBefore(a->nfc, c))
				break;
			j = next;
		}
		/* NFC grows a piece at most threefold; the retry is for
		 * safety should a future Unicode version do worse. */
		int64_t room = 3 * (int64_t)(j - i) + 1;
		int32_t got;
		for (;;) {
			if (!u16_reserve(out, k + room) ||
			    !off_reserve(&a->norm_off, &a->norm_off_cap, k + room))
				return U_MEMORY_ALLOCATION_ERROR;
			got = unorm2_normalize(a->nfc, s + i, j - i, out->p + k, out->cap - k,
					       &st);
			if (st != U_BUFFER_OVERFLOW_ERROR)
				break;
			st = U_ZERO_ERROR;
			room = (int64_t)got + 1;
		}
		if (U_FAILURE(st))
			return st;
		for (int32_t u = 0; u < got; u++)
			a->norm_off[k + u] = a->src_off[i];
		k += got;
		i = j;
	}
	if (!off_reserve(&a->norm_off, &a->norm_off_cap, (int64_t)k + 1))
		return U_MEMORY_ALLOCATION_ERROR;
	a->norm_off[k] = (uint32_t)len;
	out->len = k;
	return U_ZERO_ERROR;
}

/* Byte offset in the input where the text ending before unit e ends: the
 * start of the next unit that does not come from the same piece as e - 1. */
static size_t word_end(const uint32_t *off, int32_t n, int32_t e)
{
	while (e < n && off[e] == off[e - 1])
		e++;
	return off[e];
}

static const UChar no_text[1] = { 0 };

static const char *const elisions[] = {
	"c", "d", "j", "jusqu", "l", "lorsqu", "m", "n", "puisqu", "qu", "quoiqu", "s", "t",
};

bool kbs_text__is_elision(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof elisions / sizeof *elisions; i++)
		if (strlen(elisions[i]) == n && memcmp(s, elisions[i], n) == 0)
			return true;
	return false;
}

/* Length of the elided prefix of w[0..n) with its apostrophe ("l'" in
 * "l'abonnement"), or 0. ICU keeps such words whole because the apostrophe
 * is MidNumLet between letters. */
static int32_t elision_len(const UChar *w, int32_t n)
{
	int32_t q = 0;
	while (q < n && q <= 6 && w[q] != '\'')
		q++;
	if (q == 0 || q > 6 || q + 1 >= n || w[q] != '\'')
		return 0;
	char lower[8];
	for (int32_t i = 0; i < q; i++) {
		UChar c = w[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c < 'a' || c > 'z')
			return 0;
		lower[i] = (char)c;
	}
	return kbs_text__is_elision(lower, (size_t)q) ? q + 1 : 0;
}

/* Whether the word is written in a script that has no stemmer and whose
 * words ICU found with a dictionary: Chinese, Japanese, Thai and their
 * South-East Asian neighbours. The first character with a real script
 * decides (the kana prolonged sound mark is Common, for one). */
static bool is_ideo(const UChar *w, int32_t n, int32_t status)
{
	if (status >= UBRK_WORD_KANA && status < UBRK_WORD_IDEO_LIMIT)
		return true;
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		U16_NEXT(w, i, n, c);
		UErrorCode st = U_ZERO_ERROR;
		UScriptCode sc = uscript_getScript(c, &st);
		if (U_FAILURE(st) || sc == USCRIPT_COMMON || sc == USCRIPT_INHERITED)
			continue;
		return sc == USCRIPT_HAN || sc == USCRIPT_HIRAGANA || sc == USCRIPT_KATAKANA ||
		       sc == USCRIPT_THAI || sc == USCRIPT_LAO || sc == USCRIPT_KHMER ||
		       sc == USCRIPT_MYANMAR;
	}
	return false;
}

static void ascii_lower(kbs_buf *b, const UChar *w, int32_t n)
{
	char chunk[256];
	size_t k = 0;
	if (!buf_reset(b))
		return;
	for (int32_t i = 0; i < n; i++) {
		UChar c = w[i];
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		chunk[k++] = (char)c;
		if (k == sizeof chunk) {
			kbs_buf_add(b, chunk, k);
			k = 0;
		}
	}
	kbs_buf_add(b, chunk, k);
}

/* Fills a->term and a->exact for the word w[0..n). */
static UErrorCode fold_word(kbs_text__analyzer *a, const UChar *w, int32_t n)
{
	if (is_ascii16(w, n)) {
		ascii_lower(&a->exact, w, n);
		if (buf_reset(&a->term) && !a->exact.oom)
			kbs_buf_add(&a->term, a->exact.data, a->exact.len);
	} else {
		fold_bufs b = { &a->fold, &a->nfd_buf, &a->exact16, &a->term16 };
		UErrorCode st = fold_u16(a->nfc, a->nfd, w, n, &b);
		if (st != U_ZERO_ERROR)
			return st;
		u16_to_buf(&a->exact, a->exact16.p, a->exact16.len);
		u16_to_buf(&a->term, a->term16.p, a->term16.len);
	}
	if (a->exact.oom || a->term.oom)
		return U_MEMORY_ALLOCATION_ERROR;
	return U_ZERO_ERROR;
}

/* Fills `out` with the stem of word[0..n), accent-folded. Snowball is
 * given the accented word because its rules are written for it ("é" ends a
 * French suffix that "e" does not). */
static UErrorCode stem_into(kbs_text__analyzer *a, kbs_store__stemmer *s, const char *word, size_t n,
			    kbs_buf *out)
{
	char *stem = kbs_store__stem(s, word, n);
	if (!stem)
		return U_MEMORY_ALLOCATION_ERROR;
	size_t len = strlen(stem);
	UErrorCode st = U_ZERO_ERROR;
	if (!buf_reset(out)) {
		st = U_MEMORY_ALLOCATION_ERROR;
	} else if (is_ascii8(stem, len)) {
		kbs_buf_add(out, stem, len);
	} else if (!utf8_to_u16(stem, len, &a->stem16, NULL, NULL, 0)) {
		st = U_MEMORY_ALLOCATION_ERROR;
	} else {
		fold_bufs b = { &a->fold, &a->nfd_buf, NULL, &a->term16 };
		st = fold_u16(a->nfc, a->nfd, a->stem16.p, a->stem16.len, &b);
		if (st == U_ZERO_ERROR)
			u16_to_buf(out, a->term16.p, a->term16.len);
	}
	free(stem);
	if (st == U_ZERO_ERROR && out->oom)
		st = U_MEMORY_ALLOCATION_ERROR;
	return st;
}

/* Fills a->stem: the folded stem of a->exact. */
static UErrorCode stem_word(kbs_text__analyzer *a, kbs_store__stemmer *s)
{
	return stem_into(a, s, a->exact.data, a->exact.len, &a->stem);
}

/* Fills a->stem2 with the stem of the folded word a->term when it differs
 * from a->stem (else empties it). Snowball's rules see accents, so a word
 * typed without them can stem otherwise ("élevée" -> "elev", "elevee" ->
 * "eleve"): indexing and querying both stems makes the match symmetric. */
static UErrorCode stem_folded(kbs_text__analyzer *a, kbs_store__stemmer *s)
{
	if (!buf_reset(&a->stem2))
		return U_MEMORY_ALLOCATION_ERROR;
	if (a->term.len == a->exact.len && memcmp(a->term.data, a->exact.data, a->term.len) == 0)
		return U_ZERO_ERROR;
	UErrorCode st = stem_into(a, s, a->term.data, a->term.len, &a->stem2);
	if (st == U_ZERO_ERROR && a->stem2.len == a->stem.len &&
	    memcmp(a->stem2.data, a->stem.data, a->stem.len) == 0)
		a->stem2.len = 0;
	return st;
}

/* ---- the stem cache ---- */

static uint32_t stem_hash(const char *lang, const char *exact, size_t len)
{
	uint64_t h = kbs_hash64(exact, len, kbs_hash64(lang, strlen(lang), 0));
	uint32_t v = (uint32_t)(h ^ h >> 32);
	return v ? v : 1;
}

/* The cached entry for (lang, exact), or NULL. */
static const stem_entry *stem_cache_get(const stem_cache *c, uint32_t h, const char *lang,
					const char *exact, size_t len)
{
	if (!c->slots)
		return NULL;
	size_t lang_len = strlen(lang);
	for (uint32_t i = h;; i++) {
		const stem_entry *e = &c->slots[i & (STEM_CACHE_SLOTS - 1)];
		if (e->hash == 0)
			return NULL;
		const char *p = c->pool + e->off;
		if (e->hash == h && e->exact_len == len && e->lang_len == lang_len &&
		    memcmp(p, lang, lang_len) == 0 && memcmp(p + lang_len + 1, exact, len) == 0)
			return e;
	}
}

/* Remembers the stems of (lang, exact). Failing to (no memory, strings too
 * long for an entry) only costs stemming the word again. */
static void stem_cache_put(stem_cache *c, uint32_t h, const char *lang, const char *exact,
			   size_t len, const kbs_buf *stem, const kbs_buf *stem2)
{
	size_t lang_len = strlen(lang);
	if (lang_len > UINT8_MAX || len > UINT8_MAX || stem->len > UINT8_MAX ||
	    stem2->len > UINT8_MAX)
		return;
	size_t need = lang_len + len + stem->len + stem2->len + 4;
	if (!c->slots) {
		c->slots = calloc(STEM_CACHE_SLOTS, sizeof *c->slots);
		c->pool = malloc(STEM_CACHE_POOL);
		if (!c->slots || !c->pool) {
			free(c->slots);
			free(c->pool);
			c->slots = NULL;
			c->pool = NULL;
			return;
		}
	}
	if (c->count >= STEM_CACHE_SLOTS / 2 || c->pool_len + need > STEM_CACHE_POOL) {
		memset(c->slots, 0, STEM_CACHE_SLOTS * sizeof *c->slots);
		c->count = c->pool_len = 0;
	}
	uint32_t i = h;
	while (c->slots[i & (STEM_CACHE_SLOTS - 1)].hash != 0)
		i++;
	stem_entry *e = &c->slots[i & (STEM_CACHE_SLOTS - 1)];
	char *p = c->pool + c->pool_len;
	const char *parts[] = { lang, exact, stem->len ? stem->data : "", stem2->len ? stem2->data : "" };
	size_t lens[] = { lang_len, len, stem->len, stem2->len };
	for (size_t k = 0; k < 4; k++) {
		memcpy(p, parts[k], lens[k]);
		p[lens[k]] = '\0';
		p += lens[k] + 1;
	}
	*e = (stem_entry){ .hash = h, .off = c->pool_len, .lang_len = (uint8_t)lang_len,
			   .exact_len = (uint8_t)len, .stem_len = (uint8_t)stem->len,
			   .stem2_len = (uint8_t)stem2->len };
	c->pool_len += (uint32_t)need;
	c->count++;
}

kbs_status kbs_text__stem(kbs_text__analyzer *a, const char *exact, size_t len, const char *lang,
			  const char **out, size_t *out_len, kbs_err *err)
{
	kbs_store__stemmer *stemmer = NULL;
	kbs_status rc = get_stemmer(a, lang, &stemmer, err);
	*out = exact;
	*out_len = len;
	if (rc != KBS_OK || !stemmer)
		return rc;
	/* From a token callback, exact already is a->exact: do not copy it
	 * onto itself. */
	if (exact != a->exact.data &&
	    (!buf_reset(&a->exact) || !kbs_buf_add(&a->exact, exact, len)))
		return kbs_err__set(err, KBS_ENOMEM, "out of memory");
	UErrorCode st = stem_word(a, stemmer);
	if (st != U_ZERO_ERROR)
		return icu_status(err, st, "stemming");
	if (a->stem.len) {
		*out = a->stem.data;
		*out_len = a->stem.len;
	}
	return KBS_OK;
}

/* ---- one analysis ---- */

/* The words before a verb form that kbs_text__is_auxiliary reads, at most,
 * and the longest kept (clause_before). */
#define CLAUSE_WORDS 3
#define CLAUSE_WORD_BYTES 16
/* Not a token flag: what the two paths tell emit_word when they stripped
 * an elided article from the word ("l'été"). */
#define ELIDED (1u << 15)

typedef struct run {
	const char *text;
	size_t len;
	const char *lang;
	kbs_store__stemmer *stemmer;
	kbs_text__token_cb cb;
	void *payload;
	kbs_err *err;
	unsigned pos; /* of the next word */
	/* The hyphenated compound being read: parts so far (0: none), where
	 * the first starts, its position, and where the last ends. */
	unsigned join_n, join_pos;
	size_t join_start, join_end;
} run;

/* Bytes of the blank or hyphen that ends at t[i], 0 if none: what may
 * stand between two words of a clause ("a-t-il été", "nous\nsommes"),
 * where a full stop or a comma ends it. */
static size_t blank_before(const unsigned char *t, size_t i)
{
	if (i >= 1 && (t[i - 1] == ' ' || t[i - 1] == '\t' || t[i - 1] == '\n' || t[i - 1] == '\r' ||
		       t[i - 1] == '-'))
		return 1;
	if (i >= 2 && t[i - 2] == 0xC2 && t[i - 1] == 0xA0) /* no-break space */
		return 2;
	/* narrow no-break space (before French punctuation), hyphens */
	if (i >= 3 && t[i - 3] == 0xE2 && t[i - 2] == 0x80 &&
	    (t[i - 1] == 0xAF || t[i - 1] == 0x90 || t[i - 1] == 0x91))
		return 3;
	return 0;
}

/* Bytes of the apostrophe that ends at t[i] (kbs_text__apostrophe_at), 0
 * if none. */
static size_t apostrophe_before(const unsigned char *t, size_t i)
{
	for (size_t k = 1; k <= 3 && k <= i; k++)
		if (kbs_text__apostrophe_at((const char *)t + i - k, k) == k)
			return k;
	return 0;
}

/* The words of the clause that ends where the word at text[start..end)
 * begins, nearest first, into `words` (at most CLAUSE_WORDS), folded: the
 * words kbs_text__is_auxiliary reads are plain ASCII ("nous", "a",
 * "avait"), so a word with any other character, or a long one, is kept
 * as "", a word that is none of them. An elision is no word ("n'a" is
 * "a"). Read back from the text, and only for the few forms that need
 * it, so that other words cost nothing. */
static size_t clause_before(const char *text, size_t start, char words[][CLAUSE_WORD_BYTES])
{
	const unsigned char *t = (const unsigned char *)text;
	size_t n = 0, i = start, b;
	while (n < CLAUSE_WORDS && (b = blank_before(t, i)) != 0) {
		while (b)
			i -= b, b = blank_before(t, i);
		size_t end = i, from = i;
		bool plain = true;
		while (i > 0 && !blank_before(t, i)) {
			unsigned char c = t[i - 1];
			bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
			size_t ap = apostrophe_before(t, i);
			if (ap) {
				if (from == end)
					break; /* "l'" before a blank is no word of ours */
				i -= ap; /* "n'a": the elision is the word's */
				while (i > 0 && ((t[i - 1] | 0x20) >= 'a' && (t[i - 1] | 0x20) <= 'z'))
					i--;
				break;
			}
			if (!alnum && c < 0x80)
				break; /* punctuation ends the clause */
			plain = plain && alnum;
			from = --i;
		}
		if (from == end)
			break;
		size_t len = end - from;
		char *w = words[n++];
		if (!plain || len >= CLAUSE_WORD_BYTES) {
			w[0] = '\0';
		} else {
			for (size_t k = 0; k < len; k++)
				w[k] = (char)(t[from + k] | (t[from + k] >= 'A' && t[from + k] <= 'Z' ? 0x20 : 0));
			w[len] = '\0';
		}
	}
	return n;
}

/* Replaces b's content with s[0..n), without a reallocation once b has
 * grown to a word's size. */
static bool buf_set(kbs_buf *b, const char *s, size_t n)
{
	if (!b->oom && b->data && n < b->cap) {
		memcpy(b->data, s, n);
		b->data[n] = '\0';
		b->len = n;
		return true;
	}
	return buf_reset(b) && kbs_buf_add(b, s, n);
}

/* Flags, stems and the callback for the word text[start..end) at `pos`,
 * whose forms are in a->term and a->exact (the term neither empty nor too
 * long); `flags` holds NUM, IDEO or JOINED, and ELIDED. */
static kbs_status emit_word(kbs_text__analyzer *a, run *r, size_t start, size_t end,
			    unsigned pos, unsigned flags)
{
	UErrorCode st;
	kbs_text__token tok = {
		.term = a->term.data,
		.term_len = a->term.len,
		.exact = a->exact.data,
		.exact_len = a->exact.len,
		.stem = a->term.data,
		.stem_len = a->term.len,
		.start = start,
		.end = end,
		.pos = pos,
		.flags = flags & ~ELIDED,
	};
	if (kbs_text__is_stopword(tok.term, r->lang))
		tok.flags |= KBS_TOK_STOP;
	if (!(tok.flags & (KBS_TOK_STOP | KBS_TOK_JOINED)) && kbs_text__may_be_auxiliary(tok.term)) {
		char words[CLAUSE_WORDS][CLAUSE_WORD_BYTES];
		const char *before[CLAUSE_WORDS];
		size_t n = clause_before(r->text, start, words);
		for (size_t i = 0; i < n; i++)
			before[i] = words[i];
		if (kbs_text__is_auxiliary(tok.term, before, n, (flags & ELIDED) != 0, r->lang))
			tok.flags |= KBS_TOK_STOP | KBS_TOK_AUX;
	}
	const stem_entry *cached = NULL;
	uint32_t h = 0;
	bool stems = r->stemmer && !(tok.flags & (KBS_TOK_NUM | KBS_TOK_IDEO));
	if (stems) {
		h = stem_hash(r->lang, a->exact.data, a->exact.len);
		cached = stem_cache_get(&a->stems, h, r->lang, a->exact.data, a->exact.len);
	}
	if (cached) {
		const char *p = a->stems.pool + cached->off + cached->lang_len + 1 +
				cached->exact_len + 1;
		if (cached->stem_len) {
			tok.stem = p;
			tok.stem_len = cached->stem_len;
		}
		if (cached->stem_len && cached->stem2_len) {
			tok.stem2 = p + cached->stem_len + 1;
			tok.stem2_len = cached->stem2_len;
		}
	} else if (stems) {
		if ((st = stem_word(a, r->stemmer)) != U_ZERO_ERROR)
			return icu_status(r->err, st, "stemming");
		if (a->stem.len) {
			tok.stem = a->stem.data;
			tok.stem_len = a->stem.len;
		}
		if ((st = stem_folded(a, r->stemmer)) != U_ZERO_ERROR)
			return icu_status(r->err, st, "stemming");
		if (a->stem.len && a->stem2.len) {
			tok.stem2 = a->stem2.data;
			tok.stem2_len = a->stem2.len;
		}
		stem_cache_put(&a->stems, h, r->lang, a->exact.data, a->exact.len, &a->stem,
			       &a->stem2);
	}
	return r->cb(&tok, r->payload);
}

/* ---- hyphenated compounds ---- */

size_t kbs_text__hyphen_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	if (n >= 1 && u[0] == '-')
		return 1;
	if (n >= 3 && u[0] == 0xE2 && u[1] == 0x80 && (u[2] == 0x90 || u[2] == 0x91))
		return 3;
	return 0;
}

/* The compound read so far, as one JOINED word, when it has two parts or
 * more; then none is being read. */
static kbs_status end_compound(kbs_text__analyzer *a, run *r)
{
	unsigned n = r->join_n;
	r->join_n = 0;
	if (n < 2 || a->join_term.len > KBS_TEXT_MAX_TERM)
		return KBS_OK;
	/* The word being emitted lives in a->term and a->exact: swap the
	 * compound in for the call, and back. */
	kbs_buf t = a->term, x = a->exact;
	a->term = a->join_term;
	a->exact = a->join_exact;
	kbs_status rc = emit_word(a, r, r->join_start, r->join_end, r->join_pos, KBS_TOK_JOINED);
	a->join_term = a->term;
	a->join_exact = a->exact;
	a->term = t;
	a->exact = x;
	return rc;
}

/* Whether the term is an acronym written with full stops, one character
 * between each ("s.a.v", "t.t.c", "e.d.f"). */
static bool dotted_acronym(const kbs_buf *t)
{
	size_t i = 0, letters = 0;
	while (i < t->len) {
		if (t->data[i] == '.')
			return false;
		letters++;
		i += kbs_utf8_prefix(t->data + i, t->len - i, 1);
		if (i == t->len)
			break;
		if (t->data[i] != '.' || ++i == t->len)
			return false;
	}
	return letters >= 2;
}

static void drop_dots(kbs_buf *b)
{
	size_t k = 0;
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] != '.')
			b->data[k++] = b->data[i];
	b->len = k;
	b->data[k] = '\0';
}

/* Runs of digits and of letters a word may be cut into ("10h30": three). A
 * word of more (a reference, a hash) stays whole. */
#define ALNUM_MAX_RUNS 3

/* Where the runs of digits and of letters of the word begin (cuts[0..n),
 * cuts[n] its length), and n; 0 unless it is all ASCII letters and digits,
 * spelt the same folded or not (so its bytes are the text's), with both
 * kinds, at most ALNUM_MAX_RUNS runs, and digits at one end at least: a
 * number and its unit ("6kva", "24h", "10h30"), a code and its number
 * ("easf01", "fr76"). Letters around digits ("b2b", "p2p") name one
 * thing. That test comes first and costs two bytes: this runs on every
 * word, and few words end in a digit. */
static size_t alnum_runs(const kbs_buf *term, const kbs_buf *exact, size_t cuts[ALNUM_MAX_RUNS + 1])
{
	const char *t = term->data;
	size_t len = term->len;
	if (len < 2 || !((unsigned)(t[0] - '0') < 10 || (unsigned)(t[len - 1] - '0') < 10))
		return 0;
	if (len != exact->len || memcmp(t, exact->data, len) != 0)
		return 0;
	size_t n = 0;
	int kind = -1; /* 0 letter, 1 digit */
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		int k = c >= '0' && c <= '9' ? 1 : c >= 'a' && c <= 'z' ? 0 : -1;
		if (k < 0)
			return 0;
		if (k != kind) {
			if (n == ALNUM_MAX_RUNS)
				return 0;
			cuts[n++] = i;
			kind = k;
		}
	}
	cuts[n] = len;
	return n > 1 ? n : 0;
}

/* Whether text[start..end) ends with the bytes of `t` (ASCII lower case)
 * in either case: then each run of it has its own bytes in the text. Not
 * so when folding changed the length ("1ß4" is "1ss4"). */
static bool spelt_at_end(const run *r, size_t start, size_t end, const kbs_buf *t)
{
	if (end < start + t->len)
		return false;
	const char *w = r->text + end - t->len;
	for (size_t i = 0; i < t->len; i++)
		if ((w[i] >= 'A' && w[i] <= 'Z' ? (char)(w[i] + 'a' - 'A') : w[i]) != t->data[i])
			return false;
	return true;
}

/* The runs of a word of digits and letters ("6kVA", "EASF01", "24h"), each
 * a word at its own position and over its own bytes (the word's last
 * bytes spell it: spelt_at_end; an elision may come before), then the
 * whole as a JOINED word at the first one's position, as a hyphenated
 * compound is given: "6kVA" meets "6 kVA", and "easf 01" meets
 * "EASF01". */
static kbs_status emit_runs(kbs_text__analyzer *a, run *r, size_t end, unsigned pos,
			    unsigned flags, const size_t *cuts, size_t n)
{
	kbs_status rc = end_compound(a, r);
	if (rc != KBS_OK)
		return rc;
	char whole[KBS_TEXT_MAX_TERM + 1];
	size_t len = a->term.len, ws = end - len;
	memcpy(whole, a->term.data, len);
	whole[len] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t b = cuts[i], e = cuts[i + 1];
		if (!buf_set(&a->term, whole + b, e - b) || !buf_set(&a->exact, whole + b, e - b))
			return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		unsigned f = (whole[b] >= '0' && whole[b] <= '9' ? KBS_TOK_NUM : 0) |
			     (i == 0 ? flags & ELIDED : 0);
		if ((rc = emit_word(a, r, ws + b, ws + e, pos + (unsigned)i, f)) != KBS_OK)
			return rc;
	}
	r->pos += (unsigned)(n - 1);
	if (!buf_set(&a->term, whole, len) || !buf_set(&a->exact, whole, len))
		return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
	return emit_word(a, r, ws, end, pos, (flags & KBS_TOK_NUM) | KBS_TOK_JOINED);
}

/* emit_word, after dotted acronyms lose their full stops. And hyphenated
 * compounds: words linked by hyphens, none a number, also make one word
 * of their parts run together, given after the last part at the first
 * one's position. "e-mail" then meets "email",
 * "week-end" "weekend", "wi-fi" "wifi", whichever way an article and a
 * visitor write it. What else is joined ("connectezvous", "motsdepasse")
 * is found only where its parts are, and costs a term. The rule reads no
 * language, so that every language's analysis of a text gives the same
 * words (the query planner relies on it). */
static kbs_status emit_token(kbs_text__analyzer *a, run *r, size_t start, size_t end,
			     unsigned pos, unsigned flags)
{
	kbs_status rc;
	/* "S.A.V." is the word "sav" that visitors type. A cheap look at the
	 * byte after the first character first: this runs on every word. */
	size_t first = kbs_utf8_prefix(a->term.data, a->term.len, 1);
	if (first < a->term.len && a->term.data[first] == '.' && !(flags & (KBS_TOK_NUM | KBS_TOK_IDEO)) &&
	    dotted_acronym(&a->term) && dotted_acronym(&a->exact)) {
		drop_dots(&a->term);
		drop_dots(&a->exact);
	}
	size_t cuts[ALNUM_MAX_RUNS + 1], runs;
	if (!(flags & KBS_TOK_IDEO) && (runs = alnum_runs(&a->term, &a->exact, cuts)) > 1 &&
	    spelt_at_end(r, start, end, &a->term))
		return emit_runs(a, r, end, pos, flags, cuts, runs);
	size_t h = r->join_n ? kbs_text__hyphen_len(r->text + r->join_end, r->len - r->join_end) : 0;
	bool linked = h && r->join_end + h == start;
	bool part = !(flags & (KBS_TOK_NUM | KBS_TOK_IDEO)) &&
		    (linked || kbs_text__hyphen_len(r->text + end, r->len - end));
	if ((!linked || !part) && (rc = end_compound(a, r)) != KBS_OK)
		return rc;
	if (part) {
		if (r->join_n == 0) {
			buf_set(&a->join_term, a->term.data, a->term.len);
			buf_set(&a->join_exact, a->exact.data, a->exact.len);
			r->join_start = start;
			r->join_pos = pos;
		} else if (a->join_term.len <= KBS_TEXT_MAX_TERM) { /* else too long already */
			kbs_buf_add(&a->join_term, a->term.data, a->term.len);
			kbs_buf_add(&a->join_exact, a->exact.data, a->exact.len);
		}
		if (a->join_term.oom || a->join_exact.oom)
			return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		r->join_n++;
		r->join_end = end;
	}
	return emit_word(a, r, start, end, pos, flags);
}

/* Analyses text[from..to) with ICU: NFC, word boundaries, folding. The
 * range must start and end where UAX #29 and NFC see it as separate from
 * its neighbours (the whole text, or a chunk: see the fast path). */
static kbs_status analyze_icu(kbs_text__analyzer *a, run *r, size_t from, size_t to)
{
	kbs_status rc = KBS_OK;
	UErrorCode st = U_ZERO_ERROR;

	if (!utf8_to_u16(r->text + from, to - from, &a->src, &a->src_off, &a->src_off_cap, from))
		return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");

	/* Most text is NFC already: then the work buffer is the text. */
	const UChar *t = a->src.p;
	const uint32_t *off = a->src_off;
	int32_t n = a->src.len;
	if (unorm2_spanQuickCheckYes(a->nfc, t, n, &st) != n && U_SUCCESS(st)) {
		if ((st = normalize_with_offsets(a, to)) != U_ZERO_ERROR)
			return icu_status(r->err, st, "normalization");
		t = a->norm.p;
		off = a->norm_off;
		n = a->norm.len;
	}
	if (U_FAILURE(st))
		return icu_status(r->err, st, "normalization");

	ubrk_setText(a->bi, t, n, &st);
	if (U_FAILURE(st))
		return icu_status(r->err, st, "word break");

	int32_t start = ubrk_first(a->bi), end;
	for (; (end = ubrk_next(a->bi)) != UBRK_DONE; start = end) {
		int32_t status = ubrk_getRuleStatus(a->bi);
		if (status < UBRK_WORD_NONE_LIMIT)
			continue;
		/* Every word takes a position, even one we drop below, so that
		 * a phrase never matches across a dropped word. */
		unsigned pos = r->pos++;

		int32_t ws = start + elision_len(t + start, end - start);
		const UChar *w = t + ws;
		int32_t wn = end - ws;
		if ((st = fold_word(a, w, wn)) != U_ZERO_ERROR)
			return icu_status(r->err, st, "case folding");
		if (a->term.len == 0 || a->term.len > KBS_TEXT_MAX_TERM)
			continue;

		unsigned flags = ws != start ? ELIDED : 0;
		UChar32 first;
		U16_GET(w, 0, 0, wn, first);
		if (u_isdigit(first))
			flags |= KBS_TOK_NUM;
		else if (is_ideo(w, wn, status))
			flags |= KBS_TOK_IDEO;
		rc = emit_token(a, r, off[start], word_end(off, n, end), pos, flags);
		if (rc != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

/* ---- the fast path ---- */

/*
 * Most of a help center's text is Latin words between spaces and common
 * punctuation, which ICU segments as UAX #29 says with no surprise:
 * letters and digits run together, a few marks join them (an apostrophe or
 * a full stop between letters or between digits, a comma between digits),
 * anything else breaks. Yet converting it to UTF-16, running the break
 * iterator's state machine and the normalisers on every word was most of
 * the cost of an analysis, for snippets and indexing alike.
 *
 * So the text is cut at ASCII white space into chunks. UAX #29 and NFC
 * both see a chunk independently of its neighbours: nothing joins across
 * white space except what follows it and extends it (rule WB4: marks,
 * format characters, ZWJ; WB3d: more spaces; a normalisation piece that
 * starts there), and a chunk that starts with one of those is kept with
 * the chunk before. A chunk whose every character has a class is
 * segmented and folded here, a table lookup a character; any other chunk
 * goes through ICU exactly as the whole text used to.
 *
 * The classes are not written down but learnt from the ICU in use, one
 * character at a time on first sight: the class its Word_Break property
 * suggests, or failing that letter or breaker, is kept only when
 * segmenting a probe text (the character beside letters, digits, joiners
 * and breakers) here gives the words ICU gives. ICU's own tailorings ('@'
 * is a letter in ICU 72, ':' no longer joins letters) are learnt the same
 * way, and a future ICU that segments otherwise turns characters back to
 * ICU rather than changing terms. A character's folded forms come from
 * the folding the ICU path uses, and are kept only when folding a word
 * character by character gives what folding it whole gives: the character
 * and its folds are NFC and combine with nothing before them.
 */

static const fast_char fc_none = { .cls = FC_NONE };

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* The character at s[*i] (valid UTF-8), apostrophes mapped as for ICU. */
static inline UChar32 decode(const unsigned char *s, size_t *i)
{
	size_t k = *i;
	UChar32 c = s[k];
	if (c < 0x80) {
		*i = k + 1;
		return c;
	}
	if (c >= 0xF0) {
		c = (c & 0x07) << 18 | (s[k + 1] & 0x3F) << 12 | (s[k + 2] & 0x3F) << 6 |
		    (s[k + 3] & 0x3F);
		*i = k + 4;
	} else if (c >= 0xE0) {
		c = (c & 0x0F) << 12 | (s[k + 1] & 0x3F) << 6 | (s[k + 2] & 0x3F);
		*i = k + 3;
	} else {
		c = (c & 0x1F) << 6 | (s[k + 1] & 0x3F);
		*i = k + 2;
	}
	return map_apostrophe(c);
}

static inline int fc_index(UChar32 c)
{
	if (c < FC_LATIN_END)
		return (int)c;
	if (c >= FC_PUNCT_START && c < FC_PUNCT_END)
		return FC_LATIN_END + (int)(c - FC_PUNCT_START);
	return -1;
}

/* What is known of c, without learning. */
static inline const fast_char *fc_peek(const kbs_text__analyzer *a, UChar32 c)
{
	int i = fc_index(c);
	return i < 0 ? &fc_none : &a->fc[i];
}

static inline bool fc_in_word(int cls)
{
	return cls == FC_LETTER || cls == FC_DIGIT;
}

/* Bytes an elided prefix and its apostrophe may take: "puisqu'". */
#define ELISION_MAX 7

/* A word's folded forms as fast_word() reads it, with what elision needs:
 * elision_len() asks for at most six ASCII letters, then the word's first
 * apostrophe, then more. Those letters and the apostrophe fold to one
 * byte each, so the prefix is the term's (and exact's) first bytes. */
typedef struct fast_fold {
	char term[KBS_TEXT_MAX_TERM + ELISION_MAX + FC_FOLD_MAX];
	/* Each character folds to at least one byte of term. */
	char exact[FC_FOLD_MAX * (KBS_TEXT_MAX_TERM + ELISION_MAX + FC_FOLD_MAX)];
	size_t tn, en;
	bool full;        /* the term is too long even without a prefix */
	unsigned chars;   /* characters so far */
	bool letters;     /* all of them ASCII letters, up to the first apostrophe */
	bool quote;       /* an apostrophe was seen */
	unsigned apos;    /* index of that apostrophe when it may end a prefix, else 0 */
	bool digit0;      /* u_isdigit() of the first character */
	bool digit1;      /* of the one after the apostrophe */
} fast_fold;

static inline void fold_add(fast_fold *f, const fast_char *e, UChar32 c)
{
	if (f->chars < ELISION_MAX && !f->quote) {
		if (c == '\'') {
			f->quote = true;
			if (f->letters && f->chars > 0)
				f->apos = f->chars;
		} else if ((c | 0x20) < 'a' || (c | 0x20) > 'z') {
			f->letters = false;
		}
	}
	if (f->chars == 0)
		f->digit0 = e->digit;
	else if (f->apos && f->chars == f->apos + 1)
		f->digit1 = e->digit;
	f->chars++;
	if (f->full)
		return;
	if (f->tn + e->term_len > KBS_TEXT_MAX_TERM + ELISION_MAX) {
		f->full = true;
		return;
	}
	if (e->term_len == 1 && e->exact_len == 1) {
		f->term[f->tn++] = e->term[0];
		f->exact[f->en++] = e->exact[0];
	} else {
		memcpy(f->term + f->tn, e->term, e->term_len);
		f->tn += e->term_len;
		memcpy(f->exact + f->en, e->exact, e->exact_len);
		f->en += e->exact_len;
	}
}

/* The next word of the chunk s[*i..end), whose characters all have a
 * class, as [*ws, *we), folded into f when f is not NULL; false when
 * there is none. UAX #29 rules WB5 to WB12 on those classes: letters and
 * digits join, a joiner joins the same two on its both sides, and
 * anything else breaks. */
static inline bool fast_word(const kbs_text__analyzer *a, const unsigned char *s, size_t *i,
			     size_t end, size_t *ws, size_t *we, fast_fold *f)
{
	size_t p = *i;
	const fast_char *e;
	UChar32 c;
	for (;;) {
		if (p >= end) {
			*i = p;
			return false;
		}
		size_t at = p;
		c = decode(s, &p);
		e = fc_peek(a, c);
		if (fc_in_word(e->cls)) {
			*ws = at;
			break;
		}
	}
	int prev = e->cls;
	if (f) {
		f->tn = f->en = 0;
		f->chars = f->apos = 0;
		f->full = f->quote = false;
		f->letters = true;
		f->digit1 = false;
		fold_add(f, e, c);
	}
	while (p < end) {
		size_t q = p;
		c = decode(s, &q);
		e = fc_peek(a, c);
		if (fc_in_word(e->cls)) {
			prev = e->cls;
			if (f)
				fold_add(f, e, c);
			p = q;
			continue;
		}
		if (q < end && (e->cls == FC_MIDL || e->cls == FC_MIDN || e->cls == FC_MIDNL)) {
			size_t r = q;
			UChar32 c2 = decode(s, &r);
			const fast_char *e2 = fc_peek(a, c2);
			if (e2->cls == prev && ((prev == FC_LETTER && e->cls != FC_MIDN) ||
						(prev == FC_DIGIT && e->cls != FC_MIDL))) {
				if (f) {
					fold_add(f, e, c);
					fold_add(f, e2, c2);
				}
				p = r;
				continue;
			}
		}
		break;
	}
	*we = p;
	*i = p;
	return true;
}

/* Whether the word folded in f starts with an elided prefix (see
 * elision_len()). */
static bool fast_elided(const fast_fold *f)
{
	return f->apos && f->chars > f->apos + 1 && kbs_text__is_elision(f->term, f->apos);
}

/* Whether c is NFC and interacts with nothing before it, so that NFC of
 * a text cut before c is NFC of each part. */
static bool nfc_clean(const UNormalizer2 *nfc, UChar32 c)
{
	UErrorCode st = U_ZERO_ERROR;
	UChar u[2];
	int32_t n = 0;
	if (!unorm2_hasBoundaryBefore(nfc, c))
		return false;
	U16_APPEND_UNSAFE(u, n, c);
	UBool yes = unorm2_isNormalized(nfc, u, n, &st);
	return U_SUCCESS(st) && yes;
}

/* UTF-8 of the folded s[0..n) into out (at most FC_FOLD_MAX bytes), when
 * every character of it is nfc_clean(). */
static bool fold_piece(const UNormalizer2 *nfc, const UChar *s, int32_t n, char *out,
		       uint8_t *out_len)
{
	size_t k = 0;
	for (int32_t i = 0; i < n;) {
		UChar32 c;
		U16_NEXT(s, i, n, c);
		if (!nfc_clean(nfc, c))
			return false;
		size_t need = c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
		if (k + need > FC_FOLD_MAX)
			return false;
		if (c < 0x80) {
			out[k++] = (char)c;
		} else if (c < 0x800) {
			out[k++] = (char)(0xC0 | c >> 6);
			out[k++] = (char)(0x80 | (c & 0x3F));
		} else if (c < 0x10000) {
			out[k++] = (char)(0xE0 | c >> 12);
			out[k++] = (char)(0x80 | (c >> 6 & 0x3F));
			out[k++] = (char)(0x80 | (c & 0x3F));
		} else {
			out[k++] = (char)(0xF0 | c >> 18);
			out[k++] = (char)(0x80 | (c >> 12 & 0x3F));
			out[k++] = (char)(0x80 | (c >> 6 & 0x3F));
			out[k++] = (char)(0x80 | (c & 0x3F));
		}
	}
	*out_len = (uint8_t)k;
	return k > 0;
}

/* Fills e with c's folds and returns the class its Word_Break property
 * suggests (FC_NONE: leave it to ICU); nothing is checked against ICU's
 * segmentation yet. *folds: the folds are usable inside a word. */
static int fc_prepare(kbs_text__analyzer *a, UChar32 c, fast_char *e, bool *folds)
{
	memset(e, 0, sizeof *e);
	e->cls = FC_NONE;
	*folds = false;
	if (!nfc_clean(a->nfc, c))
		return FC_NONE;
	UChar u[2];
	int32_t n = 0;
	U16_APPEND_UNSAFE(u, n, c);
	fold_bufs b = { &a->fold, &a->nfd_buf, &a->exact16, &a->term16 };
	*folds = fold_u16(a->nfc, a->nfd, u, n, &b) == U_ZERO_ERROR &&
		 fold_piece(a->nfc, a->exact16.p, a->exact16.len, e->exact, &e->exact_len) &&
		 fold_piece(a->nfc, a->term16.p, a->term16.len, e->term, &e->term_len);
	e->digit = u_isdigit(c);
	switch (u_getIntPropertyValue(c, UCHAR_WORD_BREAK)) {
	case U_WB_ALETTER: return FC_LETTER;
	case U_WB_NUMERIC: return FC_DIGIT;
	case U_WB_MIDLETTER: return FC_MIDL;
	case U_WB_MIDNUM: return FC_MIDN;
	case U_WB_MIDNUMLET:
	case U_WB_SINGLE_QUOTE: return FC_MIDNL;
	case U_WB_OTHER:
	case U_WB_CR:
	case U_WB_LF:
	case U_WB_NEWLINE:
	case U_WB_WSEGSPACE:
	case U_WB_DOUBLE_QUOTE: return FC_SEP;
	default: return FC_NONE;
	}
}

/* The contexts a character is probed in, on either side: nothing, a
 * letter, a digit, each kind of joiner, a breaker. */
static const char *const probe_ctx[] = { "", "a", "1", ".", "'", ",", "-" };

/* The probe's words as ICU finds them, into v (byte ranges), and how many;
 * -1 on failure or when a word is not a plain letter or number one. */
static int probe_icu(kbs_text__analyzer *a, const char *s, size_t n, size_t (*v)[2], int max)
{
	UErrorCode st = U_ZERO_ERROR;
	int count = 0;
	if (!utf8_to_u16(s, n, &a->src, &a->src_off, &a->src_off_cap, 0))
		return -1;
	ubrk_setText(a->bi, a->src.p, a->src.len, &st);
	if (U_FAILURE(st))
		return -1;
	int32_t start = ubrk_first(a->bi), end;
	for (; (end = ubrk_next(a->bi)) != UBRK_DONE; start = end) {
		int32_t status = ubrk_getRuleStatus(a->bi);
		if (status < UBRK_WORD_NONE_LIMIT)
			continue;
		if (status >= UBRK_WORD_KANA || count == max) {
			count = -1;
			break;
		}
		v[count][0] = a->src_off[start];
		v[count][1] = a->src_off[end];
		count++;
	}
	st = U_ZERO_ERROR;
	ubrk_setText(a->bi, no_text, 0, &st);
	return count;
}

/* Whether the fast path, with what a->fc says now, segments a probe text
 * around c as ICU does. */
static bool fc_probe(kbs_text__analyzer *a, UChar32 c)
{
	char x[4], s[512];
	size_t xn = 0, n = 0;
	if (c < 0x80) {
		x[xn++] = (char)c;
	} else if (c < 0x800) {
		x[xn++] = (char)(0xC0 | c >> 6);
		x[xn++] = (char)(0x80 | (c & 0x3F));
	} else {
		x[xn++] = (char)(0xE0 | c >> 12);
		x[xn++] = (char)(0x80 | (c >> 6 & 0x3F));
		x[xn++] = (char)(0x80 | (c & 0x3F));
	}
	/* Every context on the left and right, then the character
	 * repeated, alone and between letters or digits. */
	const size_t nctx = sizeof probe_ctx / sizeof *probe_ctx;
	for (size_t l = 0; l < nctx + 5; l++) {
		for (size_t r = 0; r < (l < nctx ? nctx : 1); r++) {
			const char *left, *right;
			int reps = 1;
			if (l < nctx) {
				left = probe_ctx[l];
				right = probe_ctx[r];
			} else {
				static const char *const sides[5][2] = {
					{ "", "" }, { "a", "a" }, { "1", "1" }, { "", "a" }, { "1", "" },
				};
				left = sides[l - nctx][0];
				right = sides[l - nctx][1];
				reps = l == nctx ? 3 : 2;
			}
			size_t ln = strlen(left), rn = strlen(right);
			if (n + ln + rn + 3 * xn + 1 > sizeof s)
				return false;
			memcpy(s + n, left, ln);
			n += ln;
			for (int k = 0; k < reps; k++) {
				memcpy(s + n, x, xn);
				n += xn;
			}
			memcpy(s + n, right, rn);
			n += rn;
			s[n++] = ' ';
		}
	}

	size_t icu[128][2];
	int ni = probe_icu(a, s, n, icu, 128);
	if (ni < 0)
		return false;
	const unsigned char *u = (const unsigned char *)s;
	int nf = 0;
	size_t i = 0;
	while (i < n) {
		while (i < n && is_ws(u[i]))
			i++;
		size_t end = i;
		while (end < n && !is_ws(u[end]))
			end++;
		for (size_t k = i; k < end;) {
			int cls = fc_peek(a, decode(u, &k))->cls;
			if (cls == FC_UNKNOWN || cls == FC_NONE)
				return false;
		}
		size_t ws, we;
		while (fast_word(a, u, &i, end, &ws, &we, NULL)) {
			if (nf == ni || icu[nf][0] != ws || icu[nf][1] != we)
				return false;
			nf++;
		}
		i = end;
	}
	return nf == ni;
}

/* Learns c's class: the first of the class its properties suggest, a
 * letter, a breaker, that the probe confirms, else FC_NONE. */
static const fast_char *fc_learn(kbs_text__analyzer *a, UChar32 c, fast_char *e)
{
	bool folds;
	int first = fc_prepare(a, c, e, &folds);
	if (first == FC_NONE)
		return e;
	UErrorCode st = U_ZERO_ERROR;
	UScriptCode sc = uscript_getScript(c, &st);
	/* A letter must keep is_ideo() false and the word no number. */
	bool letter = folds && U_SUCCESS(st) && (sc == USCRIPT_LATIN || sc == USCRIPT_COMMON) &&
		      !e->digit;
	const int tries[] = { first, FC_LETTER, FC_SEP };
	for (size_t k = 0; k < sizeof tries / sizeof *tries; k++) {
		int cls = tries[k];
		if ((k > 0 && cls == first) || (cls == FC_LETTER && !letter) ||
		    (cls != FC_SEP && !folds))
			continue;
		e->cls = (uint8_t)cls;
		if (fc_probe(a, c))
			return e;
	}
	e->cls = FC_NONE;
	return e;
}

/* What is known of c, learning it on first sight. */
static inline const fast_char *fc_get(kbs_text__analyzer *a, UChar32 c)
{
	int i = fc_index(c);
	if (i < 0)
		return &fc_none;
	if (a->fc[i].cls == FC_UNKNOWN)
		return fc_learn(a, c, &a->fc[i]);
	return &a->fc[i];
}

/* Sets the classes the probes are made of and checks them against each
 * other, with the white space chunks are cut at; if ICU disagrees on
 * any, the fast path stays off. */
static void fast_init(kbs_text__analyzer *a)
{
	static const char refs[] = "a1.',- \t\n\v\f\r";
	bool folds;
	a->fast_ok = false;
	for (const char *p = refs; *p; p++) {
		fast_char *e = &a->fc[(unsigned char)*p];
		e->cls = (uint8_t)fc_prepare(a, (unsigned char)*p, e, &folds);
		if (e->cls == FC_NONE || (e->cls != FC_SEP && !folds) ||
		    (is_ws((unsigned char)*p) && e->cls != FC_SEP))
			goto fail;
	}
	for (const char *p = refs; *p; p++)
		if (!fc_probe(a, (unsigned char)*p))
			goto fail;
	a->fast_ok = true;
	return;
fail:
	memset(a->fc, 0, sizeof a->fc);
}

/* Whether a chunk may start at s[q], just after white space: what is
 * there extends nothing before it, for UAX #29 and for NFC. */
static bool chunk_starts_at(kbs_text__analyzer *a, const unsigned char *s, size_t q)
{
	if (s[q] < 0x80)
		return true;
	UChar32 c = decode(s, &q);
	/* The classes are only given to such characters. */
	if (fc_get(a, c)->cls != FC_NONE)
		return true;
	int wb = u_getIntPropertyValue(c, UCHAR_WORD_BREAK);
	return wb != U_WB_EXTEND && wb != U_WB_FORMAT && wb != U_WB_ZWJ && wb != U_WB_WSEGSPACE &&
	       unorm2_hasBoundaryBefore(a->nfc, c);
}

/* Analyses the chunk text[from..to), all of whose characters have a
 * class: the words fast_word() finds, elided and folded from the table as
 * analyze_icu() would. */
static kbs_status analyze_fast(kbs_text__analyzer *a, run *r, size_t from, size_t to)
{
	const unsigned char *s = (const unsigned char *)r->text;
	fast_fold f;
	size_t i = from, ws, we;
	while (fast_word(a, s, &i, to, &ws, &we, &f)) {
		unsigned pos = r->pos++;
		size_t skip = 0;
		bool digit = f.digit0;
		unsigned elided = 0;
		if (fast_elided(&f)) {
			skip = f.apos + 1;
			digit = f.digit1;
			elided = ELIDED;
		}
		if (f.full || f.tn == skip || f.tn - skip > KBS_TEXT_MAX_TERM)
			continue;
		if (!buf_set(&a->term, f.term + skip, f.tn - skip) ||
		    !buf_set(&a->exact, f.exact + skip, f.en - skip))
			return kbs_err__set(r->err, KBS_ENOMEM, "out of memory");
		kbs_status rc = emit_token(a, r, ws, we, pos, (digit ? KBS_TOK_NUM : 0) | elided);
		if (rc != KBS_OK)
			return rc;
	}
	return KBS_OK;
}

/* Cuts the text into chunks at white space and analyses each, on the
 * fast path when it can. */
static kbs_status analyze_chunks(kbs_text__analyzer *a, run *r, size_t len)
{
	const unsigned char *s = (const unsigned char *)r->text;
	size_t p = 0;
	while (p < len) {
		while (p < len && is_ws(s[p]))
			p++;
		if (p == len)
			break;
		size_t from = p, to;
		bool fast = true;
		for (;;) {
			while (p < len && !is_ws(s[p])) {
				if (!fast) {
					p++;
				} else if (s[p] < 0x80 && a->fc[s[p]].cls != FC_UNKNOWN) {
					fast = a->fc[s[p++]].cls != FC_NONE;
				} else {
					UChar32 c = decode(s, &p);
					fast = fc_get(a, c)->cls != FC_NONE;
				}
			}
			to = p;
			size_t q = p;
			while (q < len && is_ws(s[q]))
				q++;
			if (q < len && !chunk_starts_at(a, s, q)) {
				fast = false;
				p = q;
				continue;
			}
			break;
		}
		kbs_status rc = fast ? analyze_fast(a, r, from, to) : analyze_icu(a, r, from, to);
		if (rc != KBS_OK)
			return rc;
		p = to;
	}
	return KBS_OK;
}

void kbs_text__analyzer_set_icu_only(kbs_text__analyzer *a, bool on)
{
	a->icu_only = on;
}

bool kbs_text__analyzer_fast(const kbs_text__analyzer *a)
{
	return a->fast_ok && !a->icu_only;
}

kbs_status kbs_text__analyze(kbs_text__analyzer *a, const char *text, size_t len,
			     const char *lang, kbs_text__token_cb cb, void *payload,
			     kbs_err *err)
{
	kbs_status rc = KBS_OK;
	size_t bad = 0;
	run r = { .lang = lang, .cb = cb, .payload = payload, .err = err, .len = len };

	if (!text && len == 0)
		text = "";
	r.text = text;
	/* ICU indexes UTF-16 with int32_t. */
	if (len >= INT32_MAX) {
		rc = kbs_err__set(err, KBS_EINVALID, "text of %zu bytes is too long to analyse",
				  len);
		goto cleanup;
	}
	if (!kbs_utf8_valid(text, len, &bad)) {
		rc = kbs_err__set(err, KBS_EINVALID, "invalid UTF-8 at byte %zu", bad);
		goto cleanup;
	}
	if ((rc = get_stemmer(a, lang, &r.stemmer, err)) != KBS_OK)
		goto cleanup;
	if (a->icu_only || !a->fast_ok)
		rc = analyze_icu(a, &r, 0, len);
	else
		rc = analyze_chunks(a, &r, len);
	if (rc == KBS_OK)
		rc = end_compound(a, &r);
	if (rc == KBS_STOP)
		rc = KBS_OK;
cleanup:
	{
		/* The iterator must not keep pointing at a buffer we may free. */
		UErrorCode st = U_ZERO_ERROR;
		ubrk_setText(a->bi, no_text, 0, &st);
	}
	if (a->src.cap > WORK_KEEP_UNITS || a->norm.cap > WORK_KEEP_UNITS)
		release_work(a);
	return rc;
}
