/*
 * PII redaction of every text the events log stores.
 *
 * One pass from left to right; at each position the first rule that
 * matches wins, in this order, each chosen so an earlier rule cannot eat
 * what a later one would have named better:
 *   1. email    local@domain.tld
 *   2. iban     two letters, two check digits, 11 to 30 letters or digits
 *               (single spaces allowed between groups), mod 97 == 1; the
 *               longest valid candidate ending at a group boundary
 *   3. card     13 to 19 digits, single spaces or dashes between groups,
 *               Luhn-valid
 *   4. phone    see is_phone(); tried on every group boundary of a run of
 *               digit groups, longest first, so "06 12 34 56 78 2 fois"
 *               keeps its "2"; a group may stand in brackets ("(555)
 *               123-4567", "+1 (555) ...")
 *   5. number   8 digits or more in a row (customer and contract numbers,
 *               what the rules above did not recognise)
 * A run counts only at a word boundary (not glued to a letter or digit on
 * its left): "FR76..." is not a phone number followed by letters. Where a
 * space may separate groups, so may a no-break space (U+00A0, U+202F) or a
 * thin space (U+2009): French typography puts them in numbers, and text
 * copied from a web page keeps them (they once let numbers through whole).
 * Shorter numbers stay readable: an order number ("commande 4521") or a
 * date ("2026-03-01") is what support needs, and identifies no one.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "events.h"

#define MIN_LONG_RUN 8

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Bytes of the space at s (a space, a no-break or a thin space), or 0. */
static size_t space_len(const char *s)
{
	if (s[0] == ' ')
		return 1;
	if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0)
		return 2;
	if ((unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
	    ((unsigned char)s[2] == 0xAF || (unsigned char)s[2] == 0x89))
		return 3;
	return 0;
}

/* Where an email starting at or before s[i] == '@' begins and ends. */
static bool match_email(const char *s, size_t at, size_t *start, size_t *end)
{
	static const char local_ok[] = "._%+-";
	size_t b = at;
	while (b > 0 && (is_alnum(s[b - 1]) || strchr(local_ok, s[b - 1])))
		b--;
	if (b == at)
		return false;
	size_t e = at + 1, last_dot = 0;
	while (s[e] && (is_alnum(s[e]) || s[e] == '.' || s[e] == '-')) {
		if (s[e] == '.')
			last_dot = e;
		e++;
	}
	while (e > at + 1 && (s[e - 1] == '.' || s[e - 1] == '-'))
		e--; /* "écrivez à a@b.fr." ends the sentence, not the domain */
	if (last_dot >= e) {
		last_dot = 0;
		for (size_t k = at + 1; k < e; k++)
			if (s[k] == '.')
				last_dot = k;
	}
	if (!last_dot || last_dot + 2 > e || last_dot == at + 1)
		return false;
	for (size_t k = last_dot + 1; k < e; k++)
		if (!isalpha((unsigned char)s[k]))
			return false;
	*start = b;
	*end = e;
	return true;
}

static bool iban_valid(const char *chars, size_t n)
{
	if (n < 15 || n > 34)
		return false;
	/* Move the first four characters to the end, letters become 10..35,
	 * and the number mod 97 must be 1 (ISO 13616). */
	unsigned rem = 0;
	for (size_t k = 0; k < n; k++) {
		char c = chars[(k + 4) % n];
		if (is_digit(c)) {
			rem = (rem * 10 + (unsigned)(c - '0')) % 97;
		} else if (isalpha((unsigned char)c)) {
			unsigned v = (unsigned)(toupper((unsigned char)c) - 'A' + 10);
			rem = (rem * 100 + v) % 97;
		} else {
			return false;
		}
	}
	return rem == 1;
}

static const char *match_digits(const char *s, size_t i, size_t *end, bool check_rest);
static bool match_iban(const char *s, size_t i, size_t *end, bool check_rest);

/* Whether what follows a candidate ending at s[e] in the same run of groups
 * is itself personal data, or nothing: then the candidate is where one
 * piece ends and the next begins. A candidate that leaves digits of the
 * run stranded ("+1-670-068-6858 3745" of a phone number followed by a
 * card number) cut the next piece in two, and its tail went through. */
static bool clean_rest(const char *s, size_t e)
{
	size_t sp = space_len(s + e);
	if (!sp && (s[e] == '.' || s[e] == '-'))
		sp = 1;
	size_t r = e + sp, k = r, end;
	if (!sp || !(is_alnum(s[r]) || s[r] == '('))
		return true; /* the run ends here */
	if (isalpha((unsigned char)s[r]))
		return match_iban(s, r, &end, false);
	while (is_digit(s[k]))
		k++;
	return k - r >= MIN_LONG_RUN || match_digits(s, r, &end, false) != NULL;
}

