/* SPDX-License-Identifier: MIT */
/*
 * verify — the data-integrity check every lab experiment ends with (README.md): compares
 * the loader's --acked file (every record Kafka acknowledged) with what the connector's
 * sink holds. lost = acknowledged but not stored; duplicates = a seq found in two slots
 * (impossible by the sink's design, checked anyway by scanning every slot).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "pipeline.h"
#include "sink.h"

/* Bounds what a verifier run may allocate: 2^26 seqs = 512 MiB per array. */
#define SEQS_MAX (1u << 26)
#define LIST_MAX 20 /* seqs/gaps listed in the report */

struct seqs {
	uint64_t *v;
	size_t n, cap;
};

struct scan {
	struct seqs stored;
	uint64_t misplaced, corrupt;
};

static int seqs_add(struct seqs *s, uint64_t v)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 4096;
		uint64_t *nv;

		if (cap > SEQS_MAX)
			return -E2BIG;
		nv = realloc(s->v, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		s->v = nv;
		s->cap = cap;
	}
	s->v[s->n++] = v;
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int read_acked(const char *path, struct seqs *s, uint64_t *ret_bad_lines)
{
	FILE *f = fopen(path, "re");
	char line[64];
	uint64_t bad = 0;
	int r = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *end;
		unsigned long long v = strtoull(line, &end, 10);

		/* A torn last line (loader killed mid-write) is not an acknowledgement. */
		if (end == line || *end != '\n' || v == 0) {
			bad++;
			continue;
		}
		r = seqs_add(s, v);
		if (r < 0)
			break;
	}
	fclose(f);
	*ret_bad_lines = bad;
	return r;
}

static int on_slot(const struct fl_sink_slot_view *v, void *arg)
{
	struct scan *sc = arg;

	if (!v->crc_ok) {
		sc->corrupt++;
		return 0;
	}
	if (v->seq != v->position)
		sc->misplaced++;
	return seqs_add(&sc->stored, v->seq);
}

