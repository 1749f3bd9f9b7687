/* SPDX-License-Identifier: MIT */
/*
 * Query strings of the agent API (agent/src/apiquery.c) and how the routes take them
 * (agent/src/api.c): GET /v1/pods takes tcp, every other resource none; an unknown parameter
 * is a 400 naming every one given, never ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "apiquery.h"
#include "fltest.h"

static struct fl_api_param tcp_param(void)
{
	return (struct fl_api_param){ .name = "tcp" };
}

/* query parses for GET /v1/pods; its tcp as a flag into *ret. */
static void pods_query_ok(const char *query, bool *ret)
{
	struct fl_api_param p = tcp_param();
	struct fl_diag diag = { 0 };

	FL_ASSERT_MSG(fl_api_parse_query(query, "GET /v1/pods", &p, 1, &diag) == 0 &&
			      fl_api_param_flag(&p, ret, &diag) == 0,
		      "query \"%s\" refused: %s", query ? query : "(null)", diag.msg);
}

/* query is refused for GET /v1/pods with exactly msg; the parameter left unchanged. */
static void pods_query_fails(const char *query, const char *msg)
{
	struct fl_api_param p = tcp_param();
	struct fl_diag diag = { 0 };
	bool flag = false;
	int r;

	(void)snprintf(p.value, sizeof(p.value), "untouched");
	r = fl_api_parse_query(query, "GET /v1/pods", &p, 1, &diag);
	if (r == 0) {
		r = fl_api_param_flag(&p, &flag, &diag); /* parsed: must fail as a flag */
	} else {
		FL_ASSERT_MSG(!p.given && strcmp(p.value, "untouched") == 0,
			      "query \"%s\": the parameter changed on error", query);
	}
	FL_ASSERT_MSG(r == -EINVAL, "query \"%s\" accepted", query);
	FL_ASSERT_STREQ(diag.msg, msg);
}

FLTEST(tcp_is_a_flag)
{
	bool tcp = true;

	pods_query_ok(NULL, &tcp);
	FL_ASSERT(!tcp);
	pods_query_ok("", &tcp);
	FL_ASSERT(!tcp);
	pods_query_ok("tcp=1", &tcp);
	FL_ASSERT(tcp);
	pods_query_ok("tcp=0", &tcp);
	FL_ASSERT(!tcp);
	pods_query_ok("tcp=true", &tcp);
	FL_ASSERT(tcp);
	pods_query_ok("tcp=false", &tcp);
	FL_ASSERT(!tcp);
	/* percent-escapes in names and values; empty pairs say nothing */
	pods_query_ok("%74cp=%31", &tcp);
	FL_ASSERT(tcp);
	pods_query_ok("&&tcp=1&", &tcp);
	FL_ASSERT(tcp);
	pods_query_ok("&", &tcp);
	FL_ASSERT(!tcp);
}

FLTEST(bad_queries_are_refused_naming_what)
{
	pods_query_fails("tcp=yes", "query: tcp=\"yes\" is not 1, 0, true or false");
	pods_query_fails("tcp", "query: tcp needs a value (tcp=1 or tcp=0)");
	pods_query_fails("tcp=", "query: tcp needs a value (tcp=1 or tcp=0)");
	pods_query_fails("tcp=1&tcp=0", "query: tcp given twice");
	pods_query_fails("verbose=1", "query: unknown parameter \"verbose\" (GET /v1/pods takes "
				      "tcp)");
	/* every unknown one is named, not only the first; a known one does not hide them */
	pods_query_fails("x=1&tcp=1&Tcp=1&y",
			 "query: unknown parameters \"x\", \"Tcp\", \"y\" (GET /v1/pods takes "
			 "tcp)");
	pods_query_fails("tcp=%zz", "query: \"%zz\" is not a percent-escape (%XX, two hex "
				    "digits)");
	pods_query_fails("tcp=1%", "query: \"%\" is not a percent-escape (%XX, two hex digits)");
	pods_query_fails("tcp=1%4", "query: \"%4\" is not a percent-escape (%XX, two hex "
				    "digits)");
	pods_query_fails("tcp%00=1", "query: %00 (a NUL byte) in a name is not allowed");
	/* what is shown of a user's bytes is JSON-safe text: escaped, cut */
	pods_query_fails("%ff%22%5c=1", "query: unknown parameter \"\\xff\\\"\\\\\" (GET /v1/pods "
					"takes tcp)");
	pods_query_fails("tcp=%0a", "query: tcp=\"\\x0a\" is not 1, 0, true or false");
	pods_query_fails("abcdefghijklmnopqrstuvwxyzABCDEFGHIJ=1",
			 "query: unknown parameter \"abcdefghijklmnopqrstuvwxyzABCDEF...\" (GET "
			 "/v1/pods takes tcp)");
}

