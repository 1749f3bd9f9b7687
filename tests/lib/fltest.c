/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fltest.h"

/* A child's exit status tells the parent how the test ended. */
enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_SKIP = 77 };

#define MAX_DEFERRED 64

static struct fltest_case *cases, **cases_tail = &cases;
static struct fltest_case *last_cases, **last_tail = &last_cases;
static struct {
	void (*fn)(void *);
	void *arg;
} deferred[MAX_DEFERRED];
static int n_deferred;

void fltest_register(struct fltest_case *tc)
{
	*cases_tail = tc;
	cases_tail = &tc->next;
}

void fltest_register_last(struct fltest_case *tc)
{
	*last_tail = tc;
	last_tail = &tc->next;
}

bool fltest_is_ci(void)
{
	const char *ci = getenv("CI");

	return ci && (strcmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

char *fltest_read_file(const char *path, size_t *ret_len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb;

			cap = cap ? cap * 2 : 8192;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	if (ret_len)
		*ret_len = len;
	return buf;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int fltest_remove_tree(const char *path)
{
	/* a cleanup with a wrong path must not be able to walk anything but test scratch */
	if (strncmp(path, "/tmp/fl-", 8) != 0 || strstr(path, "/.."))
		return -EPERM;
	/* FTW_MOUNT: never into another file system mounted below (a netns file, a bind
	 * mount of something that is not scratch) */
	int r = nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	if (r < 0 && errno == ENOENT)
		return 0;
	return r < 0 ? -errno : r;
}

static void remove_tree_cb(void *arg)
{
	int r = fltest_remove_tree(arg);

	if (r < 0)
		printf("    cleanup: cannot remove %s: %s\n", (char *)arg, strerror(-r));
}

void fltest_scratch_dir(char *buf, size_t size, const char *prefix)
{
	if ((size_t)snprintf(buf, size, "/tmp/%s-XXXXXX", prefix) >= size)
		fltest_fail(__FILE__, __LINE__, "scratch dir prefix %s too long", prefix);
	if (strncmp(buf, "/tmp/fl-", 8) != 0)
		fltest_fail(__FILE__, __LINE__, "scratch dir prefix %s: must start with fl-",
			    prefix);
	if (!mkdtemp(buf))
		fltest_fail(__FILE__, __LINE__, "mkdtemp %s: %s", buf, strerror(errno));
	fltest_defer(remove_tree_cb, buf);
}

void fltest_defer(void (*fn)(void *), void *arg)
{
	if (n_deferred == MAX_DEFERRED) {
		fprintf(stderr, "fltest: too many deferred cleanups\n");
		abort();
	}
	deferred[n_deferred].fn = fn;
	deferred[n_deferred].arg = arg;
	n_deferred++;
}

static void run_deferred(void)
{
	/* Last registered first, like a stack of resources. */
	while (n_deferred > 0) {
		n_deferred--;
		deferred[n_deferred].fn(deferred[n_deferred].arg);
	}
}

static void on_alarm(int sig)
{
	static const char msg[] = "    FAIL: time limit reached\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	run_deferred();
	_exit(EXIT_FAIL);
}

/* Interrupted: still remove namespaces, qdiscs and processes the test made. */
static void on_fatal(int sig)
{
	static const char msg[] = "    FAIL: interrupted\n";

	(void)sig;
	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	run_deferred();
	_exit(EXIT_FAIL);
}

/*
 * A crash: best-effort cleanup (a namespace left in /run/netns outlives the run), then die
 * of the same signal so the parent reports it.
 */
static void on_crash(int sig)
{
	static const char msg[] = "    crashed: running the test's cleanups\n";

	(void)!write(STDOUT_FILENO, msg, sizeof(msg) - 1);
	signal(sig, SIG_DFL);
	run_deferred();
	raise(sig);
}

void fltest_set_timeout(unsigned seconds)
{
	alarm(seconds);
}

void fltest_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	printf("    FAIL at %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	run_deferred();
	exit(EXIT_FAIL);
}

void fltest_skip(const char *fmt, ...)
{
	va_list ap;

	printf("    SKIP: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	run_deferred();
	exit(EXIT_SKIP);
}

void fltest_log(const char *fmt, ...)
{
	va_list ap;

	printf("    ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static void hexdump_line(const char *tag, const uint8_t *p, size_t len, size_t off, size_t diff_at)
{
	printf("    %s %04zx:", tag, off);
	for (size_t i = off; i < off + 16 && i < len; i++)
		printf(i == diff_at ? " [%02x]" : " %02x", p[i]);
	printf("\n");
}

void fltest_memeq(const char *file, int line, const char *what, const void *got, size_t got_len,
		  const void *want, size_t want_len)
{
	const uint8_t *g = got, *w = want;
	size_t n = got_len < want_len ? got_len : want_len, at = n;

	for (size_t i = 0; i < n; i++) {
		if (g[i] != w[i]) {
			at = i;
			break;
		}
	}
	if (at == n && got_len == want_len)
		return;
	printf("    %s: %zu bytes, expected %zu; first difference at offset %zu (0x%zx)\n", what,
	       got_len, want_len, at, at);
	/* Show the 16-byte rows around the first difference, both sides. */
	size_t from = at >= 16 ? (at & ~(size_t)15) - 16 : 0;
	for (size_t off = from; off < from + 48 && (off < got_len || off < want_len); off += 16) {
		if (off < want_len)
			hexdump_line("want", w, want_len, off, at);
		if (off < got_len)
			hexdump_line("got ", g, got_len, off, at);
	}
	fltest_fail(file, line, "%s differs from the expected bytes", what);
}

static int run_one(struct fltest_case *tc)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return EXIT_FAIL;
	}
	if (pid == 0) {
		/* A closed pipe must not kill the test before its cleanups ran. */
		signal(SIGPIPE, SIG_IGN);
		signal(SIGTERM, on_fatal);
		signal(SIGINT, on_fatal);
#ifndef __SANITIZE_ADDRESS__ /* AddressSanitizer's own SEGV report matters more there */
		signal(SIGSEGV, on_crash);
		signal(SIGBUS, on_crash);
		signal(SIGABRT, on_crash);
		signal(SIGFPE, on_crash);
#endif
		signal(SIGALRM, on_alarm);
		alarm(60);
		tc->fn();
		run_deferred();
		exit(EXIT_PASS);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return EXIT_FAIL;
	}
	if (WIFSIGNALED(status)) {
		printf("    FAIL: killed by signal %d (%s)\n", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
		return EXIT_FAIL;
	}
	return WEXITSTATUS(status);
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

struct tally {
	int passed, failed, skipped;
};

static void run_and_report(struct fltest_case *tc, struct tally *t, bool ci)
{
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = run_one(tc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (rc == EXIT_PASS) {
		t->passed++;
		printf("ok   %s (%.0f ms)\n", tc->name, ms);
	} else if (rc == EXIT_SKIP && !ci) {
		t->skipped++;
		printf("skip %s\n", tc->name);
	} else {
		t->failed++;
		printf("FAIL %s%s\n", tc->name,
		       rc == EXIT_SKIP ? " (skipped, but CI=true requires it to run)" : "");
	}
}

int main(int argc, char **argv)
{
	struct tally t = { 0 };
	bool ci = fltest_is_ci();

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (struct fltest_case *tc = cases; tc; tc = tc->next)
		if (selected(tc->name, argc, argv))
			run_and_report(tc, &t, ci);
	/* What every test must leave behind is checked whichever tests ran. */
	for (struct fltest_case *tc = last_cases; tc; tc = tc->next)
		run_and_report(tc, &t, ci);
	printf("%d passed, %d failed, %d skipped\n", t.passed, t.failed, t.skipped);
	return t.failed ? 1 : 0;
}
