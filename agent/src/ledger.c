/* SPDX-License-Identifier: MIT */
/*
 * The intent ledger on disk (ledger.h): one synced record per fault, written before any
 * change and removed after a verified revert, read back by a restarted agent.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apireq.h"
#include "fl/fs.h"
#include "ledger.h"

#define RECORD_MAX 16384 /* a record is a few hundred bytes: anything bigger is not ours */

struct fl_ledger {
	int dirfd;
	char dir[FL_NETNS_PATH_MAX];
};

int fl_ledger_open(const char *dir, struct fl_ledger **ret, struct fl_diag *diag)
{
	struct fl_ledger *l;
	int r;

	if ((r = fl_mkdir_p(dir, 0700)) < 0)
		return fl_diag_set(diag, r, "ledger %s: cannot create: %s", dir, strerror(-r));
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		r = -errno;
		free(l);
		return fl_diag_set(diag, r, "ledger %s: %s", dir, strerror(-r));
	}
	(void)snprintf(l->dir, sizeof(l->dir), "%s", dir);
	*ret = l;
	return 0;
}

struct fl_ledger *fl_ledger_close(struct fl_ledger *l)
{
	if (l) {
		close(l->dirfd);
		free(l);
	}
	return NULL;
}

char *fl_ledger_record_to_json(const struct fl_ledger_record *rec)
{
	json_t *o = json_pack(
		"{s:i, s:s, s:s, s:s, s:I, s:I, s:s, s:s, s:i, s:i, s:I, s:I, s:s}", "version", 1,
		"id", rec->id, "kind", fl_fault_kind_name(rec->kind), "netnsPath", rec->netns_path,
		"netnsDev", (json_int_t)rec->netns_dev, "netnsIno", (json_int_t)rec->netns_ino,
		"sandboxId", rec->sandbox_id, "interface", rec->ifname, "direction", rec->direction,
		"queueNum", rec->queue_num, "createdUnixMs", (json_int_t)rec->created_unix_ms,
		"deadlineUnixMs", (json_int_t)rec->deadline_unix_ms, "owner", rec->owner);
	char *text;

	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(o);
	return text;
}

static int copy_str(char *dst, size_t size, json_t *o, const char *key, struct fl_diag *diag)
{
	const char *s = json_string_value(json_object_get(o, key));

	if (!s)
		return fl_diag_set(diag, -EBADMSG, "%s missing or not a string", key);
	if (strlen(s) >= size)
		return fl_diag_set(diag, -EBADMSG, "%s too long", key);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int get_int(json_t *o, const char *key, json_int_t *ret, struct fl_diag *diag)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		return fl_diag_set(diag, -EBADMSG, "%s missing or not an integer", key);
	*ret = json_integer_value(v);
	return 0;
}

