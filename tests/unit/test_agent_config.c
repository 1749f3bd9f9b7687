/* SPDX-License-Identifier: MIT */
/* faultline-agent configuration: defaults < file < environment < flags, precise errors. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"
#include "fltest.h"

static char path[64];

static void rm_file(void *p)
{
	(void)unlink(p);
}

static const char *write_config(const char *text)
{
	int fd;

	(void)snprintf(path, sizeof(path), "/tmp/fl-agent-cfg-XXXXXX");
	fd = mkstemp(path);
	FL_ASSERT(fd >= 0);
	FL_ASSERT((size_t)write(fd, text, strlen(text)) == strlen(text));
	close(fd);
	fltest_defer(rm_file, path);
	return path;
}

static int load(struct fl_agent_config *cfg, int argc, char **argv, struct fl_diag *diag)
{
	const char *action;

	fl_agent_config_defaults(cfg);
	return fl_agent_config_load(cfg, argc, argv, &action, diag);
}

FLTEST(defaults_are_safe)
{
	struct fl_agent_config cfg;
	struct fl_diag diag = { 0 };
	char *argv[] = { "agent", NULL };

	unsetenv("FAULTLINE_AGENT_CONFIG");
	FL_ASSERT_OK(load(&cfg, 1, argv, &diag));
	FL_ASSERT_STREQ(cfg.unix_socket, "/run/faultline/agent.sock");
	FL_ASSERT_EQ(cfg.max_duration_ns, 3600000000000ull);
	FL_ASSERT(!cfg.allow_host_network);
	FL_ASSERT(!fl_agent_config_namespace_allowed(&cfg, "kube-system"));
	FL_ASSERT(fl_agent_config_namespace_allowed(&cfg, "streamforge"));
}

FLTEST(file_then_env_then_flags)
{
	struct fl_agent_config cfg;
	struct fl_diag diag = { 0 };
	char cfgarg[96];
	char *argv[] = { "agent", cfgarg, "--max-duration=10m", NULL };

	(void)snprintf(cfgarg, sizeof(cfgarg), "--config=%s",
		       write_config("# comment\nmax-duration = 2h\nledger-dir = /var/x\n"
				    "allow-namespaces = a, b ,c\nlog-level = debug\n"
				    "reconcile-interval = \"3s\"\n"));
	setenv("FAULTLINE_AGENT_LEDGER_DIR", "/var/from-env", 1);
	FL_ASSERT_OK(load(&cfg, 3, argv, &diag));
	unsetenv("FAULTLINE_AGENT_LEDGER_DIR");
	FL_ASSERT_EQ(cfg.max_duration_ns, 600000000000ull); /* flag wins over file */
	FL_ASSERT_STREQ(cfg.ledger_dir, "/var/from-env");   /* env wins over file */
	FL_ASSERT_EQ(cfg.reconcile_interval_ns, 3000000000ull);
	FL_ASSERT_EQ(cfg.n_allow_namespaces, 3);
	FL_ASSERT(fl_agent_config_namespace_allowed(&cfg, "b"));
	FL_ASSERT(!fl_agent_config_namespace_allowed(&cfg, "d"));
}

FLTEST(errors_name_the_source_the_key_and_the_value)
{
	struct fl_agent_config cfg;
	struct fl_diag diag = { 0 };
	char cfgarg[96];
	char *argv[] = { "agent", cfgarg, NULL };
	char *bad_flag[] = { "agent", "--max-duration=forever", NULL };
	char *unknown[] = { "agent", "--colour=blue", NULL };
	char *tls[] = { "agent", "--listen=0.0.0.0:9443", NULL };
	char *relative[] = { "agent", "--ledger-dir", "var/lib", NULL };

	(void)snprintf(cfgarg, sizeof(cfgarg), "--config=%s",
		       write_config("ledger-dir = /x\n\nreconcile-interval = soon\n"));
	FL_ASSERT_EQ(load(&cfg, 2, argv, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, ":3: reconcile-interval: \"soon\"");
	FL_ASSERT_EQ(load(&cfg, 2, bad_flag, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "flag --max-duration: max-duration: \"forever\"");
	FL_ASSERT_EQ(load(&cfg, 2, unknown, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "unknown key \"colour\"");
	FL_ASSERT_EQ(load(&cfg, 2, tls, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "client certificates are required");
	FL_ASSERT_EQ(load(&cfg, 3, relative, &diag), -EINVAL);
	FL_ASSERT_CONTAINS(diag.msg, "\"var/lib\" is not an absolute path");
	setenv("FAULTLINE_AGENT_ALLOW_HOST_NETWORK", "maybe", 1);
	FL_ASSERT_EQ(load(&cfg, 1, argv, &diag), -EINVAL);
	unsetenv("FAULTLINE_AGENT_ALLOW_HOST_NETWORK");
	FL_ASSERT_CONTAINS(diag.msg, "environment FAULTLINE_AGENT_ALLOW_HOST_NETWORK");
}
