/* SPDX-License-Identifier: MIT */
/* GET /metrics: the registry's counters in the Prometheus text exposition format. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "registry_internal.h"

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt,
			      ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(o->buf, cap);

		if (!nb)
			return;
		o->buf = nb;
		o->cap = cap;
	}
}

char *fl_registry_metrics(struct fl_registry *reg)
{
	unsigned active[FL_FAULT_KIND_COUNT] = { 0 }, failed = 0;
	struct fl_counters c;
	struct out o = { 0 };
	bool stopped;

	pthread_mutex_lock(&reg->lock);
	c = reg->c;
	stopped = reg->stopped;
	for (const struct fl_fault *f = reg->faults; f; f = f->next) {
		if (f->state == FL_FAULT_ACTIVE)
			active[f->req.kind]++;
		else if (f->state == FL_FAULT_REVERT_FAILED)
			failed++;
	}
	pthread_mutex_unlock(&reg->lock);

	put(&o, "# HELP faultline_agent_faults_active Faults in force, by kind.\n"
		"# TYPE faultline_agent_faults_active gauge\n");
	for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
		put(&o, "faultline_agent_faults_active{kind=\"%s\"} %u\n", fl_fault_kind_name(k),
		    active[k]);
	put(&o, "# HELP faultline_agent_faults_injected_total Faults injected, by kind.\n"
		"# TYPE faultline_agent_faults_injected_total counter\n");
	for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
		put(&o, "faultline_agent_faults_injected_total{kind=\"%s\"} %llu\n",
		    fl_fault_kind_name(k), (unsigned long long)c.injected[k]);
	put(&o,
	    "# HELP faultline_agent_inject_errors_total Injects refused or failed.\n"
	    "# TYPE faultline_agent_inject_errors_total counter\n"
	    "faultline_agent_inject_errors_total %llu\n",
	    (unsigned long long)c.inject_errors);
	put(&o, "# HELP faultline_agent_faults_reverted_total Faults reverted, by reason.\n"
		"# TYPE faultline_agent_faults_reverted_total counter\n");
	for (int r = 0; r < FL_REVERT_REASON_COUNT; r++)
		put(&o, "faultline_agent_faults_reverted_total{reason=\"%s\"} %llu\n",
		    fl_revert_reason_name(r), (unsigned long long)c.reverted[r]);
	put(&o,
	    "# HELP faultline_agent_revert_failures_total Revert attempts that failed.\n"
	    "# TYPE faultline_agent_revert_failures_total counter\n"
	    "faultline_agent_revert_failures_total %llu\n"
	    "# HELP faultline_agent_faults_revert_pending Faults whose revert failed (retrying).\n"
	    "# TYPE faultline_agent_faults_revert_pending gauge\n"
	    "faultline_agent_faults_revert_pending %u\n",
	    (unsigned long long)c.revert_failures, failed);
	put(&o,
	    "# HELP faultline_agent_reconcile_runs_total Reconcile passes.\n"
	    "# TYPE faultline_agent_reconcile_runs_total counter\n"
	    "faultline_agent_reconcile_runs_total %llu\n"
	    "# HELP faultline_agent_reconcile_removed_total Leftovers removed by reconcile.\n"
	    "# TYPE faultline_agent_reconcile_removed_total counter\n"
	    "faultline_agent_reconcile_removed_total %llu\n",
	    (unsigned long long)c.reconcile_runs, (unsigned long long)c.reconcile_removed);
	put(&o,
	    "# HELP faultline_agent_inject_seconds Apply-and-verify time of injects.\n"
	    "# TYPE faultline_agent_inject_seconds summary\n"
	    "faultline_agent_inject_seconds_sum %.6f\n"
	    "faultline_agent_inject_seconds_count %llu\n",
	    (double)c.inject_ns_sum / 1e9, (unsigned long long)c.inject_count);
	put(&o,
	    "# HELP faultline_agent_emergency_stop 1 while an emergency stop is in force.\n"
	    "# TYPE faultline_agent_emergency_stop gauge\n"
	    "faultline_agent_emergency_stop %d\n",
	    stopped ? 1 : 0);
	return o.buf;
}
