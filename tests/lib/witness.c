/* SPDX-License-Identifier: MIT */
/*
 * The witness (witness.h): libnl-route-3 for links and tc objects, `nft -j list ruleset` for
 * nftables. Nothing here calls libfl-netem; only fl/netem.h's and fl/nft.h's marks are
 * compared with the ones written out below, so that a change of either side cannot make the
 * witness look for something Faultline no longer makes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>
#include <linux/if.h>
#include <linux/pkt_sched.h>
#include <netlink/cache.h>
#include <netlink/netlink.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/link.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/tc.h>

#include "fl/netem.h"
#include "fl/nft.h"
#include "fltest.h"
#include "witness.h"

/* The marks of docs/netem.md ("What is ours") and fl/nft.h, written out on purpose. */
#define MARK_MAJOR_ROOT	  0xFA17u
#define MARK_MAJOR_CHILD  0xFA18u
#define MARK_PRIO_IPV4	  0xFA17u
#define MARK_PRIO_IPV6	  0xFA18u
#define MARK_IFB_PREFIX	  "flifb"
#define MARK_TABLE_PREFIX "faultline_"
#define MARK_TABLE_FAMILY "inet"

_Static_assert(MARK_MAJOR_ROOT == FL_NETEM_ROOT_MAJOR && MARK_MAJOR_CHILD == FL_NETEM_CHILD_MAJOR &&
		       MARK_PRIO_IPV4 == FL_NETEM_FILTER_PRIO &&
		       MARK_PRIO_IPV6 == FL_NETEM_FILTER_PRIO6,
	       "fl/netem.h moved a mark: update docs/netem.md and the witness together");

#define NFT_OUTPUT_MAX (64u << 20)

/* ---- lines of text, sorted when rendered --------------------------------------------- */

struct lines {
	char **v;
	size_t n, cap;
};

static void add(struct lines *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct lines *l, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;

	if (!l)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		char **v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			FL_FAIL("witness: out of memory");
		l->v = v;
		l->cap = cap;
	}
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		FL_FAIL("witness: out of memory");
	l->v[l->n++] = s;
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	*l = (struct lines){ 0 };
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted, one per line, into buf (may be NULL). A text that does not fit fails: a cut-off
 * snapshot could hide the very difference it is taken for. */
static void render(struct lines *l, char *buf, size_t size, const char *what, const char *ns)
{
	size_t n = 0;

	qsort(l->v, l->n, sizeof(*l->v), cmp_str);
	if (!buf)
		return;
	if (size == 0)
		FL_FAIL("witness: no room for the %s of %s", what, ns);
	buf[0] = '\0';
	for (size_t i = 0; i < l->n; i++) {
		size_t len = strlen(l->v[i]);

		if (n + len + 2 > size)
			FL_FAIL("witness: the %s of %s needs more than %zu bytes", what, ns, size);
		memcpy(buf + n, l->v[i], len);
		n += len;
		buf[n++] = '\n';
		buf[n] = '\0';
	}
}

/* ---- links, qdiscs, classes, filters (libnl-route-3) ---------------------------------- */

struct sock_job {
	const char *path;
	struct nl_sock *sk;
	int err; /* errno of open/setns, or a libnl error (negative) of nl_connect */
	const char *step;
};

/* A thread enters the namespace only to create the socket; the socket stays there. */
static void *route_socket_thread(void *arg)
{
	struct sock_job *job = arg;
	int fd = -1, r;

	if (job->path) {
		job->step = "open";
		fd = open(job->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			job->err = errno;
			return NULL;
		}
		job->step = "setns";
		r = setns(fd, CLONE_NEWNET);
		close(fd);
		if (r < 0) {
			job->err = errno;
			return NULL;
		}
	}
	job->step = "nl_connect";
	job->sk = nl_socket_alloc();
	if (!job->sk) {
		job->err = ENOMEM;
		return NULL;
	}
	r = nl_connect(job->sk, NETLINK_ROUTE);
	if (r < 0) {
		nl_socket_free(job->sk);
		job->sk = NULL;
		job->err = r;
	}
	return NULL;
}

