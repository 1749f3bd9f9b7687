/* SPDX-License-Identifier: MIT */
/*
 * faultline faults inject|list|get|revert|renew|stop|health|capabilities — an operator's
 * direct handle on one agent (docs/agent-api.md):
 *
 *   faultline faults inject --agent unix:/run/faultline/agent.sock --kind network \
 *       --pod default/loader-0 --duration 60s --to 10.0.0.5:9092 delay 200ms 50ms
 *   faultline faults inject --kind partition --netns /run/netns/x --duration 30s --to 10.0.0.0/24
 *   faultline faults inject --json @fault.json
 *   faultline faults list
 *   faultline faults revert f1a2b3c4d5
 *   faultline faults stop            (emergency stop; --clear to accept faults again)
 *
 * The agent address comes from --agent, else $FAULTLINE_AGENT, else the local unix socket.
 */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "cli.h"
#include "fl/macro.h"

#define DEFAULT_AGENT "unix:/run/faultline/agent.sock"

struct faults_args {
	struct fl_agent_client_config client;
	const char *json;
	json_t *body; /* built from flags */
	json_t *target;
	json_t *to, *from;
	json_t *sub; /* kind-specific object being filled (bandwidth, loss, ...) */
	const char *kind;
	const char *lease;	/* renew */
	bool clear;		/* stop --clear */
	bool interleaved;	/* verbs with an ID: flags may follow it */
	const char *positional; /* that ID */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline faults VERB [--agent ADDR] [FLAGS] [ARGS]\n"
		"\n"
		"Verbs:\n"
		"  inject        inject a fault (flags below, or --json TEXT|@FILE)\n"
		"  list          list the agent's faults\n"
		"  get ID        one fault\n"
		"  revert ID     revert a fault now\n"
		"  renew ID      renew its lease [--lease T]\n"
		"  stop          emergency stop: revert everything, refuse new faults [--clear]\n"
		"  health        the agent's health\n"
		"  capabilities  which mechanisms the agent's node really supports\n"
		"\n"
		"Connection:\n"
		"  --agent ADDR       unix:/path or https://host:port (default $FAULTLINE_AGENT "
		"or\n"
		"                     " DEFAULT_AGENT ")\n"
		"  --tls-cert F --tls-key F --tls-ca F   client certificate for https agents\n"
		"\n"
		"Inject flags:\n"
		"  --kind K           network | partition | loss | bandwidth | delay |\n"
		"                     container-kill | process-kill\n"
		"  --pod NS/NAME | --pod-uid UID | --netns PATH | --pid N    the target\n"
		"  --container NAME   container-kill: which container\n"
		"  --interface IF     network/bandwidth (default eth0)\n"
		"  --direction D      egress | ingress | both\n"
		"  --duration T --lease T --owner TEXT --id ID\n"
		"  --to TARGET --from TARGET                  CIDR[:PORT], repeatable\n"
		"  --rate R --burst B --limit B --latency T   bandwidth\n"
		"  --action drop|reject                        partition\n"
		"  --percent P                                 loss\n"
		"  --delay T --jitter T                        delay (the NFQUEUE delay line)\n"
		"  --signal SIG --grace T                      kills\n"
		"  --verify-wire      network/delay/partition: the agent times TCP connects to\n"
		"                     each --to ADDR:PORT before and after, and fails (reverted)\n"
		"                     when the fault does not show on the wire\n"
		"  [netem options...]                          network: tc netem syntax\n");
}

/* The kind-specific object (bandwidth, partition, ...), created on first use. */
static json_t *sub(struct faults_args *a, const char *name)
{
	json_t *o = json_object_get(a->body, name);

	if (!o) {
		o = json_object();
		json_object_set_new(a->body, name, o);
	}
	return o;
}

/*
 * The flags, one row each: what a flag sets is data, so adding one is adding a row. The
 * rows' order is getopt's (its ambiguity messages list the candidates in this order).
 */
struct faults_flag {
	const char *name;
	int has_arg;
	int (*set)(struct faults_args *a, const struct faults_flag *f, const char *arg);
	const char *sub; /* the kind-specific object (sub()), NULL: the body itself */
	const char *key; /* the JSON key set */
	size_t offset;	 /* set_arg, append, set_flag: the field of struct faults_args */
};

