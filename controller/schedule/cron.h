/* SPDX-License-Identifier: MIT */
/*
 * Cron expressions: a strict parser and the next fire time (docs/schedule.md).
 *
 *   minute hour day-of-month month day-of-week
 *   "0 3 * * 1"   "*\/15 9-17 * * mon-fri"   "0 0 1,15 * *"   "@daily"
 *
 * Fields take `*`, numbers, ranges `a-b`, steps `*\/n` and `a-b/n`, comma lists, names in
 * the month (jan-dec) and day-of-week (sun-sat) fields, and 7 for Sunday. When both
 * day-of-month and day-of-week are restricted (neither starts with `*`) a day matches if
 * either matches (Vixie cron's rule); otherwise both must. Macros: @hourly @daily
 * @midnight @weekly @monthly @yearly @annually. There is no CRON_TZ: times are the
 * process's local time (TZ).
 *
 * Plain value, no allocation: struct fl_cron lives wherever the caller puts it.
 */
#ifndef FL_CRON_H
#define FL_CRON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "fl/diag.h"
#include "fl/macro.h"

#define FL_CRON_TEXT_MAX 128 /* bytes of an expression, NUL excluded */

struct fl_cron {
	uint64_t minutes;		 /* bit n: minute n (0-59) */
	uint32_t hours;			 /* bit n: hour n (0-23) */
	uint32_t mdays;			 /* bit n: day of month n (1-31) */
	uint16_t months;		 /* bit n: month n (1-12) */
	uint8_t wdays;			 /* bit n: weekday n (0 = Sunday .. 6) */
	bool mday_any;			 /* day-of-month started with '*' */
	bool wday_any;			 /* day-of-week started with '*' */
	char text[FL_CRON_TEXT_MAX + 1]; /* the expression as given (for messages) */
};

/*
 * Parse text into *ret (written only on success). Errors: -EINVAL with a message naming
 * the field and the value (`minute: "61" is out of range 0-59`), -ERANGE when the
 * expression can never fire (`day-of-month: 30 never occurs in the months selected
 * (feb)`).
 */
int fl_cron_parse(const char *text, struct fl_cron *ret, struct fl_diag *diag) _wur_;

/*
 * The first fire time strictly after `after`, in local time. A wall-clock time skipped
 * by a DST change (02:30 on a spring-forward night) fires at the first minute that exists
 * after the gap (03:00); a wall-clock time that occurs twice (fall-back) fires only at its
 * first occurrence. -ERANGE when nothing fires within 28 years (only for an expression
 * fl_cron_parse would have rejected, or near the end of time_t).
 */
int fl_cron_next(const struct fl_cron *c, time_t after, time_t *ret) _wur_;

/* Whether the cron selects this wall-clock minute (fields as in struct tm). */
bool fl_cron_matches(const struct fl_cron *c, const struct tm *tm);

#endif
