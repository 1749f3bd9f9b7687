/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: a Kubernetes API answer, as JSON, through the PodList decoder
 * (kube_pods.c). A malformed answer must be refused with a message, never crash or leak.
 */
#include <stddef.h>
#include <stdint.h>

#include "kube_pods.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };
	json_t *j = json_loadb((const char *)data, size, 0, NULL);

	if (!j)
		return 0;
	if (fl_kube_decode_pods(j, &pods, &diag) < 0 && !diag.msg[0])
		__builtin_trap(); /* every refusal says why */
	fl_kube_pods_clear(&pods);
	json_decref(j);
	return 0;
}
