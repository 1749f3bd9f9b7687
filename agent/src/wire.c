/* SPDX-License-Identifier: MIT */
/*
 * The wire check's rules (what a fault must do to a TCP connect) and their verdicts. The
 * measurement itself is in wire_net.c.
 *
 * Why the median of 3 and "half the least delay": a no-op's connect times stay where they
 * were (tens of microseconds over a veth, a few milliseconds on a loaded 2-core machine:
 * one attempt may stall, the median of three shrugs it off), while every SYN (egress) or
 * SYN-ACK (ingress) of a delayed path waits at least the least delay — delay - jitter for
 * uniform jitter, delay - 2 x jitter where jitter is a standard deviation (netem with a
 * distribution table; above it 97.7 % of the time). Half of that, never below 10 ms
 * (FL_WIRE_LEAST_MIN_NS / 2), leaves the noise a wide margin on both sides.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl/units.h"
#include "wire.h"

#define NS_PER_MS 1000000.0

static void format_dest(const struct fl_netem_match *m, char *buf, size_t size)
{
	char a[INET6_ADDRSTRLEN] = "?";

	(void)inet_ntop(m->family, m->addr, a, sizeof(a));
	if (m->family == AF_INET6)
		(void)snprintf(buf, size, "[%s]:%u", a, m->port);
	else
		(void)snprintf(buf, size, "%s:%u", a, m->port);
}

static void fill_sockaddr(const struct fl_netem_match *m, struct fl_wire_dest *d)
{
	memset(&d->sa, 0, sizeof(d->sa));
	if (m->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&d->sa;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(m->port);
		memcpy(&s6->sin6_addr, m->addr, 16);
		d->sa_len = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&d->sa;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(m->port);
		memcpy(&s4->sin_addr, m->addr, 4);
		d->sa_len = sizeof(*s4);
	}
}

/* The fault's destinations: "to" (for network, the matches that are not sources). */
static const struct fl_netem_match *destinations(const struct fl_fault_req *req, unsigned *ret_n)
{
	switch (req->kind) {
	case FL_FAULT_NETWORK:
		*ret_n = req->u.net.n_matches;
		return req->u.net.matches;
	case FL_FAULT_PARTITION:
		*ret_n = req->u.nft.n_peers;
		return req->u.nft.peers;
	case FL_FAULT_DELAY:
		*ret_n = req->u.delay.steer.n_peers;
		return req->u.delay.steer.peers;
	default:
		*ret_n = 0;
		return NULL;
	}
}

/* What a delay kind promises: its delay, jitter and the least delay of any packet. */
static int delay_expectation(const struct fl_fault_req *req, struct fl_wire *w,
			     struct fl_diag *diag)
{
	const char *jitter_is = "delay - jitter";
	char d[32], j[32], l[32], m[32];
	uint64_t spread;

	if (req->kind == FL_FAULT_NETWORK) {
		const struct fl_netem_spec *ns = &req->u.net.netem;

		if (ns->delay_ns == 0)
			return fl_diag_set(diag, -EINVAL,
					   "verify.wire: netem without a delay (the wire check "
					   "measures connect times: kind network needs \"delay\" "
					   "above 0)");
		w->delay_ns = ns->delay_ns;
		w->jitter_ns = ns->jitter_ns;
		spread = ns->jitter_ns;
		if (ns->distribution != FL_NETEM_DIST_NONE) {
			/* The jitter of a distribution table is a standard deviation. */
			spread = 2 * ns->jitter_ns;
			jitter_is = "delay - 2 x jitter, jitter being a standard deviation with "
				    "a distribution";
		}
	} else {
		w->delay_ns = req->u.delay.spec.delay_ns;
		w->jitter_ns = req->u.delay.spec.jitter_ns;
		spread = w->jitter_ns;
	}
	w->least_ns = w->delay_ns > spread ? w->delay_ns - spread : 0;
	fl_format_duration(w->delay_ns, d, sizeof(d));
	fl_format_duration(w->jitter_ns, j, sizeof(j));
	if (w->delay_ns + w->jitter_ns > FL_WIRE_DELAY_MAX_NS) {
		fl_format_duration(FL_WIRE_DELAY_MAX_NS, m, sizeof(m));
		return fl_diag_set(diag, -EINVAL,
				   "verify.wire: delay %s + jitter %s is above what the wire check "
				   "waits for (delay + jitter <= %s)",
				   d, j, m);
	}
	if (w->least_ns < FL_WIRE_LEAST_MIN_NS) {
		fl_format_duration(w->least_ns, l, sizeof(l));
		fl_format_duration(FL_WIRE_LEAST_MIN_NS, m, sizeof(m));
		return fl_diag_set(diag, -EINVAL,
				   "verify.wire: delay %s with jitter %s leaves %s that every "
				   "packet is delayed (%s): too little to tell from noise (the "
				   "wire check needs at least %s)",
				   d, j, l, jitter_is, m);
	}
	/* Room for the delay both ways (a SYN retransmission aside) and a loaded machine. */
	w->timeout_ns = 2 * (w->delay_ns + w->jitter_ns) + FL_WIRE_TIMEOUT_SLACK_NS;
	if (w->timeout_ns < FL_WIRE_MIN_TIMEOUT_NS)
		w->timeout_ns = FL_WIRE_MIN_TIMEOUT_NS;
	return 0;
}

