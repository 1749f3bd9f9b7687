/* SPDX-License-Identifier: MIT */
/*
 * The protobuf codec and the CRI reply decoders: golden bytes computed by hand from the
 * wire format, round trips, and malformed input refused without reading past the end.
 */
#include <errno.h>
#include <stdio.h>
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
	fl_pb_varint(&c, 6, 1);			     /* CONTAINER_RUNNING */
	fl_pb_varint(&c, 7, 1764000000123456789ull); /* created_at, unix ns */
	fl_pb_message(&resp, 1, &c);
	FL_ASSERT_OK(fl_cri_decode_list_containers(resp.data, resp.len, &cs, &n));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(cs[0].id, "abc123");
	FL_ASSERT_STREQ(cs[0].sandbox_id, "sb1");
	FL_ASSERT_STREQ(cs[0].name, "loader");
	FL_ASSERT_EQ(cs[0].attempt, 3);
	FL_ASSERT_EQ(cs[0].state, FL_CRI_CONTAINER_RUNNING);
	FL_ASSERT_EQ(cs[0].created_at_ns, 1764000000123456789ll);
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

FLTEST(encodes_long_varints_big_field_numbers_and_lengths)
{
	struct fl_pb_buf b = { 0 };
	char s200[201];
	/* field 16 varint UINT64_MAX: key 16<<3 = 128 = 80 01; value: nine 0xff then 01 */
	static const uint8_t want_max[] = { 0x80, 0x01, 0xff, 0xff, 0xff, 0xff,
					    0xff, 0xff, 0xff, 0xff, 0xff, 0x01 };
	/* the largest field number 2^29-1, bytes "": key 0xfffffffa = fa ff ff ff 0f, len 0 */
	static const uint8_t want_bignum[] = { 0xfa, 0xff, 0xff, 0xff, 0x0f, 0x00 };

	fl_pb_varint(&b, 16, UINT64_MAX);
	FL_ASSERT_MEMEQ(b.data, b.len, want_max, sizeof(want_max));
	fl_pb_free(&b);
	fl_pb_bytes(&b, 0x1fffffff, "", 0);
	FL_ASSERT_MEMEQ(b.data, b.len, want_bignum, sizeof(want_bignum));
	fl_pb_free(&b);
	/* a 200-byte string: 0a, length 200 = c8 01, then the bytes */
	memset(s200, 'x', 200);
	s200[200] = '\0';
	fl_pb_string(&b, 1, s200);
	FL_ASSERT_EQ(b.len, 203);
	FL_ASSERT(b.data[0] == 0x0a && b.data[1] == 0xc8 && b.data[2] == 0x01);
	FL_ASSERT(memcmp(b.data + 3, s200, 200) == 0);
	fl_pb_free(&b);
	FL_ASSERT(b.data == NULL && b.len == 0);
}

/* Requests exactly as cri.c builds them, from api.proto's field numbers. */
FLTEST(cri_request_golden_bytes)
{
	struct fl_pb_buf b = { 0 }, f = { 0 };
	/* StopContainerRequest{container_id: "abc" (1), timeout: 2 (2)} */
	static const uint8_t stop[] = { 0x0a, 0x03, 'a', 'b', 'c', 0x10, 0x02 };
	/* ListContainersRequest{filter (1): ContainerFilter{pod_sandbox_id (3): "sb"}} */
	static const uint8_t list[] = { 0x0a, 0x04, 0x1a, 0x02, 's', 'b' };

	fl_pb_string(&b, 1, "abc");
	fl_pb_varint(&b, 2, 2);
	FL_ASSERT_MEMEQ(b.data, b.len, stop, sizeof(stop));
	fl_pb_free(&b);
	fl_pb_string(&f, 3, "sb");
	fl_pb_message(&b, 1, &f);
	FL_ASSERT_MEMEQ(b.data, b.len, list, sizeof(list));
	fl_pb_free(&b);
	fl_pb_free(&f);
}

/*
 * ContainerConfig as fl_cri_create_container sends it: metadata {name, attempt}, image,
 * linux.security_context.namespace_options {pid CONTAINER}. Attempt 0 is not written.
 */
