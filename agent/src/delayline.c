/* SPDX-License-Identifier: MIT */
/*
 * The userspace delay line, over raw nfnetlink_queue with libmnl. (libnetfilter_queue is not
 * used: the protocol is three small messages — config, packet, verdict — and libmnl is
 * already linked everywhere; one less library to ship and to keep compatible.)
 *
 * Life of a packet: the steering rule queues it to NFQUEUE queue_num; the kernel keeps the
 * skb and sends us its metadata only (copy mode META: the packet id, never the payload); we
 * push (release time, id) on a bounded min-heap; a timerfd armed at the earliest release
 * time wakes the thread, which sends NF_ACCEPT for every due id — all verdicts of one wake-up
 * in a single datagram. Nothing ever sleeps per packet.
 *
 * Fail open everywhere:
 *  - NFQA_CFG_F_FAIL_OPEN: when the kernel queue is full, or our socket buffer overflows
 *    (we then read ENOBUFS, count it and go on), the kernel accepts the packet;
 *  - the kernel queue is max_held + KERNEL_QUEUE_HEADROOM long, so our own max_held is
 *    reached first: those packets are accepted at once and counted as overflow;
 *  - the queue instance belongs to our netlink port: when the socket closes (agent killed)
 *    the kernel destroys it (NETLINK_URELEASE) and the steering rule's --queue-bypass lets
 *    packets pass. The socket is close-on-exec, so no child process keeps it alive.
 *
 * Stop without dropping a packet: set the kernel queue length to 0 (new packets fail open
 * from then on), drain the socket and accept what was already queued to us, accept every
 * held packet, then unbind — the kernel drops whatever is still pending at unbind.
 *
 * Counters: received == released + overflow + held. Packets handed to us while stopping
 * are accepted at once and counted as released.
 *
 * Threads: the socket is created in the target namespace by a short-lived thread (see
 * netem/src/transport_mnl.c); the caller's threads never change namespace. Afterwards only
 * the delay line's own thread touches the socket and the heap; the counters are atomics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include "delayline.h"
#include "fl/nsock.h"
#include "delayline_heap.h"
#include "fl/units.h"

#define NSEC_PER_SEC	 1000000000ull
#define DELAY_MAX_NS	 (60 * NSEC_PER_SEC)
#define MAX_HELD_DEFAULT 10000u
#define MAX_HELD_LIMIT	 1000000u
/* Kernel queue slots beyond max_held: packets on their way to us, verdicts on their way back. */
#define KERNEL_QUEUE_HEADROOM 1024u
/* Bursts of packet messages wait here while the thread is busy (~1 KiB each in the kernel). */
#define RCVBUF_BYTES	  (8 << 20)
#define RX_BATCH	  32   /* datagrams per recvmmsg() */
#define RX_BUF		  4096 /* one packet message in META mode is ~200 bytes */
#define RX_ROUNDS	  8    /* recvmmsg() calls per wake-up before releasing due packets */
#define TX_BUF		  16384
#define ACK_TIMEOUT_MS	  5000
#define STOP_DRAIN_ROUNDS 4096

#define NFQ_TYPE(msg) ((uint16_t)((NFNL_SUBSYS_QUEUE << 8) | (msg)))
/* nlmsghdr + nfgenmsg + NFQA_VERDICT_HDR */
#define VERDICT_MSG_LEN                                                            \
	(MNL_ALIGN(sizeof(struct nlmsghdr)) + MNL_ALIGN(sizeof(struct nfgenmsg)) + \
	 MNL_ALIGN(sizeof(struct nlattr)) + MNL_ALIGN(sizeof(struct nfqnl_msg_verdict_hdr)))

enum { EV_NETLINK = 1, EV_TIMER, EV_STOP };

struct fl_delayline {
	struct mnl_socket *nl;
	int nl_fd, timer_fd, stop_fd, ep_fd;
	uint16_t queue_num;
	uint32_t seq;
	struct fl_delayline_spec spec; /* max_held resolved */
	pthread_t thread;
	bool thread_started;

