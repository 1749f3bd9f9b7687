/* SPDX-License-Identifier: MIT */
/*
 * Consumer lag snapshots: the committed offsets of one group (the consumer protocol,
 * kafka_committed.c) or of all groups (ListConsumerGroups, then ListConsumerGroupOffsets
 * per group, all in flight at once on one queue), the
 * metadata (one request, while those are in flight) and the log ends of every partition
 * involved (one ListOffsets per leader).
 */
#include <errno.h>
#include <string.h>

#include "kafka_internal.h"

struct fl_lag_snapshot *fl_lag_snapshot_free(struct fl_lag_snapshot *snap)
{
	if (!snap)
		return NULL;
	free(snap->groups);
	free(snap->e);
	free(snap->names);
	free(snap);
	return NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct fl_lag_entry *x = a, *y = b;

	return fl_kafka_tp_cmp(x->topic, x->partition, y->topic, y->partition);
}

const struct fl_lag_entry *fl_lag_snapshot_find(const struct fl_lag_snapshot *snap,
						const struct fl_lag_group *g, const char *topic,
						int32_t partition)
{
	struct fl_lag_entry key = { .topic = topic, .partition = partition };

	if (g->n == 0)
		return NULL;
	return bsearch(&key, snap->e + g->first, g->n, sizeof(key), entry_cmp);
}

static int strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every group's name (new array of new strings). */
static int list_groups(struct fl_kafka *kafka, rd_kafka_queue_t *q, uint64_t deadline, char ***ret,
		       unsigned *ret_n, struct fl_diag *diag)
{
	rd_kafka_AdminOptions_t *opt;
	rd_kafka_event_t *ev;
	char **names = NULL;
	size_t n = 0;
	int r = 0;

	opt = rd_kafka_AdminOptions_new(kafka->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
	if (!opt)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	(void)rd_kafka_AdminOptions_set_request_timeout(opt, fl_kafka_left_ms(deadline), NULL, 0);
	rd_kafka_ListConsumerGroups(kafka->rk, opt, q);
	rd_kafka_AdminOptions_destroy(opt);
	ev = rd_kafka_queue_poll(q, fl_kafka_left_ms(deadline));
	if (!ev)
		return fl_kafka_fail(kafka, diag, RD_KAFKA_RESP_ERR__TIMED_OUT,
				     "kafka list consumer groups");
	if (rd_kafka_event_error(ev)) {
		r = fl_kafka_fail(kafka, diag, rd_kafka_event_error(ev),
				  "kafka list consumer groups");
		goto out;
	}
	const rd_kafka_ListConsumerGroups_result_t *res =
		rd_kafka_event_ListConsumerGroups_result(ev);
	const rd_kafka_ConsumerGroupListing_t **valid =
		rd_kafka_ListConsumerGroups_result_valid(res, &n);
	/* Partial errors (a broker that did not answer) leave groups out: fail loudly rather
	 * than report a smaller cluster. */
	size_t n_err = 0;
	const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &n_err);
	if (n_err > 0) {
		r = fl_kafka_fail(kafka, diag, rd_kafka_error_code(errs[0]),
				  "kafka list consumer groups");
		goto out;
	}
	if (n > FL_KAFKA_MAX_GROUPS) {
		r = fl_diag_set(diag, -E2BIG, "kafka %s: %zu consumer groups (at most %d)",
				kafka->bootstrap, n, FL_KAFKA_MAX_GROUPS);
		goto out;
	}
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		names[i] = strdup(rd_kafka_ConsumerGroupListing_group_id(valid[i]));
		if (!names[i]) {
			for (size_t j = 0; j < i; j++)
				free(names[j]);
			free(names);
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			goto out;
		}
	}
	*ret = names;
	*ret_n = (unsigned)n;
out:
	rd_kafka_event_destroy(ev);
	return r;
}

/* What we learn of one group: its committed offsets (owned list) or an error. */
struct group_res {
	const char *name;
	rd_kafka_topic_partition_list_t *committed;
	int err;
};

static int group_res_cmp(const void *a, const void *b)
{
	return strcmp(((const struct group_res *)a)->name, ((const struct group_res *)b)->name);
}