/* Sort and count repeated values, leaving each once. */
static uint64_t dedup(struct seqs *s, json_t *list)
{
	uint64_t dups = 0;
	size_t w = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), cmp_u64);
	for (size_t i = 0; i < s->n; i++) {
		if (w > 0 && s->v[w - 1] == s->v[i]) {
			if (list && json_array_size(list) < LIST_MAX)
				json_array_append_new(list, json_integer((json_int_t)s->v[i]));
			dups++;
			continue;
		}
		s->v[w++] = s->v[i];
	}
	s->n = w;
	return dups;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: verify --acked FILE --sink DIR [--json]\n"
		   "Compares the loader's acknowledged seqs with the connector's sink.\n"
		   "Exit: 0 lost == 0 and duplicates == 0 and no corrupt slot, 1 otherwise,\n"
		   "      2 an input cannot be read, 64 bad flags.\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "acked", required_argument, NULL, 'a' },
		{ "sink", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *acked_path = NULL, *sink_dir = NULL;
	struct seqs acked = { 0 };
	struct scan sc = { 0 };
	struct fl_diag diag = { 0 };
	uint64_t bad_lines = 0, acked_dups, dups, redeliveries = 0, lost = 0, extra = 0;
	uint64_t gaps = 0, missing = 0;
	json_auto_t *dup_list = json_array(), *lost_list = json_array(), *gap_list = json_array();
	bool as_json = false;
	int c, r;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			acked_path = optarg;
			break;
		case 'd':
			sink_dir = optarg;
			break;
		case 'j':
			as_json = true;
			break;
		case 'h':
			usage(stdout);
			return FL_PIPE_EXIT_OK;
		case ':':
			fprintf(stderr, "verify: %s needs a value (see --help)\n",
				argv[optind - 1]);
			return FL_PIPE_EXIT_USAGE;
		default:
			fprintf(stderr, "verify: unknown flag %s (see --help)\n", argv[optind - 1]);
			return FL_PIPE_EXIT_USAGE;
		}
	}
	if (optind < argc || !acked_path || !sink_dir) {
		fprintf(stderr, "verify: %s (see --help)\n",
			optind < argc ? "unexpected argument"
			: !acked_path ? "--acked is required"
				      : "--sink is required");
		return FL_PIPE_EXIT_USAGE;
	}
	r = read_acked(acked_path, &acked, &bad_lines);
	if (r < 0) {
		fprintf(stderr, "verify: --acked %s: %s\n", acked_path, strerror(-r));
		free(acked.v);
		return FL_PIPE_EXIT_IO;
	}
	r = fl_sink_scan(sink_dir, on_slot, &sc, &redeliveries, &diag);
	if (r < 0) {
		fprintf(stderr, "verify: --sink: %s\n", diag.msg);
		free(acked.v);
		free(sc.stored.v);
		return FL_PIPE_EXIT_IO;
	}
	acked_dups = dedup(&acked, NULL);
	dups = dedup(&sc.stored, dup_list);

	/* Merge the two sorted sets: lost = acked \ stored, extra = stored \ acked. */
	size_t i = 0, j = 0;
	while (i < acked.n || j < sc.stored.n) {
		if (j >= sc.stored.n || (i < acked.n && acked.v[i] < sc.stored.v[j])) {
			if (json_array_size(lost_list) < LIST_MAX)
				json_array_append_new(lost_list,
						      json_integer((json_int_t)acked.v[i]));
			lost++;
			i++;
		} else if (i >= acked.n || sc.stored.v[j] < acked.v[i]) {
			extra++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	/* Gaps: runs of seqs missing from the sink between its lowest and highest seq. */
	for (size_t k = 1; k < sc.stored.n; k++) {
		uint64_t a = sc.stored.v[k - 1], b = sc.stored.v[k];

		if (b - a > 1) {
			gaps++;
			missing += b - a - 1;
			if (json_array_size(gap_list) < LIST_MAX)
				json_array_append_new(gap_list,
						      json_pack("[I,I]", (json_int_t)(a + 1),
								(json_int_t)(b - 1)));
		}
	}
	bool ok = lost == 0 && dups == 0 && sc.corrupt == 0;
	if (as_json) {
		json_t *out = json_pack(
			"{s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I,"
			" s:O, s:O, s:O}",
			"ok", ok, "acknowledged", (json_int_t)acked.n, "in_sink",
			(json_int_t)sc.stored.n, "lost", (json_int_t)lost, "duplicates",
			(json_int_t)dups, "gaps", (json_int_t)gaps, "missing_in_gaps",
			(json_int_t)missing, "redeliveries", (json_int_t)redeliveries,
			"unacknowledged_in_sink", (json_int_t)extra, "corrupt_slots",
			(json_int_t)sc.corrupt, "misplaced_slots", (json_int_t)sc.misplaced,
			"acked_repeated", (json_int_t)acked_dups, "acked_bad_lines",
			(json_int_t)bad_lines, "max_seq",
			(json_int_t)(sc.stored.n ? sc.stored.v[sc.stored.n - 1] : 0), "lost_seqs",
			lost_list, "duplicate_seqs", dup_list, "gap_ranges", gap_list);

		if (!out || json_dumpf(out, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER) < 0) {
			fprintf(stderr, "verify: out of memory\n");
			return FL_PIPE_EXIT_IO;
		}
		putchar('\n');
		json_decref(out);
	} else {
		printf("acknowledged:   %zu\n"
		       "in sink:        %zu\n"
		       "lost:           %" PRIu64 "\n"
		       "duplicates:     %" PRIu64 "\n"
		       "gaps:           %" PRIu64 " (%" PRIu64 " seqs)\n"
		       "re-deliveries:  %" PRIu64 "\n"
		       "unacknowledged in sink: %" PRIu64 "\n"
		       "corrupt slots:  %" PRIu64 "\n"
		       "verdict:        %s\n",
		       acked.n, sc.stored.n, lost, dups, gaps, missing, redeliveries, extra,
		       sc.corrupt, ok ? "OK" : "FAILED");
		if (lost) {
			char *s = json_dumps(lost_list, JSON_COMPACT);

			printf("first lost seqs: %s\n", s ? s : "?");
			free(s);
		}
	}
	free(acked.v);
	free(sc.stored.v);
	return ok ? FL_PIPE_EXIT_OK : FL_PIPE_EXIT_FAIL;
}