int fl_wire_prepare(const struct fl_fault_req *req, struct fl_wire *ret, struct fl_diag *diag)
{
	const struct fl_netem_match *m;
	struct fl_wire w = { 0 };
	unsigned n, to_index = 0;
	char text[64];
	int r;

	if (req->kind != FL_FAULT_NETWORK && req->kind != FL_FAULT_PARTITION &&
	    req->kind != FL_FAULT_DELAY)
		return fl_diag_set(diag, -EINVAL,
				   "verify.wire: not for kind %s (only for network, delay and "
				   "partition: the faults a TCP connect shows)",
				   fl_fault_kind_name(req->kind));
	m = destinations(req, &n);
	for (unsigned i = 0; i < n; i++) {
		if (m[i].source)
			continue;
		format_dest(&m[i], text, sizeof(text));
		if (m[i].prefix_len != (m[i].family == AF_INET6 ? 128 : 32))
			return fl_diag_set(diag, -EINVAL,
					   "verify.wire: to[%u] is a network (/%u), not one "
					   "address: the wire check connects to every destination "
					   "(expected e.g. \"10.0.0.5:9092\")",
					   to_index, m[i].prefix_len);
		if (!m[i].port)
			return fl_diag_set(
				diag, -EINVAL,
				"verify.wire: to[%u] has no port: the wire check "
				"connects to every destination, so each needs a TCP port "
				"(expected e.g. \"10.0.0.5:9092\")",
				to_index);
		if (m[i].ip_proto != IPPROTO_TCP)
			return fl_diag_set(diag, -EINVAL,
					   "verify.wire: to[%u] \"udp:%s\" is UDP: the wire check "
					   "measures TCP connects",
					   to_index, text);
		memcpy(w.d[w.n].to, text, sizeof(text));
		fill_sockaddr(&m[i], &w.d[w.n]);
		w.n++;
		to_index++;
	}
	if (w.n == 0)
		return fl_diag_set(diag, -EINVAL,
				   "verify.wire: needs \"to\" with the destinations to measure "
				   "(address and TCP port, e.g. [\"10.0.0.5:9092\"])");
	if (req->kind == FL_FAULT_PARTITION) {
		w.cut = true;
		w.timeout_ns = FL_WIRE_MIN_TIMEOUT_NS;
	} else if ((r = delay_expectation(req, &w, diag)) < 0) {
		return r;
	}
	*ret = w;
	return 0;
}

/* ---- verdicts ------------------------------------------------------------------------ */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median of the attempts' times (the timeout for a timed-out one); 0 for none. */
static uint64_t median_ns(const struct fl_wire_attempt *a, unsigned n, bool connected_only)
{
	uint64_t v[FL_WIRE_ATTEMPTS];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++)
		if (!connected_only || a[i].err == 0)
			v[k++] = a[i].ns;
	if (k == 0)
		return 0;
	qsort(v, k, sizeof(v[0]), cmp_u64);
	return k % 2 ? v[k / 2] : (v[k / 2 - 1] + v[k / 2]) / 2;
}

static double ms(uint64_t ns)
{
	return (double)ns / NS_PER_MS;
}

/* "connect timed out after 1000 ms", "Connection refused": what one attempt ended in. */
static void outcome(const struct fl_wire_attempt *a, char *buf, size_t size)
{
	if (a->err == -ETIMEDOUT)
		(void)snprintf(buf, size, "connect timed out after %.0f ms", ms(a->ns));
	else
		(void)snprintf(buf, size, "%s", strerror(-a->err));
}

enum fl_wire_verdict fl_wire_judge_before(struct fl_wire *w, char *msg, size_t size)
{
	char why[96];

	for (unsigned i = 0; i < w->n; i++) {
		const struct fl_wire_dest *d = &w->d[i];

		for (unsigned k = 0; k < d->n_before; k++) {
			if (d->before[k].err == 0)
				continue;
			outcome(&d->before[k], why, sizeof(why));
			(void)snprintf(msg, size,
				       "wire check: cannot judge %s: connect before the fault "
				       "failed (%s%s); nothing was changed",
				       d->to, why,
				       d->before[k].err == -ECONNREFUSED ? ": nothing listens there"
									 : "");
			return w->verdict = FL_WIRE_CANNOT_JUDGE;
		}
	}
	return w->verdict = FL_WIRE_MEASURING;
}

