/* SPDX-License-Identifier: MIT */
/* One resolution of a target for plan and run (resolve.h). */
#include <errno.h>
#include <stdio.h>

#include "kafka.h"
#include "resolve.h"

#define LEADER_TIMEOUT_MS 5000

/* kafkaLeader: the broker leading the partition now, then its pod. */
static int resolve_leader(struct fl_kube_run *kube, const struct fl_target_sel *sel,
			  bool for_delete, struct fl_target_set *ret, struct fl_diag *diag)
{
	struct fl_kafka_leader leader;
	struct fl_kafka *kafka = NULL;
	char what[300];
	int r;

	if ((r = fl_kafka_open(sel->leader_bootstrap, &kafka, diag)) < 0)
		return fl_diag_prefix(diag, r, "targets.%s.pods.kafkaLeader", sel->name);
	r = fl_kafka_leader(kafka, sel->leader_topic, sel->leader_partition, LEADER_TIMEOUT_MS,
			    &leader, diag);
	fl_kafka_free(kafka);
	if (r < 0)
		return fl_diag_prefix(diag, r, "targets.%s.pods.kafkaLeader", sel->name);
	(void)snprintf(what, sizeof(what), "%s/%d", sel->leader_topic, sel->leader_partition);
	const struct fl_kube_broker b = { .id = leader.id, .host = leader.host, .what = what };
	return fl_kube_run_resolve_broker(kube, sel, &b, for_delete, ret, diag);
}

int fl_resolve_target(struct fl_agents *agents, struct fl_kube_run *kube,
		      const struct fl_experiment *exp, const struct fl_target_sel *sel,
		      uint64_t seed, bool for_delete, struct fl_target_set *ret,
		      struct fl_diag *diag)
{
	int r;

	if (sel->kind != FL_SELECT_KUBE)
		return fl_targets_resolve(agents, sel, seed, ret, diag);
	if (!kube)
		return fl_diag_set(diag, -EINVAL, "targets.%s: no Kubernetes connection",
				   sel->name);
	r = sel->leader_topic ? resolve_leader(kube, sel, for_delete, ret, diag)
			      : fl_kube_run_resolve(kube, sel, seed, for_delete, ret, diag);
	if (r < 0)
		return r;
	if (exp->kube_agents && !for_delete &&
	    (r = fl_kube_run_attach_agents(kube, exp->kube_agents, agents, ret, diag)) < 0)
		fl_target_set_clear(ret);
	return r;
}
