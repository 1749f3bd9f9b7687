/* SPDX-License-Identifier: MIT */
/*
 * Probing what this node can really do (caps.h): each mechanism is tried once in a
 * throw-away network namespace and the CRI is asked for its version, so the capability
 * answer is what worked here, not what the kernel config claims.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "caps.h"
#include "cri.h"
#include "delayline.h"
#include "fl/netem.h"
#include "fl/nft.h"

static bool try_fault(struct fl_nl *nl, const struct fl_netem_fault *f, char *err, size_t size)
{
	struct fl_diag diag = { 0 };
	int r = fl_netem_apply(nl, "lo", f, &diag);

	if (r < 0) {
		if (err)
			(void)snprintf(err, size, "%s", diag.msg);
		return false;
	}
	if (fl_netem_remove(nl, "lo", f->direction, NULL) < 0)
		return false; /* it applied but would not go away: not a usable mechanism */
	return true;
}

/* Runs in a thread that owns a fresh network namespace: everything it opens is in it. */
static void *probe_thread(void *arg)
{
	struct fl_caps *c = arg;
	struct fl_netem_fault netem = { .kind = FL_NETEM_FAULT_NETEM,
					.netem = { .delay_ns = 1000000 } };
	struct fl_netem_fault tbf = { .kind = FL_NETEM_FAULT_TBF,
				      .tbf = { .rate_bytes_per_s = 1250000 } };
	struct fl_netem_fault targeted = tbf, ingress = tbf;
	struct fl_delayline_spec dls = { .delay_ns = 1000000 };
	struct fl_delayline *dl = NULL;
	struct fl_nft *nft = NULL;
	struct fl_nl *nl = NULL;
	struct fl_diag diag = { 0 };

	if (unshare(CLONE_NEWNET) < 0) {
		(void)snprintf(c->netem_error, sizeof(c->netem_error),
			       "cannot create a probe namespace: %s", strerror(errno));
		return NULL;
	}
	if (fl_nl_open(NULL, &nl, &diag) == 0) {
		c->netem = try_fault(nl, &netem, c->netem_error, sizeof(c->netem_error));
		c->tbf = try_fault(nl, &tbf, NULL, 0);
		targeted.n_matches = 1;
		if (fl_netem_match_parse("127.0.0.2/32", false, &targeted.matches[0], NULL) == 0)
			c->targeted = try_fault(nl, &targeted, NULL, 0);
		ingress.direction = FL_NETEM_INGRESS;
		c->ifb = try_fault(nl, &ingress, NULL, 0);
		fl_nl_free(nl);
	}
	if (fl_nft_open(NULL, &nft, &diag) == 0) {
		unsigned bits = fl_nft_probe(nft);

		c->nftables = bits & FL_NFT_CAP_TABLES;
		c->nft_owner = bits & FL_NFT_CAP_OWNER;
		c->numgen = bits & FL_NFT_CAP_NUMGEN;
		c->reject = bits & FL_NFT_CAP_REJECT;
		c->nfqueue_target = bits & FL_NFT_CAP_NFQUEUE;
		fl_nft_close(nft);
	}
	if (fl_delayline_start(NULL, 0xFAFF, &dls, &dl, &diag) == 0) {
		c->nfqueue = true;
		fl_delayline_stop(dl);
	}
	return NULL;
}

void fl_caps_probe(const struct fl_agent_config *cfg, struct fl_caps *ret)
{
	struct fl_caps c = { 0 };
	struct fl_cri_version v;
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = NULL;
	struct utsname u;
	pthread_t t;

	if (uname(&u) == 0)
		(void)snprintf(c.kernel, sizeof(c.kernel), "%s", u.release);
	if (pthread_create(&t, NULL, probe_thread, &c) == 0)
		(void)pthread_join(t, NULL);
	if (!cfg->cri_socket[0]) {
		(void)snprintf(c.cri_error, sizeof(c.cri_error), "no CRI configured (cri-socket)");
	} else if (fl_cri_open(cfg->cri_socket, 3000, &cri, &diag) == 0 &&
		   fl_cri_version(cri, &v, &diag) == 0) {
		c.cri = true;
		(void)snprintf(c.cri_runtime, sizeof(c.cri_runtime), "%s", v.runtime_name);
		(void)snprintf(c.cri_version, sizeof(c.cri_version), "%s", v.runtime_version);
	} else {
		(void)snprintf(c.cri_error, sizeof(c.cri_error), "%s", diag.msg);
	}
	fl_cri_close(cri);
	*ret = c;
}

json_t *fl_caps_json(const struct fl_caps *c)
{
	json_t *mech = json_pack("{s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:b}", "netem",
				 c->netem, "tbf", c->tbf, "targetedTree", c->targeted, "ifb",
				 c->ifb, "nftables", c->nftables, "nftOwnerTables", c->nft_owner,
				 "nftNumgen", c->numgen, "nftReject", c->reject, "nfqueueTarget",
				 c->nfqueue_target, "nfqueue", c->nfqueue);
	/* Which mechanism each kind uses here, or why it cannot run. */
	json_t *kinds = json_pack(
		"{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "network",
		c->netem ? "netem" : "unavailable: no sch_netem (use kinds delay and loss)",
		"bandwidth", c->tbf ? "tbf" : "unavailable: no sch_tbf", "partition",
		c->nftables ? "nftables" : "unavailable: no nf_tables", "loss",
		c->nftables && c->numgen ? "nftables numgen" : "unavailable: no nft numgen",
		"delay",
		c->nfqueue && c->nfqueue_target ? "nfqueue-delay-line"
						: "unavailable: no NFQUEUE (nfnetlink_queue / "
						  "xt_NFQUEUE)",
		"container-kill", c->cri ? "cri" : "signal only (no CRI)", "process-kill",
		"signal");
	json_t *o = json_pack("{s:s, s:o, s:o}", "kernel", c->kernel, "mechanisms", mech, "kinds",
			      kinds);

	if (!c->netem)
		json_object_set_new(o, "netemError", json_string(c->netem_error));
	json_object_set_new(
		o, "cri",
		c->cri ? json_pack("{s:b, s:s, s:s}", "reachable", 1, "runtime", c->cri_runtime,
				   "version", c->cri_version)
		       : json_pack("{s:b, s:s}", "reachable", 0, "error", c->cri_error));
	return o;
}
