/* SPDX-License-Identifier: MIT */
/*
 * faultline netem encode|apply|show|remove|list|sweep — the operator's and developer's
 * direct handle on the netem library. Fault options follow tc's syntax:
 *
 *   faultline netem encode --dev eth0 delay 100ms 10ms 25% loss 1%
 *   faultline netem apply --netns pod1 --dev eth0 --to 10.0.0.2:9092 delay 200ms 50ms
 *   faultline netem apply --dev eth0 tbf rate 10mbit burst 32kbit
 */
#include <errno.h>
#include <stddef.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fl/hex.h"
#include "fl/netem.h"
#include "fl/units.h"

struct netem_args {
	const char *dev;
	int ifindex;
	const char *netns;
	char netns_path[4096];
	enum fl_nl_op op;
	bool options_only;
	struct fl_netem_fault fault;
	int n_words; /* fault words after the flags */
	char **words;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: faultline netem VERB [FLAGS] [netem] OPTIONS...\n"
		"       faultline netem VERB [FLAGS] tbf rate RATE [burst SIZE] [limit SIZE | "
		"latency T]\n"
		"\n"
		"Verbs:\n"
		"  encode   print the RTM_NEWQDISC request as hex (no socket is opened)\n"
		"  apply    apply the fault, read it back from the kernel and verify it\n"
		"  show     print the Faultline fault on --dev in tc syntax ('none' if none)\n"
		"  remove   remove the Faultline fault from --dev (no-op if there is none)\n"
		"  list     list every Faultline qdisc/filter/IFB device in the namespace\n"
		"  sweep    remove every Faultline object in the namespace\n"
		"\n"
		"Flags (before the fault options):\n"
		"  --dev IF          interface (required for encode/apply/show/remove)\n"
		"  --ifindex N       encode only: use this index instead of looking up --dev\n"
		"  --netns NS        network namespace: a path (/proc/PID/ns/net) or a name\n"
		"                    under /run/netns; default: the current one\n"
		"  --to TARGET       only traffic to TARGET: CIDR, ADDR:PORT, [V6]:PORT,\n"
		"                    tcp:/udp: prefix (repeatable, up to %d targets)\n"
		"  --from TARGET     only traffic from TARGET (repeatable)\n"
		"  --ingress         affect arriving traffic (through an IFB device)\n"
		"  --op OP           encode only: add | replace | change | delete (default add)\n"
		"  --options-only    encode only: print just the TCA_OPTIONS payload\n"
		"  -h, --help        this text\n"
		"\n"
		"netem options (as tc): delay T [JITTER [CORR%%]] [distribution normal|pareto|\n"
		"paretonormal], loss [random] P%% [CORR%%] | loss state P13 [P31 [P32 [P23 "
		"[P14]]]]\n"
		"| loss gemodel P [R [1-H [1-K]]], duplicate P%% [CORR%%], corrupt P%% [CORR%%],\n"
		"reorder P%% [CORR%%] [gap N], rate RATE [OVERHEAD [CELLSIZE [CELLOVERHEAD]]],\n"
		"limit PACKETS, ecn, slot MIN [MAX] [packets N] [bytes SIZE].\n",
		FL_NETEM_MAX_MATCHES);
}

static int parse_op(const char *s, enum fl_nl_op *ret)
{
	static const char *const names[] = { "add", "replace", "change", "delete" };

	for (size_t i = 0; i < FL_ARRAY_SIZE(names); i++) {
		if (strcmp(s, names[i]) == 0) {
			*ret = (enum fl_nl_op)i;
			return 0;
		}
	}
	return -EINVAL;
}

static int add_target(struct netem_args *a, const char *text, bool source)
{
	struct fl_diag diag = { 0 };

	if (a->fault.n_matches == FL_NETEM_MAX_MATCHES) {
		fprintf(stderr, "faultline: --to/--from: at most %d targets\n",
			FL_NETEM_MAX_MATCHES);
		return -E2BIG;
	}
	if (fl_netem_match_parse(text, source, &a->fault.matches[a->fault.n_matches], &diag) < 0) {
		fprintf(stderr, "faultline: --%s: %s\n", source ? "from" : "to", diag.msg);
		return -EINVAL;
	}
	a->fault.n_matches++;
	return 0;
}

