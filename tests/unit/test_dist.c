/* SPDX-License-Identifier: MIT */
/*
 * Distribution tables (netem/src/dist.c). The reference is the data tc itself sends:
 * iproute2's installed <name>.dist files, compared entry by entry, because the encoder's
 * golden bytes and decode's table recognition need the tables bit for bit. A literal
 * transcription of iproute2's step-by-step normal sweep checks dist.c's faster search on
 * this libm even where the files are missing.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/pkt_sched.h>

#include "fl/netem.h"
#include "fltest.h"

#define N FL_NETEM_DIST_ENTRIES

/* The .dist files are ~23 KiB; anything much larger is not one. */
#define DIST_FILE_MAX (256 * 1024)

/*
 * Where tc looks: $TC_LIB_DIR first (tc honours it too), then the LIBDIR of the common
 * builds (Debian multiarch, Fedora/Arch, older layouts).
 */
static const char *const tc_lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu/tc",
	"/usr/lib/aarch64-linux-gnu/tc",
	"/usr/lib64/tc",
	"/usr/lib/tc",
};

static FILE *open_dist_file(const char *name, char *path, size_t size)
{
	const char *env = getenv("TC_LIB_DIR");
	FILE *f;

	if (env && *env) {
		snprintf(path, size, "%s/%s.dist", env, name);
		if ((f = fopen(path, "re")))
			return f;
	}
	for (size_t i = 0; i < FL_ARRAY_SIZE(tc_lib_dirs); i++) {
		snprintf(path, size, "%s/%s.dist", tc_lib_dirs[i], name);
		if ((f = fopen(path, "re")))
			return f;
	}
	/* Report the first standard place, with errno as fopen left it there. */
	snprintf(path, size, "%s/%s.dist", tc_lib_dirs[0], name);
	f = fopen(path, "re");
	return f;
}

static void close_file(void *f)
{
	fclose(f);
}

/*
 * Read iproute2's table the way tc does (netem's get_distribution: '#' lines are
 * comments, the rest whitespace-separated integers) into want[N]. Skips the test when
 * the file is not installed; fails when it is there but is not a 4096-entry table.
 */
static void load_dist_file(const char *name, int16_t want[static N])
{
	char path[512], line[1024];
	size_t count = 0, bytes = 0;
	FILE *f = open_dist_file(name, path, sizeof(path));
	int err = errno; /* fopen's reason, before anything else can change errno */

	if (!f)
		FL_SKIP("%s: %s (iproute2's distribution tables are not installed; "
			"`make deps` installs iproute2)",
			path, strerror(err));
	fltest_defer(close_file, f);

	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		bytes += strlen(line);
		FL_ASSERT_MSG(bytes <= DIST_FILE_MAX, "%s: larger than %d bytes", path,
			      DIST_FILE_MAX);
		if (line[0] == '#')
			continue;
		for (;;) {
			long v;

			errno = 0;
			v = strtol(p, &end, 10);
			if (end == p)
				break;
			FL_ASSERT_MSG(errno == 0 && v >= SHRT_MIN && v <= SHRT_MAX,
				      "%s: entry %zu (%ld) is not an int16", path, count, v);
			FL_ASSERT_MSG(count < N, "%s: more than %d entries", path, N);
			want[count++] = (int16_t)v;
			p = end;
		}
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		FL_ASSERT_MSG(*p == '\0', "%s: unexpected text \"%.20s\" after entry %zu", path, p,
			      count);
	}
	FL_ASSERT_MSG(!ferror(f), "%s: %s", path, strerror(errno));
	FL_ASSERT_MSG(count == N, "%s: %zu entries, expected %d", path, count, N);
	fltest_log("reference: %s", path);
}

/* Entry-by-entry comparison; on a mismatch say where, how many and how far off. */
static void assert_tables_equal(const char *what, const int16_t *got, const int16_t *want)
{
	size_t first = N, diffs = 0;
	int max_dev = 0;

	for (size_t j = 0; j < N; j++) {
		int dev = abs(got[j] - want[j]);

		if (dev == 0)
			continue;
		if (first == N)
			first = j;
		diffs++;
		if (dev > max_dev)
			max_dev = dev;
	}
	FL_ASSERT_MSG(diffs == 0,
		      "%s: %zu of %d entries differ (max deviation %d); "
		      "first at entry %zu: got %d, expected %d",
		      what, diffs, N, max_dev, first, first < N ? got[first] : 0,
		      first < N ? want[first] : 0);
}

