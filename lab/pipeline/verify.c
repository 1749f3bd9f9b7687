/* SPDX-License-Identifier: MIT */
/*
 * verify — the data-integrity check every lab experiment ends with (README.md): compares
 * the loader's --acked file (every record Kafka acknowledged) with what the connector's
 * sink holds. lost = acknowledged but not stored; duplicates = a seq found in two slots
 * (impossible by the sink's design, checked anyway by scanning every slot). The check itself
 * is integrity.c's, shared with the controller's `integrity` hook module.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flags.h"
#include "pipeline.h"
#include "integrity.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: verify --acked FILE --sink DIR [--json]\n"
		   "Compares the loader's acknowledged seqs with the connector's sink.\n"
		   "Exit: 0 lost == 0 and duplicates == 0 and no corrupt slot, 1 otherwise,\n"
		   "      2 an input cannot be read, 64 bad flags.\n");
}

int main(int argc, char **argv)
{
	const char *acked_path = NULL, *sink_dir = NULL;
	struct fl_integrity res;
	struct fl_diag diag = { 0 };
	bool as_json = false;
	const struct fl_pipe_flag flags[] = {
		{ .name = "acked",
		  .kind = FL_PIPE_FLAG_STR,
		  .dest = &acked_path,
		  .required = true },
		{ .name = "sink", .kind = FL_PIPE_FLAG_STR, .dest = &sink_dir, .required = true },
		{ .name = "json", .kind = FL_PIPE_FLAG_BOOL, .dest = &as_json },
		{ 0 },
	};
	int r = fl_pipe_parse_flags("verify", argc, argv, flags, usage);

	if (r >= 0)
		return r;
	r = fl_integrity_check(acked_path, sink_dir, UINT64_MAX, &res, &diag);
	if (r < 0) {
		fprintf(stderr, "verify: %s\n", diag.msg);
		return FL_PIPE_EXIT_IO;
	}
	bool ok = fl_integrity_ok(&res);
	if (as_json) {
		json_t *out = json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:O, s:O, s:O}",
			"ok", ok, "acknowledged", (json_int_t)res.acknowledged, "in_sink",
			(json_int_t)res.in_sink, "lost", (json_int_t)res.lost, "duplicates",
			(json_int_t)res.duplicates, "gaps", (json_int_t)res.gaps, "missing_in_gaps",
			(json_int_t)res.missing_in_gaps, "redeliveries",
			(json_int_t)res.redeliveries, "unacknowledged_in_sink",
			(json_int_t)res.unacknowledged, "corrupt_slots",
			(json_int_t)res.corrupt_slots, "misplaced_slots",
			(json_int_t)res.misplaced_slots, "acked_repeated",
			(json_int_t)res.acked_repeated, "acked_bad_lines",
			(json_int_t)res.acked_bad_lines, "max_seq", (json_int_t)res.max_seq,
			"lost_seqs", res.lost_seqs, "duplicate_seqs", res.duplicate_seqs,
			"gap_ranges", res.gap_ranges);

		if (!out || json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0) {
			fprintf(stderr, "verify: out of memory\n");
			json_decref(out);
			fl_integrity_fini(&res);
			return FL_PIPE_EXIT_IO;
		}
		putchar('\n');
		json_decref(out);
	} else {
		printf("acknowledged:   %" PRIu64 "\n"
		       "in sink:        %" PRIu64 "\n"
		       "lost:           %" PRIu64 "\n"
		       "duplicates:     %" PRIu64 "\n"
		       "gaps:           %" PRIu64 " (%" PRIu64 " seqs)\n"
		       "re-deliveries:  %" PRIu64 "\n"
		       "unacknowledged in sink: %" PRIu64 "\n"
		       "corrupt slots:  %" PRIu64 "\n"
		       "verdict:        %s\n",
		       res.acknowledged, res.in_sink, res.lost, res.duplicates, res.gaps,
		       res.missing_in_gaps, res.redeliveries, res.unacknowledged, res.corrupt_slots,
		       ok ? "OK" : "FAILED");
		if (res.lost) {
			char *text = json_dumps(res.lost_seqs, JSON_COMPACT);

			printf("first lost seqs: %s\n", text ? text : "?");
			free(text);
		}
	}
	fl_integrity_fini(&res);
	return ok ? FL_PIPE_EXIT_OK : FL_PIPE_EXIT_FAIL;
}