static int set_ifindex(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	struct netem_args *a = opts;
	char *end;

	(void)flag;
	errno = 0;
	a->ifindex = (int)strtol(value, &end, 10);
	if (*end || errno || a->ifindex <= 0) {
		fprintf(stderr, "faultline: --ifindex: \"%s\" is not a positive number\n", value);
		return -EINVAL;
	}
	return 0;
}

static int set_target(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	return add_target(opts, value, strcmp(flag->name, "from") == 0);
}

static int set_ingress(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	(void)flag, (void)value;
	((struct netem_args *)opts)->fault.direction = FL_NETEM_INGRESS;
	return 0;
}

static int set_op(void *opts, const struct fl_cli_flag *flag, const char *value)
{
	(void)flag;
	if (parse_op(value, &((struct netem_args *)opts)->op) < 0) {
		fprintf(stderr, "faultline: --op: \"%s\" is not add, replace, change or delete\n",
			value);
		return -EINVAL;
	}
	return 0;
}

#define FIELD(f) offsetof(struct netem_args, f)
static const struct fl_cli_flag netem_flags[] = {
	{ "dev", 0, "DEVICE", fl_cli_set_string, FIELD(dev), NULL },
	{ "ifindex", 0, "INDEX", set_ifindex, 0, NULL },
	{ "netns", 0, "NETNS", fl_cli_set_string, FIELD(netns), NULL },
	{ "to", 0, "DEST", set_target, 0, NULL },
	{ "from", 0, "SOURCE", set_target, 0, NULL },
	{ "ingress", 0, NULL, set_ingress, 0, NULL },
	{ "op", 0, "OP", set_op, 0, NULL },
	{ "options-only", 0, NULL, fl_cli_set_switch, FIELD(options_only), NULL },
};
#undef FIELD

/* In order: flags stop at the first fault word, so "-4" may be a negative cell overhead. */
static const struct fl_cli_verb netem_verb = { "netem", usage, netem_flags,
					       FL_ARRAY_SIZE(netem_flags), true };

/* The flags of `netem VERB` (argv[0] is VERB). < 0 when the command ends here, with
 * *ret_code (--help, usage errors). */
static int parse_flags(int argc, char **argv, struct netem_args *a, int *ret_code)
{
	int first = fl_cli_parse_flags(&netem_verb, argc, argv, a, ret_code);

	if (first < 0)
		return -1;
	a->words = argv + first;
	a->n_words = argc - first;
	if (a->netns) {
		/* A bare name means /run/netns/NAME, as `ip netns` does. */
		(void)snprintf(a->netns_path, sizeof(a->netns_path), "%s%s",
			       strchr(a->netns, '/') ? "" : "/run/netns/", a->netns);
	}
	return 0;
}

static int parse_fault(struct netem_args *a)
{
	struct fl_diag diag = { 0 };
	char **words = a->words;
	int n = a->n_words, r;

	if (n > 0 && strcmp(words[0], "tbf") == 0) {
		a->fault.kind = FL_NETEM_FAULT_TBF;
		r = fl_tbf_parse_tc(n - 1, words + 1, &a->fault.tbf, &diag);
	} else {
		if (n > 0 && strcmp(words[0], "netem") == 0) {
			words++;
			n--;
		}
		if (n == 0) {
			fprintf(stderr, "faultline: no fault options given (e.g. delay 100ms)\n");
			return -EINVAL;
		}
		a->fault.kind = FL_NETEM_FAULT_NETEM;
		r = fl_netem_parse_tc(n, words, &a->fault.netem, &diag);
	}
	if (r < 0) {
		fprintf(stderr, "faultline: %s%s\n", diag.msg,
			strncmp(diag.msg, "\"--", 3) == 0 ? " (flags go before the fault options)"
							  : "");
		return r;
	}
	if ((r = fl_netem_fault_validate(&a->fault, &diag)) < 0) {
		fprintf(stderr, "faultline: %s\n", diag.msg);
		return r;
	}
	return 0;
}