	/* Owned by the thread once started. */
	struct dl_heap heap;
	uint64_t rng;
	uint64_t armed_ns; /* timerfd expiry, 0 = disarmed */
	bool stopping;
	char *tx;
	size_t tx_len;
	char *rx; /* RX_BATCH buffers of RX_BUF */
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_nl from[RX_BATCH];

	_Atomic uint64_t received, released, overflow, enobufs;
	_Atomic uint32_t held;
};

/* Where transact() waits for the kernel's answer to one request. */
struct ack {
	uint32_t seq;
	bool done;
	int err;
};

/* ---- the release-ordered heap --------------------------------------------------------- */

FL_TESTABLE int dl_heap_init(struct dl_heap *heap, uint32_t cap)
{
	struct dl_held *v;

	if (cap == 0)
		return -EINVAL;
	v = calloc(cap, sizeof(*v));
	if (!v)
		return -ENOMEM;
	*heap = (struct dl_heap){ .v = v, .cap = cap };
	return 0;
}

FL_TESTABLE void dl_heap_fini(struct dl_heap *heap)
{
	if (!heap)
		return;
	free(heap->v);
	*heap = (struct dl_heap){ 0 };
}

static bool held_before(const struct dl_held *a, const struct dl_held *b)
{
	return a->due_ns < b->due_ns || (a->due_ns == b->due_ns && a->seq < b->seq);
}

FL_TESTABLE int dl_heap_push(struct dl_heap *heap, uint64_t due_ns, uint32_t id)
{
	struct dl_held e = { .due_ns = due_ns, .seq = heap->next_seq, .id = id };
	uint32_t i;

	if (heap->n >= heap->cap)
		return -ENOSPC;
	heap->next_seq++;
	i = heap->n++;
	while (i > 0) {
		uint32_t parent = (i - 1) / 2;

		if (!held_before(&e, &heap->v[parent]))
			break;
		heap->v[i] = heap->v[parent];
		i = parent;
	}
	heap->v[i] = e;
	return 0;
}

FL_TESTABLE const struct dl_held *dl_heap_top(const struct dl_heap *heap)
{
	return heap->n ? &heap->v[0] : NULL;
}

FL_TESTABLE bool dl_heap_pop(struct dl_heap *heap, struct dl_held *ret)
{
	struct dl_held last;
	uint32_t i = 0;

	if (heap->n == 0)
		return false;
	*ret = heap->v[0];
	last = heap->v[--heap->n];
	if (heap->n == 0)
		return true;
	for (;;) {
		uint32_t child = 2 * i + 1;

		if (child >= heap->n)
			break;
		if (child + 1 < heap->n && held_before(&heap->v[child + 1], &heap->v[child]))
			child++;
		if (!held_before(&heap->v[child], &last))
			break;
		heap->v[i] = heap->v[child];
		i = child;
	}
	heap->v[i] = last;
	return true;
}

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t now_ns(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* delay ± jitter, uniform over [delay - jitter, delay + jitter] (jitter <= delay <= 60 s). */
static uint64_t hold_ns(struct fl_delayline *dl)
{
	uint64_t span, off;

	if (dl->spec.jitter_ns == 0)
		return dl->spec.delay_ns;
	span = 2 * dl->spec.jitter_ns + 1;
	/* Multiply-shift instead of modulo: no bias worth speaking of, no division. */
	off = (uint64_t)(((unsigned __int128)splitmix64(&dl->rng) * span) >> 64);
	return dl->spec.delay_ns - dl->spec.jitter_ns + off;
}

static bool has_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return true; /* cannot tell: the common case (root) */
	return data[CAP_TO_INDEX(CAP_NET_ADMIN)].effective & CAP_TO_MASK(CAP_NET_ADMIN);
}

/* ---- sending --------------------------------------------------------------------------- */

static int send_buf(struct fl_delayline *dl, const void *buf, size_t len)
{
	for (int tries = 0; tries < 8; tries++) {
		if (mnl_socket_sendto(dl->nl, buf, len) >= 0)
			return 0;
		/* ENOBUFS/ENOMEM: the kernel could not allocate right now; try again. */
		if (errno != EINTR && errno != ENOBUFS && errno != ENOMEM && errno != EAGAIN)
			return -errno;
	}
	return -ENOBUFS;
}

