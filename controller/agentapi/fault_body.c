/* SPDX-License-Identifier: MIT */
/*
 * An experiment's fault as the agent API's inject body for one target (fault_body.h),
 * with the mechanism the target's node really has.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fault_body.h"
#include "fl/units.h"

bool fl_fault_is_kill(const char *kind)
{
	return strcmp(kind, "container-kill") == 0 || strcmp(kind, "process-kill") == 0 ||
	       strcmp(kind, "pod-delete") == 0;
}

static void format_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns % 1000000000ull == 0)
		(void)snprintf(buf, size, "%llus", (unsigned long long)(ns / 1000000000ull));
	else
		(void)snprintf(buf, size, "%llums", (unsigned long long)(ns / 1000000ull));
}

/*
 * netem options that have an equivalent without sch_netem: exactly "delay X [Y]" (the
 * delay line) or "loss [random] P" (nftables numgen): the kind and its object.
 */
static int netem_fallback(const char *netem, const char **ret_kind, json_t **ret_sub)
{
	char buf[256], *tok[5], *save = NULL;
	unsigned n = 0;

	if (strlen(netem) >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, netem, strlen(netem) + 1);
	for (char *t = strtok_r(buf, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == 4)
			return -EINVAL;
		tok[n++] = t;
	}
	if (n >= 2 && n <= 3 && strcmp(tok[0], "delay") == 0) {
		*ret_kind = "delay";
		*ret_sub = n == 3 ? json_pack("{s:s, s:s}", "delay", tok[1], "jitter", tok[2])
				  : json_pack("{s:s}", "delay", tok[1]);
		return *ret_sub ? 0 : -ENOMEM;
	}
	if (n >= 2 && strcmp(tok[0], "loss") == 0) {
		unsigned i = strcmp(tok[1], "random") == 0 ? 2 : 1;
		if (i + 1 != n)
			return -EINVAL;
		*ret_kind = "loss";
		*ret_sub = json_pack("{s:s}", "percent", tok[i]);
		return *ret_sub ? 0 : -ENOMEM;
	}
	return -EINVAL;
}

int fl_fault_body(const struct fl_fault_spec *fault, const struct fl_target *target, json_t *caps,
		  const char *owner, json_t **ret, char *note, size_t note_size,
		  struct fl_diag *diag)
{
	const char *kind = fault->kind;
	const char *have = json_string_value(json_object_get(json_object_get(caps, "kinds"), kind));
	json_t *body = json_deep_copy(fault->params), *sub = NULL;
	char dur[32];

	if (!body)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	/* The target's interface, unless the fault names its own (docs/experiments.md). */
	if ((strcmp(kind, "network") == 0 || strcmp(kind, "bandwidth") == 0) &&
	    target->interface[0] && !json_object_get(body, "interface") &&
	    json_object_set_new(body, "interface", json_string(target->interface)) < 0) {
		json_decref(body);
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	if (have && strncmp(have, "unavailable", 11) == 0) {
		const char *netem = json_string_value(json_object_get(body, "netem"));
		const char *alt = NULL;
		if (strcmp(kind, "network") != 0 || !netem ||
		    netem_fallback(netem, &alt, &sub) < 0 ||
		    strcmp(json_string_value(json_object_get(json_object_get(caps, "kinds"), alt))
				   ?: "unavailable",
			   "unavailable") == 0) {
			json_decref(body);
			return fl_diag_set(diag, -EOPNOTSUPP,
					   "fault %s: kind %s on %s: %s (only \"delay X [Y]\" or "
					   "\"loss P\" have a fallback)",
					   fault->name, kind, target->label, have);
		}
		(void)snprintf(
			note, note_size, "%s (no sch_netem: netem \"%s\" as kind %s)",
			json_string_value(json_object_get(json_object_get(caps, "kinds"), alt)),
			netem, alt);
		json_object_del(body, "netem");
		json_object_del(body, "interface");
		json_object_set_new(body, alt, sub);
		kind = alt;
	} else {
		(void)snprintf(note, note_size, "%s", have ? have : "(capabilities unknown)");
	}
	json_object_set_new(body, "kind", json_string(kind));
	json_object_set_new(body, "target", json_deep_copy(target->target));
	/* A pod's network is its sandbox's: a target naming a container (for the kills of the
	 * same experiment) means its pod to the network kinds, which the agent refuses to be
	 * told a container. */
	if (strcmp(kind, "container-kill") != 0)
		json_object_del(json_object_get(body, "target"), "container");
	/* What the controller knows of a pod found through Kubernetes is not the agent's. */
	json_object_del(json_object_get(body, "target"), "kubernetes");
	json_object_set_new(body, "owner", json_string(owner));
	if (!fl_fault_is_kill(kind)) {
		format_duration(fault->duration_ns, dur, sizeof(dur));
		json_object_set_new(body, "duration", json_string(dur));
		format_duration(fault->lease_ns, dur, sizeof(dur));
		json_object_set_new(body, "lease", json_string(dur));
	}
	*ret = body;
	return 0;
}
