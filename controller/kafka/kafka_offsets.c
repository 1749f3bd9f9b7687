/* SPDX-License-Identifier: MIT */
/* Log-end offsets, batched per leader, and throughput arithmetic. */
#include <errno.h>
#include <string.h>
#include <pthread.h>
#include <time.h>

#include "kafka_internal.h"

/* librdkafka 2.0.2 merges a ListOffsets answer into the caller's list with a linear search
 * per partition (O(n^2): 0.7 s of strcmp at 10,000 partitions). Lists of at most CHUNK
 * partitions of one leader each, asked concurrently, keep that negligible while each
 * request still carries hundreds of partitions. */
#define CHUNK	   500
#define MAX_CHUNKS 64

struct chunk {
	struct fl_kafka *kafka;
	rd_kafka_topic_partition_list_t *list;
	uint64_t deadline;
	rd_kafka_resp_err_t err;
};

static rd_kafka_resp_err_t ends_once(struct fl_kafka *kafka, rd_kafka_topic_partition_list_t *list,
				     uint64_t deadline)
{
	rd_kafka_resp_err_t err;

	/* A timestamp of RD_KAFKA_OFFSET_END asks ListOffsets for the latest offset (the high
	 * watermark with read_uncommitted); librdkafka sends one request per leader. */
	for (int attempt = 0;; attempt++) {
		for (int i = 0; i < list->cnt; i++) {
			list->elems[i].offset = RD_KAFKA_OFFSET_END;
			list->elems[i].err = 0;
		}
		err = rd_kafka_offsets_for_times(kafka->rk, list,
						 FL_MAX(fl_kafka_left_ms(deadline), 1));
		/* A leader that moved between our metadata and the request: librdkafka
		 * refreshes its metadata; asking again reaches the new one. */
		if (attempt >= 3 || fl_kafka_left_ms(deadline) < 100 ||
		    (err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
		     err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE))
			return err;
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
}

static void *chunk_main(void *arg)
{
	struct chunk *c = arg;

	c->err = ends_once(c->kafka, c->list, c->deadline);
	return NULL;
}

struct by_leader {
	int32_t leader;
	int idx;
};

static int by_leader_cmp(const void *a, const void *b)
{
	const struct by_leader *x = a, *y = b;

	if (x->leader != y->leader)
		return x->leader < y->leader ? -1 : 1;
	return x->idx - y->idx;
}

int fl_kafka_query_ends(struct fl_kafka *kafka, rd_kafka_topic_partition_list_t *list,
			const int32_t *leaders, int timeout_ms, struct fl_diag *diag)
{
	uint64_t deadline =
		fl_kafka_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
	struct chunk chunks[MAX_CHUNKS];
	pthread_t threads[MAX_CHUNKS];
	bool started[MAX_CHUNKS] = { false };
	struct by_leader *order = NULL;
	unsigned n_chunks = 0;
	int r = 0;

	if (list->cnt == 0)
		return 0;
	if (list->cnt <= CHUNK || !leaders) {
		rd_kafka_resp_err_t err = ends_once(kafka, list, deadline);
		if (err)
			return fl_kafka_fail(kafka, diag, err, "kafka log-end offsets");
		goto mark;
	}
	/* Group by leader, cut into chunks (bigger ones when there are very many). */
	int size = FL_MAX(CHUNK, (list->cnt + MAX_CHUNKS - 4) / (MAX_CHUNKS - 3));
	order = malloc(sizeof(*order) * (size_t)list->cnt);
	if (!order)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	for (int i = 0; i < list->cnt; i++)
		order[i] = (struct by_leader){ leaders[i], i };
	qsort(order, (size_t)list->cnt, sizeof(*order), by_leader_cmp);
	for (int i = 0; i < list->cnt;) {
		int j = i;
		while (j < list->cnt && j - i < size && order[j].leader == order[i].leader)
			j++;
		if (n_chunks == MAX_CHUNKS) {
			r = fl_diag_set(diag, -E2BIG, "kafka: too many partition leaders");
			goto out;
		}
		struct chunk *c = &chunks[n_chunks++];
		*c = (struct chunk){ .kafka = kafka, .deadline = deadline };
		c->list = rd_kafka_topic_partition_list_new(j - i);
		if (!c->list) {
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			goto out;
		}
		for (int k = i; k < j; k++)
			rd_kafka_topic_partition_list_add(c->list, list->elems[order[k].idx].topic,
							  list->elems[order[k].idx].partition);
		i = j;
	}
	for (unsigned k = 0; k < n_chunks; k++)
		started[k] = pthread_create(&threads[k], NULL, chunk_main, &chunks[k]) == 0;
	for (unsigned k = 0; k < n_chunks; k++) {
		if (started[k])
			pthread_join(threads[k], NULL);
		else
			chunk_main(&chunks[k]);
	}
	for (unsigned k = 0; k < n_chunks; k++)
		if (chunks[k].err && r == 0)
			r = fl_kafka_fail(kafka, diag, chunks[k].err, "kafka log-end offsets");
	if (r < 0)
		goto out;
	/* Back into the caller's list, in chunk order (each chunk kept its order). */
	int at = 0;
	for (unsigned k = 0; k < n_chunks; k++)
		for (int e = 0; e < chunks[k].list->cnt; e++, at++) {
			rd_kafka_topic_partition_t *dst = &list->elems[order[at].idx];
			dst->offset = chunks[k].list->elems[e].offset;
			dst->err = chunks[k].list->elems[e].err;
		}
mark:
	for (int i = 0; i < list->cnt; i++)
		if (list->elems[i].err || list->elems[i].offset < 0)
			list->elems[i].offset = -1;
out:
	for (unsigned k = 0; k < n_chunks; k++)
		if (chunks[k].list)
			rd_kafka_topic_partition_list_destroy(chunks[k].list);
	free(order);
	return r;
}

static int end_cmp(const void *a, const void *b)
{
	const struct fl_kafka_end *x = a, *y = b;

	return fl_kafka_tp_cmp(x->topic, x->partition, y->topic, y->partition);
}

struct fl_kafka_ends *fl_kafka_ends_free(struct fl_kafka_ends *ends)
{
	if (!ends)
		return NULL;
	free(ends->p);
	free(ends->names);
	free(ends);
	return NULL;
}

/* Every partition of the selected topics into ends (sorted, log ends -1, topic names copied
 * into ends->names), and those with a leader into list, leaders[i] being list->elems[i]'s. */
static void list_selected(const struct rd_kafka_metadata *md, const struct fl_kafka_select *sel,
			  struct fl_kafka_ends *ends, rd_kafka_topic_partition_list_t *list,
			  int32_t *leaders)
{
	char *name = ends->names;

	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || !fl_kafka_selected(sel, mt->topic))
			continue;
		size_t len = strlen(mt->topic) + 1;
		memcpy(name, mt->topic, len);
		for (int p = 0; p < mt->partition_cnt; p++) {
			struct fl_kafka_end *e = &ends->p[ends->n++];
			e->topic = name;
			e->partition = mt->partitions[p].id;
			e->end = -1;
			/* A partition without a leader cannot answer: asking would make
			 * librdkafka wait for a leader until the timeout. */
			if (mt->partitions[p].leader >= 0) {
				leaders[list->cnt] = mt->partitions[p].leader;
				rd_kafka_topic_partition_list_add(list, name, e->partition);
			}
		}
		name += len;
	}
	qsort(ends->p, ends->n, sizeof(*ends->p), end_cmp);
}

