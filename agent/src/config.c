/* SPDX-License-Identifier: MIT */
/*
 * The agent's configuration (config.h): defaults, then the config file, the environment
 * and the flags, each error naming its source and key.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fl/log.h"
#include "fl/units.h"

enum key_type { K_PATH, K_STRING, K_DURATION, K_BOOL, K_LIST, K_UINT, K_LOGLEVEL };

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	size_t size; /* bytes of the field (strings) or list capacity */
	const char *help;
};

#define F(field) \
	offsetof(struct fl_agent_config, field), sizeof(((struct fl_agent_config *)0)->field)

static const struct key keys[] = {
	{ "unix-socket", K_PATH, F(unix_socket), "local API socket (\"\" = none)" },
	{ "listen", K_STRING, F(listen), "TLS API address ADDR:PORT (\"\" = none)" },
	{ "tls-cert", K_PATH, F(tls_cert), "server certificate (PEM)" },
	{ "tls-key", K_PATH, F(tls_key), "server key (PEM)" },
	{ "tls-client-ca", K_PATH, F(tls_client_ca), "CA that signs client certificates (PEM)" },
	{ "cri-socket", K_PATH, F(cri_socket), "CRI runtime socket (\"\" = standalone host)" },
	{ "ledger-dir", K_PATH, F(ledger_dir), "where intent records are kept" },
	{ "netns-dir", K_PATH, F(netns_dir), "named network namespaces to reconcile" },
	{ "max-duration", K_DURATION, F(max_duration_ns), "longest fault accepted" },
	{ "reconcile-interval", K_DURATION, F(reconcile_interval_ns), "sweep period" },
	{ "deny-namespaces", K_LIST, offsetof(struct fl_agent_config, deny_namespaces),
	  FL_CFG_MAX_NAMESPACES, "Kubernetes namespaces never targeted (comma list)" },
	{ "allow-namespaces", K_LIST, offsetof(struct fl_agent_config, allow_namespaces),
	  FL_CFG_MAX_NAMESPACES, "if set, only these namespaces (comma list)" },
	{ "allow-host-network", K_BOOL, F(allow_host_network),
	  "allow faults on host-network pods and the node's own namespace" },
	{ "http-threads", K_UINT, F(http_threads), "API worker threads" },
	{ "log-level", K_LOGLEVEL, F(log_level), "debug | info | warning | error" },
};

void fl_agent_config_defaults(struct fl_agent_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	(void)snprintf(cfg->unix_socket, sizeof(cfg->unix_socket), "/run/faultline/agent.sock");
	(void)snprintf(cfg->cri_socket, sizeof(cfg->cri_socket), "/run/containerd/containerd.sock");
	(void)snprintf(cfg->ledger_dir, sizeof(cfg->ledger_dir), "/var/lib/faultline/ledger");
	(void)snprintf(cfg->netns_dir, sizeof(cfg->netns_dir), "/run/netns");
	cfg->max_duration_ns = 3600ull * 1000000000ull;
	cfg->reconcile_interval_ns = 5ull * 1000000000ull;
	cfg->n_deny_namespaces = 1;
	(void)snprintf(cfg->deny_namespaces[0], sizeof(cfg->deny_namespaces[0]), "kube-system");
	cfg->http_threads = 2;
	cfg->log_level = LOG_INFO;
}

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < FL_ARRAY_SIZE(keys); i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int set_list(struct fl_agent_config *cfg, const struct key *k, const char *value,
		    struct fl_diag *diag)
{
	bool deny = k->offset == offsetof(struct fl_agent_config, deny_namespaces);
	char(*list)[64] = deny ? cfg->deny_namespaces : cfg->allow_namespaces;
	unsigned *n = deny ? &cfg->n_deny_namespaces : &cfg->n_allow_namespaces;
	const char *p = value;

