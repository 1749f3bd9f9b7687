/* SPDX-License-Identifier: MIT */
/*
 * A spec rendered back in tc's syntax: what `faultline netem show` prints, what logs and
 * reports say a fault was. fl_netem_parse_tc() of the output gives the same spec back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fl/units.h"
#include "internal.h"

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, const char *fmt, ...) _printf_(2, 3);
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	/* Words are separated by one space; the first has none. */
	if (o->len > 0) {
		if (o->len + 1 < o->size) {
			o->buf[o->len] = ' ';
			o->buf[o->len + 1] = '\0';
		}
		o->len++;
	}
	va_start(ap, fmt);
	n = vsnprintf(o->len < o->size ? o->buf + o->len : NULL,
		      o->len < o->size ? o->size - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void put_time(struct out *o, uint64_t ns)
{
	char t[32];

	fl_format_duration(ns, t, sizeof(t));
	put(o, "%s", t);
}

static void put_loss(struct out *o, const struct fl_netem_loss *l)
{
	switch (l->model) {
	case FL_NETEM_LOSS_RANDOM:
		put(o, "loss random %g%%", l->percent);
		if (l->correlation > 0)
			put(o, "%g%%", l->correlation);
		break;
	case FL_NETEM_LOSS_STATE:
		put(o, "loss state %g%% %g%% %g%% %g%% %g%%", l->p13, l->p31, l->p32, l->p23,
		    l->p14);
		break;
	case FL_NETEM_LOSS_GEMODEL:
		put(o, "loss gemodel %g%% %g%% %g%% %g%%", l->ge_p, l->ge_r, l->ge_1_h, l->ge_1_k);
		break;
	case FL_NETEM_LOSS_NONE:
		break;
	}
}

size_t fl_netem_format_tc(const struct fl_netem_spec *s, char *buf, size_t size)
{
	struct out o = { .buf = buf, .size = size };
	char rate[32];

	if (size)
		buf[0] = '\0';
	if (s->limit && s->limit != FL_NETEM_DEFAULT_LIMIT)
		put(&o, "limit %u", s->limit);
	if (s->delay_ns) {
		put(&o, "delay");
		put_time(&o, s->delay_ns);
		if (s->jitter_ns) {
			put_time(&o, s->jitter_ns);
			if (s->delay_correlation > 0)
				put(&o, "%g%%", s->delay_correlation);
		}
		if (s->distribution != FL_NETEM_DIST_NONE)
			put(&o, "distribution %s", fl_netem_dist_name(s->distribution));
	}
	put_loss(&o, &s->loss);
	if (s->ecn)
		put(&o, "ecn");
	if (s->duplicate > 0) {
		put(&o, "duplicate %g%%", s->duplicate);
		if (s->duplicate_correlation > 0)
			put(&o, "%g%%", s->duplicate_correlation);
	}
	if (s->corrupt > 0) {
		put(&o, "corrupt %g%%", s->corrupt);
		if (s->corrupt_correlation > 0)
			put(&o, "%g%%", s->corrupt_correlation);
	}
	if (s->reorder > 0) {
		put(&o, "reorder %g%%", s->reorder);
		if (s->reorder_correlation > 0)
			put(&o, "%g%%", s->reorder_correlation);
	}
	if (s->gap && !(s->reorder > 0 && s->gap == 1))
		put(&o, "gap %u", s->gap);
	if (s->rate_bytes_per_s) {
		fl_format_rate(s->rate_bytes_per_s, rate, sizeof(rate));
		put(&o, "rate %s", rate);
		if (s->rate_packet_overhead || s->rate_cell_size || s->rate_cell_overhead)
			put(&o, "%d", s->rate_packet_overhead);
		if (s->rate_cell_size || s->rate_cell_overhead)
			put(&o, "%u", s->rate_cell_size);
		if (s->rate_cell_overhead)
			put(&o, "%d", s->rate_cell_overhead);
	}
	if (s->slot.enabled) {
		if (s->slot.dist != FL_NETEM_DIST_NONE) {
			put(&o, "slot distribution %s", fl_netem_dist_name(s->slot.dist));
			put_time(&o, s->slot.dist_delay_ns);
			put_time(&o, s->slot.dist_jitter_ns);
		} else {
			put(&o, "slot");
			put_time(&o, s->slot.min_delay_ns);
			put_time(&o, s->slot.max_delay_ns);
		}
		if (s->slot.max_packets)
			put(&o, "packets %d", s->slot.max_packets);
		if (s->slot.max_bytes)
			put(&o, "bytes %d", s->slot.max_bytes);
	}
	return o.len;
}
