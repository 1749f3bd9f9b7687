/* SPDX-License-Identifier: MIT */
/*
 * labctl: the few CRI calls lab/lab.sh needs (Debian packages no crictl), through the
 * agent's own CRI client (agent/src/cri.h). One call per invocation; the lab's supervisor
 * loop (lab.sh) calls it once a second.
 *
 *   labctl SOCK sandbox NS NAME LOGDIR [KEY=VALUE]...   RunPodSandbox; prints "ID IP"
 *   labctl SOCK start SANDBOX_ID LOGDIR SPECFILE [ATTEMPT]
 *                                                       CreateContainer "main" (attempt
 *                                                       ATTEMPT, default 0) + Start;
 *                                                       prints the container id
 *   labctl SOCK ps                                      one line per sandbox (see ps())
 *   labctl SOCK stop CONTAINER_ID [GRACE_S]             StopContainer (default grace 0)
 *   labctl SOCK rm CONTAINER_ID                         StopContainer 0 + RemoveContainer
 *   labctl SOCK rm-all                                  stop and remove every sandbox
 *
 * SPECFILE (written by lab.sh), one directive a line: "image REF", "mount HOST:CTR[:ro]",
 * "cmd ARG" (the command, in order). Exit status: 0 ok, 1 a CRI call failed, 2 usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cri.h"

#define SPEC_MAX_ARGS	64
#define SPEC_MAX_MOUNTS 16
#define SPEC_LINE_MAX	1024

struct spec {
	char image[256];
	char *cmd[SPEC_MAX_ARGS + 1];
	char *mounts[SPEC_MAX_MOUNTS + 1];
	unsigned n_cmd, n_mounts;
};

static void spec_free(struct spec *s)
{
	for (unsigned i = 0; i < s->n_cmd; i++)
		free(s->cmd[i]);
	for (unsigned i = 0; i < s->n_mounts; i++)
		free(s->mounts[i]);
}

/* Bounded: lines of at most SPEC_LINE_MAX bytes, at most SPEC_MAX_* entries. */
static int spec_read(const char *path, struct spec *ret)
{
	char line[SPEC_LINE_MAX];
	struct spec s = { 0 };
	unsigned lineno = 0;
	FILE *f = fopen(path, "re");

	if (!f) {
		fprintf(stderr, "labctl: %s: %s\n", path, strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(line);
		char *dup;

		lineno++;
		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (!feof(f))
			goto bad;
		if (len == 0 || line[0] == '#')
			continue;
		if (strncmp(line, "image ", 6) == 0) {
			if (len - 6 >= sizeof(s.image))
				goto bad;
			memcpy(s.image, line + 6, len - 6 + 1);
			continue;
		}
		if (strncmp(line, "cmd ", 4) == 0 && s.n_cmd < SPEC_MAX_ARGS) {
			if (!(dup = strdup(line + 4)))
				goto nomem;
			s.cmd[s.n_cmd++] = dup;
			continue;
		}
		if (strncmp(line, "mount ", 6) == 0 && s.n_mounts < SPEC_MAX_MOUNTS) {
			if (!(dup = strdup(line + 6)))
				goto nomem;
			s.mounts[s.n_mounts++] = dup;
			continue;
		}
		goto bad;
	}
	fclose(f);
	if (!s.image[0] || s.n_cmd == 0) {
		fprintf(stderr, "labctl: %s: needs an \"image\" and a \"cmd\" line\n", path);
		spec_free(&s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
bad:
	fprintf(stderr,
		"labctl: %s:%u: expected \"image REF\", \"mount H:C[:ro]\" or \"cmd ARG\"\n", path,
		lineno);
	fclose(f);
	spec_free(&s);
	return -EINVAL;
nomem:
	fclose(f);
	spec_free(&s);
	return -ENOMEM;
}

static int fail(const char *what, const struct fl_diag *diag)
{
	fprintf(stderr, "labctl: %s: %s\n", what, diag->msg);
	return 1;
}

static int cmd_sandbox(struct fl_cri *cri, int argc, char **argv)
{
	struct fl_cri_label labels[FL_CRI_MAX_LABELS];
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	char id[FL_CRI_ID_MAX], uid[160];
	unsigned n = 0;

	if (argc < 3 || argc - 3 > FL_CRI_MAX_LABELS)
		return 2;
	for (int i = 3; i < argc; i++, n++) {
		const char *eq = strchr(argv[i], '=');

		if (!eq || (size_t)(eq - argv[i]) >= sizeof(labels[n].key) ||
		    strlen(eq + 1) >= sizeof(labels[n].value)) {
			fprintf(stderr, "labctl: label %s: expected KEY=VALUE (short)\n", argv[i]);
			return 2;
		}
		(void)snprintf(labels[n].key, sizeof(labels[n].key), "%.*s", (int)(eq - argv[i]),
			       argv[i]);
		(void)snprintf(labels[n].value, sizeof(labels[n].value), "%s", eq + 1);
	}
	(void)snprintf(uid, sizeof(uid), "lab-%s-%s", argv[0], argv[1]);
	struct fl_cri_pod_config pod = { .name = argv[1],
					 .namespace = argv[0],
					 .uid = uid,
					 .log_directory = argv[2],
					 .labels = labels,
					 .n_labels = n };
	if (fl_cri_run_sandbox(cri, &pod, id, &diag) < 0)
		return fail("RunPodSandbox", &diag);
	if (fl_cri_sandbox_status(cri, id, &st, &diag) < 0)
		return fail("PodSandboxStatus", &diag);
	printf("%s %s\n", id, st.ip[0] ? st.ip : "-");
	return 0;
}

/* A container attempt: decimal, 0..UINT32_MAX (ContainerMetadata.attempt is a uint32). */
static int parse_attempt(const char *v, uint32_t *ret)
{
	unsigned long long a;
	char *end;

	errno = 0;
	a = strtoull(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end || errno || a > UINT32_MAX) {
		fprintf(stderr, "labctl: start: ATTEMPT %s: expected a number 0..%" PRIu32 "\n", v,
			UINT32_MAX);
		return -EINVAL;
	}
	*ret = (uint32_t)a;
	return 0;
}

/*
 * Kubelet's way: restart n of a container is a new container "main" with attempt n (the
 * supervisor passes the old one's + 1), which GET /v1/pods reports as its restartCount.
 */
static int cmd_start(struct fl_cri *cri, int argc, char **argv)
{
	struct fl_cri_sandbox_status st;
	struct fl_diag diag = { 0 };
	char id[FL_CRI_ID_MAX];
	uint32_t attempt = 0;
	struct spec s;
	int rc = 1;

	if (argc != 3 && argc != 4)
		return 2;
	if (argc == 4 && parse_attempt(argv[3], &attempt) < 0)
		return 2;
	if (spec_read(argv[2], &s) < 0)
		return 1;
	if (fl_cri_sandbox_status(cri, argv[0], &st, &diag) < 0) {
		fail("PodSandboxStatus", &diag);
		goto out;
	}
	/* The container's sandbox config must match the sandbox's (kubelet sends the same). */
	struct fl_cri_pod_config pod = { .name = st.sb.name,
					 .namespace = st.sb.namespace,
					 .uid = st.sb.uid,
					 .log_directory = argv[1],
					 .labels = st.sb.labels,
					 .n_labels = st.sb.n_labels };
	struct fl_cri_container_config c = { .name = "main",
					     .image = s.image,
					     .command = (const char *const *)s.cmd,
					     .mounts = (const char *const *)s.mounts,
					     .log_path = "main.log",
					     .attempt = attempt };
	if (fl_cri_create_container(cri, argv[0], &pod, &c, id, &diag) < 0) {
		fail("CreateContainer", &diag);
		goto out;
	}
	if (fl_cri_start_container(cri, id, &diag) < 0) {
		fail("StartContainer", &diag);
		/* Not left "created": the supervisor would wait for it forever. */
		(void)fl_cri_remove_container(cri, id, NULL);
		goto out;
	}
	printf("%s\n", id);
	rc = 0;
out:
	spec_free(&s);
	return rc;
}

static const char *cstate(enum fl_cri_container_state s)
{
	switch (s) {
	case FL_CRI_CONTAINER_CREATED:
		return "created";
	case FL_CRI_CONTAINER_RUNNING:
		return "running";
	case FL_CRI_CONTAINER_EXITED:
		return "exited";
	default:
		return "unknown";
	}
}

/*
 * One line per sandbox:
 *   NS NAME SANDBOX_ID ready|notready IP CONTAINER_ID STATE PID EXIT_CODE FINISHED_AT_NS ATTEMPT
 * with CONTAINER_ID "-" (and the rest "-") when the sandbox has no container. Of several
 * containers the one with the highest attempt is shown (the lab keeps one, but for a moment
 * while the supervisor replaces it). ATTEMPT is its restart number (see cmd_start). New
 * columns go at the end: lab.sh reads the line with `read`.
 */
static int cmd_ps(struct fl_cri *cri)
{
	struct fl_cri_sandbox *sbs = NULL;
	struct fl_diag diag = { 0 };
	unsigned n_sbs = 0;
	int rc = 0;

	if (fl_cri_list_sandboxes(cri, &sbs, &n_sbs, &diag) < 0)
		return fail("ListPodSandbox", &diag);
	for (unsigned i = 0; i < n_sbs; i++) {
		struct fl_cri_container *cs = NULL;
		struct fl_cri_sandbox_status st = { 0 };
		struct fl_cri_container_status cst = { 0 };
		unsigned n_cs = 0, best = 0;

		if (fl_cri_sandbox_status(cri, sbs[i].id, &st, &diag) < 0 ||
		    fl_cri_list_containers(cri, sbs[i].id, &cs, &n_cs, &diag) < 0) {
			rc = fail("status", &diag);
			continue;
		}
		printf("%s %s %s %s %s ", sbs[i].namespace, sbs[i].name, sbs[i].id,
		       sbs[i].state == FL_CRI_SANDBOX_READY ? "ready" : "notready",
		       st.ip[0] ? st.ip : "-");
		for (unsigned j = 1; j < n_cs; j++)
			if (cs[j].attempt >= cs[best].attempt)
				best = j;
		if (n_cs == 0 || fl_cri_container_status(cri, cs[best].id, &cst, &diag) < 0)
			printf("- - - - - -\n");
		else
			printf("%s %s %d %" PRId32 " %" PRId64 " %" PRIu32 "\n", cs[best].id,
			       cstate(cst.c.state), cst.pid, cst.exit_code, cst.finished_at_ns,
			       cs[best].attempt);
		free(cs);
	}
	free(sbs);
	return rc;
}

static int cmd_stop(struct fl_cri *cri, int argc, char **argv, bool remove)
{
	struct fl_diag diag = { 0 };
	long grace = 0;

	if (argc < 1 || argc > 2)
		return 2;
	if (argc == 2) {
		char *end;

		errno = 0;
		grace = strtol(argv[1], &end, 10);
		if (errno || *end || grace < 0 || grace > 300)
			return 2;
	}
	if (fl_cri_stop_container(cri, argv[0], grace, &diag) < 0)
		return fail("StopContainer", &diag);
	if (remove && fl_cri_remove_container(cri, argv[0], &diag) < 0)
		return fail("RemoveContainer", &diag);
	return 0;
}

static int cmd_rm_all(struct fl_cri *cri)
{
	struct fl_cri_sandbox *sbs = NULL;
	struct fl_diag diag = { 0 };
	unsigned n = 0;
	int rc = 0;

	if (fl_cri_list_sandboxes(cri, &sbs, &n, &diag) < 0)
		return fail("ListPodSandbox", &diag);
	for (unsigned i = 0; i < n; i++)
		if (fl_cri_stop_sandbox(cri, sbs[i].id, &diag) < 0 ||
		    fl_cri_remove_sandbox(cri, sbs[i].id, &diag) < 0)
			rc = fail(sbs[i].name, &diag);
	free(sbs);
	return rc;
}

static int usage(void)
{
	fprintf(stderr, "usage: labctl SOCK sandbox NS NAME LOGDIR [KEY=VALUE]...\n"
			"       labctl SOCK start SANDBOX_ID LOGDIR SPECFILE [ATTEMPT]\n"
			"       labctl SOCK ps | rm-all\n"
			"       labctl SOCK stop CONTAINER_ID [GRACE_S] | rm CONTAINER_ID\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct fl_diag diag = { 0 };
	struct fl_cri *cri = NULL;
	int rc;

	if (argc < 3)
		return usage();
	/* RunPodSandbox with CNI can take a while on two busy cores. */
	if (fl_cri_open(argv[1], 60000, &cri, &diag) < 0)
		return fail(argv[1], &diag);
	const char *verb = argv[2];
	int n = argc - 3;
	char **args = argv + 3;

	if (strcmp(verb, "sandbox") == 0)
		rc = cmd_sandbox(cri, n, args);
	else if (strcmp(verb, "start") == 0)
		rc = cmd_start(cri, n, args);
	else if (strcmp(verb, "ps") == 0 && n == 0)
		rc = cmd_ps(cri);
	else if (strcmp(verb, "stop") == 0)
		rc = cmd_stop(cri, n, args, false);
	else if (strcmp(verb, "rm") == 0 && n == 1)
		rc = cmd_stop(cri, n, args, true);
	else if (strcmp(verb, "rm-all") == 0 && n == 0)
		rc = cmd_rm_all(cri);
	else
		rc = 2;
	cri = fl_cri_close(cri);
	return rc == 2 ? usage() : rc;
}