/* The log ends list's answers carry into ends (sorted by list_selected). */
static void store_ends(struct fl_kafka_ends *ends, const rd_kafka_topic_partition_list_t *list)
{
	for (int i = 0; i < list->cnt; i++) {
		struct fl_kafka_end key = { .topic = list->elems[i].topic,
					    .partition = list->elems[i].partition };
		struct fl_kafka_end *e = bsearch(&key, ends->p, ends->n, sizeof(*e), end_cmp);
		if (e)
			e->end = list->elems[i].offset;
	}
}

int fl_kafka_end_offsets(struct fl_kafka *kafka, const struct fl_kafka_select *sel, int timeout_ms,
			 struct fl_kafka_ends **ret, struct fl_diag *diag)
{
	uint64_t deadline = fl_kafka_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *list = NULL;
	struct fl_kafka_ends *ends = NULL;
	int32_t *leaders = NULL;
	size_t names_len = 0, n = 0;
	unsigned matched = 0;
	int r;

	r = fl_kafka_metadata(kafka, timeout_ms, &md, diag);
	if (r < 0)
		return r;
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || !fl_kafka_selected(sel, mt->topic))
			continue;
		matched++;
		names_len += strlen(mt->topic) + 1;
		n += (size_t)mt->partition_cnt;
	}
	if (n == 0) {
		r = fl_diag_set(diag, -ENODATA, "kafka %s: %s", kafka->bootstrap,
				matched	     ? "the selected topics have no partitions"
				: sel->topic ? "no such topic"
					     : "no topic matches");
		goto out;
	}
	ends = calloc(1, sizeof(*ends));
	list = rd_kafka_topic_partition_list_new((int)n);
	leaders = malloc(n * sizeof(*leaders));
	if (!ends || !list || !leaders || !(ends->p = calloc(n, sizeof(*ends->p))) ||
	    !(ends->names = malloc(names_len))) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	list_selected(md, sel, ends, list, leaders);
	r = fl_kafka_query_ends(kafka, list, leaders, fl_kafka_left_ms(deadline), diag);
	if (r < 0)
		goto out;
	store_ends(ends, list);
	ends->t_ns = fl_kafka_now_ns();
	*ret = ends;
	ends = NULL;
	r = 0;
out:
	free(leaders);
	if (list)
		rd_kafka_topic_partition_list_destroy(list);
	rd_kafka_metadata_destroy(md);
	fl_kafka_ends_free(ends);
	return r;
}

unsigned fl_kafka_throughput(const struct fl_kafka_ends *old, const struct fl_kafka_ends *now,
			     int64_t *ret_messages, double *ret_rate)
{
	unsigned i = 0, j = 0, compared = 0;
	int64_t messages = 0;

	/* Both are sorted: merge. */
	while (i < old->n && j < now->n) {
		const struct fl_kafka_end *a = &old->p[i], *b = &now->p[j];
		int c = fl_kafka_tp_cmp(a->topic, a->partition, b->topic, b->partition);
		if (c < 0) {
			i++;
			continue;
		}
		if (c > 0) {
			j++;
			continue;
		}
		if (a->end >= 0 && b->end >= 0) {
			compared++;
			/* A log end never goes back unless the topic was recreated. */
			if (b->end > a->end)
				messages += b->end - a->end;
		}
		i++;
		j++;
	}
	*ret_messages = messages;
	double secs = now->t_ns > old->t_ns ? (double)(now->t_ns - old->t_ns) / 1e9 : 0;
	*ret_rate = secs > 0 ? (double)messages / secs : 0;
	return compared;
}
