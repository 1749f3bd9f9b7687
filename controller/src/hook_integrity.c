/* SPDX-License-Identifier: MIT */
/*
 * The "integrity" hook module: the lab pipeline's data-integrity check as probe values.
 * It compares the loader's acked file with the connector's sink (lab/pipeline/integrity.c,
 * the same code as build/lab/verify).
 *
 *   config   {"acked": "/path/acked", "sink": "/path/sink", "settle": "5s"}
 *            acked and sink required; settle 0s..10m, default 5s
 *   metrics  lost, duplicates, corrupt, gaps, missingInGaps, acknowledged, inSink,
 *            inFlight, redeliveries, unacknowledged
 *   calls    none
 *
 * A record acknowledged a moment ago may still be on its way to the sink; it is not lost.
 * So a thread samples the highest acknowledged seq four times a second (reading only what
 * the loader appended since), and a query judges only the seqs acknowledged `settle` ago
 * or earlier; younger ones count as inFlight. Before the module has run for `settle`, the
 * bound is the highest seq acknowledged when it started.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fl/units.h"
#include "hook.h"
#include "hook_timer.h"
#include "integrity.h"

#define SAMPLE_NS	  (250ull * 1000 * 1000)
#define DEFAULT_SETTLE_NS (5ull * 1000 * 1000 * 1000)
#define MAX_SETTLE_NS	  (600ull * 1000 * 1000 * 1000)
#define PATH_MAX_LEN	  4096

#define N_METRICS 10 /* metrics[] below */

struct sample {
	uint64_t t_ns, max_seq;
};

struct integrity {
	struct fl_hook_timer sampler;
	pthread_mutex_t lock;
	char *acked, *sink;
	uint64_t settle_ns;
	/* under lock */
	struct sample *ring; /* samples, oldest first from head */
	size_t cap, head, n;
	/* the sampler's own (thread, or start before the thread runs) */
	off_t offset;	  /* of the first byte not yet parsed */
	uint64_t max_seq; /* highest acknowledged seq read so far */
	char partial[32]; /* a line the loader has not finished writing */
	size_t partial_len;
	/*
	 * The last check's metrics: a check reads every acked line and every sink slot
	 * (~0.4 s per 100k seqs), and an experiment asks for lost, duplicates and corrupt one
	 * after the other. Queries for the same bound within one sample period (no fresher
	 * than the bound itself) share one check; cache_lock also keeps two checks from
	 * running at once.
	 */
	pthread_mutex_t cache_lock;
	bool cached;	      /* under cache_lock, like the three below */
	uint64_t cached_upto; /* the settled bound it was computed for */
	uint64_t cached_ns;   /* when it finished */
	uint64_t cached_values[N_METRICS];
};

static void take_line(struct integrity *m, const char *line, size_t len)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return;
	for (size_t i = 0; i < len; i++) {
		if (line[i] < '0' || line[i] > '9')
			return;
		v = v * 10 + (uint64_t)(line[i] - '0');
	}
	if (v > m->max_seq)
		m->max_seq = v;
}