static int cmd_encode(struct netem_args *a)
{
	static char buf[FL_NETEM_MSG_MAX];
	ssize_t len;
	int ifindex = a->ifindex;

	if (a->op != FL_NL_DELETE && parse_fault(a) < 0)
		return FL_EXIT_USAGE;
	if (a->options_only) {
		len = a->fault.kind == FL_NETEM_FAULT_TBF
			      ? fl_tbf_encode_options(&a->fault.tbf, buf, sizeof(buf))
			      : fl_netem_encode_options(&a->fault.netem, buf, sizeof(buf));
		if (len < 0) {
			fprintf(stderr, "faultline: encode: %s\n", strerror((int)-len));
			return FL_EXIT_ERROR;
		}
		/* The payload after the 4-byte attribute header, as in the golden files. */
		fl_hex_write(stdout, buf + 4, (size_t)len - 4);
		return FL_EXIT_OK;
	}
	if (!ifindex) {
		if (!a->dev) {
			fprintf(stderr, "faultline: encode: --dev or --ifindex is required\n");
			return FL_EXIT_USAGE;
		}
		ifindex = (int)if_nametoindex(a->dev);
		if (!ifindex) {
			fprintf(stderr,
				"faultline: encode: no interface \"%s\" here (use --ifindex N to "
				"encode for another machine)\n",
				a->dev);
			return FL_EXIT_USAGE;
		}
	}
	len = fl_netem_msg_qdisc(buf, sizeof(buf), 0, a->op, ifindex, 0xFFFFFFFFu,
				 FL_NETEM_HANDLE(FL_NETEM_ROOT_MAJOR, 0), &a->fault);
	if (len < 0) {
		fprintf(stderr, "faultline: encode: %s\n", strerror((int)-len));
		return FL_EXIT_ERROR;
	}
	printf("# %s ifindex %d root handle fa17: %s, %zd bytes\n",
	       a->op == FL_NL_DELETE ? "RTM_DELQDISC" : "RTM_NEWQDISC", ifindex,
	       a->fault.kind == FL_NETEM_FAULT_TBF ? "tbf" : "netem", len);
	fl_hex_write(stdout, buf, (size_t)len);
	return FL_EXIT_OK;
}

static int open_nl(struct netem_args *a, struct fl_nl **ret_nl)
{
	struct fl_diag diag = { 0 };

	if (fl_nl_open(a->netns ? a->netns_path : NULL, ret_nl, &diag) < 0) {
		fprintf(stderr, "faultline: %s\n", diag.msg);
		return -1;
	}
	return 0;
}

static void describe(const struct fl_netem_fault *f, char *buf, size_t size)
{
	size_t n = 0;
	char rate[32];

	if (f->kind == FL_NETEM_FAULT_TBF) {
		fl_format_rate(f->tbf.rate_bytes_per_s, rate, sizeof(rate));
		n = (size_t)snprintf(buf, size, "tbf rate %s burst %ub limit %ub", rate,
				     f->tbf.burst_bytes, f->tbf.limit_bytes);
	} else {
		n = (size_t)snprintf(buf, size, "netem ");
		if (n < size)
			n += fl_netem_format_tc(&f->netem, buf + n, size - n);
	}
	for (unsigned i = 0; i < f->n_matches && n < size; i++) {
		n += (size_t)snprintf(buf + n, size - n, i ? ", " : " for ");
		if (n < size)
			n += fl_netem_match_format(&f->matches[i], buf + n, size - n);
	}
}

static int cmd_apply(struct netem_args *a)
{
	struct fl_diag diag = { 0 };
	struct fl_netem_fault got;
	struct fl_nl *nl;
	char text[1024];
	int r;

	if (!a->dev) {
		fprintf(stderr, "faultline: apply: --dev is required\n");
		return FL_EXIT_USAGE;
	}
	if (parse_fault(a) < 0)
		return FL_EXIT_USAGE;
	if (open_nl(a, &nl) < 0)
		return FL_EXIT_ERROR;
	r = fl_netem_apply(nl, a->dev, &a->fault, &diag);
	if (r < 0) {
		fprintf(stderr, "faultline: apply on %s: %s\n", a->dev, diag.msg);
		fl_nl_free(nl);
		return FL_EXIT_ERROR;
	}
	if (fl_netem_read(nl, a->dev, a->fault.direction, &got, &diag) > 0) {
		describe(&got, text, sizeof(text));
		printf("applied and verified on %s (%s): %s\n", a->dev,
		       a->fault.direction == FL_NETEM_INGRESS ? "ingress" : "egress", text);
	}
	fl_nl_free(nl);
	return FL_EXIT_OK;
}

