/* SPDX-License-Identifier: MIT */
/*
 * The real transport: a NETLINK_ROUTE socket through libmnl, optionally created inside
 * another network namespace.
 *
 * A socket belongs to the namespace its creator was in at socket() time, for its whole
 * life. So a short-lived thread enters the target namespace, creates the socket and exits;
 * the caller's threads never change namespace (a daemon serving several pods at once must
 * not have a thread wander into a pod's namespace and open files or sockets there).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "internal.h"

#define RECV_TIMEOUT_SEC 5

struct mnl_priv {
	struct mnl_socket *sock;
};

static int mnl_send(void *priv, const void *buf, size_t len)
{
	struct mnl_priv *p = priv;

	if (mnl_socket_sendto(p->sock, buf, len) < 0)
		return -errno;
	return 0;
}

static ssize_t mnl_recv(void *priv, void *buf, size_t size)
{
	struct mnl_priv *p = priv;
	ssize_t n = mnl_socket_recvfrom(p->sock, buf, size);

	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	return n;
}

static void mnl_destroy(void *priv)
{
	struct mnl_priv *p = priv;

	if (p->sock)
		mnl_socket_close(p->sock);
	free(p);
}

static uint32_t mnl_portid(void *priv)
{
	struct mnl_priv *p = priv;

	return mnl_socket_get_portid(p->sock);
}

static const struct fl_nl_transport mnl_ops = {
	.send = mnl_send,
	.recv = mnl_recv,
	.destroy = mnl_destroy,
	.portid = mnl_portid,
};

struct open_in_ns {
	int nsfd;
	struct mnl_socket *sock;
	int err;
	bool setns_failed;
};

static void *open_thread(void *arg)
{
	struct open_in_ns *o = arg;

	if (o->nsfd >= 0 && setns(o->nsfd, CLONE_NEWNET) < 0) {
		o->err = -errno;
		o->setns_failed = true;
		return NULL;
	}
	o->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!o->sock)
		o->err = -errno;
	return NULL;
}

static int configure(struct mnl_socket *sock)
{
	struct timeval tv = { .tv_sec = RECV_TIMEOUT_SEC };
	int one = 1, fd = mnl_socket_get_fd(sock);

	/* Kernel error text (extack), and errors without a copy of our request. */
	(void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	/* Only our own replies, never a full socket of notifications. */
	(void)mnl_socket_setsockopt(sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return 0;
}

int fl_nl_open(const char *netns_path, struct fl_nl **ret_nl, struct fl_diag *diag)
{
	struct open_in_ns o = { .nsfd = -1 };
	struct mnl_priv *p;
	pthread_t thread;
	int r;

	if (netns_path) {
		o.nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (o.nsfd < 0)
			return fl_diag_set(diag, -errno, "netns %s: %s", netns_path,
					   strerror(errno));
	}
	r = pthread_create(&thread, NULL, open_thread, &o);
	if (r != 0) {
		if (o.nsfd >= 0)
			close(o.nsfd);
		return fl_diag_set(diag, -r, "netns: cannot start a thread: %s", strerror(r));
	}
	(void)pthread_join(thread, NULL);
	if (o.nsfd >= 0)
		close(o.nsfd);
	if (o.setns_failed) {
		if (o.err == -EPERM)
			return fl_diag_set(
				diag, o.err,
				"netns %s: entering it needs CAP_SYS_ADMIN (run as root)",
				netns_path);
		if (o.err == -EINVAL)
			return fl_diag_set(diag, o.err, "netns %s: not a network namespace",
					   netns_path);
		return fl_diag_set(diag, o.err, "netns %s: %s", netns_path, strerror(-o.err));
	}
	if (!o.sock)
		return fl_diag_set(diag, o.err, "netlink socket: %s", strerror(-o.err));
	if ((r = configure(o.sock)) < 0) {
		mnl_socket_close(o.sock);
		return fl_diag_set(diag, r, "netlink socket: %s", strerror(-r));
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		mnl_socket_close(o.sock);
		return -ENOMEM;
	}
	p->sock = o.sock;
	return fl_nl_new(&mnl_ops, p, ret_nl);
}
