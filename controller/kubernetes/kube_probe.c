/* SPDX-License-Identifier: MIT */
/* The kubernetes.podsReady and kubernetes.restarts probes (kube_probe.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kube_probe.h"

#define DETAIL_PODS 32

struct kube_probe {
	struct fl_probe base;
	struct fl_kube_run *kr;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct counts {
	unsigned pods, ready, restarts, replacements;
};

static void count(struct fl_kube_run *kr, const struct fl_kube_pods *pods, struct counts *c,
		  json_t *detail)
{
	for (size_t i = 0; i < pods->n; i++) {
		const struct fl_kube_pod *p = &pods->v[i];

		if (json_array_size(detail) < DETAIL_PODS)
			json_array_append_new(
				detail, json_pack("{s:s, s:s, s:s, s:b, s:b, s:i}", "name", p->name,
						  "uid", p->uid, "phase", p->phase, "ready",
						  p->ready, "terminating", p->terminating,
						  "restarts", (int)p->restarts));
		c->restarts += p->restarts;
		if (p->terminating)
			continue;
		c->pods++;
		if (!p->ready)
			continue;
		c->ready++;
		if (!fl_kube_run_seen(kr, p->namespace, p->uid))
			c->replacements++;
	}
}

/* deleted.gone and replacements.ready, once a pod-delete deleted a pod in the namespace. */
static int add_delete_metrics(struct kube_probe *kp, const struct counts *c, struct fl_sample *s)
{
	struct fl_diag diag = { 0 };
	unsigned deleted, gone;

	if (fl_kube_run_deleted_gone(kp->kr, kp->base.spec->kube->pod_namespace, &deleted, &gone,
				     &diag) < 0)
		return fl_sample_fail(s, -EIO, "%s", diag.msg);
	if (!deleted)
		return 0;
	(void)fl_sample_set(s, "deleted.gone", gone);
	(void)fl_sample_set(s, "replacements.ready", c->replacements);
	return 0;
}

static int kube_sample(struct fl_probe *probe, struct fl_sample *s)
{
	struct kube_probe *kp = (struct kube_probe *)probe;
	const struct fl_probe_spec *spec = probe->spec;
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	struct counts c = { 0 };
	int r;

	memset(s, 0, sizeof(*s));
	r = fl_kube_run_list(kp->kr, spec->kube, &pods, &diag);
	s->t_ms = now_ms();
	if (r < 0)
		return fl_sample_fail(s, r, "%s", diag.msg);
	s->detail = json_pack("{s:[]}", "pods");
	count(kp->kr, &pods, &c, json_object_get(s->detail, "pods"));
	fl_kube_pods_clear(&pods);
	if (spec->type == FL_PROBE_KUBE_RESTARTS) {
		if (c.pods == 0)
			return fl_sample_fail(s, -ENODATA, "no pod matches %s now",
					      spec->kube->kube_labels ?: "the selector");
		(void)fl_sample_set(s, "restarts", c.restarts);
		(void)fl_sample_set(s, "pods", c.pods);
		return 0;
	}
	(void)fl_sample_set(s, "ready", c.ready);
	(void)fl_sample_set(s, "pods", c.pods);
	return add_delete_metrics(kp, &c, s);
}

static void kube_free(struct fl_probe *probe)
{
	free(probe);
}

static const struct fl_probe_ops kube_ops = { .sample = kube_sample, .free = kube_free };

int fl_kube_probe_new(struct fl_kube_run *kr, const struct fl_probe_spec *spec,
		      struct fl_probe **ret, struct fl_diag *diag)
{
	const char *pname = spec->name ? spec->name : "?";
	struct kube_probe *kp;

	if (!spec->kube ||
	    (spec->type != FL_PROBE_KUBE_READY && spec->type != FL_PROBE_KUBE_RESTARTS))
		return fl_diag_set(diag, -EINVAL, "probe %s: not a kubernetes.* probe", pname);
	if (!kr)
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: a kubernetes.* probe needs the run's Kubernetes "
				   "connection",
				   pname);
	if (!(kp = calloc(1, sizeof(*kp))))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	kp->base.ops = &kube_ops;
	kp->base.spec = spec;
	kp->kr = kr;
	*ret = &kp->base;
	return 0;
}
