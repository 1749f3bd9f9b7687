/* SPDX-License-Identifier: MIT */
/*
 * The connector's durable sink: an on-disk store keyed by sequence number, so that a
 * re-delivered record overwrites itself instead of being stored twice.
 *
 *   DIR/FORMAT                  "faultline-sink 1 block=4096 slot=256"
 *   DIR/blk-<seq / 4096>.dat    4096 fixed 256-byte slots; slot i holds seq block*4096+i
 *                               (a sparse file: an unwritten slot reads as zeros)
 *   DIR/redeliveries            decimal count of puts that found their seq already stored
 *
 * A slot (host byte order): magic u32 'FLSK', crc32 u32 over the next 248 bytes, seq u64,
 * partition i32, len u32, offset i64, value[224] (the record's value, len bytes).
 * The handle owns its file descriptors; nothing here logs.
 */
#ifndef FL_PIPE_SINK_H
#define FL_PIPE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "fl/diag.h"
#include "fl/macro.h"

#define FL_SINK_BLOCK_SLOTS 4096u
#define FL_SINK_SLOT_SIZE   256u
#define FL_SINK_VALUE_MAX   224u
#define FL_SINK_MAGIC	    0x4b534c46u /* "FLSK" */

struct fl_sink_record {
	uint64_t seq; /* >= 1 */
	int32_t partition;
	int64_t offset;
	const void *value; /* borrowed */
	uint32_t len;	   /* <= FL_SINK_VALUE_MAX */
};

struct fl_sink;
/* Open (creating DIR and FORMAT when create) a sink; returns a new handle. */
int fl_sink_open(const char *dir, bool create, struct fl_sink **ret, struct fl_diag *diag) _wur_;
/* Upsert rec into its slot. *ret_existed: the slot already held this seq (a re-delivery,
 * counted in the redeliveries file at the next sync). Not durable before fl_sink_sync. */
int fl_sink_put(struct fl_sink *sink, const struct fl_sink_record *rec, bool *ret_existed,
		struct fl_diag *diag) _wur_;
/* fsync every block written since the last sync, then the redeliveries counter. */
int fl_sink_sync(struct fl_sink *sink, struct fl_diag *diag) _wur_;
uint64_t fl_sink_redeliveries(const struct fl_sink *sink);
/* Closes (without syncing) and frees; accepts NULL, returns NULL. */
struct fl_sink *fl_sink_close(struct fl_sink *sink);

/* What a scan reports for each written slot. */
struct fl_sink_slot_view {
	uint64_t seq;	   /* the seq stored in the slot */
	uint64_t position; /* the seq the slot's position stands for */
	bool crc_ok;
	int32_t partition;
	int64_t offset;
};
/* Call fn for every slot with the magic, block by block in file-name order. fn returning
 * < 0 stops the scan with that value. *ret_redeliveries: the counter file (0 if absent). */
int fl_sink_scan(const char *dir, int (*fn)(const struct fl_sink_slot_view *v, void *arg),
		 void *arg, uint64_t *ret_redeliveries, struct fl_diag *diag) _wur_;

#endif
