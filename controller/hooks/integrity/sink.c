/* SPDX-License-Identifier: MIT */
/*
 * The sink (see sink.h). Upsert by construction: a record's slot is a pure function of its
 * seq, so a second write of the same seq lands on the same 256 bytes. One pwrite per slot;
 * fsync of every touched block before the connector commits its offsets.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sink.h"

/* Blocks kept open at once; seqs arrive nearly in order, so one or two are in use. */
#define OPEN_MAX 8

struct slot {
	uint32_t magic;
	uint32_t crc;
	uint64_t seq;
	int32_t partition;
	uint32_t len;
	int64_t offset;
	int64_t produced_ms;
	int64_t stored_ms;
	unsigned char value[FL_SINK_VALUE_MAX];
};
_Static_assert(sizeof(struct slot) == FL_SINK_SLOT_SIZE, "slot layout");

struct open_block {
	uint64_t block;
	int fd; /* -1: unused */
	bool dirty;
};

struct fl_sink {
	int dirfd;
	struct open_block blocks[OPEN_MAX];
	unsigned next_evict;
	uint64_t redeliveries;
	bool counter_dirty;
};

/* CRC-32 (IEEE, reflected), a byte at a time from a table: 8x fewer steps than bit by bit,
 * which made the CRC most of a whole-sink scan (100,000 slots: 0.25 s of CPU). */
static uint32_t crc_table[256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
		crc_table[i] = c;
	}
}

static uint32_t crc32_bytes(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint32_t crc = 0xffffffffu;

	(void)pthread_once(&crc_once, crc_init);
	for (size_t i = 0; i < len; i++)
		crc = (crc >> 8) ^ crc_table[(crc ^ p[i]) & 0xffu];
	return ~crc;
}

static uint32_t slot_crc(const struct slot *s)
{
	return crc32_bytes(&s->seq, sizeof(*s) - offsetof(struct slot, seq));
}

