/* SPDX-License-Identifier: MIT */
/*
 * Real Kubernetes for a test binary, one of two kinds per binary:
 *
 * KUBETEST_SERVER(): an API server alone (tests/lib/kube-api.sh: etcd and kube-apiserver
 * on loopback, RBAC on), started in the parent process before the first test;
 * $FL_KUBE_TEST_PORT (digits) picks its port (it and the next three; default 16443).
 *
 * KUBETEST_CLUSTER(): a one-node cluster with a kubelet (tests/lib/kube-cluster.sh): the
 * tier's, whose directory tests/run.sh exports in $FL_KUBE_CLUSTER, else one of the
 * binary's own. A test uses a Kubernetes namespace of its own in it and leaves the cluster
 * whole for the binaries after it.
 *
 * Either way the forked tests share it, and what the binary started it stops when it
 * exits — by its watchdog even when the binary is killed; an adopted cluster is left
 * running. Without one a test fails under CI and skips elsewhere, with the script's error.
 */
#ifndef FL_KUBETEST_H
#define FL_KUBETEST_H

#include "fltest.h"

struct fl_kube;

void kubetest_setup(void);
void kubetest_cluster_setup(void);
#define KUBETEST_SERVER()                                                  \
	__attribute__((constructor(200))) static void kubetest_start(void) \
	{                                                                  \
		kubetest_setup();                                          \
	}
#define KUBETEST_CLUSTER()                                                 \
	__attribute__((constructor(200))) static void kubetest_start(void) \
	{                                                                  \
		kubetest_cluster_setup();                                  \
	}

/* The server's or cluster's directory: DIR/kubeconfig (the admin), DIR/admin.token,
 * DIR/nobody.token (a user with no rights), DIR/ca.crt, DIR/server; a cluster's also
 * DIR/cri (its containerd's socket) and DIR/env (kube-cluster.sh). Static. */
const char *kubetest_dir(void);
/* The content of DIR/NAME (a static buffer, trailing newline removed). */
const char *kubetest_file(const char *name);

/* The admin's client from DIR/kubeconfig (through kubeconfig.c, as the controller loads
 * it), closed when the test ends; the test fails when it cannot be had. */
struct fl_kube *kubetest_admin(void);
/* A namespace "PREFIX-<pid>" made through k, deleted when the test ends (failed or not;
 * registered after k's own close, so it runs before). Its name, valid until then. */
const char *kubetest_namespace(struct fl_kube *k, const char *prefix);

#endif
