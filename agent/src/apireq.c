/* SPDX-License-Identifier: MIT */
/*
 * The agent API's request bodies, from JSON to plain values. This comment is the source of
 * truth for docs/agent-api.md.
 *
 * POST /v1/faults — a JSON object (at most FL_API_BODY_MAX = 64 KiB; duplicate keys, unknown
 * fields and fields that do not belong to the kind are errors):
 *
 *   field       type     kinds            meaning
 *   ----------  -------  ---------------  ------------------------------------------------
 *   id          string   all              optional; [a-z0-9][a-z0-9-]{0,31}; the agent
 *                                         generates one when absent
 *   kind        string   -                required: "network" | "partition" | "loss" |
 *                                         "bandwidth" | "delay" | "container-kill" |
 *                                         "process-kill"
 *   target      object   all              required; exactly one of
 *                                           "pod":    "namespace/name" (DNS-1123 label /
 *                                                     DNS-1123 subdomain, <= 63 / 253)
 *                                           "podUid": string, [A-Za-z0-9._-], <= 127
 *                                           "netns":  absolute path, <= 255, no ".."
 *                                           "pid":    integer, 1..4194304
 *                                         plus, for container-kill only,
 *                                           "container": name, [A-Za-z0-9][A-Za-z0-9._-]*,
 *                                                        <= 127 (absent: every container)
 *                                         process-kill needs "pid"; container-kill needs
 *                                         "pod" or "podUid"; the others take any of the 4
 *   interface   string   network,         optional, default "eth0"; 1..15 bytes, printable,
 *                        bandwidth        no '/', ':' or space, not "." or ".."
 *                                         (nftables kinds act on the whole namespace)
 *   direction   string   network,         "egress" (default) | "ingress"
 *                        bandwidth, delay
 *                        partition        "egress" | "ingress" | "both" (default)
 *                        loss             "egress" (default) | "ingress" | "both"
 *                                         egress = packets the target sends, ingress =
 *                                         packets it receives (nft: output/input hook)
 *   duration    string   all but kills    required; a duration with unit ("30s", "500ms",
 *                                         "2m", "1h"), > 0, <= the agent's max duration
 *   lease       string   all but kills    optional; a duration, > 0, <= duration; the
 *                                         fault is reverted unless renewed within it
 *   owner       string   all              optional; <= 127 bytes, no control characters
 *   to          array    all but kills    optional; strings as "10.0.0.0/24",
 *                                         "10.0.0.2:9092", "udp:10.0.0.2:53",
 *                                         "[fd00::1]:443", "[fd00::]/64": destinations
 *   from        array    network,         optional; same syntax: sources
 *                        bandwidth        ("to" + "from" <= 16 entries in total)
 *                                         partition/loss/delay: "to" lists peers (remote
 *                                         address of either direction), "from" is refused
 *   netem       string   network          required; tc netem options, e.g.
 *                                         "delay 100ms 10ms 25% distribution normal loss 1%"
 *                                         (<= 1024 bytes, <= 96 words)
 *   bandwidth   object   bandwidth        required; {"rate": "10mbit" (required, tc
 *                                         rate units, >= 8bit), "burst": "32kb", "limit":
 *                                         "64kb" (tc size units, 1b..4gb) | "latency":
 *                                         "50ms" (<= 1h)}; limit and latency exclude each
 *                                         other; burst >= 1500 bytes, limit >= burst
 *   partition   object   partition        optional; {"action": "drop" (default) | "reject"}
 *   loss        object   loss             required; {"percent": "5%"} ("5" also; above
 *                                         0 and <= 100, resolution 0.01%)
 *   delay       object   delay            required; {"delay": "200ms" (required, <= 60s),
 *                                         "jitter": "50ms" (<= delay), "maxHeld": integer
 *                                         1..1000000 (packets held at once; default
 *                                         10000)}; packets are steered to the delay line
 *                                         by nft QUEUE with bypass (queue number chosen
 *                                         by the agent)
 *   verify      object   network,         optional; {"wire": true | false (default)}: the
 *                        delay,           agent measures TCP connects from the target's
 *                        partition        namespace to every "to" before and after the
 *                                         change and fails the inject (the change
 *                                         reverted) when the fault does not show; every
 *                                         "to" then needs one address and a TCP port,
 *                                         network a netem delay, and the delay kinds
 *                                         delay - jitter >= 20ms, delay + jitter <= 1s
 *                                         (wire.h, fl_wire_prepare)
 *   kill        object   container-kill,  optional; {"signal": "SIGKILL" | "SIGTERM" |
 *                        process-kill     "SIGINT" | "SIGHUP" | "SIGQUIT" | "SIGUSR1" |
 *                                         "SIGUSR2" | integer 1..64, "gracePeriod":
 *                                         duration in whole seconds, <= max duration}
 *                                         container-kill without "signal": CRI
 *                                         StopContainer with timeout gracePeriod (default
 *                                         10s; "0s" = SIGKILL at once); with "signal":
 *                                         that signal to the container's PID (gracePeriod
 *                                         refused). process-kill: "signal" (default
 *                                         SIGKILL); gracePeriod refused.
 *
 * POST /v1/faults/{id}/renew — an empty body (or only whitespace, or {}): renew by the
 * fault's own lease; or {"lease": "15s"} (> 0, <= 24h).
 *
 * Every string value: no control characters (U+0000..U+001F, U+007F); longer than the
 * limit above is an error, never truncated. Durations always need a unit (a bare "30" is
 * refused). Numbers are JSON integers where an integer is asked for ("pid": 42, not "42").
 *
 * Errors: -EINVAL (-ENOMEM when jansson ran out of memory) and a message naming the field
 * ("target.pod", "delay.maxHeld", "to[2]"), the value and what was expected, e.g.
 *   duration: "forever" is not a duration (expected e.g. 30s, 5m, 500ms)
 *   target: exactly one of pod, podUid, netns, pid (got pod and pid)
 *   netem: loss: "120%" is above 100%
 *   netem: not allowed for kind partition (only for network)
 *   unknown field "colour" (expected id, kind, target, ...the fields of the kind)
 * JSON syntax errors (duplicate keys included) carry line and column in diag->line/col.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "apireq.h"
#include "fl/quote.h"
#include "fl/units.h"
#include "wire.h"

#define NS_PER_S		UINT64_C(1000000000)
#define MAX_PID			4194304 /* the kernel's PID_MAX_LIMIT */
#define NETEM_TEXT_MAX		1024	/* the "netem" string */
#define NETEM_WORDS_MAX		96	/* words in it */
#define MATCH_TEXT_MAX		127	/* one "to"/"from" entry */
#define KILL_GRACE_DEFAULT_S	10
#define RENEW_LEASE_MAX_NS	(24ull * 3600 * NS_PER_S)
#define DEFAULT_MAX_DURATION_NS (3600ull * NS_PER_S)
#define QUOTE_MAX		80 /* user values are quoted in messages up to this many bytes */

/* ---- fields and kinds --------------------------------------------------------------- */

