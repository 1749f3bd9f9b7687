/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the CRI reply decoders (what a runtime, or anything listening on its
 * socket, sends back) and the protobuf reader under them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cri_decode.h"
#include "pb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fl_cri_container_status cs;
	struct fl_cri_sandbox_status ss;
	struct fl_cri_container *cv = NULL;
	struct fl_cri_sandbox *sv = NULL;
	struct fl_pb_reader r;
	struct fl_pb_field f;
	uint8_t *copy = malloc(size ? size : 1);
	unsigned n;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	fl_pb_reader_init(&r, copy, size);
	while (fl_pb_next(&r, &f) > 0)
		;
	if (fl_cri_decode_list_sandboxes(copy, size, &sv, &n) == 0)
		free(sv);
	if (fl_cri_decode_list_containers(copy, size, &cv, &n) == 0)
		free(cv);
	(void)fl_cri_decode_sandbox_status(copy, size, &ss);
	(void)fl_cri_decode_container_status(copy, size, &cs);
	free(copy);
	return 0;
}
