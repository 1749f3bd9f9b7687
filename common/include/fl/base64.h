/* SPDX-License-Identifier: MIT */
/*
 * Base64 text -> bytes, strictly: the standard alphabet with '=' padding, as Go's
 * base64.StdEncoding decodes it (what kubectl reads a kubeconfig's *-data fields with):
 * '\r' and '\n' are skipped anywhere, everything else outside the alphabet is refused, and
 * the text (without them) is a whole number of 4-character groups, padded only at the end.
 */
#ifndef FL_BASE64_H
#define FL_BASE64_H

#include <stddef.h>
#include <sys/types.h>

#include "fl/macro.h"

/* The most bytes len characters of base64 decode to (a buffer size for fl_base64_decode). */
#define FL_BASE64_DECODED_MAX(len) ((len) / 4 * 3 + 3)

/*
 * Decode len characters of text into buf (size bytes; the text needs no NUL). Returns the
 * number of bytes written, -EINVAL for text that is not base64 as above, or -ENOSPC when
 * buf is too small (FL_BASE64_DECODED_MAX(len) always suffices). Nothing is promised about
 * buf's contents after an error.
 */
ssize_t fl_base64_decode(const char *text, size_t len, void *buf, size_t size) _wur_;

#endif
