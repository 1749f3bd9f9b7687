/* SPDX-License-Identifier: MIT */
/* vm_smoke — proves the VM harness (tests/vm/vm.sh) works; plain libc, none of our libraries.
 *
 *   tests/vm/vm.sh --bin build/tests/vm/vm_smoke -- /bin/vm_smoke
 *
 * Prints the kernel release, checks that sch_netem is loaded (/sys/module/sch_netem) and that
 * the packet scheduler is there (/proc/net/psched), and that a NETLINK_ROUTE socket opens and
 * binds. Ends with the suite's usual "N passed, N failed, N skipped" line; exits 0 when all
 * checks pass, 1 otherwise.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

static int passed, failed;

static void check(int ok, const char *what, const char *detail)
{
	if (ok)
		passed++;
	else
		failed++;
	printf("%s vm_smoke: %s%s%s\n", ok ? "ok  " : "FAIL", what, detail[0] ? ": " : "", detail);
}

int main(void)
{
	struct utsname u;
	struct stat st;
	char detail[160] = "";

	int uok = uname(&u) == 0;
	check(uok, "kernel release", uok ? u.release : strerror(errno));

	int netem = stat("/sys/module/sch_netem", &st) == 0 && S_ISDIR(st.st_mode);
	check(netem, "/sys/module/sch_netem exists", netem ? "" : strerror(errno));

	FILE *f = fopen("/proc/net/psched", "r");
	detail[0] = '\0';
	if (f) {
		if (!fgets(detail, sizeof(detail), f))
			detail[0] = '\0';
		detail[strcspn(detail, "\n")] = '\0';
		fclose(f);
	} else {
		snprintf(detail, sizeof(detail), "%s", strerror(errno));
	}
	check(f != NULL, "/proc/net/psched readable", detail);

	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int ok = fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	check(ok, "NETLINK_ROUTE socket opens and binds", ok ? "" : strerror(errno));
	if (fd >= 0)
		close(fd);

	printf("%d passed, %d failed, 0 skipped\n", passed, failed);
	return failed ? 1 : 0;
}