FLTEST(container_config_golden_bytes_with_attempt)
{
	static const char *const bad_mounts[] = { "relative:/x", NULL };
	struct fl_cri_container_config c = { .name = "main", .image = "img", .attempt = 2 };
	struct fl_pb_buf b = { 0 }, ctr = { 0 }, resp = { 0 };
	struct fl_diag diag = { 0 };
	struct fl_cri_container *cs;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	unsigned n;
	static const uint8_t want[] = {
		0x0a, 0x08, 0x0a, 0x04, 'm',  'a',  'i',  'n',	0x10, 0x02, /* metadata (1) */
		0x12, 0x05, 0x0a, 0x03, 'i',  'm',  'g',		    /* image (2) */
		0x7a, 0x06, 0x12, 0x04, 0x1a, 0x02, 0x10, 0x01,		    /* linux (15) */
	};
	static const uint8_t want_attempt0[] = {
		0x0a, 0x06, 0x0a, 0x04, 'm',  'a',  'i',  'n',	0x12, 0x05, 0x0a, 0x03,
		'i',  'm',  'g',  0x7a, 0x06, 0x12, 0x04, 0x1a, 0x02, 0x10, 0x01,
	};

	FL_ASSERT_OK(fl_cri_encode_container_config(&b, &c, &diag));
	FL_ASSERT_MEMEQ(b.data, b.len, want, sizeof(want));
	fl_pb_free(&b);
	c.attempt = 0;
	FL_ASSERT_OK(fl_cri_encode_container_config(&b, &c, &diag));
	FL_ASSERT_MEMEQ(b.data, b.len, want_attempt0, sizeof(want_attempt0));
	fl_pb_free(&b);

	/* Round trip: the metadata the runtime echoes in a Container (field 3) decodes back
	 * to the attempt, up to the largest uint32. */
	c.attempt = UINT32_MAX;
	FL_ASSERT_OK(fl_cri_encode_container_config(&b, &c, &diag));
	fl_pb_reader_init(&r, b.data, b.len);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.num == 1 && f.wire == FL_PB_BYTES);
	fl_pb_string(&ctr, 1, "cid");
	fl_pb_bytes(&ctr, 3, f.data, f.len);
	fl_pb_message(&resp, 1, &ctr);
	FL_ASSERT_OK(fl_cri_decode_list_containers(resp.data, resp.len, &cs, &n));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(cs[0].name, "main");
	FL_ASSERT_EQ(cs[0].attempt, UINT32_MAX);
	free(cs);
	fl_pb_free(&ctr);
	fl_pb_free(&resp);
	fl_pb_free(&b);

	/* A bad mount: refused with its value named. */
	c.mounts = bad_mounts;
	FL_ASSERT_EQ(fl_cri_encode_container_config(&b, &c, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "mount relative:/x");
	fl_pb_free(&b);
}

FLTEST(repeated_fields_round_trip_in_order)
{
	static const char *const want[] = { "/bin/sh", "-c", "", "trap '' TERM; sleep 9" };
	struct fl_pb_buf b = { 0 };
	struct fl_pb_reader r;
	struct fl_pb_field f;
	unsigned i = 0;
	char s[64];

	for (unsigned k = 0; k < 4; k++) {
		fl_pb_string(&b, 3, want[k]);
		fl_pb_varint(&b, 9, k); /* interleaved with another field */
	}
	fl_pb_reader_init(&r, b.data, b.len);
	while (fl_pb_next(&r, &f) > 0) {
		if (f.num != 3)
			continue;
		FL_ASSERT(i < 4);
		fl_pb_copy_string(&f, s, sizeof(s));
		FL_ASSERT_STREQ(s, want[i]);
		i++;
	}
	FL_ASSERT_EQ(i, 4);
	/* copy_string truncates to the destination and always terminates */
	fl_pb_reader_init(&r, b.data, b.len);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	fl_pb_copy_string(&f, s, 4);
	FL_ASSERT_STREQ(s, "/bi");
	fl_pb_free(&b);
}