/*
 * Fire the ListConsumerGroupOffsets requests on q (librdkafka 2.0.2 takes one group per
 * call); they run concurrently. librdkafka merges an OffsetFetch answer into its result
 * with a linear search per partition (O(n^2): 1.3 s for one group at 10,000 partitions),
 * so we ask for explicit lists of at most CHUNK partitions of the cluster's non-internal
 * topics; partitions without a commit come back as -1. Past MAX_ASKED group-partitions we
 * ask for "everything the group committed" instead (one request per group).
 */
#define CHUNK	  500
#define MAX_ASKED 2000000u

static int fire_offsets(struct fl_kafka *kafka, rd_kafka_queue_t *q, struct group_res *g,
			unsigned n, const struct rd_kafka_metadata *md, uint64_t deadline,
			unsigned *ret_requests, struct fl_diag *diag)
{
	rd_kafka_AdminOptions_t *opt;
	unsigned total = 0, requests = 0;

	for (int t = 0; t < md->topic_cnt; t++)
		if (!md->topics[t].err && !fl_kafka_is_internal(md->topics[t].topic))
			total += (unsigned)md->topics[t].partition_cnt;
	bool chunked = (uint64_t)total * n <= MAX_ASKED;
	opt = rd_kafka_AdminOptions_new(kafka->rk, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
	if (!opt)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	(void)rd_kafka_AdminOptions_set_request_timeout(opt, fl_kafka_left_ms(deadline), NULL, 0);
	for (unsigned i = 0; i < n; i++) {
		int t = 0, p = 0;
		do {
			rd_kafka_topic_partition_list_t *parts = NULL;
			if (chunked) {
				parts = rd_kafka_topic_partition_list_new(CHUNK);
				if (!parts)
					goto nomem;
				for (; t < md->topic_cnt && parts->cnt < CHUNK; t++, p = 0) {
					const rd_kafka_metadata_topic_t *mt = &md->topics[t];
					if (mt->err || fl_kafka_is_internal(mt->topic))
						continue;
					for (; p < mt->partition_cnt && parts->cnt < CHUNK; p++)
						rd_kafka_topic_partition_list_add(
							parts, mt->topic, mt->partitions[p].id);
					if (p < mt->partition_cnt)
						break; /* chunk full inside this topic */
				}
				if (parts->cnt == 0) {
					rd_kafka_topic_partition_list_destroy(parts);
					break;
				}
			}
			/* NULL partitions: every partition the group committed on. */
			rd_kafka_ListConsumerGroupOffsets_t *req =
				rd_kafka_ListConsumerGroupOffsets_new(g[i].name, parts);
			if (parts)
				rd_kafka_topic_partition_list_destroy(parts);
			if (!req)
				goto nomem;
			rd_kafka_ListConsumerGroupOffsets(kafka->rk, &req, 1, opt, q);
			rd_kafka_ListConsumerGroupOffsets_destroy(req);
			requests++;
		} while (chunked && t < md->topic_cnt);
	}
	rd_kafka_AdminOptions_destroy(opt);
	*ret_requests = requests;
	return 0;
nomem:
	rd_kafka_AdminOptions_destroy(opt);
	/* The requests already fired answer onto q, which the caller destroys. */
	return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
}

/* Collect the answers fire_offsets asked for; a group's chunks are appended together
 * (partitions without a commit are dropped here). */
static int collect_offsets(struct fl_kafka *kafka, rd_kafka_queue_t *q, struct group_res *g,
			   unsigned n, unsigned requests, uint64_t deadline, struct fl_diag *diag)
{
	for (unsigned got = 0; got < requests;) {
		rd_kafka_event_t *ev = rd_kafka_queue_poll(q, fl_kafka_left_ms(deadline));
		if (!ev)
			return fl_kafka_fail(kafka, diag, RD_KAFKA_RESP_ERR__TIMED_OUT,
					     "kafka consumer group offsets");
		if (rd_kafka_event_type(ev) != RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT) {
			rd_kafka_event_destroy(ev);
			continue;
		}
		got++;
		if (rd_kafka_event_error(ev)) {
			/* Without a group result we cannot tell whose it was: the whole
			 * snapshot fails (a request-level error: timeout, no coordinator). */
			int r = fl_kafka_fail(kafka, diag, rd_kafka_event_error(ev),
					      "kafka consumer group offsets");
			rd_kafka_event_destroy(ev);
			return r;
		}
		size_t cnt = 0;
		const rd_kafka_group_result_t **gr =
			rd_kafka_ListConsumerGroupOffsets_result_groups(
				rd_kafka_event_ListConsumerGroupOffsets_result(ev), &cnt);
		for (size_t i = 0; i < cnt; i++) {
			struct group_res key = { .name = rd_kafka_group_result_name(gr[i]) };
			struct group_res *gi = bsearch(&key, g, n, sizeof(*g), group_res_cmp);
			if (!gi)
				continue;
			const rd_kafka_error_t *err = rd_kafka_group_result_error(gr[i]);
			if (err) {
				gi->err = fl_kafka_errno(rd_kafka_error_code(err));
				continue;
			}
			const rd_kafka_topic_partition_list_t *parts =
				rd_kafka_group_result_partitions(gr[i]);
			if (!parts)
				continue;
			if (!gi->committed)
				gi->committed = rd_kafka_topic_partition_list_new(parts->cnt);
			if (!gi->committed) {
				rd_kafka_event_destroy(ev);
				return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
			}
			for (int k = 0; k < parts->cnt; k++)
				if (parts->elems[k].offset >= 0 && !parts->elems[k].err)
					rd_kafka_topic_partition_list_add(gi->committed,
									  parts->elems[k].topic,
									  parts->elems[k].partition)
						->offset = parts->elems[k].offset;
		}
		rd_kafka_event_destroy(ev);
	}
	return 0;
}

/* One group's committed offsets on every non-internal partition, kept where it has one. */
static int group_committed(struct fl_kafka *kafka, struct group_res *g,
			   const struct rd_kafka_metadata *md, uint64_t deadline,
			   struct fl_diag *diag)
{
	rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(64);
	int r;

	if (!all)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (mt->err || fl_kafka_is_internal(mt->topic))
			continue;
		for (int p = 0; p < mt->partition_cnt; p++)
			rd_kafka_topic_partition_list_add(all, mt->topic, mt->partitions[p].id);
	}
	r = fl_kafka_group_committed(kafka, g->name, all, fl_kafka_left_ms(deadline), diag);
	if (r == 0) {
		g->committed = rd_kafka_topic_partition_list_new(all->cnt ? all->cnt : 1);
		if (!g->committed)
			r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		for (int i = 0; r == 0 && i < all->cnt; i++)
			if (all->elems[i].offset >= 0)
				rd_kafka_topic_partition_list_add(g->committed, all->elems[i].topic,
								  all->elems[i].partition)
					->offset = all->elems[i].offset;
	}
	rd_kafka_topic_partition_list_destroy(all);
	return r;
}