/* Parse what the loader appended since the last call. A missing file is "nothing yet". */
static void read_new(struct integrity *m)
{
	char buf[65536];
	ssize_t got;
	int fd = open(m->acked, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	while ((got = pread(fd, buf, sizeof(buf), m->offset)) > 0) {
		m->offset += got;
		for (ssize_t i = 0; i < got; i++) {
			if (buf[i] != '\n') {
				if (m->partial_len < sizeof(m->partial))
					m->partial[m->partial_len] = buf[i];
				m->partial_len++; /* an overlong line is counted, then ignored */
				continue;
			}
			if (m->partial_len <= sizeof(m->partial))
				take_line(m, m->partial, m->partial_len);
			m->partial_len = 0;
		}
	}
	close(fd);
}

static void record(struct integrity *m, uint64_t now)
{
	pthread_mutex_lock(&m->lock);
	if (m->n == m->cap) { /* full: drop the oldest */
		m->head = (m->head + 1) % m->cap;
		m->n--;
	}
	m->ring[(m->head + m->n) % m->cap] = (struct sample){ now, m->max_seq };
	m->n++;
	pthread_mutex_unlock(&m->lock);
}

/* Every SAMPLE_NS: what the loader appended, and the highest seq so far with its time. */
static void sample_tick(void *arg, uint64_t elapsed)
{
	struct integrity *m = arg;

	(void)elapsed; /* one sample however late: it is a reading, not a count */
	read_new(m);
	record(m, fl_hook_mono_ns());
}

static const char *const config_fields[] = { "acked", "sink", "settle", NULL };
static const char *const metrics[] = { "lost",		"duplicates",	  "corrupt", "gaps",
				       "missingInGaps", "acknowledged",	  "inSink",  "inFlight",
				       "redeliveries",	"unacknowledged", NULL };
_Static_assert(FL_ARRAY_SIZE(metrics) == N_METRICS + 1, "N_METRICS counts metrics[]");

static int config_path(const json_t *config, const char *key, const char *what, char **ret,
		       const char **ret_field, struct fl_diag *diag)
{
	json_t *value = config ? json_object_get(config, key) : NULL;
	const char *s = json_string_value(value);

	*ret_field = key;
	if (!value)
		return fl_diag_set(diag, -EINVAL, "required (%s)", what);
	if (!s || !s[0] || strlen(s) >= PATH_MAX_LEN)
		return fl_diag_set(diag, -EINVAL, "expected a path (a non-empty string)");
	if (ret && !(*ret = strdup(s)))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	return 0;
}

/*
 * config (known fields only, hook.c) into m, or only checked when m is NULL. On error,
 * *ret_field is the field at fault.
 */
static int parse_config(const json_t *config, struct integrity *m, const char **ret_field,
			struct fl_diag *diag)
{
	json_t *settle = config ? json_object_get(config, "settle") : NULL;
	uint64_t settle_ns = DEFAULT_SETTLE_NS;
	int r;

	if ((r = config_path(config, "acked", "the loader's acked file", m ? &m->acked : NULL,
			     ret_field, diag)) < 0 ||
	    (r = config_path(config, "sink", "the connector's sink", m ? &m->sink : NULL, ret_field,
			     diag)) < 0)
		return r;
	if (settle) {
		const char *s = json_string_value(settle);

		*ret_field = "settle";
		if (!s || fl_parse_duration_strict_ns(s, &settle_ns) < 0 ||
		    settle_ns > MAX_SETTLE_NS)
			return fl_diag_set(diag, -EINVAL,
					   "%s%s%s is not a duration between 0s and 10m",
					   s ? "\"" : "", s ? s : "(not a string)", s ? "\"" : "");
	}
	if (m)
		m->settle_ns = settle_ns;
	return 0;
}

static int integrity_check_config(const json_t *config, const char **ret_field,
				  struct fl_diag *diag)
{
	return parse_config(config, NULL, ret_field, diag);
}

static void integrity_free(struct integrity *m)
{
	free(m->acked);
	free(m->sink);
	free(m->ring);
	free(m);
}

static int integrity_start(const json_t *config, void **ret_state, struct fl_diag *diag)
{
	struct integrity *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	const char *field = NULL;
	r = parse_config(config, m, &field, diag);
	if (r < 0) { /* only -ENOMEM: hook.c checked the config */
		integrity_free(m);
		return r;
	}
	m->cap = (size_t)(m->settle_ns / SAMPLE_NS) + 8;
	m->ring = calloc(m->cap, sizeof(*m->ring));
	if (!m->ring) {
		integrity_free(m);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	/* The first sample now: the bound until the module has run for settle. */
	read_new(m);
	m->ring[0] = (struct sample){ fl_hook_mono_ns(), m->max_seq };
	m->n = 1;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		integrity_free(m);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	if (pthread_mutex_init(&m->cache_lock, NULL) != 0) {
		pthread_mutex_destroy(&m->lock);
		integrity_free(m);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	r = fl_hook_timer_start(&m->sampler, SAMPLE_NS, sample_tick, m, diag);
	if (r < 0) {
		pthread_mutex_destroy(&m->cache_lock);
		pthread_mutex_destroy(&m->lock);
		integrity_free(m);
		return r;
	}
	*ret_state = m;
	return 0;
}

/* The highest seq acknowledged settle ago (or at start, when younger than settle). */
static uint64_t settled_seq(struct integrity *m)
{
	uint64_t now = fl_hook_mono_ns(), upto;

	if (m->settle_ns == 0)
		return UINT64_MAX; /* judge every acknowledged record, however recent */
	pthread_mutex_lock(&m->lock);
	upto = m->ring[m->head].max_seq;
	for (size_t i = 0; i < m->n; i++) {
		const struct sample *s = &m->ring[(m->head + i) % m->cap];
		if (s->t_ns + m->settle_ns > now)
			break;
		upto = s->max_seq;
	}
	pthread_mutex_unlock(&m->lock);
	return upto;
}

static int integrity_query(void *state, const char *metric, double *ret_value, struct fl_diag *diag)
{
	struct integrity *m = state;
	struct fl_integrity res;
	unsigned k = 0;
	int r;

	while (metrics[k] && strcmp(metric, metrics[k]) != 0)
		k++;
	if (!metrics[k]) /* hook.c passes listed metrics only */
		return fl_diag_set(diag, -ENOENT, "unknown metric \"%s\"", metric);
	uint64_t upto = settled_seq(m);
	pthread_mutex_lock(&m->cache_lock);
	if (!m->cached || m->cached_upto != upto || fl_hook_mono_ns() - m->cached_ns >= SAMPLE_NS) {
		r = fl_integrity_check(m->acked, m->sink, upto, &res, diag);
		if (r < 0) {
			m->cached = false;
			pthread_mutex_unlock(&m->cache_lock);
			return r;
		}
		const uint64_t values[N_METRICS] = {
			res.lost,
			res.duplicates,
			res.corrupt_slots + res.misplaced_slots,
			res.gaps,
			res.missing_in_gaps,
			res.acknowledged,
			res.in_sink,
			res.in_flight,
			res.redeliveries,
			res.unacknowledged,
		};
		fl_integrity_fini(&res);
		memcpy(m->cached_values, values, sizeof(values));
		m->cached = true;
		m->cached_upto = upto;
		m->cached_ns = fl_hook_mono_ns();
	}
	*ret_value = (double)m->cached_values[k];
	pthread_mutex_unlock(&m->cache_lock);
	return 0;
}

static int integrity_check_call(const char *action, const json_t *args, struct fl_diag *diag)
{
	(void)args;
	return fl_diag_set(diag, -ENOTSUP, "unknown action \"%s\" (it has none)", action);
}

static int integrity_call(void *state, const char *action, const json_t *args, struct fl_diag *diag)
{
	(void)state;
	return integrity_check_call(action, args, diag); /* not reached: nothing passes the check */
}

static void integrity_stop(void *state)
{
	struct integrity *m = state;

	if (!m)
		return;
	fl_hook_timer_stop(&m->sampler);
	pthread_mutex_destroy(&m->cache_lock);
	pthread_mutex_destroy(&m->lock);
	integrity_free(m);
}

const struct fl_hook_module fl_hook_integrity = {
	.name = "integrity",
	.description = "the lab pipeline's data-integrity check (config acked, sink, settle); "
		       "metrics lost, duplicates, corrupt, gaps, missingInGaps, acknowledged, "
		       "inSink, inFlight, redeliveries, unacknowledged",
	.config_fields = config_fields,
	.check_config = integrity_check_config,
	.start = integrity_start,
	.metrics = metrics,
	.query = integrity_query,
	.check_call = integrity_check_call,
	.call = integrity_call,
	.stop = integrity_stop,
};
