/* SPDX-License-Identifier: MIT */
/*
 * The kernel and runtime side of each fault kind. Only netlink, CRI and signals — never a
 * program. Every apply verifies (the libraries read the state back); every revert is
 * idempotent and treats a vanished target as reverted (its qdiscs and rules vanished with
 * its namespace).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cri.h"
#include "mech.h"
#include "fl/netem.h"

bool fl_mech_netns_is(const char *path, uint64_t dev, uint64_t ino)
{
	uint64_t d, i;

	return path[0] && fl_netns_identify(path, &d, &i) == 0 && d == dev && i == ino;
}

static int apply_netem(struct fl_fault *f, struct fl_diag *diag)
{
	struct fl_nl *nl;
	int r;

	if ((r = fl_nl_open(f->res.netns_path, &nl, diag)) < 0)
		return r;
	r = fl_netem_apply(nl, f->req.ifname, &f->req.u.net, diag);
	if (r >= 0)
		f->ifindex = fl_nl_ifindex(nl, f->req.ifname, NULL);
	fl_nl_free(nl);
	f->mechanism = f->req.u.net.kind == FL_NETEM_FAULT_TBF ? "tbf" : "netem";
	if (r == -EOPNOTSUPP && f->req.u.net.kind == FL_NETEM_FAULT_NETEM)
		(void)fl_diag_prefix(diag, r,
				     "kind network needs sch_netem on the node; kinds delay and "
				     "loss work without it");
	return r;
}

static int revert_netem(const char *path, uint64_t dev, uint64_t ino, const char *ifname,
			int direction, struct fl_diag *diag)
{
	struct fl_nl *nl;
	int r;

	if (!fl_mech_netns_is(path, dev, ino))
		return 0; /* the namespace is gone, and our qdiscs with it */
	if ((r = fl_nl_open(path, &nl, diag)) < 0)
		return r == -ENOENT ? 0 : r;
	r = fl_netem_remove(nl, ifname, direction, diag);
	fl_nl_free(nl);
	return r == -ENODEV ? 0 : r; /* the interface is gone: so is its qdisc */
}

static int apply_nft(struct fl_fault *f, const struct fl_nft_fault *rule, struct fl_diag *diag)
{
	int r;

	if ((r = fl_nft_open(f->res.netns_path, &f->nft, diag)) < 0)
		return r;
	r = fl_nft_apply(f->nft, f->id, rule, diag);
	if (r < 0)
		f->nft = fl_nft_close(f->nft);
	return r;
}

static int revert_nft(struct fl_nft **nftp, const char *path, uint64_t dev, uint64_t ino,
		      const char *id, struct fl_diag *diag)
{
	struct fl_nft *nft = *nftp;
	int r;

	if (!nft) {
		if (!fl_mech_netns_is(path, dev, ino))
			return 0;
		if ((r = fl_nft_open(path, &nft, diag)) < 0)
			return r == -ENOENT ? 0 : r;
	}
	r = fl_nft_remove(nft, id, diag);
	/* Closing the owner socket also deletes the table on kernels with owner tables. */
	*nftp = fl_nft_close(nft);
	return r;
}

static int apply_delay(struct fl_fault *f, struct fl_diag *diag)
{
	struct fl_nft_fault steer = f->req.u.delay.steer;
	int r;

	/* The delay line listens before the rule steers anything to it. */
	steer.action = FL_NFT_QUEUE;
	steer.queue_num = f->queue_num;
	steer.queue_bypass = true;
	r = fl_delayline_start(f->res.netns_path, f->queue_num, &f->req.u.delay.spec, &f->dl, diag);
	if (r < 0)
		return r;
	if ((r = apply_nft(f, &steer, diag)) < 0)
		f->dl = fl_delayline_stop(f->dl);
	return r;
}

static int kill_containers(struct fl_fault *f, const struct fl_agent_config *cfg,
			   struct fl_diag *diag)
{
	struct fl_cri *cri = NULL;
	size_t n = 0;
	int r = 0;

