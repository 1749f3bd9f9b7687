/* SPDX-License-Identifier: MIT */
/*
 * The protobuf codec and the CRI reply decoders: golden bytes computed by hand from the
 * wire format, round trips, and malformed input refused without reading past the end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cri_decode.h"
#include "fltest.h"
#include "pb.h"

FLTEST(encodes_the_wire_format)
{
	struct fl_pb_buf b = { 0 };
	/* field 1 varint 150: 08 96 01; field 2 "hi": 12 02 68 69; field 3 varint 0: 18 00 */
	static const uint8_t want[] = { 0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x18, 0x00 };

	fl_pb_varint(&b, 1, 150);
	fl_pb_string(&b, 2, "hi");
	fl_pb_varint(&b, 3, 0);
	FL_ASSERT_EQ(b.err, 0);
	FL_ASSERT_MEMEQ(b.data, b.len, want, sizeof(want));
	fl_pb_free(&b);
}

FLTEST(encodes_nested_messages_and_map_entries)
{
	struct fl_pb_buf b = { 0 }, sub = { 0 };
	/* field 1 { field 1 "a" } ; field 6 map entry {1:"k", 2:"v"} */
	static const uint8_t want[] = { 0x0a, 0x03, 0x0a, 0x01, 'a',  0x32, 0x06,
					0x0a, 0x01, 'k',  0x12, 0x01, 'v' };

	fl_pb_string(&sub, 1, "a");
	fl_pb_message(&b, 1, &sub);
	fl_pb_map_entry(&b, 6, "k", "v");
	FL_ASSERT_MEMEQ(b.data, b.len, want, sizeof(want));
	fl_pb_free(&b);
	fl_pb_free(&sub);
}

FLTEST(decodes_and_refuses_malformed_input)
{
	static const uint8_t good[] = {
		0x08, 0x96, 0x01, 0x12, 0x02, 0x68, 0x69, 0x1d, 1, 2, 3, 4
	};
	static const uint8_t truncated_len[] = { 0x12, 0x05, 'a' };
	static const uint8_t endless_varint[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t field_zero[] = { 0x00, 0x01 };
	static const uint8_t group[] = { 0x0b };
	struct fl_pb_reader r;
	struct fl_pb_field f;
	char s[8];

	fl_pb_reader_init(&r, good, sizeof(good));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.num == 1 && f.wire == FL_PB_VARINT && f.varint == 150);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	fl_pb_copy_string(&f, s, sizeof(s));
	FL_ASSERT_STREQ(s, "hi");
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.num == 3 && f.wire == FL_PB_FIXED32 && f.varint == 0x04030201);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 0);
	fl_pb_reader_init(&r, truncated_len, sizeof(truncated_len));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, endless_varint, sizeof(endless_varint));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, field_zero, sizeof(field_zero));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, group, sizeof(group));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
}

/* A ListContainersResponse / ContainerStatusResponse built with the encoder, decoded. */
FLTEST(cri_replies_decode)
{
	struct fl_pb_buf resp = { 0 }, c = { 0 }, meta = { 0 }, st = { 0 };
	struct fl_cri_container *cs;
	struct fl_cri_container_status status;
	unsigned n;

	fl_pb_string(&meta, 1, "loader");
	fl_pb_varint(&meta, 2, 3);
	fl_pb_string(&c, 1, "abc123");
	fl_pb_string(&c, 2, "sb1");
	fl_pb_message(&c, 3, &meta);
	fl_pb_varint(&c, 6, 1); /* CONTAINER_RUNNING */
	fl_pb_message(&resp, 1, &c);
	FL_ASSERT_OK(fl_cri_decode_list_containers(resp.data, resp.len, &cs, &n));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(cs[0].id, "abc123");
	FL_ASSERT_STREQ(cs[0].sandbox_id, "sb1");
	FL_ASSERT_STREQ(cs[0].name, "loader");
	FL_ASSERT_EQ(cs[0].attempt, 3);
	FL_ASSERT_EQ(cs[0].state, FL_CRI_CONTAINER_RUNNING);
	free(cs);
	fl_pb_free(&resp);

	/* ContainerStatus{id, state EXITED, exit_code 137} + info {"pid": 4242} */
	fl_pb_string(&st, 1, "abc123");
	fl_pb_varint(&st, 3, 2);
	fl_pb_varint(&st, 7, 137);
	fl_pb_message(&resp, 1, &st);
	fl_pb_map_entry(&resp, 2, "info", "{\"pid\": 4242, \"sandboxID\": \"sb1\"}");
	FL_ASSERT_OK(fl_cri_decode_container_status(resp.data, resp.len, &status));
	FL_ASSERT_EQ(status.c.state, FL_CRI_CONTAINER_EXITED);
	FL_ASSERT_EQ(status.exit_code, 137);
	FL_ASSERT_EQ(status.pid, 4242);
	/* A negative int32 exit code arrives as a 10-byte varint. */
	fl_pb_free(&resp);
	fl_pb_free(&st);
	fl_pb_varint(&st, 7, (uint64_t)(int64_t)-1);
	fl_pb_message(&resp, 1, &st);
	FL_ASSERT_OK(fl_cri_decode_container_status(resp.data, resp.len, &status));
	FL_ASSERT_EQ(status.exit_code, -1);
	/* Truncated: refused. */
	FL_ASSERT_EQ(fl_cri_decode_container_status(resp.data, resp.len - 1, &status), -EBADMSG);
	fl_pb_free(&resp);
	fl_pb_free(&st);
	fl_pb_free(&c);
	fl_pb_free(&meta);
}

FLTEST(sandbox_status_finds_pid_netns_and_host_network)
{
	struct fl_pb_buf resp = { 0 }, st = { 0 }, meta = { 0 }, net = { 0 }, lin = { 0 },
			 nss = { 0 }, opt = { 0 };
	struct fl_cri_sandbox_status s;

	fl_pb_string(&meta, 1, "loader-0");
	fl_pb_string(&meta, 3, "streamforge");
	fl_pb_string(&st, 1, "sb1");
	fl_pb_message(&st, 2, &meta);
	fl_pb_string(&net, 1, "10.88.0.7");
	fl_pb_message(&st, 5, &net);
	fl_pb_varint(&opt, 1, 2); /* network NODE */
	fl_pb_message(&nss, 2, &opt);
	fl_pb_message(&lin, 1, &nss);
	fl_pb_message(&st, 6, &lin);
	fl_pb_message(&resp, 1, &st);
	fl_pb_map_entry(
		&resp, 2, "info",
		"{\"pid\":99,\"runtimeSpec\":{\"linux\":{\"namespaces\":[{\"type\":\"pid\"},"
		"{\"type\":\"network\",\"path\":\"/var/run/netns/cni-1\"}]}}}");
	FL_ASSERT_OK(fl_cri_decode_sandbox_status(resp.data, resp.len, &s));
	FL_ASSERT_STREQ(s.sb.name, "loader-0");
	FL_ASSERT_STREQ(s.sb.namespace, "streamforge");
	FL_ASSERT_STREQ(s.ip, "10.88.0.7");
	FL_ASSERT_EQ(s.pid, 99);
	FL_ASSERT_STREQ(s.netns_path, "/var/run/netns/cni-1");
	FL_ASSERT(s.host_network);
	fl_pb_free(&resp);
	fl_pb_free(&st);
	fl_pb_free(&meta);
	fl_pb_free(&net);
	fl_pb_free(&lin);
	fl_pb_free(&nss);
	fl_pb_free(&opt);
}