/* Topic name -> metadata index, through a sorted array of indexes. */
struct topic_index {
	const struct rd_kafka_metadata *md;
	int *order;	/* topic indexes sorted by name */
	unsigned *base; /* base[t]: global index of partition 0 of topic t */
	unsigned total;
};

static int order_cmp(const void *a, const void *b, void *arg)
{
	const struct rd_kafka_metadata *md = arg;

	return strcmp(md->topics[*(const int *)a].topic, md->topics[*(const int *)b].topic);
}

static int topic_find(const struct topic_index *ti, const char *name)
{
	int lo = 0, hi = ti->md->topic_cnt - 1;

	while (lo <= hi) {
		int mid = (lo + hi) / 2;
		int c = strcmp(name, ti->md->topics[ti->order[mid]].topic);
		if (c == 0)
			return ti->order[mid];
		if (c < 0)
			hi = mid - 1;
		else
			lo = mid + 1;
	}
	return -1;
}

/* Index of partition id p of topic t in the metadata (ids are usually 0..n-1 in order). */
static int part_find(const rd_kafka_metadata_topic_t *mt, int32_t p)
{
	if (p >= 0 && p < mt->partition_cnt && mt->partitions[p].id == p)
		return p;
	for (int i = 0; i < mt->partition_cnt; i++)
		if (mt->partitions[i].id == p)
			return i;
	return -1;
}

static int topic_index_build(struct topic_index *ti, const struct rd_kafka_metadata *md)
{
	ti->md = md;
	ti->order = malloc(sizeof(int) * (size_t)(md->topic_cnt ? md->topic_cnt : 1));
	ti->base = malloc(sizeof(unsigned) * (size_t)(md->topic_cnt ? md->topic_cnt : 1));
	if (!ti->order || !ti->base)
		return -ENOMEM;
	ti->total = 0;
	for (int t = 0; t < md->topic_cnt; t++) {
		ti->order[t] = t;
		ti->base[t] = ti->total;
		ti->total += (unsigned)md->topics[t].partition_cnt;
	}
	qsort_r(ti->order, (size_t)md->topic_cnt, sizeof(int), order_cmp, (void *)md);
	return 0;
}

