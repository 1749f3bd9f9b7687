/* SPDX-License-Identifier: MIT */
/*
 * The "integrity" hook module: the lab pipeline's data-integrity check and its end-to-end
 * latency as probe values. It compares the loader's acked file with the connector's sink
 * (controller/hooks/integrity/integrity.c, the same code as build/lab/verify), and reads the latency of
 * the records stored lately from the sink (controller/hooks/integrity/latency.c).
 *
 *   config   {"acked": "/path/acked", "sink": "/path/sink", "settle": "5s",
 *             "latencyWindow": "5s"}
 *            acked and sink required; settle 0s..10m, default 5s; latencyWindow 1s..10m,
 *            default 5s
 *   metrics  lost, duplicates, corrupt, gaps, missingInGaps, acknowledged, inSink,
 *            inFlight, redeliveries, unacknowledged;
 *            latency.p50, latency.p95, latency.p99, latency.max (ms, nearest rank),
 *            latency.clamped and
 *            stored, over the records stored in the last latencyWindow
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
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fl/units.h"
#include "hook.h"
#include "hook_timer.h"
#include "integrity.h"
#include "latency.h"

#define SAMPLE_NS	  (250ull * 1000 * 1000)
#define DEFAULT_SETTLE_NS (5ull * 1000 * 1000 * 1000)
#define MAX_SETTLE_NS	  (600ull * 1000 * 1000 * 1000)
#define DEFAULT_WINDOW_NS (5ull * 1000 * 1000 * 1000)
#define MIN_WINDOW_NS	  (1ull * 1000 * 1000 * 1000) /* several connector batches (200 ms) */
#define MAX_WINDOW_NS	  (600ull * 1000 * 1000 * 1000)
#define PATH_MAX_LEN	  4096

#define N_INTEGRITY 10 /* metrics[] below: the integrity check's, then the latency's */
#define N_METRICS   16

struct sample {
	uint64_t t_ns, max_seq;
};

struct integrity {
	struct fl_hook_timer sampler;
	pthread_mutex_t lock;
	char *acked, *sink;
	uint64_t settle_ns, window_ns;
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
	 * (~75 ms of CPU per 100k seqs), and an experiment asks for lost, duplicates and corrupt one
	 * after the other. Queries for the same bound within one sample period (no fresher
	 * than the bound itself) share one check; cache_lock also keeps two checks from
	 * running at once.
	 */
	pthread_mutex_t cache_lock;
	bool cached;	      /* under cache_lock, like the three below */
	uint64_t cached_upto; /* the settled bound it was computed for */
	uint64_t cached_ns;   /* when it finished */
	uint64_t cached_values[N_INTEGRITY];
	/* The last window's latency, shared the same way by queries within a sample period. */
	pthread_mutex_t latency_lock;
	bool latency_cached; /* under latency_lock, like the two below */
	uint64_t latency_ns;
	struct fl_latency latency;
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

static const char *const config_fields[] = { "acked", "sink", "settle", "latencyWindow", NULL };
static const char *const metrics[] = {
	"lost",		"duplicates",  "corrupt",     "gaps",	      "missingInGaps",
	"acknowledged", "inSink",      "inFlight",    "redeliveries", "unacknowledged",
	"latency.p50",	"latency.p95", "latency.p99", "latency.max",  "latency.clamped",
	"stored",	NULL,
};
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

/* An optional duration field within [min_ns, max_ns], which range names in messages. */
static int config_duration(const json_t *config, const char *key, uint64_t min_ns, uint64_t max_ns,
			   const char *range, uint64_t *ret_ns, const char **ret_field,
			   struct fl_diag *diag)
{
	json_t *value = config ? json_object_get(config, key) : NULL;
	const char *s = json_string_value(value);
	uint64_t ns;

	if (!value)
		return 0; /* *ret_ns keeps its default */
	*ret_field = key;
	if (!s || fl_parse_duration_strict_ns(s, &ns) < 0 || ns < min_ns || ns > max_ns)
		return fl_diag_set(diag, -EINVAL, "%s%s%s is not a duration between %s",
				   s ? "\"" : "", s ? s : "(not a string)", s ? "\"" : "", range);
	*ret_ns = ns;
	return 0;
}

/*
 * config (known fields only, hook.c) into m, or only checked when m is NULL. On error,
 * *ret_field is the field at fault.
 */
static int parse_config(const json_t *config, struct integrity *m, const char **ret_field,
			struct fl_diag *diag)
{
	uint64_t settle_ns = DEFAULT_SETTLE_NS, window_ns = DEFAULT_WINDOW_NS;
	int r;

