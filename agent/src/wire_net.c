/* SPDX-License-Identifier: MIT */
/*
 * The wire check's measurement: non-blocking TCP connects from sockets born in the target's
 * network namespace (fl_nsock_sockets: a short-lived thread enters it, creates them, exits;
 * no thread of ours stays in the wrong namespace), timed from connect() to the moment poll
 * reports the outcome.
 *
 * Each attempt costs the destination one handshake: a connection that completes is closed
 * at once with close() — a FIN, not a RST, so the server sees an ordinary client that said
 * nothing; one still in SYN-SENT at the timeout is dropped without a packet.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fl/nsock.h"
#include "wire.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One socket per destination, each of its family, all made inside the namespace. */
static int open_sockets(const struct fl_wire *w, const char *netns_path, int *fds,
			struct fl_diag *diag)
{
	int v4[FL_NETEM_MAX_MATCHES], v6[FL_NETEM_MAX_MATCHES];
	unsigned n4 = 0, n6 = 0, i4 = 0, i6 = 0;
	int r;

	for (unsigned i = 0; i < w->n; i++) {
		if (w->d[i].sa.ss_family == AF_INET6)
			n6++;
		else
			n4++;
	}
	if ((r = fl_nsock_sockets(netns_path, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, n4, v4, diag)) <
	    0)
		return r;
	if ((r = fl_nsock_sockets(netns_path, AF_INET6, SOCK_STREAM | SOCK_NONBLOCK, n6, v6,
				  diag)) < 0) {
		for (unsigned i = 0; i < n4; i++)
			(void)close(v4[i]);
		return r;
	}
	for (unsigned i = 0; i < w->n; i++)
		fds[i] = w->d[i].sa.ss_family == AF_INET6 ? v6[i6++] : v4[i4++];
	return 0;
}

/* One attempt to every destination at once; results into before[k] or after[k]. */
static int round_trip(struct fl_wire *w, const char *netns_path, bool after, unsigned k,
		      uint64_t timeout_ns, struct fl_diag *diag)
{
	int fds[FL_NETEM_MAX_MATCHES];
	uint64_t t0[FL_NETEM_MAX_MATCHES];
	bool pending[FL_NETEM_MAX_MATCHES];
	unsigned left = 0;
	int r;

	if ((r = open_sockets(w, netns_path, fds, diag)) < 0)
		return r;
	for (unsigned i = 0; i < w->n; i++) {
		struct fl_wire_attempt *a = after ? &w->d[i].after[k] : &w->d[i].before[k];

		t0[i] = now_ns();
		pending[i] = false;
		if (connect(fds[i], (struct sockaddr *)&w->d[i].sa, w->d[i].sa_len) == 0) {
			*a = (struct fl_wire_attempt){ 0, now_ns() - t0[i] };
		} else if (errno == EINPROGRESS) {
			pending[i] = true;
			left++;
		} else {
			*a = (struct fl_wire_attempt){ -errno, now_ns() - t0[i] };
		}
	}
	while (left > 0) {
		struct pollfd pfd[FL_NETEM_MAX_MATCHES];
		unsigned idx[FL_NETEM_MAX_MATCHES], n = 0;
		uint64_t now = now_ns(), wait_ns = 0;
		int ready;

		for (unsigned i = 0; i < w->n; i++) {
			struct fl_wire_attempt *a = after ? &w->d[i].after[k] : &w->d[i].before[k];

			if (!pending[i])
				continue;
			if (now - t0[i] >= timeout_ns) {
				*a = (struct fl_wire_attempt){ -ETIMEDOUT, timeout_ns };
				pending[i] = false;
				left--;
				continue;
			}
			if (timeout_ns - (now - t0[i]) > wait_ns)
				wait_ns = timeout_ns - (now - t0[i]);
			pfd[n] = (struct pollfd){ .fd = fds[i], .events = POLLOUT };
			idx[n++] = i;
		}
		if (n == 0)
			break;
		ready = poll(pfd, n, (int)((wait_ns + 999999) / 1000000));
		if (ready < 0 && errno != EINTR) {
			r = fl_diag_set(diag, -errno, "wire check: poll: %s", strerror(errno));
			break;
		}
		for (unsigned j = 0; ready > 0 && j < n; j++) {
			unsigned i = idx[j];
			struct fl_wire_attempt *a = after ? &w->d[i].after[k] : &w->d[i].before[k];
			int err = 0;
			socklen_t len = sizeof(err);

			if (!pfd[j].revents)
				continue;
			if (getsockopt(fds[i], SOL_SOCKET, SO_ERROR, &err, &len) < 0)
				err = errno;
			*a = (struct fl_wire_attempt){ -err, now_ns() - t0[i] };
			pending[i] = false;
			left--;
		}
	}
	for (unsigned i = 0; i < w->n; i++)
		(void)close(fds[i]);
	return r;
}

static bool any_failed(const struct fl_wire *w, unsigned k)
{
	for (unsigned i = 0; i < w->n; i++)
		if (w->d[i].before[k].err != 0)
			return true;
	return false;
}

int fl_wire_measure(struct fl_wire *w, const char *netns_path, bool after, struct fl_diag *diag)
{
	uint64_t timeout = after ? w->timeout_ns : FL_WIRE_BEFORE_TIMEOUT_NS, t0 = now_ns();
	int r = 0;

	for (unsigned k = 0; k < FL_WIRE_ATTEMPTS; k++) {
		if ((r = round_trip(w, netns_path, after, k, timeout, diag)) < 0)
			break;
		for (unsigned i = 0; i < w->n; i++) {
			if (after)
				w->d[i].n_after = k + 1;
			else
				w->d[i].n_before = k + 1;
		}
		/* A path that does not work before the change cannot be judged: stop. */
		if (!after && any_failed(w, k))
			break;
	}
	w->took_ns += now_ns() - t0;
	return r;
}