/* Groups of an IBAN hold digits; one of letters only has 4 of them (a
 * bank code, "GB82 WEST ...", or part of an account number), in an IBAN
 * written in groups of 4. Any other word ends it, and so does a group that
 * begins another IBAN: with them, "... 17 my 4208-9502 ..." or "DE10 ...
 * 26 IT36 B835 ..." once checked by chance, and what followed went
 * through in part. The candidates are then tried as in match_digits. */
static bool match_iban(const char *s, size_t i, size_t *end, bool check_rest)
{
	if (!isalpha((unsigned char)s[i]) || !isalpha((unsigned char)s[i + 1]) || !is_digit(s[i + 2]) ||
	    !is_digit(s[i + 3]))
		return false;
	char chars[40];
	size_t ends[40]; /* for each group boundary: chars so far, and where */
	size_t n = 0, nb = 0, j = i, group = i;
	bool letters_only = true;
	while (n < 34) {
		if (is_alnum(s[j])) {
			letters_only &= isalpha((unsigned char)s[j]) != 0;
			chars[n++] = s[j++];
			if (!is_alnum(s[j]) && nb < 40) {
				size_t e2;
				bool word = letters_only && group > i &&
					    (j - group != 4 || ends[0] - i != 4);
				bool next = check_rest && group > i && j - group == 4 &&
					    isalpha((unsigned char)s[group]) &&
					    isalpha((unsigned char)s[group + 1]) && is_digit(s[group + 2]) &&
					    is_digit(s[group + 3]) && match_iban(s, group, &e2, false);
				if (word || next) {
					n -= j - group;
					break;
				}
				ends[nb++] = j;
			}
			continue;
		}
		size_t sp = space_len(s + j);
		if (sp && is_alnum(s[j + sp]) && n >= 4) {
			j += sp;
			group = j;
			letters_only = true;
		} else {
			break;
		}
	}
	/* Longest first: the end of the IBAN is the last group that checks
	 * and leaves nothing stranded; else the last group that checks. */
	size_t fallback = 0;
	for (size_t b = nb; b-- > 0;) {
		size_t len = 0;
		for (size_t k = i; k < ends[b]; k++)
			len += is_alnum(s[k]);
		if (is_alnum(s[ends[b]]) || !iban_valid(chars, len))
			continue;
		if (!check_rest || clean_rest(s, ends[b])) {
			*end = ends[b];
			return true;
		}
		if (!fallback)
			fallback = ends[b];
	}
	*end = fallback;
	return fallback != 0;
}

static bool luhn(const char *d, size_t n)
{
	unsigned sum = 0;
	for (size_t k = 0; k < n; k++) {
		unsigned v = (unsigned)(d[n - 1 - k] - '0');
		if (k % 2 == 1) {
			v *= 2;
			if (v > 9)
				v -= 9;
		}
		sum += v;
	}
	return sum % 10 == 0;
}

/* French numbers: 0 then 9 digits, 33 (after + or 00) then 9 digits not
 * starting with 0; British: 0 then 10 digits in at most 3 groups ("020
 * 7946 0958", "07700 900123"; a French number in pairs and one more digit
 * is not one); North American: 3-3-4
 * digits in groups, the first 2 to 9, maybe after a group "1" (counts[]
 * holds the digits seen at the end of each group, ngroups of them);
 * international: + or 00, then 8 to 15 digits (E.164). */
static bool is_phone(const char *d, size_t n, bool plus, const size_t *counts, size_t ngroups)
{
	if (!plus && (n == 10 || (n == 11 && ngroups <= 3)) && d[0] == '0' && d[1] >= '1' &&
	    d[1] <= '9')
		return true;
	if (!plus && n == 10 && ngroups == 3 && counts[0] == 3 && counts[1] == 6 && d[0] >= '2')
		return true;
	if (!plus && n == 11 && ngroups == 4 && counts[0] == 1 && counts[1] == 4 && counts[2] == 7 &&
	    d[0] == '1' && d[1] >= '2')
		return true;
	if (plus && n == 11 && !strncmp(d, "33", 2))
		return d[2] != '0';
	if (!plus && n == 13 && !strncmp(d, "0033", 4))
		return d[4] != '0';
	if (plus)
		return n >= 8 && n <= 15;
	if (n >= 10 && n <= 17 && d[0] == '0' && d[1] == '0')
		return true;
	return false;
}

/* A run of digit groups from s[i] ('+', '(' or a digit) with single
 * separators; on a match, the rule's tag and the run's end. Of the
 * candidates, the longest that leaves nothing stranded (clean_rest) wins,
 * a long first group alone (<number>) included; else the longest. One
 * level only (check_rest): the cost stays quadratic in the groups. */