FLTEST(decodes_fixed_and_extreme_varints)
{
	/* fixed64 1: 09 + 8 little-endian bytes; fixed32 2: 15 + 4 */
	static const uint8_t fixed[] = { 0x09, 1, 2, 3, 4, 5, 6, 7, 8, 0x15, 0xff, 0, 0, 0x80 };
	static const uint8_t max64[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					 0xff, 0xff, 0xff, 0xff, 0x01 };
	static const uint8_t over64[] = { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff,
					  0xff, 0xff, 0xff, 0xff, 0x02 };
	static const uint8_t wire6[] = { 0x0e, 0x00 }, wire7[] = { 0x0f, 0x00 };
	static const uint8_t fixed64_short[] = { 0x09, 1, 2, 3, 4, 5, 6, 7 };
	static const uint8_t key_unfinished[] = { 0x88 };
	struct fl_pb_reader r;
	struct fl_pb_field f;

	fl_pb_reader_init(&r, fixed, sizeof(fixed));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.num == 1 && f.wire == FL_PB_FIXED64 && f.varint == 0x0807060504030201ull);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.num == 2 && f.wire == FL_PB_FIXED32 && f.varint == 0x800000ffull);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 0);
	fl_pb_reader_init(&r, max64, sizeof(max64));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 1);
	FL_ASSERT(f.varint == UINT64_MAX);
	fl_pb_reader_init(&r, over64, sizeof(over64));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, wire6, sizeof(wire6));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, wire7, sizeof(wire7));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, fixed64_short, sizeof(fixed64_short));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, key_unfinished, sizeof(key_unfinished));
	FL_ASSERT_EQ(fl_pb_next(&r, &f), -EBADMSG);
	fl_pb_reader_init(&r, NULL, 0);
	FL_ASSERT_EQ(fl_pb_next(&r, &f), 0);
}

/* A verbose PodSandboxStatusResponse like containerd's, with labels. */
static void sandbox_status_reply(struct fl_pb_buf *resp, const char *id, const char *info)
{
	struct fl_pb_buf st = { 0 }, meta = { 0 }, net = { 0 };

	fl_pb_string(&meta, 1, "kafka-0");
	fl_pb_string(&meta, 2, "6f1c3c8e-uid");
	fl_pb_string(&meta, 3, "streamforge");
	fl_pb_string(&st, 1, id);
	fl_pb_message(&st, 2, &meta);
	fl_pb_varint(&st, 3, 0);
	fl_pb_string(&net, 1, "10.88.0.3");
	fl_pb_message(&st, 5, &net);
	fl_pb_map_entry(&st, 7, "app", "kafka");
	fl_pb_message(resp, 1, &st);
	if (info)
		fl_pb_map_entry(resp, 2, "info", info);
	fl_pb_free(&st);
	fl_pb_free(&meta);
	fl_pb_free(&net);
}

/* Every prefix of a valid reply, in a buffer of exactly that size: decoded or refused. */
FLTEST(truncated_replies_are_refused_at_every_length)
{
	struct fl_pb_buf resp = { 0 };
	unsigned ok = 0;

	sandbox_status_reply(&resp, "0123456789abcdef",
			     "{\"pid\":4242,\"runtimeSpec\":{\"linux\":{\"namespaces\":"
			     "[{\"type\":\"network\",\"path\":\"/run/netns/cni-1\"}]}}}");
	FL_ASSERT_EQ(resp.err, 0);
	for (size_t n = 0; n <= resp.len; n++) {
		uint8_t *p = malloc(n ? n : 1);
		struct fl_cri_sandbox_status st;
		struct fl_cri_container_status cs;
		struct fl_cri_sandbox *sbs = NULL;
		struct fl_cri_container *cv = NULL;
		unsigned k;
		int r;

		FL_ASSERT(p != NULL);
		memcpy(p, resp.data, n);
		r = fl_cri_decode_sandbox_status(p, n, &st);
		FL_ASSERT(r == 0 || r == -EBADMSG);
		ok += r == 0;
		r = fl_cri_decode_container_status(p, n, &cs);
		FL_ASSERT(r == 0 || r == -EBADMSG);
		if (fl_cri_decode_list_sandboxes(p, n, &sbs, &k) == 0)
			free(sbs);
		if (fl_cri_decode_list_containers(p, n, &cv, &k) == 0)
			free(cv);
		free(p);
	}
	/* the empty prefix, the end of the status message, and the whole reply */
	FL_ASSERT(ok >= 2 && ok <= 4);
	fl_pb_free(&resp);
}

