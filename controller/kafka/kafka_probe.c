/* SPDX-License-Identifier: MIT */
/* The kafka.* probes (probe.h): throughput, consumerLag, partitions, e2e. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ere.h"
#include "kafka_internal.h"

#define DEFAULT_WINDOW_NS  (10ull * 1000000000ull)
#define DEFAULT_TIMEOUT_NS (5ull * 1000000000ull)
#define RING_MAX	   64	/* snapshots kept by a windowed probe */
#define DETAIL_MAX	   1000 /* partitions described in a sample's detail */

struct kprobe {
	struct fl_probe base;
	struct fl_kafka *kafka; /* borrowed */
	regex_t re;
	bool has_re;
	struct fl_kafka_select sel;
	uint64_t window_ns, timeout_ns;
	/* windowed probes: snapshots, oldest first */
	unsigned n_ring;
	void *ring[RING_MAX];
	/* kafka.partitions */
	struct fl_kafka_min_isr_cache *min_isr;
	/* kafka.e2e */
	struct fl_kafka_e2e *e2e;
};

static int to_ms(uint64_t ns)
{
	uint64_t ms = (ns + 999999) / 1000000;
	return ms > 3600000 ? 3600000 : (int)(ms ? ms : 1);
}

static void sleep_until(uint64_t t_ns)
{
	struct timespec ts = { .tv_sec = (time_t)(t_ns / 1000000000ull),
			       .tv_nsec = (long)(t_ns % 1000000000ull) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void ring_free_one(struct kprobe *kp, void *s)
{
	if (kp->base.spec->type == FL_PROBE_KAFKA_THROUGHPUT)
		fl_kafka_ends_free(s);
	else
		fl_lag_snapshot_free(s);
}

static uint64_t snap_t(const struct kprobe *kp, const void *s)
{
	if (kp->base.spec->type == FL_PROBE_KAFKA_THROUGHPUT)
		return ((const struct fl_kafka_ends *)s)->t_ns;
	return ((const struct fl_lag_snapshot *)s)->t_ns;
}

/* Keep s (stolen) and drop what fell out of the window. A snapshot a little older than the
 * window (a quarter of it) still counts: samples taken every `window` would otherwise
 * always find their predecessor just out of reach and wait a whole window again. */
static void ring_push(struct kprobe *kp, void *s)
{
	uint64_t now = snap_t(kp, s), keep = kp->window_ns + kp->window_ns / 4;
	unsigned drop = 0;

	if (kp->n_ring == RING_MAX)
		drop = 1;
	while (drop < kp->n_ring && now - snap_t(kp, kp->ring[drop]) > keep)
		drop++;
	for (unsigned i = 0; i < drop; i++)
		ring_free_one(kp, kp->ring[i]);
	memmove(kp->ring, kp->ring + drop, (kp->n_ring - drop) * sizeof(void *));
	kp->n_ring -= drop;
	kp->ring[kp->n_ring++] = s;
}

/* ---- kafka.throughput ---------------------------------------------------------------- */

static int take_ends(struct kprobe *kp, uint64_t deadline, struct fl_sample *s)
{
	struct fl_diag diag = { 0 };
	struct fl_kafka_ends *ends;
	int r = fl_kafka_end_offsets(kp->kafka, &kp->sel, fl_kafka_left_ms(deadline), &ends, &diag);

	if (r < 0)
		return fl_sample_fail(s, r, "%s", diag.msg);
	ring_push(kp, ends);
	return 0;
}

static int throughput_sample(struct kprobe *kp, struct fl_sample *s)
{
	uint64_t t0 = fl_kafka_now_ns();
	int r = take_ends(kp, t0 + kp->timeout_ns, s);

	if (r < 0)
		return r;
	if (kp->n_ring < 2) {
		/* No history: wait the window, then measure it. */
		uint64_t t1 = t0 + kp->window_ns;
		sleep_until(t1);
		r = take_ends(kp, t1 + kp->timeout_ns, s);
		if (r < 0)
			return r;
	}
	const struct fl_kafka_ends *old = kp->ring[0], *now = kp->ring[kp->n_ring - 1];
	int64_t messages;
	double rate;
	(void)fl_kafka_throughput(old, now, &messages, &rate);
	(void)fl_sample_set(s, "rate", rate);
	(void)fl_sample_set(s, "messages", (double)messages);
	(void)fl_sample_set(s, "partitions", now->n);
	s->detail = json_pack("{s:f}", "windowMs", (double)(now->t_ns - old->t_ns) / 1e6);
	return 0;
}

/* ---- kafka.consumerLag --------------------------------------------------------------- */

static int take_lag(struct kprobe *kp, uint64_t deadline, struct fl_sample *s)
{
	struct fl_diag diag = { 0 };
	struct fl_lag_snapshot *snap;
	const char *group = kp->base.spec->group;
	int r = fl_kafka_lag_snapshot_timeout(kp->kafka, group, fl_kafka_left_ms(deadline), &snap,
					      &diag);

	if (r < 0) {
		(void)fl_sample_set_text(s, "status", "ERR");
		return fl_sample_fail(s, r, "%s", diag.msg);
	}
	if (snap->n_groups != 1 || snap->groups[0].err < 0) {
		r = snap->n_groups == 1 ? snap->groups[0].err : -EIO;
		fl_lag_snapshot_free(snap);
		(void)fl_sample_set_text(s, "status", "ERR");
		return fl_sample_fail(s, r, "kafka %s: group %s: offsets could not be read: %s",
				      fl_kafka_bootstrap(kp->kafka), group, strerror(-r));
	}
	ring_push(kp, snap);
	return 0;
}

struct part_eval {
	const struct fl_lag_entry *e;
	enum fl_lag_status status;
};

static void detail_add(json_t *detail, const struct part_eval *pe)
{
	char key[320];

	snprintf(key, sizeof(key), "%s/%d", pe->e->topic, (int)pe->e->partition);
	json_t *v = json_object();
	if (!v)
		return;
	json_object_set_new(v, "committed",
			    pe->e->committed >= 0 ? json_integer(pe->e->committed) : json_null());
	json_object_set_new(v, "end", pe->e->end >= 0 ? json_integer(pe->e->end) : json_null());
	json_object_set_new(v, "lag", pe->e->lag >= 0 ? json_integer(pe->e->lag) : json_null());
	json_object_set_new(v, "status",
			    pe->e->committed >= 0 ? json_string(fl_lag_status_name(pe->status))
						  : json_string("NONE"));
	json_object_set_new(detail, key, v);
}

/* What lag_sample reports of the group's partitions. */
struct lag_totals {
	int64_t lag_max, lag_sum, advance;
	unsigned parts, stalled, rewound, warn, not_ok; /* not_ok: counted, not reported */
	enum fl_lag_status worst;
};

/* Partition e's status over the window (the snapshots in kp's ring, oldest first; committed
 * and end have room for each), adding its progress to t->advance. */
static enum fl_lag_status window_status(const struct kprobe *kp, const struct fl_lag_entry *e,
					int64_t *committed, int64_t *end, struct lag_totals *t)
{
	enum fl_lag_status status;
	unsigned k = 0;

	/* This partition over the window, oldest first. */
	for (unsigned j = 0; j < kp->n_ring; j++) {
		const struct fl_lag_snapshot *sn = kp->ring[j];
		if (sn->n_groups != 1)
			continue;
		const struct fl_lag_entry *x =
			fl_lag_snapshot_find(sn, &sn->groups[0], e->topic, e->partition);
		if (x && x->committed >= 0 && x->end >= 0) {
			committed[k] = x->committed;
			end[k++] = x->end;
		}
	}
	status = k ? fl_kafka_lag_status(committed, end, k) : FL_LAG_OK;
	/* Progress over the window (a rewind is its own status, not negative progress). */
	if (k >= 2 && committed[k - 1] > committed[0])
		t->advance += committed[k - 1] - committed[0];
	return status;
}

/* Count partition e, of status status, into t. */
static void lag_tally(struct lag_totals *t, const struct fl_lag_entry *e, enum fl_lag_status status)
{
	t->parts++;
	if (e->lag >= 0) {
		t->lag_sum += e->lag;
		t->lag_max = FL_MAX(t->lag_max, e->lag);
	}
	t->stalled += status == FL_LAG_STALL;
	t->rewound += status == FL_LAG_REWIND;
	t->warn += status == FL_LAG_WARN;
	t->not_ok += status != FL_LAG_OK;
	if (status > t->worst)
		t->worst = status;
}

static void lag_set_values(struct fl_sample *s, const struct lag_totals *t)
{
	(void)fl_sample_set(s, "lag.max", (double)t->lag_max);
	(void)fl_sample_set(s, "lag.sum", (double)t->lag_sum);
	(void)fl_sample_set_text(s, "status", fl_lag_status_name(t->worst));
	(void)fl_sample_set(s, "partitions", t->parts);
	(void)fl_sample_set(s, "partitions.stalled", t->stalled);
	(void)fl_sample_set(s, "partitions.rewound", t->rewound);
	(void)fl_sample_set(s, "partitions.warn", t->warn);
	(void)fl_sample_set(s, "committed.advance", (double)t->advance);
}

/* s->detail from the n partitions pe (at most DETAIL_MAX of them). */
static void lag_detail(struct fl_sample *s, const struct part_eval *pe, unsigned n)
{
	/* Detail: the partitions that are not OK first, so a truncated detail keeps them. */
	s->detail = json_object();
	unsigned shown = 0;
	for (int pass = 0; s->detail && pass < 2; pass++)
		for (unsigned i = 0; i < n && shown < DETAIL_MAX; i++) {
			bool bad = pe[i].e->committed >= 0 && pe[i].status != FL_LAG_OK;
			if (bad == (pass == 0)) {
				detail_add(s->detail, &pe[i]);
				shown++;
			}
		}
	if (s->detail && shown < n)
		json_object_set_new(s->detail, "truncated",
				    json_pack("{s:i,s:i}", "shown", shown, "total", n));
}

static int lag_sample(struct kprobe *kp, struct fl_sample *s)
{
	uint64_t t0 = fl_kafka_now_ns();
	int r = take_lag(kp, t0 + kp->timeout_ns, s);

	if (r < 0)
		return r;
	const struct fl_lag_snapshot *now = kp->ring[kp->n_ring - 1];
	if (now->groups[0].n == 0) {
		(void)fl_sample_set_text(s, "status", "ERR");
		return fl_sample_fail(
			s, -ENODATA, "kafka %s: group %s has no committed offsets (unknown group?)",
			fl_kafka_bootstrap(kp->kafka), kp->base.spec->group);
	}
	if (kp->n_ring < 2) {
		uint64_t t1 = t0 + kp->window_ns;
		sleep_until(t1);
		r = take_lag(kp, t1 + kp->timeout_ns, s);
		if (r < 0)
			return r;
		now = kp->ring[kp->n_ring - 1];
	}
	const struct fl_lag_group *g = &now->groups[0];
	struct part_eval *pe = calloc(g->n ? g->n : 1, sizeof(*pe));
	int64_t *committed = calloc(kp->n_ring, sizeof(int64_t));
	int64_t *end = calloc(kp->n_ring, sizeof(int64_t));
	if (!pe || !committed || !end) {
		free(pe);
		free(committed);
		free(end);
		return fl_sample_fail(s, -ENOMEM, "kafka: out of memory");
	}
	struct lag_totals t = { .worst = FL_LAG_OK };
	for (unsigned i = 0; i < g->n; i++) {
		const struct fl_lag_entry *e = &now->e[g->first + i];
		pe[i].e = e;
		if (e->committed < 0)
			continue;
		pe[i].status = window_status(kp, e, committed, end, &t);
		lag_tally(&t, e, pe[i].status);
	}
	lag_set_values(s, &t);
	lag_detail(s, pe, g->n);
	free(pe);
	free(committed);
	free(end);
	return 0;
}

/* ---- kafka.partitions ---------------------------------------------------------------- */

static int partitions_sample(struct kprobe *kp, struct fl_sample *s)
{
	struct fl_diag diag = { 0 };
	struct fl_kafka_health *h;
	int r = fl_kafka_health(kp->kafka, &kp->sel, &kp->min_isr, to_ms(kp->timeout_ns), &h,
				&diag);

	if (r < 0)
		return fl_sample_fail(s, r, "%s", diag.msg);
	(void)fl_sample_set(s, "underReplicated", h->under_replicated);
	(void)fl_sample_set(s, "offline", h->offline);
	(void)fl_sample_set(s, "underMinIsr", h->under_min_isr);
	(void)fl_sample_set(s, "partitions", h->partitions);
	(void)fl_sample_set(s, "leader", h->leader);
	json_t *bad = json_array();
	for (unsigned i = 0; bad && i < h->n_bad && i < DETAIL_MAX; i++) {
		const struct fl_kafka_bad_partition *b = &h->bad[i];
		json_array_append_new(bad, json_pack("{s:s,s:i,s:i,s:i,s:i,s:i}", "topic", b->topic,
						     "partition", b->partition, "leader", b->leader,
						     "replicas", b->replicas, "isr", b->isr,
						     "minIsr", b->min_isr));
	}
	s->detail = json_pack("{s:o,s:b}", "bad", bad ? bad : json_array(), "truncated",
			      h->n_bad > DETAIL_MAX);
	fl_kafka_health_free(h);
	return 0;
}

/* ---- kafka.e2e ----------------------------------------------------------------------- */

static int e2e_sample(struct kprobe *kp, struct fl_sample *s)
{
	struct fl_diag diag = { 0 };
	uint64_t t0 = fl_kafka_now_ns();
	double latency = 0;
	int r = fl_kafka_e2e_run(kp->e2e, to_ms(kp->timeout_ns), &latency, &diag);

	if (r < 0)
		return fl_sample_fail(s, r, "%s", diag.msg);
	if (r == 0) {
		/* Lost: the latency is what we waited. */
		latency = (double)(fl_kafka_now_ns() - t0) / 1e6;
		s->detail = json_pack("{s:s}", "reason", diag.msg);
	}
	(void)fl_sample_set(s, "latencyMs", latency);
	(void)fl_sample_set(s, "lost", r == 0 ? 1 : 0);
	return 0;
}

/* ---- the probe ----------------------------------------------------------------------- */

static uint64_t unix_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int kprobe_sample(struct fl_probe *probe, struct fl_sample *ret)
{
	struct kprobe *kp = (struct kprobe *)probe;
	int r;

	memset(ret, 0, sizeof(*ret));
	switch (probe->spec->type) {
	case FL_PROBE_KAFKA_THROUGHPUT:
		r = throughput_sample(kp, ret);
		break;
	case FL_PROBE_KAFKA_LAG:
		r = lag_sample(kp, ret);
		break;
	case FL_PROBE_KAFKA_PARTITIONS:
		r = partitions_sample(kp, ret);
		break;
	case FL_PROBE_KAFKA_E2E:
		r = e2e_sample(kp, ret);
		break;
	default:
		r = fl_sample_fail(ret, -EINVAL, "not a kafka probe");
	}
	ret->t_ms = unix_ms();
	ret->err = r < 0 ? r : 0;
	return ret->err;
}

static void kprobe_free(struct fl_probe *probe)
{
	struct kprobe *kp = (struct kprobe *)probe;

	if (!kp)
		return;
	for (unsigned i = 0; i < kp->n_ring; i++)
		ring_free_one(kp, kp->ring[i]);
	if (kp->has_re)
		regfree(&kp->re);
	fl_kafka_min_isr_cache_free(kp->min_isr);
	fl_kafka_e2e_free(kp->e2e);
	free(kp);
}

static const struct fl_probe_ops kprobe_ops = {
	.sample = kprobe_sample,
	.free = kprobe_free,
};

/* The experiment parser owns fl_probe_type_name(); this file needs only its own four. */
static const char *type_name(enum fl_probe_type type)
{
	switch (type) {
	case FL_PROBE_KAFKA_THROUGHPUT:
		return "kafka.throughput";
	case FL_PROBE_KAFKA_LAG:
		return "kafka.consumerLag";
	case FL_PROBE_KAFKA_PARTITIONS:
		return "kafka.partitions";
	case FL_PROBE_KAFKA_E2E:
		return "kafka.e2e";
	default:
		return "not kafka";
	}
}

int fl_kafka_probe_new(struct fl_kafka *kafka, const struct fl_probe_spec *spec,
		       struct fl_probe **ret, struct fl_diag *diag)
{
	const char *type = type_name(spec->type);
	struct kprobe *kp;
	int r;

	switch (spec->type) {
	case FL_PROBE_KAFKA_THROUGHPUT:
	case FL_PROBE_KAFKA_PARTITIONS:
		if (spec->topic && spec->topic_regex)
			return fl_diag_set(diag, -EINVAL,
					   "probe %s (%s): topic and topicRegex are exclusive",
					   spec->name, type);
		break;
	case FL_PROBE_KAFKA_LAG:
		if (!spec->group || !spec->group[0])
			return fl_diag_set(diag, -EINVAL, "probe %s (%s): group is required",
					   spec->name, type);
		break;
	case FL_PROBE_KAFKA_E2E:
		if (!spec->topic || !spec->topic[0])
			return fl_diag_set(diag, -EINVAL, "probe %s (%s): topic is required",
					   spec->name, type);
		break;
	default:
		return fl_diag_set(diag, -EINVAL, "probe %s: %s is not a kafka probe", spec->name,
				   type);
	}
	kp = calloc(1, sizeof(*kp));
	if (!kp)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	kp->base.ops = &kprobe_ops;
	kp->base.spec = spec;
	kp->kafka = kafka;
	kp->window_ns = spec->window_ns ? spec->window_ns : DEFAULT_WINDOW_NS;
	kp->timeout_ns = spec->timeout_ns ? spec->timeout_ns : DEFAULT_TIMEOUT_NS;
	kp->sel.topic = spec->topic;
	if (spec->topic_regex) {
		r = fl_ere_compile_whole(&kp->re, spec->topic_regex);
		if (r != 0) {
			char msg[128];
			regerror(r, &kp->re, msg, sizeof(msg));
			free(kp);
			return fl_diag_set(diag, -EINVAL, "probe %s: topicRegex \"%s\": %s",
					   spec->name, spec->topic_regex, msg);
		}
		kp->has_re = true;
		kp->sel.regex = &kp->re;
	}
	if (spec->type == FL_PROBE_KAFKA_E2E) {
		r = fl_kafka_e2e_new(kafka, spec->topic, &kp->e2e, diag);
		if (r < 0) {
			kprobe_free(&kp->base);
			return r;
		}
	}
	*ret = &kp->base;
	return 0;
}