static void topic_index_fini(struct topic_index *ti)
{
	free(ti->order);
	free(ti->base);
}

/* Copy the topic names (in metadata order, so topic t's name is (*ret_tname)[t]: a new
 * array) and the group names (snap->groups[i].name) into snap->names, one block. */
static int copy_names(const struct rd_kafka_metadata *md, const struct group_res *g,
		      unsigned n_groups, struct fl_lag_snapshot *snap, const char ***ret_tname)
{
	size_t names_len = 0;
	char *name;

	for (int t = 0; t < md->topic_cnt; t++)
		names_len += strlen(md->topics[t].topic) + 1;
	for (unsigned i = 0; i < n_groups; i++)
		names_len += strlen(g[i].name) + 1;
	snap->names = malloc(names_len ? names_len : 1);
	snap->groups = calloc(n_groups ? n_groups : 1, sizeof(*snap->groups));
	if (!snap->names || !snap->groups)
		return -ENOMEM;
	/* Topic names in metadata order, so topic t's name is tname[t]. */
	const char **tname = malloc(sizeof(char *) * (size_t)(md->topic_cnt ? md->topic_cnt : 1));
	if (!tname)
		return -ENOMEM;
	name = snap->names;
	for (int t = 0; t < md->topic_cnt; t++) {
		size_t len = strlen(md->topics[t].topic) + 1;
		memcpy(name, md->topics[t].topic, len);
		tname[t] = name;
		name += len;
	}
	for (unsigned i = 0; i < n_groups; i++) {
		size_t len = strlen(g[i].name) + 1;
		memcpy(name, g[i].name, len);
		snap->groups[i].name = name;
		name += len;
	}
	*ret_tname = tname;
	return 0;
}

/* Mark what the group committed (c), by global partition index in committed[] and by topic
 * in touched[]. */
static void mark_committed(const struct topic_index *ti, const rd_kafka_topic_partition_list_t *c,
			   int64_t *committed, unsigned char *touched)
{
	const struct rd_kafka_metadata *md = ti->md;

	memset(touched, 0, (size_t)md->topic_cnt);
	for (int k = 0; k < c->cnt; k++) {
		int t = topic_find(ti, c->elems[k].topic);
		int p = t < 0 ? -1 : part_find(&md->topics[t], c->elems[k].partition);
		if (p < 0 || c->elems[k].offset < 0)
			continue;
		touched[t] = 1;
		committed[ti->base[t] + (unsigned)p] = c->elems[k].offset;
	}
}

/* Append every partition of topic t (its name: tname, the snapshot's copy) to snap->e, whose
 * capacity is *cap; their committed[] go back to FL_KAFKA_NO_OFFSET for the next group. */