FLTEST(sandbox_status_info_json_is_bounded)
{
	struct fl_pb_buf resp = { 0 };
	struct fl_cri_sandbox_status s;
	char info[512], path[300];
	int n;

	/* A pid out of range or not a number, or no JSON at all: pid unknown, reply fine. */
	static const char *const bad_pids[] = { "{\"pid\":-5}",
						"{\"pid\":1099511627776}",
						"{\"pid\":\"12\"}",
						"not json",
						"[1,2]",
						"" };
	for (unsigned i = 0; i < sizeof(bad_pids) / sizeof(bad_pids[0]); i++) {
		sandbox_status_reply(&resp, "sb1", bad_pids[i]);
		FL_ASSERT_OK(fl_cri_decode_sandbox_status(resp.data, resp.len, &s));
		FL_ASSERT_EQ(s.pid, 0);
		FL_ASSERT_STREQ(s.netns_path, "");
		FL_ASSERT_STREQ(s.ip, "10.88.0.3");
		FL_ASSERT_EQ(s.sb.n_labels, 1);
		FL_ASSERT_STREQ(s.sb.labels[0].key, "app");
		FL_ASSERT_STREQ(s.sb.labels[0].value, "kafka");
		FL_ASSERT(!s.host_network);
		fl_pb_free(&resp);
	}
	/* A netns path longer than the field: unknown, never cut short. */
	memset(path, 'n', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	n = snprintf(info, sizeof(info),
		     "{\"pid\":7,\"runtimeSpec\":{\"linux\":{\"namespaces\":"
		     "[{\"type\":\"network\",\"path\":\"%s\"}]}}}",
		     path);
	FL_ASSERT(n > 0 && (size_t)n < sizeof(info));
	sandbox_status_reply(&resp, "sb1", info);
	FL_ASSERT_OK(fl_cri_decode_sandbox_status(resp.data, resp.len, &s));
	FL_ASSERT_EQ(s.pid, 7);
	FL_ASSERT_STREQ(s.netns_path, "");
	fl_pb_free(&resp);
}

FLTEST(identities_must_fit_labels_that_do_not_are_left_out)
{
	struct fl_pb_buf resp = { 0 }, sb = { 0 };
	struct fl_cri_sandbox *v = NULL, sentinel = { .id = "untouched" };
	struct fl_cri_sandbox_status st = { .ip = "untouched" };
	char id[FL_CRI_ID_MAX + 1], key[80];
	unsigned n = 77;

	/* 71 characters fit FL_CRI_ID_MAX (72), 72 do not. */
	memset(id, 'a', sizeof(id));
	id[FL_CRI_ID_MAX - 1] = '\0';
	fl_pb_string(&sb, 1, id);
	for (unsigned i = 0; i < FL_CRI_MAX_LABELS + 3; i++) {
		(void)snprintf(key, sizeof(key), "k%u", i);
		fl_pb_map_entry(&sb, 5, key, "v");
		if (i == 0) {
			memset(key, 'k', 70); /* a key longer than fl_cri_label.key */
			key[70] = '\0';
			fl_pb_map_entry(&sb, 5, key, "v");
		}
	}
	fl_pb_message(&resp, 1, &sb);
	FL_ASSERT_OK(fl_cri_decode_list_sandboxes(resp.data, resp.len, &v, &n));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(v[0].id, id);
	FL_ASSERT_EQ(v[0].n_labels, FL_CRI_MAX_LABELS);
	FL_ASSERT_STREQ(v[0].labels[0].key, "k0");
	FL_ASSERT_STREQ(v[0].labels[1].key, "k1");
	free(v);
	fl_pb_free(&resp);
	fl_pb_free(&sb);

	id[FL_CRI_ID_MAX - 1] = 'a';
	id[FL_CRI_ID_MAX] = '\0';
	fl_pb_string(&sb, 1, id);
	fl_pb_message(&resp, 1, &sb);
	v = &sentinel;
	n = 77;
	FL_ASSERT_EQ(fl_cri_decode_list_sandboxes(resp.data, resp.len, &v, &n), -EBADMSG);
	FL_ASSERT(v == &sentinel && n == 77); /* ret_* untouched on failure */
	FL_ASSERT_EQ(fl_cri_decode_sandbox_status(resp.data, resp.len, &st), -EBADMSG);
	FL_ASSERT_STREQ(st.ip, "untouched");
	fl_pb_free(&resp);
	fl_pb_free(&sb);

	/* An id with a NUL inside would read as a prefix of another id. */
	fl_pb_bytes(&sb, 1, "abc\0def", 7);
	fl_pb_message(&resp, 1, &sb);
	FL_ASSERT_EQ(fl_cri_decode_list_sandboxes(resp.data, resp.len, &v, &n), -EBADMSG);
	fl_pb_free(&resp);
	fl_pb_free(&sb);
}

FLTEST(wrong_wire_types_are_ignored_and_lists_are_bounded)
{
	struct fl_pb_buf resp = { 0 }, c = { 0 };
	struct fl_cri_container *v = NULL;
	struct fl_cri_container_status st;
	unsigned n;

	/* id as a varint, state as bytes: ignored, not misread */
	fl_pb_varint(&c, 1, 5);
	fl_pb_string(&c, 6, "RUNNING");
	fl_pb_string(&c, 2, "sb");
	fl_pb_message(&resp, 1, &c);
	fl_pb_varint(&resp, 1, 3); /* a list item that is not a message */
	FL_ASSERT_OK(fl_cri_decode_list_containers(resp.data, resp.len, &v, &n));
	FL_ASSERT_EQ(n, 1);
	FL_ASSERT_STREQ(v[0].id, "");
	FL_ASSERT_STREQ(v[0].sandbox_id, "sb");
	FL_ASSERT_EQ(v[0].state, FL_CRI_CONTAINER_CREATED);
	free(v);
	fl_pb_free(&resp);
	fl_pb_free(&c);

	/* an unknown state number becomes UNKNOWN */
	fl_pb_varint(&c, 3, 42);
	fl_pb_message(&resp, 1, &c);
	FL_ASSERT_OK(fl_cri_decode_container_status(resp.data, resp.len, &st));
	FL_ASSERT_EQ(st.c.state, FL_CRI_CONTAINER_UNKNOWN);
	fl_pb_free(&resp);
	fl_pb_free(&c);

	/* more empty items than a list may hold: -E2BIG, nothing returned */
	for (unsigned i = 0; i < 16385; i++)
		fl_pb_bytes(&resp, 1, "", 0);
	v = NULL;
	FL_ASSERT_EQ(fl_cri_decode_list_containers(resp.data, resp.len, &v, &n), -E2BIG);
	FL_ASSERT(v == NULL);
	fl_pb_free(&resp);
}

FLTEST(grpc_status_and_message_headers)
{
	char out[16];

	FL_ASSERT_EQ(fl_cri_parse_grpc_status("0", 1), 0);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("5", 1), 5);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("14", 2), 14);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("", 0), -2);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("ok", 2), -2);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("5x", 2), -2);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("-1", 2), -2);
	FL_ASSERT_EQ(fl_cri_parse_grpc_status("1234", 4), -2);
	fl_cri_percent_decode("not%20found%3A x", 16, out, sizeof(out));
	FL_ASSERT_STREQ(out, "not found: x");
	fl_cri_percent_decode("100% %zz %+1 %4", 15, out, sizeof(out));
	FL_ASSERT_STREQ(out, "100% %zz %+1 %4");
	fl_cri_percent_decode("0123456789abcdefghij", 20, out, sizeof(out));
	FL_ASSERT_STREQ(out, "0123456789abcde");
	fl_cri_percent_decode("a%00b", 5, out, sizeof(out));
	FL_ASSERT_STREQ(out, "a");
}
