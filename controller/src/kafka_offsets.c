/* SPDX-License-Identifier: MIT */
/* Log-end offsets, batched per leader, and throughput arithmetic. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "kafka_int.h"

int fl_kafka_query_ends(struct fl_kafka *kafka, rd_kafka_topic_partition_list_t *list,
			int timeout_ms, struct fl_diag *diag)
{
	rd_kafka_resp_err_t err;

	if (list->cnt == 0)
		return 0;
	/* A timestamp of RD_KAFKA_OFFSET_END asks ListOffsets for the latest offset (the
	 * high watermark with read_uncommitted). librdkafka groups the partitions by leader:
	 * one request per broker, never one per partition. */
	uint64_t deadline =
		fl_kafka_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
	for (int attempt = 0;; attempt++) {
		for (int i = 0; i < list->cnt; i++) {
			list->elems[i].offset = RD_KAFKA_OFFSET_END;
			list->elems[i].err = 0;
		}
		err = rd_kafka_offsets_for_times(kafka->rk, list,
						 FL_MAX(fl_kafka_left_ms(deadline), 1));
		/* A leader that moved between our metadata and the request: librdkafka refreshes
		 * its metadata; asking again (within the same time limit) reaches the new one. */
		if (attempt >= 3 || fl_kafka_left_ms(deadline) < 100 ||
		    (err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION &&
		     err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE))
			break;
		struct timespec ts = { 0, 100000000 };
		nanosleep(&ts, NULL);
	}
	if (err)
		return fl_kafka_fail(kafka, diag, err, "kafka log-end offsets");
	for (int i = 0; i < list->cnt; i++)
		if (list->elems[i].err || list->elems[i].offset < 0)
			list->elems[i].offset = -1;
	return 0;
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

int fl_kafka_end_offsets(struct fl_kafka *kafka, const struct fl_kafka_select *sel, int timeout_ms,
			 struct fl_kafka_ends **ret, struct fl_diag *diag)
{
	uint64_t deadline = fl_kafka_now_ns() + (uint64_t)timeout_ms * 1000000ull;
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_partition_list_t *list = NULL;
	struct fl_kafka_ends *ends = NULL;
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
	if (!ends || !list || !(ends->p = calloc(n, sizeof(*ends->p))) ||
	    !(ends->names = malloc(names_len))) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
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
			if (mt->partitions[p].leader >= 0)
				rd_kafka_topic_partition_list_add(list, name, e->partition);
		}
		name += len;
	}
	qsort(ends->p, ends->n, sizeof(*ends->p), end_cmp);
	r = fl_kafka_query_ends(kafka, list, fl_kafka_left_ms(deadline), diag);
	if (r < 0)
		goto out;
	for (int i = 0; i < list->cnt; i++) {
		struct fl_kafka_end key = { .topic = list->elems[i].topic,
					    .partition = list->elems[i].partition };
		struct fl_kafka_end *e = bsearch(&key, ends->p, ends->n, sizeof(*e), end_cmp);
		if (e)
			e->end = list->elems[i].offset;
	}
	ends->t_ns = fl_kafka_now_ns();
	*ret = ends;
	ends = NULL;
	r = 0;
out:
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
