/* SPDX-License-Identifier: MIT */
/*
 * Throw-away network namespaces and veth pairs over rtnetlink (see testnet.h).
 *
 * Everything that must happen "inside" a namespace is reduced to creating a socket there:
 * a short-lived thread setns()'s into the namespace, calls socket() and exits. Netlink
 * requests then go through that socket from the caller's thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>

#include "testnet.h"

/* Room for any datagram of a link dump (the kernel makes them at most 32 KiB). */
#define NL_RX_SIZE 65536
/* Requests are a few hundred bytes at most. */
#define NL_TX_SIZE	    4096
#define NL_RECV_TIMEOUT_SEC 5
/* A veth normally reaches operstate UP within milliseconds (see testnet_veth()). */
#define LINK_UP_TIMEOUT_MS 5000
/* How long an IPv6 address may take to be announced (see nl_addr_add()). */
#define ADDR_READY_TIMEOUT_MS 2000
#define FL_MIN_SIZE(a, b)     ((a) < (b) ? (a) : (b))
/* Names already taken in /run/netns (left over by a killed run with a recycled pid). */
#define NS_NAME_ATTEMPTS 64

static _Thread_local char last_error[512];
static atomic_uint ns_counter;

const char *testnet_last_error(void)
{
	return last_error;
}

int testnet_set_error(int r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n < sizeof(last_error))
		snprintf(last_error + n, sizeof(last_error) - (size_t)n, ": %s", strerror(-r));
	return r;
}

static const char *ns_label(const struct testnet_ns *ns)
{
	return ns ? ns->name : "(caller's netns)";
}

/* ---- threads that enter a namespace ----------------------------------------------- */

/*
 * Runs fn(arg) in a new thread and waits for it. All signals are blocked in the thread, so
 * a SIGALRM from the test harness's time limit is handled by the test's own thread.
 */
static int run_in_thread(void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	pthread_t thread;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		return -r;
	(void)pthread_join(thread, NULL);
	return 0;
}

struct socket_job {
	int nsfd; /* -1: stay in the caller's namespace */
	int domain, type, protocol;
	int r; /* new fd or -errno */
	bool setns_failed;
};

static void *socket_thread(void *arg)
{
	struct socket_job *job = arg;

	if (job->nsfd >= 0 && setns(job->nsfd, CLONE_NEWNET) < 0) {
		job->r = -errno;
		job->setns_failed = true;
		return NULL;
	}
	job->r = socket(job->domain, job->type | SOCK_CLOEXEC, job->protocol);
	if (job->r < 0)
		job->r = -errno;
	/* The thread ends here; its namespace membership ends with it. */
	return NULL;
}

int testnet_socket(const struct testnet_ns *ns, int domain, int type, int protocol)
{
	struct socket_job job = {
		.nsfd = -1, .domain = domain, .type = type, .protocol = protocol
	};
	int r;

	if (ns) {
		if (!ns->path[0])
			return testnet_set_error(-EINVAL, "socket: namespace not created");
		job.nsfd = open(ns->path, O_RDONLY | O_CLOEXEC);
		if (job.nsfd < 0)
			return testnet_set_error(-errno, "socket: open %s", ns->path);
	}
	r = run_in_thread(socket_thread, &job);
	if (job.nsfd >= 0)
		close(job.nsfd);
	if (r < 0)
		return testnet_set_error(r, "socket: cannot start a thread");
	if (job.setns_failed)
		return testnet_set_error(job.r, "setns %s", ns ? ns->path : "");
	if (job.r < 0)
		return testnet_set_error(job.r, "socket(%d, %d, %d) in %s", domain, type, protocol,
					 ns_label(ns));
	return job.r;
}

/* ---- netlink ------------------------------------------------------------------------ */

typedef int (*nl_reply_cb)(const struct nlmsghdr *nlh, void *data);

struct nl {
	int fd;
	uint32_t portid;
	uint32_t seq;
	/* Messages that are no reply to the current request (multicast notifications of a
	 * group the socket joined) go here, if set. */
	nl_reply_cb notify_cb;
	void *notify_data;
};

static void nl_close(struct nl *nl)
{
	if (nl->fd >= 0)
		close(nl->fd);
	nl->fd = -1;
}

