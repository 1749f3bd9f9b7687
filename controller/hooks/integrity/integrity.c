/* SPDX-License-Identifier: MIT */
/*
 * The data-integrity check (integrity.h): both sides become sorted sets of seqs, then one
 * merge says what was lost, what the sink holds unacknowledged, and where its gaps are.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "integrity.h"
#include "sink.h"

/* Bounds what one check may allocate: 2^26 seqs = 512 MiB per array. */
#define SEQS_MAX (1u << 26)

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

static void list_add(json_t *list, json_t *v)
{
	if (json_array_size(list) < FL_INTEGRITY_LIST_MAX)
		json_array_append_new(list, v);
	else
		json_decref(v);
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
			if (list)
				list_add(list, json_integer((json_int_t)s->v[i]));
			dups++;
			continue;
		}
		s->v[w++] = s->v[i];
	}
	s->n = w;
	return dups;
}

/* lost / in_flight = acked \ stored (split at upto), unacknowledged = stored \ acked. */
static void merge(const struct seqs *acked, const struct seqs *stored, uint64_t upto,
		  struct fl_integrity *r)
{
	size_t i = 0, j = 0;

	while (i < acked->n || j < stored->n) {
		if (j >= stored->n || (i < acked->n && acked->v[i] < stored->v[j])) {
			if (acked->v[i] > upto) {
				r->in_flight++;
			} else {
				list_add(r->lost_seqs, json_integer((json_int_t)acked->v[i]));
				r->lost++;
			}
			i++;
		} else if (i >= acked->n || stored->v[j] < acked->v[i]) {
			r->unacknowledged++;
			j++;
		} else {
			i++;
			j++;
		}
	}
	for (size_t k = 1; k < stored->n; k++) {
		uint64_t a = stored->v[k - 1], b = stored->v[k];

		if (b - a > 1) {
			r->gaps++;
			r->missing_in_gaps += b - a - 1;
			list_add(r->gap_ranges,
				 json_pack("[I,I]", (json_int_t)(a + 1), (json_int_t)(b - 1)));
		}
	}
}

int fl_integrity_check(const char *acked_path, const char *sink_dir, uint64_t upto_seq,
		       struct fl_integrity *ret, struct fl_diag *diag)
{
	struct fl_integrity r = { 0 };
	struct seqs acked = { 0 };
	struct scan sc = { 0 };
	int err;

	r.lost_seqs = json_array();
	r.duplicate_seqs = json_array();
	r.gap_ranges = json_array();
	if (!r.lost_seqs || !r.duplicate_seqs || !r.gap_ranges) {
		err = fl_diag_set(diag, -ENOMEM, "out of memory");
		goto fail;
	}
	err = read_acked(acked_path, &acked, &r.acked_bad_lines);
	if (err < 0) {
		fl_diag_set(diag, err, "acked file %s: %s", acked_path, strerror(-err));
		goto fail;
	}
	err = fl_sink_scan(sink_dir, FL_SINK_SCAN_ALL, on_slot, &sc, &r.redeliveries, diag);
	if (err < 0)
		goto fail;
	r.acked_repeated = dedup(&acked, NULL);
	r.duplicates = dedup(&sc.stored, r.duplicate_seqs);
	merge(&acked, &sc.stored, upto_seq, &r);
	r.acknowledged = acked.n;
	r.in_sink = sc.stored.n;
	r.corrupt_slots = sc.corrupt;
	r.misplaced_slots = sc.misplaced;
	r.max_seq = sc.stored.n ? sc.stored.v[sc.stored.n - 1] : 0;
	free(acked.v);
	free(sc.stored.v);
	*ret = r;
	return 0;
fail:
	free(acked.v);
	free(sc.stored.v);
	fl_integrity_fini(&r);
	return err;
}

void fl_integrity_fini(struct fl_integrity *r)
{
	json_decref(r->lost_seqs);
	json_decref(r->duplicate_seqs);
	json_decref(r->gap_ranges);
	r->lost_seqs = r->duplicate_seqs = r->gap_ranges = NULL;
}

bool fl_integrity_ok(const struct fl_integrity *r)
{
	return r->lost == 0 && r->duplicates == 0 && r->corrupt_slots == 0;
}
