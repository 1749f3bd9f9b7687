/* SPDX-License-Identifier: MIT */
/*
 * Validation of a netem spec: everything the kernel would refuse, silently ignore or run in
 * a way nobody means is refused here, with the field named.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>

#include "fl/netem.h"
#include "fl/units.h"

uint32_t fl_netem_percent_to_u32(double percent)
{
	/* iproute2: rint(fraction * UINT32_MAX), with fraction = percent / 100. */
	double v = rint(percent / 100. * UINT32_MAX);

	if (!(v > 0))
		return 0;
	if (v >= (double)UINT32_MAX)
		return UINT32_MAX;
	return (uint32_t)v;
}

double fl_netem_u32_to_percent(uint32_t value)
{
	return (double)value * 100. / UINT32_MAX;
}

static int check_percent(const char *field, double v, struct fl_diag *diag)
{
	if (isnan(v) || v < 0 || v > 100)
		return fl_diag_set(diag, -EINVAL, "%s: %g%% is outside 0%%..100%%", field, v);
	return 0;
}

static int check_delay(const char *field, uint64_t ns, struct fl_diag *diag)
{
	char text[32];

	if (ns > FL_NETEM_MAX_DELAY_NS) {
		fl_format_duration(ns, text, sizeof(text));
		return fl_diag_set(diag, -EINVAL, "%s: %s is longer than the 1h maximum", field,
				   text);
	}
	return 0;
}

static int validate_loss(const struct fl_netem_loss *loss, struct fl_diag *diag)
{
	int r = 0;

	switch (loss->model) {
	case FL_NETEM_LOSS_NONE:
		if (loss->percent != 0 || loss->correlation != 0)
			return fl_diag_set(diag, -EINVAL,
					   "loss: percent/correlation set but no loss model");
		return 0;
	case FL_NETEM_LOSS_RANDOM:
		if ((r = check_percent("loss", loss->percent, diag)) < 0 ||
		    (r = check_percent("loss correlation", loss->correlation, diag)) < 0)
			return r;
		if (loss->correlation > 0 && loss->percent == 0)
			return fl_diag_set(diag, -EINVAL,
					   "loss correlation: %g%% given without a loss percentage",
					   loss->correlation);
		return 0;
	case FL_NETEM_LOSS_STATE:
		if ((r = check_percent("loss state p13", loss->p13, diag)) < 0 ||
		    (r = check_percent("loss state p31", loss->p31, diag)) < 0 ||
		    (r = check_percent("loss state p32", loss->p32, diag)) < 0 ||
		    (r = check_percent("loss state p23", loss->p23, diag)) < 0 ||
		    (r = check_percent("loss state p14", loss->p14, diag)) < 0)
			return r;
		/* From state 1 the chain moves to 3 with p13 and to 4 with p14. */
		if (loss->p13 + loss->p14 > 100.0000001)
			return fl_diag_set(diag, -EINVAL,
					   "loss state: p13 (%g%%) + p14 (%g%%) exceed 100%%",
					   loss->p13, loss->p14);
		if (loss->p31 + loss->p32 > 100.0000001)
			return fl_diag_set(diag, -EINVAL,
					   "loss state: p31 (%g%%) + p32 (%g%%) exceed 100%%",
					   loss->p31, loss->p32);
		return 0;
	case FL_NETEM_LOSS_GEMODEL:
		if ((r = check_percent("loss gemodel p", loss->ge_p, diag)) < 0 ||
		    (r = check_percent("loss gemodel r", loss->ge_r, diag)) < 0 ||
		    (r = check_percent("loss gemodel 1-h", loss->ge_1_h, diag)) < 0 ||
		    (r = check_percent("loss gemodel 1-k", loss->ge_1_k, diag)) < 0)
			return r;
		return 0;
	}
	return fl_diag_set(diag, -EINVAL, "loss: unknown model %d", (int)loss->model);
}

static int validate_slot(const struct fl_netem_slot *slot, struct fl_diag *diag)
{
	int r;

	if (!slot->enabled)
		return 0;
	if ((r = check_delay("slot min delay", slot->min_delay_ns, diag)) < 0 ||
	    (r = check_delay("slot max delay", slot->max_delay_ns, diag)) < 0 ||
	    (r = check_delay("slot distribution delay", slot->dist_delay_ns, diag)) < 0 ||
	    (r = check_delay("slot distribution jitter", slot->dist_jitter_ns, diag)) < 0)
		return r;
	if (slot->max_packets < 0 || slot->max_bytes < 0)
		return fl_diag_set(diag, -EINVAL, "slot: packets/bytes must not be negative");
	if (slot->dist == FL_NETEM_DIST_NONE) {
		if (slot->max_delay_ns < slot->min_delay_ns)
			return fl_diag_set(diag, -EINVAL,
					   "slot max delay: %lluns is below the min delay %lluns",
					   (unsigned long long)slot->max_delay_ns,
					   (unsigned long long)slot->min_delay_ns);
		return 0;
	}
	if (slot->dist == FL_NETEM_DIST_CUSTOM)
		return fl_diag_set(diag, -EINVAL,
				   "slot distribution: only normal, pareto and paretonormal can be "
				   "encoded");
	if (slot->dist_jitter_ns == 0)
		return fl_diag_set(
			diag, -EINVAL,
			"slot distribution jitter: must be positive with a distribution");
	return 0;
}

