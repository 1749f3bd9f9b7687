/* SPDX-License-Identifier: MIT */
/*
 * tc's netem and tbf option syntax, so operators can paste what they already know:
 *
 *   delay 100ms 10ms 25% distribution normal loss random 1% 25% duplicate 1% ...
 *
 * Keywords may be abbreviated as in tc (the first keyword in tc's order that the word is a
 * prefix of wins). Defaults follow iproute2 6.1 so that the encoded bytes match.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fl/netem.h"
#include "fl/units.h"

struct words {
	int argc;
	char *const *argv;
	int i; /* index of the current word */
	struct fl_diag *diag;
};

/* tc's matches(): word is a non-empty prefix of keyword. */
static bool matches(const char *word, const char *keyword)
{
	size_t n = strlen(word);

	return n > 0 && strncmp(word, keyword, n) == 0;
}

static const char *cur(const struct words *w)
{
	return w->argv[w->i];
}

static bool next_is_number(const struct words *w)
{
	return w->i + 1 < w->argc && isdigit((unsigned char)w->argv[w->i + 1][0]);
}

static bool next_is_signed_number(const struct words *w)
{
	return w->i + 1 < w->argc &&
	       (isdigit((unsigned char)w->argv[w->i + 1][0]) ||
		(w->argv[w->i + 1][0] == '-' && isdigit((unsigned char)w->argv[w->i + 1][1])));
}

/* Advance to the value of keyword `what`; error if the words ran out. */
static int next_arg(struct words *w, const char *what)
{
	if (w->i + 1 >= w->argc)
		return fl_diag_set(w->diag, -EINVAL, "%s: missing value after \"%s\"", what,
				   cur(w));
	w->i++;
	return 0;
}

static int get_time(struct words *w, const char *what, uint64_t *ret_ns)
{
	int r = fl_parse_duration_ns(cur(w), ret_ns);

	if (r == -ERANGE || (r == 0 && *ret_ns > FL_NETEM_MAX_DELAY_NS))
		return fl_diag_set(w->diag, -EINVAL, "%s: \"%s\" is longer than the 1h maximum",
				   what, cur(w));
	if (r < 0)
		return fl_diag_set(w->diag, -EINVAL,
				   "%s: \"%s\" is not a duration (expected e.g. 100ms, 1.5s, "
				   "250us)",
				   what, cur(w));
	return 0;
}

static int get_percent(struct words *w, const char *what, double *ret)
{
	int r = fl_parse_percent(cur(w), ret);

	if (r == -ERANGE)
		return fl_diag_set(w->diag, -EINVAL, "%s: \"%s\" is above 100%%", what, cur(w));
	if (r < 0)
		return fl_diag_set(w->diag, -EINVAL,
				   "%s: \"%s\" is not a percentage (expected e.g. 1%%, 0.5%%)",
				   what, cur(w));
	return 0;
}

static int get_u32(struct words *w, const char *what, uint32_t *ret)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)cur(w)[0]))
		return fl_diag_set(w->diag, -EINVAL, "%s: \"%s\" is not a number", what, cur(w));
	errno = 0;
	v = strtoull(cur(w), &end, 10);
	if (*end || errno || v > UINT32_MAX)
		return fl_diag_set(w->diag, -EINVAL, "%s: \"%s\" is not a number in 0..%u", what,
				   cur(w), UINT32_MAX);
	*ret = (uint32_t)v;
	return 0;
}

static int get_s32(struct words *w, const char *what, int32_t *ret)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(cur(w), &end, 10);
	if (end == cur(w) || *end || errno || v < INT32_MIN || v > INT32_MAX)
		return fl_diag_set(w->diag, -EINVAL, "%s: \"%s\" is not a 32-bit integer", what,
				   cur(w));
	*ret = (int32_t)v;
	return 0;
}

static int get_size32(struct words *w, const char *what, uint32_t *ret)
{
	uint64_t v;

	if (fl_parse_size(cur(w), &v) < 0 || v > UINT32_MAX)
		return fl_diag_set(w->diag, -EINVAL,
				   "%s: \"%s\" is not a size (expected e.g. 1000, 64kb, 1mb)", what,
				   cur(w));
	*ret = (uint32_t)v;
	return 0;
}

