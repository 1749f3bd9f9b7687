/* SPDX-License-Identifier: MIT */
/*
 * Reconcile: nothing Faultline made may outlive its fault. Three sources of leftovers:
 *
 *  1. ledger records nobody owns: a previous agent crashed after writing them (startup);
 *  2. marks in a namespace (root qdisc FA17:, our ingress filter, flifb<N>, nft table
 *     faultline_<id>) that no live fault owns — whatever the cause;
 *  3. live faults whose target pod is gone.
 *
 * The namespaces looked at: the node's own, every ready CRI sandbox's, every file in
 * netns-dir, and those of live faults and ledger records. Discovery (CRI calls) happens
 * before the registry lock is taken; the sweep runs under it, so an inject can never
 * slip between "which marks are live" and "remove the others".
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cri.h"
#include "fl/log.h"
#include "registry_internal.h"

#define MAX_NS 1024

struct ns_ref {
	char path[FL_NETNS_PATH_MAX];
	uint64_t dev, ino;
	char sandbox_id[72];
};

struct ns_set {
	struct ns_ref *v;
	unsigned n;
};

static void add_ns(struct ns_set *set, const char *path, const char *sandbox_id)
{
	uint64_t dev, ino;

	if (set->n == MAX_NS || fl_netns_identify(path, &dev, &ino) < 0)
		return;
	for (unsigned i = 0; i < set->n; i++)
		if (set->v[i].dev == dev && set->v[i].ino == ino)
			return;
	(void)snprintf(set->v[set->n].path, sizeof(set->v[0].path), "%s", path);
	set->v[set->n].dev = dev;
	set->v[set->n].ino = ino;
	(void)snprintf(set->v[set->n].sandbox_id, sizeof(set->v[0].sandbox_id), "%s",
		       sandbox_id ? sandbox_id : "");
	set->n++;
}

/* Ready sandboxes' namespaces; also fills ready_ids (sandbox ids, for "target gone"). */
static int discover_cri(const struct fl_agent_config *cfg, struct ns_set *set,
			char (*ready_ids)[72], unsigned *n_ready)
{
	struct fl_cri_sandbox *sbs = NULL;
	struct fl_cri *cri = NULL;
	struct fl_diag diag = { 0 };
	unsigned n = 0;
	int r;

	*n_ready = 0;
	if (!cfg->cri_socket[0])
		return 0;
	if ((r = fl_cri_open(cfg->cri_socket, 3000, &cri, &diag)) < 0 ||
	    (r = fl_cri_list_sandboxes(cri, &sbs, &n, &diag)) < 0) {
		fl_cri_close(cri);
		return fl_log_errno(LOG_WARNING, r, "reconcile: CRI unavailable",
				    "cri=%s detail=\"%s\"", cfg->cri_socket, diag.msg);
	}
	for (unsigned i = 0; i < n; i++) {
		struct fl_cri_sandbox_status st;
		char path[64];

		if (sbs[i].state != FL_CRI_SANDBOX_READY)
			continue;
		if (*n_ready < MAX_NS)
			(void)snprintf(ready_ids[(*n_ready)++], 72, "%s", sbs[i].id);
		if (fl_cri_sandbox_status(cri, sbs[i].id, &st, NULL) < 0 || st.host_network)
			continue;
		if (st.pid > 0) {
			(void)snprintf(path, sizeof(path), "/proc/%d/ns/net", st.pid);
			add_ns(set, path, sbs[i].id);
		} else if (st.netns_path[0]) {
			add_ns(set, st.netns_path, sbs[i].id);
		}
	}
	free(sbs);
	fl_cri_close(cri);
	return 0;
}

