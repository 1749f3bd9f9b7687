/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CRI reply decoders (what a runtime, or anything listening on its
 * socket, sends back), the protobuf reader under them and the gRPC header parsers.
 *
 * The input is decoded as it is, and also spliced into realistic verbose replies built
 * here (a PodSandboxStatusResponse and a ContainerStatusResponse with their "info" JSON):
 * the first two bytes give an offset, the rest overwrites the template from there. That
 * reaches the nested messages and the JSON without a seed corpus.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri_decode.h"
#include "pb.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fl_pb_buf templates[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct fl_pb_buf st = { 0 }, meta = { 0 }, net = { 0 }, lin = { 0 }, nss = { 0 },
			 opt = { 0 };

	(void)argc;
	(void)argv;
	fl_pb_string(&meta, 1, "kafka-0");
	fl_pb_string(&meta, 2, "6f1c3c8e-9d7a-4c2b-8f0e-2a1b3c4d5e6f");
	fl_pb_string(&meta, 3, "streamforge");
	fl_pb_string(&st, 1, "4f9a0c1d2e3b4a5968778695a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5");
	fl_pb_message(&st, 2, &meta);
	fl_pb_varint(&st, 3, 0);
	fl_pb_varint(&st, 4, 1764337000000000000ull);
	fl_pb_string(&net, 1, "10.88.0.3");
	fl_pb_message(&st, 5, &net);
	fl_pb_varint(&opt, 1, 0);
	fl_pb_varint(&opt, 2, 1);
	fl_pb_message(&nss, 2, &opt);
	fl_pb_message(&lin, 1, &nss);
	fl_pb_message(&st, 6, &lin);
	fl_pb_map_entry(&st, 7, "app", "kafka");
	fl_pb_message(&templates[0], 1, &st);
	fl_pb_map_entry(&templates[0], 2, "info",
			"{\"pid\":4242,\"runtimeSpec\":{\"linux\":{\"namespaces\":["
			"{\"type\":\"pid\"},{\"type\":\"network\",\"path\":"
			"\"/var/run/netns/cni-49d00b6c\"}]}}}");
	fl_pb_free(&st);
	fl_pb_free(&meta);

	fl_pb_string(&st, 1, "9fe5828631cd94647fbe2015a39f88a1c0e051f8d3aee1c51988065b85b8252d");
	fl_pb_string(&meta, 1, "main");
	fl_pb_varint(&meta, 2, 0);
	fl_pb_message(&st, 2, &meta);
	fl_pb_varint(&st, 3, 2);
	fl_pb_varint(&st, 6, 1764337000000000000ull);
	fl_pb_varint(&st, 7, 137);
	fl_pb_string(&st, 10, "Error");
	fl_pb_message(&templates[1], 1, &st);
	fl_pb_map_entry(&templates[1], 2, "info", "{\"sandboxID\":\"4f9a\",\"pid\":4243}");
	fl_pb_free(&st);
	fl_pb_free(&meta);
	fl_pb_free(&net);
	fl_pb_free(&lin);
	fl_pb_free(&nss);
	fl_pb_free(&opt);
	return 0;
}

static void decode_all(const uint8_t *p, size_t size)
{
	struct fl_cri_container_status cs;
	struct fl_cri_sandbox_status ss;
	struct fl_cri_container *cv = NULL;
	struct fl_cri_sandbox *sv = NULL;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	unsigned n;

	fl_pb_reader_init(&r, p, size);
	while (fl_pb_next(&r, &f) > 0)
		;
	if (fl_cri_decode_list_sandboxes(p, size, &sv, &n) == 0)
		free(sv);
	if (fl_cri_decode_list_containers(p, size, &cv, &n) == 0)
		free(cv);
	if (fl_cri_decode_sandbox_status(p, size, &ss) == 0 &&
	    (memchr(ss.netns_path, '\0', sizeof(ss.netns_path)) == NULL || ss.pid < 0))
		abort();
	if (fl_cri_decode_container_status(p, size, &cs) == 0 && cs.pid < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy: a read past the end is caught by ASan. */
	uint8_t *copy = malloc(size ? size : 1);
	char msg[64];

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	decode_all(copy, size);
	(void)fl_cri_parse_grpc_status((const char *)copy, size);
	fl_cri_percent_decode((const char *)copy, size, msg, sizeof(msg));
	free(copy);

	for (unsigned t = 0; t < 2 && size >= 2; t++) {
		const struct fl_pb_buf *tp = &templates[t];
		size_t off = ((size_t)data[0] | (size_t)data[1] << 8) % (tp->len + 1);
		size_t len = off + (size - 2) > tp->len ? off + (size - 2) : tp->len;
		uint8_t *m = malloc(len);

		if (!m)
			return 0;
		memcpy(m, tp->data, tp->len < len ? tp->len : len);
		memcpy(m + off, data + 2, size - 2);
		decode_all(m, len);
		free(m);
	}
	return 0;
}
