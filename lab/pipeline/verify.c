/* SPDX-License-Identifier: MIT */
/*
 * verify — the data-integrity check every lab experiment ends with (README.md): compares
 * the loader's --acked file (every record Kafka acknowledged) with what the connector's
 * sink holds. lost = acknowledged but not stored; duplicates = a seq found in two slots
 * (impossible by the sink's design, checked anyway by scanning every slot). The check itself
 * is integrity.c's, shared with the controller's `integrity` hook module; so are the latency
 * figures it prints (latency.c), which never change the verdict.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "flags.h"
#include "integrity.h"
#include "latency.h"
#include "pipeline.h"
#include "sink.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: verify --acked FILE --sink DIR [--json] [--latency-window D]\n"
		   "Compares the loader's acknowledged seqs with the connector's sink, and prints\n"
		   "the pipeline's latency (stored - CreateTime: p50, p95, p99, max) over the "
		   "records\n"
		   "stored in the last D (e.g. 60s; default: every record in the sink).\n"
		   "Exit: 0 lost == 0 and duplicates == 0 and no corrupt slot, 1 otherwise,\n"
		   "      2 an input cannot be read, 64 bad flags.\n");
}

/* A figure, or null when no record has one. */
static json_t *ms_or_null(const struct fl_latency *lat, uint64_t ms)
{
	return lat->timed ? json_integer((json_int_t)ms) : json_null();
}

static json_t *latency_json(const struct fl_latency *lat)
{
	return json_pack("{s:I, s:I, s:I, s:o, s:o, s:o, s:o}", "records", (json_int_t)lat->timed,
			 "untimed", (json_int_t)(lat->stored - lat->timed), "clamped",
			 (json_int_t)lat->clamped, "p50_ms", ms_or_null(lat, lat->p50_ms), "p95_ms",
			 ms_or_null(lat, lat->p95_ms), "p99_ms", ms_or_null(lat, lat->p99_ms),
			 "max_ms", ms_or_null(lat, lat->max_ms));
}

static int print_json(const struct fl_integrity *res, const struct fl_latency *lat, bool ok)
{
	json_t *out = json_pack(
		"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
		" s:O, s:O, s:O, s:o}",
		"ok", ok, "acknowledged", (json_int_t)res->acknowledged, "in_sink",
		(json_int_t)res->in_sink, "lost", (json_int_t)res->lost, "duplicates",
		(json_int_t)res->duplicates, "gaps", (json_int_t)res->gaps, "missing_in_gaps",
		(json_int_t)res->missing_in_gaps, "redeliveries", (json_int_t)res->redeliveries,
		"unacknowledged_in_sink", (json_int_t)res->unacknowledged, "corrupt_slots",
		(json_int_t)res->corrupt_slots, "misplaced_slots", (json_int_t)res->misplaced_slots,
		"acked_repeated", (json_int_t)res->acked_repeated, "acked_bad_lines",
		(json_int_t)res->acked_bad_lines, "max_seq", (json_int_t)res->max_seq, "lost_seqs",
		res->lost_seqs, "duplicate_seqs", res->duplicate_seqs, "gap_ranges",
		res->gap_ranges, "latency", latency_json(lat));

	if (!out || json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0) {
		json_decref(out);
		return -ENOMEM;
	}
	putchar('\n');
	json_decref(out);
	return 0;
}

static void print_text(const struct fl_integrity *res, const struct fl_latency *lat, bool ok)
{
	printf("acknowledged:   %" PRIu64 "\n"
	       "in sink:        %" PRIu64 "\n"
	       "lost:           %" PRIu64 "\n"
	       "duplicates:     %" PRIu64 "\n"
	       "gaps:           %" PRIu64 " (%" PRIu64 " seqs)\n"
	       "re-deliveries:  %" PRIu64 "\n"
	       "unacknowledged in sink: %" PRIu64 "\n"
	       "corrupt slots:  %" PRIu64 "\n",
	       res->acknowledged, res->in_sink, res->lost, res->duplicates, res->gaps,
	       res->missing_in_gaps, res->redeliveries, res->unacknowledged, res->corrupt_slots);
	if (lat->timed)
		printf("latency:        p50 %" PRIu64 " ms, p95 %" PRIu64 " ms, p99 %" PRIu64
		       " ms, max %" PRIu64 " ms over %" PRIu64
		       " records (stored - CreateTime; %" PRIu64 " clamped to 0)\n",
		       lat->p50_ms, lat->p95_ms, lat->p99_ms, lat->max_ms, lat->timed,
		       lat->clamped);
	else
		printf("latency:        no record with a CreateTime\n");
	printf("verdict:        %s\n", ok ? "OK" : "FAILED");
	if (res->lost) {
		char *text = json_dumps(res->lost_seqs, JSON_COMPACT);

		printf("first lost seqs: %s\n", text ? text : "?");
		free(text);
	}
}

int main(int argc, char **argv)
{
	const char *acked_path = NULL, *sink_dir = NULL;
	struct fl_integrity res;
	struct fl_latency lat;
	struct fl_diag diag = { 0 };
	uint64_t window_ns = 0;
	bool as_json = false, windowed = false;
	const struct fl_pipe_flag flags[] = {
		{ .name = "acked",
		  .kind = FL_PIPE_FLAG_STR,
		  .dest = &acked_path,
		  .required = true },
		{ .name = "sink", .kind = FL_PIPE_FLAG_STR, .dest = &sink_dir, .required = true },
		{ .name = "json", .kind = FL_PIPE_FLAG_BOOL, .dest = &as_json },
		{ .name = "latency-window",
		  .kind = FL_PIPE_FLAG_DURATION,
		  .dest = &window_ns,
		  .seen = &windowed },
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
	r = fl_latency_scan(sink_dir,
			    windowed ? fl_pipe_wall_ms() - (int64_t)(window_ns / 1000000)
				     : FL_SINK_SCAN_ALL,
			    &lat, &diag);
	if (r < 0) {
		fprintf(stderr, "verify: %s\n", diag.msg);
		fl_integrity_fini(&res);
		return FL_PIPE_EXIT_IO;
	}
	bool ok = fl_integrity_ok(&res);
	if (as_json) {
		r = print_json(&res, &lat, ok);
		if (r < 0) {
			fprintf(stderr, "verify: out of memory\n");
			fl_integrity_fini(&res);
			return FL_PIPE_EXIT_IO;
		}
	} else {
		print_text(&res, &lat, ok);
	}
	fl_integrity_fini(&res);
	return ok ? FL_PIPE_EXIT_OK : FL_PIPE_EXIT_FAIL;
}
