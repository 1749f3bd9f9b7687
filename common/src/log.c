/* SPDX-License-Identifier: MIT */
/*
 * Structured key=value log lines for the daemons (fl/log.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fl/log.h"

static int log_level = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

void fl_log_set_level(int level)
{
	log_level = level;
}

int fl_log_get_level(void)
{
	return log_level;
}

int fl_log_level_from_name(const char *name)
{
	static const struct {
		const char *name;
		int level;
	} levels[] = { { "debug", LOG_DEBUG },
		       { "info", LOG_INFO },
		       { "warning", LOG_WARNING },
		       { "warn", LOG_WARNING },
		       { "error", LOG_ERR } };

	for (size_t i = 0; i < FL_ARRAY_SIZE(levels); i++)
		if (strcasecmp(name, levels[i].name) == 0)
			return levels[i].level;
	return -1;
}

static const char *level_name(int level)
{
	switch (level) {
	case LOG_DEBUG:
		return "debug";
	case LOG_INFO:
	case LOG_NOTICE:
		return "info";
	case LOG_WARNING:
		return "warning";
	default:
		return "error";
	}
}

static void vlog(int level, const char *msg, const char *extra, const char *fmt, va_list ap)
{
	char fields[1024] = "", ts[40];
	struct timespec now;
	struct tm tm;

	if (level > log_level)
		return;
	if (fmt)
		(void)vsnprintf(fields, sizeof(fields), fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	(void)strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	pthread_mutex_lock(&log_lock);
	fprintf(stderr, "ts=%s.%03ldZ level=%s msg=\"%s\"%s%s%s\n", ts, now.tv_nsec / 1000000,
		level_name(level), msg, fields[0] ? " " : "", fields, extra ? extra : "");
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

void fl_log(int level, const char *msg, const char *fields_fmt, ...)
{
	va_list ap;

	va_start(ap, fields_fmt);
	vlog(level, msg, NULL, fields_fmt, ap);
	va_end(ap);
}

int fl_log_errno(int level, int r, const char *msg, const char *fields_fmt, ...)
{
	char extra[160];
	va_list ap;

	(void)snprintf(extra, sizeof(extra), " err=\"%s\"", strerror(r < 0 ? -r : r));
	va_start(ap, fields_fmt);
	vlog(level, msg, extra, fields_fmt, ap);
	va_end(ap);
	return r;
}

const char *fl_log_quote(const char *value, char *buf, size_t size)
{
	size_t n = 0;
	bool plain = value[0] != '\0';

	for (const char *p = value; *p && plain; p++)
		if (*p == ' ' || *p == '"' || *p == '=' || *p == '\\' || (unsigned char)*p < 0x20)
			plain = false;
	if (plain)
		return value;
	if (size < 3)
		return "\"\"";
	buf[n++] = '"';
	for (const char *p = value; *p && n + 3 < size; p++) {
		if (*p == '"' || *p == '\\')
			buf[n++] = '\\';
		buf[n++] = (unsigned char)*p < 0x20 ? ' ' : *p;
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}
