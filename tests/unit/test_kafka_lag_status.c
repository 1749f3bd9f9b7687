/* SPDX-License-Identifier: MIT */
/* The consumer-lag status classifier and the throughput arithmetic, on canned sequences. */
#include "fltest.h"
#include "kafka.h"

#define STATUS(c, e) fl_kafka_lag_status((c), (e), FL_ARRAY_SIZE(c))

FLTEST(idle_topic_caught_up_is_ok)
{
	/* Nothing produced, nothing consumed, lag 0 throughout: must not look stalled. */
	int64_t c[] = { 500, 500, 500, 500 }, e[] = { 500, 500, 500, 500 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_OK);
}

FLTEST(caught_up_once_in_window_is_ok)
{
	int64_t c[] = { 100, 100, 100 }, e[] = { 100, 150, 200 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_OK);
}

FLTEST(consumer_keeping_up_with_lag_is_ok)
{
	/* Lag goes up and down while the consumer moves: normal. */
	int64_t c[] = { 100, 200, 300, 400 }, e[] = { 150, 260, 340, 450 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_OK);
}

FLTEST(stalled_consumer_is_stall)
{
	int64_t c[] = { 100, 100, 100 }, e[] = { 120, 180, 240 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_STALL);
}

FLTEST(stopped_consumer_on_idle_topic_with_lag_is_stall)
{
	int64_t c[] = { 100, 100 }, e[] = { 130, 130 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_STALL);
}

FLTEST(rewind_is_rewind)
{
	int64_t c[] = { 100, 200, 50 }, e[] = { 300, 300, 300 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_REWIND);
}

FLTEST(rewind_after_caught_up_is_still_rewind)
{
	int64_t c[] = { 300, 300, 10 }, e[] = { 300, 300, 300 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_REWIND);
}

FLTEST(growing_lag_while_consuming_is_warn)
{
	int64_t c[] = { 100, 110, 120, 130 }, e[] = { 200, 300, 400, 500 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_WARN);
}

FLTEST(growing_lag_with_one_flat_step_is_ok)
{
	/* Not strictly growing: lag 100, 190, 190, 370. */
	int64_t c[] = { 100, 110, 210, 130 + 100 }, e[] = { 200, 300, 400, 600 };
	FL_ASSERT_EQ(STATUS(c, e), FL_LAG_OK);
}

FLTEST(window_edges)
{
	int64_t c1[] = { 100 }, e1[] = { 200 };
	/* One sample says nothing about movement. */
	FL_ASSERT_EQ(fl_kafka_lag_status(c1, e1, 1), FL_LAG_OK);
	/* Two samples suffice for STALL and WARN. */
	int64_t c2[] = { 100, 100 }, e2[] = { 200, 201 };
	FL_ASSERT_EQ(fl_kafka_lag_status(c2, e2, 2), FL_LAG_STALL);
	int64_t c3[] = { 100, 101 }, e3[] = { 200, 300 };
	FL_ASSERT_EQ(fl_kafka_lag_status(c3, e3, 2), FL_LAG_WARN);
	/* No samples: no data. */
	FL_ASSERT_EQ(fl_kafka_lag_status(c1, e1, 0), FL_LAG_ERR);
	/* Lag 0 only in the last sample: caught up now. */
	int64_t c4[] = { 100, 100, 300 }, e4[] = { 200, 250, 300 };
	FL_ASSERT_EQ(STATUS(c4, e4), FL_LAG_OK);
	/* Commit ahead of the end (truncated log) counts as lag 0. */
	int64_t c5[] = { 400, 400 }, e5[] = { 300, 300 };
	FL_ASSERT_EQ(STATUS(c5, e5), FL_LAG_OK);
}

FLTEST(status_order_and_names)
{
	FL_ASSERT(FL_LAG_OK < FL_LAG_WARN && FL_LAG_WARN < FL_LAG_STALL &&
		  FL_LAG_STALL < FL_LAG_REWIND && FL_LAG_REWIND < FL_LAG_ERR);
	FL_ASSERT_STREQ(fl_lag_status_name(FL_LAG_OK), "OK");
	FL_ASSERT_STREQ(fl_lag_status_name(FL_LAG_WARN), "WARN");
	FL_ASSERT_STREQ(fl_lag_status_name(FL_LAG_STALL), "STALL");
	FL_ASSERT_STREQ(fl_lag_status_name(FL_LAG_REWIND), "REWIND");
	FL_ASSERT_STREQ(fl_lag_status_name(FL_LAG_ERR), "ERR");
}

FLTEST(throughput_arithmetic)
{
	struct fl_kafka_end a[] = {
		{ "t1", 0, 1000 }, { "t1", 1, 2000 }, { "t2", 0, 50 }, { "t3", 0, -1 }
	};
	/* t1/1 grew by 500, t1/0 by 1500, t2/0 is gone, t3/0 answered now only, t4 is new. */
	struct fl_kafka_end b[] = {
		{ "t1", 0, 2500 }, { "t1", 1, 2500 }, { "t3", 0, 70 }, { "t4", 0, 900 }
	};
	struct fl_kafka_ends old = { .t_ns = 1000000000ull, .n = 4, .p = a };
	struct fl_kafka_ends now = { .t_ns = 5000000000ull, .n = 4, .p = b };
	int64_t messages;
	double rate;

	FL_ASSERT_EQ(fl_kafka_throughput(&old, &now, &messages, &rate), 2);
	FL_ASSERT_EQ(messages, 2000);
	FL_ASSERT_MSG(rate > 499.999 && rate < 500.001, "rate %f, expected 500", rate);
}

FLTEST(throughput_end_going_back_counts_zero_and_no_time_no_rate)
{
	struct fl_kafka_end a[] = { { "t", 0, 1000 } }, b[] = { { "t", 0, 10 } };
	struct fl_kafka_ends old = { .t_ns = 7, .n = 1, .p = a },
			     now = { .t_ns = 7, .n = 1, .p = b };
	int64_t messages;
	double rate;

	FL_ASSERT_EQ(fl_kafka_throughput(&old, &now, &messages, &rate), 1);
	FL_ASSERT_EQ(messages, 0);
	FL_ASSERT(rate == 0);
}
