/* SPDX-License-Identifier: MIT */
/*
 * The /v1 routes (api.h): each verb's handler turns a request into registry calls and
 * the result into a JSON body and a status; the HTTP layer (http.c) knows none of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "apiquery.h"
#include "apireq.h"
#include "pods.h"
#include "wire.h"
#include "fl/log.h"
#include "fl/version.h"

int fl_api_status_for(int err)
{
	switch (err) {
	case -EINVAL:
	case -E2BIG:
		return 400;
	case -EPERM:
	case -EACCES:
		return 403;
	case -ENOENT:
	case -ESRCH:
	case -ENODEV: /* no such interface in the target */
		return 404;
	case -EEXIST:
	case -EBUSY:
	case -ECANCELED: /* reverted by a stop or its deadline while its wire check ran */
		return 409;
	case -EOPNOTSUPP:
		return 422; /* valid request, but this node cannot run that mechanism */
	case FL_WIRE_ERR:
		return 422; /* valid request, but the wire check could not show the fault */
	case -ESHUTDOWN:
		return 503;
	case -ECONNREFUSED:
	case -ETIMEDOUT:
		return 502; /* the CRI runtime did not answer */
	default:
		return 500;
	}
}

bool fl_api_slow(const struct fl_http_request *req)
{
	return strcmp(req->method, "POST") == 0 && strcmp(req->path, "/v1/faults") == 0;
}

static void json_response(struct fl_http_response *resp, int status, json_t *body)
{
	resp->status = status;
	/* Reals (the wire check's milliseconds) with 10 significant digits: 0.41, not
	 * 0.40999999999999998. */
	resp->body = body ? json_dumps(body, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						     JSON_REAL_PRECISION(10))
			  : NULL;
	resp->content_type = "application/json";
	json_decref(body);
}

static void error_response(struct fl_http_response *resp, int err, const struct fl_diag *diag)
{
	fl_http_error(resp, fl_api_status_for(err), diag->msg[0] ? diag->msg : strerror(-err));
}

/* "/v1/faults/<id>" or "/v1/faults/<id>/renew": copy the id, or "" if malformed. */
static const char *fault_id(const char *path, char *buf, size_t size, const char **rest)
{
	const char *p = path + strlen("/v1/faults/");
	const char *slash = strchr(p, '/');
	size_t len = slash ? (size_t)(slash - p) : strlen(p);

	*rest = slash ? slash : "";
	if (len == 0 || len >= size)
		return NULL;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return fl_api_valid_id(buf) ? buf : NULL;
}

static void faults_collection(struct fl_api *api, const struct fl_http_request *req,
			      struct fl_http_response *resp)
{
	struct fl_diag diag = { 0 };
	struct fl_fault_req fr;
	json_t *v = NULL;
	int r;

	if (strcmp(req->method, "GET") == 0) {
		json_response(resp, 200, fl_registry_list(api->reg));
		return;
	}
	if (strcmp(req->method, "POST") != 0) {
		fl_http_error(resp, 405, "use GET or POST on /v1/faults");
		return;
	}
	if ((r = fl_api_parse_fault(req->body, req->body_len, api->cfg->max_duration_ns, &fr,
				    &diag)) < 0) {
		error_response(resp, r, &diag);
		return;
	}
	if ((r = fl_registry_inject(api->reg, &fr, &v, &diag)) < 0) {
		fl_log(LOG_WARNING, "inject refused", "kind=%s status=%d error=\"%s\"",
		       fl_fault_kind_name(fr.kind), fl_api_status_for(r), diag.msg);
		if (!v) {
			error_response(resp, r, &diag);
			return;
		}
		/* A failed wire check: the error, and the figures it is based on. */
		json_response(resp, fl_api_status_for(r),
			      json_pack("{s:s, s:i, s:O}", "error", diag.msg, "status",
					fl_api_status_for(r), "wire", json_object_get(v, "wire")));
		json_decref(v);
		return;
	}
	json_response(resp, 201, v);
}

static void fault_item(struct fl_api *api, const struct fl_http_request *req,
		       struct fl_http_response *resp)
{
	struct fl_diag diag = { 0 };
	const char *rest, *id;
	char buf[FL_FAULT_ID_MAX + 1];
	json_t *v = NULL;
	uint64_t lease;
	int r;

