/* SPDX-License-Identifier: MIT */
/*
 * Resolving a fault's target (target.h) to a network namespace and PIDs — pods through
 * the CRI's sandbox, namespace paths, PIDs — and enforcing the allow-list on the way.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cri.h"
#include "target.h"

int fl_netns_identify(const char *path, uint64_t *ret_dev, uint64_t *ret_ino)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC), type, r = 0;

	if (fd < 0)
		return -errno;
	/* NS_GET_NSTYPE (Linux 4.11): is this really a network namespace? */
	type = ioctl(fd, NS_GET_NSTYPE);
	if (type < 0)
		r = errno == ENOTTY ? -EINVAL : -errno;
	else if (type != CLONE_NEWNET)
		r = -EINVAL;
	else if (fstat(fd, &st) < 0)
		r = -errno;
	close(fd);
	if (r == 0) {
		*ret_dev = (uint64_t)st.st_dev;
		*ret_ino = (uint64_t)st.st_ino;
	}
	return r;
}

static bool is_own_netns(uint64_t dev, uint64_t ino)
{
	uint64_t d, i;

	return fl_netns_identify("/proc/self/ns/net", &d, &i) == 0 && d == dev && i == ino;
}

static int resolve_netns_path(const struct fl_agent_config *cfg, const char *path,
			      struct fl_resolved *r, struct fl_diag *diag)
{
	int e = fl_netns_identify(path, &r->netns_dev, &r->netns_ino);

	if (e == -ENOENT)
		return fl_diag_set(diag, -ENOENT, "target.netns: %s does not exist", path);
	if (e == -EINVAL)
		return fl_diag_set(diag, -EINVAL, "target.netns: %s is not a network namespace",
				   path);
	if (e < 0)
		return fl_diag_set(diag, e, "target.netns: %s: %s", path, strerror(-e));
	if (!cfg->allow_host_network && is_own_netns(r->netns_dev, r->netns_ino))
		return fl_diag_set(diag, -EPERM,
				   "target: %s is the node's own network namespace; refusing "
				   "(set allow-host-network to fault the node itself)",
				   path);
	(void)snprintf(r->netns_path, sizeof(r->netns_path), "%s", path);
	return 0;
}

int fl_target_sandbox_netns(const struct fl_cri_sandbox_status *st, char *ret_path, size_t size,
			    uint64_t *ret_dev, uint64_t *ret_ino, struct fl_diag *diag)
{
	char path[64];
	uint64_t dev, ino;

	/* The CRI's own netns path may live in the runtime's mount namespace: use the PID. */
	if (st->pid > 0)
		(void)snprintf(path, sizeof(path), "/proc/%d/ns/net", st->pid);
	if (st->pid > 0 && fl_netns_identify(path, &dev, &ino) == 0) {
		(void)snprintf(ret_path, size, "%s", path);
	} else if (st->netns_path[0] && strlen(st->netns_path) < size &&
		   fl_netns_identify(st->netns_path, &dev, &ino) == 0) {
		(void)snprintf(ret_path, size, "%s", st->netns_path);
	} else {
		return fl_diag_set(diag, -ENOENT,
				   "cannot open its network namespace (pid %d, path \"%s\"): is "
				   "the agent running with hostPID?",
				   st->pid, st->netns_path);
	}
	*ret_dev = dev;
	*ret_ino = ino;
	return 0;
}

static int resolve_pid(const struct fl_agent_config *cfg, int pid, enum fl_fault_kind kind,
		       struct fl_resolved *r, struct fl_diag *diag)
{
	char path[64];

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return fl_diag_set(diag, -ENOENT, "target.pid: no process %d", pid);
	r->pid = pid;
	(void)snprintf(r->describe, sizeof(r->describe), "pid %d", pid);
	if (kind == FL_FAULT_PROCESS_KILL) {
		if (pid == 1 || pid == getpid())
			return fl_diag_set(diag, -EPERM, "target.pid: refusing to kill %s",
					   pid == 1 ? "PID 1 (init)" : "the agent itself");
		return 0;
	}
	(void)snprintf(path, sizeof(path), "/proc/%d/ns/net", pid);
	return resolve_netns_path(cfg, path, r, diag);
}

static int find_sandbox(struct fl_cri *cri, const struct fl_target *t, char *ret_id,
			struct fl_diag *diag)
{
	struct fl_cri_sandbox *sbs = NULL;
	unsigned n = 0;
	int r = fl_cri_list_sandboxes(cri, &sbs, &n, diag);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (unsigned i = 0; i < n; i++) {
		bool match = t->pod_uid[0] ? strcmp(sbs[i].uid, t->pod_uid) == 0
					   : strcmp(sbs[i].namespace, t->pod_namespace) == 0 &&
						     strcmp(sbs[i].name, t->pod_name) == 0;

		if (match && sbs[i].state == FL_CRI_SANDBOX_READY) {
			(void)snprintf(ret_id, 72, "%s", sbs[i].id);
			r = 0;
			break;
		}
	}
	free(sbs);
	if (r == -ENOENT) {
		if (t->pod_uid[0])
			return fl_diag_set(diag, -ENOENT, "target.podUid: no ready pod with uid %s",
					   t->pod_uid);
		return fl_diag_set(diag, -ENOENT, "target.pod: no ready pod %s/%s on this node",
				   t->pod_namespace, t->pod_name);
	}
	return 0;
}