static void generate(enum fl_netem_dist dist, int16_t table[static N])
{
	FL_ASSERT_EQ(fl_netem_dist_table(dist, table, N), N);
}

static void check_against_iproute2(enum fl_netem_dist dist)
{
	static int16_t got[N], want[N];

	load_dist_file(fl_netem_dist_name(dist), want);
	generate(dist, got);
	assert_tables_equal(fl_netem_dist_name(dist), got, want);
}

FLTEST(normal_matches_iproute2)
{
	check_against_iproute2(FL_NETEM_DIST_NORMAL);
}

FLTEST(pareto_matches_iproute2)
{
	check_against_iproute2(FL_NETEM_DIST_PARETO);
}

FLTEST(paretonormal_matches_iproute2)
{
	check_against_iproute2(FL_NETEM_DIST_PARETONORMAL);
}

static int16_t clamp_s16(int v)
{
	return (int16_t)(v < SHRT_MIN ? SHRT_MIN : v > SHRT_MAX ? SHRT_MAX : v);
}

/*
 * iproute2 6.1 netem/normal.c and paretonormal.c transcribed literally (every sweep step
 * evaluated, the last x per slot kept), as an oracle for dist.c's block search that does
 * not need the installed files. 16384 slots, step 0.00005 from -10 to 10.05.
 */
static void literal_iproute2(int16_t normal[static N], int16_t paretonormal[static N])
{
	static double slot_x[16384 + 1];
	static unsigned hits[16384 + 1];

	for (double x = -10.0; x < 10.05; x += .00005) {
		int i = (int)rint(16384 * (.5 + .5 * erf(x / sqrt(2.0))));

		slot_x[i] = x;
		hits[i]++;
	}
	for (int i = 0, j = 0; i < 16384; i += 4, j++) {
		int normvalue = (int)rint(slot_x[i] * NETEM_DIST_SCALE);
		double dvalue = (double)(65536 - 4 * i) / 65536.0;
		int parvalue, value;

		/* Unhit slots are uninitialised memory in iproute2: the oracle is void there. */
		FL_ASSERT_MSG(hits[i] > 0, "sweep never lands in slot %d", i);
		dvalue = 1.0 / pow(dvalue, 1.0 / 3.0);
		dvalue = (dvalue - 1.5) * ((4.0 / 3.0) * NETEM_DIST_SCALE);
		if (dvalue > 32767)
			dvalue = 32767;
		parvalue = (int)rint(dvalue);

		normal[j] = clamp_s16(normvalue);
		value = (normvalue + 3 * parvalue) / 4;
		paretonormal[j] = clamp_s16(value);
	}
}

