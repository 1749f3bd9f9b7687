/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the tc-syntax parsers (netem, tbf, targets), fed whitespace-separated
 * words. Whatever parses must validate, encode, and render back to text that parses again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fl/netem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[FL_NETEM_MSG_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *words[64], *save = NULL, rendered[1024];
	struct fl_netem_spec spec;
	struct fl_tbf_spec tbf;
	struct fl_netem_match m;
	struct fl_diag diag;
	int n = 0;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	(void)fl_netem_match_parse(text, false, &m, &diag);
	for (char *w = strtok_r(text, " \t\n", &save); w && n < 64;
	     w = strtok_r(NULL, " \t\n", &save))
		words[n++] = w;
	if (fl_netem_parse_tc(n, words, &spec, &diag) == 0) {
		if (fl_netem_validate(&spec, NULL) < 0 ||
		    fl_netem_encode_options(&spec, buf, sizeof(buf)) < 4)
			abort();
		fl_netem_format_tc(&spec, rendered, sizeof(rendered));
	}
	(void)fl_tbf_parse_tc(n, words, &tbf, &diag);
	free(text);
	return 0;
}
