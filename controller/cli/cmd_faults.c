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
 * The flags, one row each (cli.h's table): what a flag sets is data, so adding one is
 * adding a row. A row's data is the JSON key it sets (in_body/in_sub/in_target below).
 */
struct json_key {
	const char *sub; /* the kind-specific object (sub()), NULL: the body itself */
	const char *key;
};

#define KEY(s, k) (&(const struct json_key){ s, k })

/* A string kept as is (client config, --json). */
#define set_arg fl_cli_set_string

/* A string field of the body or of a kind-specific object. */
static int set_body(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	struct faults_args *a = opts;
	const struct json_key *k = f->data;

	json_object_set_new(k->sub ? sub(a, k->sub) : a->body, k->key, json_string(arg));
	return 0;
}

static int set_target(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	const struct json_key *k = f->data;

	json_object_set_new(((struct faults_args *)opts)->target, k->key, json_string(arg));
	return 0;
}

static int set_pid(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	const struct json_key *k = f->data;
	char *end;
	long pid;

	errno = 0;
	pid = strtol(arg, &end, 10);
	if (*end || errno || pid <= 0) {
		fprintf(stderr, "faultline: --pid: \"%s\" is not a process id\n", arg);
		return -EINVAL;
	}
	json_object_set_new(((struct faults_args *)opts)->target, k->key, json_integer(pid));
	return 0;
}

/* --lease is both renew's body and inject's field. */
static int set_lease(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	((struct faults_args *)opts)->lease = arg;
	return set_body(opts, f, arg);
}

/* --to, --from: repeatable. */
static int append(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	json_array_append_new(*(json_t **)((char *)opts + f->offset), json_string(arg));
	return 0;
}

static int set_true(void *opts, const struct fl_cli_flag *f, const char *arg)
{
	const struct json_key *k = f->data;

	(void)arg;
	json_object_set_new(sub(opts, k->sub), k->key, json_true());
	return 0;
}

/* Where a flag's value goes in struct faults_args (set_arg, append, a switch). */
#define FIELD(f) offsetof(struct faults_args, f)
static const struct fl_cli_flag flags[] = {
	{ "agent", 0, "ADDR", set_arg, FIELD(client.address), NULL },
	{ "tls-cert", 0, "FILE", set_arg, FIELD(client.tls_cert), NULL },
	{ "tls-key", 0, "FILE", set_arg, FIELD(client.tls_key), NULL },
	{ "tls-ca", 0, "FILE", set_arg, FIELD(client.tls_ca), NULL },
	{ "json", 0, "TEXT or @FILE", set_arg, FIELD(json), NULL },
	{ "kind", 0, "KIND", set_body, 0, KEY(NULL, "kind") },
	{ "pod", 0, "NS/NAME", set_target, 0, KEY(NULL, "pod") },
	{ "pod-uid", 0, "UID", set_target, 0, KEY(NULL, "podUid") },
	{ "netns", 0, "PATH", set_target, 0, KEY(NULL, "netns") },
	{ "pid", 0, "PID", set_pid, 0, KEY(NULL, "pid") },
	{ "container", 0, "NAME", set_target, 0, KEY(NULL, "container") },
	{ "interface", 0, "IF", set_body, 0, KEY(NULL, "interface") },
	{ "direction", 0, "DIRECTION", set_body, 0, KEY(NULL, "direction") },
	{ "duration", 0, "DURATION", set_body, 0, KEY(NULL, "duration") },
	{ "lease", 0, "DURATION", set_lease, 0, KEY(NULL, "lease") },
	{ "owner", 0, "TEXT", set_body, 0, KEY(NULL, "owner") },
	{ "id", 0, "ID", set_body, 0, KEY(NULL, "id") },
	{ "to", 0, "TARGET", append, FIELD(to), NULL },
	{ "from", 0, "TARGET", append, FIELD(from), NULL },
	{ "rate", 0, "RATE", set_body, 0, KEY("bandwidth", "rate") },
	{ "burst", 0, "SIZE", set_body, 0, KEY("bandwidth", "burst") },
	{ "limit", 0, "SIZE", set_body, 0, KEY("bandwidth", "limit") },
	{ "latency", 0, "DURATION", set_body, 0, KEY("bandwidth", "latency") },
	{ "action", 0, "ACTION", set_body, 0, KEY("partition", "action") },
	{ "percent", 0, "PERCENT", set_body, 0, KEY("loss", "percent") },
	{ "delay", 0, "DURATION", set_body, 0, KEY("delay", "delay") },
	{ "jitter", 0, "DURATION", set_body, 0, KEY("delay", "jitter") },
	{ "signal", 0, "SIGNAL", set_body, 0, KEY("kill", "signal") },
	{ "grace", 0, "DURATION", set_body, 0, KEY("kill", "gracePeriod") },
	{ "verify-wire", 0, NULL, set_true, 0, KEY("verify", "wire") },
	{ "clear", 0, NULL, fl_cli_set_switch, FIELD(clear), NULL },
};

#undef FIELD

/* inject: the words after the flags are netem options ("-4" may be a cell overhead);
 * the verbs with an ID take flags before and after it. */
static const struct fl_cli_verb inject_verb = { "faults", usage, flags, FL_ARRAY_SIZE(flags),
						true };
static const struct fl_cli_verb id_verb = { "faults", usage, flags, FL_ARRAY_SIZE(flags), false };

/* The flags of `faults VERB` (argv[0] is VERB). The index of the first word after them,
 * or < 0 when the command ends here with *ret_code (--help, usage errors). */
static int parse_flags(int argc, char **argv, struct faults_args *a, int *ret_code)
{
	int first = fl_cli_parse_flags(a->interleaved ? &id_verb : &inject_verb, argc, argv, a,
				       ret_code);

	if (first < 0)
		return -1;
	if (a->interleaved && first < argc) {
		/* "revert ID --agent X": the ID, and nothing more. */
		if (argc - first > 1) {
			*ret_code = FL_EXIT_USAGE;
			fprintf(stderr, "faultline: unexpected argument \"%s\"\n", argv[first + 1]);
			return -1;
		}
		a->positional = argv[first++];
	}
	if (!a->client.address)
		a->client.address = getenv("FAULTLINE_AGENT");
	if (!a->client.address || !*a->client.address)
		a->client.address = DEFAULT_AGENT;
	return first;
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
	first = parse_flags(argc - 1, argv + 1, &a, &rc);
	if (first < 0)
		goto out;
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