FLTEST(block_search_matches_literal_sweep)
{
	static int16_t want_normal[N], want_pn[N], got[N];

	literal_iproute2(want_normal, want_pn);
	generate(FL_NETEM_DIST_NORMAL, got);
	assert_tables_equal("normal vs literal sweep", got, want_normal);
	generate(FL_NETEM_DIST_PARETONORMAL, got);
	assert_tables_equal("paretonormal vs literal sweep", got, want_pn);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/*
 * Each test runs in a fresh child, so the cache is cold here. Paretonormal's first call
 * includes generating normal and pareto. Logged, not asserted: sanitizers and loaded CI
 * machines make any bound either flaky or meaningless.
 */
static void time_first_generation(enum fl_netem_dist dist)
{
	static int16_t first[N], again[N];
	double t0, t1, t2;

	t0 = now_us();
	generate(dist, first);
	t1 = now_us();
	generate(dist, again);
	t2 = now_us();
	fltest_log("%s: first generation %.0f us, cached copy %.1f us", fl_netem_dist_name(dist),
		   t1 - t0, t2 - t1);
	FL_ASSERT_MEMEQ(again, sizeof(again), first, sizeof(first));
}

FLTEST(normal_first_generation_time)
{
	time_first_generation(FL_NETEM_DIST_NORMAL);
}

FLTEST(pareto_first_generation_time)
{
	time_first_generation(FL_NETEM_DIST_PARETO);
}

FLTEST(paretonormal_first_generation_time)
{
	time_first_generation(FL_NETEM_DIST_PARETONORMAL);
}

#define RACERS 8

struct racer {
	pthread_t thread;
	size_t first; /* distribution to start with */
	int r[3];
	int16_t table[3][N];
};

static const enum fl_netem_dist generated[3] = { FL_NETEM_DIST_NORMAL, FL_NETEM_DIST_PARETO,
						 FL_NETEM_DIST_PARETONORMAL };

static void *race(void *arg)
{
	struct racer *racer = arg;

	/* Start at different distributions so paretonormal's nested once races too. */
	for (size_t k = 0; k < 3; k++) {
		size_t d = (k + racer->first) % 3;

		racer->r[d] = fl_netem_dist_table(generated[d], racer->table[d], N);
	}
	return NULL;
}

/* First calls from many threads at once (cold cache) all see the complete tables. */
FLTEST(concurrent_first_calls_agree)
{
	static struct racer racers[RACERS];
	static int16_t want[N];

	for (size_t t = 0; t < RACERS; t++) {
		racers[t].first = t % 3;
		FL_ASSERT_EQ(pthread_create(&racers[t].thread, NULL, race, &racers[t]), 0);
	}
	for (size_t t = 0; t < RACERS; t++)
		FL_ASSERT_EQ(pthread_join(racers[t].thread, NULL), 0);
	for (size_t d = 0; d < 3; d++) {
		generate(generated[d], want);
		for (size_t t = 0; t < RACERS; t++) {
			FL_ASSERT_EQ(racers[t].r[d], N);
			FL_ASSERT_MEMEQ(racers[t].table[d], sizeof(want), want, sizeof(want));
		}
	}
}

FLTEST(rejects_distributions_without_a_table)
{
	int16_t table[N];

	FL_ASSERT_EQ(fl_netem_dist_table(FL_NETEM_DIST_NONE, table, N), -EINVAL);
	FL_ASSERT_EQ(fl_netem_dist_table(FL_NETEM_DIST_CUSTOM, table, N), -EINVAL);
	FL_ASSERT_EQ(fl_netem_dist_table((enum fl_netem_dist)42, table, N), -EINVAL);
	FL_ASSERT_EQ(fl_netem_dist_table(FL_NETEM_DIST_NORMAL, NULL, N), -EINVAL);
}

FLTEST(too_small_buffer_is_enospc_and_untouched)
{
	static int16_t table[N + 8];

	for (size_t d = 0; d < 3; d++) {
		memset(table, 0x5a, sizeof(table));
		FL_ASSERT_EQ(fl_netem_dist_table(generated[d], table, N - 1), -ENOSPC);
		FL_ASSERT_EQ(fl_netem_dist_table(generated[d], NULL, 0), -ENOSPC);
		for (size_t j = 0; j < FL_ARRAY_SIZE(table); j++)
			FL_ASSERT_EQ((uint16_t)table[j], 0x5a5a);

		/* A larger buffer is fine; only the first N entries are written. */
		FL_ASSERT_EQ(fl_netem_dist_table(generated[d], table, N + 8), N);
		for (size_t j = N; j < N + 8; j++)
			FL_ASSERT_EQ((uint16_t)table[j], 0x5a5a);
	}
}

FLTEST(names_round_trip)
{
	enum fl_netem_dist dist;

	for (size_t d = 0; d < 3; d++) {
		dist = FL_NETEM_DIST_NONE;
		FL_ASSERT_EQ(fl_netem_dist_from_name(fl_netem_dist_name(generated[d]), &dist), 0);
		FL_ASSERT_EQ(dist, generated[d]);
	}
	FL_ASSERT_STREQ(fl_netem_dist_name(FL_NETEM_DIST_NONE), "uniform");
	FL_ASSERT_STREQ(fl_netem_dist_name(FL_NETEM_DIST_NORMAL), "normal");
	FL_ASSERT_STREQ(fl_netem_dist_name(FL_NETEM_DIST_PARETO), "pareto");
	FL_ASSERT_STREQ(fl_netem_dist_name(FL_NETEM_DIST_PARETONORMAL), "paretonormal");
	FL_ASSERT_STREQ(fl_netem_dist_name(FL_NETEM_DIST_CUSTOM), "custom");
	FL_ASSERT_STREQ(fl_netem_dist_name((enum fl_netem_dist)42), "unknown");
}

FLTEST(unknown_names_are_einval_and_leave_result_alone)
{
	static const char *const bad[] = {
		"uniform", "custom",	    "experimental", "Normal",
		"normal ", "pareto-normal", "unknown",	    "",
	};
	enum fl_netem_dist dist = FL_NETEM_DIST_PARETO;

	for (size_t i = 0; i < FL_ARRAY_SIZE(bad); i++) {
		FL_ASSERT_EQ(fl_netem_dist_from_name(bad[i], &dist), -EINVAL);
		FL_ASSERT_EQ(dist, FL_NETEM_DIST_PARETO);
	}
	FL_ASSERT_EQ(fl_netem_dist_from_name(NULL, &dist), -EINVAL);
	FL_ASSERT_EQ(dist, FL_NETEM_DIST_PARETO);
}

static void assert_non_decreasing(const char *what, const int16_t *t)
{
	for (size_t j = 1; j < N; j++)
		FL_ASSERT_MSG(t[j - 1] <= t[j], "%s: entry %zu (%d) < entry %zu (%d)", what, j,
			      t[j], j - 1, t[j - 1]);
}

/*
 * What the kernel relies on: a table is an inverse CDF (sorted), and the normal one has
 * mean 0 and standard deviation NETEM_DIST_SCALE, so that "delay 100ms 10ms" really means
 * sigma = 10 ms.
 */
FLTEST(tables_are_shaped_like_their_distributions)
{
	static int16_t normal[N], pareto[N], pn[N];
	double sum = 0, sumsq = 0, mean, sd;

	generate(FL_NETEM_DIST_NORMAL, normal);
	generate(FL_NETEM_DIST_PARETO, pareto);
	generate(FL_NETEM_DIST_PARETONORMAL, pn);
	assert_non_decreasing("normal", normal);
	assert_non_decreasing("pareto", pareto);
	assert_non_decreasing("paretonormal", pn);

	/* Symmetric about 0 up to a sweep slot or two (the table keeps each slot's upper
	 * edge, so mirrored entries are off by about one slot width). */
	FL_ASSERT(abs(normal[N / 2]) <= 2);
	for (size_t j = N / 16; j < N - N / 16; j++)
		FL_ASSERT_MSG(abs(normal[j] + normal[N - j]) <= 8,
			      "normal: entry %zu (%d) and %zu (%d) are not mirrored", j, normal[j],
			      N - j, normal[N - j]);
	FL_ASSERT_EQ(normal[0], SHRT_MIN); /* x = -4 sigma and below, clamped */
	for (size_t j = 0; j < N; j++) {
		sum += normal[j];
		sumsq += (double)normal[j] * normal[j];
	}
	mean = sum / N;
	sd = sqrt(sumsq / N - mean * mean);
	fltest_log("normal: mean %.1f, standard deviation %.1f (scale %d)", mean, sd,
		   NETEM_DIST_SCALE);
	FL_ASSERT(fabs(mean) < 0.01 * NETEM_DIST_SCALE);
	FL_ASSERT(fabs(sd - NETEM_DIST_SCALE) < 0.02 * NETEM_DIST_SCALE);

	/* Pareto starts at its minimum, -1.5 * 4/3 * scale, and its tail is clamped. */
	FL_ASSERT_EQ(pareto[0], -5461);
	FL_ASSERT_EQ(pareto[N - 1], SHRT_MAX);
	FL_ASSERT(pareto[N / 2] < 0); /* right-skewed: the median is below the mean */
}
