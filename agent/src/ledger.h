/* SPDX-License-Identifier: MIT */
/*
 * The intent ledger: before the agent changes anything it writes what it is about to do,
 * durably (write a temporary file, fsync it, rename it over <id>.json, fsync the
 * directory). After a verified revert the record is removed (unlink + directory fsync).
 * A record is everything a restarted agent needs to undo the change without any other
 * state: the namespace (path and inode, so a reused path is never mistaken for it), the
 * interface, the mechanism's handles.
 */
#ifndef FL_LEDGER_H
#define FL_LEDGER_H

#include <stdint.h>

#include "faultreq.h"
#include "fl/diag.h"

struct fl_ledger_record {
	char id[FL_FAULT_ID_MAX];
	enum fl_fault_kind kind;
	char netns_path[FL_NETNS_PATH_MAX]; /* "" for kills */
	uint64_t netns_dev, netns_ino;
	char sandbox_id[72]; /* pods: to re-resolve the namespace via the CRI */
	char ifname[16];
	int direction;	    /* enum fl_netem_direction */
	uint16_t queue_num; /* delay */
	int64_t created_unix_ms;
	int64_t deadline_unix_ms;
	char owner[FL_FAULT_OWNER_MAX];
};

struct fl_ledger;

/* Open (creating it, mode 0700) the ledger directory. Returns 0 and a new ledger
 * (fl_ledger_close() it), or -errno with diag. */
int fl_ledger_open(const char *dir, struct fl_ledger **ret, struct fl_diag *diag);
struct fl_ledger *fl_ledger_close(struct fl_ledger *ledger);

int fl_ledger_write(struct fl_ledger *ledger, const struct fl_ledger_record *rec,
		    struct fl_diag *diag);
/* 0 also when there is no such record. */
int fl_ledger_remove(struct fl_ledger *ledger, const char *id, struct fl_diag *diag);

/*
 * Every record. *ret is malloc'd (free()); unreadable or corrupt files are renamed to
 * <name>.corrupt and counted in *ret_corrupt (they are never silently dropped).
 */
int fl_ledger_load(struct fl_ledger *ledger, struct fl_ledger_record **ret, unsigned *ret_n,
		   unsigned *ret_corrupt, struct fl_diag *diag);

/* JSON <-> record (exposed for tests and the fuzzer). to_json returns new text (free()),
 * NULL on allocation failure; from_json fills the caller's *ret. */
char *fl_ledger_record_to_json(const struct fl_ledger_record *rec);
int fl_ledger_record_from_json(const char *text, struct fl_ledger_record *ret,
			       struct fl_diag *diag);

#endif
