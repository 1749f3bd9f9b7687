/* SPDX-License-Identifier: MIT */
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