enum field {
	F_ID,
	F_KIND,
	F_TARGET,
	F_INTERFACE,
	F_DIRECTION,
	F_DURATION,
	F_LEASE,
	F_OWNER,
	F_TO,
	F_FROM,
	F_NETEM,
	F_BANDWIDTH,
	F_PARTITION,
	F_LOSS,
	F_DELAY,
	F_KILL,
	F_VERIFY,
	F_COUNT,
};

static const char *const field_names[F_COUNT] = {
	[F_ID] = "id",
	[F_KIND] = "kind",
	[F_TARGET] = "target",
	[F_INTERFACE] = "interface",
	[F_DIRECTION] = "direction",
	[F_DURATION] = "duration",
	[F_LEASE] = "lease",
	[F_OWNER] = "owner",
	[F_TO] = "to",
	[F_FROM] = "from",
	[F_NETEM] = "netem",
	[F_BANDWIDTH] = "bandwidth",
	[F_PARTITION] = "partition",
	[F_LOSS] = "loss",
	[F_DELAY] = "delay",
	[F_KILL] = "kill",
	[F_VERIFY] = "verify",
};

#define B(f)   (1u << (f))
#define COMMON (B(F_ID) | B(F_KIND) | B(F_TARGET) | B(F_OWNER))
#define TIMED  (B(F_DIRECTION) | B(F_DURATION) | B(F_LEASE) | B(F_TO))

static const unsigned kind_fields[FL_FAULT_KIND_COUNT] = {
	[FL_FAULT_NETWORK] = COMMON | TIMED | B(F_INTERFACE) | B(F_FROM) | B(F_NETEM) | B(F_VERIFY),
	[FL_FAULT_PARTITION] = COMMON | TIMED | B(F_PARTITION) | B(F_VERIFY),
	[FL_FAULT_LOSS] = COMMON | TIMED | B(F_LOSS),
	[FL_FAULT_BANDWIDTH] = COMMON | TIMED | B(F_INTERFACE) | B(F_FROM) | B(F_BANDWIDTH),
	[FL_FAULT_DELAY] = COMMON | TIMED | B(F_DELAY) | B(F_VERIFY),
	[FL_FAULT_CONTAINER_KILL] = COMMON | B(F_KILL),
	[FL_FAULT_PROCESS_KILL] = COMMON | B(F_KILL),
};

#define KIND_LIST "network, partition, loss, bandwidth, delay, container-kill, process-kill"

static bool is_kill(enum fl_fault_kind kind)
{
	return kind == FL_FAULT_CONTAINER_KILL || kind == FL_FAULT_PROCESS_KILL;
}

/* ---- message helpers ---------------------------------------------------------------- */

/* A user's string as "text" for a message (fl/quote.h). */
static const char *quote(const char *s, char *buf, size_t size)
{
	return fl_quote(s, strlen(s), QUOTE_MAX, false, buf, size);
}

static const char *type_desc(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "null";
	}
	return "something else";
}

static int type_error(struct fl_diag *diag, const char *field, const json_t *v,
		      const char *expected)
{
	return fl_diag_set(diag, -EINVAL, "%s: expected %s, got %s", field, expected, type_desc(v));
}

/*
 * A library message "name: rest" becomes "<obj>.<json name>: rest" when name is one of the
 * object's fields (renames maps library names to JSON names, as pairs), else "<obj>: ...".
 */
static int prefix_lib(struct fl_diag *diag, int r, const char *obj, const char *const *renames)
{
	char old[FL_DIAG_MSG_MAX];
	const char *colon = strstr(diag->msg, ": ");

	if (colon && renames) {
		size_t n = (size_t)(colon - diag->msg);

		for (const char *const *p = renames; p[0]; p += 2) {
			if (strlen(p[0]) == n && strncmp(diag->msg, p[0], n) == 0) {
				memcpy(old, diag->msg, sizeof(old));
				(void)snprintf(diag->msg, sizeof(diag->msg), "%s.%s%s", obj, p[1],
					       old + n);
				return r;
			}
		}
	}
	return fl_diag_prefix(diag, r, "%s", obj);
}

/* "1h", "5m", "90s", "500ms": the largest unit that divides, as a user would write it. */
static void format_duration(uint64_t ns, char *buf, size_t size)
{
	if (ns && ns % (3600 * NS_PER_S) == 0)
		(void)snprintf(buf, size, "%" PRIu64 "h", ns / (3600 * NS_PER_S));
	else if (ns && ns % (60 * NS_PER_S) == 0)
		(void)snprintf(buf, size, "%" PRIu64 "m", ns / (60 * NS_PER_S));
	else
		fl_format_duration(ns, buf, size);
}

/* ---- typed getters ------------------------------------------------------------------ */

/* A string of at most max_len bytes without control characters. */
static int get_string(const json_t *v, const char *field, size_t max_len, const char **ret,
		      struct fl_diag *diag)
{
	const char *s;
	size_t len;

	if (!json_is_string(v))
		return type_error(diag, field, v, "a string");
	s = json_string_value(v);
	len = json_string_length(v);
	if (len > max_len)
		return fl_diag_set(diag, -EINVAL, "%s: too long (%zu bytes, at most %zu)", field,
				   len, max_len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c == 0x7f)
			return fl_diag_set(
				diag, -EINVAL,
				"%s: control character 0x%02x at byte %zu is not allowed", field, c,
				i);
	}
	*ret = s;
	return 0;
}

/* A duration with a unit ("30s"); > 0 and <= max (max_what names the maximum). */
static int get_duration(const json_t *v, const char *field, uint64_t max, const char *max_what,
			uint64_t *ret, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16], m[32];
	const char *s;
	uint64_t ns;
	int r;

	if ((r = get_string(v, field, 64, &s, diag)) < 0)
		return r;
	r = fl_parse_duration_strict_ns(s, &ns);
	format_duration(max, m, sizeof(m));
	if (r == -ERANGE || (r == 0 && ns > max))
		return fl_diag_set(diag, -EINVAL, "%s: %s is above the maximum %s%s", field,
				   quote(s, q, sizeof(q)), m, max_what);
	if (r < 0)
		return fl_diag_set(diag, -EINVAL,
				   "%s: %s is not a duration (expected e.g. 30s, 5m, 500ms)", field,
				   quote(s, q, sizeof(q)));
	if (ns == 0)
		return fl_diag_set(diag, -EINVAL, "%s: %s: must be above 0 (expected e.g. 30s)",
				   field, quote(s, q, sizeof(q)));
	*ret = ns;
	return 0;
}

/* Every key of obj must be one of allowed[] (NULL-terminated). */
static int check_keys(const json_t *obj, const char *where, const char *const *allowed,
		      struct fl_diag *diag)
{
	const char *key;
	const json_t *v;
	char list[256] = "", q[QUOTE_MAX + 16];
	size_t o = 0;

	json_object_foreach((json_t *)obj, key, v)
	{
		bool ok = false;

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(key, *a) == 0;
		if (ok)
			continue;
		for (const char *const *a = allowed; *a; a++) {
			int n = snprintf(list + o, sizeof(list) - o, "%s%s", o ? ", " : "", *a);

			if (n < 0 || (size_t)n >= sizeof(list) - o)
				break;
			o += (size_t)n;
		}
		if (where)
			return fl_diag_set(diag, -EINVAL, "%s: unknown field %s (expected %s)",
					   where, quote(key, q, sizeof(q)), list);
		return fl_diag_set(diag, -EINVAL, "unknown field %s (expected %s)",
				   quote(key, q, sizeof(q)), list);
	}
	return 0;
}