FLTEST(bounds_on_queries)
{
	static char query[FL_API_QUERY_MAX + 2];
	char name[FL_API_QUERY_VALUE_MAX + 8], msg[256];
	bool tcp;

	/* a name or a value longer than 63 bytes */
	memset(name, 'n', sizeof(name) - 1);
	name[FL_API_QUERY_VALUE_MAX + 1] = '\0';
	(void)snprintf(query, sizeof(query), "%s=1", name);
	pods_query_fails(query, "query: a name longer than 63 bytes: "
				"\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\"");
	(void)snprintf(query, sizeof(query), "tcp=%s", name);
	pods_query_fails(query, "query: a value longer than 63 bytes: "
				"\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\"");
	name[FL_API_QUERY_VALUE_MAX] = '\0';
	(void)snprintf(query, sizeof(query), "tcp=1&%s=1", name);
	pods_query_fails(query, "query: unknown parameter \"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...\" "
				"(GET /v1/pods takes tcp)");
	/* a whole query at the limit parses, one byte more does not */
	memset(query, '&', FL_API_QUERY_MAX);
	memcpy(query, "tcp=1", 5);
	query[FL_API_QUERY_MAX] = '\0';
	pods_query_ok(query, &tcp);
	FL_ASSERT(tcp);
	query[FL_API_QUERY_MAX] = '&';
	query[FL_API_QUERY_MAX + 1] = '\0';
	pods_query_fails(query, "query: 1025 bytes, at most 1024");
	/* 200 unknown names: as many as fit, and how many more */
	memset(query, 0, sizeof(query));
	for (int i = 0; i < 200; i++)
		(void)snprintf(query + strlen(query), sizeof(query) - strlen(query), "p%d&", i);
	{
		struct fl_api_param p = tcp_param();
		struct fl_diag diag = { 0 };

		FL_ASSERT_EQ(fl_api_parse_query(query, "GET /v1/pods", &p, 1, &diag), -EINVAL);
		FL_ASSERT_CONTAINS(diag.msg, "query: unknown parameters \"p0\", \"p1\", ");
		(void)snprintf(msg, sizeof(msg), " more (GET /v1/pods takes tcp)");
		FL_ASSERT_CONTAINS(diag.msg, msg);
		fltest_log("%s", diag.msg);
	}
}

/* ---- the routes ----------------------------------------------------------------------- */

static struct fl_agent_config cfg; /* no CRI socket: GET /v1/pods answers 422 */
static struct fl_api api = { .cfg = &cfg };

/* The route's answer to method path?query (query NULL: none): status, and the error text. */
static int handle(const char *method, const char *path, const char *query, char *err, size_t size)
{
	struct fl_http_request req = {
		.method = method, .path = path, .query = query, .body = "", .peer = "unix"
	};
	struct fl_http_response resp = { .status = 200 };
	json_t *body;

	fl_agent_config_defaults(&cfg);
	cfg.cri_socket[0] = '\0';
	fl_api_handle(&api, &req, &resp);
	body = resp.body ? json_loads(resp.body, 0, NULL) : NULL;
	FL_ASSERT_MSG(body, "%s %s?%s: the answer is not JSON: %s", method, path, query ?: "",
		      resp.body ?: "(none)");
	(void)snprintf(err, size, "%s", json_string_value(json_object_get(body, "error")) ?: "");
	json_decref(body);
	free(resp.body);
	return resp.status;
}

FLTEST(pods_take_tcp_and_every_other_resource_none)
{
	char err[512];

	/* tcp=1 is taken (then the agent without CRI says so), a bad one never reaches it */
	FL_ASSERT_EQ(handle("GET", "/v1/pods", "tcp=1", err, sizeof(err)), 422);
	FL_ASSERT_CONTAINS(err, "no CRI socket");
	FL_ASSERT_EQ(handle("GET", "/v1/pods", "&", err, sizeof(err)), 422);
	FL_ASSERT_EQ(handle("GET", "/v1/pods", "tcp=2", err, sizeof(err)), 400);
	FL_ASSERT_STREQ(err, "query: tcp=\"2\" is not 1, 0, true or false");
	FL_ASSERT_EQ(handle("GET", "/v1/pods", "tcp=1&limit=5", err, sizeof(err)), 400);
	FL_ASSERT_STREQ(err, "query: unknown parameter \"limit\" (GET /v1/pods takes tcp)");
	/* An inject with a parameter it would ignore is refused before anything happens (this
	 * api has no registry: reaching it would crash the test). */
	FL_ASSERT_EQ(handle("POST", "/v1/faults", "dryRun=1", err, sizeof(err)), 400);
	FL_ASSERT_STREQ(err, "query: unknown parameter \"dryRun\" (/v1/faults takes none)");
	FL_ASSERT_EQ(handle("DELETE", "/v1/faults/abc", "force=1&now", err, sizeof(err)), 400);
	FL_ASSERT_STREQ(err, "query: unknown parameters \"force\", \"now\" (/v1/faults/abc takes "
			     "none)");
	FL_ASSERT_EQ(handle("GET", "/v1/health", "tcp=1", err, sizeof(err)), 400);
	FL_ASSERT_STREQ(err, "query: unknown parameter \"tcp\" (/v1/health takes none)");
	FL_ASSERT_EQ(handle("GET", "/metrics", "x", err, sizeof(err)), 400);
	FL_ASSERT_EQ(handle("POST", "/v1/stop", "x", err, sizeof(err)), 400);
	FL_ASSERT_EQ(handle("GET", "/v1/capabilities", "x", err, sizeof(err)), 400);
	/* no such resource: 404 whatever its query */
	FL_ASSERT_EQ(handle("GET", "/v2/pods", "tcp=1", err, sizeof(err)), 404);
}
