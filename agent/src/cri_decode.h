/* SPDX-License-Identifier: MIT */
/*
 * The CRI reply decoders of cri.c, pure functions over protobuf bytes; visible to the unit
 * tests and the fuzzer (FL_TEST_BUILD), static otherwise.
 */
#ifndef FL_CRI_DECODE_H
#define FL_CRI_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "cri.h"
#include "fl/macro.h"

#ifdef FL_TEST_BUILD
int fl_cri_decode_list_sandboxes(const uint8_t *p, size_t len, struct fl_cri_sandbox **ret,
				 unsigned *ret_n);
int fl_cri_decode_sandbox_status(const uint8_t *p, size_t len, struct fl_cri_sandbox_status *ret);
int fl_cri_decode_list_containers(const uint8_t *p, size_t len, struct fl_cri_container **ret,
				  unsigned *ret_n);
int fl_cri_decode_container_status(const uint8_t *p, size_t len,
				   struct fl_cri_container_status *ret);
#endif

#endif