static int want_object(const json_t *v, const char *field, struct fl_diag *diag)
{
	return json_is_object(v) ? 0 : type_error(diag, field, v, "an object");
}

/* ---- ids and names ------------------------------------------------------------------ */

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

bool fl_api_valid_id(const char *id)
{
	size_t n;

	if (!id || !is_lower_alnum(id[0]))
		return false;
	for (n = 1; id[n]; n++)
		if (n >= FL_FAULT_ID_MAX - 1 || !(is_lower_alnum(id[n]) || id[n] == '-'))
			return false;
	return true;
}

/* DNS-1123 label ([a-z0-9]([-a-z0-9]*[a-z0-9])?, <= max) or subdomain (also '.'). */
static bool dns1123(const char *s, size_t len, size_t max, bool dots)
{
	if (len == 0 || len > max || !is_lower_alnum(s[0]) || !is_lower_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!(is_lower_alnum(s[i]) || s[i] == '-' || (dots && s[i] == '.')))
			return false;
	return true;
}

static bool simple_name(const char *s, bool first_alnum)
{
	if (!s[0] || (first_alnum && !is_alnum(s[0])))
		return false;
	for (size_t i = 0; s[i]; i++)
		if (!(is_alnum(s[i]) || s[i] == '.' || s[i] == '_' || s[i] == '-'))
			return false;
	return true;
}

/* The kernel's dev_valid_name(), restricted to printable ASCII. */
static bool valid_ifname(const char *s)
{
	if (!s[0] || strlen(s) > 15 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (size_t i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == ':')
			return false;
	}
	return true;
}

/* ---- target ------------------------------------------------------------------------- */

static int parse_pod(const char *s, struct fl_target *t, struct fl_diag *diag)
{
	const char *slash = strchr(s, '/');
	char q[QUOTE_MAX + 16];
	size_t ns_len;

	if (!slash || strchr(slash + 1, '/'))
		return fl_diag_set(diag, -EINVAL,
				   "target.pod: %s is not namespace/name (expected e.g. "
				   "kafka/broker-0)",
				   quote(s, q, sizeof(q)));
	ns_len = (size_t)(slash - s);
	if (!dns1123(s, ns_len, FL_POD_NS_MAX - 1, false))
		return fl_diag_set(diag, -EINVAL,
				   "target.pod: %s: the namespace is not a DNS-1123 label "
				   "(lower-case letters, digits and '-', at most 63)",
				   quote(s, q, sizeof(q)));
	if (!dns1123(slash + 1, strlen(slash + 1), FL_POD_NAME_MAX - 1, true))
		return fl_diag_set(diag, -EINVAL,
				   "target.pod: %s: the name is not a DNS-1123 subdomain "
				   "(lower-case letters, digits, '-' and '.', at most 253)",
				   quote(s, q, sizeof(q)));
	memcpy(t->pod_namespace, s, ns_len);
	t->pod_namespace[ns_len] = '\0';
	memcpy(t->pod_name, slash + 1, strlen(slash + 1) + 1);
	t->type = FL_TARGET_POD;
	return 0;
}

static int parse_netns(const char *s, struct fl_target *t, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *p;

	if (s[0] != '/')
		return fl_diag_set(diag, -EINVAL,
				   "target.netns: %s is not an absolute path (expected e.g. "
				   "/run/netns/lab or /proc/1234/ns/net)",
				   quote(s, q, sizeof(q)));
	for (p = s; (p = strstr(p, "/..")); p += 3)
		if (p[3] == '/' || p[3] == '\0')
			return fl_diag_set(diag, -EINVAL,
					   "target.netns: %s: \"..\" components are not allowed",
					   quote(s, q, sizeof(q)));
	memcpy(t->netns, s, strlen(s) + 1);
	t->type = FL_TARGET_NETNS;
	return 0;
}

static int target_pod(const json_t *v, struct fl_target *t, struct fl_diag *diag)
{
	const char *s;
	int r;

	if ((r = get_string(v, "target.pod", FL_POD_NS_MAX - 1 + 1 + FL_POD_NAME_MAX - 1, &s,
			    diag)) < 0)
		return r;
	return parse_pod(s, t, diag);
}

static int target_pod_uid(const json_t *v, struct fl_target *t, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	if ((r = get_string(v, "target.podUid", FL_POD_UID_MAX - 1, &s, diag)) < 0)
		return r;
	if (!simple_name(s, false))
		return fl_diag_set(diag, -EINVAL,
				   "target.podUid: %s is not a pod UID (letters, digits, '.', '_' "
				   "and '-')",
				   quote(s, q, sizeof(q)));
	memcpy(t->pod_uid, s, strlen(s) + 1);
	t->type = FL_TARGET_POD;
	return 0;
}

static int target_netns(const json_t *v, struct fl_target *t, struct fl_diag *diag)
{
	const char *s;
	int r;

	if ((r = get_string(v, "target.netns", FL_NETNS_PATH_MAX - 1, &s, diag)) < 0)
		return r;
	return parse_netns(s, t, diag);
}

static int target_pid(const json_t *v, struct fl_target *t, struct fl_diag *diag)
{
	json_int_t pid;

	if (!json_is_integer(v))
		return type_error(diag, "target.pid", v, "an integer");
	pid = json_integer_value(v);
	if (pid <= 0)
		return fl_diag_set(diag, -EINVAL,
				   "target.pid: %" JSON_INTEGER_FORMAT
				   " is not a process id (expected an integer above 0)",
				   pid);
	if (pid > MAX_PID)
		return fl_diag_set(diag, -EINVAL,
				   "target.pid: %" JSON_INTEGER_FORMAT
				   " is above the kernel's maximum %d",
				   pid, MAX_PID);
	t->pid = (int)pid;
	t->type = FL_TARGET_PID;
	return 0;
}

/* The ways to name a target, in the order messages list them, and the kill kinds each suits. */
static const struct {
	const char *name;
	int (*parse)(const json_t *v, struct fl_target *t, struct fl_diag *diag);
	bool container_kill; /* CRI needs a pod */
	bool process_kill;   /* a process is a pid */
} target_ways[] = {
	{ "pod", target_pod, true, false },
	{ "podUid", target_pod_uid, true, false },
	{ "netns", target_netns, false, false },
	{ "pid", target_pid, false, true },
};

#define N_TARGET_WAYS FL_ARRAY_SIZE(target_ways)

/*
 * Which ways the target object names, as "pod and pid" or "pod, netns and pid" in got;
 * returns how many, *ret_which the last one.
 */
static unsigned target_ways_given(const json_t *v, char *got, size_t size, unsigned *ret_which)
{
	unsigned n = 0, k = 0;

	got[0] = '\0';
	for (unsigned i = 0; i < N_TARGET_WAYS; i++)
		if (json_object_get(v, target_ways[i].name))
			n++;
	for (unsigned i = 0; i < N_TARGET_WAYS; i++) {
		size_t o = strlen(got);

		if (!json_object_get(v, target_ways[i].name))
			continue;
		k++;
		(void)snprintf(got + o, size - o, "%s%s",
			       k == 1	? ""
			       : k == n ? " and "
					: ", ",
			       target_ways[i].name);
		*ret_which = i;
	}
	return n;
}