static void tx_flush(struct fl_delayline *dl)
{
	if (dl->tx_len == 0)
		return;
	/*
	 * A failure leaves those packets queued in the kernel until unbind (which drops them).
	 * Nothing better is possible: the kernel refused the verdict itself.
	 */
	(void)send_buf(dl, dl->tx, dl->tx_len);
	dl->tx_len = 0;
}

/* Queue an NF_ACCEPT for id; many verdicts go out in one datagram (tx_flush). */
static void put_verdict(struct fl_delayline *dl, uint32_t id)
{
	struct nfqnl_msg_verdict_hdr vh = { .verdict = htonl(NF_ACCEPT), .id = htonl(id) };
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	if (dl->tx_len + VERDICT_MSG_LEN > TX_BUF)
		tx_flush(dl);
	nlh = mnl_nlmsg_put_header(dl->tx + dl->tx_len);
	nlh->nlmsg_type = NFQ_TYPE(NFQNL_MSG_VERDICT);
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(dl->queue_num);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	dl->tx_len += nlh->nlmsg_len;
}

/* ---- receiving ------------------------------------------------------------------------- */

static void handle_packet(struct fl_delayline *dl, const struct nlmsghdr *nlh, uint64_t now)
{
	const struct nlattr *attr;
	bool found = false;
	uint32_t id = 0;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct nfgenmsg)))
		return;
	mnl_attr_for_each (attr, nlh, sizeof(struct nfgenmsg)) {
		if (mnl_attr_get_type(attr) == NFQA_PACKET_HDR &&
		    mnl_attr_get_payload_len(attr) >= sizeof(struct nfqnl_msg_packet_hdr)) {
			struct nfqnl_msg_packet_hdr ph;

			memcpy(&ph, mnl_attr_get_payload(attr), sizeof(ph));
			id = ntohl(ph.packet_id);
			found = true;
			break;
		}
	}
	if (!found)
		return; /* the kernel always sends it first; nothing to answer without an id */
	atomic_fetch_add_explicit(&dl->received, 1, memory_order_relaxed);
	if (dl->stopping) {
		put_verdict(dl, id);
		atomic_fetch_add_explicit(&dl->released, 1, memory_order_relaxed);
	} else if (dl_heap_push(&dl->heap, now + hold_ns(dl), id) < 0) {
		put_verdict(dl, id);
		atomic_fetch_add_explicit(&dl->overflow, 1, memory_order_relaxed);
	} else {
		atomic_fetch_add_explicit(&dl->held, 1, memory_order_relaxed);
	}
}

static void handle_datagram(struct fl_delayline *dl, void *buf, size_t len, bool truncated,
			    uint64_t now, struct ack *ack)
{
	struct nlmsghdr *nlh = buf;
	int rest = (int)len;

	/* A message cut by a too small buffer: still read the attributes that arrived. */
	if (truncated && len >= sizeof(*nlh) && nlh->nlmsg_len > len)
		nlh->nlmsg_len = (uint32_t)len;
	for (; mnl_nlmsg_ok(nlh, rest); nlh = mnl_nlmsg_next(nlh, &rest)) {
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

			if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
				continue;
			/* Errors with seq 0 answer a verdict for an id the kernel no longer has. */
			if (ack && ack->seq && nlh->nlmsg_seq == ack->seq) {
				ack->done = true;
				ack->err = err->error;
			}
		} else if (nlh->nlmsg_type == NFQ_TYPE(NFQNL_MSG_PACKET)) {
			handle_packet(dl, nlh, now);
		}
	}
}

