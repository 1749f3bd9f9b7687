/* SPDX-License-Identifier: MIT */
/*
 * faultline-agent configuration: defaults < config file < environment < flags.
 *
 *   file:  key = value lines, '#' comments   (--config PATH, FAULTLINE_AGENT_CONFIG)
 *   env:   FAULTLINE_AGENT_<KEY>, key upper-cased with '-' as '_'
 *   flags: --key=value or --key value
 *
 * Keys are listed in fl_agent_config_usage(); errors name the source (file:line, the
 * variable, the flag), the key and the value.
 */
#ifndef FL_AGENT_CONFIG_H
#define FL_AGENT_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "fl/diag.h"

#define FL_CFG_PATH_MAX	      256
#define FL_CFG_MAX_NAMESPACES 32

struct fl_agent_config {
	char unix_socket[FL_CFG_PATH_MAX]; /* "" = none */
	char listen[128];		   /* "ADDR:PORT" for TLS, "" = none */
	char tls_cert[FL_CFG_PATH_MAX];
	char tls_key[FL_CFG_PATH_MAX];
	char tls_client_ca[FL_CFG_PATH_MAX];
	char cri_socket[FL_CFG_PATH_MAX]; /* "" = no CRI (standalone host) */
	char ledger_dir[FL_CFG_PATH_MAX];
	char netns_dir[FL_CFG_PATH_MAX]; /* named namespaces to reconcile; "" = none */
	uint64_t max_duration_ns;
	uint64_t reconcile_interval_ns;
	unsigned n_deny_namespaces;
	char deny_namespaces[FL_CFG_MAX_NAMESPACES][64];
	unsigned n_allow_namespaces; /* 0 = every namespace not denied */
	char allow_namespaces[FL_CFG_MAX_NAMESPACES][64];
	bool allow_host_network;
	unsigned http_threads;
	int log_level;
};

void fl_agent_config_defaults(struct fl_agent_config *cfg);

/*
 * Load in order: file (if given by --config / FAULTLINE_AGENT_CONFIG), environment, argv
 * flags. Sets *ret_action to "help" / "version" when those flags are given. 0 or -EINVAL.
 */
int fl_agent_config_load(struct fl_agent_config *cfg, int argc, char **argv,
			 const char **ret_action, struct fl_diag *diag);

/* Apply one key (as in the file) — exposed for tests. */
int fl_agent_config_set(struct fl_agent_config *cfg, const char *key, const char *value,
			struct fl_diag *diag);

void fl_agent_config_usage(FILE *out);

/* Is a Kubernetes namespace allowed as a target? (deny list wins; allow list if set.) */
bool fl_agent_config_namespace_allowed(const struct fl_agent_config *cfg, const char *ns);

#endif