static int resolve_containers(struct fl_cri *cri, const struct fl_target *t, struct fl_resolved *r,
			      struct fl_diag *diag)
{
	struct fl_cri_container *cs = NULL;
	unsigned n = 0;
	int e = fl_cri_list_containers(cri, r->sandbox_id, &cs, &n, diag);

	if (e < 0)
		return e;
	for (unsigned i = 0; i < n && r->n_containers < FL_TARGET_MAX_CONTAINERS; i++) {
		struct fl_cri_container_status st;

		if (cs[i].state != FL_CRI_CONTAINER_RUNNING)
			continue;
		if (t->container[0] && strcmp(cs[i].name, t->container) != 0)
			continue;
		if (fl_cri_container_status(cri, cs[i].id, &st, NULL) < 0)
			continue;
		(void)snprintf(r->containers[r->n_containers].id, sizeof(r->containers[0].id), "%s",
			       cs[i].id);
		(void)snprintf(r->containers[r->n_containers].name, sizeof(r->containers[0].name),
			       "%.*s", (int)sizeof(r->containers[0].name) - 1, cs[i].name);
		r->containers[r->n_containers].pid = st.pid;
		r->n_containers++;
	}
	free(cs);
	if (r->n_containers == 0) {
		if (t->container[0])
			return fl_diag_set(
				diag, -ENOENT,
				"target.container: no running container \"%s\" in pod %s",
				t->container, r->pod);
		return fl_diag_set(diag, -ENOENT, "target: pod %s has no running container",
				   r->pod);
	}
	return 0;
}

static int resolve_pod(const struct fl_agent_config *cfg, const struct fl_target *t,
		       enum fl_fault_kind kind, struct fl_resolved *r, struct fl_diag *diag)
{
	struct fl_cri_sandbox_status st;
	struct fl_cri *cri = NULL;
	int e;

	if (!cfg->cri_socket[0])
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "target: pods need a CRI runtime and none is configured "
				   "(cri-socket); use netns or pid on standalone hosts");
	if (t->pod_namespace[0] && !fl_agent_config_namespace_allowed(cfg, t->pod_namespace))
		return fl_diag_set(diag, -EPERM,
				   "target.pod: namespace %s is not allowed (deny-namespaces / "
				   "allow-namespaces of this agent)",
				   t->pod_namespace);
	if ((e = fl_cri_open(cfg->cri_socket, 5000, &cri, diag)) < 0)
		return e;
	if ((e = find_sandbox(cri, t, r->sandbox_id, diag)) < 0)
		goto out;
	if ((e = fl_cri_sandbox_status(cri, r->sandbox_id, &st, diag)) < 0)
		goto out;
	(void)snprintf(r->pod, sizeof(r->pod), "%s/%s", st.sb.namespace, st.sb.name);
	/* A pod found by uid: the namespace check happens now that we know it. */
	if (!fl_agent_config_namespace_allowed(cfg, st.sb.namespace)) {
		e = fl_diag_set(diag, -EPERM,
				"target: pod %s is in namespace %s, which is not "
				"allowed on this agent",
				r->pod, st.sb.namespace);
		goto out;
	}
	r->host_network = st.host_network;
	r->pid = st.pid;
	(void)snprintf(r->describe, sizeof(r->describe), "pod %s (sandbox %.12s)", r->pod,
		       r->sandbox_id);
	if (kind == FL_FAULT_CONTAINER_KILL) {
		e = resolve_containers(cri, t, r, diag);
		goto out;
	}
	if (st.host_network && !cfg->allow_host_network) {
		e = fl_diag_set(diag, -EPERM,
				"target: pod %s uses the host network; a network fault there "
				"would hit the whole node (set allow-host-network to allow it)",
				r->pod);
		goto out;
	}
	e = fl_target_sandbox_netns(&st, r->netns_path, sizeof(r->netns_path), &r->netns_dev,
				    &r->netns_ino, diag);
	if (e < 0)
		fl_diag_prefix(diag, e, "target: pod %s", r->pod);
out:
	fl_cri_close(cri);
	return e;
}

int fl_target_resolve(const struct fl_agent_config *cfg, const struct fl_target *t,
		      enum fl_fault_kind kind, struct fl_resolved *ret, struct fl_diag *diag)
{
	struct fl_resolved r = { 0 };
	int e;

	switch (t->type) {
	case FL_TARGET_POD:
		e = resolve_pod(cfg, t, kind, &r, diag);
		break;
	case FL_TARGET_NETNS:
		(void)snprintf(r.describe, sizeof(r.describe), "netns %s", t->netns);
		e = resolve_netns_path(cfg, t->netns, &r, diag);
		break;
	case FL_TARGET_PID:
		e = resolve_pid(cfg, t->pid, kind, &r, diag);
		break;
	default:
		e = fl_diag_set(diag, -EINVAL, "target: unknown type");
		break;
	}
	if (e == 0)
		*ret = r;
	return e;
}
