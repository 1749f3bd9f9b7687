/* SPDX-License-Identifier: MIT */
/*
 * UDP echo/RTT and TCP throughput probes over sockets created inside test namespaces.
 *
 * The RTT prober is one thread with a send schedule and ppoll(): it sends on time whether
 * or not earlier probes were answered, so a path that delays by hundreds of milliseconds
 * sees a steady probe stream instead of a stop-and-wait one. Timestamps are CLOCK_MONOTONIC
 * taken in user space right around sendto()/recvfrom(); on a veth they add a few µs.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "netprobe.h"

#define PROBE_MAGIC	     0x464c5052u /* "FLPR" */
#define SOCK_BUF_BYTES	     (4 << 20)
#define TCP_CHUNK	     (128 * 1024)
#define TCP_SETUP_TIMEOUT_MS 10000
/* How long a poll slice may be while waiting for a condition a flag may end. */
#define SLICE_MS 50

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* pthread_create() with every signal blocked in the new thread (see testnet.c). */
static int start_thread(pthread_t *thread, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -r;
}

/* Large socket buffers, so a path holding hundreds of ms of probes does not make sendto()
 * fail locally. The *FORCE variants pass the sysctl caps (root); the plain ones are the
 * fallback. Best effort. */
static void grow_buffers(int fd)
{
	int size = SOCK_BUF_BYTES;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
}

int netprobe_sockaddr(const struct testnet_ns *ns, const char *addr, uint16_t port,
		      struct sockaddr_storage *ret_sa, socklen_t *ret_len)
{
	char buf[INET6_ADDRSTRLEN + IF_NAMESIZE + 2];
	struct sockaddr_storage sa = { 0 };
	char *scope;
	size_t len;

	len = addr ? strlen(addr) : 0;
	if (len == 0 || len >= sizeof(buf))
		return testnet_set_error(-EINVAL, "address \"%s\"", addr ? addr : "(null)");
	memcpy(buf, addr, len + 1);
	scope = strchr(buf, '%');
	if (scope)
		*scope++ = '\0';

	if (!scope) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&sa;

		if (inet_pton(AF_INET, buf, &sin->sin_addr) == 1) {
			sin->sin_family = AF_INET;
			sin->sin_port = htons(port);
			*ret_sa = sa;
			*ret_len = sizeof(*sin);
			return 0;
		}
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&sa;

	if (inet_pton(AF_INET6, buf, &sin6->sin6_addr) != 1)
		return testnet_set_error(-EINVAL,
					 "address \"%s\" (expected 10.0.0.1, fd00::1 or "
					 "fe80::1%%ifname)",
					 addr);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	if (scope) {
		char *end;
		unsigned long id;

		errno = 0;
		id = strtoul(scope, &end, 10);
		if (!*scope || *end || errno || id > UINT32_MAX) {
			int r = testnet_ifindex(ns, scope);

			if (r < 0)
				return r;
			id = (unsigned long)r;
		}
		sin6->sin6_scope_id = (uint32_t)id;
	}
	*ret_sa = sa;
	*ret_len = sizeof(*sin6);
	return 0;
}

static uint16_t sockaddr_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

/* Same family, address and port (what a reply's source must be). */
static bool sockaddr_equal(const struct sockaddr_storage *x, const struct sockaddr_storage *y)
{
	if (x->ss_family != y->ss_family)
		return false;
	if (x->ss_family == AF_INET) {
		const struct sockaddr_in *a = (const void *)x, *b = (const void *)y;

		return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *a = (const void *)x, *b = (const void *)y;

	return a->sin6_port == b->sin6_port &&
	       memcmp(&a->sin6_addr, &b->sin6_addr, sizeof(a->sin6_addr)) == 0;
}

/* ---- UDP echo ----------------------------------------------------------------------- */

struct netprobe_echo {
	int fd;
	int stop_fd; /* eventfd: readable = stop */
	pthread_t thread;
	uint16_t port;
	atomic_uint_fast64_t packets;
};

/*
 * Control data for the reply: the address the request was sent to becomes the reply's
 * source. Without it a socket bound to 0.0.0.0 or :: answers from the route's preferred
 * source, and a probe to a second address on the same interface would get its echo from
 * the first one (which the prober rightly ignores). Returns the control length.
 */
static size_t reply_pktinfo(struct msghdr *in, char *out, size_t out_size)
{
	/* out is cmsghdr-aligned and PKTINFO_SPACE long (the caller's union). */
	struct cmsghdr *c, *o = (struct cmsghdr *)(void *)out;

	for (c = CMSG_FIRSTHDR(in); c; c = CMSG_NXTHDR(in, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
			struct in_pktinfo pi, reply = { 0 };

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			reply.ipi_spec_dst = pi.ipi_addr;
			if (out_size < CMSG_SPACE(sizeof(reply)))
				return 0;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(reply));
			memcpy(CMSG_DATA(o), &reply, sizeof(reply));
			return CMSG_SPACE(sizeof(reply));
		}
		if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
			/* Address and interface as received (the interface matters for a
			 * link-local address). */
			if (out_size < CMSG_SPACE(sizeof(struct in6_pktinfo)))
				return 0;
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c), sizeof(struct in6_pktinfo));
			return CMSG_SPACE(sizeof(struct in6_pktinfo));
		}
	}
	return 0;
}