/* "container": container-kill only; absent means every container of the pod. */
static int target_container(const json_t *c, enum fl_fault_kind kind, struct fl_target *t,
			    struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	if (kind != FL_FAULT_CONTAINER_KILL)
		return fl_diag_set(diag, -EINVAL,
				   "target.container: not allowed for kind %s (only for "
				   "container-kill)",
				   fl_fault_kind_name(kind));
	if ((r = get_string(c, "target.container", FL_CONTAINER_NAME_MAX - 1, &s, diag)) < 0)
		return r;
	if (!simple_name(s, true))
		return fl_diag_set(diag, -EINVAL,
				   "target.container: %s is not a container name (a letter or "
				   "digit, then letters, digits, '.', '_', '-')",
				   quote(s, q, sizeof(q)));
	memcpy(t->container, s, strlen(s) + 1);
	return 0;
}

static int parse_target(const json_t *v, enum fl_fault_kind kind, struct fl_target *t,
			struct fl_diag *diag)
{
	static const char *const allowed[] = { "pod", "podUid", "netns", "pid", "container", NULL };
	const json_t *c;
	char got[64];
	unsigned n, which = 0;
	int r;

	if (!v)
		return fl_diag_set(diag, -EINVAL,
				   "target: required (an object with one of pod, podUid, netns, "
				   "pid)");
	if ((r = want_object(v, "target", diag)) < 0 ||
	    (r = check_keys(v, "target", allowed, diag)) < 0)
		return r;
	n = target_ways_given(v, got, sizeof(got), &which);
	if (n != 1)
		return fl_diag_set(diag, -EINVAL,
				   "target: exactly one of pod, podUid, netns, pid (got %s)",
				   n ? got : "none");
	if (kind == FL_FAULT_PROCESS_KILL && !target_ways[which].process_kill)
		return fl_diag_set(diag, -EINVAL, "target: kind process-kill needs pid (got %s)",
				   got);
	if (kind == FL_FAULT_CONTAINER_KILL && !target_ways[which].container_kill)
		return fl_diag_set(diag, -EINVAL,
				   "target: kind container-kill needs pod or podUid (got %s)", got);
	if ((r = target_ways[which].parse(json_object_get(v, target_ways[which].name), t, diag)) <
	    0)
		return r;
	if ((c = json_object_get(v, "container")))
		return target_container(c, kind, t, diag);
	return 0;
}

/* ---- to / from ---------------------------------------------------------------------- */

static int parse_matches(const json_t *v, const char *field, bool source,
			 struct fl_netem_match *matches, unsigned *n, struct fl_diag *diag)
{
	char name[32];
	const char *s;
	size_t count;
	int r;

	if (!json_is_array(v))
		return type_error(diag, field, v, "an array of strings");
	count = json_array_size(v);
	if (count > FL_NETEM_MAX_MATCHES - *n)
		return fl_diag_set(diag, -EINVAL,
				   "%s: %zu targets; at most %u in total (to and from together)",
				   field, count + *n, FL_NETEM_MAX_MATCHES);
	for (size_t i = 0; i < count; i++) {
		(void)snprintf(name, sizeof(name), "%s[%zu]", field, i);
		if ((r = get_string(json_array_get(v, i), name, MATCH_TEXT_MAX, &s, diag)) < 0)
			return r;
		r = fl_netem_match_parse(s, source, &matches[*n], diag);
		if (r < 0) {
			/* The library says "target: ..."; here the field has a name. */
			if (strncmp(diag->msg, "target: ", 8) == 0)
				memmove(diag->msg, diag->msg + 8, strlen(diag->msg + 8) + 1);
			return fl_diag_prefix(diag, -EINVAL, "%s", name);
		}
		(*n)++;
	}
	return 0;
}

/* ---- kind-specific objects ---------------------------------------------------------- */

static int parse_netem(const json_t *v, struct fl_netem_spec *spec, struct fl_diag *diag)
{
	char buf[NETEM_TEXT_MAX + 1], *argv[NETEM_WORDS_MAX];
	const char *s;
	int argc = 0, r;
	char *p;

	if (!v)
		return fl_diag_set(diag, -EINVAL,
				   "netem: required for kind network (tc netem options, e.g. "
				   "\"delay 100ms 10ms loss 1%%\")");
	if ((r = get_string(v, "netem", NETEM_TEXT_MAX, &s, diag)) < 0)
		return r;
	memcpy(buf, s, strlen(s) + 1);
	for (p = buf; *p;) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		if (argc == NETEM_WORDS_MAX)
			return fl_diag_set(diag, -EINVAL, "netem: more than %d words",
					   NETEM_WORDS_MAX);
		argv[argc++] = p;
		while (*p && *p != ' ')
			p++;
	}
	if (argc == 0)
		return fl_diag_set(diag, -EINVAL,
				   "netem: empty (expected tc netem options, e.g. \"delay 100ms "
				   "10ms loss 1%%\")");
	if ((r = fl_netem_parse_tc(argc, argv, spec, diag)) < 0)
		return fl_diag_prefix(diag, -EINVAL, "netem");
	return 0;
}

static int get_size32(const json_t *v, const char *field, uint32_t *ret, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	uint64_t b;
	int r;

	if ((r = get_string(v, field, 64, &s, diag)) < 0)
		return r;
	if (fl_parse_size(s, &b) < 0)
		return fl_diag_set(diag, -EINVAL,
				   "%s: %s is not a size (expected e.g. 32kb, 1mb, 15000b)", field,
				   quote(s, q, sizeof(q)));
	if (b == 0 || b > UINT32_MAX)
		return fl_diag_set(diag, -EINVAL, "%s: %s is not in 1b..4gb", field,
				   quote(s, q, sizeof(q)));
	*ret = (uint32_t)b;
	return 0;
}