static const char *match_digits(const char *s, size_t i, size_t *end, bool check_rest)
{
	char d[64];
	size_t ends[64], counts[64];
	/* Digits before the first dot or bracket: a card number is written
	 * with spaces or dashes only. */
	size_t plain = SIZE_MAX;
	size_t n = 0, nb = 0, j = i;
	bool plus = s[j] == '+', bracket = false;
	if (plus)
		j++;
	else if (s[j] == '(' && is_digit(s[j + 1])) {
		bracket = true;
		plain = 0;
		j++;
	}
	if (!is_digit(s[j]))
		return NULL;
	while (n < sizeof d) {
		if (is_digit(s[j])) {
			d[n++] = s[j++];
			if (!is_digit(s[j]) && nb < 64) {
				ends[nb] = j;
				counts[nb++] = n;
			}
			continue;
		}
		size_t sp = space_len(s + j);
		if (!sp && (s[j] == '.' || s[j] == '-'))
			sp = 1;
		if (sp && is_digit(s[j + sp])) {
			if (s[j] == '.' && plain > n)
				plain = n;
			j += sp;
			continue;
		}
		/* "+33 (0)6 12 ..." : the (0) is dropped when dialling */
		if (plus && !strncmp(s + j, " (0)", 4) && n == 2) {
			j += 4;
			if (s[j] == ' ')
				j++;
			continue;
		}
		/* An area code in brackets: "(555) 123", "+1 (555) 123". */
		if (bracket && s[j] == ')') {
			bracket = false;
			sp = space_len(s + j + 1);
			if (is_digit(s[j + 1 + sp])) {
				j += 1 + sp;
				continue;
			}
			break;
		}
		if (!bracket && plus && n <= 3 && (s[j] == '(' || (s[j] == ' ' && s[j + 1] == '(')) &&
		    is_digit(s[j + (s[j] == ' ' ? 2 : 1)])) {
			bracket = true;
			if (plain > n)
				plain = n;
			j += s[j] == ' ' ? 2 : 1;
			continue;
		}
		break;
	}
	const char *fallback = NULL;
	for (size_t b = nb; b-- > 0;) {
		if (is_alnum(s[ends[b]]))
			continue;
		size_t c = counts[b];
		const char *tag = NULL;
		if (!plus && c <= plain && c >= 13 && c <= 19 && luhn(d, c))
			tag = "<card>";
		else if (is_phone(d, c, plus, counts, b + 1))
			tag = "<phone>";
		if (!tag)
			continue;
		if (!check_rest || clean_rest(s, ends[b])) {
			*end = ends[b];
			return tag;
		}
		if (!fallback) {
			fallback = tag;
			*end = ends[b];
		}
	}
	/* A long first group on its own, when that splits the run cleanly
	 * ("9931839672 4021-1391-6652-6", a number then a card). */
	if (check_rest && nb > 1 && !plus && s[i] != '(' && counts[0] >= MIN_LONG_RUN &&
	    clean_rest(s, ends[0])) {
		*end = ends[0];
		return "<number>";
	}
	return fallback;
}

/* Pass 1: emails, over the whole text, since one may start anywhere in a
 * word (and hold digits that pass 2 would take for a number). */
static char *redact_emails(const char *s)
{
	kbs_buf out = { 0 };
	size_t copied = 0;
	kbs_buf_add(&out, "", 0);
	for (size_t i = 0; s[i]; i++) {
		size_t start, end;
		if (s[i] == '@' && match_email(s, i, &start, &end) && start >= copied) {
			kbs_buf_add(&out, s + copied, start - copied);
			kbs_buf_adds(&out, "<email>");
			copied = end;
			i = end - 1;
		}
	}
	kbs_buf_adds(&out, s + copied);
	return kbs_buf_steal(&out);
}

char *kbs_events__redact(const char *text)
{
	char *s = redact_emails(text);
	if (!s)
		return NULL;
	kbs_buf out = { 0 };
	size_t len = strlen(s), i = 0, copied = 0;
	kbs_buf_add(&out, "", 0);
	while (i < len) {
		const char *tag = NULL;
		size_t end = i;
		bool boundary = i == 0 || !is_alnum(s[i - 1]);
		if (boundary && isalpha((unsigned char)s[i])) {
			if (match_iban(s, i, &end, true))
				tag = "<iban>";
		} else if (boundary && (is_digit(s[i]) || s[i] == '+' || s[i] == '(')) {
			tag = match_digits(s, i, &end, true);
		}
		if (!tag && is_digit(s[i]) && (i == 0 || !is_digit(s[i - 1]))) {
			/* What is left: a long run, even glued to a letter
			 * ("ref12345678"). */
			size_t e = i;
			while (is_digit(s[e]))
				e++;
			if (e - i >= MIN_LONG_RUN) {
				tag = "<number>";
				end = e;
			}
		}
		if (tag) {
			kbs_buf_add(&out, s + copied, i - copied);
			kbs_buf_adds(&out, tag);
			copied = i = end;
			continue;
		}
		i++;
	}
	kbs_buf_add(&out, s + copied, len - copied);
	free(s);
	return kbs_buf_steal(&out);
}

kbs_status kbs_redact(char **out, const char *text)
{
	if (out)
		*out = NULL;
	if (!out || !text)
		return KBS_EINVALID;
	*out = kbs_events__redact(text);
	return *out ? KBS_OK : KBS_ENOMEM;
}