static int get_dist(struct words *w, const char *what, enum fl_netem_dist *ret)
{
	if (fl_netem_dist_from_name(cur(w), ret) < 0)
		return fl_diag_set(w->diag, -EINVAL,
				   "%s: unknown distribution \"%s\" (expected normal, pareto or "
				   "paretonormal)",
				   what, cur(w));
	return 0;
}

static int parse_delay(struct words *w, struct fl_netem_spec *s)
{
	int r;

	if ((r = next_arg(w, "delay")) < 0 || (r = get_time(w, "delay", &s->delay_ns)) < 0)
		return r;
	if (!next_is_number(w))
		return 0;
	w->i++;
	if ((r = get_time(w, "jitter", &s->jitter_ns)) < 0)
		return r;
	if (!next_is_number(w))
		return 0;
	w->i++;
	return get_percent(w, "delay correlation", &s->delay_correlation);
}

static int parse_loss_state(struct words *w, struct fl_netem_loss *l)
{
	double *opt[] = { &l->p31, &l->p32, &l->p23, &l->p14 };
	static const char *const names[] = { "loss state p31", "loss state p32", "loss state p23",
					     "loss state p14" };
	int r;

	if ((r = next_arg(w, "loss state")) < 0 ||
	    (r = get_percent(w, "loss state p13", &l->p13)) < 0)
		return r;
	l->model = FL_NETEM_LOSS_STATE;
	/* tc's defaults: p31 = 1 - p13, p32 = 0, p23 = 1, p14 = 0. */
	l->p31 = (1. - l->p13 / 100.) * 100.;
	l->p32 = 0;
	l->p23 = 100;
	l->p14 = 0;
	for (size_t k = 0; k < FL_ARRAY_SIZE(opt) && next_is_number(w); k++) {
		w->i++;
		if ((r = get_percent(w, names[k], opt[k])) < 0)
			return r;
	}
	return 0;
}

static int parse_loss_gemodel(struct words *w, struct fl_netem_loss *l)
{
	double *opt[] = { &l->ge_r, &l->ge_1_h, &l->ge_1_k };
	static const char *const names[] = { "loss gemodel r", "loss gemodel 1-h",
					     "loss gemodel 1-k" };
	int r;

	if ((r = next_arg(w, "loss gemodel")) < 0 ||
	    (r = get_percent(w, "loss gemodel p", &l->ge_p)) < 0)
		return r;
	l->model = FL_NETEM_LOSS_GEMODEL;
	/* tc's defaults: r = 1 - p, h = 0 (every packet lost in the bad state), k = 1. */
	l->ge_r = (1. - l->ge_p / 100.) * 100.;
	l->ge_1_h = 100;
	l->ge_1_k = 0;
	for (size_t k = 0; k < FL_ARRAY_SIZE(opt) && next_is_number(w); k++) {
		w->i++;
		if ((r = get_percent(w, names[k], opt[k])) < 0)
			return r;
	}
	return 0;
}

static int parse_loss(struct words *w, struct fl_netem_spec *s)
{
	struct fl_netem_loss *l = &s->loss;
	int r;

	if (l->model != FL_NETEM_LOSS_NONE)
		return fl_diag_set(w->diag, -EINVAL, "loss: given twice");
	if ((r = next_arg(w, "loss")) < 0)
		return r;
	if (strcmp(cur(w), "state") == 0)
		return parse_loss_state(w, l);
	if (strcmp(cur(w), "gemodel") == 0)
		return parse_loss_gemodel(w, l);
	/* "loss random P [CORR]", or the old "loss P [CORR]". */
	if (strcmp(cur(w), "random") == 0 && (r = next_arg(w, "loss random")) < 0)
		return r;
	if (!isdigit((unsigned char)cur(w)[0]))
		return fl_diag_set(w->diag, -EINVAL,
				   "loss: unknown loss parameter \"%s\" (expected a percentage, "
				   "random, state or gemodel)",
				   cur(w));
	if ((r = get_percent(w, "loss", &l->percent)) < 0)
		return r;
	l->model = FL_NETEM_LOSS_RANDOM;
	if (next_is_number(w)) {
		w->i++;
		return get_percent(w, "loss correlation", &l->correlation);
	}
	return 0;
}