static struct nl_sock *route_socket(const char *netns_path)
{
	struct sock_job job = { .path = netns_path };
	sigset_t all, old;
	pthread_t t;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, NULL, route_socket_thread, &job);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0)
		FL_FAIL("witness: cannot start a thread: %s", strerror(r));
	(void)pthread_join(t, NULL);
	if (!job.sk)
		FL_FAIL("witness: %s %s: %s", job.step, netns_path ? netns_path : "(own namespace)",
			job.err < 0 ? nl_geterror(job.err) : strerror(job.err));
	return job.sk;
}

/* tc's way of writing a handle: "root", "fa17:", "fa17:1". */
static const char *handle_text(uint32_t h, char *buf, size_t size)
{
	if (h == TC_H_ROOT)
		return "root";
	if (TC_H_MIN(h) == 0)
		(void)snprintf(buf, size, "%x:", TC_H_MAJ(h) >> 16);
	else
		(void)snprintf(buf, size, "%x:%x", TC_H_MAJ(h) >> 16, TC_H_MIN(h));
	return buf;
}

static bool marked_handle(uint32_t h)
{
	return TC_H_MAJ(h) == MARK_MAJOR_ROOT << 16 || TC_H_MAJ(h) == MARK_MAJOR_CHILD << 16;
}

struct tc_view {
	struct nl_sock *sk;
	struct nl_cache *links;
	const char *ns;
	struct lines *all, *ours;
};

static const char *dev_name(struct tc_view *tv, int ifindex, char *buf, size_t size)
{
	if (!rtnl_link_i2name(tv->links, ifindex, buf, size))
		(void)snprintf(buf, size, "if%d", ifindex);
	return buf;
}

static void look_filters(struct tc_view *tv, int ifindex, uint32_t parent)
{
	struct nl_cache *cache;
	char dev[IFNAMSIZ + 8], p[16];
	int r = rtnl_cls_alloc_cache(tv->sk, ifindex, parent, &cache);

	if (r < 0)
		FL_FAIL("witness: filter dump of ifindex %d parent %x in %s: %s", ifindex, parent,
			tv->ns, nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_cls *cls = (struct rtnl_cls *)o;
		struct rtnl_tc *tc = TC_CAST(o);
		uint16_t prio = rtnl_cls_get_prio(cls);
		const char *kind = rtnl_tc_get_kind(tc);
		char *line;

		dev_name(tv, ifindex, dev, sizeof(dev));
		if (asprintf(&line, "filter %s %s parent %s prio %x protocol %04x handle %x", dev,
			     kind ? kind : "?", handle_text(parent, p, sizeof(p)), prio,
			     rtnl_cls_get_protocol(cls), rtnl_tc_get_handle(tc)) < 0)
			FL_FAIL("witness: out of memory");
		add(tv->all, "%s", line);
		if (prio == MARK_PRIO_IPV4 || prio == MARK_PRIO_IPV6)
			add(tv->ours, "%s", line);
		free(line);
	}
	nl_cache_free(cache);
}

/* One qdisc or class: its line, whether it is ours, then the filters attached to it. */
static void look_tc_object(struct tc_view *tv, const char *what, struct rtnl_tc *tc)
{
	char dev[IFNAMSIZ + 8], h[16], p[16], *line;
	uint32_t handle = rtnl_tc_get_handle(tc);
	int ifindex = rtnl_tc_get_ifindex(tc);
	const char *kind = rtnl_tc_get_kind(tc);

	if (asprintf(&line, "%s %s %s %s parent %s", what, dev_name(tv, ifindex, dev, sizeof(dev)),
		     kind ? kind : "?", handle_text(handle, h, sizeof(h)),
		     handle_text(rtnl_tc_get_parent(tc), p, sizeof(p))) < 0)
		FL_FAIL("witness: out of memory");
	add(tv->all, "%s", line);
	if (marked_handle(handle))
		add(tv->ours, "%s", line);
	free(line);
	/* A default qdisc (handle 0:) holds no filters. clsact keeps its two blocks under
	 * minors of its handle; every other qdisc and class under its own handle. */
	if (handle == 0)
		return;
	if (kind && strcmp(kind, "clsact") == 0) {
		look_filters(tv, ifindex, TC_H_MAKE(handle, TC_H_MIN_INGRESS));
		look_filters(tv, ifindex, TC_H_MAKE(handle, TC_H_MIN_EGRESS));
	} else {
		look_filters(tv, ifindex, handle);
	}
}

