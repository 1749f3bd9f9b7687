/* SPDX-License-Identifier: MIT */
/*
 * Netlink sockets born inside another network namespace. A socket belongs to the namespace
 * its creator was in at socket() time, for its whole life, so a short-lived thread enters the
 * namespace, creates the socket and exits: the caller's threads never change namespace (a
 * daemon serving several pods must not have a thread wander into a pod's namespace). The
 * same holds for a /proc/thread-self/net file: it shows the namespace of the thread that
 * opened it, whoever reads it later.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "fl/nsock.h"

struct open_in_ns {
	int nsfd;
	int protocol;
	struct mnl_socket *sock;
	/* fl_nsock_sockets: plain sockets instead of a netlink one */
	int domain, type;
	unsigned n;
	int *fds;
	/* fl_nsock_open_file: a file opened there instead (its fd in file_fd) */
	const char *file;
	int file_fd;
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
	if (o->file) {
		o->file_fd = open(o->file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (o->file_fd < 0)
			o->err = -errno;
		return NULL;
	}
	if (o->fds) {
		for (unsigned i = 0; i < o->n; i++) {
			o->fds[i] = socket(o->domain, o->type | SOCK_CLOEXEC, 0);
			if (o->fds[i] < 0) {
				o->err = -errno;
				while (i > 0)
					(void)close(o->fds[--i]);
				return NULL;
			}
		}
		return NULL;
	}
	o->sock = mnl_socket_open2(o->protocol, SOCK_CLOEXEC);
	if (!o->sock)
		o->err = -errno;
	return NULL;
}

static int configure(struct mnl_socket *sock, unsigned recv_timeout_sec)
{
	struct timeval tv = { .tv_sec = recv_timeout_sec };
	int one = 1, fd = mnl_socket_get_fd(sock);

	/* Kernel error text (extack), and errors without a copy of our request. */
	(void)mnl_socket_setsockopt(sock, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock, NETLINK_CAP_ACK, &one, sizeof(one));
	(void)mnl_socket_setsockopt(sock, NETLINK_GET_STRICT_CHK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return -errno;
	if (mnl_socket_bind(sock, 0, MNL_SOCKET_AUTOPID) < 0)
		return -errno;
	return 0;
}

/* Run open_thread for o in the namespace at netns_path (NULL: ours); -errno with diag. */
static int run_in_ns(const char *netns_path, struct open_in_ns *o, struct fl_diag *diag)
{
	pthread_t thread;
	int r;

	o->nsfd = -1;
	if (netns_path) {
		o->nsfd = open(netns_path, O_RDONLY | O_CLOEXEC);
		if (o->nsfd < 0)
			return fl_diag_set(diag, -errno, "netns %s: %s", netns_path,
					   strerror(errno));
	}
	r = pthread_create(&thread, NULL, open_thread, o);
	if (r != 0) {
		if (o->nsfd >= 0)
			close(o->nsfd);
		return fl_diag_set(diag, -r, "netns: cannot start a thread: %s", strerror(r));
	}
	(void)pthread_join(thread, NULL);
	if (o->nsfd >= 0)
		close(o->nsfd);
	if (o->setns_failed) {
		if (o->err == -EPERM)
			return fl_diag_set(
				diag, o->err,
				"netns %s: entering it needs CAP_SYS_ADMIN (run as root)",
				netns_path);
		if (o->err == -EINVAL)
			return fl_diag_set(diag, o->err, "netns %s: not a network namespace",
					   netns_path);
		return fl_diag_set(diag, o->err, "netns %s: %s", netns_path, strerror(-o->err));
	}
	return 0;
}

int fl_nsock_create(const char *netns_path, int protocol, struct mnl_socket **ret_sock,
		    struct fl_diag *diag)
{
	struct open_in_ns o = { .protocol = protocol };
	int r;

	if ((r = run_in_ns(netns_path, &o, diag)) < 0)
		return r;
	if (!o.sock)
		return fl_diag_set(diag, o.err, "netlink socket (protocol %d): %s", protocol,
				   strerror(-o.err));
	*ret_sock = o.sock;
	return 0;
}

int fl_nsock_sockets(const char *netns_path, int domain, int type, unsigned n, int *ret_fds,
		     struct fl_diag *diag)
{
	struct open_in_ns o = { .domain = domain, .type = type, .n = n, .fds = ret_fds };
	int r;

	if (n == 0)
		return 0;
	if ((r = run_in_ns(netns_path, &o, diag)) < 0)
		return r;
	if (o.err < 0)
		return fl_diag_set(diag, o.err, "socket (domain %d, type %d): %s", domain, type,
				   strerror(-o.err));
	return 0;
}

int fl_nsock_open(const char *netns_path, int protocol, unsigned recv_timeout_sec,
		  struct mnl_socket **ret_sock, struct fl_diag *diag)
{
	struct mnl_socket *sock;
	int r;

	if ((r = fl_nsock_create(netns_path, protocol, &sock, diag)) < 0)
		return r;
	if ((r = configure(sock, recv_timeout_sec)) < 0) {
		mnl_socket_close(sock);
		return fl_diag_set(diag, r, "netlink socket (protocol %d): %s", protocol,
				   strerror(-r));
	}
	*ret_sock = sock;
	return 0;
}

int fl_nsock_open_file(const char *netns_path, const char *path, int *ret_fd, struct fl_diag *diag)
{
	struct open_in_ns o = { .file = path, .file_fd = -1 };
	int r;

	if ((r = run_in_ns(netns_path, &o, diag)) < 0)
		return r;
	if (o.file_fd < 0)
		return fl_diag_set(diag, o.err, "%s: %s", path, strerror(-o.err));
	*ret_fd = o.file_fd;
	return 0;
}
