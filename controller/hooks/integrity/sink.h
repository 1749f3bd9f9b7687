/* SPDX-License-Identifier: MIT */
/*
 * The connector's durable sink: an on-disk store keyed by sequence number, so that a
 * re-delivered record overwrites itself instead of being stored twice.
 *
 *   DIR/FORMAT                  "faultline-sink 2 block=4096 slot=256"
 *   DIR/blk-<seq / 4096>.dat    4096 fixed 256-byte slots; slot i holds seq block*4096+i
 *                               (a sparse file: an unwritten slot reads as zeros)
 *   DIR/redeliveries            decimal count of puts that found their seq already stored
 *
 * A slot (host byte order): magic u32 'FLSK', crc32 u32 over the next 248 bytes, seq u64,
 * partition i32, len u32, offset i64, produced_ms i64 (the record's CreateTime, -1 when it
 * has none), stored_ms i64 (wall clock of the write), value[208] (the record's value, len
 * bytes). Format 1 (no timestamps, value[224]) is refused by name, never misread.
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
#define FL_SINK_VALUE_MAX   208u
#define FL_SINK_MAGIC	    0x4b534c46u /* "FLSK" */
#define FL_SINK_FORMAT	    "faultline-sink 2 block=4096 slot=256"
#define FL_SINK_NO_TIME	    (-1) /* produced_ms of a record without a CreateTime */

struct fl_sink_record {
	uint64_t seq; /* >= 1 */
	int32_t partition;
	int64_t offset;
	int64_t produced_ms; /* the record's CreateTime (ms since the epoch), or FL_SINK_NO_TIME */
	/* Wall clock (CLOCK_REALTIME, ms) of this put: a later time than the block file's
	 * modification would make fl_sink_scan's since_ms skip it. */
	int64_t stored_ms;
	const void *value; /* borrowed */
	uint32_t len;	   /* <= FL_SINK_VALUE_MAX */
};

struct fl_sink;
/* Open (creating DIR and FORMAT when create) a sink; returns a new handle. An existing
 * FORMAT other than FL_SINK_FORMAT is -EPROTO with diag quoting it. */
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
	int64_t produced_ms, stored_ms; /* as put (fl_sink_record) */
};
#define FL_SINK_SCAN_ALL INT64_MIN /* since_ms: every block */
/*
 * Call fn for every slot with the magic, block by block in file-name order. fn returning
 * < 0 stops the scan with that value. *ret_redeliveries (may be NULL): the counter file (0 if
 * absent). A FORMAT other than FL_SINK_FORMAT (or none) is -EPROTO / -ENOENT with diag.
 *
 * since_ms skips block files that cannot hold a slot with stored_ms >= since_ms: those last
 * modified more than FL_SINK_MTIME_SLACK_MS before it (a put's stored_ms is taken before its
 * pwrite; the slack covers the kernel's coarse file clock and file systems that keep whole
 * seconds). So a scan of the last seconds reads the last block or two, not the whole sink.
 * It assumes the blocks' modification times are the writes' own (not restored by cp -p or tar).
 */
#define FL_SINK_MTIME_SLACK_MS 2000
int fl_sink_scan(const char *dir, int64_t since_ms,
		 int (*fn)(const struct fl_sink_slot_view *v, void *arg), void *arg,
		 uint64_t *ret_redeliveries, struct fl_diag *diag) _wur_;

#endif