static void look_tc(const char *netns_path, struct lines *all, struct lines *ours)
{
	struct tc_view tv = { .ns = netns_path ? netns_path : "(own namespace)",
			      .all = all,
			      .ours = ours };
	struct nl_cache *qdiscs;
	int r;

	tv.sk = route_socket(netns_path);
	r = rtnl_link_alloc_cache(tv.sk, AF_UNSPEC, &tv.links);
	if (r < 0)
		FL_FAIL("witness: link dump in %s: %s", tv.ns, nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(tv.links); o; o = nl_cache_get_next(o)) {
		struct rtnl_link *link = (struct rtnl_link *)o;
		const char *name = rtnl_link_get_name(link), *type = rtnl_link_get_type(link);

		add(all, "link %d %s %s", rtnl_link_get_ifindex(link), name ? name : "?",
		    type ? type : "-");
		if (name && strncmp(name, MARK_IFB_PREFIX, strlen(MARK_IFB_PREFIX)) == 0)
			add(ours, "link %s %s", name, type ? type : "-");
	}
	r = rtnl_qdisc_alloc_cache(tv.sk, &qdiscs);
	if (r < 0)
		FL_FAIL("witness: qdisc dump in %s: %s", tv.ns, nl_geterror(r));
	for (struct nl_object *o = nl_cache_get_first(qdiscs); o; o = nl_cache_get_next(o))
		look_tc_object(&tv, "qdisc", TC_CAST(o));
	nl_cache_free(qdiscs);
	for (struct nl_object *o = nl_cache_get_first(tv.links); o; o = nl_cache_get_next(o)) {
		struct nl_cache *classes;

		r = rtnl_class_alloc_cache(tv.sk, rtnl_link_get_ifindex((struct rtnl_link *)o),
					   &classes);
		if (r < 0)
			FL_FAIL("witness: class dump in %s: %s", tv.ns, nl_geterror(r));
		for (struct nl_object *c = nl_cache_get_first(classes); c; c = nl_cache_get_next(c))
			look_tc_object(&tv, "class", TC_CAST(c));
		nl_cache_free(classes);
	}
	nl_cache_free(tv.links);
	nl_socket_free(tv.sk);
}

/* ---- nftables (`nft -j list ruleset`) -------------------------------------------------- */