static int cmd_show(struct netem_args *a)
{
	static const enum fl_netem_direction dirs[] = { FL_NETEM_EGRESS, FL_NETEM_INGRESS };
	struct fl_diag diag = { 0 };
	struct fl_nl *nl;
	int rc = FL_EXIT_OK;

	if (!a->dev) {
		fprintf(stderr, "faultline: show: --dev is required\n");
		return FL_EXIT_USAGE;
	}
	if (open_nl(a, &nl) < 0)
		return FL_EXIT_ERROR;
	for (size_t i = 0; i < FL_ARRAY_SIZE(dirs); i++) {
		struct fl_netem_fault f;
		char text[1024];
		int r = fl_netem_read(nl, a->dev, dirs[i], &f, &diag);

		if (r < 0) {
			fprintf(stderr, "faultline: show %s: %s\n", a->dev, diag.msg);
			rc = FL_EXIT_ERROR;
			break;
		}
		if (r == 0)
			text[0] = '\0';
		else
			describe(&f, text, sizeof(text));
		printf("%s %s: %s\n", a->dev, dirs[i] == FL_NETEM_INGRESS ? "ingress" : "egress",
		       r ? text : "none");
	}
	fl_nl_free(nl);
	return rc;
}

static int cmd_remove(struct netem_args *a)
{
	struct fl_diag diag = { 0 };
	struct fl_nl *nl;
	int r;

	if (!a->dev) {
		fprintf(stderr, "faultline: remove: --dev is required\n");
		return FL_EXIT_USAGE;
	}
	if (open_nl(a, &nl) < 0)
		return FL_EXIT_ERROR;
	r = fl_netem_remove(nl, a->dev, a->fault.direction, &diag);
	fl_nl_free(nl);
	if (r < 0) {
		fprintf(stderr, "faultline: remove on %s: %s\n", a->dev, diag.msg);
		return FL_EXIT_ERROR;
	}
	printf("removed Faultline's %s fault from %s (if there was one)\n",
	       a->fault.direction == FL_NETEM_INGRESS ? "ingress" : "egress", a->dev);
	return FL_EXIT_OK;
}

static int print_owned(const struct fl_netem_owned *o, void *data)
{
	static const char *const what[] = { "root qdisc fa17:", "ingress redirect filter",
					    "IFB device" };

	(*(int *)data)++;
	printf("%-16s %-24s %s\n", o->ifname, what[o->what], o->kind);
	return 0;
}

static int cmd_list_sweep(struct netem_args *a, bool sweep)
{
	struct fl_diag diag = { 0 };
	struct fl_nl *nl;
	int n = 0, r;

	if (open_nl(a, &nl) < 0)
		return FL_EXIT_ERROR;
	if (sweep)
		r = n = fl_netem_sweep(nl, &diag);
	else
		r = fl_netem_list_ours(nl, print_owned, &n, &diag);
	fl_nl_free(nl);
	if (r < 0) {
		fprintf(stderr, "faultline: %s: %s\n", sweep ? "sweep" : "list", diag.msg);
		return FL_EXIT_ERROR;
	}
	if (sweep)
		printf("removed %d Faultline object%s\n", n, n == 1 ? "" : "s");
	else if (n == 0)
		printf("no Faultline objects\n");
	return FL_EXIT_OK;
}

int fl_cmd_netem(int argc, char **argv)
{
	struct netem_args a = { .op = FL_NL_ADD };
	const char *verb;
	int code;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? FL_EXIT_USAGE : FL_EXIT_OK;
	}
	verb = argv[1];
	if (parse_flags(argc - 1, argv + 1, &a, &code) < 0)
		return code;
	if (strcmp(verb, "encode") == 0)
		return cmd_encode(&a);
	if (strcmp(verb, "apply") == 0)
		return cmd_apply(&a);
	if (strcmp(verb, "show") == 0)
		return cmd_show(&a);
	if (strcmp(verb, "remove") == 0)
		return cmd_remove(&a);
	if (strcmp(verb, "list") == 0)
		return cmd_list_sweep(&a, false);
	if (strcmp(verb, "sweep") == 0)
		return cmd_list_sweep(&a, true);
	fprintf(stderr, "faultline netem: unknown verb \"%s\" (see faultline netem --help)\n",
		verb);
	return FL_EXIT_USAGE;
}
