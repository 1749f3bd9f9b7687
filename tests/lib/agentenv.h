/* SPDX-License-Identifier: MIT */
/*
 * Running the real faultline-agent binary in tests: a private ledger and socket in a
 * scratch directory, start / stop (SIGTERM) / kill -9 / restart, requests through the
 * controller's client, and the agent's ledger. Whether anything is left in a namespace is
 * the witness's to say (witness.h), not code of the agent's. Everything is registered with
 * fltest_defer.
 *
 * The binary is the release agent ($FL_AGENT_BIN, else $BUILD/faultline-agent with BUILD
 * defaulting to build, else /bin/faultline-agent as in the VM), unless test_agent is set:
 * then the test build $BUILD/t/faultline-agent, the only one with the test hooks
 * (docs/agent-api.md), e.g. a revert made to fail:
 *
 *     agent.test_agent = true;
 *     agent.env[agent.n_env++] = "FL_AGENT_TEST_REVERT_FAILURES=1";
 *     agentenv_start(&agent);
 *
 * An FL_AGENT_* variable in env without test_agent fails the test (the release agent would
 * silently ignore it).
 */
#ifndef FL_AGENTENV_H
#define FL_AGENTENV_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#define AGENTENV_MAX_ARGS 16

struct agentenv {
	char dir[128]; /* scratch: agent.sock, ledger/, agent.log */
	char sock[160];
	char address[170]; /* "unix:<sock>" */
	char ledger[160];
	char log[160];
	const char *extra[AGENTENV_MAX_ARGS]; /* more --key=value flags (static strings) */
	unsigned n_extra;
	const char *env[4]; /* "FL_AGENT_CRASH_AT=..." etc. (static strings) */
	unsigned n_env;
	bool test_agent; /* run $BUILD/t/faultline-agent (read at each start and restart) */
	pid_t pid;
};

/* Fill env (dir from mkdtemp) and start the agent; waits until /v1/health answers. */
void agentenv_start(struct agentenv *env);
/* Start again with the same directory (after a kill). */
void agentenv_restart(struct agentenv *env);
/* SIGTERM and wait (the agent reverts everything). Returns its exit status. */
int agentenv_stop(struct agentenv *env);
/* kill -9 and reap. */
void agentenv_kill9(struct agentenv *env);
bool agentenv_alive(struct agentenv *env);

/* A request; returns the HTTP status, the parsed body in *ret_json (new reference, may be
 * NULL). A transport error fails the test unless allow_error (then returns -1). */
int agentenv_request(struct agentenv *env, const char *method, const char *path, const char *body,
		     json_t **ret_json);
int agentenv_request_raw(struct agentenv *env, const char *method, const char *path,
			 const char *body, json_t **ret_json, bool allow_error);

/*
 * POST /v1/faults with a printf-built body. Returns the status; the new fault's id goes to
 * ret_id (may be NULL); the agent's error is logged when the status is not 201.
 */
int agentenv_inject(struct agentenv *env, char *ret_id, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* DELETE /v1/faults/{id}; the test fails unless it answers 200. */
void agentenv_revert(struct agentenv *env, const char *id);

/* Ledger records (*.json) left in the ledger directory. */
unsigned agentenv_ledger_records(struct agentenv *env);
/* The last lines of the agent's log, for failure messages. */
void agentenv_dump_log(struct agentenv *env);

#endif
