/* SPDX-License-Identifier: MIT */
/*
 * Bandwidth limits with tbf. We send the burst in bytes (TCA_TBF_BURST) and mark the rate
 * as link-layer aware, so the kernel neither needs nor reads tc's 1 KiB rate table.
 */
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>

#include "fl/units.h"
#include "internal.h"

/*
 * 200 ms of queue unless told otherwise: with the 50 ms often used with tc, TCP through the
 * bucket swung between 45 % and 100 % of the rate from run to run (measured, docs/netem.md).
 */
#define TBF_DEFAULT_LATENCY_NS 200000000ull
#define TBF_MIN_BURST	       16384u /* above a GSO-less MTU, enough for small rates */

uint32_t fl_tbf_burst(const struct fl_tbf_spec *spec)
{
	uint64_t b;

	if (spec->burst_bytes)
		return spec->burst_bytes;
	/* 10 ms worth of traffic: smooth at high rates, never below a few packets. */
	b = spec->rate_bytes_per_s / 100;
	if (b < TBF_MIN_BURST)
		b = TBF_MIN_BURST;
	return b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

uint32_t fl_tbf_limit(const struct fl_tbf_spec *spec)
{
	uint64_t latency = spec->latency_ns ? spec->latency_ns : TBF_DEFAULT_LATENCY_NS;
	double lim;

	if (spec->limit_bytes)
		return spec->limit_bytes;
	/* tc: limit = rate * latency + burst. */
	lim = (double)spec->rate_bytes_per_s * ((double)latency / 1e9) + fl_tbf_burst(spec);
	return lim >= UINT32_MAX ? UINT32_MAX : (uint32_t)lim;
}

int fl_tbf_validate(const struct fl_tbf_spec *spec, struct fl_diag *diag)
{
	if (spec->rate_bytes_per_s == 0)
		return fl_diag_set(diag, -EINVAL, "rate: a bandwidth limit needs a rate above 0");
	/* Below 8 bit/s one packet takes hours: surely a unit mistake. */
	if (spec->rate_bytes_per_s < 1)
		return fl_diag_set(diag, -EINVAL, "rate: below 8bit/s");
	if (spec->latency_ns > FL_NETEM_MAX_DELAY_NS)
		return fl_diag_set(diag, -EINVAL, "latency: longer than the 1h maximum");
	if (fl_tbf_burst(spec) < 1500)
		return fl_diag_set(diag, -EINVAL,
				   "burst: %u bytes is below one 1500-byte packet; nothing larger "
				   "would ever pass",
				   fl_tbf_burst(spec));
	if (fl_tbf_limit(spec) < fl_tbf_burst(spec) && spec->limit_bytes)
		return fl_diag_set(diag, -EINVAL, "limit: %u bytes is below the burst (%u bytes)",
				   spec->limit_bytes, fl_tbf_burst(spec));
	return 0;
}

/* Transmission time of `bytes` at `rate` in scheduler ticks, as tc_calc_xmittime(). */
static uint32_t xmit_ticks(uint64_t rate, uint32_t bytes)
{
	double ns = (double)bytes * 1e9 / (double)rate;

	return fl_ns_to_ticks((uint64_t)ns, NULL);
}

int fl_tbf_put_options(struct nlmsghdr *nlh, size_t size, const struct fl_tbf_spec *spec)
{
	uint64_t rate64 = spec->rate_bytes_per_s;
	uint32_t burst = fl_tbf_burst(spec);
	struct tc_tbf_qopt q = {
		.rate = { .rate = rate64 >= (1ull << 32) ? UINT32_MAX : (uint32_t)rate64,
			  .linklayer = TC_LINKLAYER_ETHERNET },
		.limit = fl_tbf_limit(spec),
		.buffer = xmit_ticks(rate64, burst),
	};
	struct nlattr *nest;
	int r;

	if (!(nest = fl_attr_nest_start(nlh, size, TCA_OPTIONS)))
		return -ENOSPC;
	if ((r = fl_attr_put(nlh, size, TCA_TBF_PARMS, sizeof(q), &q)) < 0 ||
	    (r = fl_attr_put(nlh, size, TCA_TBF_BURST, sizeof(burst), &burst)) < 0)
		return r;
	if (rate64 >= (1ull << 32) &&
	    (r = fl_attr_put(nlh, size, TCA_TBF_RATE64, sizeof(rate64), &rate64)) < 0)
		return r;
	fl_attr_nest_end(nlh, nest);
	return 0;
}

ssize_t fl_tbf_encode_options(const struct fl_tbf_spec *spec, void *buf, size_t size)
{
	struct nlmsghdr *nlh;
	size_t len;
	int r;

	if (fl_tbf_validate(spec, NULL) < 0)
		return -EINVAL;
	if (size < MNL_NLMSG_HDRLEN)
		return -ENOSPC;
	memset(buf, 0, MNL_NLMSG_HDRLEN);
	nlh = mnl_nlmsg_put_header(buf);
	if ((r = fl_tbf_put_options(nlh, size, spec)) < 0)
		return r;
	len = nlh->nlmsg_len - MNL_NLMSG_HDRLEN;
	memmove(buf, (char *)buf + MNL_NLMSG_HDRLEN, len);
	return (ssize_t)len;
}

struct tbf_attrs {
	const struct nlattr *tb[TCA_TBF_MAX + 1];
};

static int collect(const struct nlattr *attr, void *data)
{
	struct tbf_attrs *t = data;
	uint16_t type = mnl_attr_get_type(attr);

	if (type <= TCA_TBF_MAX)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

int fl_tbf_decode_options(const void *payload, size_t len, struct fl_tbf_spec *ret_spec,
			  struct fl_diag *diag)
{
	struct tbf_attrs t = { 0 };
	struct fl_tbf_spec s = { 0 };
	struct tc_tbf_qopt q;

	if (mnl_attr_parse_payload(payload, len, collect, &t) < 0)
		return fl_diag_set(diag, -EBADMSG, "tbf options: malformed attribute");
	if (!t.tb[TCA_TBF_PARMS] || mnl_attr_get_payload_len(t.tb[TCA_TBF_PARMS]) < sizeof(q))
		return fl_diag_set(diag, -EBADMSG, "tbf options: TCA_TBF_PARMS missing or short");
	memcpy(&q, mnl_attr_get_payload(t.tb[TCA_TBF_PARMS]), sizeof(q));
	s.rate_bytes_per_s = q.rate.rate;
	if (t.tb[TCA_TBF_RATE64]) {
		if (mnl_attr_get_payload_len(t.tb[TCA_TBF_RATE64]) < sizeof(uint64_t))
			return fl_diag_set(diag, -EBADMSG, "tbf options: short TCA_TBF_RATE64");
		memcpy(&s.rate_bytes_per_s, mnl_attr_get_payload(t.tb[TCA_TBF_RATE64]),
		       sizeof(uint64_t));
	}
	s.limit_bytes = q.limit;
	if (t.tb[TCA_TBF_BURST] && mnl_attr_get_payload_len(t.tb[TCA_TBF_BURST]) >= 4) {
		memcpy(&s.burst_bytes, mnl_attr_get_payload(t.tb[TCA_TBF_BURST]), 4);
	} else if (s.rate_bytes_per_s) {
		/* Kernel dumps carry only the bucket as time: convert back to bytes. */
		double bytes =
			(double)q.buffer * FL_PSCHED_NS_PER_TICK / 1e9 * (double)s.rate_bytes_per_s;
		s.burst_bytes = bytes >= UINT32_MAX ? UINT32_MAX : (uint32_t)(bytes + 0.5);
	}
	*ret_spec = s;
	return 0;
}