int fl_netem_validate(const struct fl_netem_spec *spec, struct fl_diag *diag)
{
	char d[32], j[32];
	int r;

	if ((r = check_delay("delay", spec->delay_ns, diag)) < 0 ||
	    (r = check_delay("jitter", spec->jitter_ns, diag)) < 0 ||
	    (r = check_percent("delay correlation", spec->delay_correlation, diag)) < 0 ||
	    (r = check_percent("duplicate", spec->duplicate, diag)) < 0 ||
	    (r = check_percent("duplicate correlation", spec->duplicate_correlation, diag)) < 0 ||
	    (r = check_percent("corrupt", spec->corrupt, diag)) < 0 ||
	    (r = check_percent("corrupt correlation", spec->corrupt_correlation, diag)) < 0 ||
	    (r = check_percent("reorder", spec->reorder, diag)) < 0 ||
	    (r = check_percent("reorder correlation", spec->reorder_correlation, diag)) < 0)
		return r;

	fl_format_duration(spec->delay_ns, d, sizeof(d));
	fl_format_duration(spec->jitter_ns, j, sizeof(j));
	if (spec->jitter_ns > 0 && spec->delay_ns == 0)
		return fl_diag_set(diag, -EINVAL, "jitter: %s given without a delay", j);
	/*
	 * Uniform jitter draws from [delay - jitter, delay + jitter]: beyond the delay the
	 * lower half collapses to zero and the result is not the distribution asked for.
	 */
	if (spec->jitter_ns > spec->delay_ns && spec->distribution == FL_NETEM_DIST_NONE)
		return fl_diag_set(diag, -EINVAL,
				   "jitter: %s is larger than the delay %s; with uniform jitter "
				   "delays would go negative (lower the jitter or choose a "
				   "distribution)",
				   j, d);
	if (spec->delay_correlation > 0 && spec->jitter_ns == 0)
		return fl_diag_set(diag, -EINVAL,
				   "delay correlation: %g%% given without jitter (it correlates "
				   "the random part of the delay)",
				   spec->delay_correlation);
	if (spec->distribution != FL_NETEM_DIST_NONE) {
		if (spec->distribution == FL_NETEM_DIST_CUSTOM)
			return fl_diag_set(diag, -EINVAL,
					   "distribution: only normal, pareto and paretonormal "
					   "can be encoded");
		if (spec->delay_ns == 0 || spec->jitter_ns == 0)
			return fl_diag_set(diag, -EINVAL,
					   "distribution: %s needs both a delay and a jitter",
					   fl_netem_dist_name(spec->distribution));
	}
	if ((r = validate_loss(&spec->loss, diag)) < 0)
		return r;
	if (spec->duplicate_correlation > 0 && spec->duplicate == 0)
		return fl_diag_set(diag, -EINVAL,
				   "duplicate correlation: %g%% given without a duplicate "
				   "percentage",
				   spec->duplicate_correlation);
	if (spec->corrupt_correlation > 0 && spec->corrupt == 0)
		return fl_diag_set(diag, -EINVAL,
				   "corrupt correlation: %g%% given without a corrupt percentage",
				   spec->corrupt_correlation);
	if (spec->reorder > 0 && spec->delay_ns == 0)
		return fl_diag_set(diag, -EINVAL,
				   "reorder: %g%% needs a delay (reordered packets are the ones "
				   "sent without it)",
				   spec->reorder);
	if (spec->reorder_correlation > 0 && spec->reorder == 0)
		return fl_diag_set(diag, -EINVAL,
				   "reorder correlation: %g%% given without a reorder percentage",
				   spec->reorder_correlation);
	if (spec->gap > 0 && spec->reorder == 0)
		return fl_diag_set(diag, -EINVAL, "gap: %u given without a reorder percentage",
				   spec->gap);
	if (spec->ecn && spec->loss.model == FL_NETEM_LOSS_NONE)
		return fl_diag_set(diag, -EINVAL,
				   "ecn: needs a loss model (ECN marks replace the drops)");
	if (spec->rate_bytes_per_s == 0 &&
	    (spec->rate_packet_overhead || spec->rate_cell_size || spec->rate_cell_overhead))
		return fl_diag_set(diag, -EINVAL,
				   "rate: packet overhead / cell size given without a rate");
	if ((r = validate_slot(&spec->slot, diag)) < 0)
		return r;
	return 0;
}