static int emit_topic(const struct topic_index *ti, int t, const char *tname, const int64_t *end,
		      int64_t *committed, struct fl_lag_snapshot *snap, size_t *cap)
{
	const rd_kafka_metadata_topic_t *mt = &ti->md->topics[t];

	if (snap->n + (unsigned)mt->partition_cnt > *cap) {
		size_t ncap = FL_MAX(*cap * 2, snap->n + (size_t)mt->partition_cnt);
		ncap = FL_MAX(ncap, 64);
		struct fl_lag_entry *ne = realloc(snap->e, ncap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		snap->e = ne;
		*cap = ncap;
	}
	unsigned from = snap->n;
	for (int p = 0; p < mt->partition_cnt; p++) {
		unsigned gi = ti->base[t] + (unsigned)p;
		struct fl_lag_entry *e = &snap->e[snap->n++];
		e->topic = tname;
		e->partition = mt->partitions[p].id;
		e->committed = committed[gi];
		e->end = end[gi];
		e->lag = -1;
		if (e->committed >= 0 && e->end >= 0)
			/* A commit ahead of the log end (truncation) is lag 0. */
			e->lag = e->end > e->committed ? e->end - e->committed : 0;
		committed[gi] = FL_KAFKA_NO_OFFSET;
	}
	/* Partition ids are normally in order already. */
	qsort(snap->e + from, snap->n - from, sizeof(*snap->e), entry_cmp);
	return 0;
}

/* Build the snapshot from the metadata, the group answers and the log ends. */
static int build(const struct topic_index *ti, struct group_res *g, unsigned n_groups,
		 const int64_t *end, struct fl_lag_snapshot *snap, int64_t *committed,
		 unsigned char *touched)
{
	const struct rd_kafka_metadata *md = ti->md;
	const char **tname;
	size_t cap = 0;
	int r = copy_names(md, g, n_groups, snap, &tname);

	if (r < 0)
		return r;
	for (unsigned i = 0; i < n_groups; i++) {
		struct fl_lag_group *sg = &snap->groups[snap->n_groups++];
		sg->err = g[i].err;
		sg->first = snap->n;
		if (!g[i].committed)
			continue;
		mark_committed(ti, g[i].committed, committed, touched);
		/* Emit every partition of the touched topics, in name order. */
		for (int o = 0; o < md->topic_cnt; o++) {
			int t = ti->order[o];
			if (!touched[t])
				continue;
			if (emit_topic(ti, t, tname[t], end, committed, snap, &cap) < 0) {
				free(tname);
				return -ENOMEM;
			}
		}
		sg->n = snap->n - sg->first;
	}
	free(tname);
	return 0;
}

/* The names of the groups to read: group alone, or every group of the cluster (new array of
 * new strings). */
static int group_names(struct fl_kafka *kafka, rd_kafka_queue_t *q, const char *group,
		       uint64_t deadline, char ***ret, unsigned *ret_n, struct fl_diag *diag)
{
	if (!group)
		return list_groups(kafka, q, deadline, ret, ret_n, diag);
	char **names = calloc(1, sizeof(*names));
	if (!names || !(names[0] = strdup(group))) {
		free(names);
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	}
	*ret = names;
	*ret_n = 1;
	return 0;
}

/* The committed offsets of the n groups g, on the partitions md lists. */
static int read_committed(struct fl_kafka *kafka, rd_kafka_queue_t *q, const char *group,
			  struct group_res *g, unsigned n, const struct rd_kafka_metadata *md,
			  uint64_t deadline, struct fl_diag *diag)
{
	unsigned requests = 0;
	int r;

	if (group)
		/* One group (what the probe asks): the consumer protocol (kafka_internal.h: the
		 * Admin API's coordinator requests can abort the process on a broker loss). */
		return group_committed(kafka, &g[0], md, deadline, diag);
	r = fire_offsets(kafka, q, g, n, md, deadline, &requests, diag);
	if (r == 0)
		r = collect_offsets(kafka, q, g, n, requests, deadline, diag);
	return r;
}

/* What a snapshot needs per partition (by global partition index, topic_index.base) and per
 * topic while it is made, and the ListOffsets request. */
struct scratch {
	unsigned char *touched; /* by topic: some group committed on it */
	int64_t *end, *committed;
	int32_t *leaders; /* the leader of list->elems[i] */
	rd_kafka_topic_partition_list_t *list;
};

static int scratch_new(struct scratch *s, const struct topic_index *ti)
{
	s->touched = calloc((size_t)ti->md->topic_cnt + 1, 1);
	s->end = malloc(sizeof(*s->end) * (ti->total + 1));
	s->committed = malloc(sizeof(*s->committed) * (ti->total + 1));
	s->leaders = malloc(sizeof(*s->leaders) * (ti->total + 1));
	s->list = rd_kafka_topic_partition_list_new((int)FL_MIN(ti->total + 1, 1000000u));
	if (!s->touched || !s->end || !s->committed || !s->leaders || !s->list)
		return -ENOMEM;
	for (unsigned i = 0; i < ti->total; i++) {
		s->end[i] = -1;
		s->committed[i] = FL_KAFKA_NO_OFFSET;
	}
	return 0;
}

static void scratch_fini(struct scratch *s)
{
	free(s->end);
	free(s->leaders);
	free(s->committed);
	free(s->touched);
	if (s->list)
		rd_kafka_topic_partition_list_destroy(s->list);
}

/* The log ends of every partition (with a leader) of every topic some group committed on,
 * into s->end. */
static int query_touched_ends(struct fl_kafka *kafka, const struct topic_index *ti,
			      const struct group_res *g, unsigned n, struct scratch *s,
			      uint64_t deadline, struct fl_diag *diag)
{
	const struct rd_kafka_metadata *md = ti->md;
	rd_kafka_topic_partition_list_t *list = s->list;
	int r;

	for (unsigned i = 0; i < n; i++) {
		rd_kafka_topic_partition_list_t *c = g[i].committed;
		for (int k = 0; c && k < c->cnt; k++) {
			int t = topic_find(ti, c->elems[k].topic);
			if (t >= 0 && c->elems[k].offset >= 0)
				s->touched[t] = 1;
		}
	}
	for (int t = 0; t < md->topic_cnt; t++) {
		const rd_kafka_metadata_topic_t *mt = &md->topics[t];
		if (!s->touched[t])
			continue;
		for (int p = 0; p < mt->partition_cnt; p++)
			if (mt->partitions[p].leader >= 0) {
				s->leaders[list->cnt] = mt->partitions[p].leader;
				rd_kafka_topic_partition_list_add(list, mt->topic,
								  mt->partitions[p].id);
			}
	}
	r = fl_kafka_query_ends(kafka, list, s->leaders, fl_kafka_left_ms(deadline), diag);
	if (r < 0)
		return r;
	for (int i = 0; i < list->cnt; i++) {
		int t = topic_find(ti, list->elems[i].topic);
		int p = t < 0 ? -1 : part_find(&md->topics[t], list->elems[i].partition);
		if (p >= 0)
			s->end[ti->base[t] + (unsigned)p] = list->elems[i].offset;
	}
	return 0;
}

static void groups_free(struct group_res *g, char **names, unsigned n)
{
	for (unsigned i = 0; g && i < n; i++)
		if (g[i].committed)
			rd_kafka_topic_partition_list_destroy(g[i].committed);
	for (unsigned i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	free(g);
}

int fl_kafka_lag_snapshot_timeout(struct fl_kafka *kafka, const char *group, int timeout_ms,
				  struct fl_lag_snapshot **ret, struct fl_diag *diag)
{
	uint64_t deadline =
		fl_kafka_now_ns() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000000ull;
	const struct rd_kafka_metadata *md = NULL;
	struct topic_index ti = { 0 };
	struct scratch s = { 0 };
	struct fl_lag_snapshot *snap = NULL;
	struct group_res *g = NULL;
	char **names = NULL;
	unsigned n = 0;
	int r;

	rd_kafka_queue_t *q = rd_kafka_queue_new(kafka->rk);
	if (!q)
		return fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
	r = group_names(kafka, q, group, deadline, &names, &n, diag);
	if (r < 0)
		goto out;
	qsort(names, n, sizeof(*names), strp_cmp);
	g = calloc(n ? n : 1, sizeof(*g));
	if (!g) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		g[i].name = names[i];
	/* The metadata first: it says which partitions to ask the groups about. */
	r = fl_kafka_metadata(kafka, fl_kafka_left_ms(deadline), &md, diag);
	if (r < 0)
		goto out;
	r = read_committed(kafka, q, group, g, n, md, deadline, diag);
	if (r < 0)
		goto out;
	if (topic_index_build(&ti, md) < 0 || scratch_new(&s, &ti) < 0) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	r = query_touched_ends(kafka, &ti, g, n, &s, deadline, diag);
	if (r < 0)
		goto out;
	snap = calloc(1, sizeof(*snap));
	if (!snap || build(&ti, g, n, s.end, snap, s.committed, s.touched) < 0) {
		r = fl_diag_set(diag, -ENOMEM, "kafka: out of memory");
		goto out;
	}
	snap->t_ns = fl_kafka_now_ns();
	*ret = snap;
	snap = NULL;
	r = 0;
out:
	groups_free(g, names, n);
	topic_index_fini(&ti);
	scratch_fini(&s);
	if (md)
		rd_kafka_metadata_destroy(md);
	/* Answers still in flight after a timeout land on q; destroying it drops them. */
	rd_kafka_queue_destroy(q);
	fl_lag_snapshot_free(snap);
	return r;
}

int fl_kafka_lag_snapshot(struct fl_kafka *kafka, const char *group, struct fl_lag_snapshot **ret,
			  struct fl_diag *diag)
{
	return fl_kafka_lag_snapshot_timeout(kafka, group, 5000, ret, diag);
}