int fl_ledger_record_from_json(const char *text, struct fl_ledger_record *ret, struct fl_diag *diag)
{
	struct fl_ledger_record rec = { 0 };
	json_error_t jerr;
	json_t *o = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	json_int_t v = 0, dev = 0, ino = 0, dir = 0, q = 0, created = 0, deadline = 0;
	char kind[32];
	int r = -EBADMSG;

	if (!o || !json_is_object(o)) {
		json_decref(o);
		return fl_diag_set(diag, -EBADMSG, "not a JSON object: %s", o ? "" : jerr.text);
	}
	if (get_int(o, "version", &v, diag) < 0 || v != 1) {
		(void)fl_diag_set(diag, -EBADMSG, "unsupported record version");
		goto out;
	}
	if (copy_str(rec.id, sizeof(rec.id), o, "id", diag) < 0 ||
	    copy_str(kind, sizeof(kind), o, "kind", diag) < 0 ||
	    copy_str(rec.netns_path, sizeof(rec.netns_path), o, "netnsPath", diag) < 0 ||
	    copy_str(rec.sandbox_id, sizeof(rec.sandbox_id), o, "sandboxId", diag) < 0 ||
	    copy_str(rec.ifname, sizeof(rec.ifname), o, "interface", diag) < 0 ||
	    copy_str(rec.owner, sizeof(rec.owner), o, "owner", diag) < 0 ||
	    get_int(o, "netnsDev", &dev, diag) < 0 || get_int(o, "netnsIno", &ino, diag) < 0 ||
	    get_int(o, "direction", &dir, diag) < 0 || get_int(o, "queueNum", &q, diag) < 0 ||
	    get_int(o, "createdUnixMs", &created, diag) < 0 ||
	    get_int(o, "deadlineUnixMs", &deadline, diag) < 0)
		goto out;
	if (!fl_api_valid_id(rec.id)) {
		(void)fl_diag_set(diag, -EBADMSG, "invalid id");
		goto out;
	}
	rec.kind = FL_FAULT_KIND_COUNT;
	for (int k = 0; k < FL_FAULT_KIND_COUNT; k++)
		if (strcmp(kind, fl_fault_kind_name(k)) == 0)
			rec.kind = k;
	if (rec.kind == FL_FAULT_KIND_COUNT || (dir != 0 && dir != 1) || q < 0 || q > 65535) {
		(void)fl_diag_set(diag, -EBADMSG, "invalid kind, direction or queue");
		goto out;
	}
	rec.netns_dev = (uint64_t)dev;
	rec.netns_ino = (uint64_t)ino;
	rec.direction = (int)dir;
	rec.queue_num = (uint16_t)q;
	rec.created_unix_ms = created;
	rec.deadline_unix_ms = deadline;
	*ret = rec;
	r = 0;
out:
	json_decref(o);
	return r;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int fl_ledger_write(struct fl_ledger *l, const struct fl_ledger_record *rec, struct fl_diag *diag)
{
	char tmp[64], final[64];
	char *text = fl_ledger_record_to_json(rec);
	int fd, r;

	if (!text)
		return -ENOMEM;
	(void)snprintf(tmp, sizeof(tmp), ".%s.tmp", rec->id);
	(void)snprintf(final, sizeof(final), "%s.json", rec->id);
	fd = openat(l->dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto out;
	}
	r = write_all(fd, text, strlen(text));
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(l->dirfd, tmp, l->dirfd, final) < 0)
		r = -errno;
	/* The rename is durable only once the directory itself is. */
	if (r == 0 && fsync(l->dirfd) < 0)
		r = -errno;
	if (r < 0)
		(void)unlinkat(l->dirfd, tmp, 0);
out:
	free(text);
	if (r < 0)
		return fl_diag_set(diag, r, "ledger %s: writing %s: %s", l->dir, final,
				   strerror(-r));
	return 0;
}

int fl_ledger_remove(struct fl_ledger *l, const char *id, struct fl_diag *diag)
{
	char name[64];

	(void)snprintf(name, sizeof(name), "%s.json", id);
	if (unlinkat(l->dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		return fl_diag_set(diag, -errno, "ledger %s: removing %s: %s", l->dir, name,
				   strerror(errno));
	}
	if (fsync(l->dirfd) < 0)
		return fl_diag_set(diag, -errno, "ledger %s: fsync: %s", l->dir, strerror(errno));
	return 0;
}

static char *read_file_at(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char *buf;
	ssize_t n;

	if (fd < 0)
		return NULL;
	buf = malloc(RECORD_MAX + 1);
	if (!buf) {
		close(fd);
		return NULL;
	}
	n = read(fd, buf, RECORD_MAX + 1);
	close(fd);
	if (n < 0 || n > RECORD_MAX) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

int fl_ledger_load(struct fl_ledger *l, struct fl_ledger_record **ret, unsigned *ret_n,
		   unsigned *ret_corrupt, struct fl_diag *diag)
{
	struct fl_ledger_record *recs = NULL;
	unsigned n = 0, cap = 0, corrupt = 0;
	int fd = dup(l->dirfd);
	struct dirent *de;
	DIR *d;

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fl_diag_set(diag, -errno, "ledger %s: %s", l->dir, strerror(errno));
	}
	rewinddir(d);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct fl_ledger_record rec;
		char *text;

		if (de->d_name[0] == '.') {
			/* A temporary file left by a crash between write and rename. */
			if (len > 4 && strcmp(de->d_name + len - 4, ".tmp") == 0)
				(void)unlinkat(l->dirfd, de->d_name, 0);
			continue;
		}
		if (len < 6 || strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		text = read_file_at(l->dirfd, de->d_name);
		if (!text || fl_ledger_record_from_json(text, &rec, NULL) < 0) {
			char bad[300];

			(void)snprintf(bad, sizeof(bad), "%s.corrupt", de->d_name);
			(void)renameat(l->dirfd, de->d_name, l->dirfd, bad);
			corrupt++;
			free(text);
			continue;
		}
		free(text);
		if (n == cap) {
			struct fl_ledger_record *nr;

			cap = cap ? cap * 2 : 16;
			nr = realloc(recs, cap * sizeof(*recs));
			if (!nr) {
				free(recs);
				closedir(d);
				return -ENOMEM;
			}
			recs = nr;
		}
		recs[n++] = rec;
	}
	closedir(d);
	*ret = recs;
	*ret_n = n;
	*ret_corrupt = corrupt;
	return 0;
}
