/* SPDX-License-Identifier: MIT */
/*
 * A minimal protobuf wire codec: enough for the CRI messages (cri.c). The encoder appends
 * to a growable buffer and remembers the first allocation failure (checked once at the
 * end); the decoder walks the fields of a message without ever reading past its end.
 */
#ifndef FL_PB_H
#define FL_PB_H

#include <stddef.h>
#include <stdint.h>

enum { FL_PB_VARINT = 0, FL_PB_FIXED64 = 1, FL_PB_BYTES = 2, FL_PB_FIXED32 = 5 };

struct fl_pb_buf {
	uint8_t *data;
	size_t len, cap;
	int err; /* -ENOMEM once an append failed */
};

void fl_pb_free(struct fl_pb_buf *b);
/* Fields; proto3 defaults (0, "", false) are written too unless the caller skips them. */
void fl_pb_varint(struct fl_pb_buf *b, uint32_t num, uint64_t v);
void fl_pb_bytes(struct fl_pb_buf *b, uint32_t num, const void *p, size_t n);
void fl_pb_string(struct fl_pb_buf *b, uint32_t num, const char *s);
/* A nested message: sub's bytes as field num (sub is not freed). */
void fl_pb_message(struct fl_pb_buf *b, uint32_t num, const struct fl_pb_buf *sub);
/* One entry of a map<string, string> field. */
void fl_pb_map_entry(struct fl_pb_buf *b, uint32_t num, const char *key, const char *value);

struct fl_pb_field {
	uint32_t num;
	int wire;
	uint64_t varint;     /* FL_PB_VARINT, FIXED32, FIXED64 */
	const uint8_t *data; /* FL_PB_BYTES: borrowed from the input */
	size_t len;
};

struct fl_pb_reader {
	const uint8_t *p;
	size_t len, off;
};

void fl_pb_reader_init(struct fl_pb_reader *r, const void *p, size_t len);
/* The next field: 1, 0 at the end, -EBADMSG on malformed input. */
int fl_pb_next(struct fl_pb_reader *r, struct fl_pb_field *f);
/* Copy a BYTES field as a NUL-terminated string into dst (truncating to size - 1). */
void fl_pb_copy_string(const struct fl_pb_field *f, char *dst, size_t size);

#endif
