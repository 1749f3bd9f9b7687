/* SPDX-License-Identifier: MIT */
/* The intent ledger: durable records, round trips, corrupt files set aside, never lost. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fltest.h"
#include "ledger.h"

static char dir[64];

static void rm_tree(void *arg)
{
	char cmd[128];
	(void)arg;
	/* Only files this test made, in its own mkdtemp directory. */
	static const char *const names[] = { "f1.json", "f2.json", "bad.json.corrupt", ".f3.tmp",
					     "bad.json" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		(void)snprintf(cmd, sizeof(cmd), "%s/%s", dir, names[i]);
		(void)unlink(cmd);
	}
	(void)rmdir(dir);
}

static struct fl_ledger *open_ledger(void)
{
	struct fl_ledger *l;
	struct fl_diag diag = { 0 };

	(void)snprintf(dir, sizeof(dir), "/tmp/fl-ledger-XXXXXX");
	FL_ASSERT(mkdtemp(dir));
	fltest_defer(rm_tree, NULL);
	FL_ASSERT_OK(fl_ledger_open(dir, &l, &diag));
	return l;
}

static struct fl_ledger_record rec(const char *id)
{
	struct fl_ledger_record r = { .kind = FL_FAULT_BANDWIDTH,
				      .netns_dev = 4,
				      .netns_ino = 4026532000ull,
				      .direction = 1,
				      .queue_num = 0xFA01,
				      .created_unix_ms = 1764331200000,
				      .deadline_unix_ms = 1764331260000 };

	(void)snprintf(r.id, sizeof(r.id), "%s", id);
	(void)snprintf(r.netns_path, sizeof(r.netns_path), "/proc/42/ns/net");
	(void)snprintf(r.ifname, sizeof(r.ifname), "eth0");
	(void)snprintf(r.owner, sizeof(r.owner), "run \"7\"");
	return r;
}

FLTEST(write_load_remove_round_trip)
{
	struct fl_ledger *l = open_ledger();
	struct fl_ledger_record a = rec("f1"), b = rec("f2"), *got;
	struct fl_diag diag = { 0 };
	unsigned n, corrupt;

	FL_ASSERT_OK(fl_ledger_write(l, &a, &diag));
	FL_ASSERT_OK(fl_ledger_write(l, &b, &diag));
	FL_ASSERT_OK(fl_ledger_load(l, &got, &n, &corrupt, &diag));
	FL_ASSERT_EQ(n, 2);
	FL_ASSERT_EQ(corrupt, 0);
	for (unsigned i = 0; i < n; i++) {
		FL_ASSERT_EQ(got[i].netns_ino, 4026532000ull);
		FL_ASSERT_EQ(got[i].queue_num, 0xFA01);
		FL_ASSERT_EQ(got[i].kind, FL_FAULT_BANDWIDTH);
		FL_ASSERT_STREQ(got[i].owner, "run \"7\"");
	}
	free(got);
	FL_ASSERT_OK(fl_ledger_remove(l, "f1", &diag));
	FL_ASSERT_OK(fl_ledger_remove(l, "f1", &diag)); /* idempotent */
	FL_ASSERT_OK(fl_ledger_load(l, &got, &n, &corrupt, &diag));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(got[0].id, "f2");
	free(got);
	fl_ledger_close(l);
}

FLTEST(corrupt_records_are_set_aside_and_temporaries_removed)
{
	struct fl_ledger *l = open_ledger();
	struct fl_ledger_record *got;
	struct fl_diag diag = { 0 };
	unsigned n, corrupt;
	char p[128];
	int fd;

	(void)snprintf(p, sizeof(p), "%s/bad.json", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	FL_ASSERT(fd >= 0 && write(fd, "{\"version\":1,\"id\":", 18) == 18);
	close(fd);
	(void)snprintf(p, sizeof(p), "%s/.f3.tmp", dir);
	fd = open(p, O_WRONLY | O_CREAT, 0600);
	close(fd);
	FL_ASSERT_OK(fl_ledger_load(l, &got, &n, &corrupt, &diag));
	FL_ASSERT_EQ(n, 0);
	FL_ASSERT_EQ(corrupt, 1);
	free(got);
	(void)snprintf(p, sizeof(p), "%s/bad.json.corrupt", dir);
	FL_ASSERT(access(p, F_OK) == 0);
	(void)snprintf(p, sizeof(p), "%s/.f3.tmp", dir);
	FL_ASSERT(access(p, F_OK) != 0);
	fl_ledger_close(l);
}

FLTEST(record_json_rejects_what_is_not_ours)
{
	struct fl_ledger_record r;
	struct fl_diag diag = { 0 };
	char *text;

	FL_ASSERT_EQ(fl_ledger_record_from_json("[]", &r, &diag), -EBADMSG);
	FL_ASSERT_EQ(fl_ledger_record_from_json("{\"version\":2}", &r, &diag), -EBADMSG);
	{
		struct fl_ledger_record bad = rec("../../etc");

		text = fl_ledger_record_to_json(&bad);
		FL_ASSERT_EQ(fl_ledger_record_from_json(text, &r, &diag), -EBADMSG);
		free(text);
	}
	{
		struct fl_ledger_record ok = rec("f1");

		text = fl_ledger_record_to_json(&ok);
		FL_ASSERT_OK(fl_ledger_record_from_json(text, &r, &diag));
		FL_ASSERT_EQ(r.deadline_unix_ms, 1764331260000);
		free(text);
	}
}
