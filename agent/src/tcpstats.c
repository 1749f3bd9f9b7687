/* SPDX-License-Identifier: MIT */
/* A network namespace's TCP counters (tcpstats.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fl/nsock.h"
#include "tcpstats.h"

#define SNMP_PATH  "/proc/thread-self/net/snmp"
#define FIELDS_MAX 64 /* the kernel has 15 "Tcp:" fields */
#define SHOWN_MAX  24 /* bytes of a bad value shown in a message */

struct line {
	const char *p;
	size_t len;
	bool newline; /* ended by '\n', not by the end of the text */
};

struct words {
	unsigned n;
	struct {
		const char *p;
		size_t len;
	} w[FIELDS_MAX];
};

/* The line at *at (advanced past it); false at the end of the text. */
static bool next_line(const char *text, size_t len, size_t *at, struct line *ret)
{
	const char *nl;

	if (*at >= len)
		return false;
	ret->p = text + *at;
	nl = memchr(ret->p, '\n', len - *at);
	ret->newline = nl != NULL;
	ret->len = nl ? (size_t)(nl - ret->p) : len - *at;
	*at += ret->len + 1;
	return true;
}

static bool is_tcp(const struct line *l)
{
	return l->len >= 4 && memcmp(l->p, "Tcp:", 4) == 0;
}

/* The words after "Tcp:", separated by runs of blanks; -E2BIG beyond FIELDS_MAX. */
static int split(const struct line *l, struct words *ret)
{
	size_t i = 4;

	ret->n = 0;
	while (i < l->len) {
		size_t start;

		while (i < l->len && (l->p[i] == ' ' || l->p[i] == '\t'))
			i++;
		if (i == l->len)
			break;
		if (ret->n == FIELDS_MAX)
			return -E2BIG;
		start = i;
		while (i < l->len && l->p[i] != ' ' && l->p[i] != '\t')
			i++;
		ret->w[ret->n].p = l->p + start;
		ret->w[ret->n].len = i - start;
		ret->n++;
	}
	return 0;
}

/* A counter: 1 to 20 decimal digits that fit 64 bits. */
static bool parse_counter(const char *p, size_t len, uint64_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)p[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*ret = v;
	return true;
}

/* The kernel's bytes for a message: printable ASCII, anything else as '?', cut. */
static const char *shown(const char *p, size_t len, char *buf, size_t size)
{
	size_t n = FL_MIN(FL_MIN(len, (size_t)SHOWN_MAX), size - 4), o = 0;

	for (size_t i = 0; i < n; i++)
		buf[o++] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
	if (n < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

static int field(const struct words *names, const struct words *values, const char *name,
		 uint64_t *ret, struct fl_diag *diag)
{
	char q[SHOWN_MAX + 4];

	for (unsigned i = 0; i < names->n; i++) {
		if (names->w[i].len != strlen(name) || memcmp(names->w[i].p, name, names->w[i].len))
			continue;
		if (!parse_counter(values->w[i].p, values->w[i].len, ret))
			return fl_diag_set(diag, -EINVAL, "snmp: Tcp %s \"%s\" is not a counter",
					   name,
					   shown(values->w[i].p, values->w[i].len, q, sizeof(q)));
		return 0;
	}
	return fl_diag_set(diag, -EINVAL, "snmp: \"Tcp:\" has no %s", name);
}

int fl_tcpstats_parse(const char *text, size_t len, struct fl_tcpstats *ret, struct fl_diag *diag)
{
	struct words names, values;
	struct line header, data;
	struct fl_tcpstats st;
	size_t at = 0;
	int r;

	if (len > FL_TCPSTATS_FILE_MAX)
		return fl_diag_set(diag, -EINVAL,
				   "snmp: %zu bytes, more than a /proc/net/snmp "
				   "(at most %d)",
				   len, FL_TCPSTATS_FILE_MAX);
	do {
		if (!next_line(text, len, &at, &header))
			return fl_diag_set(diag, -EINVAL, "snmp: no \"Tcp:\" lines");
	} while (!is_tcp(&header));
	if (!next_line(text, len, &at, &data) || !is_tcp(&data))
		return fl_diag_set(diag, -EINVAL,
				   "snmp: the \"Tcp:\" names are not followed by "
				   "a \"Tcp:\" line of values");
	if (!data.newline)
		return fl_diag_set(diag, -EINVAL,
				   "snmp: the \"Tcp:\" values are cut short (no "
				   "newline at their end)");
	if (split(&header, &names) < 0 || split(&data, &values) < 0)
		return fl_diag_set(diag, -EINVAL, "snmp: \"Tcp:\" has more than %d fields",
				   FIELDS_MAX);
	if (names.n != values.n)
		return fl_diag_set(diag, -EINVAL,
				   "snmp: \"Tcp:\" names %u fields but has %u "
				   "values",
				   names.n, values.n);
	if ((r = field(&names, &values, "RetransSegs", &st.retrans_segs, diag)) < 0 ||
	    (r = field(&names, &values, "OutSegs", &st.out_segs, diag)) < 0 ||
	    (r = field(&names, &values, "InSegs", &st.in_segs, diag)) < 0)
		return r;
	*ret = st;
	return 0;
}

int fl_tcpstats_read(const char *netns_path, struct fl_tcpstats *ret, struct fl_diag *diag)
{
	_cleanup_(fl_freep) char *buf = NULL;
	_cleanup_(fl_closep) int fd = -1;
	size_t len = 0;
	ssize_t n;
	int r;

	if ((r = fl_nsock_open_file(netns_path, SNMP_PATH, &fd, diag)) < 0)
		return r;
	if (!(buf = malloc(FL_TCPSTATS_FILE_MAX + 1)))
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	/* One byte more than the limit: a larger file is refused, not cut. */
	while (len <= FL_TCPSTATS_FILE_MAX &&
	       (n = read(fd, buf + len, FL_TCPSTATS_FILE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fl_diag_set(diag, -errno, "reading %s: %s", SNMP_PATH,
					   strerror(errno));
		len += (size_t)n;
	}
	return fl_tcpstats_parse(buf, len, ret, diag);
}
