/* SPDX-License-Identifier: MIT */
/*
 * A network namespace's TCP counters: the "Tcp:" lines of its /proc/net/snmp (RFC 4022's
 * tcpRetransSegs, tcpOutSegs, tcpInSegs). What shows that packet loss reached a pod: on a
 * veth or bridge TCP retransmits next to nothing, and with packets dropped it must (the pod
 * listing's ?tcp=1, docs/agent-api.md).
 */
#ifndef FL_TCPSTATS_H
#define FL_TCPSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "fl/diag.h"

/* A /proc/net/snmp is about 1.5 KiB; anything this large is not one. */
#define FL_TCPSTATS_FILE_MAX (16 * 1024)

struct fl_tcpstats {
	uint64_t retrans_segs; /* RetransSegs: segments sent again */
	uint64_t out_segs;     /* OutSegs: segments sent, retransmissions excluded */
	uint64_t in_segs;      /* InSegs: segments received */
};

/*
 * Parse the text of a /proc/net/snmp (len bytes, NUL-terminated or not): the first "Tcp:"
 * line names the fields, the next line must be "Tcp:" with as many values, ended by a
 * newline (a file cut short is refused, not read as smaller counters). Returns 0 and *ret,
 * or -EINVAL with diag naming what is wrong ('snmp: no "Tcp:" lines', 'snmp: "Tcp:" names 15
 * fields but has 14 values', 'snmp: Tcp RetransSegs "-1" is not a counter').
 */
int fl_tcpstats_parse(const char *text, size_t len, struct fl_tcpstats *ret,
		      struct fl_diag *diag) _wur_;

/*
 * The counters of the network namespace at netns_path (NULL: the caller's own): a
 * short-lived thread enters it and opens /proc/thread-self/net/snmp (fl_nsock_open_file),
 * which is then read here; no thread of the caller changes namespace. -errno with diag:
 * the namespace could not be entered (needs CAP_SYS_ADMIN), the file not read, or parsed.
 */
int fl_tcpstats_read(const char *netns_path, struct fl_tcpstats *ret, struct fl_diag *diag) _wur_;

#endif