#define PKTINFO_SPACE \
	(CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)))

static void *echo_thread(void *arg)
{
	struct netprobe_echo *echo = arg;
	struct pollfd pfd[2] = { { .fd = echo->fd, .events = POLLIN },
				 { .fd = echo->stop_fd, .events = POLLIN } };
	union {
		char buf[PKTINFO_SPACE];
		struct cmsghdr align;
	} ctl_in, ctl_out;
	char buf[65536];

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].revents)
			break;
		/* Drain everything queued before polling again. */
		for (;;) {
			struct sockaddr_storage src;
			struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
			struct msghdr mh = { .msg_name = &src,
					     .msg_namelen = sizeof(src),
					     .msg_iov = &iov,
					     .msg_iovlen = 1,
					     .msg_control = ctl_in.buf,
					     .msg_controllen = sizeof(ctl_in.buf) };
			ssize_t n = recvmsg(echo->fd, &mh, MSG_DONTWAIT);
			size_t ctl_len;

			if (n < 0)
				break; /* EAGAIN; other errors (ICMP) are per-datagram */
			atomic_fetch_add(&echo->packets, 1);
			iov.iov_len = (size_t)n;
			ctl_len = reply_pktinfo(&mh, ctl_out.buf, sizeof(ctl_out.buf));
			mh.msg_control = ctl_len ? ctl_out.buf : NULL;
			mh.msg_controllen = ctl_len;
			mh.msg_flags = 0;
			if (sendmsg(echo->fd, &mh, MSG_DONTWAIT) < 0 && ctl_len &&
			    errno == EINVAL) {
				/* e.g. a request to a broadcast address: answer as routed. */
				mh.msg_control = NULL;
				mh.msg_controllen = 0;
				(void)sendmsg(echo->fd, &mh, MSG_DONTWAIT);
			}
		}
	}
	return NULL;
}

int netprobe_echo_start(const struct testnet_ns *ns, const char *addr, uint16_t port,
			struct netprobe_echo **ret)
{
	struct sockaddr_storage sa;
	socklen_t salen;
	struct netprobe_echo *echo;
	int one = 1, r;

