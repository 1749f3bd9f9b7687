/* SPDX-License-Identifier: MIT */
/*
 * Hook instances and the `hook` probe (hook_run.h).
 *
 * Each instance has a writer-preferring rwlock: query and call take it shared (modules are
 * thread-safe inside, they run their own threads anyway), start and stop take it
 * exclusive. Preferring writers keeps a stop prompt while a probe thread queries in a
 * loop. The instance array itself never changes after fl_hooks_new, so finding an instance
 * by name needs no lock.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hook_run.h"

struct instance {
	const struct fl_hook_spec *spec; /* borrowed */
	const struct fl_hook_module *module;
	pthread_rwlock_t lock;
	bool running; /* under lock */
	void *state;  /* under lock; the module's, between start and stop */
};

struct fl_hooks {
	unsigned n;
	struct instance inst[];
};

static struct instance *find(struct fl_hooks *h, const char *name, struct fl_diag *diag)
{
	for (unsigned i = 0; h && name && i < h->n; i++)
		if (strcmp(h->inst[i].spec->name, name) == 0)
			return &h->inst[i];
	if (!h || h->n == 0) {
		fl_diag_set(diag, -ENOENT, "no hook named \"%s\" (the experiment defines no hooks)",
			    name ? name : "");
		return NULL;
	}
	char names[256];
	size_t len = 0;
	names[0] = '\0';
	for (unsigned i = 0; i < h->n && len < sizeof(names); i++) {
		int r = snprintf(names + len, sizeof(names) - len, "%s%s", i ? ", " : "",
				 h->inst[i].spec->name);
		if (r > 0)
			len += (size_t)r;
	}
	fl_diag_set(diag, -ENOENT, "no hook named \"%s\" (hooks: %s)", name ? name : "", names);
	return NULL;
}

int fl_hooks_new(const struct fl_hook_spec *specs, unsigned n, struct fl_hooks **ret,
		 struct fl_diag *diag)
{
	if (n > FL_EXP_MAX_ITEMS)
		return fl_diag_set(diag, -E2BIG, "%u hooks, at most %d", n, FL_EXP_MAX_ITEMS);
	for (unsigned i = 0; i < n; i++) {
		if (!specs[i].name || !specs[i].module)
			return fl_diag_set(diag, -EINVAL, "hooks[%u]: name and module required", i);
		if (!fl_hook_module_find(specs[i].module)) {
			if (diag) {
				diag->file = specs[i].pos.file;
				diag->line = specs[i].pos.line;
				diag->col = specs[i].pos.col;
			}
			char known[128];
			return fl_diag_set(diag, -ENOENT,
					   "hooks[%u] (%s): no module \"%s\" (modules: %s)", i,
					   specs[i].name, specs[i].module,
					   fl_hook_module_names(known, sizeof(known)));
		}
	}

	struct fl_hooks *h = calloc(1, sizeof(*h) + n * sizeof(h->inst[0]));
	if (!h)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	pthread_rwlockattr_t attr;
	if (pthread_rwlockattr_init(&attr) != 0) {
		free(h);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	(void)pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	for (unsigned i = 0; i < n; i++) {
		h->inst[i].spec = &specs[i];
		h->inst[i].module = fl_hook_module_find(specs[i].module);
		if (pthread_rwlock_init(&h->inst[i].lock, &attr) != 0) {
			h->n = i;
			pthread_rwlockattr_destroy(&attr);
			fl_hooks_free(h);
			return fl_diag_set(diag, -ENOMEM, "out of memory");
		}
	}
	pthread_rwlockattr_destroy(&attr);
	h->n = n;
	*ret = h;
	return 0;
}

int fl_hooks_start(struct fl_hooks *h, const char *name, struct fl_diag *diag)
{
	struct instance *in = find(h, name, diag);
	int r = 0;

	if (!in)
		return -ENOENT;
	pthread_rwlock_wrlock(&in->lock);
	if (in->running) {
		r = fl_diag_set(diag, -EALREADY, "hook %s: already running", name);
	} else {
		void *state = NULL;
		r = fl_hook_check_config(in->module, in->spec->config, diag);
		if (r == 0)
			r = in->module->start(in->spec->config, &state, diag);
		if (r < 0) {
			fl_diag_prefix(diag, r, "hook %s (%s)", name, in->module->name);
		} else {
			in->state = state;
			in->running = true;
			r = 0;
		}
	}
	pthread_rwlock_unlock(&in->lock);
	return r;
}

static void stop_instance(struct instance *in)
{
	pthread_rwlock_wrlock(&in->lock);
	if (in->running) {
		in->module->stop(in->state);
		in->state = NULL;
		in->running = false;
	}
	pthread_rwlock_unlock(&in->lock);
}

int fl_hooks_stop(struct fl_hooks *h, const char *name, struct fl_diag *diag)
{
	struct instance *in = find(h, name, diag);

	if (!in)
		return -ENOENT;
	stop_instance(in);
	return 0;
}

int fl_hooks_call(struct fl_hooks *h, const char *name, const char *action, const json_t *args,
		  struct fl_diag *diag)
{
	struct instance *in = find(h, name, diag);
	int r;