static int parse_bandwidth(const json_t *v, struct fl_tbf_spec *tbf, struct fl_diag *diag)
{
	static const char *const allowed[] = { "rate", "burst", "limit", "latency", NULL };
	static const char *const renames[] = { "rate",	"rate",	   "burst",   "burst", "limit",
					       "limit", "latency", "latency", NULL };
	char q[QUOTE_MAX + 16];
	const json_t *f;
	const char *s;
	int r;

	if (!v)
		return fl_diag_set(diag, -EINVAL,
				   "bandwidth: required for kind bandwidth (e.g. {\"rate\": "
				   "\"10mbit\"})");
	if ((r = want_object(v, "bandwidth", diag)) < 0 ||
	    (r = check_keys(v, "bandwidth", allowed, diag)) < 0)
		return r;
	if (!(f = json_object_get(v, "rate")))
		return fl_diag_set(diag, -EINVAL,
				   "bandwidth.rate: required (expected e.g. 10mbit, 1gbit, "
				   "500kbps)");
	if ((r = get_string(f, "bandwidth.rate", 64, &s, diag)) < 0)
		return r;
	r = fl_parse_rate_Bps(s, &tbf->rate_bytes_per_s);
	if (r < 0)
		return fl_diag_set(diag, -EINVAL,
				   "bandwidth.rate: %s is not a rate (expected e.g. 10mbit, 1gbit, "
				   "500kbps)",
				   quote(s, q, sizeof(q)));
	if (tbf->rate_bytes_per_s == 0)
		return fl_diag_set(diag, -EINVAL,
				   "bandwidth.rate: %s: must be at least 8bit (1 byte per second)",
				   quote(s, q, sizeof(q)));
	if ((f = json_object_get(v, "burst")) &&
	    (r = get_size32(f, "bandwidth.burst", &tbf->burst_bytes, diag)) < 0)
		return r;
	if ((f = json_object_get(v, "limit")) &&
	    (r = get_size32(f, "bandwidth.limit", &tbf->limit_bytes, diag)) < 0)
		return r;
	if ((f = json_object_get(v, "latency"))) {
		if (json_object_get(v, "limit"))
			return fl_diag_set(diag, -EINVAL,
					   "bandwidth: limit and latency exclude each other (the "
					   "latency sets the limit)");
		if ((r = get_duration(f, "bandwidth.latency", FL_NETEM_MAX_DELAY_NS, "",
				      &tbf->latency_ns, diag)) < 0)
			return r;
	}
	if ((r = fl_tbf_validate(tbf, diag)) < 0)
		return prefix_lib(diag, -EINVAL, "bandwidth", renames);
	return 0;
}

static int parse_partition(const json_t *v, struct fl_nft_fault *nft, struct fl_diag *diag)
{
	static const char *const allowed[] = { "action", NULL };
	char q[QUOTE_MAX + 16];
	const json_t *f;
	const char *s;
	int r;

	nft->action = FL_NFT_DROP;
	nft->percent = 100.0;
	if (!v)
		return 0;
	if ((r = want_object(v, "partition", diag)) < 0 ||
	    (r = check_keys(v, "partition", allowed, diag)) < 0)
		return r;
	if (!(f = json_object_get(v, "action")))
		return 0;
	if ((r = get_string(f, "partition.action", 64, &s, diag)) < 0)
		return r;
	if (strcmp(s, "drop") == 0)
		nft->action = FL_NFT_DROP;
	else if (strcmp(s, "reject") == 0)
		nft->action = FL_NFT_REJECT;
	else
		return fl_diag_set(
			diag, -EINVAL,
			"partition.action: %s is not an action (expected drop or reject)",
			quote(s, q, sizeof(q)));
	return 0;
}

static int parse_loss(const json_t *v, struct fl_nft_fault *nft, struct fl_diag *diag)
{
	static const char *const allowed[] = { "percent", NULL };
	char q[QUOTE_MAX + 16];
	const json_t *f;
	const char *s;
	double pct;
	int r;

	if (!v)
		return fl_diag_set(diag, -EINVAL,
				   "loss: required for kind loss (e.g. {\"percent\": \"5%%\"})");
	if ((r = want_object(v, "loss", diag)) < 0 ||
	    (r = check_keys(v, "loss", allowed, diag)) < 0)
		return r;
	if (!(f = json_object_get(v, "percent")))
		return fl_diag_set(diag, -EINVAL, "loss.percent: required (expected e.g. \"5%%\")");
	if ((r = get_string(f, "loss.percent", 64, &s, diag)) < 0)
		return r;
	r = fl_parse_percent(s, &pct);
	if (r == -ERANGE)
		return fl_diag_set(diag, -EINVAL, "loss.percent: %s is above 100%%",
				   quote(s, q, sizeof(q)));
	if (r < 0)
		return fl_diag_set(
			diag, -EINVAL,
			"loss.percent: %s is not a percentage (expected e.g. 5%%, 0.5%%)",
			quote(s, q, sizeof(q)));
	if (pct <= 0)
		return fl_diag_set(diag, -EINVAL,
				   "loss.percent: %s does nothing (expected above 0%% and at most "
				   "100%%)",
				   quote(s, q, sizeof(q)));
	nft->action = FL_NFT_DROP;
	nft->percent = pct;
	return 0;
}