/* A string kept as is (client config, --json). */
static int set_arg(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	*(const char **)((char *)a + f->offset) = arg;
	return 0;
}

/* A string field of the body or of a kind-specific object. */
static int set_body(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	json_object_set_new(f->sub ? sub(a, f->sub) : a->body, f->key, json_string(arg));
	return 0;
}

static int set_target(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	json_object_set_new(a->target, f->key, json_string(arg));
	return 0;
}

static int set_pid(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (*end || errno || pid <= 0) {
		fprintf(stderr, "faultline: --pid: \"%s\" is not a process id\n", arg);
		return -EINVAL;
	}
	json_object_set_new(a->target, f->key, json_integer(pid));
	return 0;
}

/* --lease is both renew's body and inject's field. */
static int set_lease(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	a->lease = arg;
	return set_body(a, f, arg);
}

/* --to, --from: repeatable. */
static int append(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	json_array_append_new(*(json_t **)((char *)a + f->offset), json_string(arg));
	return 0;
}

static int set_true(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	(void)arg;
	json_object_set_new(sub(a, f->sub), f->key, json_true());
	return 0;
}

/* A flag without a value (stop --clear). */
static int set_flag(struct faults_args *a, const struct faults_flag *f, const char *arg)
{
	(void)arg;
	*(bool *)((char *)a + f->offset) = true;
	return 0;
}

/* Where a flag's value goes in struct faults_args (set_arg, append, set_flag). */
#define FIELD(f) offsetof(struct faults_args, f)

static const struct faults_flag flags[] = {
	{ "agent", required_argument, set_arg, .offset = FIELD(client.address) },
	{ "tls-cert", required_argument, set_arg, .offset = FIELD(client.tls_cert) },
	{ "tls-key", required_argument, set_arg, .offset = FIELD(client.tls_key) },
	{ "tls-ca", required_argument, set_arg, .offset = FIELD(client.tls_ca) },
	{ "json", required_argument, set_arg, .offset = FIELD(json) },
	{ "kind", required_argument, set_body, .key = "kind" },
	{ "pod", required_argument, set_target, .key = "pod" },
	{ "pod-uid", required_argument, set_target, .key = "podUid" },
	{ "netns", required_argument, set_target, .key = "netns" },
	{ "pid", required_argument, set_pid, .key = "pid" },
	{ "container", required_argument, set_target, .key = "container" },
	{ "interface", required_argument, set_body, .key = "interface" },
	{ "direction", required_argument, set_body, .key = "direction" },
	{ "duration", required_argument, set_body, .key = "duration" },
	{ "lease", required_argument, set_lease, .key = "lease" },
	{ "owner", required_argument, set_body, .key = "owner" },
	{ "id", required_argument, set_body, .key = "id" },
	{ "to", required_argument, append, .offset = FIELD(to) },
	{ "from", required_argument, append, .offset = FIELD(from) },
	{ "rate", required_argument, set_body, .sub = "bandwidth", .key = "rate" },
	{ "burst", required_argument, set_body, .sub = "bandwidth", .key = "burst" },
	{ "limit", required_argument, set_body, .sub = "bandwidth", .key = "limit" },
	{ "latency", required_argument, set_body, .sub = "bandwidth", .key = "latency" },
	{ "action", required_argument, set_body, .sub = "partition", .key = "action" },
	{ "percent", required_argument, set_body, .sub = "loss", .key = "percent" },
	{ "delay", required_argument, set_body, .sub = "delay", .key = "delay" },
	{ "jitter", required_argument, set_body, .sub = "delay", .key = "jitter" },
	{ "signal", required_argument, set_body, .sub = "kill", .key = "signal" },
	{ "grace", required_argument, set_body, .sub = "kill", .key = "gracePeriod" },
	{ "verify-wire", no_argument, set_true, .sub = "verify", .key = "wire" },
	{ "clear", no_argument, set_flag, .offset = FIELD(clear) },
};

#undef FIELD

/* getopt's value for flags[i]: above every short option. */
#define FLAG_VAL 256