static int nl_open(const struct testnet_ns *ns, struct nl *ret_nl)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	socklen_t salen = sizeof(sa);
	struct timeval tv = { .tv_sec = NL_RECV_TIMEOUT_SEC };
	int one = 1, fd;

	fd = testnet_socket(ns, AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
	if (fd < 0)
		return fd;
	/* Kernel error text (extack), and errors without a copy of our request. Both are
	 * optional: older kernels just lack the text. */
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	(void)setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	/* A lost reply must fail the call, not hang the test. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) < 0) {
		int r = -errno;

		close(fd);
		return testnet_set_error(r, "netlink socket in %s", ns_label(ns));
	}
	ret_nl->fd = fd;
	ret_nl->portid = sa.nl_pid;
	ret_nl->seq = (uint32_t)time(NULL);
	return 0;
}

/* Extended ACK text after the error (and, without NETLINK_CAP_ACK, after the request). */
static const char *extack_msg(const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);
	const struct nlattr *a;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NULL;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
			return NULL;
		off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
	}
	off = MNL_ALIGN(off);
	if (MNL_NLMSG_HDRLEN + off > nlh->nlmsg_len)
		return NULL;
	for (a = (const struct nlattr *)((const char *)err + off);
	     mnl_attr_ok(a, (int)((const char *)nlh + nlh->nlmsg_len - (const char *)a));
	     a = mnl_attr_next(a)) {
		if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			return mnl_attr_get_str(a);
	}
	return NULL;
}

/*
 * Sends one request (NLM_F_ACK is added) and reads until its ACK or error. Replies other
 * than the ACK go to cb (may be NULL). what names the request in testnet_last_error().
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, nl_reply_cb cb, void *data,
		   const char *what)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[NL_RX_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	uint32_t seq = ++nl->seq;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	if (sendto(nl->fd, nlh, nlh->nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return testnet_set_error(-errno, "%s: send", what);
	for (;;) {
		ssize_t n = recv(nl->fd, buf, sizeof(buf), MSG_TRUNC);
		const struct nlmsghdr *h;
		int len;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return testnet_set_error(errno == EAGAIN ? -ETIMEDOUT : -errno,
						 "%s: no reply", what);
		}
		if ((size_t)n > sizeof(buf))
			return testnet_set_error(-EMSGSIZE, "%s: reply of %zd bytes", what, n);
		len = (int)n;
		for (h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != seq || h->nlmsg_pid != nl->portid) {
				/* A notification, or a stale reply. */
				if (nl->notify_cb)
					(void)nl->notify_cb(h, nl->notify_data);
				continue;
			}
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *err = mnl_nlmsg_get_payload(h);
				const char *ext;

				if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
					return testnet_set_error(-EBADMSG, "%s: short error", what);
				if (err->error == 0)
					return 0;
				ext = extack_msg(h);
				if (ext)
					return testnet_set_error(err->error, "%s (kernel: %s)",
								 what, ext);
				return testnet_set_error(err->error, "%s", what);
			}
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (cb) {
				int r = cb(h, data);

				if (r < 0)
					return testnet_set_error(r, "%s: reply", what);
			}
		}
	}
}

static int check_ifname(const char *ifname)
{
	if (!ifname || !ifname[0] || strlen(ifname) >= IFNAMSIZ)
		return testnet_set_error(-EINVAL, "interface name \"%s\" (1..%d bytes)",
					 ifname ? ifname : "(null)", IFNAMSIZ - 1);
	return 0;
}

/* ---- links -------------------------------------------------------------------------- */

static int getlink_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	*(int *)data = ifi->ifi_index;
	return 0;
}

