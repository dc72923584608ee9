/*
 * The analysis pipeline (lib/text) on arbitrary bytes: invalid UTF-8,
 * every script, huge tokens, in each language the targets know. The first
 * byte picks the language; the rest is the text.
 *
 * Every text is analysed twice, on the fast path and through ICU alone,
 * and the two must agree on every field of every token.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "fuzzutil.h"
#include "text/text.h"

static kbs_text__analyzer *an, *icu;

typedef struct seen {
	size_t len;
	size_t last_start, last_end;
	unsigned next_pos;
	unsigned tokens;
	kbs_buf dump; /* every field of every token */
} seen;

static void dump_token(kbs_buf *b, const kbs_text__token *t)
{
	kbs_buf_addf(b, "%s|%zu|%s|%zu|%s|%zu|%s|%zu|%zu-%zu@%u/%u\n", t->term, t->term_len,
		     t->exact, t->exact_len, t->stem, t->stem_len, t->stem2 ? t->stem2 : "(none)",
		     t->stem2_len, t->start, t->end, t->pos, t->flags);
}

static kbs_status on_icu_token(const kbs_text__token *t, void *payload)
{
	dump_token(payload, t);
	return KBS_OK;
}

static void check_term(const char *what, const char *s, size_t len)
{
	if (!s || strlen(s) != len)
		fz_fail("%s: length %zu does not match its text", what, len);
	if (len == 0)
		fz_fail("empty %s", what);
	fz_check_utf8(what, s);
}

static kbs_status on_token(const kbs_text__token *t, void *payload)
{
	seen *s = payload;
	check_term("term", t->term, t->term_len);
	check_term("exact", t->exact, t->exact_len);
	check_term("stem", t->stem, t->stem_len);
	if (t->stem2)
		check_term("stem2", t->stem2, t->stem2_len);
	if (t->term_len > KBS_TEXT_MAX_TERM)
		fz_fail("term of %zu bytes, above KBS_TEXT_MAX_TERM", t->term_len);
	if (t->start >= t->end || t->end > s->len)
		fz_fail("token range [%zu, %zu) in a text of %zu bytes", t->start, t->end, s->len);
	if (t->flags & KBS_TOK_JOINED) {
		/* A compound comes right after its last part, over its parts. */
		if (!s->tokens || t->end != s->last_end || t->start >= s->last_start ||
		    t->pos + 1 >= s->next_pos)
			fz_fail("compound [%zu, %zu)@%u after a part [%zu, %zu)@%u", t->start, t->end,
				t->pos, s->last_start, s->last_end, s->next_pos - 1);
	} else {
		if (s->tokens && t->start < s->last_start)
			fz_fail("token at byte %zu after one at byte %zu", t->start, s->last_start);
		if (t->pos < s->next_pos)
			fz_fail("position %u after %u", t->pos, s->next_pos - 1);
		s->last_start = t->start;
		s->last_end = t->end;
		s->next_pos = t->pos + 1;
	}
	s->tokens++;
	dump_token(&s->dump, t);
	return KBS_OK;
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	kbs_err err;
	if (kbs_text__analyzer_new(&an, &err) != KBS_OK ||
	    kbs_text__analyzer_new(&icu, &err) != KBS_OK)
		fz_fail("analyzer: %s", err.msg);
	kbs_text__analyzer_set_icu_only(icu, true);
	if (!kbs_text__analyzer_fast(an))
		fz_fail("the fast path is off: the comparison would be of ICU with itself");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const char *lang = fz_langs[data[0] & 7];
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	seen s = { .len = len };
	kbs_buf want = { 0 };
	kbs_err err;
	kbs_buf_add(&s.dump, "", 0);
	kbs_buf_add(&want, "", 0);
	kbs_status rc = kbs_text__analyze(an, text, len, lang, on_token, &s, &err);
	kbs_status rc_icu = kbs_text__analyze(icu, text, len, lang, on_icu_token, &want, &err);
	if (s.dump.oom || want.oom)
		fz_fail("out of memory");
	if (rc != rc_icu)
		fz_fail("fast path: %s, ICU: %s", kbs_status_str(rc), kbs_status_str(rc_icu));
	if (strcmp(s.dump.data, want.data) != 0)
		fz_fail("fast path and ICU differ:\n--- ICU\n%s--- fast path\n%s", want.data,
			s.dump.data);
	kbs_buf_free(&s.dump);
	kbs_buf_free(&want);
	size_t bad;
	bool valid = kbs_utf8_valid(text, len, &bad);
	if (rc == KBS_EINVALID && valid)
		fz_fail("valid UTF-8 refused: %s", err.msg);
	if (rc == KBS_OK && !valid)
		fz_fail("invalid UTF-8 accepted");
	if (rc != KBS_OK && rc != KBS_EINVALID)
		fz_fail("analyze returned %s: %s", kbs_status_str(rc), err.msg);
	if (rc == KBS_EINVALID)
		fz_check_utf8("analyzer message", err.msg);

	/* The folding that labels use agrees with the analyzer on validity. */
	char *folded = kbs_text__fold(text, len);
	if ((folded != NULL) != (rc == KBS_OK))
		fz_fail("fold and analyze disagree on whether the text is UTF-8");
	if (folded)
		fz_check_utf8("folded text", folded);
	free(folded);
	return 0;
}