	if ((r = config_path(config, "acked", "the loader's acked file", m ? &m->acked : NULL,
			     ret_field, diag)) < 0 ||
	    (r = config_path(config, "sink", "the connector's sink", m ? &m->sink : NULL, ret_field,
			     diag)) < 0 ||
	    (r = config_duration(config, "settle", 0, MAX_SETTLE_NS, "0s and 10m", &settle_ns,
				 ret_field, diag)) < 0 ||
	    (r = config_duration(config, "latencyWindow", MIN_WINDOW_NS, MAX_WINDOW_NS,
				 "1s and 10m", &window_ns, ret_field, diag)) < 0)
		return r;
	if (m) {
		m->settle_ns = settle_ns;
		m->window_ns = window_ns;
	}
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
	if (pthread_mutex_init(&m->latency_lock, NULL) != 0) {
		pthread_mutex_destroy(&m->cache_lock);
		pthread_mutex_destroy(&m->lock);
		integrity_free(m);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	r = fl_hook_timer_start(&m->sampler, SAMPLE_NS, sample_tick, m, diag);
	if (r < 0) {
		pthread_mutex_destroy(&m->latency_lock);
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

/* Metric k (< N_INTEGRITY) of the integrity check, shared by queries (see cache_lock). */
static int query_integrity(struct integrity *m, unsigned k, double *ret_value, struct fl_diag *diag)
{
	struct fl_integrity res;
	int r;

	uint64_t upto = settled_seq(m);
	pthread_mutex_lock(&m->cache_lock);
	if (!m->cached || m->cached_upto != upto || fl_hook_mono_ns() - m->cached_ns >= SAMPLE_NS) {
		r = fl_integrity_check(m->acked, m->sink, upto, &res, diag);
		if (r < 0) {
			m->cached = false;
			pthread_mutex_unlock(&m->cache_lock);
			return r;
		}
		const uint64_t values[N_INTEGRITY] = {
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

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The latency of the last window; queries within one sample period share one scan. */
static int window_latency(struct integrity *m, struct fl_latency *ret, struct fl_diag *diag)
{
	int r = 0;

	pthread_mutex_lock(&m->latency_lock);
	if (!m->latency_cached || fl_hook_mono_ns() - m->latency_ns >= SAMPLE_NS) {
		r = fl_latency_scan(m->sink, wall_ms() - (int64_t)(m->window_ns / 1000000),
				    &m->latency, diag);
		m->latency_cached = r == 0;
		m->latency_ns = fl_hook_mono_ns();
	}
	if (r == 0)
		*ret = m->latency;
	pthread_mutex_unlock(&m->latency_lock);
	return r;
}

/* Metric k (>= N_INTEGRITY): a latency figure, or a count of the window's records. */
static int query_latency(struct integrity *m, unsigned k, double *ret_value, struct fl_diag *diag)
{
	struct fl_latency lat = { 0 };
	char window[32];
	int r = window_latency(m, &lat, diag);

	if (r < 0)
		return r;
	if (strcmp(metrics[k], "stored") == 0) {
		*ret_value = (double)lat.stored;
		return 0;
	}
	if (strcmp(metrics[k], "latency.clamped") == 0) {
		*ret_value = (double)lat.clamped;
		return 0;
	}
	fl_format_duration(m->window_ns, window, sizeof(window));
	if (lat.stored == 0)
		return fl_diag_set(diag, -ENODATA, "no record stored in the last %s", window);
	if (lat.timed == 0)
		return fl_diag_set(diag, -ENODATA,
				   "no record with a CreateTime among the %" PRIu64
				   " stored in the last %s",
				   lat.stored, window);
	*ret_value = (double)(strcmp(metrics[k], "latency.p50") == 0   ? lat.p50_ms
			      : strcmp(metrics[k], "latency.p95") == 0 ? lat.p95_ms
			      : strcmp(metrics[k], "latency.p99") == 0 ? lat.p99_ms
								       : lat.max_ms);
	return 0;
}

static int integrity_query(void *state, const char *metric, double *ret_value, struct fl_diag *diag)
{
	struct integrity *m = state;
	unsigned k = 0;

	while (metrics[k] && strcmp(metric, metrics[k]) != 0)
		k++;
	if (!metrics[k]) /* hook.c passes listed metrics only */
		return fl_diag_set(diag, -ENOENT, "unknown metric \"%s\"", metric);
	if (k >= N_INTEGRITY)
		return query_latency(m, k, ret_value, diag);
	return query_integrity(m, k, ret_value, diag);
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
	pthread_mutex_destroy(&m->latency_lock);
	pthread_mutex_destroy(&m->cache_lock);
	pthread_mutex_destroy(&m->lock);
	integrity_free(m);
}

const struct fl_hook_module fl_hook_integrity = {
	.name = "integrity",
	.description = "the lab pipeline's data-integrity check and end-to-end latency (config "
		       "acked, sink, settle, latencyWindow); metrics lost, duplicates, corrupt, "
		       "gaps, missingInGaps, acknowledged, inSink, inFlight, redeliveries, "
		       "unacknowledged, latency.p50, latency.p95, latency.p99, latency.max, "
		       "latency.clamped, stored",
	.config_fields = config_fields,
	.check_config = integrity_check_config,
	.start = integrity_start,
	.metrics = metrics,
	.query = integrity_query,
	.check_call = integrity_check_call,
	.call = integrity_call,
	.stop = integrity_stop,
};