	if (!in)
		return -ENOENT;
	pthread_rwlock_rdlock(&in->lock);
	if (!in->running) {
		r = fl_diag_set(diag, -ESRCH, "hook %s: not running (call %s)", name, action);
	} else {
		r = in->module->check_call(action, args, diag);
		if (r == 0)
			r = in->module->call(in->state, action, args, diag);
		if (r < 0)
			fl_diag_prefix(diag, r, "hook %s: %s", name, in->module->name);
	}
	pthread_rwlock_unlock(&in->lock);
	return r < 0 ? r : 0;
}

int fl_hooks_query(struct fl_hooks *h, const char *name, const char *metric, double *ret,
		   struct fl_diag *diag)
{
	struct instance *in = find(h, name, diag);
	double v = 0;
	int r;

	if (!in)
		return -ENOENT;
	pthread_rwlock_rdlock(&in->lock);
	if (!in->running) {
		r = fl_diag_set(diag, -ESRCH, "hook %s: not running (query %s)", name, metric);
	} else if (!fl_hook_listed(in->module->metrics, metric)) {
		char list[256];
		r = fl_diag_set(diag, -ENOENT, "hook %s: %s: unknown metric \"%s\" (metrics: %s)",
				name, in->module->name, metric,
				fl_hook_list(in->module->metrics, list, sizeof(list)));
	} else {
		r = in->module->query(in->state, metric, &v, diag);
		if (r < 0)
			fl_diag_prefix(diag, r, "hook %s: %s", name, in->module->name);
	}
	pthread_rwlock_unlock(&in->lock);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

bool fl_hooks_running(struct fl_hooks *h, const char *name)
{
	struct instance *in = find(h, name, NULL);
	bool running;

	if (!in)
		return false;
	pthread_rwlock_rdlock(&in->lock);
	running = in->running;
	pthread_rwlock_unlock(&in->lock);
	return running;
}

void fl_hooks_stop_all(struct fl_hooks *h)
{
	for (unsigned i = h ? h->n : 0; i > 0; i--)
		stop_instance(&h->inst[i - 1]);
}

struct fl_hooks *fl_hooks_free(struct fl_hooks *h)
{
	if (!h)
		return NULL;
	fl_hooks_stop_all(h);
	for (unsigned i = 0; i < h->n; i++)
		pthread_rwlock_destroy(&h->inst[i].lock);
	free(h);
	return NULL;
}

/* ---- the hook probe ------------------------------------------------------------------- */

struct hook_probe {
	struct fl_probe base; /* first: the probe API hands out &base */
	struct fl_hooks *hooks;
};

static uint64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int hook_probe_sample(struct fl_probe *probe, struct fl_sample *ret)
{
	struct hook_probe *hp = (struct hook_probe *)probe;
	const struct fl_probe_spec *spec = probe->spec;
	struct fl_diag diag = { 0 };
	double v;

	memset(ret, 0, sizeof(*ret));
	int r = fl_hooks_query(hp->hooks, spec->hook, spec->hook_metric, &v, &diag);
	ret->t_ms = wall_ms();
	if (r < 0)
		return fl_sample_fail(ret, r, "%s", diag.msg);
	if (isnan(v))
		return fl_sample_fail(ret, -ENODATA, "hook %s: %s has no value (NaN)", spec->hook,
				      spec->hook_metric);
	r = fl_sample_set(ret, "value", v);
	if (r < 0)
		return fl_sample_fail(ret, r, "hook %s: cannot record the value", spec->hook);
	return 0;
}

static void hook_probe_free(struct fl_probe *probe)
{
	free(probe);
}

static const struct fl_probe_ops hook_probe_ops = {
	.sample = hook_probe_sample,
	.free = hook_probe_free,
};

int fl_hook_probe_new(struct fl_hooks *h, const struct fl_probe_spec *spec, struct fl_probe **ret,
		      struct fl_diag *diag)
{
	const char *pname = spec->name ? spec->name : "?";

	if (spec->type != FL_PROBE_HOOK)
		return fl_diag_set(diag, -EINVAL, "probe %s: not a hook probe", pname);
	if (!h)
		return fl_diag_set(diag, -EINVAL,
				   "probe %s: hook probes need the experiment's hooks", pname);
	if (!spec->hook || !spec->hook_metric)
		return fl_diag_set(diag, -EINVAL, "probe %s: hook and metric are required", pname);
	if (!find(h, spec->hook, diag))
		return fl_diag_prefix(diag, -EINVAL, "probe %s", pname);

	struct hook_probe *hp = calloc(1, sizeof(*hp));
	if (!hp)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	hp->base.ops = &hook_probe_ops;
	hp->base.spec = spec;
	hp->hooks = h;
	*ret = &hp->base;
	return 0;
}
