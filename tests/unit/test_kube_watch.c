/* SPDX-License-Identifier: MIT */
/*
 * Watch streams (kube_watch.c) through a fake transport that hands the body over in pieces
 * as libcurl would: events cut anywhere, CRLF, a last line without its newline, bookmarks
 * moving the resourceVersion on, ERROR 410 as -ESTALE, lines too long or malformed refused
 * naming why — and the event decoder alone (tests/fuzz/fuzz_kube.c goes further). The real
 * API server's watches: tests/integration/test_kube_api.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "fltest.h"
#include "kube.h"
#include "kube_internal.h"
#include "kube_watch.h"

#define POD(name, uid, rv, ready)                                                         \
	"{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"" name "\","     \
	"\"uid\":\"" uid "\",\"resourceVersion\":\"" rv "\"},\"status\":{\"conditions\":" \
	"[{\"type\":\"Ready\",\"status\":\"" ready "\"}]}}"

#define EV(type, object) "{\"type\":\"" type "\",\"object\":" object "}"

static const char *stream_body;
static size_t piece; /* bytes per on_data call */
static int stream_status;
static char last_path[4096];

static int fake_transport(const struct fl_agent_call *call, struct fl_agent_answer *ret,
			  struct fl_diag *diag)
{
	size_t len = strlen(stream_body);
	int r;

	(void)snprintf(last_path, sizeof(last_path), "%s", call->path);
	ret->status = stream_status;
	ret->retry_after = -1;
	if (stream_status == 200 && call->on_data) {
		for (size_t o = 0; o < len; o += piece) {
			r = call->on_data(call->opaque, stream_body + o,
					  len - o < piece ? len - o : piece, diag);
			if (r < 0)
				return r;
		}
		ret->body = strdup("");
	} else {
		ret->body = strdup(stream_body);
	}
	return 0;
}

static void unhook(void *unused)
{
	(void)unused;
	fl_kube_test_transport = NULL;
}

static void close_kube(void *k)
{
	fl_kube_close(k);
}

static struct fl_kube *client(const char *body, size_t piece_size)
{
	struct fl_kube_conn conn = { .server = "https://127.0.0.1:1", .token = "t" };
	struct fl_diag diag = { 0 };
	struct fl_kube *k = NULL;

	FL_ASSERT_MSG(fl_kube_open(&conn, &k, &diag) == 0, "open: %s", diag.msg);
	fltest_defer(close_kube, k);
	fl_kube_test_transport = fake_transport;
	fltest_defer(unhook, NULL);
	stream_body = body;
	piece = piece_size;
	stream_status = 200;
	return k;
}

struct seen {
	char types[256];
	int n, stop_after;
};

static int record(void *opaque, const struct fl_kube_event *ev, struct fl_diag *diag)
{
	static const char letter[] = { 'A', 'M', 'D', 'B', 'E' };
	struct seen *s = opaque;

	(void)diag;
	if (s->n < 255)
		s->types[s->n++] = letter[ev->type];
	return s->stop_after && s->n == s->stop_after ? 7 : 0;
}

FLTEST(events_cut_anywhere_come_whole_and_move_the_resource_version)
{
	/* clang-format off */
	static const char body[] =
		EV("ADDED", POD("a", "u1", "11", "False")) "\n"
		EV("MODIFIED", POD("a", "u1", "12", "True")) "\r\n"
		"\n"
		EV("DELETED", POD("a", "u1", "21", "True")) "\n"
		EV("BOOKMARK", "{\"kind\":\"Pod\",\"metadata\":{\"resourceVersion\":\"30\"}}");
	/* clang-format on */
	struct fl_diag diag = { 0 };

	for (size_t p = 1; p <= sizeof(body); p += (p < 8 ? 1 : 37)) {
		struct fl_kube *k = client(body, p);
		struct seen s = { 0 };
		char rv[FL_KUBE_RV_MAX] = "10";

		FL_ASSERT_MSG(fl_kube_watch(k, "/api/v1/namespaces/ns/pods?labelSelector=app%3Dx",
					    rv, 5, record, &s, &diag) == 0,
			      "pieces of %zu: %s", p, diag.msg);
		FL_ASSERT_STREQ(s.types, "AMDB");
		FL_ASSERT_STREQ(rv, "30"); /* the bookmark's, last and without a newline */
	}
	FL_ASSERT_STREQ(last_path, "/api/v1/namespaces/ns/pods?labelSelector=app%3Dx&watch=1&"
				   "allowWatchBookmarks=true&resourceVersion=10&timeoutSeconds=5");
}

FLTEST(a_callback_stops_the_watch_with_its_value)
{
	static const char body[] = "{\"type\":\"ADDED\",\"object\":" POD(
		"a", "u1", "11", "False") "}\n"
					  "{\"type\":\"ADDED\",\"object\":" POD(
						  "b", "u2", "12",
						  "False") "}\n"
							   "{\"type\":\"ADDED\",\"object\":" POD(
								   "c", "u3", "13", "False") "}\n";
	struct fl_kube *k = client(body, 4096);
	struct seen s = { .stop_after = 2 };
	struct fl_diag diag = { 0 };
	char rv[FL_KUBE_RV_MAX] = "1";

	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), 7);
	FL_ASSERT_STREQ(s.types, "AA");
	FL_ASSERT_STREQ(rv, "12");
}

