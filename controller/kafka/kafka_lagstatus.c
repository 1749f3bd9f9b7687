/* SPDX-License-Identifier: MIT */
/* Burrow-style status of a partition over a window of lag snapshots. Pure. */
#include "kafka.h"

const char *fl_lag_status_name(enum fl_lag_status status)
{
	switch (status) {
	case FL_LAG_OK:
		return "OK";
	case FL_LAG_WARN:
		return "WARN";
	case FL_LAG_STALL:
		return "STALL";
	case FL_LAG_REWIND:
		return "REWIND";
	case FL_LAG_ERR:
		break;
	}
	return "ERR";
}

static int64_t lag_of(int64_t committed, int64_t end)
{
	return end > committed ? end - committed : 0;
}

enum fl_lag_status fl_kafka_lag_status(const int64_t *committed, const int64_t *end, unsigned n)
{
	if (n == 0)
		return FL_LAG_ERR;
	/* Checked before "lag 0 somewhere": a group reset to earlier offsets right after it
	 * had caught up is exactly what must show. */
	for (unsigned i = 1; i < n; i++)
		if (committed[i] < committed[i - 1])
			return FL_LAG_REWIND;
	for (unsigned i = 0; i < n; i++)
		if (lag_of(committed[i], end[i]) == 0)
			return FL_LAG_OK; /* caught up at some point (an idle topic stays here) */
	if (n < 2)
		return FL_LAG_OK; /* one sample says nothing about movement */
	if (committed[n - 1] == committed[0])
		return FL_LAG_STALL; /* not moving (and never went back), lag > 0 throughout */
	for (unsigned i = 1; i < n; i++)
		if (lag_of(committed[i], end[i]) <= lag_of(committed[i - 1], end[i - 1]))
			return FL_LAG_OK;
	return FL_LAG_WARN; /* consuming, but falling further behind at every sample */
}