static bool find_program(const char *name, char *buf, size_t size)
{
	const char *path = getenv("PATH");
	char dirs[1024];
	char *save = NULL;

	(void)snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/bin:/bin", path ? path : "");
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		(void)snprintf(buf, size, "%s/%s", d, name);
		if (d[0] == '/' && access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/* Whether this kernel has nf_tables loaded: a module shows in /proc/modules, a built-in or
 * loaded one in /sys/module. Neither readable: fail, we cannot tell. */
static bool nf_tables_loaded(void)
{
	struct stat st;
	char *mods;
	bool loaded;

	if (stat("/sys/module/nf_tables", &st) == 0)
		return true;
	mods = fltest_read_file("/proc/modules", NULL);
	if (!mods)
		FL_FAIL("witness: no nft program, and /proc/modules cannot be read to tell whether "
			"this kernel has nf_tables");
	loaded = strncmp(mods, "nf_tables ", 10) == 0 || strstr(mods, "\nnf_tables ");
	free(mods);
	return loaded;
}

static char *read_all(int fd, const char *what)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (len + 4096 + 1 > cap) {
			cap = cap ? cap * 2 : 65536;
			if (cap > NFT_OUTPUT_MAX)
				FL_FAIL("witness: %s printed more than %u bytes", what,
					NFT_OUTPUT_MAX);
			buf = realloc(buf, cap);
			if (!buf)
				FL_FAIL("witness: out of memory");
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			FL_FAIL("witness: reading %s: %s", what, strerror(errno));
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	return buf;
}

/*
 * stdout of `nft -j list ruleset` run in the namespace (malloc'd), or NULL when there is no
 * nft program and the kernel has no nf_tables (then no table can exist).
 */
static char *nft_ruleset_json(const char *netns_path)
{
	char nft[512], *out, *err;
	const char *argv[] = { nft, "-j", "list", "ruleset", NULL };
	int pipefd[2], nsfd = -1, status;
	FILE *errf;
	pid_t pid;

	if (!find_program("nft", nft, sizeof(nft))) {
		if (nf_tables_loaded())
			FL_FAIL("witness: this kernel has nf_tables but there is no nft program "
				"to list its tables (package nftables)");
		return NULL;
	}
	if (netns_path && (nsfd = open(netns_path, O_RDONLY | O_CLOEXEC)) < 0)
		FL_FAIL("witness: open %s: %s", netns_path, strerror(errno));
	errf = tmpfile();
	if (!errf || pipe2(pipefd, O_CLOEXEC) < 0)
		FL_FAIL("witness: tmpfile/pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		FL_FAIL("witness: fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only async-signal-safe calls: the test may run threads. */
		if ((nsfd >= 0 && setns(nsfd, CLONE_NEWNET) < 0) ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0 || dup2(fileno(errf), STDERR_FILENO) < 0)
			_exit(126);
		execv(nft, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (nsfd >= 0)
		close(nsfd);
	out = read_all(pipefd[0], "nft -j list ruleset");
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			FL_FAIL("witness: waitpid nft: %s", strerror(errno));
	rewind(errf);
	err = read_all(fileno(errf), "nft's stderr");
	fclose(errf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		FL_FAIL("witness: %s -j list ruleset in %s: %s %d: %s", nft,
			netns_path ? netns_path : "(own namespace)",
			WIFEXITED(status) ? "exit" : "signal",
			WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), err);
	free(err);
	return out;
}

static void look_nft(const char *netns_path, struct lines *all, struct lines *ours)
{
	const char *ns = netns_path ? netns_path : "(own namespace)";
	char *text = nft_ruleset_json(netns_path);
	json_t *root, *items, *item, *obj;
	json_error_t jerr;
	const char *key;
	size_t i;

	if (!text)
		return;
	root = json_loads(text, 0, &jerr);
	free(text);
	items = json_object_get(root, "nftables");
	if (!json_is_array(items))
		FL_FAIL("witness: nft -j list ruleset in %s: not {\"nftables\": [...]} (%s)", ns,
			root ? "no such array" : jerr.text);
	json_array_foreach(items, i, item)
	{
		json_object_foreach(item, key, obj)
		{
			const char *family = json_string_value(json_object_get(obj, "family"));
			const char *name = json_string_value(json_object_get(obj, "name"));
			char *dump;

			if (strcmp(key, "metainfo") == 0)
				continue;
			dump = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
			if (!dump)
				FL_FAIL("witness: out of memory");
			add(all, "nft %s %s", key, dump);
			free(dump);
			if (strcmp(key, "table") == 0 && family && name &&
			    strcmp(family, MARK_TABLE_FAMILY) == 0 &&
			    strncmp(name, MARK_TABLE_PREFIX, strlen(MARK_TABLE_PREFIX)) == 0)
				add(ours, "nft table %s %s", family, name);
		}
	}
	json_decref(root);
}

/* ---- the API -------------------------------------------------------------------------- */

static void check_marks(void)
{
	if (strcmp(MARK_IFB_PREFIX, FL_NETEM_IFB_PREFIX) != 0 ||
	    strcmp(MARK_TABLE_PREFIX, FL_NFT_TABLE_PREFIX) != 0)
		FL_FAIL("witness: fl/netem.h or fl/nft.h renamed a mark (\"%s\", \"%s\"): update "
			"docs/netem.md and the witness together",
			FL_NETEM_IFB_PREFIX, FL_NFT_TABLE_PREFIX);
}

void witness_snapshot(const char *netns_path, char *buf, size_t size)
{
	struct lines all = { 0 };

	check_marks();
	look_tc(netns_path, &all, NULL);
	look_nft(netns_path, &all, NULL);
	render(&all, buf, size, "snapshot", netns_path ? netns_path : "(own namespace)");
	lines_free(&all);
}

unsigned witness_ours(const char *netns_path, char *buf, size_t size)
{
	struct lines ours = { 0 };
	unsigned n;

	check_marks();
	look_tc(netns_path, NULL, &ours);
	look_nft(netns_path, NULL, &ours);
	render(&ours, buf, size, "Faultline objects", netns_path ? netns_path : "(own namespace)");
	n = (unsigned)ours.n;
	lines_free(&ours);
	return n;
}

void witness_expect_clean(const char *netns_path, const char *when)
{
	char left[WITNESS_OURS_MAX];
	unsigned n = witness_ours(netns_path, left, sizeof(left));

	FL_ASSERT_MSG(n == 0, "%s: %u Faultline object(s) left in %s (seen by the witness):\n%s",
		      when, n, netns_path ? netns_path : "(own namespace)", left);
}
