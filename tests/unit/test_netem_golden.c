/* SPDX-License-Identifier: MIT */
/*
 * Golden bytes: for every case in tests/data/netem-golden/cases.txt, the TCA_OPTIONS payload
 * we encode from the same tc option words must equal what iproute2's `tc` sent
 * (recorded by scripts/record-tc-golden.sh). Two documented, deliberate differences:
 *
 *  - a delay that is not a whole number of 64 ns ticks: tc truncates it; we append the exact
 *    value as TCA_NETEM_LATENCY64/JITTER64 (tc's bytes are then a prefix of ours);
 *  - a duplicate correlation given without any other correlation: tc forgets to send
 *    TCA_NETEM_CORR (the kernel then ignores the correlation); we send it.
 *
 * Also: decoding tc's bytes and encoding the result gives tc's bytes back.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/pkt_sched.h>

#include "fl/hex.h"
#include "fl/netem.h"
#include "fltest.h"

#define GOLDEN_DIR "tests/data/netem-golden"
#define MAX_WORDS  64

struct golden_case {
	char name[96];
	char line[512];
	char *words[MAX_WORDS];
	int n_words;
};

static int load_cases(struct golden_case **ret, int *ret_n)
{
	char *text = fltest_read_file(GOLDEN_DIR "/cases.txt", NULL), *save = NULL, *line;
	struct golden_case *cases = calloc(256, sizeof(*cases));
	int n = 0;

	if (!text || !cases)
		return -ENOENT;
	for (line = strtok_r(text, "\n", &save); line && n < 256;
	     line = strtok_r(NULL, "\n", &save)) {
		struct golden_case *c = &cases[n];
		char *tab = strchr(line, '\t'), *wsave = NULL, *w;

		if (line[0] == '#' || !tab)
			continue;
		*tab = '\0';
		(void)snprintf(c->name, sizeof(c->name), "%s", line);
		(void)snprintf(c->line, sizeof(c->line), "%s", tab + 1);
		for (w = strtok_r(c->line, " \t", &wsave); w && c->n_words < MAX_WORDS;
		     w = strtok_r(NULL, " \t", &wsave))
			c->words[c->n_words++] = w;
		n++;
	}
	free(text);
	*ret = cases;
	*ret_n = n;
	return 0;
}

static ssize_t load_hex(const char *name, uint8_t *buf, size_t size)
{
	char path[256];
	char *text;
	ssize_t n;

	(void)snprintf(path, sizeof(path), GOLDEN_DIR "/%s.opts.hex", name);
	text = fltest_read_file(path, NULL);
	if (!text)
		FL_FAIL("cannot read %s", path);
	n = fl_hex_parse(text, buf, size);
	free(text);
	if (n < 0)
		FL_FAIL("%s: not hex (%zd)", path, n);
	return n;
}

/* Our TCA_OPTIONS payload for a golden case (after the 4-byte attribute header). */
static size_t encode_case(const struct golden_case *c, uint8_t *buf, size_t size)
{
	struct fl_diag diag = { 0 };
	struct fl_netem_spec spec;
	ssize_t n;

	if (fl_netem_parse_tc(c->n_words, c->words, &spec, &diag) < 0)
		FL_FAIL("%s: parse \"%s\": %s", c->name, c->line, diag.msg);
	n = fl_netem_encode_options(&spec, buf, size);
	if (n < 4)
		FL_FAIL("%s: encode failed: %zd", c->name, n);
	memmove(buf, buf + 4, (size_t)n - 4);
	return (size_t)n - 4;
}

/* Remove the first attribute of `type` after the qopt struct; returns the new length. */
static size_t strip_attr(uint8_t *buf, size_t len, uint16_t type)
{
	size_t off = sizeof(struct tc_netem_qopt);

	while (off + 4 <= len) {
		uint16_t alen, atype;

		memcpy(&alen, buf + off, 2);
		memcpy(&atype, buf + off + 2, 2);
		if (alen < 4)
			break;
		alen = (uint16_t)((alen + 3u) & ~3u);
		if ((atype & 0x3fff) == type) {
			memmove(buf + off, buf + off + alen, len - off - alen);
			return len - alen;
		}
		off += alen;
	}
	return len;
}

static uint8_t want[FL_NETEM_MSG_MAX], got[FL_NETEM_MSG_MAX];

/* The two documented differences, recognised from the spec (not from case names). */
static bool dup_corr_alone(const struct fl_netem_spec *s)
{
	return s->duplicate_correlation > 0 && s->delay_correlation == 0 &&
	       s->loss.correlation == 0 && s->reorder_correlation == 0 &&
	       s->corrupt_correlation == 0;
}

static bool not_tick_exact(const struct fl_netem_spec *s)
{
	return s->delay_ns % 64 != 0 || s->jitter_ns % 64 != 0;
}