/* getopt's table from ours, then --help and the terminator. */
static void build_options(struct option *opts)
{
	size_t i;

	for (i = 0; i < FL_ARRAY_SIZE(flags); i++)
		opts[i] =
			(struct option){ flags[i].name, flags[i].has_arg, NULL, FLAG_VAL + (int)i };
	opts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };
}

static int parse_flags(int argc, char **argv, struct faults_args *a)
{
	struct option opts[FL_ARRAY_SIZE(flags) + 2];
	int c, r;

	build_options(opts);
	optind = 1;
	for (;;) {
		c = getopt_long(argc, argv, "+h", opts, NULL);
		if (c == -1) {
			/* "revert ID --agent X": take the ID and go on with the flags. */
			if (!a->interleaved || optind >= argc)
				break;
			if (a->positional) {
				fprintf(stderr, "faultline: unexpected argument \"%s\"\n",
					argv[optind]);
				return -EINVAL;
			}
			a->positional = argv[optind++];
			continue;
		}
		if (c == 'h') {
			usage(stdout);
			exit(FL_EXIT_OK);
		}
		if (c < FLAG_VAL)
			return -EINVAL;
		r = flags[c - FLAG_VAL].set(a, &flags[c - FLAG_VAL], optarg);
		if (r < 0)
			return r;
	}
	if (!a->client.address)
		a->client.address = getenv("FAULTLINE_AGENT");
	if (!a->client.address || !*a->client.address)
		a->client.address = DEFAULT_AGENT;
	return optind;
}

/* --json TEXT or --json @FILE (bounded: the agent takes 64 KiB at most). */
static char *load_json_arg(const char *arg)
{
	char *buf;
	size_t n;
	FILE *f;

	if (arg[0] != '@')
		return strdup(arg);
	f = fopen(arg + 1, "re");
	if (!f) {
		fprintf(stderr, "faultline: --json %s: %s\n", arg, strerror(errno));
		return NULL;
	}
	buf = malloc(65537);
	n = buf ? fread(buf, 1, 65536, f) : 0;
	fclose(f);
	if (!buf)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* Print the agent's answer; exit code from the HTTP status. */
static int report(const char *verb, const struct fl_agent_client *client, int status, char *body)
{
	json_error_t jerr;
	json_t *o = body ? json_loads(body, 0, &jerr) : NULL;
	int rc = status >= 200 && status < 300 ? FL_EXIT_OK : FL_EXIT_ERROR;

	if (rc != FL_EXIT_OK) {
		const char *msg = o ? json_string_value(json_object_get(o, "error")) : NULL;

		fprintf(stderr, "faultline: %s: agent %s answered %d: %s\n", verb,
			fl_agent_client_address(client), status, msg ? msg : (body ? body : ""));
	}
	if (o) {
		char *pretty = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
						     JSON_REAL_PRECISION(10));

		if (pretty &&
		    (rc == FL_EXIT_OK || !json_object_get(o, "error") || json_object_size(o) > 2))
			printf("%s\n", pretty);
		free(pretty);
		json_decref(o);
	} else if (body && rc == FL_EXIT_OK) {
		printf("%s", body);
	}
	free(body);
	return rc;
}

static int call(struct faults_args *a, const char *verb, const char *method, const char *path,
		const char *body)
{
	struct fl_agent_client *client;
	struct fl_diag diag = { 0 };
	char *resp = NULL;
	int status = 0, rc;

	if (fl_agent_client_new(&a->client, &client, &diag) < 0) {
		fprintf(stderr, "faultline: %s\n", diag.msg);
		return FL_EXIT_USAGE;
	}
	if (fl_agent_request(client, method, path, body, &status, &resp, &diag) < 0) {
		fprintf(stderr, "faultline: %s: %s\n", verb, diag.msg);
		fl_agent_client_free(client);
		return FL_EXIT_ERROR;
	}
	rc = report(verb, client, status, resp);
	fl_agent_client_free(client);
	return rc;
}

