/* SPDX-License-Identifier: MIT */
/* Partition health: under-replicated, offline, under min.insync.replicas. */
#include <errno.h>
#include <string.h>

#include "kafka_internal.h"

/* min.insync.replicas per topic (0: unknown), kept sorted by name. */
struct fl_kafka_min_isr_cache {
	unsigned n, cap;
	struct min_isr {
		char *topic;
		int min_isr;
	} * v;
};

struct fl_kafka_min_isr_cache *fl_kafka_min_isr_cache_free(struct fl_kafka_min_isr_cache *c)
{
	if (!c)
		return NULL;
	for (unsigned i = 0; i < c->n; i++)
		free(c->v[i].topic);
	free(c->v);
	free(c);
	return NULL;
}

static int min_isr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct min_isr *)a)->topic, ((const struct min_isr *)b)->topic);
}

static struct min_isr *cache_find(struct fl_kafka_min_isr_cache *c, const char *topic)
{
	struct min_isr key = { .topic = (char *)topic };

	return c->n ? bsearch(&key, c->v, c->n, sizeof(key), min_isr_cmp) : NULL;
}

static int cache_add(struct fl_kafka_min_isr_cache *c, const char *topic, int min_isr)
{
	if (c->n == c->cap) {
		unsigned ncap = c->cap ? c->cap * 2 : 16;
		struct min_isr *nv = realloc(c->v, ncap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->v = nv;
		c->cap = ncap;
	}
	c->v[c->n].topic = strdup(topic);
	if (!c->v[c->n].topic)
		return -ENOMEM;
	c->v[c->n++].min_isr = min_isr;
	return 0;
}

/* Read min.insync.replicas of the topics named in list (one DescribeConfigs request). A topic
 * whose config cannot be read is cached as unknown (0) so that we do not ask every sample. */
static int describe_min_isr(struct fl_kafka *kafka, struct fl_kafka_min_isr_cache *c,
			    const char **topics, unsigned n, int timeout_ms, struct fl_diag *diag)
{
	rd_kafka_ConfigResource_t **res = calloc(n, sizeof(*res));
	rd_kafka_AdminOptions_t *opt = NULL;
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	int r = 0;

	if (!res)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	for (unsigned i = 0; i < n; i++)
		if (!(res[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topics[i]))) {
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			goto out;
		}
	q = rd_kafka_queue_new(kafka->rk);
	opt = rd_kafka_AdminOptions_new(kafka->rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
	if (!q || !opt) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	(void)rd_kafka_AdminOptions_set_request_timeout(opt, timeout_ms, NULL, 0);
	rd_kafka_DescribeConfigs(kafka->rk, res, n, opt, q);
	ev = rd_kafka_queue_poll(q, timeout_ms);
	if (!ev) {
		r = fl_kafka_fail(kafka, diag, RD_KAFKA_RESP_ERR__TIMED_OUT,
				  "kafka describe configs");
		goto out;
	}
	if (rd_kafka_event_error(ev)) {
		r = fl_kafka_fail(kafka, diag, rd_kafka_event_error(ev), "kafka describe configs");
		goto out;
	}
	size_t cnt = 0;
	const rd_kafka_ConfigResource_t **rr = rd_kafka_DescribeConfigs_result_resources(
		rd_kafka_event_DescribeConfigs_result(ev), &cnt);
	for (size_t i = 0; i < cnt; i++) {
		int min_isr = 0;
		size_t ncfg = 0;
		const rd_kafka_ConfigEntry_t **cfg = rd_kafka_ConfigResource_configs(rr[i], &ncfg);
		for (size_t k = 0; k < ncfg; k++) {
			const char *v = rd_kafka_ConfigEntry_value(cfg[k]);
			if (strcmp(rd_kafka_ConfigEntry_name(cfg[k]), "min.insync.replicas") == 0 &&
			    v) {
				char *endp;
				long l = strtol(v, &endp, 10);
				if (*endp == '\0' && l > 0 && l < 1000)
					min_isr = (int)l;
			}
		}
		if (!cache_find(c, rd_kafka_ConfigResource_name(rr[i])) &&
		    cache_add(c, rd_kafka_ConfigResource_name(rr[i]), min_isr) < 0) {
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			goto out;
		}
		qsort(c->v, c->n, sizeof(*c->v), min_isr_cmp);
	}
out:
	if (ev)
		rd_kafka_event_destroy(ev);
	if (opt)
		rd_kafka_AdminOptions_destroy(opt);
	if (q)
		rd_kafka_queue_destroy(q);
	for (unsigned i = 0; i < n; i++)
		if (res[i])
			rd_kafka_ConfigResource_destroy(res[i]);
	free(res);
	return r;
}

struct fl_kafka_health *fl_kafka_health_free(struct fl_kafka_health *health)
{
	if (!health)
		return NULL;
	free(health->bad);
	free(health->names);
	free(health);
	return NULL;
}

static int bad_cmp(const void *a, const void *b)
{
	const struct fl_kafka_bad_partition *x = a, *y = b;

	return fl_kafka_tp_cmp(x->topic, x->partition, y->topic, y->partition);
}

/* The first partition by (topic, id) counted so far: h->leader is its leader. */
struct first_partition {
	const char *topic; /* NULL: none yet */
	int32_t id;
};

/* Count topic mt's partitions into h and list its bad ones in h->bad, their topic being name
 * (h's copy of mt->topic); min_isr is the topic's min.insync.replicas (0: unknown). */
static void add_topic(struct fl_kafka_health *h, const rd_kafka_metadata_topic_t *mt,
		      const char *name, int min_isr, struct first_partition *first)
{
	for (int p = 0; p < mt->partition_cnt; p++) {
		const rd_kafka_metadata_partition_t *mp = &mt->partitions[p];
		bool offline = mp->leader < 0;
		bool under = mp->isr_cnt < mp->replica_cnt;
		bool under_min = min_isr > 0 && mp->isr_cnt < min_isr;
		int c = first->topic ? strcmp(mt->topic, first->topic) : -1;
		if (c < 0 || (c == 0 && mp->id < first->id)) {
			first->topic = mt->topic;
			first->id = mp->id;
			h->leader = mp->leader;
		}
		h->partitions++;
		h->offline += offline;
		h->under_replicated += under;
		h->under_min_isr += under_min;
		if (!offline && !under && !under_min)
			continue;
		h->bad[h->n_bad++] = (struct fl_kafka_bad_partition){
			.topic = name,
			.partition = mp->id,
			.leader = mp->leader,
			.replicas = mp->replica_cnt,
			.isr = mp->isr_cnt,
			.min_isr = min_isr,
		};
	}
}

int fl_kafka_health(struct fl_kafka *kafka, const struct fl_kafka_select *sel,
		    struct fl_kafka_min_isr_cache **cache, int timeout_ms,
		    struct fl_kafka_health **ret, struct fl_diag *diag)
{
	uint64_t deadline = fl_kafka_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	const struct rd_kafka_metadata *md = NULL;
	struct fl_kafka_health *h = NULL;
	const char **missing = NULL;
	unsigned n_missing = 0, matched = 0;
	size_t names_len = 0, n_parts = 0;
	int r;

	if (!*cache && !(*cache = calloc(1, sizeof(**cache))))
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	r = fl_kafka_metadata(kafka, timeout_ms, &md, diag);
	if (r < 0)
		return r;
	missing = calloc((size_t)md->topic_cnt + 1, sizeof(*missing));
	if (!missing) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || !fl_kafka_selected(sel, mt->topic))
			continue;
		matched++;
		names_len += strlen(mt->topic) + 1;
		n_parts += (size_t)mt->partition_cnt;
		if (!cache_find(*cache, mt->topic))
			missing[n_missing++] = mt->topic;
	}
	if (n_parts == 0) {
		r = fl_diag_set(diag, -ENODATA, "kafka %s: %s", kafka->bootstrap,
				matched	     ? "the selected topics have no partitions"
				: sel->topic ? "no such topic"
					     : "no topic matches");
		goto out;
	}
	if (n_missing > 0) {
		r = describe_min_isr(kafka, *cache, missing, n_missing, fl_kafka_left_ms(deadline),
				     diag);
		if (r < 0)
			goto out;
	}
	h = calloc(1, sizeof(*h));
	if (!h || !(h->names = malloc(names_len)) || !(h->bad = calloc(n_parts, sizeof(*h->bad)))) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	char *name = h->names;
	struct first_partition first = { 0 };
	h->leader = -1;
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || !fl_kafka_selected(sel, mt->topic))
			continue;
		size_t len = strlen(mt->topic) + 1;
		memcpy(name, mt->topic, len);
		const struct min_isr *mi = cache_find(*cache, mt->topic);
		add_topic(h, mt, name, mi ? mi->min_isr : 0, &first);
		name += len;
	}
	qsort(h->bad, h->n_bad, sizeof(*h->bad), bad_cmp);
	*ret = h;
	h = NULL;
	r = 0;
out:
	free(missing);
	rd_kafka_metadata_destroy(md);
	fl_kafka_health_free(h);
	return r;
}