	*n = 0;
	while (*p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);

		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		while (len && isspace((unsigned char)*p))
			p++, len--;
		if (len) {
			if (*n == FL_CFG_MAX_NAMESPACES)
				return fl_diag_set(diag, -EINVAL, "%s: more than %d namespaces",
						   k->name, FL_CFG_MAX_NAMESPACES);
			if (len >= sizeof(list[0]))
				return fl_diag_set(diag, -EINVAL, "%s: \"%.*s\" is too long",
						   k->name, (int)len, p);
			memcpy(list[*n], p, len);
			list[*n][len] = '\0';
			(*n)++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

int fl_agent_config_set(struct fl_agent_config *cfg, const char *key, const char *value,
			struct fl_diag *diag)
{
	const struct key *k = find_key(key);
	char *field;
	char *end;
	unsigned long v;
	int level;

	if (!k)
		return fl_diag_set(diag, -EINVAL, "unknown key \"%s\" (see --help)", key);
	field = (char *)cfg + k->offset;
	switch (k->type) {
	case K_PATH:
		if (value[0] && value[0] != '/')
			return fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not an absolute path", key,
					   value);
		/* fall through */
	case K_STRING:
		if (strlen(value) >= k->size)
			return fl_diag_set(diag, -EINVAL, "%s: value longer than %zu characters",
					   key, k->size - 1);
		memcpy(field, value, strlen(value) + 1);
		return 0;
	case K_DURATION:
		if (fl_parse_duration_strict_ns(value, (uint64_t *)(void *)field) < 0 ||
		    *(uint64_t *)(void *)field == 0)
			return fl_diag_set(diag, -EINVAL,
					   "%s: \"%s\" is not a positive duration (e.g. 30s, 1h)",
					   key, value);
		return 0;
	case K_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "1") == 0 ||
		    strcmp(value, "yes") == 0)
			*(bool *)(void *)field = true;
		else if (strcmp(value, "false") == 0 || strcmp(value, "0") == 0 ||
			 strcmp(value, "no") == 0)
			*(bool *)(void *)field = false;
		else
			return fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not true or false", key,
					   value);
		return 0;
	case K_UINT:
		errno = 0;
		v = strtoul(value, &end, 10);
		if (!isdigit((unsigned char)value[0]) || *end || errno || v == 0 || v > 64)
			return fl_diag_set(diag, -EINVAL, "%s: \"%s\" is not a number in 1..64",
					   key, value);
		*(unsigned *)(void *)field = (unsigned)v;
		return 0;
	case K_LOGLEVEL:
		level = fl_log_level_from_name(value);
		if (level < 0)
			return fl_diag_set(diag, -EINVAL,
					   "%s: \"%s\" is not debug, info, warning or error", key,
					   value);
		*(int *)(void *)field = level;
		return 0;
	case K_LIST:
		return set_list(cfg, k, value, diag);
	}
	return -EINVAL;
}

static int load_file(struct fl_agent_config *cfg, const char *path, struct fl_diag *diag)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	int lineno = 0, r = 0;

	if (!f)
		return fl_diag_set(diag, -errno, "config file %s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *eq, *key, *value, *e;

		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			r = fl_diag_set(diag, -EINVAL, "%s:%d: line longer than %zu characters",
					path, lineno, sizeof(line) - 2);
			break;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '#' || *p == '\0')
			continue;
		eq = strchr(p, '=');
		if (!eq) {
			r = fl_diag_set(diag, -EINVAL, "%s:%d: expected key = value", path, lineno);
			break;
		}
		key = p;
		for (e = eq; e > key && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		value = eq + 1;
		while (isspace((unsigned char)*value))
			value++;
		for (e = value + strlen(value); e > value && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		/* Optional quotes around a value: key = "" sets an empty string. */
		if (e - value >= 2 && value[0] == '"' && e[-1] == '"') {
			e[-1] = '\0';
			value++;
		}
		if ((r = fl_agent_config_set(cfg, key, value, diag)) < 0) {
			(void)fl_diag_prefix(diag, r, "%s:%d", path, lineno);
			break;
		}
	}
	fclose(f);
	return r;
}