static int parse_delay(const json_t *v, struct fl_delayline_spec *spec, struct fl_diag *diag)
{
	static const char *const allowed[] = { "delay", "jitter", "maxHeld", NULL };
	static const char *const renames[] = { "delay",	   "delay",   "jitter", "jitter",
					       "max_held", "maxHeld", NULL };
	const json_t *f;
	json_int_t held;
	int r;

	if (!v)
		return fl_diag_set(diag, -EINVAL,
				   "delay: required for kind delay (e.g. {\"delay\": \"200ms\", "
				   "\"jitter\": \"50ms\"})");
	if ((r = want_object(v, "delay", diag)) < 0 ||
	    (r = check_keys(v, "delay", allowed, diag)) < 0)
		return r;
	if (!(f = json_object_get(v, "delay")))
		return fl_diag_set(diag, -EINVAL,
				   "delay.delay: required (expected e.g. \"200ms\")");
	if ((r = get_duration(f, "delay.delay", FL_NETEM_MAX_DELAY_NS, "", &spec->delay_ns, diag)) <
	    0)
		return r;
	if ((f = json_object_get(v, "jitter"))) {
		char q[QUOTE_MAX + 16];
		const char *s;

		/* 0 jitter is fine here (unlike a 0 delay): parse without the > 0 rule. */
		if ((r = get_string(f, "delay.jitter", 64, &s, diag)) < 0)
			return r;
		if (fl_parse_duration_strict_ns(s, &spec->jitter_ns) < 0)
			return fl_diag_set(diag, -EINVAL,
					   "delay.jitter: %s is not a duration (expected e.g. "
					   "50ms)",
					   quote(s, q, sizeof(q)));
	}
	if ((f = json_object_get(v, "maxHeld"))) {
		if (!json_is_integer(f))
			return type_error(diag, "delay.maxHeld", f, "an integer");
		held = json_integer_value(f);
		if (held < 1 || held > UINT32_MAX)
			return fl_diag_set(diag, -EINVAL,
					   "delay.maxHeld: %" JSON_INTEGER_FORMAT
					   " is not a packet count (expected an integer above 0)",
					   held);
		spec->max_held = (uint32_t)held;
	}
	if ((r = fl_delayline_validate(spec, diag)) < 0)
		return prefix_lib(diag, -EINVAL, "delay", renames);
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signals[] = {
	{ "SIGKILL", 9 }, { "SIGTERM", 15 }, { "SIGINT", 2 },	{ "SIGHUP", 1 },
	{ "SIGQUIT", 3 }, { "SIGUSR1", 10 }, { "SIGUSR2", 12 },
};

/* "kill.signal": a name from signals[] or a number 1..64. */
static int parse_kill_signal(const json_t *sig, int *ret_sig, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;

	if (json_is_integer(sig)) {
		json_int_t n = json_integer_value(sig);

		if (n < 1 || n > 64)
			return fl_diag_set(diag, -EINVAL,
					   "kill.signal: %" JSON_INTEGER_FORMAT
					   " is not a signal number (expected 1..64)",
					   n);
		*ret_sig = (int)n;
		return 0;
	}
	if (!json_is_string(sig))
		return type_error(diag, "kill.signal", sig,
				  "a signal name (e.g. \"SIGTERM\") or a number");
	s = json_string_value(sig);
	for (size_t i = 0; i < FL_ARRAY_SIZE(signals); i++)
		if (strcmp(s, signals[i].name) == 0) {
			*ret_sig = signals[i].sig;
			return 0;
		}
	return fl_diag_set(diag, -EINVAL,
			   "kill.signal: %s is not a signal (expected SIGKILL, SIGTERM, SIGINT, "
			   "SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 or a number 1..64)",
			   quote(s, q, sizeof(q)));
}

/* "kill.gracePeriod": CRI StopContainer's timeout, so container-kill without a signal only. */
static int parse_kill_grace(const json_t *grace, enum fl_fault_kind kind, bool with_signal,
			    uint64_t max_ns, int64_t *ret_grace_s, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	uint64_t ns;
	int r;

	if (kind == FL_FAULT_PROCESS_KILL)
		return fl_diag_set(diag, -EINVAL,
				   "kill.gracePeriod: not allowed for kind process-kill (it sends "
				   "kill.signal at once)");
	if (with_signal)
		return fl_diag_set(diag, -EINVAL,
				   "kill.gracePeriod: not allowed with kill.signal (the grace "
				   "period is CRI StopContainer's; a signal is sent at once)");
	if ((r = get_string(grace, "kill.gracePeriod", 64, &s, diag)) < 0)
		return r;
	r = fl_parse_duration_strict_ns(s, &ns);
	if (r < 0 && r != -ERANGE)
		return fl_diag_set(diag, -EINVAL,
				   "kill.gracePeriod: %s is not a duration (expected e.g. 10s, 0s)",
				   quote(s, q, sizeof(q)));
	if (r == -ERANGE || ns > max_ns) {
		char m[32];

		format_duration(max_ns, m, sizeof(m));
		return fl_diag_set(diag, -EINVAL, "kill.gracePeriod: %s is above the maximum %s",
				   quote(s, q, sizeof(q)), m);
	}
	if (ns % NS_PER_S)
		return fl_diag_set(diag, -EINVAL,
				   "kill.gracePeriod: %s is not a whole number of seconds (CRI "
				   "counts in seconds)",
				   quote(s, q, sizeof(q)));
	*ret_grace_s = (int64_t)(ns / NS_PER_S);
	return 0;
}

static int parse_kill(const json_t *v, enum fl_fault_kind kind, uint64_t max_ns, int *ret_sig,
		      int64_t *ret_grace_s, struct fl_diag *diag)
{
	static const char *const allowed[] = { "signal", "gracePeriod", NULL };
	const json_t *sig, *grace;
	int r;

	*ret_sig = kind == FL_FAULT_PROCESS_KILL ? 9 : 0;
	*ret_grace_s = kind == FL_FAULT_PROCESS_KILL ? 0 : KILL_GRACE_DEFAULT_S;
	if (!v)
		return 0;
	if ((r = want_object(v, "kill", diag)) < 0 ||
	    (r = check_keys(v, "kill", allowed, diag)) < 0)
		return r;
	sig = json_object_get(v, "signal");
	grace = json_object_get(v, "gracePeriod");
	if (sig) {
		*ret_grace_s = 0; /* a signal is sent at once */
		if ((r = parse_kill_signal(sig, ret_sig, diag)) < 0)
			return r;
	}
	if (grace)
		return parse_kill_grace(grace, kind, sig != NULL, max_ns, ret_grace_s, diag);
	return 0;
}

/* ---- the request -------------------------------------------------------------------- */

static int parse_kind(const json_t *v, enum fl_fault_kind *ret, struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	if (!v)
		return fl_diag_set(diag, -EINVAL, "kind: required (one of " KIND_LIST ")");
	if ((r = get_string(v, "kind", 64, &s, diag)) < 0)
		return r;
	for (int k = 0; k < FL_FAULT_KIND_COUNT; k++) {
		if (strcmp(s, fl_fault_kind_name((enum fl_fault_kind)k)) == 0) {
			*ret = (enum fl_fault_kind)k;
			return 0;
		}
	}
	return fl_diag_set(diag, -EINVAL, "kind: %s is not a kind (expected one of " KIND_LIST ")",
			   quote(s, q, sizeof(q)));
}

/* Every field present belongs to the kind; unknown ones are named with the allowed ones. */
static int check_fields(const json_t *root, enum fl_fault_kind kind, struct fl_diag *diag)
{
	const char *allowed[F_COUNT + 1];
	const char *key, *hint = "";
	const json_t *v;
	unsigned n = 0;
	int f;

	for (f = 0; f < F_COUNT; f++)
		if (kind_fields[kind] & B(f))
			allowed[n++] = field_names[f];
	allowed[n] = NULL;
	json_object_foreach((json_t *)root, key, v)
	{
		char only[160] = "";
		size_t o = 0;

		for (f = 0; f < F_COUNT && strcmp(key, field_names[f]) != 0; f++)
			;
		if (f == F_COUNT)
			return check_keys(root, NULL, allowed, diag);
		if (kind_fields[kind] & B(f))
			continue;
		for (int k = 0; k < FL_FAULT_KIND_COUNT; k++) {
			int w;

			if (!(kind_fields[k] & B(f)))
				continue;
			w = snprintf(only + o, sizeof(only) - o, "%s%s", o ? ", " : "",
				     fl_fault_kind_name((enum fl_fault_kind)k));
			if (w < 0 || (size_t)w >= sizeof(only) - o)
				break;
			o += (size_t)w;
		}
		if (f == F_INTERFACE)
			hint = "; nftables rules act on every interface of the namespace";
		else if (f == F_FROM)
			hint = "; the direction decides whether \"to\" peers are sources or "
			       "destinations";
		else if (is_kill(kind) && (f == F_DURATION || f == F_LEASE))
			hint = "; a kill happens once";
		else if (f == F_VERIFY)
			hint = ": the faults a TCP connect shows";
		return fl_diag_set(diag, -EINVAL, "%s: not allowed for kind %s (only for %s%s)",
				   key, fl_fault_kind_name(kind), only, hint);
	}
	return 0;
}

static int parse_direction(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
			   enum fl_nft_direction *ret_nft, struct fl_diag *diag)
{
	bool netem = kind == FL_FAULT_NETWORK || kind == FL_FAULT_BANDWIDTH;
	bool both_ok = kind == FL_FAULT_PARTITION || kind == FL_FAULT_LOSS;
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	*ret_nft = kind == FL_FAULT_PARTITION ? FL_NFT_BOTH : FL_NFT_OUT;
	if (netem)
		fr->u.net.direction = FL_NETEM_EGRESS;
	if (!v)
		return 0;
	if ((r = get_string(v, "direction", 64, &s, diag)) < 0)
		return r;
	if (strcmp(s, "egress") == 0) {
		*ret_nft = FL_NFT_OUT;
		if (netem)
			fr->u.net.direction = FL_NETEM_EGRESS;
	} else if (strcmp(s, "ingress") == 0) {
		*ret_nft = FL_NFT_IN;
		if (netem)
			fr->u.net.direction = FL_NETEM_INGRESS;
	} else if (strcmp(s, "both") == 0 && both_ok) {
		*ret_nft = FL_NFT_BOTH;
	} else {
		return fl_diag_set(diag, -EINVAL,
				   "direction: %s is not a direction for kind %s (expected %s)",
				   quote(s, q, sizeof(q)), fl_fault_kind_name(kind),
				   both_ok ? "egress, ingress or both" : "egress or ingress");
	}
	return 0;
}

/* "verify": {"wire": bool}; the request's fitness for it is checked once it is parsed. */
static int parse_verify(const json_t *v, bool *ret_wire, struct fl_diag *diag)
{
	static const char *const allowed[] = { "wire", NULL };
	const json_t *w;
	int r;

	*ret_wire = false;
	if (!v)
		return 0;
	if ((r = want_object(v, "verify", diag)) < 0 ||
	    (r = check_keys(v, "verify", allowed, diag)) < 0)
		return r;
	if (!(w = json_object_get(v, "wire")))
		return 0;
	if (!json_is_boolean(w))
		return type_error(diag, "verify.wire", w, "true or false");
	*ret_wire = json_is_true(w);
	return 0;
}

/* ---- the request's fields ------------------------------------------------------------ */

static int parse_id(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
		    struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	(void)kind;
	if (!v)
		return 0;
	if ((r = get_string(v, "id", 64, &s, diag)) < 0)
		return r;
	if (!fl_api_valid_id(s))
		return fl_diag_set(diag, -EINVAL,
				   "id: %s is not a fault id (expected [a-z0-9][a-z0-9-]{0,31}, "
				   "e.g. broker-0-delay)",
				   quote(s, q, sizeof(q)));
	memcpy(fr->id, s, strlen(s) + 1);
	return 0;
}

static int parse_req_target(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
			    struct fl_diag *diag)
{
	return parse_target(v, kind, &fr->target, diag);
}

static int parse_owner(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
		       struct fl_diag *diag)
{
	const char *s;
	int r;

	(void)kind;
	if (!v)
		return 0;
	if ((r = get_string(v, "owner", FL_FAULT_OWNER_MAX - 1, &s, diag)) < 0)
		return r;
	memcpy(fr->owner, s, strlen(s) + 1);
	return 0;
}

/* The tc kinds act on one interface, "eth0" unless named; the nftables kinds on them all. */
static int parse_interface(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
			   struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16];
	const char *s;
	int r;

	if (kind != FL_FAULT_NETWORK && kind != FL_FAULT_BANDWIDTH)
		return 0;
	memcpy(fr->ifname, "eth0", sizeof("eth0"));
	if (!v)
		return 0;
	if ((r = get_string(v, "interface", 64, &s, diag)) < 0)
		return r;
	if (!valid_ifname(s))
		return fl_diag_set(diag, -EINVAL,
				   "interface: %s is not an interface name (1 to 15 printable "
				   "characters, no '/', ':' or space)",
				   quote(s, q, sizeof(q)));
	memcpy(fr->ifname, s, strlen(s) + 1);
	return 0;
}

