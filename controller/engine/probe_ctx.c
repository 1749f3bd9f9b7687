/* SPDX-License-Identifier: MIT */
/*
 * The probe dispatcher and context (probe_ctx.h). The context shares one Kafka client per
 * bootstrap string among the probes of a run (a client is a set of broker connections and
 * threads: one per cluster, not one per probe) and lends the run's hook instances to
 * `hook` probes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hook_run.h"
#include "http_probe.h"
#include "kafka.h"
#include "kube_probe.h"
#include "pod_probe.h"
#include "probe_ctx.h"

#define KAFKA_CLIENTS_MAX 16 /* distinct clusters in one run */

struct kafka_entry {
	char *bootstrap;
	struct fl_kafka *kafka;
};

struct fl_probe_ctx {
	pthread_mutex_t lock;
	struct fl_hooks *hooks;		 /* borrowed */
	struct fl_agents *agents;	 /* borrowed: pod probes */
	const struct fl_experiment *exp; /* borrowed: the targets pod probes name */
	struct fl_kube_run *kube;	 /* borrowed: kubernetes.* probes */
	struct kafka_entry kafka[KAFKA_CLIENTS_MAX];
	unsigned n_kafka;
};

int fl_probe_ctx_new(struct fl_probe_ctx **ret)
{
	struct fl_probe_ctx *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	if (pthread_mutex_init(&ctx->lock, NULL) != 0) {
		free(ctx);
		return -ENOMEM;
	}
	*ret = ctx;
	return 0;
}

struct fl_probe_ctx *fl_probe_ctx_free(struct fl_probe_ctx *ctx)
{
	if (!ctx)
		return NULL;
	for (unsigned i = 0; i < ctx->n_kafka; i++) {
		fl_kafka_free(ctx->kafka[i].kafka);
		free(ctx->kafka[i].bootstrap);
	}
	pthread_mutex_destroy(&ctx->lock);
	free(ctx);
	return NULL;
}

void fl_probe_ctx_set_hooks(struct fl_probe_ctx *ctx, struct fl_hooks *hooks)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->hooks = hooks;
	pthread_mutex_unlock(&ctx->lock);
}

void fl_probe_ctx_set_agents(struct fl_probe_ctx *ctx, struct fl_agents *agents,
			     const struct fl_experiment *exp)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->agents = agents;
	ctx->exp = exp;
	pthread_mutex_unlock(&ctx->lock);
}

void fl_probe_ctx_set_kube(struct fl_probe_ctx *ctx, struct fl_kube_run *kube)
{
	pthread_mutex_lock(&ctx->lock);
	ctx->kube = kube;
	pthread_mutex_unlock(&ctx->lock);
}

/* The shared client for bootstrap, opened on first use. */
static int kafka_for(struct fl_probe_ctx *ctx, const char *bootstrap, struct fl_kafka **ret,
		     struct fl_diag *diag)
{
	int r = 0;

	pthread_mutex_lock(&ctx->lock);
	for (unsigned i = 0; i < ctx->n_kafka; i++) {
		if (strcmp(ctx->kafka[i].bootstrap, bootstrap) == 0) {
			*ret = ctx->kafka[i].kafka;
			goto out;
		}
	}
	if (ctx->n_kafka >= KAFKA_CLIENTS_MAX) {
		r = fl_diag_set(diag, -E2BIG,
				"more than %d distinct Kafka bootstrap lists in one run",
				KAFKA_CLIENTS_MAX);
		goto out;
	}
	char *copy = strdup(bootstrap);
	if (!copy) {
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
		goto out;
	}
	struct fl_kafka *kafka = NULL;
	r = fl_kafka_open(bootstrap, &kafka, diag);
	if (r < 0) {
		free(copy);
		goto out;
	}
	ctx->kafka[ctx->n_kafka++] = (struct kafka_entry){ .bootstrap = copy, .kafka = kafka };
	*ret = kafka;
	r = 0;
out:
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

static int dispatch(struct fl_probe_ctx *ctx, const struct fl_probe_spec *spec,
		    const char *default_bootstrap, struct fl_probe **ret, struct fl_diag *diag)
{
	const char *pname = spec->name ? spec->name : "?";
	struct fl_hooks *hooks;
	struct fl_kafka *kafka = NULL;
	int r;

	switch (spec->type) {
	case FL_PROBE_HTTP:
	case FL_PROBE_PROMETHEUS:
		return fl_http_probe_new(spec, ret, diag);
	case FL_PROBE_HOOK:
		pthread_mutex_lock(&ctx->lock);
		hooks = ctx->hooks;
		pthread_mutex_unlock(&ctx->lock);
		if (!hooks)
			return fl_diag_set(diag, -EINVAL,
					   "probe %s: a hook probe, but the run has no hook "
					   "instances (fl_probe_ctx_set_hooks)",
					   pname);
		return fl_hook_probe_new(hooks, spec, ret, diag);
	case FL_PROBE_POD: {
		struct fl_agents *agents;
		const struct fl_experiment *exp;

		pthread_mutex_lock(&ctx->lock);
		agents = ctx->agents;
		exp = ctx->exp;
		pthread_mutex_unlock(&ctx->lock);
		return fl_pod_probe_new(agents, exp, spec, ret, diag);
	}
	case FL_PROBE_KUBE_READY:
	case FL_PROBE_KUBE_RESTARTS: {
		struct fl_kube_run *kube;

		pthread_mutex_lock(&ctx->lock);
		kube = ctx->kube;
		pthread_mutex_unlock(&ctx->lock);
		return fl_kube_probe_new(kube, spec, ret, diag);
	}
	case FL_PROBE_KAFKA_THROUGHPUT:
	case FL_PROBE_KAFKA_LAG:
	case FL_PROBE_KAFKA_PARTITIONS:
	case FL_PROBE_KAFKA_E2E: {
		const char *bootstrap = spec->bootstrap ? spec->bootstrap : default_bootstrap;
		if (!bootstrap || !bootstrap[0])
			return fl_diag_set(diag, -EINVAL,
					   "probe %s: no Kafka bootstrap (set spec.kafka.bootstrap "
					   "or the probe's bootstrap)",
					   pname);
		r = kafka_for(ctx, bootstrap, &kafka, diag);
		if (r < 0)
			return fl_diag_prefix(diag, r, "probe %s", pname);
		return fl_kafka_probe_new(kafka, spec, ret, diag);
	}
	}
	return fl_diag_set(diag, -EINVAL, "probe %s: unknown probe type %d", pname,
			   (int)spec->type);
}

int fl_probe_new(struct fl_probe_ctx *ctx, const struct fl_probe_spec *spec,
		 const char *default_bootstrap, struct fl_probe **ret, struct fl_diag *diag)
{
	struct fl_probe *probe = NULL;
	int r = dispatch(ctx, spec, default_bootstrap, &probe, diag);

	if (r < 0) {
		/* point at the probe in the file unless the callee knew better */
		if (diag && !diag->file && spec->pos.file) {
			diag->file = spec->pos.file;
			diag->line = spec->pos.line;
			diag->col = spec->pos.col;
		}
		return r;
	}
	*ret = probe;
	return 0;
}
