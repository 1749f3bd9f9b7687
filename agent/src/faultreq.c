/* SPDX-License-Identifier: MIT */
/*
 * The fault request's plain-value helpers (faultreq.h): kinds and directions by name,
 * and freeing what apireq.c parsed.
 */
#include "faultreq.h"

const char *fl_fault_kind_name(enum fl_fault_kind kind)
{
	static const char *const names[FL_FAULT_KIND_COUNT] = {
		[FL_FAULT_NETWORK] = "network",
		[FL_FAULT_PARTITION] = "partition",
		[FL_FAULT_LOSS] = "loss",
		[FL_FAULT_BANDWIDTH] = "bandwidth",
		[FL_FAULT_DELAY] = "delay",
		[FL_FAULT_CONTAINER_KILL] = "container-kill",
		[FL_FAULT_PROCESS_KILL] = "process-kill",
	};

	return (unsigned)kind < FL_FAULT_KIND_COUNT ? names[kind] : "unknown";
}