	if (!f->req.u.kill.signal && (r = fl_cri_open(cfg->cri_socket, 0, &cri, diag)) < 0)
		return r;
	for (unsigned i = 0; i < f->res.n_containers; i++) {
		const char *name = f->res.containers[i].name;
		struct fl_cri_container_status st = { 0 };
		int e = 0, pid = f->res.containers[i].pid;

		if (f->req.u.kill.signal) {
			if (pid <= 1 || kill(pid, f->req.u.kill.signal) < 0)
				e = pid <= 1 ? -ESRCH : -errno;
		} else {
			e = fl_cri_stop_container(cri, f->res.containers[i].id,
						  f->req.u.kill.grace_s, diag);
			if (e == 0)
				(void)fl_cri_container_status(cri, f->res.containers[i].id, &st,
							      NULL);
		}
		if (e < 0 && r == 0)
			r = fl_diag_prefix(diag, e, "container %s", name);
		if (n < sizeof(f->result)) {
			int w = f->req.u.kill.signal
					? snprintf(f->result + n, sizeof(f->result) - n,
						   "%s%s: signal %d to pid %d%s", n ? "; " : "",
						   name, f->req.u.kill.signal, pid,
						   e < 0 ? " failed" : "")
					: snprintf(f->result + n, sizeof(f->result) - n,
						   "%s%s: stopped, exit code %d", n ? "; " : "",
						   name, e < 0 ? -1 : st.exit_code);
			if (w > 0)
				n += (size_t)w;
		}
	}
	fl_cri_close(cri);
	return r;
}

int fl_mech_apply(struct fl_fault *f, const struct fl_agent_config *cfg, struct fl_diag *diag)
{
	switch (f->req.kind) {
	case FL_FAULT_NETWORK:
	case FL_FAULT_BANDWIDTH:
		return apply_netem(f, diag);
	case FL_FAULT_PARTITION:
	case FL_FAULT_LOSS:
		f->mechanism = "nftables";
		return apply_nft(f, &f->req.u.nft, diag);
	case FL_FAULT_DELAY:
		f->mechanism = "nfqueue-delay-line";
		return apply_delay(f, diag);
	case FL_FAULT_CONTAINER_KILL:
		f->mechanism = f->req.u.kill.signal ? "signal" : "cri";
		return kill_containers(f, cfg, diag);
	case FL_FAULT_PROCESS_KILL:
		f->mechanism = "signal";
		if (kill(f->res.pid, f->req.u.kill.signal) < 0)
			return fl_diag_set(diag, -errno, "pid %d: %s", f->res.pid, strerror(errno));
		(void)snprintf(f->result, sizeof(f->result), "signal %d sent to pid %d",
			       f->req.u.kill.signal, f->res.pid);
		return 0;
	case FL_FAULT_KIND_COUNT:
		break;
	}
	return fl_diag_set(diag, -EINVAL, "unknown fault kind");
}

int fl_mech_revert(struct fl_fault *f, struct fl_diag *diag)
{
	int r = 0;

	switch (f->req.kind) {
	case FL_FAULT_NETWORK:
	case FL_FAULT_BANDWIDTH:
		return revert_netem(f->res.netns_path, f->res.netns_dev, f->res.netns_ino,
				    f->req.ifname, f->req.u.net.direction, diag);
	case FL_FAULT_PARTITION:
	case FL_FAULT_LOSS:
		return revert_nft(&f->nft, f->res.netns_path, f->res.netns_dev, f->res.netns_ino,
				  f->id, diag);
	case FL_FAULT_DELAY:
		/* Rule first: nothing new reaches the queue, then release what is held. */
		r = revert_nft(&f->nft, f->res.netns_path, f->res.netns_dev, f->res.netns_ino,
			       f->id, diag);
		f->dl = fl_delayline_stop(f->dl);
		return r;
	default:
		return 0;
	}
}

int fl_mech_revert_record(const struct fl_ledger_record *rec, struct fl_diag *diag)
{
	struct fl_nft *none = NULL;

	switch (rec->kind) {
	case FL_FAULT_NETWORK:
	case FL_FAULT_BANDWIDTH:
		return revert_netem(rec->netns_path, rec->netns_dev, rec->netns_ino, rec->ifname,
				    rec->direction, diag);
	case FL_FAULT_PARTITION:
	case FL_FAULT_LOSS:
	case FL_FAULT_DELAY:
		/* The delay line died with the agent that ran it; the rule may remain. */
		return revert_nft(&none, rec->netns_path, rec->netns_dev, rec->netns_ino, rec->id,
				  diag);
	default:
		return 0;
	}
}