/*
 * The fields parsed before the kind's own, in this order (the first error found is the one
 * reported). Each handler is called whether or not its field is present.
 */
static const struct {
	const char *name;
	int (*parse)(const json_t *v, enum fl_fault_kind kind, struct fl_fault_req *fr,
		     struct fl_diag *diag);
} leading_fields[] = {
	{ "id", parse_id },
	{ "target", parse_req_target },
	{ "owner", parse_owner },
	{ "interface", parse_interface },
};

/* "duration" (required) and "lease" (at most the duration) of a timed kind. */
static int parse_duration_lease(const json_t *root, enum fl_fault_kind kind,
				uint64_t max_duration_ns, struct fl_fault_req *fr,
				struct fl_diag *diag)
{
	char q[QUOTE_MAX + 16], m[32];
	const json_t *v;
	int r;

	if (!(v = json_object_get(root, "duration")))
		return fl_diag_set(diag, -EINVAL,
				   "duration: required for kind %s (expected e.g. \"30s\", \"5m\")",
				   fl_fault_kind_name(kind));
	if ((r = get_duration(v, "duration", max_duration_ns, " (the agent's max-duration)",
			      &fr->duration_ns, diag)) < 0)
		return r;
	if ((v = json_object_get(root, "lease"))) {
		format_duration(fr->duration_ns, m, sizeof(m));
		r = get_duration(v, "lease", UINT64_MAX, "", &fr->lease_ns, diag);
		if (r < 0)
			return r;
		if (fr->lease_ns > fr->duration_ns)
			return fl_diag_set(diag, -EINVAL,
					   "lease: %s is longer than the duration %s (a lease must "
					   "end before the fault does)",
					   quote(json_string_value(v), q, sizeof(q)), m);
	}
	return 0;
}

/* What the timed kinds share: the direction and the "to" + "from" entries, in that order. */
struct traffic {
	enum fl_nft_direction nft_dir;
	struct fl_netem_match matches[FL_NETEM_MAX_MATCHES];
	unsigned n_matches;
};

static int parse_traffic(const json_t *root, enum fl_fault_kind kind, struct fl_fault_req *fr,
			 struct traffic *tr, struct fl_diag *diag)
{
	const json_t *v;
	int r;

	if ((r = parse_direction(json_object_get(root, "direction"), kind, fr, &tr->nft_dir,
				 diag)) < 0)
		return r;
	if ((v = json_object_get(root, "to")) &&
	    (r = parse_matches(v, "to", false, tr->matches, &tr->n_matches, diag)) < 0)
		return r;
	if ((v = json_object_get(root, "from")) &&
	    (r = parse_matches(v, "from", true, tr->matches, &tr->n_matches, diag)) < 0)
		return r;
	return 0;
}

/* ---- the timed kinds' own objects --------------------------------------------------- */

/* network and bandwidth: a tc qdisc (netem or tbf) on the interface. */
static int finish_tc(const json_t *root, enum fl_fault_kind kind, const struct traffic *tr,
		     struct fl_fault_req *fr, struct fl_diag *diag)
{
	int r;

	memcpy(fr->u.net.matches, tr->matches, tr->n_matches * sizeof(tr->matches[0]));
	fr->u.net.n_matches = tr->n_matches;
	if (kind == FL_FAULT_NETWORK) {
		fr->u.net.kind = FL_NETEM_FAULT_NETEM;
		if ((r = parse_netem(json_object_get(root, "netem"), &fr->u.net.netem, diag)) < 0)
			return r;
	} else {
		fr->u.net.kind = FL_NETEM_FAULT_TBF;
		if ((r = parse_bandwidth(json_object_get(root, "bandwidth"), &fr->u.net.tbf,
					 diag)) < 0)
			return r;
	}
	if ((r = fl_netem_fault_validate(&fr->u.net, diag)) < 0)
		return fl_diag_prefix(diag, -EINVAL, "%s",
				      kind == FL_FAULT_NETWORK ? "netem" : "bandwidth");
	return 0;
}

/* partition and loss: an nftables rule that drops or rejects. */
static int finish_nft(const json_t *root, enum fl_fault_kind kind, const struct traffic *tr,
		      struct fl_fault_req *fr, struct fl_diag *diag)
{
	static const char *const loss_renames[] = { "percent", "percent", NULL };
	struct fl_nft_fault *nft = &fr->u.nft;
	int r;

