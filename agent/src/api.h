/* SPDX-License-Identifier: MIT */
/*
 * The /v1 API routes (docs/agent-api.md) on top of the registry: what each verb returns and
 * which status an error maps to. The HTTP server (http.c) calls fl_api_handle.
 */
#ifndef FL_API_H
#define FL_API_H

#include "caps.h"
#include "config.h"
#include "registry.h"
#include "http.h"

struct fl_api {
	const struct fl_agent_config *cfg;
	struct fl_registry *reg;
	struct fl_caps caps;
};

void fl_api_handle(void *ctx, const struct fl_http_request *req, struct fl_http_response *resp);

/* The requests that may take seconds (injects: a wire check, a CRI stop's grace period):
 * the HTTP server runs them on a thread of their own (fl_http_config.slow). */
bool fl_api_slow(const struct fl_http_request *req);

/* -errno of the registry -> HTTP status. */
int fl_api_status_for(int err);

#endif
