/* SPDX-License-Identifier: MIT */
/*
 * The fault request (faultreq.h): the name of each kind, as messages and the fault
 * listing spell it.
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
