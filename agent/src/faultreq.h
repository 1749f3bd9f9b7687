/* SPDX-License-Identifier: MIT */
/*
 * A fault request as the agent receives it (POST /v1/faults), parsed and validated:
 * a plain value. apireq.c makes it from JSON; the registry (registry.c) executes it.
 */
#ifndef FL_FAULTREQ_H
#define FL_FAULTREQ_H

#include <stdbool.h>
#include <stdint.h>

#include "delayline.h"
#include "fl/netem.h"
#include "fl/nft.h"

#define FL_FAULT_ID_MAX	      33 /* [a-z0-9][a-z0-9-]{0,31} + NUL (also the nft table suffix) */
#define FL_FAULT_OWNER_MAX    128
#define FL_POD_NS_MAX	      64  /* Kubernetes: namespace <= 63 */
#define FL_POD_NAME_MAX	      254 /* Kubernetes: name <= 253 */
#define FL_POD_UID_MAX	      128
#define FL_CONTAINER_NAME_MAX 128
#define FL_NETNS_PATH_MAX     256

enum fl_fault_kind {
	FL_FAULT_NETWORK = 0,	 /* netem (all options), optionally targeted, egress/ingress */
	FL_FAULT_PARTITION,	 /* nftables drop/reject */
	FL_FAULT_LOSS,		 /* nftables numgen: loss without netem */
	FL_FAULT_BANDWIDTH,	 /* tbf */
	FL_FAULT_DELAY,		 /* the NFQUEUE delay line: delay without netem */
	FL_FAULT_CONTAINER_KILL, /* CRI StopContainer, or a signal to the container's PID */
	FL_FAULT_PROCESS_KILL,	 /* a signal to a PID (standalone hosts) */
	FL_FAULT_KIND_COUNT,
};

/* The kind's API name ("network", "partition"...); static text, never NULL. */
const char *fl_fault_kind_name(enum fl_fault_kind kind);

enum fl_target_type {
	FL_TARGET_POD = 0, /* namespace/name or uid, through the CRI */
	FL_TARGET_NETNS,   /* a network namespace path */
	FL_TARGET_PID,	   /* a process (its network namespace, or itself for kills) */
};

struct fl_target {
	enum fl_target_type type;
	char pod_namespace[FL_POD_NS_MAX];
	char pod_name[FL_POD_NAME_MAX];
	char pod_uid[FL_POD_UID_MAX];	       /* set instead of namespace/name */
	char container[FL_CONTAINER_NAME_MAX]; /* container-kill: which one ("" = all of the pod) */
	char netns[FL_NETNS_PATH_MAX];
	int pid;
};

struct fl_fault_req {
	char id[FL_FAULT_ID_MAX]; /* "" = the agent generates one */
	enum fl_fault_kind kind;
	struct fl_target target;
	char ifname[16];      /* network/bandwidth: default "eth0" */
	uint64_t duration_ns; /* required for every kind but the kills */
	uint64_t lease_ns;    /* 0 = no lease */
	char owner[FL_FAULT_OWNER_MAX];
	bool verify_wire; /* "verify": {"wire": true}: network, delay, partition (wire.h) */
	union {
		struct fl_netem_fault net; /* NETWORK, BANDWIDTH (kind TBF) */
		struct fl_nft_fault nft;   /* PARTITION, LOSS */
		struct {
			struct fl_delayline_spec spec;
			struct fl_nft_fault steer; /* action QUEUE; queue_num chosen by the agent */
		} delay;
		struct {
			int signal;	 /* 0 = CRI StopContainer; else this signal to the PID */
			int64_t grace_s; /* CRI StopContainer timeout */
		} kill;
	} u;
};

#endif