static int load_env(struct fl_agent_config *cfg, struct fl_diag *diag)
{
	for (size_t i = 0; i < FL_ARRAY_SIZE(keys); i++) {
		char var[64] = "FAULTLINE_AGENT_";
		size_t n = strlen(var);
		const char *value;
		int r;

		for (const char *p = keys[i].name; *p && n + 1 < sizeof(var); p++)
			var[n++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
		var[n] = '\0';
		value = getenv(var);
		if (value && (r = fl_agent_config_set(cfg, keys[i].name, value, diag)) < 0)
			return fl_diag_prefix(diag, r, "environment %s", var);
	}
	return 0;
}

int fl_agent_config_load(struct fl_agent_config *cfg, int argc, char **argv,
			 const char **ret_action, struct fl_diag *diag)
{
	const char *file = getenv("FAULTLINE_AGENT_CONFIG");
	int r;

	*ret_action = NULL;
	/* The config file is named on the command line or in the environment: find it first. */
	for (int i = 1; i < argc; i++) {
		if (strncmp(argv[i], "--config=", 9) == 0)
			file = argv[i] + 9;
		else if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			file = argv[++i];
	}
	if (file && *file && (r = load_file(cfg, file, diag)) < 0)
		return r;
	if ((r = load_env(cfg, diag)) < 0)
		return r;
	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *value;
		char key[64];
		const char *eq;

		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			*ret_action = "help";
			return 0;
		}
		if (strcmp(arg, "--version") == 0) {
			*ret_action = "version";
			return 0;
		}
		if (strncmp(arg, "--", 2) != 0)
			return fl_diag_set(diag, -EINVAL, "unexpected argument \"%s\" (see --help)",
					   arg);
		eq = strchr(arg, '=');
		if (eq) {
			(void)snprintf(key, sizeof(key), "%.*s", (int)(eq - arg - 2), arg + 2);
			value = eq + 1;
		} else {
			(void)snprintf(key, sizeof(key), "%s", arg + 2);
			if (strcmp(key, "config") != 0 && find_key(key) &&
			    find_key(key)->type == K_BOOL) {
				value = "true";
			} else if (i + 1 < argc) {
				value = argv[++i];
			} else {
				return fl_diag_set(diag, -EINVAL, "flag --%s needs a value", key);
			}
		}
		if (strcmp(key, "config") == 0)
			continue;
		if ((r = fl_agent_config_set(cfg, key, value, diag)) < 0)
			return fl_diag_prefix(diag, r, "flag --%s", key);
	}
	if (cfg->listen[0] && (!cfg->tls_cert[0] || !cfg->tls_key[0] || !cfg->tls_client_ca[0]))
		return fl_diag_set(diag, -EINVAL,
				   "listen: TLS needs tls-cert, tls-key and tls-client-ca (client "
				   "certificates are required on TCP)");
	if (!cfg->unix_socket[0] && !cfg->listen[0])
		return fl_diag_set(diag, -EINVAL, "no API endpoint: set unix-socket or listen");
	return 0;
}

void fl_agent_config_usage(FILE *out)
{
	struct fl_agent_config d;

	fl_agent_config_defaults(&d);
	fprintf(out,
		"Usage: faultline-agent [--config FILE] [--KEY=VALUE]...\n"
		"\n"
		"The Faultline node agent: injects network faults and kills containers on "
		"request,\n"
		"enforces every fault's deadline and lease itself, and removes everything it made\n"
		"when a fault ends, on restart, and periodically.\n"
		"\n"
		"Settings (file: KEY = VALUE; environment: FAULTLINE_AGENT_KEY; flags: "
		"--KEY=VALUE;\n"
		"later sources win):\n");
	for (size_t i = 0; i < FL_ARRAY_SIZE(keys); i++)
		fprintf(out, "  --%-20s %s\n", keys[i].name, keys[i].help);
	fprintf(out,
		"\nDefaults: unix-socket=%s cri-socket=%s ledger-dir=%s netns-dir=%s\n"
		"max-duration=1h reconcile-interval=5s deny-namespaces=kube-system "
		"allow-host-network=false\n"
		"\nAlso: --config FILE (or FAULTLINE_AGENT_CONFIG), --help, --version.\n",
		d.unix_socket, d.cri_socket, d.ledger_dir, d.netns_dir);
}

bool fl_agent_config_namespace_allowed(const struct fl_agent_config *cfg, const char *ns)
{
	for (unsigned i = 0; i < cfg->n_deny_namespaces; i++)
		if (strcmp(cfg->deny_namespaces[i], ns) == 0)
			return false;
	if (cfg->n_allow_namespaces == 0)
		return true;
	for (unsigned i = 0; i < cfg->n_allow_namespaces; i++)
		if (strcmp(cfg->allow_namespaces[i], ns) == 0)
			return true;
	return false;
}
