/* SPDX-License-Identifier: MIT */
#include <linux/if.h>
#include <stdarg.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>

#include "../../netem/src/internal.h"
#include "faultutil.h"
#include "fltest.h"

struct fl_netem_fault faultutil_parse(const char *words, enum fl_netem_direction dir,
				      const char *const *targets)
{
	struct fl_netem_fault f = { .direction = dir };
	struct fl_diag diag = { 0 };
	char buf[512], *argv[64], *save = NULL;
	int argc = 0, r;

	(void)snprintf(buf, sizeof(buf), "%s", words);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 64; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	if (argc > 0 && strcmp(argv[0], "tbf") == 0) {
		f.kind = FL_NETEM_FAULT_TBF;
		r = fl_tbf_parse_tc(argc - 1, argv + 1, &f.tbf, &diag);
	} else {
		f.kind = FL_NETEM_FAULT_NETEM;
		r = fl_netem_parse_tc(argc, argv, &f.netem, &diag);
	}
	if (r < 0)
		FL_FAIL("fault \"%s\": %s", words, diag.msg);
	for (; targets && *targets; targets++) {
		if (fl_netem_match_parse(*targets, false, &f.matches[f.n_matches], &diag) < 0)
			FL_FAIL("target \"%s\": %s", *targets, diag.msg);
		f.n_matches++;
	}
	return f;
}

static void free_nl(void *nl)
{
	fl_nl_free(nl);
}

struct fl_nl *faultutil_nl(const struct testnet_ns *ns)
{
	struct fl_diag diag = { 0 };
	struct fl_nl *nl;

	if (fl_nl_open(ns ? ns->path : NULL, &nl, &diag) < 0)
		FL_FAIL("fl_nl_open(%s): %s", ns ? ns->path : "self", diag.msg);
	fltest_defer(free_nl, nl);
	return nl;
}

void faultutil_apply(struct fl_nl *nl, const char *ifname, const struct fl_netem_fault *fault)
{
	struct fl_diag diag = { 0 };
	int r = fl_netem_apply(nl, ifname, fault, &diag);

	if (r < 0)
		FL_FAIL("apply on %s: %s (%d)", ifname, diag.msg, r);
}

static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int w;

	if (*n >= size)
		return;
	va_start(ap, fmt);
	w = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (w > 0)
		*n += (size_t)w;
}

void faultutil_snapshot(struct fl_nl *nl, char *buf, size_t size)
{
	struct fl_tc_list qdiscs;
	size_t n = 0;

	buf[0] = '\0';
	if (fl_tc_dump(nl, RTM_GETQDISC, 0, 0, &qdiscs, NULL) < 0)
		FL_FAIL("qdisc dump failed");
	for (size_t i = 0; i < qdiscs.n; i++) {
		const struct fl_tc_obj *q = &qdiscs.v[i];
		char ifname[IFNAMSIZ] = "?";
		struct fl_tc_list filters;

		if (fl_nl_ifname(nl, q->ifindex, ifname, sizeof(ifname)) < 0)
			ifname[0] = '?', ifname[1] = '\0';
		append(buf, size, &n, "qdisc %s %x parent %x on %s\n", q->kind, q->handle,
		       q->parent, ifname);
		if (q->handle == 0 ||
		    fl_tc_dump(nl, RTM_GETTFILTER, q->ifindex, q->handle, &filters, NULL) < 0)
			continue;
		for (size_t j = 0; j < filters.n; j++)
			append(buf, size, &n, "  filter %s prio %x handle %x\n", filters.v[j].kind,
			       filters.v[j].info >> 16, filters.v[j].handle);
		fl_tc_list_free(&filters);
	}
	fl_tc_list_free(&qdiscs);
	for (int ifindex = 1; ifindex < 64; ifindex++) {
		char ifname[IFNAMSIZ];

		if (fl_nl_ifname(nl, ifindex, ifname, sizeof(ifname)) == 0)
			append(buf, size, &n, "link %d %s\n", ifindex, ifname);
	}
}