FLTEST(a_410_is_estale_as_an_event_or_as_the_answer)
{
	struct fl_diag diag = { 0 };
	struct seen s = { 0 };
	char rv[FL_KUBE_RV_MAX] = "1";
	struct fl_kube *k =
		client("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"status\":\"Failure\","
		       "\"message\":\"The resourceVersion for the provided watch is too old.\","
		       "\"reason\":\"Expired\",\"code\":410}}\n",
		       4096);

	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -ESTALE);
	FL_ASSERT_CONTAINS(diag.msg, "ERROR 410 Expired: The resourceVersion for the provided "
				     "watch is too old.");
	stream_status = 410;
	stream_body = "{\"kind\":\"Status\",\"reason\":\"Gone\",\"message\":\"too old\"}";
	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -ESTALE);
	FL_ASSERT_CONTAINS(diag.msg, "410 Gone: too old");
	/* another ERROR: its message */
	stream_status = 200;
	stream_body = "{\"type\":\"ERROR\",\"object\":{\"message\":\"Too large resource version\","
		      "\"reason\":\"Timeout\",\"code\":504}}\n";
	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -EIO);
	FL_ASSERT_CONTAINS(diag.msg, "ERROR 504 Timeout: Too large resource version");
	FL_ASSERT_EQ(s.n, 0);
}

FLTEST(a_line_over_4_mib_or_malformed_is_refused_naming_it)
{
	struct fl_diag diag = { 0 };
	struct seen s = { 0 };
	char rv[FL_KUBE_RV_MAX] = "1";
	size_t big = FL_KUBE_EVENT_MAX + 100;
	char *body = malloc(big + 1);
	struct fl_kube *k;

	FL_ASSERT(body != NULL);
	fltest_defer(free, body);
	memset(body, ' ', big);
	memcpy(body, "{\"type\":\"ADDED\",\"object\":{\"x\":\"", 31);
	body[big] = '\0';
	k = client(body, 16384);
	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -EMSGSIZE);
	FL_ASSERT_CONTAINS(diag.msg, "an event longer than 4194304 bytes: \"{\"type\":\"ADDED\"");

	stream_body = "{\"type\":\"ADDED\",\"object\":" POD("a", "u1", "11",
							    "False") "}\n"
								     "<html>proxy error</html>\n";
	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -EBADMSG);
	FL_ASSERT_CONTAINS(diag.msg, "a watch event that is not JSON");
	FL_ASSERT_CONTAINS(diag.msg, "\"<html>proxy error</html>\"");
	FL_ASSERT_EQ(s.n, 1);
	/* cut inside an event */
	stream_body = "{\"type\":\"ADDED\",\"obj";
	FL_ASSERT_EQ(fl_kube_watch(k, "/api/v1/pods", rv, 5, record, &s, &diag), -EBADMSG);
}

FLTEST(the_decoder_names_what_is_wrong)
{
	static const struct {
		const char *line, *want;
	} bad[] = {
		{ "[]", "not an object" },
		{ "{\"object\":{}}", "type: missing" },
		{ "{\"type\":1,\"object\":{}}", "type: not a string" },
		{ "{\"type\":\"CHANGED\",\"object\":{}}", "type \"CHANGED\" is not ADDED" },
		{ "{\"type\":\"ADDED\"}", "ADDED watch event: object: missing" },
		{ "{\"type\":\"ADDED\",\"object\":[]}", "object: not an object" },
		{ "{\"type\":\"ADDED\",\"object\":{}}",
		  "object.metadata.resourceVersion: missing" },
		{ "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":5}}}",
		  "resourceVersion: not a string" },
		{ "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"\"}}}",
		  "empty or longer than 63 bytes" },
		{ "{\"type\":\"ADDED\",\"type\":\"ADDED\",\"object\":{}}", "not JSON" },
		{ "{\"type\":\"ADDED\",\"object\":{}", "not JSON" },
	};
	struct fl_kube_event ev;
	struct fl_diag diag = { 0 };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		diag.msg[0] = '\0';
		FL_ASSERT_MSG(fl_kube_watch_decode(bad[i].line, strlen(bad[i].line), &ev, &diag) ==
				      -EBADMSG,
			      "%s was accepted", bad[i].line);
		FL_ASSERT_CONTAINS(diag.msg, bad[i].want);
	}
	FL_ASSERT_EQ(fl_kube_watch_decode("{\"type\":\"ERROR\",\"object\":{\"code\":410}}", 38, &ev,
					  &diag),
		     0);
	FL_ASSERT_EQ(ev.type, FL_KUBE_ERROR);
	FL_ASSERT_EQ(ev.code, 410);
	json_decref(ev.object);
}

