/* SPDX-License-Identifier: MIT */
/* Shared by the HTML report's files only (report_html.c, report_chart.c). */
#ifndef FL_REPORT_INTERNAL_H
#define FL_REPORT_INTERNAL_H

#include <jansson.h>
#include <stdio.h>

/*
 * The "Timeline" heading and inline SVG of an experiment (borrowed): throughput and
 * consumer lag over time, fault windows shaded, the abort marked. Journal text is escaped.
 */
void fl_report_html_chart(FILE *out, const json_t *experiment);

#endif
