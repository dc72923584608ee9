/*
 * Passages for answer mode: the part of an article's body that answers the
 * question. Bodies are stored as plain text with paragraphs separated by
 * blank lines (a Markdown heading and each list item are paragraphs of
 * their own), so the candidates are blocks of paragraphs:
 *   - consecutive list items ("1. ...", "- ...") form one block: a
 *     procedure is answered whole, not by its third step;
 *   - a heading (a short line that does not end a sentence) joins the block
 *     after it: "Résilier en ligne" says what the steps below it are for.
 * Each block scores the idf of the distinct query words it holds (by the
 * word, its stem in the article's language, a synonym or close spelling,
 * or a longer word the word being typed begins); the best wins, the
 * earliest on a tie.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "query.h"

/* Longest passage returned, in bytes; a longer block is cut at a
 * paragraph's end. */
#define PASSAGE_MAX 1200
#define HEADING_MAX 80

typedef struct para {
	size_t start, end;
	bool item, heading;
} para;

typedef struct scorer {
	const kbs_query__plan *p;
	bool seen[64];
	double score;
} scorer;

static kbs_status score_token(const kbs_text__token *t, void *payload)
{
	scorer *s = payload;
	char stem[KBS_TEXT_MAX_TERM * 2 + 1];
	snprintf(stem, sizeof stem, "%.*s", (int)t->stem_len, t->stem);
	for (size_t i = 0; i < s->p->nwords && i < 64; i++) {
		const kbs_query__word *w = &s->p->words[i];
		if (!w->used || s->seen[i])
			continue;
		bool stop = (t->flags & KBS_TOK_STOP) != 0;
		if (strcmp(w->term, t->term) == 0 || kbs_strlist_contains(&w->alt_words, t->term) ||
		    (!stop && (kbs_strlist_contains(&w->stems, stem) ||
			       kbs_strlist_contains(&w->alt_stems, stem))) ||
		    (w->prefix && strncmp(t->term, w->term, strlen(w->term)) == 0)) {
			s->seen[i] = true;
			s->score += w->idf;
		}
	}
	return KBS_OK;
}

static bool is_item(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i > 0 && i + 1 < n && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ')
		return true;
	return n > 2 && (s[0] == '-' || s[0] == '*') && s[1] == ' ';
}

static bool is_heading(const char *s, size_t n)
{
	if (n == 0 || n > HEADING_MAX || memchr(s, '\n', n))
		return false;
	char last = s[n - 1];
	return last != '.' && last != ':' && last != ';' && last != ',';
}

static bool blank_line_at(const char *s, size_t i, size_t n, size_t *after)
{
	/* "\n" then optional spaces then "\n" */
	if (s[i] != '\n')
		return false;
	size_t j = i + 1;
	while (j < n && (s[j] == ' ' || s[j] == '\t' || s[j] == '\r'))
		j++;
	if (j < n && s[j] == '\n') {
		*after = j + 1;
		return true;
	}
	return false;
}

kbs_status kbs_query__passage(char **out, kbs_text__analyzer *an, const char *body,
			      const char *lang, const kbs_query__plan *p, kbs_err *err)
{
	kbs_status rc = KBS_OK;
	para *v = NULL;
	size_t n = 0, cap = 0, len = strlen(body);
	*out = NULL;

	/* Paragraphs, trimmed. */
	size_t s = 0;
	for (size_t i = 0; i <= len; i++) {
		size_t after = 0;
		if (i < len && !blank_line_at(body, i, len, &after))
			continue;
		size_t a = s, e = i;
		while (a < e && (body[a] == ' ' || body[a] == '\n' || body[a] == '\t' || body[a] == '\r'))
			a++;
		while (e > a && (body[e - 1] == ' ' || body[e - 1] == '\n' || body[e - 1] == '\t' ||
				 body[e - 1] == '\r'))
			e--;
		if (e > a) {
			if (!kbs_grow(&v, &cap, n, sizeof *v, 16)) {
				rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
				goto cleanup;
			}
			bool item = is_item(body + a, e - a);
			v[n++] = (para){ a, e, item, !item && is_heading(body + a, e - a) };
		}
		if (i == len)
			break;
		s = after;
		i = after - 1;
	}

	/* Blocks: [i, j) of paragraphs. */
	size_t best_from = 0, best_to = 0;
	double best = -1;
	for (size_t i = 0; i < n;) {
		size_t j = i + 1;
		if (v[i].heading && j < n && !v[j].heading)
			j++;
		if (v[j - 1].item)
			while (j < n && v[j].item)
				j++;
		scorer sc = { .p = p };
		rc = kbs_text__analyze(an, body + v[i].start, v[j - 1].end - v[i].start, lang, score_token,
				       &sc, err);
		if (rc != KBS_OK)
			goto cleanup;
		if (sc.score > best) {
			best = sc.score;
			best_from = i;
			best_to = j;
		}
		i = j;
	}
	if (n == 0)
		goto cleanup;
	/* Cut a long block at the end of a paragraph (the first one is kept
	 * whole whatever its size). */
	size_t end = v[best_from].end;
	for (size_t k = best_from + 1; k < best_to && v[k].end - v[best_from].start <= PASSAGE_MAX; k++)
		end = v[k].end;
	*out = kbs_strndup(body + v[best_from].start, end - v[best_from].start);
	if (!*out)
		rc = kbs_err__set(err, KBS_ENOMEM, "out of memory");
cleanup:
	free(v);
	return rc;
}
