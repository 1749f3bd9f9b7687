/* SPDX-License-Identifier: MIT */
/*
 * A user's bytes quoted for a message ("text"): the one way the agent's API (JSON bodies,
 * query strings), the experiment parser and the kubeconfig loader show what they refuse.
 * '"' and '\' are escaped, control bytes (and, for bytes that may not be UTF-8, everything
 * from 0x7f) become \xNN, so the message stays valid JSON text; more than max bytes are cut
 * with "...".
 */
#ifndef FL_QUOTE_H
#define FL_QUOTE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Quote s[0..len) into buf (size >= 8; at most size - 1 bytes written) and return buf
 * (the caller's: nothing is allocated).
 * high_as_hex: bytes >= 0x80 as \xNN too (raw bytes from a URL, not parsed JSON strings).
 */
const char *fl_quote(const char *s, size_t len, size_t max, bool high_as_hex, char *buf,
		     size_t size);

#endif