static void discover_netns_dir(const char *dir, struct ns_set *set)
{
	struct dirent *de;
	DIR *d;

	if (!dir[0] || !(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		char path[FL_NETNS_PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(path, sizeof(path), "%s/%s", dir, de->d_name) < (int)sizeof(path))
			add_ns(set, path, NULL);
	}
	closedir(d);
}

/* ---- liveness ---------------------------------------------------------------------- */

static bool is_netem_kind(enum fl_fault_kind k)
{
	return k == FL_FAULT_NETWORK || k == FL_FAULT_BANDWIDTH;
}

static bool live_netem_object(struct fl_registry *reg, const struct ns_ref *ns, struct fl_nl *nl,
			      const struct fl_netem_owned *o)
{
	char parent[16] = "";
	int parent_index;

	/* flifb<N>: its root qdisc and itself belong to an ingress fault on interface N. */
	if (strncmp(o->ifname, FL_NETEM_IFB_PREFIX, strlen(FL_NETEM_IFB_PREFIX)) == 0) {
		parent_index = (int)strtol(o->ifname + strlen(FL_NETEM_IFB_PREFIX), NULL, 10);
		if (parent_index <= 0 || fl_nl_ifname(nl, parent_index, parent, sizeof(parent)) < 0)
			return false;
	}
	for (const struct fl_fault *f = reg->faults; f; f = f->next) {
		bool ingress;

		if (f->state == FL_FAULT_DONE || !is_netem_kind(f->req.kind) ||
		    f->res.netns_dev != ns->dev || f->res.netns_ino != ns->ino)
			continue;
		ingress = f->req.u.net.direction == FL_NETEM_INGRESS;
		if (parent[0]) {
			if (ingress && strcmp(f->req.ifname, parent) == 0)
				return true;
		} else if (o->what == FL_NETEM_OWNED_INGRESS_FILTER) {
			if (ingress && strcmp(f->req.ifname, o->ifname) == 0)
				return true;
		} else if (!ingress && strcmp(f->req.ifname, o->ifname) == 0) {
			return true;
		}
	}
	return false;
}

static bool live_nft_table(struct fl_registry *reg, const struct ns_ref *ns, const char *table)
{
	const char *id = table + strlen(FL_NFT_TABLE_PREFIX);

	for (const struct fl_fault *f = reg->faults; f; f = f->next)
		if (f->state != FL_FAULT_DONE && !is_netem_kind(f->req.kind) &&
		    strcmp(f->id, id) == 0 && f->res.netns_dev == ns->dev &&
		    f->res.netns_ino == ns->ino)
			return true;
	return false;
}

struct owned_list {
	struct fl_netem_owned v[256];
	unsigned n;
};

static int collect_owned(const struct fl_netem_owned *o, void *data)
{
	struct owned_list *l = data;

	if (l->n < FL_ARRAY_SIZE(l->v))
		l->v[l->n++] = *o;
	return 0;
}

struct table_list {
	char v[128][FL_NFT_ID_MAX + 16];
	unsigned n;
};

static int collect_table(const char *table, void *data)
{
	struct table_list *l = data;

	if (l->n < FL_ARRAY_SIZE(l->v))
		(void)snprintf(l->v[l->n++], sizeof(l->v[0]), "%s", table);
	return 0;
}

/* With the registry lock held. Returns the number of marks removed. */
static unsigned sweep_ns(struct fl_registry *reg, const struct ns_ref *ns, json_t *report)
{
	static struct owned_list owned;
	static struct table_list tables;
	struct fl_diag diag = { 0 };
	struct fl_nl *nl = NULL;
	struct fl_nft *nft = NULL;
	unsigned removed = 0;

	owned.n = 0;
	tables.n = 0;
	if (fl_nl_open(ns->path, &nl, &diag) == 0 &&
	    fl_netem_list_ours(nl, collect_owned, &owned, &diag) == 0) {
		for (unsigned i = 0; i < owned.n; i++) {
			if (live_netem_object(reg, ns, nl, &owned.v[i]))
				continue;
			if (fl_netem_remove_owned(nl, &owned.v[i], &diag) == 0) {
				removed++;
				json_array_append_new(report, json_pack("{s:s, s:s, s:s}", "netns",
									ns->path, "interface",
									owned.v[i].ifname, "object",
									owned.v[i].kind));
				fl_log(LOG_WARNING, "reconcile removed a leftover",
				       "netns=%s interface=%s object=%s", ns->path,
				       owned.v[i].ifname, owned.v[i].kind);
			}
		}
	}
	fl_nl_free(nl);
	if (fl_nft_open(ns->path, &nft, &diag) == 0 &&
	    fl_nft_list_ours(nft, collect_table, &tables, &diag) == 0) {
		for (unsigned i = 0; i < tables.n; i++) {
			const char *id = tables.v[i] + strlen(FL_NFT_TABLE_PREFIX);

			if (live_nft_table(reg, ns, tables.v[i]))
				continue;
			if (fl_nft_remove(nft, id, &diag) == 0) {
				removed++;
				json_array_append_new(report,
						      json_pack("{s:s, s:s}", "netns", ns->path,
								"nftTable", tables.v[i]));
				fl_log(LOG_WARNING, "reconcile removed a leftover",
				       "netns=%s nft_table=%s", ns->path, tables.v[i]);
			}
		}
	}
	fl_nft_close(nft);
	return removed;
}

static unsigned undo_ledger(struct fl_registry *reg, bool startup, struct ns_set *set,
			    json_t *report)
{
	struct fl_ledger_record *recs = NULL;
	unsigned n = 0, corrupt = 0, undone = 0;
	struct fl_diag diag = { 0 };

	if (fl_ledger_load(reg->ledger, &recs, &n, &corrupt, &diag) < 0) {
		fl_log(LOG_ERR, "reconcile: cannot read the ledger", "detail=\"%s\"", diag.msg);
		return 0;
	}
	if (corrupt)
		fl_log(LOG_ERR, "reconcile: corrupt ledger records set aside", "count=%u", corrupt);
	for (unsigned i = 0; i < n; i++) {
		bool owned = false;

		for (const struct fl_fault *f = reg->faults; f && !startup; f = f->next)
			owned |= strcmp(f->id, recs[i].id) == 0;
		if (owned)
			continue;
		if (recs[i].netns_path[0])
			add_ns(set, recs[i].netns_path, NULL);
		if (fl_mech_revert_record(&recs[i], &diag) < 0) {
			fl_log(LOG_ERR, "reconcile: undoing a ledger record failed, will retry",
			       "fault=%s error=\"%s\"", recs[i].id, diag.msg);
			continue;
		}
		(void)fl_ledger_remove(reg->ledger, recs[i].id, NULL);
		undone++;
		json_array_append_new(report,
				      json_pack("{s:s, s:s, s:s}", "ledgerRecord", recs[i].id,
						"kind", fl_fault_kind_name(recs[i].kind), "netns",
						recs[i].netns_path));
		fl_log(LOG_INFO, "reconcile undid a fault of a previous agent",
		       "fault=%s kind=%s netns=%s", recs[i].id, fl_fault_kind_name(recs[i].kind),
		       recs[i].netns_path);
	}
	free(recs);
	return undone;
}

static unsigned revert_gone(struct fl_registry *reg, char (*ready)[72], unsigned n_ready,
			    bool cri_ok)
{
	struct fl_fault *f, *next;
	unsigned n = 0;

	for (f = reg->faults; f; f = next) {
		bool gone;

		next = f->next;
		if (f->state != FL_FAULT_ACTIVE || !f->res.netns_path[0])
			continue;
		gone = !fl_mech_netns_is(f->res.netns_path, f->res.netns_dev, f->res.netns_ino);
		if (!gone && f->res.sandbox_id[0] && cri_ok) {
			gone = true;
			for (unsigned i = 0; i < n_ready && gone; i++)
				gone = strcmp(ready[i], f->res.sandbox_id) != 0;
		}
		if (gone && fl_registry_revert_locked(reg, f, FL_REVERT_TARGET_GONE) == 1)
			n++;
	}
	return n;
}

json_t *fl_registry_reconcile(struct fl_registry *reg, bool startup)
{
	static char ready[MAX_NS][72];
	struct ns_set set = { .v = calloc(MAX_NS, sizeof(struct ns_ref)) };
	json_t *removed = json_array();
	unsigned n_ready = 0, undone, swept = 0, gone;
	bool cri_ok;

	if (!set.v)
		return NULL;
	/* Discovery, without the lock. */
	add_ns(&set, "/proc/self/ns/net", NULL);
	cri_ok = reg->cfg->cri_socket[0] && discover_cri(reg->cfg, &set, ready, &n_ready) == 0;
	discover_netns_dir(reg->cfg->netns_dir, &set);

	pthread_mutex_lock(&reg->lock);
	for (const struct fl_fault *f = reg->faults; f; f = f->next)
		if (f->res.netns_path[0])
			add_ns(&set, f->res.netns_path, NULL);
	undone = undo_ledger(reg, startup, &set, removed);
	gone = revert_gone(reg, ready, n_ready, cri_ok);
	for (unsigned i = 0; i < set.n; i++)
		swept += sweep_ns(reg, &set.v[i], removed);
	reg->c.reconcile_runs++;
	reg->c.reconcile_removed += undone + swept;
	pthread_mutex_unlock(&reg->lock);
	free(set.v);
	if (undone || swept || gone)
		fl_log(LOG_INFO, "reconcile",
		       "startup=%d namespaces=%u ledger_undone=%u "
		       "leftovers_removed=%u target_gone=%u",
		       startup, set.n, undone, swept, gone);
	return json_pack("{s:b, s:i, s:i, s:i, s:i, s:o}", "startup", startup, "namespaces",
			 (int)set.n, "ledgerUndone", (int)undone, "leftoversRemoved", (int)swept,
			 "targetGone", (int)gone, "removed", removed);
}
