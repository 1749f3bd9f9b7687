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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent_client.h"
#include "cli.h"

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

static int parse_flags(int argc, char **argv, struct faults_args *a)
{
	enum {
		O_AGENT = 256,
		O_CERT,
		O_KEY,
		O_CA,
		O_JSON,
		O_KIND,
		O_POD,
		O_PODUID,
		O_NETNS,
		O_PID,
		O_CONTAINER,
		O_IF,
		O_DIR,
		O_DURATION,
		O_LEASE,
		O_OWNER,
		O_ID,
		O_TO,
		O_FROM,
		O_RATE,
		O_BURST,
		O_LIMIT,
		O_LATENCY,
		O_ACTION,
		O_PERCENT,
		O_DELAY,
		O_JITTER,
		O_SIGNAL,
		O_GRACE,
		O_VERIFY_WIRE,
		O_CLEAR
	};
	/* Same order as the enum: opts[c - O_AGENT].name is the flag's name. */
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, O_AGENT },
		{ "tls-cert", required_argument, NULL, O_CERT },
		{ "tls-key", required_argument, NULL, O_KEY },
		{ "tls-ca", required_argument, NULL, O_CA },
		{ "json", required_argument, NULL, O_JSON },
		{ "kind", required_argument, NULL, O_KIND },
		{ "pod", required_argument, NULL, O_POD },
		{ "pod-uid", required_argument, NULL, O_PODUID },
		{ "netns", required_argument, NULL, O_NETNS },
		{ "pid", required_argument, NULL, O_PID },
		{ "container", required_argument, NULL, O_CONTAINER },
		{ "interface", required_argument, NULL, O_IF },
		{ "direction", required_argument, NULL, O_DIR },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "lease", required_argument, NULL, O_LEASE },
		{ "owner", required_argument, NULL, O_OWNER },
		{ "id", required_argument, NULL, O_ID },
		{ "to", required_argument, NULL, O_TO },
		{ "from", required_argument, NULL, O_FROM },
		{ "rate", required_argument, NULL, O_RATE },
		{ "burst", required_argument, NULL, O_BURST },
		{ "limit", required_argument, NULL, O_LIMIT },
		{ "latency", required_argument, NULL, O_LATENCY },
		{ "action", required_argument, NULL, O_ACTION },
		{ "percent", required_argument, NULL, O_PERCENT },
		{ "delay", required_argument, NULL, O_DELAY },
		{ "jitter", required_argument, NULL, O_JITTER },
		{ "signal", required_argument, NULL, O_SIGNAL },
		{ "grace", required_argument, NULL, O_GRACE },
		{ "verify-wire", no_argument, NULL, O_VERIFY_WIRE },
		{ "clear", no_argument, NULL, O_CLEAR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

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
		char *end;
		long pid;

		switch (c) {
		case O_AGENT:
			a->client.address = optarg;
			break;
		case O_CERT:
			a->client.tls_cert = optarg;
			break;
		case O_KEY:
			a->client.tls_key = optarg;
			break;
		case O_CA:
			a->client.tls_ca = optarg;
			break;
		case O_JSON:
			a->json = optarg;
			break;
		case O_KIND:
			json_object_set_new(a->body, "kind", json_string(optarg));
			break;
		case O_POD:
			json_object_set_new(a->target, "pod", json_string(optarg));
			break;
		case O_PODUID:
			json_object_set_new(a->target, "podUid", json_string(optarg));
			break;
		case O_NETNS:
			json_object_set_new(a->target, "netns", json_string(optarg));
			break;
		case O_PID:
			errno = 0;
			pid = strtol(optarg, &end, 10);
			if (*end || errno || pid <= 0) {
				fprintf(stderr, "faultline: --pid: \"%s\" is not a process id\n",
					optarg);
				return -EINVAL;
			}
			json_object_set_new(a->target, "pid", json_integer(pid));
			break;
		case O_CONTAINER:
			json_object_set_new(a->target, "container", json_string(optarg));
			break;
		case O_IF:
			json_object_set_new(a->body, "interface", json_string(optarg));
			break;
		case O_DIR:
			json_object_set_new(a->body, "direction", json_string(optarg));
			break;
		case O_DURATION:
			json_object_set_new(a->body, "duration", json_string(optarg));
			break;
		case O_LEASE:
			a->lease = optarg;
			json_object_set_new(a->body, "lease", json_string(optarg));
			break;
		case O_OWNER:
			json_object_set_new(a->body, "owner", json_string(optarg));
			break;
		case O_ID:
			json_object_set_new(a->body, "id", json_string(optarg));
			break;
		case O_TO:
			json_array_append_new(a->to, json_string(optarg));
			break;
		case O_FROM:
			json_array_append_new(a->from, json_string(optarg));
			break;
		case O_RATE:
		case O_BURST:
		case O_LIMIT:
		case O_LATENCY:
			json_object_set_new(sub(a, "bandwidth"), opts[c - O_AGENT].name,
					    json_string(optarg));
			break;
		case O_ACTION:
			json_object_set_new(sub(a, "partition"), "action", json_string(optarg));
			break;
		case O_PERCENT:
			json_object_set_new(sub(a, "loss"), "percent", json_string(optarg));
			break;
		case O_DELAY:
		case O_JITTER:
			json_object_set_new(sub(a, "delay"), opts[c - O_AGENT].name,
					    json_string(optarg));
			break;
		case O_SIGNAL:
			json_object_set_new(sub(a, "kill"), "signal", json_string(optarg));
			break;
		case O_GRACE:
			json_object_set_new(sub(a, "kill"), "gracePeriod", json_string(optarg));
			break;
		case O_VERIFY_WIRE:
			json_object_set_new(sub(a, "verify"), "wire", json_true());
			break;
		case O_CLEAR:
			a->clear = true;
			break;
		case 'h':
			usage(stdout);
			exit(FL_EXIT_OK);
		default:
			return -EINVAL;
		}
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
