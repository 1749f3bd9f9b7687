/* SPDX-License-Identifier: MIT */
/*
 * The CRI reply decoders of cri.c, pure functions over protobuf bytes (and the gRPC
 * header values), and its ContainerConfig encoder; visible to the unit tests and the
 * fuzzer (FL_TEST_BUILD), static otherwise. The decoders write *ret only on success;
 * -EBADMSG for malformed input, -E2BIG / -ENOMEM for a list above its bound / out of memory.
 */
#ifndef FL_CRI_DECODE_H
#define FL_CRI_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cri.h"
#include "fl/macro.h"
#include "pb.h"

#ifdef FL_TEST_BUILD
int fl_cri_decode_list_sandboxes(const uint8_t *p, size_t len, struct fl_cri_sandbox **ret,
				 unsigned *ret_n);
int fl_cri_decode_sandbox_status(const uint8_t *p, size_t len, struct fl_cri_sandbox_status *ret);
int fl_cri_decode_list_containers(const uint8_t *p, size_t len, struct fl_cri_container **ret,
				  unsigned *ret_n);
int fl_cri_decode_container_status(const uint8_t *p, size_t len,
				   struct fl_cri_container_status *ret);
/* A grpc-status value: 0..999, -2 when it is not a number. */
int fl_cri_parse_grpc_status(const char *v, size_t len);
/* A percent-encoded grpc-message into out (NUL-terminated, truncated to size - 1). */
void fl_cri_percent_decode(const char *in, size_t len, char *out, size_t size);
/* Append c as a ContainerConfig message to cfg (the caller frees it, also on error);
 * -EINVAL with diag for a malformed mount. */
int fl_cri_encode_container_config(struct fl_pb_buf *cfg, const struct fl_cri_container_config *c,
				   struct fl_diag *diag);
#endif

#endif