static int cmd_inject(struct faults_args *a, int argc, char **argv, int first)
{
	char *body;
	int rc;

	if (a->json) {
		if (json_object_size(a->body) || first < argc) {
			fprintf(stderr,
				"faultline: inject: --json excludes the other fault flags\n");
			return FL_EXIT_USAGE;
		}
		body = load_json_arg(a->json);
	} else {
		if (!json_object_get(a->body, "kind")) {
			fprintf(stderr, "faultline: inject: --kind is required (or --json)\n");
			return FL_EXIT_USAGE;
		}
		if (json_object_size(a->target))
			json_object_set(a->body, "target", a->target);
		if (json_array_size(a->to))
			json_object_set(a->body, "to", a->to);
		if (json_array_size(a->from))
			json_object_set(a->body, "from", a->from);
		if (first < argc) {
			/* The remaining words are netem options in tc syntax. */
			char netem[1024] = "";
			size_t n = 0;

			for (int i = first; i < argc && n < sizeof(netem); i++)
				n += (size_t)snprintf(netem + n, sizeof(netem) - n, "%s%s",
						      i > first ? " " : "", argv[i]);
			json_object_set_new(a->body, "netem", json_string(netem));
		}
		body = json_dumps(a->body, JSON_COMPACT | JSON_PRESERVE_ORDER);
	}
	if (!body)
		return FL_EXIT_USAGE;
	rc = call(a, "inject", "POST", "/v1/faults", body);
	free(body);
	return rc;
}

static int with_id(struct faults_args *a, const char *verb, const char *method, const char *suffix)
{
	const char *id = a->positional;
	char path[128];
	char *body = NULL;
	int rc;

	if (!id) {
		fprintf(stderr,
			"faultline: %s: which fault? (an id from 'faultline faults list')\n", verb);
		return FL_EXIT_USAGE;
	}
	if (strlen(id) > 32 || strchr(id, '/')) {
		fprintf(stderr, "faultline: %s: \"%s\" is not a fault id\n", verb, id);
		return FL_EXIT_USAGE;
	}
	(void)snprintf(path, sizeof(path), "/v1/faults/%s%s", id, suffix);
	if (a->lease) {
		json_t *o = json_pack("{s:s}", "lease", a->lease);

		body = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	rc = call(a, verb, method, path, body);
	free(body);
	return rc;
}

int fl_cmd_faults(int argc, char **argv)
{
	struct faults_args a = { .body = json_object(),
				 .target = json_object(),
				 .to = json_array(),
				 .from = json_array() };
	const char *verb;
	int first, rc;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		rc = argc < 2 ? FL_EXIT_USAGE : FL_EXIT_OK;
		goto out;
	}
	verb = argv[1];
	a.interleaved = strcmp(verb, "inject") != 0;
	first = parse_flags(argc - 1, argv + 1, &a);
	if (first < 0) {
		rc = FL_EXIT_USAGE;
		goto out;
	}
	argc--;
	argv++;
	if (strcmp(verb, "inject") == 0)
		rc = cmd_inject(&a, argc, argv, first);
	else if (strcmp(verb, "list") == 0)
		rc = call(&a, verb, "GET", "/v1/faults", NULL);
	else if (strcmp(verb, "get") == 0)
		rc = with_id(&a, verb, "GET", "");
	else if (strcmp(verb, "revert") == 0)
		rc = with_id(&a, verb, "DELETE", "");
	else if (strcmp(verb, "renew") == 0)
		rc = with_id(&a, verb, "POST", "/renew");
	else if (strcmp(verb, "stop") == 0)
		rc = call(&a, verb, a.clear ? "DELETE" : "POST", "/v1/stop", NULL);
	else if (strcmp(verb, "health") == 0)
		rc = call(&a, verb, "GET", "/v1/health", NULL);
	else if (strcmp(verb, "capabilities") == 0)
		rc = call(&a, verb, "GET", "/v1/capabilities", NULL);
	else {
		fprintf(stderr,
			"faultline faults: unknown verb \"%s\" (see faultline faults --help)\n",
			verb);
		rc = FL_EXIT_USAGE;
	}
out:
	json_decref(a.body);
	json_decref(a.target);
	json_decref(a.to);
	json_decref(a.from);
	return rc;
}
