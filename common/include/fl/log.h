/* SPDX-License-Identifier: MIT */
/*
 * Structured logs for daemons (never for libraries): one line per event on stderr,
 *   ts=2026-11-28T12:00:00.123Z level=info msg="fault injected" fault=f1 kind=network
 * The caller writes the key=value fields; values with spaces are quoted by the caller with
 * fl_log_quote(). Levels are syslog's (LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG).
 */
#ifndef FL_LOG_H
#define FL_LOG_H

#include <stddef.h>
#include <syslog.h>

#include "fl/macro.h"

void fl_log_set_level(int level);
int fl_log_get_level(void);
/* "debug", "info", "warning", "error" -> LOG_*; -1 if unknown. */
int fl_log_level_from_name(const char *name);

/* msg is a short event name; fields_fmt produces "k=v k=v" (may be NULL). */
void fl_log(int level, const char *msg, const char *fields_fmt, ...) _printf_(3, 4);

/* Log at LOG_ERR-ish level with err=<strerror(-r)> appended, and return r. */
int fl_log_errno(int level, int r, const char *msg, const char *fields_fmt, ...) _printf_(4, 5);

/* Quote a value for a field: adds quotes and escapes when it has spaces, quotes or '='.
 * Returns buf (the caller's), or value itself when it needs no quoting (borrowed). */
const char *fl_log_quote(const char *value, char *buf, size_t size);

#endif