/* "KEYWORD P [CORR]" for duplicate, corrupt and reorder. */
static int parse_prob_corr(struct words *w, const char *what, double *ret_p, double *ret_corr)
{
	char corr_name[48];
	int r;

	if ((r = next_arg(w, what)) < 0 || (r = get_percent(w, what, ret_p)) < 0)
		return r;
	if (!next_is_number(w))
		return 0;
	w->i++;
	(void)snprintf(corr_name, sizeof(corr_name), "%s correlation", what);
	return get_percent(w, corr_name, ret_corr);
}

static int parse_rate(struct words *w, struct fl_netem_spec *s)
{
	int r;

	if ((r = next_arg(w, "rate")) < 0)
		return r;
	if (strchr(cur(w), '%'))
		return fl_diag_set(w->diag, -EINVAL,
				   "rate: \"%s\" is relative to the link speed, which a fault spec "
				   "cannot know; give an absolute rate (e.g. 10mbit)",
				   cur(w));
	if (fl_parse_rate_Bps(cur(w), &s->rate_bytes_per_s) < 0 || s->rate_bytes_per_s == 0)
		return fl_diag_set(w->diag, -EINVAL,
				   "rate: \"%s\" is not a rate (expected e.g. 10mbit, 512kbit, "
				   "1gbit)",
				   cur(w));
	if (!next_is_signed_number(w))
		return 0;
	w->i++;
	if ((r = get_s32(w, "rate packet overhead", &s->rate_packet_overhead)) < 0)
		return r;
	if (!next_is_number(w))
		return 0;
	w->i++;
	if ((r = get_u32(w, "rate cell size", &s->rate_cell_size)) < 0)
		return r;
	if (!next_is_signed_number(w))
		return 0;
	w->i++;
	return get_s32(w, "rate cell overhead", &s->rate_cell_overhead);
}

static int parse_slot(struct words *w, struct fl_netem_spec *s)
{
	struct fl_netem_slot *slot = &s->slot;
	int r;

	slot->enabled = true;
	if (next_is_number(w)) {
		w->i++;
		if ((r = get_time(w, "slot min delay", &slot->min_delay_ns)) < 0)
			return r;
		slot->max_delay_ns = slot->min_delay_ns;
		if (next_is_number(w)) {
			w->i++;
			if ((r = get_time(w, "slot max delay", &slot->max_delay_ns)) < 0)
				return r;
		}
	} else {
		if ((r = next_arg(w, "slot")) < 0)
			return r;
		if (strcmp(cur(w), "distribution") != 0)
			return fl_diag_set(w->diag, -EINVAL,
					   "slot: unknown parameter \"%s\" (expected a delay or "
					   "distribution)",
					   cur(w));
		if ((r = next_arg(w, "slot distribution")) < 0 ||
		    (r = get_dist(w, "slot distribution", &slot->dist)) < 0 ||
		    (r = next_arg(w, "slot distribution")) < 0 ||
		    (r = get_time(w, "slot distribution delay", &slot->dist_delay_ns)) < 0 ||
		    (r = next_arg(w, "slot distribution")) < 0 ||
		    (r = get_time(w, "slot distribution jitter", &slot->dist_jitter_ns)) < 0)
			return r;
	}
	if (w->i + 1 < w->argc && matches(w->argv[w->i + 1], "packets")) {
		w->i++;
		if ((r = next_arg(w, "slot packets")) < 0 ||
		    (r = get_s32(w, "slot packets", &slot->max_packets)) < 0)
			return r;
	}
	if (w->i + 1 < w->argc && matches(w->argv[w->i + 1], "bytes")) {
		uint32_t bytes;

		w->i++;
		if ((r = next_arg(w, "slot bytes")) < 0 ||
		    (r = get_size32(w, "slot bytes", &bytes)) < 0)
			return r;
		slot->max_bytes = (int32_t)bytes;
	}
	return 0;
}