static int nl_ifindex(struct nl *nl, const char *ns_name, const char *ifname)
{
	char req[NL_TX_SIZE] = { 0 }, what[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;
	int ifindex = 0, r;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	/* Skip the statistics nobody here reads. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	snprintf(what, sizeof(what), "RTM_GETLINK %s in %s", ifname, ns_name);
	r = nl_talk(nl, nlh, getlink_cb, &ifindex, what);
	if (r < 0)
		return r;
	if (ifindex <= 0)
		return testnet_set_error(-ENODEV, "%s: no index in the reply", what);
	return ifindex;
}

static int maxindex_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index > *(int *)data)
		*(int *)data = ifi->ifi_index;
	return 0;
}

/* The highest interface index in the socket's namespace. */
static int nl_max_ifindex(struct nl *nl, const char *ns_name)
{
	char req[NL_TX_SIZE] = { 0 }, what[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;
	int max = 0, r;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	snprintf(what, sizeof(what), "RTM_GETLINK dump in %s", ns_name);
	r = nl_talk(nl, nlh, maxindex_cb, &max, what);
	return r < 0 ? r : max;
}

struct link_state {
	int ifindex;
	int operstate; /* IF_OPER_*; -1 when the kernel does not say */
};

static int linkstate_cb(const struct nlmsghdr *nlh, void *data)
{
	struct link_state *st = data;
	const struct ifinfomsg *ifi;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifi)))
		return 0;
	ifi = mnl_nlmsg_get_payload(nlh);
	st->ifindex = ifi->ifi_index;
	mnl_attr_for_each (a, nlh, sizeof(*ifi)) {
		if (mnl_attr_get_type(a) == IFLA_OPERSTATE &&
		    mnl_attr_validate(a, MNL_TYPE_U8) == 0)
			st->operstate = mnl_attr_get_u8(a);
	}
	return 0;
}

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/*
 * Waits until ifname is operationally up. IFF_UP and the carrier are set synchronously, but
 * the kernel's linkwatch work applies the carrier change (operstate, the real qdisc, the
 * NETDEV_CHANGE that tells IPv6 the link is ready) later — up to 1 s later when it is
 * rate-limited. Code under test that looks at the operstate must see the link up.
 */
static int nl_wait_oper_up(struct nl *nl, const char *ns_name, const char *ifname,
			   unsigned timeout_ms)
{
	char req[NL_TX_SIZE] = { 0 }, what[128];
	struct timespec t0, pause = { .tv_nsec = 1000000 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;
	int r;

	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	snprintf(what, sizeof(what), "RTM_GETLINK %s in %s", ifname, ns_name);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct link_state st = { .ifindex = 0, .operstate = -1 };

		nlh->nlmsg_flags = 0; /* nl_talk() adds its flags each time */
		if ((r = nl_talk(nl, nlh, linkstate_cb, &st, what)) < 0)
			return r;
		if (st.operstate == IF_OPER_UP || st.operstate == -1)
			return 0;
		if (elapsed_ms(&t0) >= (long)timeout_ms)
			return testnet_set_error(-ETIMEDOUT, "%s in %s: operstate %d after %u ms",
						 ifname, ns_name, st.operstate, timeout_ms);
		nanosleep(&pause, NULL);
	}
}

int testnet_ifindex(const struct testnet_ns *ns, const char *ifname)
{
	struct nl nl = { .fd = -1 };
	int r;

	if ((r = check_ifname(ifname)) < 0)
		return r;
	if ((r = nl_open(ns, &nl)) < 0)
		return r;
	r = nl_ifindex(&nl, ns_label(ns), ifname);
	nl_close(&nl);
	return r;
}

static int nl_link_set_up(struct nl *nl, const char *ns_name, const char *ifname, bool up)
{
	char req[NL_TX_SIZE] = { 0 }, what[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_change = IFF_UP;
	ifi->ifi_flags = up ? IFF_UP : 0;
	/* No index and no NLM_F_CREATE: the kernel looks the existing link up by name. */
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	snprintf(what, sizeof(what), "RTM_NEWLINK %s %s in %s", ifname, up ? "up" : "down",
		 ns_name);
	return nl_talk(nl, nlh, NULL, NULL, what);
}

int testnet_link_set_up(const struct testnet_ns *ns, const char *ifname, bool up)
{
	struct nl nl = { .fd = -1 };
	int r;

	if ((r = check_ifname(ifname)) < 0)
		return r;
	if ((r = nl_open(ns, &nl)) < 0)
		return r;
	r = nl_link_set_up(&nl, ns_label(ns), ifname, up);
	nl_close(&nl);
	return r;
}

static int nl_link_del(struct nl *nl, const char *ns_name, const char *ifname)
{
	char req[NL_TX_SIZE] = { 0 }, what[128];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_DELLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
	snprintf(what, sizeof(what), "RTM_DELLINK %s in %s", ifname, ns_name);
	return nl_talk(nl, nlh, NULL, NULL, what);
}

/* ---- addresses ---------------------------------------------------------------------- */

struct cidr {
	int family;
	unsigned char prefixlen;
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
};

static int parse_cidr(const char *text, struct cidr *ret)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr c = { 0 };
	unsigned long len;
	char *slash, *end;
	unsigned max;

	if (!text || strlen(text) >= sizeof(buf))
		goto bad;
	memcpy(buf, text, strlen(text) + 1); /* length checked above */
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, buf, &c.addr.v4) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, &c.addr.v6) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else {
		goto bad;
	}
	len = max;
	if (slash) {
		errno = 0;
		len = strtoul(slash + 1, &end, 10);
		if (errno || end == slash + 1 || *end || len > max)
			goto bad;
	}
	c.prefixlen = (unsigned char)len;
	*ret = c;
	return 0;