	r = kind == FL_FAULT_PARTITION
		    ? parse_partition(json_object_get(root, "partition"), nft, diag)
		    : parse_loss(json_object_get(root, "loss"), nft, diag);
	if (r < 0)
		return r;
	nft->direction = tr->nft_dir;
	memcpy(nft->peers, tr->matches, tr->n_matches * sizeof(tr->matches[0]));
	nft->n_peers = tr->n_matches;
	if ((r = fl_nft_validate(nft, diag)) < 0)
		return prefix_lib(diag, -EINVAL, fl_fault_kind_name(kind),
				  kind == FL_FAULT_LOSS ? loss_renames : NULL);
	return 0;
}

/* delay: the delay line's spec and the nftables rule that steers packets to its queue. */
static int finish_delay(const json_t *root, enum fl_fault_kind kind, const struct traffic *tr,
			struct fl_fault_req *fr, struct fl_diag *diag)
{
	struct fl_nft_fault *steer = &fr->u.delay.steer, probe;
	int r;

	(void)kind;
	if ((r = parse_delay(json_object_get(root, "delay"), &fr->u.delay.spec, diag)) < 0)
		return r;
	/* queue_num stays 0: the agent assigns the queue when it injects. */
	steer->action = FL_NFT_QUEUE;
	steer->queue_bypass = true;
	steer->percent = 100.0;
	steer->direction = tr->nft_dir;
	memcpy(steer->peers, tr->matches, tr->n_matches * sizeof(tr->matches[0]));
	steer->n_peers = tr->n_matches;
	/* The library wants a queue number for QUEUE: check with a stand-in. */
	probe = *steer;
	probe.queue_num = 1;
	if ((r = fl_nft_validate(&probe, diag)) < 0)
		return fl_diag_prefix(diag, -EINVAL, "delay");
	return 0;
}

/* Each timed kind's own object; NULL for the kill kinds (parse_kill). */
static int (*const finish_timed[FL_FAULT_KIND_COUNT])(const json_t *root, enum fl_fault_kind kind,
						      const struct traffic *tr,
						      struct fl_fault_req *fr,
						      struct fl_diag *diag) = {
	[FL_FAULT_NETWORK] = finish_tc,	   [FL_FAULT_BANDWIDTH] = finish_tc,
	[FL_FAULT_PARTITION] = finish_nft, [FL_FAULT_LOSS] = finish_nft,
	[FL_FAULT_DELAY] = finish_delay,
};

static int parse_root(const json_t *root, uint64_t max_duration_ns, struct fl_fault_req *fr,
		      struct fl_diag *diag)
{
	enum fl_fault_kind kind = FL_FAULT_NETWORK;
	struct traffic tr = { .nft_dir = FL_NFT_OUT };
	int r;

	if (!json_is_object(root))
		return type_error(diag, "body", root, "a JSON object");
	if ((r = parse_kind(json_object_get(root, "kind"), &kind, diag)) < 0 ||
	    (r = check_fields(root, kind, diag)) < 0)
		return r;
	fr->kind = kind;
	for (size_t i = 0; i < FL_ARRAY_SIZE(leading_fields); i++)
		if ((r = leading_fields[i].parse(json_object_get(root, leading_fields[i].name),
						 kind, fr, diag)) < 0)
			return r;
	if (!max_duration_ns)
		max_duration_ns = DEFAULT_MAX_DURATION_NS;
	if (is_kill(kind))
		return parse_kill(json_object_get(root, "kill"), kind, max_duration_ns,
				  &fr->u.kill.signal, &fr->u.kill.grace_s, diag);

	/* The timed kinds. */
	if ((r = parse_duration_lease(root, kind, max_duration_ns, fr, diag)) < 0 ||
	    (r = parse_traffic(root, kind, fr, &tr, diag)) < 0)
		return r;
	if (!finish_timed[kind])
		return fl_diag_set(diag, -EINVAL, "kind: %s is not handled",
				   fl_fault_kind_name(kind));
	return finish_timed[kind](root, kind, &tr, fr, diag);
}

/* Load a JSON object; syntax errors keep jansson's text with line and column. */
static int load(const char *body, size_t len, json_t **ret, struct fl_diag *diag)
{
	json_error_t err;
	json_t *root;

	if (!body || len == 0)
		return fl_diag_set(diag, -EINVAL, "body: empty (expected a JSON object)");
	if (len > FL_API_BODY_MAX)
		return fl_diag_set(diag, -EINVAL, "body: %zu bytes is above the maximum %d", len,
				   FL_API_BODY_MAX);
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		if (json_error_code(&err) == json_error_out_of_memory)
			return fl_diag_set(diag, -ENOMEM, "body: out of memory");
		diag->line = err.line > 0 ? err.line : 0;
		diag->col = err.column > 0 ? err.column : 0;
		return fl_diag_set(diag, -EINVAL, "body: invalid JSON at line %d, column %d: %s",
				   err.line, err.column, err.text);
	}
	*ret = root;
	return 0;
}

int fl_api_parse_fault(const char *body, size_t len, uint64_t max_duration_ns,
		       struct fl_fault_req *ret, struct fl_diag *diag)
{
	struct fl_diag local = { 0 };
	struct fl_fault_req fr;
	json_t *root = NULL;
	int r;

	if (!diag)
		diag = &local;
	if ((r = load(body, len, &root, diag)) < 0)
		return r;
	memset(&fr, 0, sizeof(fr));
	r = parse_root(root, max_duration_ns, &fr, diag);
	if (r == 0)
		r = parse_verify(json_object_get(root, "verify"), &fr.verify_wire, diag);
	json_decref(root);
	if (r < 0)
		return r;
	if (fr.verify_wire) {
		struct fl_wire *w = malloc(sizeof(*w));

		if (!w)
			return fl_diag_set(diag, -ENOMEM, "out of memory");
		r = fl_wire_prepare(&fr, w, diag);
		free(w);
		if (r < 0)
			return r;
	}
	*ret = fr;
	return 0;
}

static bool only_space(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
			return false;
	return true;
}

int fl_api_parse_renew(const char *body, size_t len, uint64_t *ret_lease_ns, struct fl_diag *diag)
{
	static const char *const allowed[] = { "lease", NULL };
	struct fl_diag local = { 0 };
	json_t *root = NULL, *v;
	uint64_t lease = 0;
	int r;

	if (!diag)
		diag = &local;
	if (!body || (len <= FL_API_BODY_MAX && only_space(body, len))) {
		*ret_lease_ns = 0;
		return 0;
	}
	if ((r = load(body, len, &root, diag)) < 0)
		return r;
	if (!json_is_object(root))
		r = type_error(diag, "body", root, "a JSON object");
	else if ((r = check_keys(root, NULL, allowed, diag)) >= 0 &&
		 (v = json_object_get(root, "lease")))
		r = get_duration(v, "lease", RENEW_LEASE_MAX_NS, "", &lease, diag);
	json_decref(root);
	if (r < 0)
		return r;
	*ret_lease_ns = lease;
	return 0;
}
