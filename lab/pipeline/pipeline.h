/* SPDX-License-Identifier: MIT */
/*
 * What the lab's demo pipeline programs (loader, connector) share: strict flag parsing,
 * the platform's queue-events telemetry record, clocks and the stop flag set by signals.
 * Nothing here logs; the programs print errors where they handle them.
 */
#ifndef FL_PIPELINE_H
#define FL_PIPELINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fl/diag.h"
#include "fl/macro.h"

/* Exit codes of the pipeline programs (the CLI's: 64 = EX_USAGE). */
#define FL_PIPE_EXIT_OK	   0
#define FL_PIPE_EXIT_FAIL  1
#define FL_PIPE_EXIT_IO	   2
#define FL_PIPE_EXIT_USAGE 64

/* Longest value a flag or a telemetry string may have (bounds user input). */
#define FL_PIPE_STR_MAX 256

/* Set by fl_pipe_install_signals()' handler on SIGTERM/SIGINT. */
extern volatile sig_atomic_t fl_pipe_stop;
void fl_pipe_install_signals(void);

/* A decimal unsigned integer in [min, max], nothing else ("12x", "-1", "" are errors).
 * The diag message names flag, value and range. */
int fl_pipe_parse_u64(const char *flag, const char *text, uint64_t min, uint64_t max, uint64_t *ret,
		      struct fl_diag *diag) _wur_;
/* A non-empty string of at most FL_PIPE_STR_MAX - 1 bytes. */
int fl_pipe_check_str(const char *flag, const char *text, struct fl_diag *diag) _wur_;

uint64_t fl_pipe_mono_ns(void);
/* CLOCK_REALTIME in ms since the epoch: the clock of Kafka's CreateTime. */
int64_t fl_pipe_wall_ms(void);
/* "2026-11-28T17:30:00.123Z" (UTC, milliseconds). */
void fl_pipe_timestamp(char *buf, size_t size);

/* One queue-events record, the platform's format. Strings are borrowed. */
struct fl_pipe_event {
	const char *queue_id;
	const char *producer; /* "<program>@<host>:<pid>" */
	const char *symbol;
	const char *type;   /* "loader" | "connector" */
	const char *status; /* "loading" | "finished" | "error" */
	const char *message;
	uint64_t records_written;
	bool finished;
};
/* The record as compact JSON; returns a new string (free()) or NULL on ENOMEM. */
char *fl_pipe_event_json(const struct fl_pipe_event *ev);
/*
 * Produce ev as JSON on topic (key NULL: none). A refusal is printed as
 * "PROGRAM: telemetry: REASON"; telemetry never stops the pipeline.
 */
struct rd_kafka_s;
void fl_pipe_send_event(struct rd_kafka_s *rk, const char *topic, const char *key,
			const struct fl_pipe_event *ev, const char *program);
/* "<program>@<hostname>:<pid>" into buf. */
void fl_pipe_producer_id(const char *program, char *buf, size_t size);

#endif