/* wait_pods: a list, then a watch whose events make the condition true */
static const char *wait_list, *wait_watch;

static char wait_paths[2][256];

static int fake_wait(const struct fl_agent_call *call, struct fl_agent_answer *ret,
		     struct fl_diag *diag)
{
	(void)snprintf(wait_paths[strstr(call->path, "watch=1") != NULL], sizeof(wait_paths[0]),
		       "%s", call->path);
	stream_body = strstr(call->path, "watch=1") ? wait_watch : wait_list;
	return fake_transport(call, ret, diag);
}

FLTEST(wait_pods_lists_then_watches_until_the_condition_holds)
{
	struct fl_kube *k = client("", 4096);
	size_t two = 2;
	struct fl_kube_wait w = { .namespace = "ns",
				  .labels = "app=x",
				  .done = fl_kube_pods_ready_at_least,
				  .opaque = &two,
				  .timeout_ms = 5000 };
	struct fl_kube_pods pods = { 0 };
	struct fl_diag diag = { 0 };

	fl_kube_test_transport = fake_wait;
	wait_list = "{\"kind\":\"PodList\",\"metadata\":{\"resourceVersion\":\"100\"},\"items\":"
		    "[" POD("a", "u1", "90", "True") "," POD("b", "u2", "91", "False") "]}";
	wait_watch =
		"{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"101\"}}}\n"
		"{\"type\":\"DELETED\",\"object\":" POD(
			"a", "u1", "102",
			"True") "}\n"
				"{\"type\":\"ADDED\",\"object\":" POD(
					"c", "u3", "103",
					"True") "}\n"
						"{\"type\":\"MODIFIED\",\"object\":" POD(
							"b", "u2", "104", "True") "}\n";
	FL_ASSERT_MSG(fl_kube_wait_pods(k, &w, &pods, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_EQ(pods.n, 2);
	FL_ASSERT_EQ(w.lists, 1);
	FL_ASSERT_EQ(w.watches, 1);
	FL_ASSERT_EQ(w.bookmarks, 1);
	FL_ASSERT_EQ(w.events, 4);
	FL_ASSERT_STREQ(wait_paths[0],
			"/api/v1/namespaces/ns/pods?labelSelector=app%3Dx&limit=500");
	FL_ASSERT_STREQ(wait_paths[1], "/api/v1/namespaces/ns/pods?labelSelector=app%3Dx&watch=1&"
				       "allowWatchBookmarks=true&resourceVersion=100&"
				       "timeoutSeconds=5");
	fl_kube_pods_clear(&pods);

	/* the condition never holds: -ETIMEDOUT saying what there was */
	w = (struct fl_kube_wait){ .namespace = "ns",
				   .done = fl_kube_pods_uid_gone,
				   .opaque = "u2",
				   .timeout_ms = 1500,
				   .watch_s = 1 };
	wait_watch = "";
	FL_ASSERT_EQ(fl_kube_wait_pods(k, &w, NULL, &diag), -ETIMEDOUT);
	FL_ASSERT_CONTAINS(diag.msg, "2 pods, 1 Ready");
	FL_ASSERT(w.watches >= 1);

	/* a pod the decoder refuses ends the wait at once */
	w.timeout_ms = 60000;
	wait_watch = "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"7\"}}}\n";
	FL_ASSERT_EQ(fl_kube_wait_pods(k, &w, NULL, &diag), -EBADMSG);
	FL_ASSERT_CONTAINS(diag.msg, "a ADDED watch event: kubernetes: object.metadata.namespace: "
				     "missing");
}

static int watch_calls;
static const char *first_watch;

static int fake_relist(const struct fl_agent_call *call, struct fl_agent_answer *ret,
		       struct fl_diag *diag)
{
	if (strstr(call->path, "watch=1") && watch_calls++ == 0) {
		stream_body = first_watch;
		return fake_transport(call, ret, diag);
	}
	return fake_wait(call, ret, diag);
}

FLTEST(wait_pods_lists_again_after_a_410)
{
	struct fl_kube *k = client("", 4096);
	struct fl_kube_wait w = {
		.namespace = "ns", .done = fl_kube_pods_uid_gone, .opaque = "u1", .timeout_ms = 5000
	};
	struct fl_diag diag = { 0 };

	fl_kube_test_transport = fake_relist;
	watch_calls = 0;
	first_watch = "{\"type\":\"ERROR\",\"object\":{\"reason\":\"Expired\",\"code\":410}}\n";
	wait_list = "{\"metadata\":{\"resourceVersion\":\"5\"},\"items\":[" POD("a", "u1", "4",
										"True") "]}";
	wait_watch = "{\"type\":\"DELETED\",\"object\":" POD("a", "u1", "6", "True") "}\n";
	FL_ASSERT_MSG(fl_kube_wait_pods(k, &w, NULL, &diag) == 0, "%s", diag.msg);
	FL_ASSERT_EQ(w.stale, 1);
	FL_ASSERT_EQ(w.lists, 2);
	FL_ASSERT_EQ(w.watches, 2);
}
