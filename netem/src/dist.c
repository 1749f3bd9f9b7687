/* SPDX-License-Identifier: MIT */
/*
 * netem delay distribution tables, computed here instead of read from iproute2's
 * /usr/lib/<arch>/tc/<name>.dist: the agent must not depend on those data files existing
 * where it runs, yet the tables must equal them bit for bit, because tc sends the file
 * contents and both the golden-bytes tests and decode's identify_table() compare tables
 * byte for byte.
 *
 * A table is a scaled inverse CDF: the kernel picks one of the 4096 entries at random and
 * delays by mu + entry * sigma / NETEM_DIST_SCALE. iproute2's generators (netem/normal.c,
 * pareto.c, paretonormal.c, inherited from NISTnet) do not invert the CDF analytically;
 * the normal one takes the inverse from a floating-point sweep, with that sweep's
 * rounding. An exact match therefore needs the same operations in the same order, and
 * each step below says which part of the generators it reproduces. None of the
 * expressions has an a * b + c shape whose result an FMA could change (0.5 * erf() is
 * exact), so -ffp-contract does not matter; -ffast-math would.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include <linux/pkt_sched.h>

#include "fl/netem.h"

/*
 * The normal generator sweeps x over [-10, 10.05) in steps of 0.00005 (x accumulated by
 * repeated addition, so x carries the rounding of every earlier step), maps each x to a
 * slot rint(16384 * Phi(x)) and remembers, per slot, the LAST x that landed in it. Table
 * entry j is the x of slot 4 * j.
 */
#define SWEEP_SLOTS	16384 /* iproute2's TABLESIZE: the sweep resolves 4x finer than a table */
#define SWEEP_START	-10.0
#define SWEEP_END	10.05
#define SWEEP_STEP	0.00005
#define SLOTS_PER_ENTRY (SWEEP_SLOTS / FL_NETEM_DIST_ENTRIES)

/*
 * The sweep has 401001 steps and erf() costs ~30 ns, so running it step by step takes
 * ~13 ms. Slots never decrease along the sweep (erf is monotonic; the unit test checks the
 * result against the literal step-by-step sweep as well as against iproute2's files), so
 * instead we walk it in blocks, evaluate the slot at the end of each block, and
 * binary-search only the blocks where the next wanted slot is left behind: ~30000 erf()
 * calls instead of 401001, ~1.8 ms in all, of which ~0.5 ms are the additions.
 */
#define SWEEP_BLOCK 64

/* Pareto with shape a = 3, sampled at 4096 points of the inverse CDF (pareto.c). */
#define PARETO_SHAPE 3.0
#define PARETO_STEPS 65536

static int16_t normal_table[FL_NETEM_DIST_ENTRIES];
/* Rounded but not clamped: paretonormal.c mixes these in before it clamps. */
static int32_t normal_raw[FL_NETEM_DIST_ENTRIES];
static int16_t pareto_table[FL_NETEM_DIST_ENTRIES];
static int16_t paretonormal_table[FL_NETEM_DIST_ENTRIES];

/* Generation happens once per process and distribution; pthread_once publishes it. */
static pthread_once_t normal_once = PTHREAD_ONCE_INIT;
static pthread_once_t pareto_once = PTHREAD_ONCE_INIT;
static pthread_once_t paretonormal_once = PTHREAD_ONCE_INIT;

static int16_t clamp_s16(long v)
{
	if (v < SHRT_MIN)
		return SHRT_MIN;
	if (v > SHRT_MAX)
		return SHRT_MAX;
	return (int16_t)v;
}

/* rint(16384 * Phi(x)), with Phi written as normal.c writes it (mu = 0, sigma = 1). */
static int sweep_slot(double x)
{
	return (int)rint(SWEEP_SLOTS * (0.5 + 0.5 * erf(x / sqrt(2.0))));
}

static int32_t scale_x(double x)
{
	return (int32_t)rint(x * NETEM_DIST_SCALE);
}

static void generate_normal(void)
{
	double xs[SWEEP_BLOCK];
	double before = SWEEP_START; /* the x of the step before the current block */
	double x = SWEEP_START;
	size_t j = 0;

	while (j < FL_NETEM_DIST_ENTRIES && x < SWEEP_END) {
		size_t n = 0, lo = 0;
		int end_slot;

		for (; n < SWEEP_BLOCK && x < SWEEP_END; n++) {
			xs[n] = x;
			x += SWEEP_STEP;
		}
		end_slot = sweep_slot(xs[n - 1]);

		/*
		 * The last x of slot 4j is the step just before the first one whose slot is
		 * above 4j. Every slot is hit at least three times on this sweep, so that
		 * step did land in slot 4j itself.
		 */
		while (j < FL_NETEM_DIST_ENTRIES && end_slot > (int)(SLOTS_PER_ENTRY * j)) {
			size_t a = lo, b = n - 1;

			while (a < b) {
				size_t mid = a + (b - a) / 2;

				if (sweep_slot(xs[mid]) > (int)(SLOTS_PER_ENTRY * j))
					b = mid;
				else
					a = mid + 1;
			}
			normal_raw[j++] = scale_x(a > 0 ? xs[a - 1] : before);
			lo = a;
		}
		before = xs[n - 1];
	}
	/* Slots the sweep never left keep its final x (not reached for the normal CDF). */
	for (; j < FL_NETEM_DIST_ENTRIES; j++)
		normal_raw[j] = scale_x(before);

	for (j = 0; j < FL_NETEM_DIST_ENTRIES; j++)
		normal_table[j] = clamp_s16(normal_raw[j]);
}