static int read_counter(int dirfd, uint64_t *ret)
{
	char buf[32] = { 0 };
	ssize_t n;
	int fd;

	fd = openat(dirfd, "redeliveries", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return -errno;
		*ret = 0;
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return -errno;
	*ret = strtoull(buf, NULL, 10);
	return 0;
}

/*
 * DIR/FORMAT must say FL_SINK_FORMAT: a sink of another format (format 1 had no timestamps
 * and a longer value) would be misread slot by slot. Missing: -ENOENT (callers creating a
 * sink write it then).
 */
static int check_format(int dirfd, const char *dir, struct fl_diag *diag)
{
	char buf[128] = { 0 };
	ssize_t n;
	size_t len;
	int fd;

	fd = openat(dirfd, "FORMAT", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fl_diag_set(diag, -errno, "sink: %s/FORMAT: %s (not a sink?)", dir,
				   strerror(errno));
	n = read(fd, buf, sizeof(buf) - 1);
	(void)close(fd);
	if (n < 0)
		return fl_diag_set(diag, -errno, "sink: %s/FORMAT: %s", dir, strerror(errno));
	len = strcspn(buf, "\n");
	if (len == sizeof(FL_SINK_FORMAT) - 1 && memcmp(buf, FL_SINK_FORMAT, len) == 0)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (buf[i] < ' ' || buf[i] > '~')
			buf[i] = '?';
	return fl_diag_set(diag, -EPROTO,
			   "sink: %s/FORMAT is \"%.*s\", not \"" FL_SINK_FORMAT "\" (a sink "
			   "written by another version of the connector; start over with an "
			   "empty sink directory)",
			   dir, (int)FL_MIN(len, 64), buf);
}

static int write_format(int dirfd, const char *dir, struct fl_diag *diag)
{
	static const char format[] = FL_SINK_FORMAT "\n";
	int fd;

	fd = openat(dirfd, "FORMAT", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, format, sizeof(format) - 1) != sizeof(format) - 1 ||
	    fsync(fd) < 0) {
		int r = fl_diag_set(diag, -errno, "sink: %s/FORMAT: %s", dir, strerror(errno));

		if (fd >= 0)
			(void)close(fd);
		return r;
	}
	(void)close(fd);
	return 0;
}

int fl_sink_open(const char *dir, bool create, struct fl_sink **ret, struct fl_diag *diag)
{
	struct fl_sink *sink;
	int r;

	if (create && mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fl_diag_set(diag, -errno, "sink: mkdir %s: %s", dir, strerror(errno));
	sink = calloc(1, sizeof(*sink));
	if (!sink)
		return fl_diag_set(diag, -ENOMEM, "sink: out of memory");
	for (unsigned i = 0; i < OPEN_MAX; i++)
		sink->blocks[i].fd = -1;
	sink->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sink->dirfd < 0) {
		r = fl_diag_set(diag, -errno, "sink: open %s: %s", dir, strerror(errno));
		goto fail;
	}
	r = check_format(sink->dirfd, dir, diag);
	if (r == -ENOENT && create)
		r = write_format(sink->dirfd, dir, diag);
	if (r < 0)
		goto fail;
	r = read_counter(sink->dirfd, &sink->redeliveries);
	if (r < 0) {
		fl_diag_set(diag, r, "sink: %s/redeliveries: %s", dir, strerror(-r));
		goto fail;
	}
	*ret = sink;
	return 0;
fail:
	fl_sink_close(sink);
	return r;
}

static int sync_block(struct open_block *b)
{
	if (b->fd >= 0 && b->dirty) {
		if (fsync(b->fd) < 0)
			return -errno;
		b->dirty = false;
	}
	return 0;
}

/* The fd of a block, opened (and created) on first use. Evicting syncs first: a closed fd
 * must never hold the only copy of an unsynced write the caller will later commit. */
static struct open_block *block_fd(struct fl_sink *sink, uint64_t block, int *ret_err)
{
	char name[48];
	struct open_block *b = NULL;
	int r;

	for (unsigned i = 0; i < OPEN_MAX; i++)
		if (sink->blocks[i].fd >= 0 && sink->blocks[i].block == block)
			return &sink->blocks[i];
	b = &sink->blocks[sink->next_evict];
	sink->next_evict = (sink->next_evict + 1) % OPEN_MAX;
	if (b->fd >= 0) {
		r = sync_block(b);
		if (r < 0) {
			*ret_err = r;
			return NULL;
		}
		(void)close(b->fd);
		b->fd = -1;
	}
	snprintf(name, sizeof(name), "blk-%010" PRIu64 ".dat", block);
	b->fd = openat(sink->dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (b->fd < 0) {
		*ret_err = -errno;
		return NULL;
	}
	b->block = block;
	b->dirty = false;
	/* A new block file's directory entry must be durable too. */
	if (fsync(sink->dirfd) < 0) {
		*ret_err = -errno;
		return NULL;
	}
	return b;
}

int fl_sink_put(struct fl_sink *sink, const struct fl_sink_record *rec, bool *ret_existed,
		struct fl_diag *diag)
{
	struct open_block *b;
	struct slot s = { 0 }, old = { 0 };
	off_t at;
	ssize_t n;
	int r = -EIO;

	if (rec->seq == 0)
		return fl_diag_set(diag, -EINVAL, "sink: seq 0 is not a sequence number");
	if (rec->len > FL_SINK_VALUE_MAX)
		return fl_diag_set(diag, -EMSGSIZE,
				   "sink: seq %" PRIu64 ": value of %u bytes, "
				   "a slot holds %u",
				   rec->seq, rec->len, FL_SINK_VALUE_MAX);
	b = block_fd(sink, rec->seq / FL_SINK_BLOCK_SLOTS, &r);
	if (!b)
		return fl_diag_set(diag, r, "sink: block of seq %" PRIu64 ": %s", rec->seq,
				   strerror(-r));
	at = (off_t)(rec->seq % FL_SINK_BLOCK_SLOTS) * FL_SINK_SLOT_SIZE;
	n = pread(b->fd, &old, sizeof(old), at);
	if (n < 0)
		return fl_diag_set(diag, -errno, "sink: read slot of seq %" PRIu64 ": %s", rec->seq,
				   strerror(errno));
	s.magic = FL_SINK_MAGIC;
	s.seq = rec->seq;
	s.partition = rec->partition;
	s.offset = rec->offset;
	s.produced_ms = rec->produced_ms;
	s.stored_ms = rec->stored_ms;
	s.len = rec->len;
	memcpy(s.value, rec->value, rec->len);
	s.crc = slot_crc(&s);
	n = pwrite(b->fd, &s, sizeof(s), at);
	if (n != (ssize_t)sizeof(s))
		return fl_diag_set(diag, n < 0 ? -errno : -EIO,
				   "sink: write slot of seq %" PRIu64 ": %s", rec->seq,
				   n < 0 ? strerror(errno) : "short write");
	b->dirty = true;
	/* A short read (past the end of the block file) left old zeroed: no magic. */
	*ret_existed = old.magic == FL_SINK_MAGIC && old.seq == rec->seq;
	if (*ret_existed) {
		sink->redeliveries++;
		sink->counter_dirty = true;
	}
	return 0;
}

/* Replace the counter file atomically: write a temporary, fsync, rename. */
static int write_counter(struct fl_sink *sink)
{
	char buf[32];
	int fd, len;

	len = snprintf(buf, sizeof(buf), "%" PRIu64 "\n", sink->redeliveries);
	fd = openat(sink->dirfd, "redeliveries.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
		    0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, (size_t)len) != len || fsync(fd) < 0) {
		int r = -errno;

		(void)close(fd);
		return r ? r : -EIO;
	}
	(void)close(fd);
	if (renameat(sink->dirfd, "redeliveries.tmp", sink->dirfd, "redeliveries") < 0)
		return -errno;
	return 0;
}

int fl_sink_sync(struct fl_sink *sink, struct fl_diag *diag)
{
	int r;

	for (unsigned i = 0; i < OPEN_MAX; i++) {
		r = sync_block(&sink->blocks[i]);
		if (r < 0)
			return fl_diag_set(diag, r, "sink: fsync block %" PRIu64 ": %s",
					   sink->blocks[i].block, strerror(-r));
	}
	if (sink->counter_dirty) {
		r = write_counter(sink);
		if (r < 0)
			return fl_diag_set(diag, r, "sink: redeliveries: %s", strerror(-r));
		sink->counter_dirty = false;
	}
	return 0;
}

uint64_t fl_sink_redeliveries(const struct fl_sink *sink)
{
	return sink->redeliveries;
}

struct fl_sink *fl_sink_close(struct fl_sink *sink)
{
	if (!sink)
		return NULL;
	for (unsigned i = 0; i < OPEN_MAX; i++)
		if (sink->blocks[i].fd >= 0)
			(void)close(sink->blocks[i].fd);
	if (sink->dirfd >= 0)
		(void)close(sink->dirfd);
	free(sink);
	return NULL;
}

/* Slots read per pread: one syscall per 16 KiB instead of per slot. */
#define SCAN_CHUNK 64

static int scan_block(int dirfd, const char *name, uint64_t block,
		      int (*fn)(const struct fl_sink_slot_view *v, void *arg), void *arg)
{
	struct slot chunk[SCAN_CHUNK]; /* 16 KiB of stack */
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (uint64_t first = 0; first < FL_SINK_BLOCK_SLOTS && r >= 0; first += SCAN_CHUNK) {
		n = pread(fd, chunk, sizeof(chunk), (off_t)(first * FL_SINK_SLOT_SIZE));
		if (n < 0) {
			r = -errno;
			break;
		}
		/* A short read ends at the block file's end, past the last written slot. */
		size_t got = (size_t)n / sizeof(struct slot);
		for (size_t i = 0; i < got && r >= 0; i++) {
			const struct slot *s = &chunk[i];

			if (s->magic != FL_SINK_MAGIC)
				continue;
			struct fl_sink_slot_view v = {
				.seq = s->seq,
				.position = block * FL_SINK_BLOCK_SLOTS + first + i,
				.crc_ok = s->crc == slot_crc(s) && s->len <= FL_SINK_VALUE_MAX,
				.partition = s->partition,
				.offset = s->offset,
				.produced_ms = s->produced_ms,
				.stored_ms = s->stored_ms,
			};
			r = fn(&v, arg);
		}
		if (got < SCAN_CHUNK)
			break;
	}
	(void)close(fd);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The block files' names, sorted (a new array of new strings, or -ENOMEM). */
static int list_blocks(DIR *d, char ***ret_names, size_t *ret_count)
{
	char **names = NULL;
	size_t count = 0, cap = 0;
	struct dirent *de;

	while ((de = readdir(d))) {
		unsigned long long block;
		int used = 0;

		if (sscanf(de->d_name, "blk-%llu.dat%n", &block, &used) != 1 ||
		    de->d_name[used] != '\0')
			continue;
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			char **nn = realloc(names, ncap * sizeof(*names));

			if (!nn)
				goto nomem;
			names = nn;
			cap = ncap;
		}
		names[count] = strdup(de->d_name);
		if (!names[count])
			goto nomem;
		count++;
	}
	if (count)
		qsort(names, count, sizeof(*names), cmp_str);
	*ret_names = names;
	*ret_count = count;
	return 0;
nomem:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return -ENOMEM;
}

/* Whether a block file was modified too long before since_ms to hold a newer slot. */
static bool block_older(int dirfd, const char *name, int64_t since_ms)
{
	struct stat st;
	int64_t mtime_ms;

	if (since_ms == FL_SINK_SCAN_ALL || fstatat(dirfd, name, &st, 0) < 0)
		return false; /* a vanished file is the scan's to report */
	mtime_ms = (int64_t)st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	return mtime_ms < since_ms - FL_SINK_MTIME_SLACK_MS;
}

int fl_sink_scan(const char *dir, int64_t since_ms,
		 int (*fn)(const struct fl_sink_slot_view *v, void *arg), void *arg,
		 uint64_t *ret_redeliveries, struct fl_diag *diag)
{
	char **names = NULL;
	size_t count = 0;
	uint64_t redeliveries;
	DIR *d;
	int r;

	d = opendir(dir);
	if (!d)
		return fl_diag_set(diag, -errno, "sink: open %s: %s", dir, strerror(errno));
	r = check_format(dirfd(d), dir, diag);
	if (r < 0)
		goto out;
	r = list_blocks(d, &names, &count);
	if (r < 0) {
		fl_diag_set(diag, r, "sink: out of memory");
		goto out;
	}
	for (size_t i = 0; i < count && r >= 0; i++) {
		unsigned long long block = strtoull(names[i] + 4, NULL, 10);

		if (block_older(dirfd(d), names[i], since_ms))
			continue;
		r = scan_block(dirfd(d), names[i], block, fn, arg);
		if (r < 0)
			fl_diag_set(diag, r, "sink: %s/%s: %s", dir, names[i], strerror(-r));
	}
	if (r >= 0) {
		r = read_counter(dirfd(d), &redeliveries);
		if (r < 0)
			fl_diag_set(diag, r, "sink: %s/redeliveries: %s", dir, strerror(-r));
		else if (ret_redeliveries)
			*ret_redeliveries = redeliveries;
	}
out:
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return r;
}