bad:
	return testnet_set_error(-EINVAL, "address \"%s\" (expected 10.0.0.1/24 or fd00::1/64)",
				 text ? text : "(null)");
}

struct addr_ready {
	int ifindex;
	struct in6_addr addr;
	bool seen;
};

static int addr_ready_cb(const struct nlmsghdr *nlh, void *data)
{
	struct addr_ready *ar = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWADDR || nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*ifa)))
		return 0;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != AF_INET6 || (int)ifa->ifa_index != ar->ifindex)
		return 0;
	mnl_attr_for_each (a, nlh, sizeof(*ifa)) {
		if ((mnl_attr_get_type(a) == IFA_ADDRESS || mnl_attr_get_type(a) == IFA_LOCAL) &&
		    mnl_attr_get_payload_len(a) == sizeof(ar->addr) &&
		    memcmp(mnl_attr_get_payload(a), &ar->addr, sizeof(ar->addr)) == 0)
			ar->seen = true;
	}
	return 0;
}

/* Reads notifications (to nl->notify_cb) until *done or timeout_ms passed. */
static void nl_wait_notify(struct nl *nl, const bool *done, unsigned timeout_ms)
{
	char buf[NL_RX_SIZE] __attribute__((aligned(NLMSG_ALIGNTO)));
	struct timespec t0;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!*done) {
		struct pollfd pfd = { .fd = nl->fd, .events = POLLIN };
		long left = (long)timeout_ms - elapsed_ms(&t0);
		const struct nlmsghdr *h;
		ssize_t n;
		int len;

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return;
		n = recv(nl->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return; /* ENOBUFS: notifications lost; give up waiting */
		}
		len = (int)FL_MIN_SIZE((size_t)n, sizeof(buf));
		for (h = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len))
			(void)nl->notify_cb(h, nl->notify_data);
	}
}

static int nl_addr_add(struct nl *nl, const char *ns_name, const char *ifname, int ifindex,
		       const char *text)
{
	char req[NL_TX_SIZE] = { 0 }, what[160];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct addr_ready ar = { .ifindex = ifindex };
	int group = RTNLGRP_IPV6_IFADDR;
	bool subscribed = false;
	struct ifaddrmsg *ifa;
	struct cidr c;
	size_t alen;
	int r;

	if ((r = parse_cidr(text, &c)) < 0)
		return r;
	alen = c.family == AF_INET ? sizeof(c.addr.v4) : sizeof(c.addr.v6);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)c.family;
	ifa->ifa_prefixlen = c.prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE; /* IPv6 derives the scope from the address */
	ifa->ifa_index = (unsigned)ifindex;
	/* As iproute2 without "peer": the local address is also the address of the prefix. */
	mnl_attr_put(nlh, IFA_LOCAL, alen, &c.addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, &c.addr);
	if (c.family == AF_INET6) {
		/* No duplicate address detection, never "tentative" (a test cannot wait the
		 * ~1 s DAD takes, and it would fail while the link is down). */
		ifa->ifa_flags = IFA_F_NODAD;
		mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
		/*
		 * Even so the address is not answered for at once: the kernel joins its
		 * solicited-node multicast group and completes it in a work item, and only
		 * then announces it (RTM_NEWADDR). A neighbour solicitation arriving before
		 * goes unanswered and the sender retries 1 s later — measured: 256 of 500
		 * probes (a full neighbour queue) answered after ~950 ms, 1 run in 15. So wait
		 * for that announcement (the ACK alone comes earlier).
		 */
		memcpy(&ar.addr, &c.addr.v6, sizeof(ar.addr));
		subscribed = setsockopt(nl->fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group,
					sizeof(group)) == 0;
		if (subscribed) {
			nl->notify_cb = addr_ready_cb;
			nl->notify_data = &ar;
		}
	}
	snprintf(what, sizeof(what), "RTM_NEWADDR %s dev %s in %s", text, ifname, ns_name);
	r = nl_talk(nl, nlh, NULL, NULL, what);
	if (subscribed) {
		/* A link that is down completes it only once up: then the wait times out,
		 * harmlessly. */
		if (r == 0)
			nl_wait_notify(nl, &ar.seen, ADDR_READY_TIMEOUT_MS);
		(void)setsockopt(nl->fd, SOL_NETLINK, NETLINK_DROP_MEMBERSHIP, &group,
				 sizeof(group));
		nl->notify_cb = NULL;
		nl->notify_data = NULL;
	}
	return r;
}

