/* SPDX-License-Identifier: MIT */
/*
 * A real Kubernetes API server for a test binary (tests/lib/kube-api.sh: etcd and
 * kube-apiserver on loopback, RBAC on): KUBETEST_SERVER() starts one in the parent process
 * before the first test, the forked tests share it, and it is stopped when the binary
 * exits — by its watchdog even when the binary is killed. Without one a test fails under CI
 * and skips elsewhere, with the script's error. $FL_KUBE_TEST_PORT (digits) picks the port
 * (kube-api.sh uses it and the next three); default 16443.
 */
#ifndef FL_KUBETEST_H
#define FL_KUBETEST_H

#include "fltest.h"

void kubetest_setup(void);
#define KUBETEST_SERVER()                                                  \
	__attribute__((constructor(200))) static void kubetest_start(void) \
	{                                                                  \
		kubetest_setup();                                          \
	}

/* The server's directory: DIR/kubeconfig (the admin), DIR/admin.token, DIR/nobody.token
 * (a user with no rights), DIR/ca.crt, DIR/server. */
const char *kubetest_dir(void);
/* The content of DIR/NAME (a static buffer, trailing newline removed). */
const char *kubetest_file(const char *name);

#endif