/* One recvmmsg(): > 0 datagrams handled, 0 after an overflow (ENOBUFS), or -errno. */
static int rx_once(struct fl_delayline *dl, struct ack *ack)
{
	uint64_t now;
	int n;

	for (int i = 0; i < RX_BATCH; i++) {
		dl->msgs[i].msg_hdr.msg_namelen = sizeof(dl->from[i]);
		dl->msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(dl->nl_fd, dl->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno == ENOBUFS) {
			/* Messages were lost; with FAIL_OPEN the kernel passed those packets. */
			atomic_fetch_add_explicit(&dl->enobufs, 1, memory_order_relaxed);
			return 0;
		}
		return -errno;
	}
	now = now_ns();
	for (int i = 0; i < n; i++) {
		if (dl->from[i].nl_pid != 0)
			continue; /* only the kernel talks to us */
		handle_datagram(dl, dl->rx + (size_t)i * RX_BUF, dl->msgs[i].msg_len,
				dl->msgs[i].msg_hdr.msg_flags & MSG_TRUNC, now, ack);
	}
	return n;
}

/* ---- releasing ------------------------------------------------------------------------- */

static void release_due(struct fl_delayline *dl, uint64_t now, bool all)
{
	const struct dl_held *top;
	struct dl_held h;

	while ((top = dl_heap_top(&dl->heap)) && (all || top->due_ns <= now)) {
		(void)dl_heap_pop(&dl->heap, &h);
		put_verdict(dl, h.id);
		atomic_fetch_add_explicit(&dl->released, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&dl->held, 1, memory_order_relaxed);
	}
}

/* Arm the timerfd at the earliest release time (absolute), or disarm it. */
static void rearm(struct fl_delayline *dl)
{
	const struct dl_held *top = dl_heap_top(&dl->heap);
	uint64_t want = top ? top->due_ns : 0;
	struct itimerspec its = { 0 };

	if (want == dl->armed_ns)
		return;
	its.it_value.tv_sec = (time_t)(want / NSEC_PER_SEC);
	its.it_value.tv_nsec = (long)(want % NSEC_PER_SEC);
	if (timerfd_settime(dl->timer_fd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		dl->armed_ns = want;
}

/* ---- configuration --------------------------------------------------------------------- */

static struct nlmsghdr *put_config(struct fl_delayline *dl, void *buf, uint8_t command)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = NFQ_TYPE(NFQNL_MSG_CONFIG);
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (++dl->seq == 0)
		dl->seq = 1;
	nlh->nlmsg_seq = dl->seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(dl->queue_num);
	if (command != NFQNL_CFG_CMD_NONE) {
		struct nfqnl_msg_config_cmd cmd = { .command = command, .pf = htons(AF_UNSPEC) };

		mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	}
	return nlh;
}

/*
 * Send one request and wait for its ACK. Packet messages that arrive meanwhile are handled
 * as usual (held, or accepted at once when stopping). Returns the kernel's answer.
 */
static int transact(struct fl_delayline *dl, const struct nlmsghdr *nlh)
{
	struct ack ack = { .seq = nlh->nlmsg_seq };
	uint64_t deadline = now_ns() + ACK_TIMEOUT_MS * 1000000ull;
	int r;

	r = send_buf(dl, nlh, nlh->nlmsg_len);
	if (r < 0)
		return r;
	while (!ack.done) {
		struct pollfd pfd = { .fd = dl->nl_fd, .events = POLLIN };
		uint64_t now = now_ns();

		if (now >= deadline)
			return -ETIMEDOUT;
		r = poll(&pfd, 1, (int)((deadline - now) / 1000000) + 1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0) {
			r = rx_once(dl, &ack);
			if (r < 0 && r != -EAGAIN && r != -EINTR)
				return r;
		}
	}
	tx_flush(dl);
	return ack.err;
}

static int bind_queue(struct fl_delayline *dl, uint32_t flags)
{
	char buf[256] __attribute__((aligned(8)));
	struct nfqnl_msg_config_params params = { .copy_range = htonl(0),
						  .copy_mode = NFQNL_COPY_META };
	uint64_t maxlen = (uint64_t)dl->spec.max_held + KERNEL_QUEUE_HEADROOM;
	struct nlmsghdr *nlh;

	/*
	 * Bind and configure in one message: the kernel binds, then applies the parameters,
	 * so no packet ever sees the default copy mode (NONE, which would drop it). Flags are
	 * checked before anything is bound, so an unsupported flag leaves no queue behind.
	 */
	nlh = put_config(dl, buf, NFQNL_CFG_CMD_BIND);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl((uint32_t)FL_MIN(maxlen, UINT32_MAX)));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	return transact(dl, nlh);
}

