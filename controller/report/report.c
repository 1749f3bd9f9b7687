/* SPDX-License-Identifier: MIT */
/* Helpers shared by the reports (report.h): safe file writing, rendering into a buffer,
 * stream errors; the timeline is report_timeline.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"
#include "report.h"

#define PATH_BYTES_MAX 4096

int fl_report_write_file(const char *path, int (*render)(const json_t *, FILE *, struct fl_diag *),
			 const json_t *journal, struct fl_diag *diag)
{
	char tmp[PATH_BYTES_MAX];
	FILE *f;
	int fd = -1, r;

	if (strcmp(path, "-") == 0) {
		r = render(journal, stdout, diag);
		if (r < 0)
			return r;
		if (fflush(stdout) != 0 || ferror(stdout))
			return fl_diag_set(diag, -EIO, "writing to standard output: %s",
					   strerror(errno));
		return 0;
	}
	if (diag)
		diag->file = path;
	/* A name of our own next to the target (rename does not cross file systems); the
	 * mode comes from open's 0666 and the umask, as for any file a tool creates. */
	for (unsigned attempt = 0; fd < 0 && attempt < 100; attempt++) {
		int n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%u", path, (long)getpid(),
				 attempt + (unsigned)time(NULL) % 1000 * 100);

		if (n < 0 || (size_t)n >= sizeof(tmp))
			return fl_diag_set(diag, -ENAMETOOLONG, "path is too long");
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			return fl_diag_set(diag, -errno, "cannot create %s: %s", tmp,
					   strerror(errno));
	}
	if (fd < 0)
		return fl_diag_set(diag, -EEXIST, "cannot create a temporary file next to it");
	f = fdopen(fd, "w");
	if (!f) {
		r = -errno;
		(void)close(fd);
		(void)unlink(tmp);
		return fl_diag_set(diag, r, "%s", strerror(-r));
	}
	r = render(journal, f, diag);
	if (r >= 0 && (fflush(f) != 0 || ferror(f)))
		r = fl_diag_set(diag, errno ? -errno : -EIO, "writing: %s", strerror(errno));
	if (r >= 0 && fsync(fileno(f)) < 0)
		r = fl_diag_set(diag, -errno, "writing: %s", strerror(errno));
	if (fclose(f) != 0 && r >= 0)
		r = fl_diag_set(diag, -errno, "writing: %s", strerror(errno));
	if (r >= 0 && rename(tmp, path) < 0)
		r = fl_diag_set(diag, -errno, "cannot rename %s over it: %s", tmp, strerror(errno));
	if (r < 0)
		(void)unlink(tmp);
	return r;
}

/*
 * A growing buffer behind a FILE. Not open_memstream(): when glibc's memory stream fails
 * to grow it drops the bytes without setting the stream's error flag, so a report could
 * come back short and "successful". A cookie stream whose write fails sets the flag.
 */
struct membuf {
	char *data;
	size_t len, cap;
};

static ssize_t membuf_write(void *cookie, const char *p, size_t n)
{
	struct membuf *m = cookie;

	if (n >= m->cap - m->len) { /* keep one byte for the NUL */
		size_t cap = m->cap ? m->cap : 4096;
		char *data;

		while (n >= cap - m->len) {
			if (cap > SIZE_MAX / 2) {
				errno = ENOMEM;
				return -1;
			}
			cap *= 2;
		}
		data = realloc(m->data, cap);
		if (!data) {
			errno = ENOMEM;
			return -1;
		}
		m->data = data;
		m->cap = cap;
	}
	memcpy(m->data + m->len, p, n);
	m->len += n;
	return (ssize_t)n;
}

int fl_report_render_buffer(int (*render)(const json_t *, FILE *, struct fl_diag *),
			    const json_t *journal, char **ret, size_t *ret_len,
			    struct fl_diag *diag)
{
	static const cookie_io_functions_t io = { .write = membuf_write };
	struct membuf m = { 0 };
	FILE *f = fopencookie(&m, "w", io);
	int r;

	if (!f)
		return fl_diag_set(diag, -ENOMEM, "out of memory");
	r = render(journal, f, diag);
	if (r >= 0 && (fflush(f) != 0 || ferror(f)))
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
	if (fclose(f) != 0 && r >= 0)
		r = fl_diag_set(diag, -ENOMEM, "out of memory");
	if (r >= 0 && !m.data) { /* nothing written: still a string */
		m.data = calloc(1, 1);
		if (!m.data)
			r = fl_diag_set(diag, -ENOMEM, "out of memory");
	}
	if (r < 0) {
		free(m.data);
		return r;
	}
	m.data[m.len] = '\0';
	*ret = m.data;
	*ret_len = m.len;
	return 0;
}

int fl_report_stream_error(void)
{
	int e = errno;

	return e == ENOMEM || e == ENOSPC || e == EDQUOT || e == EPIPE ? -e : -EIO;
}

void fl_report_upper(const char *s, char *buf, size_t size)
{
	size_t i;

	if (!size)
		return;
	for (i = 0; s && s[i] && i + 1 < size; i++)
		buf[i] = (char)(s[i] >= 'a' && s[i] <= 'z' ? s[i] - 'a' + 'A' : s[i]);
	buf[i] = '\0';
}

bool fl_report_fault_failed(const json_t *fault, const char *step)
{
	return strcmp(fl_journal_str_or(fl_journal_object(fault, step), "result", ""), "error") ==
	       0;
}

void fl_report_fault_error(const json_t *fault, const char *step, FILE *out,
			   void (*escape)(FILE *out, const char *s))
{
	fprintf(out, "%s ", step);
	escape(out, fl_journal_str_or(fault, "name", "?"));
	fputs(" on ", out);
	escape(out, fl_journal_str_or(fault, "target", "?"));
	fputs(": ", out);
	escape(out, fl_journal_str_or(fl_journal_object(fault, step), "message", "failed"));
}

void fl_report_check_line(const json_t *check, FILE *out, void (*escape)(FILE *out, const char *s))
{
	escape(out, fl_journal_str_or(check, "probe", "?"));
	fputs(" [", out);
	escape(out, fl_journal_str_or(check, "phase", "?"));
	fputs("]: ", out);
	escape(out, fl_journal_str_or(check, "message", ""));
}