	if ((r = netprobe_sockaddr(ns, addr, port, &sa, &salen)) < 0)
		return r;
	echo = calloc(1, sizeof(*echo));
	if (!echo)
		return testnet_set_error(-ENOMEM, "echo");
	echo->stop_fd = -1;
	echo->fd = testnet_socket(ns, sa.ss_family, SOCK_DGRAM, 0);
	if (echo->fd < 0) {
		r = echo->fd;
		goto out_free;
	}
	grow_buffers(echo->fd);
	/* Learn each request's destination address (see reply_pktinfo()). A socket for :: also
	 * receives IPv4 (mapped), which reports IP_PKTINFO. */
	(void)setsockopt(echo->fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	if (sa.ss_family == AF_INET6)
		(void)setsockopt(echo->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	if (bind(echo->fd, (struct sockaddr *)&sa, salen) < 0 ||
	    getsockname(echo->fd, (struct sockaddr *)&sa, &salen) < 0) {
		r = testnet_set_error(-errno, "echo: bind %s port %u in %s", addr, port,
				      ns ? ns->name : "(caller's netns)");
		goto out_close;
	}
	echo->port = sockaddr_port(&sa);
	echo->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (echo->stop_fd < 0) {
		r = testnet_set_error(-errno, "echo: eventfd");
		goto out_close;
	}
	if ((r = start_thread(&echo->thread, echo_thread, echo)) < 0) {
		testnet_set_error(r, "echo: cannot start a thread");
		goto out_close;
	}
	*ret = echo;
	return 0;

out_close:
	if (echo->stop_fd >= 0)
		close(echo->stop_fd);
	close(echo->fd);
out_free:
	free(echo);
	return r;
}

uint16_t netprobe_echo_port(const struct netprobe_echo *echo)
{
	return echo->port;
}

uint64_t netprobe_echo_packets(const struct netprobe_echo *echo)
{
	return atomic_load(&((struct netprobe_echo *)echo)->packets);
}

struct netprobe_echo *netprobe_echo_stop(struct netprobe_echo *echo)
{
	uint64_t one = 1;

	if (!echo)
		return NULL;
	(void)!write(echo->stop_fd, &one, sizeof(one));
	(void)pthread_join(echo->thread, NULL);
	close(echo->stop_fd);
	close(echo->fd);
	free(echo);
	return NULL;
}

void netprobe_echo_stop_cb(void *echop)
{
	struct netprobe_echo **p = echop;

	*p = netprobe_echo_stop(*p);
}

/* ---- UDP RTT ------------------------------------------------------------------------ */

struct probe {
	uint32_t magic;
	uint32_t cookie;
	uint32_t seq;
	uint32_t pad;
	uint64_t sent_ns;
};

/* Errors that lose one probe (a fault may well cause them) rather than end the run. */
static bool transient_send_error(int err)
{
	switch (err) {
	case EAGAIN:
	case ENOBUFS:
	case ENOMEM:
	case ENETUNREACH:
	case EHOSTUNREACH:
	case ENETDOWN:
	case EHOSTDOWN:
	case EPERM:
	case EACCES:
	case ECONNREFUSED:
		return true;
	default:
		return false;
	}
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* Nearest-rank percentile of n sorted values. */
static double percentile(const double *sorted, unsigned n, double p)
{
	double rank = p / 100.0 * n;
	unsigned i = (unsigned)rank;

	if ((double)i < rank)
		i++;
	if (i == 0)
		i = 1;
	return sorted[(i > n ? n : i) - 1];
}

struct rtt_run {
	int fd;
	struct sockaddr_storage dst;
	uint32_t cookie;
	unsigned count;
	uint64_t timeout_ns;
	uint64_t *sent_ns; /* per seq; 0 = not sent (yet) */
	uint8_t *seen;	   /* per seq: reply counted (1) or counted late (2) */
	double *rtt_ms;	   /* received RTTs, in arrival order */
	struct netprobe_rtt res;
};

static int send_probe(struct rtt_run *run, unsigned seq, socklen_t dstlen)
{
	unsigned char buf[NETPROBE_PROBE_SIZE] = { 0 };
	struct probe p = { .magic = PROBE_MAGIC, .cookie = run->cookie, .seq = seq };

	p.sent_ns = now_ns();
	memcpy(buf, &p, sizeof(p));
	run->sent_ns[seq] = p.sent_ns;
	run->res.sent++;
	for (;;) {
		if (sendto(run->fd, buf, sizeof(buf), 0, (struct sockaddr *)&run->dst, dstlen) ==
		    (ssize_t)sizeof(buf))
			return 0;
		if (errno == EINTR)
			continue;
		if (transient_send_error(errno)) {
			run->res.send_errors++;
			return 0;
		}
		return testnet_set_error(-errno, "udp probe: sendto");
	}
}

static void drain_replies(struct rtt_run *run)
{
	unsigned char buf[NETPROBE_PROBE_SIZE + 1];

	for (;;) {
		struct sockaddr_storage src;
		socklen_t srclen = sizeof(src);
		ssize_t n = recvfrom(run->fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&src, &srclen);
		uint64_t t = now_ns();
		struct probe p;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* EAGAIN, or an ICMP error for one datagram */
		}
		if (n != NETPROBE_PROBE_SIZE || !sockaddr_equal(&src, &run->dst))
			continue;
		memcpy(&p, buf, sizeof(p));
		if (p.magic != PROBE_MAGIC || p.cookie != run->cookie || p.seq >= run->count ||
		    run->sent_ns[p.seq] == 0 || p.sent_ns != run->sent_ns[p.seq])
			continue; /* not an echo of a probe of this run */
		if (run->seen[p.seq]) {
			run->res.duplicates++;
			continue;
		}
		if (t - p.sent_ns > run->timeout_ns) {
			run->seen[p.seq] = 2;
			run->res.late++;
			continue;
		}
		run->seen[p.seq] = 1;
		run->rtt_ms[run->res.received++] = (double)(t - p.sent_ns) / 1e6;
	}
}

static void ns_to_timespec(uint64_t ns, struct timespec *ts)
{
	ts->tv_sec = (time_t)(ns / 1000000000u);
	ts->tv_nsec = (long)(ns % 1000000000u);
}

static void summarize(struct rtt_run *run)
{
	struct netprobe_rtt *res = &run->res;
	double sum = 0;

	if (res->received == 0)
		return;
	qsort(run->rtt_ms, res->received, sizeof(double), cmp_double);
	for (unsigned i = 0; i < res->received; i++)
		sum += run->rtt_ms[i];
	res->min_ms = run->rtt_ms[0];
	res->max_ms = run->rtt_ms[res->received - 1];
	res->avg_ms = sum / res->received;
	res->p50_ms = percentile(run->rtt_ms, res->received, 50);
	res->p99_ms = percentile(run->rtt_ms, res->received, 99);
}

int netprobe_udp_rtt(const struct testnet_ns *from, const char *dst, uint16_t port, unsigned count,
		     unsigned interval_us, unsigned timeout_ms, struct netprobe_rtt *ret)
{
	struct rtt_run run = { .fd = -1, .count = count };
	uint64_t start, next_due, last_sent = 0;
	unsigned next = 0;
	socklen_t dstlen;
	int r;

	if (count == 0 || count > NETPROBE_MAX_COUNT || timeout_ms > NETPROBE_MAX_TIMEOUT_MS)
		return testnet_set_error(-EINVAL,
					 "udp probe: count %u (1..%u), timeout %u ms "
					 "(at most %u)",
					 count, NETPROBE_MAX_COUNT, timeout_ms,
					 NETPROBE_MAX_TIMEOUT_MS);
	if (port == 0)
		return testnet_set_error(-EINVAL, "udp probe: port 0");
	if ((r = netprobe_sockaddr(from, dst, port, &run.dst, &dstlen)) < 0)
		return r;
	run.timeout_ns = (uint64_t)timeout_ms * 1000000u;
	run.sent_ns = calloc(count, sizeof(*run.sent_ns));
	run.seen = calloc(count, sizeof(*run.seen));
	run.rtt_ms = calloc(count, sizeof(*run.rtt_ms));
	if (!run.sent_ns || !run.seen || !run.rtt_ms) {
		r = testnet_set_error(-ENOMEM, "udp probe: %u probes", count);
		goto out;
	}
	/* Non-blocking: a full queue is a lost probe, never a stall of the schedule. An
	 * unconnected socket also keeps ICMP errors from surfacing as send()/recv() errors. */
	run.fd = testnet_socket(from, run.dst.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	if (run.fd < 0) {
		r = run.fd;
		goto out;
	}
	grow_buffers(run.fd);
	start = now_ns();
	/* Tells this run's replies from anything else that reaches the socket. */
	run.cookie = (uint32_t)(start ^ (start >> 32) ^ ((uint64_t)getpid() << 16));

	for (;;) {
		uint64_t t = now_ns(), wake;
		struct timespec ts;
		struct pollfd pfd = { .fd = run.fd, .events = POLLIN };

		/* Send everything that is due (catching up after a late wake-up). */
		while (next < count && t >= start + (uint64_t)next * interval_us * 1000u) {
			if ((r = send_probe(&run, next, dstlen)) < 0)
				goto out;
			last_sent = run.sent_ns[next];
			next++;
			t = now_ns();
		}
		drain_replies(&run);
		t = now_ns();
		if (next == count) {
			unsigned answered = run.res.received + run.res.late;

			if (answered + run.res.send_errors >= count ||
			    t >= last_sent + run.timeout_ns)
				break;
			wake = last_sent + run.timeout_ns;
		} else {
			next_due = start + (uint64_t)next * interval_us * 1000u;
			wake = next_due;
		}
		ns_to_timespec(wake > t ? wake - t : 0, &ts);
		if (ppoll(&pfd, 1, &ts, NULL) < 0 && errno != EINTR) {
			r = testnet_set_error(-errno, "udp probe: ppoll");
			goto out;
		}
	}
	summarize(&run);
	*ret = run.res;
	r = 0;
out:
	if (run.fd >= 0)
		close(run.fd);
	free(run.sent_ns);
	free(run.seen);
	free(run.rtt_ms);
	return r;
}

/* ---- TCP throughput ----------------------------------------------------------------- */

struct sink {
	int lfd;
	int stop_fd;
	unsigned duration_ms;
	/* results */
	int r;
	const char *step;
	uint64_t bytes;
	double bytes_per_s;
	atomic_bool done;
};

/* Waits for fd to become ready for events, at most timeout_ms; 0 ready, -ETIMEDOUT, or
 * -ECANCELED when stop_fd fires. */
static int wait_fd(int fd, short events, int stop_fd, int timeout_ms)
{
	struct pollfd pfd[2] = { { .fd = fd, .events = events },
				 { .fd = stop_fd, .events = POLLIN } };
	int n;

	do {
		n = poll(pfd, stop_fd >= 0 ? 2 : 1, timeout_ms);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	if (stop_fd >= 0 && pfd[1].revents)
		return -ECANCELED;
	return 0;
}

static void *sink_thread(void *arg)
{
	struct sink *sink = arg;
	uint64_t t_first = 0, warm_at = 0, end_at = 0, t_a = 0, t_b = 0, b_a = 0, b_b = 0;
	bool have_a = false;
	char *buf = malloc(256 * 1024);
	int cfd = -1;

	if (!buf) {
		sink->r = -ENOMEM;
		sink->step = "buffer";
		goto out;
	}
	if ((sink->r = wait_fd(sink->lfd, POLLIN, sink->stop_fd, TCP_SETUP_TIMEOUT_MS)) < 0) {
		sink->step = "waiting for the connection";
		goto out;
	}
	cfd = accept4(sink->lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (cfd < 0) {
		sink->r = -errno;
		sink->step = "accept";
		goto out;
	}
	for (;;) {
		int timeout_ms = TCP_SETUP_TIMEOUT_MS;
		ssize_t n;
		uint64_t t;

		if (t_first) {
			t = now_ns();
			if (t >= end_at)
				break;
			timeout_ms = (int)((end_at - t) / 1000000u) + 1;
		}
		if ((sink->r = wait_fd(cfd, POLLIN, sink->stop_fd, timeout_ms)) < 0) {
			if (sink->r == -ETIMEDOUT && t_first)
				sink->r = 0; /* the window ended while nothing arrived */
			else
				sink->step = t_first ? "reading" : "waiting for data";
			break;
		}
		n = recv(cfd, buf, 256 * 1024, 0);
		t = now_ns();
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			sink->r = -errno;
			sink->step = "recv";
			break;
		}
		if (n == 0)
			break; /* the sender stopped early */
		if (!t_first) {
			t_first = t;
			warm_at = t + (uint64_t)sink->duration_ms * 1000000u / 5;
			end_at = t + (uint64_t)sink->duration_ms * 1000000u;
		}
		sink->bytes += (uint64_t)n;
		if (t > end_at)
			break; /* this read belongs after the window */
		/* Bytes counted from a read at t_a (excluded) to one at t_b (included). */
		if (!have_a && t >= warm_at) {
			have_a = true;
			t_a = t;
			b_a = sink->bytes;
		}
		t_b = t;
		b_b = sink->bytes;
	}
	if (sink->r == 0) {
		if (!have_a || t_b - t_a < 1000000u) {
			/* Too few reads after the warm-up (a very slow path): whole window. */
			t_a = t_first;
			b_a = 0;
		}
		if (t_b > t_a)
			sink->bytes_per_s = (double)(b_b - b_a) / ((double)(t_b - t_a) / 1e9);
	}
out:
	/* Closing with unread data resets the connection: the sender stops at once. */
	atomic_store(&sink->done, true);
	if (cfd >= 0)
		close(cfd);
	free(buf);
	return NULL;
}

static int tcp_connect(const struct testnet_ns *from, const struct sockaddr_storage *dst,
		       socklen_t dstlen)
{
	int fd, err = 0, r;
	socklen_t errlen = sizeof(err);

	fd = testnet_socket(from, dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return fd;
	if (connect(fd, (const struct sockaddr *)dst, dstlen) < 0) {
		if (errno != EINPROGRESS) {
			r = testnet_set_error(-errno, "tcp: connect");
			goto fail;
		}
		if ((r = wait_fd(fd, POLLOUT, -1, TCP_SETUP_TIMEOUT_MS)) < 0) {
			testnet_set_error(r, "tcp: connect");
			goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) < 0)
			err = errno;
		if (err) {
			r = testnet_set_error(-err, "tcp: connect");
			goto fail;
		}
	}
	return fd;
fail:
	close(fd);
	return r;
}

int netprobe_tcp_throughput(const struct testnet_ns *from, const struct testnet_ns *to,
			    const char *dst, uint16_t port, unsigned duration_ms,
			    double *ret_bytes_per_s)
{
	struct sink sink = { .lfd = -1, .stop_fd = -1, .duration_ms = duration_ms };
	struct sockaddr_storage sa;
	socklen_t salen;
	pthread_t thread;
	bool started = false;
	uint64_t deadline;
	char *buf = NULL;
	int one = 1, cfd = -1, r;

	if (duration_ms < NETPROBE_MIN_DURATION_MS || duration_ms > NETPROBE_MAX_DURATION_MS)
		return testnet_set_error(-EINVAL, "tcp: duration %u ms (%u..%u)", duration_ms,
					 NETPROBE_MIN_DURATION_MS, NETPROBE_MAX_DURATION_MS);
	if (port == 0)
		return testnet_set_error(-EINVAL, "tcp: port 0");
	if ((r = netprobe_sockaddr(to, dst, port, &sa, &salen)) < 0)
		return r;

	sink.lfd = testnet_socket(to, sa.ss_family, SOCK_STREAM, 0);
	if (sink.lfd < 0)
		return sink.lfd;
	(void)setsockopt(sink.lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(sink.lfd, (struct sockaddr *)&sa, salen) < 0 || listen(sink.lfd, 1) < 0) {
		r = testnet_set_error(-errno, "tcp: listen on %s port %u in %s", dst, port,
				      to ? to->name : "(caller's netns)");
		goto out;
	}
	sink.stop_fd = eventfd(0, EFD_CLOEXEC);
	buf = calloc(1, TCP_CHUNK);
	if (sink.stop_fd < 0 || !buf) {
		r = testnet_set_error(sink.stop_fd < 0 ? -errno : -ENOMEM, "tcp: setup");
		goto out;
	}
	if ((r = start_thread(&thread, sink_thread, &sink)) < 0) {
		testnet_set_error(r, "tcp: cannot start a thread");
		goto out;
	}
	started = true;

	/* A scope ("%ifname") belongs to the sending side. */
	if ((r = netprobe_sockaddr(from, dst, port, &sa, &salen)) < 0)
		goto out;
	if ((cfd = tcp_connect(from, &sa, salen)) < 0) {
		r = cfd;
		goto out;
	}
	/* Send until the sink has seen enough (it then resets the connection). */
	deadline = now_ns() + ((uint64_t)duration_ms + 2 * TCP_SETUP_TIMEOUT_MS) * 1000000u;
	while (!atomic_load(&sink.done)) {
		ssize_t n = send(cfd, buf, TCP_CHUNK, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n >= 0)
			continue;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			if (now_ns() > deadline) {
				r = testnet_set_error(-ETIMEDOUT, "tcp: sending");
				goto out;
			}
			(void)wait_fd(cfd, POLLOUT, -1, SLICE_MS);
			continue;
		}
		if (errno == EPIPE || errno == ECONNRESET)
			break; /* the sink closed: done (or it failed, reported below) */
		r = testnet_set_error(-errno, "tcp: send");
		goto out;
	}
	r = 0;
out:
	if (cfd >= 0)
		close(cfd);
	if (started) {
		uint64_t stop = 1;

		if (r < 0)
			(void)!write(sink.stop_fd, &stop, sizeof(stop));
		(void)pthread_join(thread, NULL);
		if (r == 0 && sink.r < 0)
			r = testnet_set_error(sink.r, "tcp sink: %s", sink.step);
		if (r == 0 && sink.bytes == 0)
			r = testnet_set_error(-ETIMEDOUT, "tcp sink: no data");
		if (r == 0)
			*ret_bytes_per_s = sink.bytes_per_s;
	}
	if (sink.stop_fd >= 0)
		close(sink.stop_fd);
	close(sink.lfd);
	free(buf);
	return r;
}