static int set_queue_maxlen(struct fl_delayline *dl, uint32_t maxlen)
{
	char buf[128] __attribute__((aligned(8)));
	struct nlmsghdr *nlh = put_config(dl, buf, NFQNL_CFG_CMD_NONE);

	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	return transact(dl, nlh);
}

static int unbind_queue(struct fl_delayline *dl)
{
	char buf[128] __attribute__((aligned(8)));

	return transact(dl, put_config(dl, buf, NFQNL_CFG_CMD_UNBIND));
}

/* Release everything and give the queue back (see the top of the file). */
static void shutdown_queue(struct fl_delayline *dl)
{
	dl->stopping = true;
	(void)set_queue_maxlen(dl, 0);
	for (int i = 0; i < STOP_DRAIN_ROUNDS; i++) {
		int n = rx_once(dl, NULL);

		if (n < 0 && n != -EINTR)
			break;
	}
	release_due(dl, 0, true);
	tx_flush(dl);
	(void)unbind_queue(dl);
}

/* ---- the thread ------------------------------------------------------------------------ */

static void *run(void *arg)
{
	struct fl_delayline *dl = arg;
	struct epoll_event evs[4];

	(void)pthread_setname_np(pthread_self(), "fl-delayline");
	/* The default 50 us timer slack would add to every release. */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
	for (;;) {
		bool stop = false;
		int n;

		rearm(dl);
		n = epoll_wait(dl->ep_fd, evs, (int)FL_ARRAY_SIZE(evs), -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break; /* cannot happen with our own fds; fail open below */
		}
		for (int i = 0; i < n; i++) {
			uint64_t ticks;

			switch (evs[i].data.u32) {
			case EV_STOP:
				stop = true;
				break;
			case EV_TIMER:
				(void)!read(dl->timer_fd, &ticks, sizeof(ticks));
				dl->armed_ns = 0;
				break;
			case EV_NETLINK:
				for (int round = 0; round < RX_ROUNDS; round++) {
					int r = rx_once(dl, NULL);

					/* A full batch or an overflow: more may be waiting. */
					if (r != RX_BATCH && r != 0 && r != -EINTR)
						break;
				}
				break;
			default:
				break;
			}
		}
		if (stop)
			break;
		release_due(dl, now_ns(), false);
		tx_flush(dl);
	}
	shutdown_queue(dl);
	return NULL;
}

/* ---- public ---------------------------------------------------------------------------- */

int fl_delayline_validate(const struct fl_delayline_spec *spec, struct fl_diag *diag)
{
	char a[32], b[32];

	if (!spec)
		return fl_diag_set(diag, -EINVAL, "delay line: no spec");
	if (spec->delay_ns == 0)
		return fl_diag_set(diag, -EINVAL, "delay: 0 does nothing; expected 1ns to 60s");
	if (spec->delay_ns > DELAY_MAX_NS) {
		fl_format_duration(spec->delay_ns, a, sizeof(a));
		return fl_diag_set(diag, -ERANGE, "delay: %s is above the maximum 60s", a);
	}
	if (spec->jitter_ns > spec->delay_ns) {
		fl_format_duration(spec->jitter_ns, a, sizeof(a));
		fl_format_duration(spec->delay_ns, b, sizeof(b));
		return fl_diag_set(diag, -EINVAL,
				   "jitter: %s is above the delay %s; expected jitter <= delay", a,
				   b);
	}
	if (spec->max_held > MAX_HELD_LIMIT)
		return fl_diag_set(diag, -ERANGE,
				   "max_held: %" PRIu32 " is above the maximum %u packets",
				   spec->max_held, MAX_HELD_LIMIT);
	return 0;
}