int testnet_addr_add(const struct testnet_ns *ns, const char *ifname, const char *cidr)
{
	struct nl nl = { .fd = -1 };
	struct cidr c;
	int r;

	if ((r = check_ifname(ifname)) < 0 || (r = parse_cidr(cidr, &c)) < 0)
		return r;
	if ((r = nl_open(ns, &nl)) < 0)
		return r;
	r = nl_ifindex(&nl, ns_label(ns), ifname);
	if (r > 0)
		r = nl_addr_add(&nl, ns_label(ns), ifname, r, cidr);
	nl_close(&nl);
	return r < 0 ? r : 0;
}

/* ---- veth --------------------------------------------------------------------------- */

static int veth_configure(struct nl *nl, const char *ns_name, const char *ifname, const char *cidr)
{
	int r;

	if ((r = nl_link_set_up(nl, ns_name, ifname, true)) < 0)
		return r;
	if (!cidr)
		return 0;
	if ((r = nl_ifindex(nl, ns_name, ifname)) < 0)
		return r;
	return nl_addr_add(nl, ns_name, ifname, r, cidr);
}

/*
 * The RTM_NEWLINK that creates the pair, with explicit interface indexes idx_a (in a) and
 * idx_b (in b, the peer).
 */
static int veth_create(struct nl *nl_a, const struct testnet_ns *a, const char *a_ifname, int idx_a,
		       const struct testnet_ns *b, const char *b_ifname, int b_fd, int idx_b)
{
	char req[NL_TX_SIZE] = { 0 }, what[192];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	struct nlattr *linkinfo, *data, *peer;
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	/* Created down: with IFF_UP here the kernel opens the peer before the pair is linked
	 * and veth_open() fails with ENOTCONN. veth_configure() brings both ends up. */
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx_a;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a_ifname);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* VETH_INFO_PEER: an ifinfomsg, then the peer's own link attributes. The kernel only
	 * honours the peer's ifi_index when the first one is given too. */
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = idx_b;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, b_ifname);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)b_fd);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	snprintf(what, sizeof(what), "RTM_NEWLINK veth %s (in %s) / %s (in %s)", a_ifname, a->name,
		 b_ifname, b->name);
	return nl_talk(nl_a, nlh, NULL, NULL, what);
}