	id = fault_id(req->path, buf, sizeof(buf), &rest);
	if (!id) {
		fl_http_error(resp, 404, "fault ids are [a-z0-9][a-z0-9-]{0,31}");
		return;
	}
	if (strcmp(rest, "/renew") == 0) {
		if (strcmp(req->method, "POST") != 0) {
			fl_http_error(resp, 405, "use POST on /v1/faults/{id}/renew");
			return;
		}
		if ((r = fl_api_parse_renew(req->body, req->body_len, &lease, &diag)) < 0 ||
		    (r = fl_registry_renew(api->reg, id, lease, &v, &diag)) < 0) {
			error_response(resp, r, &diag);
			return;
		}
		json_response(resp, 200, v);
		return;
	}
	if (rest[0]) {
		fl_http_error(resp, 404, "no such resource");
		return;
	}
	if (strcmp(req->method, "GET") == 0) {
		v = fl_registry_get(api->reg, id);
		if (!v)
			fl_http_error(resp, 404,
				      "no such fault (reverted, expired or never injected)");
		else
			json_response(resp, 200, v);
		return;
	}
	if (strcmp(req->method, "DELETE") != 0) {
		fl_http_error(resp, 405, "use GET or DELETE on /v1/faults/{id}");
		return;
	}
	r = fl_registry_revert(api->reg, id, &v, &diag);
	if (r < 0 && !v) {
		error_response(resp, r, &diag);
		return;
	}
	if (r < 0) {
		/* Revert failed: 500, with the fault as it stands (state revert-failed). */
		json_object_set_new(v, "error", json_string(diag.msg));
		json_response(resp, 500, v);
		return;
	}
	json_response(resp, 200, v);
}

static void pods_collection(struct fl_api *api, const struct fl_http_request *req,
			    struct fl_http_response *resp)
{
	struct fl_api_param params[] = { { .name = "tcp" } };
	struct fl_diag diag = { 0 };
	json_t *v = NULL;
	bool tcp;
	int r;

	if ((r = fl_api_parse_query(req->query, "GET /v1/pods", params, FL_ARRAY_SIZE(params),
				    &diag)) < 0 ||
	    (r = fl_api_param_flag(&params[0], &tcp, &diag)) < 0 ||
	    (r = fl_pods_list(api->cfg, tcp, &v, &diag)) < 0) {
		error_response(resp, r, &diag);
		return;
	}
	json_response(resp, 200, v);
}

/* Every resource but GET /v1/pods takes no query parameters: 400 naming those given. */
static bool refuse_query(const struct fl_http_request *req, struct fl_http_response *resp)
{
	struct fl_diag diag = { 0 };

	if (!req->query || !req->query[0] ||
	    (strcmp(req->path, "/v1/pods") == 0 && strcmp(req->method, "GET") == 0))
		return false;
	/* The path only: a method the resource does not allow is told by its 405 after this. */
	if (fl_api_parse_query(req->query, req->path, NULL, 0, &diag) == 0)
		return false; /* only empty pairs ("?&") */
	fl_http_error(resp, 400, diag.msg);
	return true;
}

static bool known_resource(const char *p)
{
	return strcmp(p, "/v1/health") == 0 || strcmp(p, "/v1/capabilities") == 0 ||
	       strcmp(p, "/v1/faults") == 0 || strncmp(p, "/v1/faults/", 11) == 0 ||
	       strcmp(p, "/v1/pods") == 0 || strcmp(p, "/v1/stop") == 0 ||
	       strcmp(p, "/metrics") == 0;
}

void fl_api_handle(void *ctx, const struct fl_http_request *req, struct fl_http_response *resp)
{
	struct fl_api *api = ctx;
	const char *p = req->path;

	if (known_resource(p) && refuse_query(req, resp))
		return;
	if (strcmp(p, "/v1/health") == 0 && strcmp(req->method, "GET") == 0) {
		json_response(resp, 200,
			      json_pack("{s:s, s:s, s:b}", "status", "ok", "version", FL_VERSION,
					"emergencyStop", fl_registry_stopped(api->reg)));
	} else if (strcmp(p, "/v1/capabilities") == 0 && strcmp(req->method, "GET") == 0) {
		json_response(resp, 200, fl_caps_json(&api->caps));
	} else if (strcmp(p, "/v1/faults") == 0) {
		faults_collection(api, req, resp);
	} else if (strcmp(p, "/v1/pods") == 0 && strcmp(req->method, "GET") == 0) {
		pods_collection(api, req, resp);
	} else if (strncmp(p, "/v1/faults/", 11) == 0) {
		fault_item(api, req, resp);
	} else if (strcmp(p, "/v1/stop") == 0 && strcmp(req->method, "POST") == 0) {
		json_response(resp, 200, fl_registry_emergency_stop(api->reg));
	} else if (strcmp(p, "/v1/stop") == 0 && strcmp(req->method, "DELETE") == 0) {
		fl_registry_clear_stop(api->reg);
		json_response(resp, 200, json_pack("{s:b}", "emergencyStop", 0));
	} else if (strcmp(p, "/metrics") == 0 && strcmp(req->method, "GET") == 0) {
		resp->status = 200;
		resp->body = fl_registry_metrics(api->reg);
		resp->content_type = "text/plain; version=0.0.4";
	} else if (strcmp(p, "/v1/stop") == 0 || strcmp(p, "/v1/health") == 0 ||
		   strcmp(p, "/v1/pods") == 0 || strcmp(p, "/v1/capabilities") == 0 ||
		   strcmp(p, "/metrics") == 0) {
		fl_http_error(resp, 405, "method not allowed on this resource");
	} else {
		fl_http_error(resp, 404, "no such resource (see docs/agent-api.md)");
	}
}