static int parse_word(struct words *w, struct fl_netem_spec *s)
{
	const char *word = cur(w);
	int r;

	/* Same keyword order as tc, so abbreviations resolve the same way. */
	if (matches(word, "limit")) {
		if ((r = next_arg(w, "limit")) < 0)
			return r;
		return get_size32(w, "limit", &s->limit);
	}
	if (matches(word, "latency") || matches(word, "delay"))
		return parse_delay(w, s);
	if (matches(word, "loss") || matches(word, "drop"))
		return parse_loss(w, s);
	if (matches(word, "ecn")) {
		s->ecn = true;
		return 0;
	}
	if (matches(word, "reorder"))
		return parse_prob_corr(w, "reorder", &s->reorder, &s->reorder_correlation);
	if (matches(word, "corrupt"))
		return parse_prob_corr(w, "corrupt", &s->corrupt, &s->corrupt_correlation);
	if (matches(word, "gap")) {
		if ((r = next_arg(w, "gap")) < 0)
			return r;
		return get_u32(w, "gap", &s->gap);
	}
	if (matches(word, "duplicate"))
		return parse_prob_corr(w, "duplicate", &s->duplicate, &s->duplicate_correlation);
	if (matches(word, "distribution")) {
		if ((r = next_arg(w, "distribution")) < 0)
			return r;
		return get_dist(w, "distribution", &s->distribution);
	}
	if (matches(word, "rate"))
		return parse_rate(w, s);
	if (matches(word, "slot"))
		return parse_slot(w, s);
	return fl_diag_set(w->diag, -EINVAL,
			   "\"%s\": unknown netem option (expected delay, loss, duplicate, "
			   "corrupt, reorder, gap, rate, limit, ecn, slot, distribution)",
			   word);
}

int fl_netem_parse_tc(int argc, char *const *argv, struct fl_netem_spec *ret_spec,
		      struct fl_diag *diag)
{
	struct fl_netem_spec s = { .limit = FL_NETEM_DEFAULT_LIMIT };
	struct words w = { .argc = argc, .argv = argv, .diag = diag };
	int r;

	for (w.i = 0; w.i < argc; w.i++)
		if ((r = parse_word(&w, &s)) < 0)
			return r;
	if (s.reorder > 0 && s.gap == 0)
		s.gap = 1; /* tc: reorder without gap means every other packet may jump */
	if ((r = fl_netem_validate(&s, diag)) < 0)
		return r;
	*ret_spec = s;
	return 0;
}

/* ---- tbf ------------------------------------------------------------------------------ */

int fl_tbf_parse_tc(int argc, char *const *argv, struct fl_tbf_spec *ret_spec, struct fl_diag *diag)
{
	struct fl_tbf_spec s = { 0 };
	struct words w = { .argc = argc, .argv = argv, .diag = diag };
	uint64_t v;
	int r;

	for (w.i = 0; w.i < argc; w.i++) {
		const char *word = cur(&w);

		if (matches(word, "rate")) {
			if ((r = next_arg(&w, "rate")) < 0)
				return r;
			if (fl_parse_rate_Bps(cur(&w), &s.rate_bytes_per_s) < 0)
				return fl_diag_set(diag, -EINVAL,
						   "rate: \"%s\" is not a rate (expected e.g. "
						   "10mbit)",
						   cur(&w));
		} else if (matches(word, "burst") || matches(word, "buffer") ||
			   matches(word, "maxburst")) {
			if ((r = next_arg(&w, "burst")) < 0)
				return r;
			if (fl_parse_size(cur(&w), &v) < 0 || v == 0 || v > UINT32_MAX)
				return fl_diag_set(diag, -EINVAL,
						   "burst: \"%s\" is not a size (expected e.g. "
						   "32kbit, 64kb)",
						   cur(&w));
			s.burst_bytes = (uint32_t)v;
		} else if (matches(word, "limit")) {
			if ((r = next_arg(&w, "limit")) < 0)
				return r;
			if (fl_parse_size(cur(&w), &v) < 0 || v == 0 || v > UINT32_MAX)
				return fl_diag_set(diag, -EINVAL,
						   "limit: \"%s\" is not a size (expected e.g. "
						   "30000, 64kb)",
						   cur(&w));
			s.limit_bytes = (uint32_t)v;
		} else if (matches(word, "latency")) {
			if ((r = next_arg(&w, "latency")) < 0)
				return r;
			if (fl_parse_duration_ns(cur(&w), &s.latency_ns) < 0)
				return fl_diag_set(diag, -EINVAL,
						   "latency: \"%s\" is not a duration", cur(&w));
		} else {
			return fl_diag_set(diag, -EINVAL,
					   "\"%s\": unknown tbf option (expected rate, burst, "
					   "limit, latency)",
					   word);
		}
	}
	if ((r = fl_tbf_validate(&s, diag)) < 0)
		return r;
	*ret_spec = s;
	return 0;
}