int testnet_veth(const struct testnet_ns *a, const char *a_ifname, const char *a_cidr,
		 const struct testnet_ns *b, const char *b_ifname, const char *b_cidr)
{
	struct nl nl_a = { .fd = -1 }, nl_b = { .fd = -1 };
	struct cidr c;
	int b_fd = -1, r;

	if (!a || !b || !a->path[0] || !b->path[0])
		return testnet_set_error(-EINVAL, "veth: namespace not created");
	if ((r = check_ifname(a_ifname)) < 0 || (r = check_ifname(b_ifname)) < 0)
		return r;
	/* Reject bad addresses before anything exists. */
	if ((a_cidr && (r = parse_cidr(a_cidr, &c)) < 0) ||
	    (b_cidr && (r = parse_cidr(b_cidr, &c)) < 0))
		return r;

	b_fd = open(b->path, O_RDONLY | O_CLOEXEC);
	if (b_fd < 0)
		return testnet_set_error(-errno, "veth: open %s", b->path);
	if ((r = nl_open(a, &nl_a)) < 0 || (r = nl_open(b, &nl_b)) < 0)
		goto out;

	/*
	 * Two different interface indexes. Left to itself the kernel numbers both ends 2 in
	 * fresh namespaces; a veth whose index equals its peer's (its iflink) makes linkwatch
	 * treat the carrier change as not urgent and apply it up to 1 s later (rate limit):
	 * measured on Debian's 6.1 kernel, operstate UP after ~1020 ms instead of ~17 ms.
	 * Both indexes are above every index in either namespace; a link created
	 * concurrently may take one (EBUSY): then retry.
	 */
	for (int attempt = 0;; attempt++) {
		int max_a = nl_max_ifindex(&nl_a, a->name), max_b, idx;

		if (max_a < 0 || (max_b = nl_max_ifindex(&nl_b, b->name)) < 0) {
			r = max_a < 0 ? max_a : max_b;
			goto out;
		}
		idx = (max_a > max_b ? max_a : max_b) + 1;
		r = veth_create(&nl_a, a, a_ifname, idx, b, b_ifname, b_fd, idx + 1);
		if (r != -EBUSY || attempt == 3)
			break;
	}
	if (r < 0)
		goto out;

	if ((r = veth_configure(&nl_a, a->name, a_ifname, a_cidr)) < 0 ||
	    (r = veth_configure(&nl_b, b->name, b_ifname, b_cidr)) < 0 ||
	    (r = nl_wait_oper_up(&nl_a, a->name, a_ifname, LINK_UP_TIMEOUT_MS)) < 0 ||
	    (r = nl_wait_oper_up(&nl_b, b->name, b_ifname, LINK_UP_TIMEOUT_MS)) < 0)
		goto out_del;
	r = 0;
	goto out;

out_del : {
	/* Deleting one end deletes the pair; keep the first error's message. */
	char saved[sizeof(last_error)];

	memcpy(saved, last_error, sizeof(saved));
	(void)nl_link_del(&nl_a, a->name, a_ifname);
	memcpy(last_error, saved, sizeof(saved));
}
out:
	nl_close(&nl_b);
	nl_close(&nl_a);
	close(b_fd);
	return r;
}

/* ---- namespaces --------------------------------------------------------------------- */

/*
 * /run/netns must exist and be a mount point with shared propagation, as iproute2's
 * `ip netns add` makes it. Why shared: the bind mounts that keep our namespaces alive then
 * propagate to every mount namespace in the same peer group (a process that unshared its
 * mounts after we created the namespace, or `ip netns exec`), and so does the unmount in
 * testnet_ns_destroy(). With a private /run/netns such a copy would survive the unmount
 * and keep the namespace (and its veth) alive, invisibly, for as long as that mount
 * namespace lives. MS_SHARED applies to mount points only, so a plain directory (the test
 * VM's /run tmpfs) is first bind-mounted onto itself — iproute2 does the same.
 */