/* How many attempts after the change failed, and the first failure's text. */
static unsigned failures(const struct fl_wire_dest *d, char *first, size_t size)
{
	unsigned n = 0;

	first[0] = '\0';
	for (unsigned k = 0; k < d->n_after; k++)
		if (d->after[k].err != 0 && n++ == 0)
			outcome(&d->after[k], first, size);
	return n;
}

enum fl_wire_verdict fl_wire_judge_after(struct fl_wire *w, char *msg, size_t size)
{
	char why[96], dd[32];

	fl_format_duration(w->delay_ns, dd, sizeof(dd));
	for (unsigned i = 0; i < w->n; i++) {
		const struct fl_wire_dest *d = &w->d[i];
		uint64_t before = median_ns(d->before, d->n_before, true);
		uint64_t after = median_ns(d->after, d->n_after, false);
		unsigned failed = failures(d, why, sizeof(why));

		if (w->cut && failed < d->n_after) {
			(void)snprintf(
				msg, size,
				"wire check: connect to %s took %.2f ms before and still "
				"succeeded after the partition (%u of %u attempts, %.2f ms): "
				"the fault has no effect on this path",
				d->to, ms(before), d->n_after - failed, d->n_after,
				ms(median_ns(d->after, d->n_after, true)));
			return w->verdict = FL_WIRE_NO_EFFECT;
		}
		if (!w->cut && (after < before || after - before < w->least_ns / 2)) {
			char also[160] = "";

			if (failed)
				(void)snprintf(also, sizeof(also),
					       " (%u of %u attempts failed: %s)", failed,
					       d->n_after, why);
			(void)snprintf(msg, size,
				       "wire check: connect to %s took %.2f ms before and %.2f ms "
				       "after a %s delay%s: the fault has no effect on this path",
				       d->to, ms(before), ms(after), dd, also);
			return w->verdict = FL_WIRE_NO_EFFECT;
		}
	}
	return w->verdict = FL_WIRE_EFFECT;
}

/* ---- JSON ---------------------------------------------------------------------------- */

/* Milliseconds with 0.01 ms resolution (json_dumps prints them short with a precision). */
static json_t *ms_json(uint64_t ns)
{
	return json_real(round(ms(ns) * 100.0) / 100.0);
}

static json_t *attempts_json(const struct fl_wire_attempt *a, unsigned n)
{
	json_t *arr = json_array();

	for (unsigned i = 0; i < n; i++)
		json_array_append_new(arr, a[i].err == 0 ? ms_json(a[i].ns) : json_null());
	return arr;
}

static json_t *dest_json(const struct fl_wire *w, const struct fl_wire_dest *d)
{
	json_t *o = json_pack("{s:s, s:i}", "to", d->to, "attempts", (int)FL_WIRE_ATTEMPTS);
	char why[96], text[160];
	unsigned failed;

	if (!o)
		return NULL;
	if (d->n_before) {
		json_object_set_new(o, "baselineMs",
				    ms_json(median_ns(d->before, d->n_before, true)));
		json_object_set_new(o, "baselineAttemptsMs", attempts_json(d->before, d->n_before));
	}
	if (!d->n_after)
		return o;
	failed = failures(d, why, sizeof(why));
	if (!w->cut || failed < d->n_after)
		json_object_set_new(o, "faultedMs",
				    ms_json(median_ns(d->after, d->n_after, w->cut)));
	json_object_set_new(o, "faultedAttemptsMs", attempts_json(d->after, d->n_after));
	if (failed) {
		if (failed == d->n_after)
			(void)snprintf(text, sizeof(text), "%s", why);
		else
			(void)snprintf(text, sizeof(text), "%s (%u of %u attempts)", why, failed,
				       d->n_after);
		json_object_set_new(o, "faulted", json_string(text));
	}
	return o;
}

json_t *fl_wire_json(const struct fl_wire *w)
{
	static const char *const verdicts[] = { "measuring", "effect", "no-effect",
						"cannot-judge" };
	json_t *o, *dests = json_array();
	char rule[160], least[32];

	for (unsigned i = 0; i < w->n; i++)
		json_array_append_new(dests, dest_json(w, &w->d[i]));
	if (w->cut) {
		(void)snprintf(rule, sizeof(rule),
			       "every connect after the change fails (times out after %.0f ms "
			       "or is refused)",
			       ms(w->timeout_ns));
	} else {
		fl_format_duration(w->least_ns, least, sizeof(least));
		(void)snprintf(rule, sizeof(rule),
			       "median connect time rises by at least %.1f ms (half of %s, the "
			       "least delay of every packet)",
			       ms(w->least_ns / 2), least);
	}
	o = json_pack("{s:s, s:s, s:o, s:o, s:o}", "verdict", verdicts[w->verdict], "rule", rule,
		      "timeoutMs", ms_json(w->timeout_ns), "tookMs", ms_json(w->took_ns),
		      "destinations", dests);
	return o;
}
