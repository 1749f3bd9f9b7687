/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the decoders that read kernel dumps and foreign requests.
 *
 * Input bytes are a netem TCA_OPTIONS payload, a tbf one, and a netlink error reply. Besides
 * "no crash, no out-of-bounds read" (ASan/UBSan), one property: whatever decodes and
 * validates must encode, and decoding that encoding gives the same values back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fl/netem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t buf[FL_NETEM_MSG_MAX];

static void check_round_trip(const struct fl_netem_spec *spec)
{
	struct fl_netem_spec again;
	ssize_t n;

	if (fl_netem_validate(spec, NULL) < 0)
		return;
	n = fl_netem_encode_options(spec, buf, sizeof(buf));
	if (n < 4)
		abort(); /* a valid spec must always encode */
	if (fl_netem_decode_options(buf + 4, (size_t)n - 4, &again, NULL) < 0)
		abort(); /* and our own bytes must always decode */
	if (fl_netem_percent_to_u32(again.loss.percent) !=
		    fl_netem_percent_to_u32(spec->loss.percent) ||
	    again.delay_ns != spec->delay_ns || again.jitter_ns != spec->jitter_ns ||
	    again.rate_bytes_per_s != spec->rate_bytes_per_s ||
	    again.limit != (spec->limit ? spec->limit : FL_NETEM_DEFAULT_LIMIT) ||
	    again.loss.model != spec->loss.model || again.slot.enabled != spec->slot.enabled)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_netem_spec spec;
	struct fl_tbf_spec tbf;
	struct fl_diag diag;

	/* Copy into an exact-size heap block so ASan sees any read past the end. */
	uint8_t *copy = malloc(size ? size : 1);

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (fl_netem_decode_options(copy, size, &spec, &diag) == 0)
		check_round_trip(&spec);
	(void)fl_tbf_decode_options(copy, size, &tbf, &diag);
	(void)fl_nl_parse_error(copy, size, &diag);
	free(copy);
	return 0;
}
