/*
 * Synonyms: the Solr synonyms.txt format, one set per language, kept in the
 * knowledge-base home as KB/synonyms.<lang>.txt and applied at query time
 * only (changing them never needs a re-index).
 *
 * Format (what Solr, Elasticsearch and OpenSearch read):
 *   # a comment line                  blank lines are ignored too
 *   mot de passe, mdp, code d'accès   equivalent: each finds the others
 *   annuler, arrêter => résilier      one-way: the left finds the right,
 *                                     never the reverse
 * Entries may be several words; `\` escapes the next character (`\,`).
 * Each entry is analysed by lib/text in the set's language, exactly as a
 * query is, so "Mot-de-passe", "mots de passe" and "mot de passe" are one.
 *
 * Freshness: a search stats KB/synonyms.<lang>.txt (a few microseconds) and
 * reloads the set when its inode, size or mtime changed. Loading writes a
 * new file and renames it into place, so any process searching the same
 * knowledge base sees the new set at its next search, and never half a
 * file. A file edited by hand into something unreadable is ignored (the
 * language then has no synonyms) until it is fixed or loaded again.
 */
#ifndef KBS_SYNONYMS_H
#define KBS_SYNONYMS_H

#include "../kb.h"

/* Words in one entry, entries in one rule, bytes in one file. */
#define KBS_SYN_MAX_WORDS 8
#define KBS_SYN_MAX_ENTRIES 64
#define KBS_SYN_MAX_BYTES (1u << 20)

/* ---- parsing (text only) ---- */

typedef struct kbs_syn__rule {
	unsigned line;
	bool oneway;
	kbs_strlist from; /* equivalence: every entry; one-way: the left side */
	kbs_strlist to;   /* one-way: the right side; equivalence: empty */
} kbs_syn__rule;

typedef struct kbs_syn__rules {
	kbs_syn__rule *v;
	size_t n, cap;
} kbs_syn__rules;

/* Parses text[0..len). On a bad line, KBS_EINVALID with "NAME:LINE:
 * message" in err (the first bad line). KBS_ENOMEM. *out is emptied first
 * and must be freed with kbs_syn__rules_free whatever the result. */
kbs_status kbs_syn__parse(kbs_syn__rules *out, const char *name, const char *text, size_t len,
			  kbs_err *err);
void kbs_syn__rules_free(kbs_syn__rules *r);

/* ---- a compiled set: entries analysed in the set's language ---- */

typedef struct kbs_syn__entry {
	char *text;  /* as written */
	size_t n;    /* words */
	char **key;  /* per word: its stem, or the folded word for a stop word */
	char **term; /* per word: the folded word */
	char **stem; /* per word: the folded stem */
	char **stem2; /* per word: the stem of the word without accents when
		       * it differs (text.h `stem2`), else NULL */
	bool *stop;
} kbs_syn__entry;

typedef struct kbs_syn__crule {
	kbs_syn__entry *e;
	size_t ne;
	size_t nfrom; /* e[0..nfrom) match the query; equivalence: nfrom == ne */
	bool oneway;  /* targets are e[nfrom..ne); equivalence: all of e */
	unsigned line;
} kbs_syn__crule;

typedef struct kbs_syn__set {
	char lang[8];
	kbs_syn__crule *rules;
	size_t nrules;
	unsigned refs; /* guarded by kb->lock */
} kbs_syn__set;

/* The entry a rule maps to, for the query key: one-way, the first entry of
 * the right side; equivalence, the first entry. */
const kbs_syn__entry *kbs_syn__canonical(const kbs_syn__crule *r);

/* Whether two entries match the same words (their keys). */
bool kbs_syn__same_keys(const kbs_syn__entry *a, const kbs_syn__entry *b);

/* Analyses rules in `lang` into a set (refs = 1). An entry with no word
 * is KBS_EINVALID with "NAME:LINE: ..." in err. */
kbs_status kbs_syn__compile(kbs_syn__set **out, const kbs_syn__rules *rules, const char *lang,
			    const char *name, kbs_text__analyzer *an, kbs_err *err);

/* The set in force for `lang`, reloaded when its file changed; *out NULL
 * when the language has none. Release with kbs_syn__release. Uses ctx's
 * analyzer. Never fails on a bad file (see above); KBS_ENOMEM. */
kbs_status kbs_syn__get(kbs_kb *kb, kbs_ctx *ctx, const char *lang, kbs_syn__set **out,
			kbs_err *err);
void kbs_syn__release(kbs_kb *kb, kbs_syn__set *s);

/* Frees the per-handle cache (kbs_close). */
void kbs_syn__cache_free(struct kbs_syn__cache *c);

/* Whether `lang` is a language code we keep synonyms for: 2 or 3 ASCII
 * letters, copied lower case into out[8]. */
bool kbs_syn__lang_ok(const char *lang, char out[8]);

#endif