FLTEST(golden_cases_exist)
{
	struct golden_case *cases;
	int n;

	FL_ASSERT_MSG(load_cases(&cases, &n) == 0, "cannot read " GOLDEN_DIR "/cases.txt");
	fltest_log("%d golden cases", n);
	FL_ASSERT_MSG(n >= 25, "only %d golden cases, the suite wants at least 25", n);
	free(cases);
}

FLTEST(golden_bytes_equal_tc)
{
	struct golden_case *cases;
	int n, compared = 0;

	FL_ASSERT(load_cases(&cases, &n) == 0);
	for (int i = 0; i < n; i++) {
		const struct golden_case *c = &cases[i];
		size_t wlen = (size_t)load_hex(c->name, want, sizeof(want));
		size_t glen = encode_case(c, got, sizeof(got));

		struct fl_netem_spec spec;
		struct fl_diag diag = { 0 };

		FL_ASSERT(fl_netem_parse_tc(c->n_words, c->words, &spec, &diag) == 0);
		if (dup_corr_alone(&spec)) {
			/* tc omits TCA_NETEM_CORR here; without it our bytes are tc's. */
			FL_ASSERT_MSG(glen == wlen + 16,
				      "%s: expected exactly one extra CORR "
				      "attribute (%zu vs %zu bytes)",
				      c->name, glen, wlen);
			glen = strip_attr(got, glen, TCA_NETEM_CORR);
		} else if (not_tick_exact(&spec)) {
			/* tc truncates to ticks; we add the exact value after tc's bytes. */
			FL_ASSERT_MSG(glen > wlen, "%s: expected a LATENCY64/JITTER64 suffix",
				      c->name);
			glen = strip_attr(got, glen, TCA_NETEM_LATENCY64);
			glen = strip_attr(got, glen, TCA_NETEM_JITTER64);
		}
		if (glen != wlen || memcmp(got, want, wlen) != 0)
			fltest_log("case %s: tc netem %s", c->name, c->line);
		FL_ASSERT_MEMEQ(got, glen, want, wlen);
		compared++;
	}
	fltest_log("%d cases byte-identical to tc's TCA_OPTIONS", compared);
	free(cases);
}

FLTEST(golden_decode_then_encode_gives_tc_bytes)
{
	struct golden_case *cases;
	int n;

	FL_ASSERT(load_cases(&cases, &n) == 0);
	for (int i = 0; i < n; i++) {
		const struct golden_case *c = &cases[i];
		size_t wlen = (size_t)load_hex(c->name, want, sizeof(want));
		struct fl_diag diag = { 0 };
		struct fl_netem_spec spec;
		ssize_t glen;

		FL_ASSERT(fl_netem_parse_tc(c->n_words, c->words, &spec, &diag) == 0);
		if (dup_corr_alone(&spec) || not_tick_exact(&spec))
			continue; /* tc's bytes there are not what tc was asked for */
		if (fl_netem_decode_options(want, wlen, &spec, &diag) < 0)
			FL_FAIL("%s: decode: %s", c->name, diag.msg);
		glen = fl_netem_encode_options(&spec, got, sizeof(got));
		if (glen < 4)
			FL_FAIL("%s: re-encode failed (%zd)", c->name, glen);
		FL_ASSERT_MEMEQ(got + 4, (size_t)glen - 4, want, wlen);
	}
	free(cases);
}

FLTEST(golden_format_then_parse_gives_same_bytes)
{
	struct golden_case *cases;
	int n;

	FL_ASSERT(load_cases(&cases, &n) == 0);
	for (int i = 0; i < n; i++) {
		const struct golden_case *c = &cases[i];
		struct fl_diag diag = { 0 };
		struct fl_netem_spec spec, again;
		char text[512], *words[MAX_WORDS], *save = NULL;
		int nw = 0;
		size_t glen;
		ssize_t alen;

		glen = encode_case(c, got, sizeof(got));
		FL_ASSERT(fl_netem_parse_tc(c->n_words, c->words, &spec, &diag) == 0);
		fl_netem_format_tc(&spec, text, sizeof(text));
		for (char *w = strtok_r(text, " ", &save); w && nw < MAX_WORDS;
		     w = strtok_r(NULL, " ", &save))
			words[nw++] = w;
		if (fl_netem_parse_tc(nw, words, &again, &diag) < 0)
			FL_FAIL("%s: our own rendering does not parse: %s", c->name, diag.msg);
		alen = fl_netem_encode_options(&again, want, sizeof(want));
		FL_ASSERT(alen > 4);
		FL_ASSERT_MEMEQ(want + 4, (size_t)alen - 4, got, glen);
	}
	free(cases);
}