/* A NETLINK_NETFILTER socket created inside netns_path (NULL: ours), bound to a port. */
static int open_socket(struct fl_delayline *dl, const char *netns_path, struct fl_diag *diag)
{
	int size = RCVBUF_BYTES, one = 1, r;
	struct mnl_socket *sock;

	r = fl_nsock_create(netns_path, NETLINK_NETFILTER, &sock, diag);
	if (r == -EPROTONOSUPPORT)
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "the kernel has no nfnetlink (CONFIG_NETFILTER_NETLINK): "
				   "packets cannot be queued to userspace");
	if (r < 0)
		return r;
	dl->nl = sock;
	dl->nl_fd = mnl_socket_get_fd(sock);
	/* Room for bursts; FORCE goes beyond rmem_max (we are CAP_NET_ADMIN anyway). */
	if (setsockopt(dl->nl_fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof(size)) < 0)
		(void)setsockopt(dl->nl_fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	(void)mnl_socket_setsockopt(dl->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(dl->nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return fl_diag_set(diag, -errno, "netfilter netlink socket: bind: %s",
				   strerror(errno));
	return 0;
}

static int setup_events(struct fl_delayline *dl, struct fl_diag *diag)
{
	struct epoll_event ev = { .events = EPOLLIN };

	dl->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (dl->timer_fd < 0)
		return fl_diag_set(diag, -errno, "timerfd: %s", strerror(errno));
	dl->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dl->stop_fd < 0)
		return fl_diag_set(diag, -errno, "eventfd: %s", strerror(errno));
	dl->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (dl->ep_fd < 0)
		return fl_diag_set(diag, -errno, "epoll: %s", strerror(errno));
	ev.data.u32 = EV_NETLINK;
	if (epoll_ctl(dl->ep_fd, EPOLL_CTL_ADD, dl->nl_fd, &ev) < 0)
		return fl_diag_set(diag, -errno, "epoll: %s", strerror(errno));
	ev.data.u32 = EV_TIMER;
	if (epoll_ctl(dl->ep_fd, EPOLL_CTL_ADD, dl->timer_fd, &ev) < 0)
		return fl_diag_set(diag, -errno, "epoll: %s", strerror(errno));
	ev.data.u32 = EV_STOP;
	if (epoll_ctl(dl->ep_fd, EPOLL_CTL_ADD, dl->stop_fd, &ev) < 0)
		return fl_diag_set(diag, -errno, "epoll: %s", strerror(errno));
	return 0;
}

static void destroy(struct fl_delayline *dl)
{
	if (dl->ep_fd >= 0)
		(void)close(dl->ep_fd);
	if (dl->stop_fd >= 0)
		(void)close(dl->stop_fd);
	if (dl->timer_fd >= 0)
		(void)close(dl->timer_fd);
	if (dl->nl)
		(void)mnl_socket_close(dl->nl);
	dl_heap_fini(&dl->heap);
	free(dl->rx);
	free(dl->tx);
	free(dl);
}

static int bind_error(struct fl_delayline *dl, int r, struct fl_diag *diag)
{
	unsigned q = dl->queue_num;

	switch (r) {
	case -EPERM:
		/* The kernel says EPERM both to a non-admin and for a queue owned by another
		 * socket; only the first lacks CAP_NET_ADMIN. */
		if (!has_net_admin())
			return fl_diag_set(diag, -EPERM, "NFQUEUE %u: binding needs CAP_NET_ADMIN",
					   q);
		return fl_diag_set(diag, -EBUSY, "NFQUEUE %u is already bound in this namespace",
				   q);
	case -EBUSY:
		return fl_diag_set(diag, -EBUSY, "NFQUEUE %u is already bound in this namespace",
				   q);
	case -EINVAL:
		/* nfnetlink answers EINVAL for a subsystem it does not have (and cannot load). */
		return fl_diag_set(diag, -EOPNOTSUPP,
				   "NFQUEUE %u: the kernel has no nfnetlink_queue "
				   "(CONFIG_NETFILTER_NETLINK_QUEUE; try modprobe nfnetlink_queue)",
				   q);
	case -EOPNOTSUPP:
		return fl_diag_set(diag, r,
				   "NFQUEUE %u: the kernel cannot fail open (NFQA_CFG_F_FAIL_OPEN "
				   "needs Linux 3.6+)",
				   q);
	case -ETIMEDOUT:
		return fl_diag_set(diag, r, "NFQUEUE %u: no answer from the kernel in %d ms", q,
				   ACK_TIMEOUT_MS);
	default:
		return fl_diag_set(diag, r, "NFQUEUE %u: bind: %s", q, strerror(-r));
	}
}

int fl_delayline_start(const char *netns_path, uint16_t queue_num,
		       const struct fl_delayline_spec *spec, struct fl_delayline **ret,
		       struct fl_diag *diag)
{
	struct fl_delayline *dl;
	sigset_t all, old;
	int r;

	r = fl_delayline_validate(spec, diag);
	if (r < 0)
		return r;
	dl = calloc(1, sizeof(*dl));
	if (!dl)
		return fl_diag_set(diag, -ENOMEM, "delay line: out of memory");
	dl->nl_fd = dl->timer_fd = dl->stop_fd = dl->ep_fd = -1;
	dl->queue_num = queue_num;
	dl->spec = *spec;
	if (dl->spec.max_held == 0)
		dl->spec.max_held = MAX_HELD_DEFAULT;
	if (getrandom(&dl->rng, sizeof(dl->rng), GRND_NONBLOCK) != sizeof(dl->rng))
		dl->rng = now_ns() ^ (uint64_t)(uintptr_t)dl;
	dl->tx = malloc(TX_BUF);
	dl->rx = malloc((size_t)RX_BATCH * RX_BUF);
	if (!dl->tx || !dl->rx || dl_heap_init(&dl->heap, dl->spec.max_held) < 0) {
		uint32_t max_held = dl->spec.max_held;

		destroy(dl);
		return fl_diag_set(diag, -ENOMEM,
				   "delay line: out of memory for %" PRIu32 " held packets",
				   max_held);
	}
	for (int i = 0; i < RX_BATCH; i++) {
		dl->iov[i] = (struct iovec){ .iov_base = dl->rx + (size_t)i * RX_BUF,
					     .iov_len = RX_BUF };
		dl->msgs[i].msg_hdr = (struct msghdr){ .msg_name = &dl->from[i],
						       .msg_namelen = sizeof(dl->from[i]),
						       .msg_iov = &dl->iov[i],
						       .msg_iovlen = 1 };
	}

	r = open_socket(dl, netns_path, diag);
	if (r >= 0)
		r = setup_events(dl, diag);
	if (r < 0) {
		destroy(dl);
		return r;
	}
	r = bind_queue(dl, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
	if (r == -EOPNOTSUPP) /* before Linux 3.10: no GSO flag; packets get segmented */
		r = bind_queue(dl, NFQA_CFG_F_FAIL_OPEN);
	if (r < 0) {
		r = bind_error(dl, r, diag);
		destroy(dl);
		return r;
	}

	/* The thread takes no signals: they belong to the daemon's main thread. */
	sigfillset(&all);
	(void)pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&dl->thread, NULL, run, dl);
	(void)pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		shutdown_queue(dl);
		destroy(dl);
		return fl_diag_set(diag, -r, "delay line: cannot start a thread: %s", strerror(r));
	}
	dl->thread_started = true;
	*ret = dl;
	return 0;
}

void fl_delayline_get_stats(struct fl_delayline *dl, struct fl_delayline_stats *ret)
{
	if (!dl) {
		*ret = (struct fl_delayline_stats){ 0 };
		return;
	}
	*ret = (struct fl_delayline_stats){
		.received = atomic_load_explicit(&dl->received, memory_order_relaxed),
		.released = atomic_load_explicit(&dl->released, memory_order_relaxed),
		.overflow = atomic_load_explicit(&dl->overflow, memory_order_relaxed),
		.held = atomic_load_explicit(&dl->held, memory_order_relaxed),
		.enobufs = atomic_load_explicit(&dl->enobufs, memory_order_relaxed),
	};
}

struct fl_delayline *fl_delayline_stop(struct fl_delayline *dl)
{
	uint64_t one = 1;

	if (!dl)
		return NULL;
	if (dl->thread_started) {
		while (write(dl->stop_fd, &one, sizeof(one)) < 0 && errno == EINTR)
			;
		(void)pthread_join(dl->thread, NULL);
	}
	destroy(dl);
	return NULL;
}