/*
 * Entry j is the inverse CDF at u = 1 - 16 j / 65536, shifted by -1.5 and scaled by 4/3
 * (pareto.c's constants), clamped only above: the smallest value is about -5461.
 * paretonormal.c computes the same numbers again for its entries 0..4095.
 */
static void generate_pareto(void)
{
	const int step = PARETO_STEPS / FL_NETEM_DIST_ENTRIES;

	for (int j = 0; j < FL_NETEM_DIST_ENTRIES; j++) {
		double u = (double)(PARETO_STEPS - step * j) / (double)PARETO_STEPS;
		double v = 1.0 / pow(u, 1.0 / PARETO_SHAPE);

		v -= 1.5;
		v *= (4.0 / 3.0) * (double)NETEM_DIST_SCALE;
		if (v > SHRT_MAX)
			v = SHRT_MAX;
		pareto_table[j] = (int16_t)rint(v);
	}
}

/*
 * A quarter normal and three quarters pareto, mixed as integers: C's truncating division
 * and the unclamped normal values are both part of the result (entry 0 is -12305, not the
 * -12287 that a clamped normal value would give).
 */
static void generate_paretonormal(void)
{
	(void)pthread_once(&normal_once, generate_normal);
	(void)pthread_once(&pareto_once, generate_pareto);

	for (size_t j = 0; j < FL_NETEM_DIST_ENTRIES; j++)
		paretonormal_table[j] = clamp_s16((normal_raw[j] + 3L * pareto_table[j]) / 4);
}

int fl_netem_dist_table(enum fl_netem_dist dist, int16_t *ret_table, size_t n)
{
	const int16_t *table;
	int r;

	switch (dist) {
	case FL_NETEM_DIST_NORMAL:
		r = pthread_once(&normal_once, generate_normal);
		table = normal_table;
		break;
	case FL_NETEM_DIST_PARETO:
		r = pthread_once(&pareto_once, generate_pareto);
		table = pareto_table;
		break;
	case FL_NETEM_DIST_PARETONORMAL:
		r = pthread_once(&paretonormal_once, generate_paretonormal);
		table = paretonormal_table;
		break;
	case FL_NETEM_DIST_NONE:
	case FL_NETEM_DIST_CUSTOM:
	default:
		/* Uniform jitter has no table, and a custom one is not ours to generate. */
		return -EINVAL;
	}
	if (r != 0)
		return -r;
	if (n < FL_NETEM_DIST_ENTRIES)
		return -ENOSPC;
	if (!ret_table)
		return -EINVAL;

	memcpy(ret_table, table, FL_NETEM_DIST_ENTRIES * sizeof(*ret_table));
	return FL_NETEM_DIST_ENTRIES;
}

const char *fl_netem_dist_name(enum fl_netem_dist dist)
{
	switch (dist) {
	case FL_NETEM_DIST_NONE:
		return "uniform";
	case FL_NETEM_DIST_NORMAL:
		return "normal";
	case FL_NETEM_DIST_PARETO:
		return "pareto";
	case FL_NETEM_DIST_PARETONORMAL:
		return "paretonormal";
	case FL_NETEM_DIST_CUSTOM:
		return "custom";
	}
	/* Never NULL: callers print the name straight into messages. */
	return "unknown";
}

int fl_netem_dist_from_name(const char *name, enum fl_netem_dist *ret_dist)
{
	/*
	 * Only the generated distributions: "uniform" is what no distribution means, and
	 * "custom" or another tc table name (experimental) would need a file we do not read.
	 * Case-sensitive, as tc's lookup of <name>.dist is.
	 */
	static const enum fl_netem_dist known[] = { FL_NETEM_DIST_NORMAL, FL_NETEM_DIST_PARETO,
						    FL_NETEM_DIST_PARETONORMAL };

	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < FL_ARRAY_SIZE(known); i++) {
		if (strcmp(name, fl_netem_dist_name(known[i])) == 0) {
			*ret_dist = known[i];
			return 0;
		}
	}
	return -EINVAL;
}