static int prepare_run_dir(void)
{
	if (mkdir("/run", 0755) < 0 && errno != EEXIST)
		return testnet_set_error(-errno, "mkdir /run");
	if (mkdir(TESTNET_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return testnet_set_error(-errno, "mkdir " TESTNET_RUN_DIR);
	if (mount("", TESTNET_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return 0;
	if (errno != EINVAL)
		return testnet_set_error(-errno, "mount --make-rshared " TESTNET_RUN_DIR);
	/* Not a mount point yet. Two processes racing here stack two bind mounts; both are
	 * shared and the upper one carries the lower one's entries, so nothing is lost. */
	if (mount(TESTNET_RUN_DIR, TESTNET_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0)
		return testnet_set_error(-errno, "mount --rbind " TESTNET_RUN_DIR);
	if (mount("", TESTNET_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		return testnet_set_error(-errno, "mount --make-rshared " TESTNET_RUN_DIR);
	return 0;
}

struct create_job {
	const char *path;
	int r;
	const char *step;
};

static void *create_thread(void *arg)
{
	struct create_job *job = arg;
	char src[64];

	/* Only this thread moves into the new namespace (CLONE_NEWNET may be unshared by one
	 * thread of a multi-threaded process); it ends right after the mount. */
	if (unshare(CLONE_NEWNET) < 0) {
		job->r = -errno;
		job->step = "unshare(CLONE_NEWNET)";
		return NULL;
	}
	/* /proc/self is the thread group; task/<tid> is this thread and its new namespace. */
	snprintf(src, sizeof(src), "/proc/self/task/%ld/ns/net", (long)syscall(SYS_gettid));
	if (mount(src, job->path, "none", MS_BIND, NULL) < 0) {
		job->r = -errno;
		job->step = "bind-mount the namespace";
		return NULL;
	}
	job->r = 0;
	return NULL;
}

static bool valid_prefix(const char *prefix)
{
	size_t len = prefix ? strlen(prefix) : 0;

	if (len == 0 || len > TESTNET_PREFIX_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char ch = prefix[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.'))
			return false;
	}
	return true;
}

int testnet_ns_create(const char *prefix, struct testnet_ns *ret_ns)
{
	struct testnet_ns ns = { 0 };
	struct create_job job = { 0 };
	int fd = -1, r;

	if (!valid_prefix(prefix))
		return testnet_set_error(-EINVAL, "netns prefix \"%s\" (1..%d of [A-Za-z0-9_.-])",
					 prefix ? prefix : "(null)", TESTNET_PREFIX_MAX);
	if ((r = prepare_run_dir()) < 0)
		return r;
	for (int i = 0; i < NS_NAME_ATTEMPTS && fd < 0; i++) {
		unsigned n = atomic_fetch_add(&ns_counter, 1);

		/* Cannot truncate: prefix <= 19, pid <= 7 digits, counter <= 10 digits. */
		snprintf(ns.name, sizeof(ns.name), "%s-%ld-%u", prefix, (long)getpid(), n);
		snprintf(ns.path, sizeof(ns.path), TESTNET_RUN_DIR "/%s", ns.name);
		/* The mount point: an empty file, created exclusively so no name is shared. */
		fd = open(ns.path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (fd < 0 && errno != EEXIST)
			return testnet_set_error(-errno, "create %s", ns.path);
	}
	if (fd < 0)
		return testnet_set_error(-EEXIST, "create " TESTNET_RUN_DIR "/%s-%ld-*", prefix,
					 (long)getpid());
	close(fd);

	job.path = ns.path;
	r = run_in_thread(create_thread, &job);
	if (r < 0) {
		testnet_set_error(r, "netns %s: cannot start a thread", ns.name);
		goto out_unlink;
	}
	if (job.r < 0) {
		r = testnet_set_error(job.r, "netns %s: %s", ns.name, job.step);
		goto out_unlink;
	}
	r = testnet_link_set_up(&ns, "lo", true);
	if (r < 0)
		goto out_umount;
	*ret_ns = ns;
	return 0;

out_umount:
	(void)umount2(ns.path, MNT_DETACH);
out_unlink:
	(void)unlink(ns.path);
	return r;
}

int testnet_ns_destroy(struct testnet_ns *ns)
{
	int r = 0;

	char want[sizeof(ns->path)];

	if (!ns || !ns->path[0])
		return 0;
	/* Only ever unmount and unlink what testnet_ns_create() made: a struct that is not one
	 * (a cleanup handed a dangling pointer) must not make us remove an arbitrary path. */
	if (!memchr(ns->name, '\0', sizeof(ns->name)) ||
	    !memchr(ns->path, '\0', sizeof(ns->path)) || !ns->name[0] || strchr(ns->name, '/') ||
	    snprintf(want, sizeof(want), TESTNET_RUN_DIR "/%s", ns->name) >= (int)sizeof(want) ||
	    strcmp(want, ns->path) != 0)
		return testnet_set_error(-EINVAL, "netns destroy: not a testnet namespace");
	/* MNT_DETACH: never EBUSY; the namespace lives on only while something uses it.
	 * EINVAL: not mounted (a half-created namespace); ENOENT: already gone. */
	if (umount2(ns->path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT)
		r = testnet_set_error(-errno, "umount %s", ns->path);
	if (unlink(ns->path) < 0 && errno != ENOENT && r == 0)
		r = testnet_set_error(-errno, "unlink %s", ns->path);
	if (r == 0)
		memset(ns, 0, sizeof(*ns));
	return r;
}

void testnet_ns_destroy_cb(void *ns)
{
	(void)testnet_ns_destroy(ns);
}

bool testnet_ns_exists(const struct testnet_ns *ns)
{
	return ns && ns->path[0] && access(ns->path, F_OK) == 0;
}
