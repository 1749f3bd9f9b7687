/* SPDX-License-Identifier: MIT */
/*
 * The real transport: a NETLINK_ROUTE socket through libmnl, optionally created inside
 * another network namespace (fl/nsock.h: the caller's threads never change namespace).
 */
#include <errno.h>
#include <stdlib.h>

#include <libmnl/libmnl.h>

#include "fl/nsock.h"
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

int fl_nl_open(const char *netns_path, struct fl_nl **ret_nl, struct fl_diag *diag)
{
	struct mnl_priv *p;
	struct mnl_socket *sock;
	int r;

	if ((r = fl_nsock_open(netns_path, NETLINK_ROUTE, RECV_TIMEOUT_SEC, &sock, diag)) < 0)
		return r;
	p = calloc(1, sizeof(*p));
	if (!p) {
		mnl_socket_close(sock);
		return -ENOMEM;
	}
	p->sock = sock;
	return fl_nl_new(&mnl_ops, p, ret_nl);
}
