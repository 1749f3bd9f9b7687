/* SPDX-License-Identifier: MIT */
/*
 * Protobuf wire format (https://protobuf.dev/programming-guides/encoding/): varints of up
 * to 10 bytes, length-delimited fields, fixed32/64 read and skipped; groups are refused.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pb.h"

void fl_pb_free(struct fl_pb_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static void append(struct fl_pb_buf *b, const void *p, size_t n)
{
	if (b->err)
		return;
	if (n > SIZE_MAX / 4 - b->len) { /* keeps the doubling below from overflowing */
		b->err = -ENOMEM;
		return;
	}
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *nd;

		while (cap < b->len + n)
			cap *= 2;
		nd = realloc(b->data, cap);
		if (!nd) {
			b->err = -ENOMEM;
			return;
		}
		b->data = nd;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
}

static void put_varint(struct fl_pb_buf *b, uint64_t v)
{
	uint8_t tmp[10];
	size_t n = 0;

	do {
		tmp[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		if (v)
			tmp[n] |= 0x80;
		n++;
	} while (v);
	append(b, tmp, n);
}

void fl_pb_varint(struct fl_pb_buf *b, uint32_t num, uint64_t v)
{
	put_varint(b, (uint64_t)num << 3 | FL_PB_VARINT);
	put_varint(b, v);
}

void fl_pb_bytes(struct fl_pb_buf *b, uint32_t num, const void *p, size_t n)
{
	put_varint(b, (uint64_t)num << 3 | FL_PB_BYTES);
	put_varint(b, n);
	append(b, p, n);
}

void fl_pb_string(struct fl_pb_buf *b, uint32_t num, const char *s)
{
	fl_pb_bytes(b, num, s, strlen(s));
}

void fl_pb_message(struct fl_pb_buf *b, uint32_t num, const struct fl_pb_buf *sub)
{
	if (sub->err && !b->err)
		b->err = sub->err;
	fl_pb_bytes(b, num, sub->data, sub->len);
}

void fl_pb_map_entry(struct fl_pb_buf *b, uint32_t num, const char *key, const char *value)
{
	struct fl_pb_buf e = { 0 };

	fl_pb_string(&e, 1, key);
	fl_pb_string(&e, 2, value);
	fl_pb_message(b, num, &e);
	fl_pb_free(&e);
}

void fl_pb_reader_init(struct fl_pb_reader *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
}

static int get_varint(struct fl_pb_reader *r, uint64_t *ret)
{
	uint64_t v = 0;

	for (unsigned shift = 0; shift < 70; shift += 7) {
		uint8_t c;

		if (r->off >= r->len)
			return -EBADMSG;
		c = r->p[r->off++];
		if (shift == 63 && (c & 0x7e))
			return -EBADMSG; /* more than 64 bits */
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EBADMSG;
}

/* fixed32 / fixed64 are little-endian on the wire, whatever the host. */
static uint64_t get_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

int fl_pb_next(struct fl_pb_reader *r, struct fl_pb_field *f)
{
	uint64_t key, n;

	if (r->off >= r->len)
		return 0;
	if (get_varint(r, &key) < 0 || (key >> 3) == 0 || (key >> 3) > 0x1fffffff)
		return -EBADMSG;
	memset(f, 0, sizeof(*f));
	f->num = (uint32_t)(key >> 3);
	f->wire = (int)(key & 7);
	switch (f->wire) {
	case FL_PB_VARINT:
		return get_varint(r, &f->varint) < 0 ? -EBADMSG : 1;
	case FL_PB_FIXED64:
		if (r->len - r->off < 8)
			return -EBADMSG;
		f->varint = get_le(r->p + r->off, 8);
		r->off += 8;
		return 1;
	case FL_PB_FIXED32:
		if (r->len - r->off < 4)
			return -EBADMSG;
		f->varint = get_le(r->p + r->off, 4);
		r->off += 4;
		return 1;
	case FL_PB_BYTES:
		if (get_varint(r, &n) < 0 || n > r->len - r->off)
			return -EBADMSG;
		f->data = r->p + r->off;
		f->len = (size_t)n;
		r->off += (size_t)n;
		return 1;
	default:
		return -EBADMSG; /* groups (3, 4) are not used by the CRI */
	}
}

void fl_pb_copy_string(const struct fl_pb_field *f, char *dst, size_t size)
{
	size_t n;

	if (!size)
		return;
	n = f->wire == FL_PB_BYTES ? f->len : 0;
	if (n >= size)
		n = size - 1;
	if (n)
		memcpy(dst, f->data, n);
	dst[n] = '\0';
}
