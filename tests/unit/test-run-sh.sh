#!/bin/bash
# The suite's own rules, shown on a stand-in tree (no real test runs):
#  - tests/run.sh counts a test that is missing as a failure naming it: a tests/<tier>/
#    test_*.c whose binary was not built or was deleted, a test script that is not
#    executable; what is there is still run and counted;
#  - CI=1 is CI like CI=true: run.sh fails a root tier it cannot run instead of skipping it
#    (run as nobody here), and the Makefile adds -Werror;
#  - libnl (the tests' witness) is linked into test binaries only, never into faultline or
#    faultline-agent;
#  - the integration tier starts one Kafka cluster for its C tests (a stand-in cluster
#    script here): the tests see FL_KAFKA_BOOTSTRAP/FL_KAFKA_DIR, its owner is run.sh, it is
#    stopped and purged after the tests — after a failed one, and when the run is
#    interrupted; a start that fails reaches the tests as FL_KAFKA_START_ERROR with the
#    script's message; a process that outlives the stop is a failure (and is killed); a
#    cluster given in FL_KAFKA_BOOTSTRAP + FL_KAFKA_DIR is used as it is.
set -uo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh

tmp=$(mktemp -d /tmp/fl-run-sh-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# ---- a stand-in tree: two unit tests, one built; two scripts, one executable -------------
tree=$tmp/tree
mkdir -p "$tree/tests/unit" "$tree/tests/integration" "$tree/build/tests/unit"
cp tests/run.sh "$tree/tests/run.sh"
touch "$tree/tests/unit/test_built.c" "$tree/tests/unit/test_gone.c"
printf '#!/bin/sh\necho "ok   one"\necho "1 passed, 0 failed, 0 skipped"\n' \
	>"$tree/build/tests/unit/test_built"
printf '#!/bin/sh\necho "ok   two"\necho "1 passed, 0 failed"\n' >"$tree/tests/unit/test-ok.sh"
cp "$tree/tests/unit/test-ok.sh" "$tree/tests/unit/test-not-executable.sh"
chmod +x "$tree/build/tests/unit/test_built" "$tree/tests/unit/test-ok.sh"
# A binary left from a test whose source is gone is not a test any more.
cp "$tree/build/tests/unit/test_built" "$tree/build/tests/unit/test_stale"

expect "run.sh: a test binary that was not built is a failure naming it" 1 \
	"FAIL unit/test_gone: build/tests/unit/test_gone is not built (from tests/unit/test_gone.c)" \
	env BUILD=build bash "$tree/tests/run.sh" unit
run=$LAST
[[ $run == *"unit/test-not-executable.sh (tests/unit/test-not-executable.sh is not executable)"* ]] &&
	ok "run.sh: a test script that is not executable is a failure naming it" ||
	fail "run.sh: a script that is not executable" "$run"
[[ $run == *"=== unit/test_built"* && $run == *"=== unit/test-ok.sh"* ]] &&
	ok "run.sh: the tests that are there still run" || fail "run.sh: the others run" "$run"
[[ $run != *"test_stale"* ]] && ok "run.sh: a binary without a source is not run" ||
	fail "run.sh: a binary without a source" "$run"
[ "$(echo "$run" | tail -1)" = "2 passed, 2 failed, 0 skipped" ] &&
	ok "run.sh: closing line 2 passed, 2 failed, 0 skipped" ||
	fail "run.sh: closing line" "$(echo "$run" | tail -1)"
rm "$tree/tests/unit/test_gone.c"
chmod +x "$tree/tests/unit/test-not-executable.sh"
expect "run.sh: all there, all passed" 0 "3 passed, 0 failed, 0 skipped" \
	env BUILD=build bash "$tree/tests/run.sh" unit

# ---- CI=1 is CI: a root tier run without root fails instead of skipping -------------------
as_nobody() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
	else
		"$@"
	fi
}
chmod -R a+rX "$tmp"
for ci in 1 true; do
	expect "run.sh: CI=$ci, a root tier run without root fails" 1 \
		"FAIL integration: needs root, and CI=$ci requires it to run" \
		as_nobody env CI="$ci" BUILD=build bash "$tree/tests/run.sh" integration
done
expect "run.sh: without CI it is a skip" 0 "0 passed, 0 failed, 1 skipped" \
	as_nobody env -u CI BUILD=build bash "$tree/tests/run.sh" integration

# ---- the integration tier's Kafka cluster, with a stand-in cluster script -------------------
ktree=$tmp/ktree klog=$tmp/kafka.log
mkdir -p "$ktree/tests/integration" "$ktree/build/tests/integration" "$tmp/bin"
cp tests/run.sh "$ktree/tests/run.sh"
# Not root here? The tier's root check asks id; the stand-in tests need none.
printf '#!/bin/sh\n[ "$1" = -u ] && echo 0 || exec /usr/bin/id "$@"\n' >"$tmp/bin/id"
# The stand-in cluster script logs its calls; STANDIN_FAIL, STANDIN_LEAVE change what start does.
cat >"$tmp/cluster.sh" <<'EOS'
#!/bin/bash
echo "$*" >>"$STANDIN_LOG"
case $1 in
start)
	[ -z "${STANDIN_FAIL:-}" ] || { echo "kafka-cluster: java is not installed" >&2; exit 3; }
	tr '\0' ' ' <"/proc/$4/cmdline" | grep -q 'run.sh integration' && echo "owner is run.sh" >>"$STANDIN_LOG"
	echo 127.0.0.1:1,127.0.0.1:2 >"$2/bootstrap"
	# A process naming DIR that its stop does not end.
	[ -z "${STANDIN_LEAVE:-}" ] || setsid bash -c 'sleep 300; :' "$2" </dev/null >/dev/null 2>&1 &
	echo "kafka-cluster: 3 brokers ready" ;;
stop) [ "$3" != --purge ] || rm -rf "$2" ;;
esac
EOS
# Two tests: each logs what it saw; test_b fails; STANDIN_SLEEP makes test_a wait.
for t in a b; do
	touch "$ktree/tests/integration/test_$t.c"
	cat >"$ktree/build/tests/integration/test_$t" <<EOS
#!/bin/bash
echo "test_$t saw \${FL_KAFKA_BOOTSTRAP:-} \${FL_KAFKA_DIR:-} [\${FL_KAFKA_START_ERROR:-}]" >>"\$STANDIN_LOG"
[ -z "\${STANDIN_SLEEP:-}" ] || sleep "\$STANDIN_SLEEP"
[ $t = a ] && echo "1 passed, 0 failed, 0 skipped" || echo "0 passed, 1 failed, 0 skipped"
EOS
done
chmod +x "$tmp/bin/id" "$tmp/cluster.sh" "$ktree"/build/tests/integration/*
ktier() { # run.sh integration on the stand-in tree, its cluster script the stand-in
	: >"$klog"
	env -u FL_KAFKA_BOOTSTRAP -u FL_KAFKA_DIR -u FL_KAFKA_START_ERROR -u CI \
		PATH="$tmp/bin:$PATH" BUILD=build FL_KAFKA_CLUSTER_SH="$tmp/cluster.sh" \
		STANDIN_LOG="$klog" "$@" bash "$ktree/tests/run.sh" integration
}
kdir() { sed -nE 's/^start ([^ ]+) .*/\1/p' "$klog"; }

expect "run.sh integration: a failed test fails the tier" 1 "1 passed, 1 failed, 0 skipped" ktier
d=$(kdir)
[ "$(grep -c '^start ' "$klog")" = 1 ] && [[ $(grep '^start ' "$klog") == "start $d --owner "* ]] &&
	grep -q '^owner is run.sh$' "$klog" && ok "kafka: one start for the tier, --owner run.sh" ||
	fail "kafka: one start, --owner run.sh" "$(cat "$klog")"
[ "$(grep -c "saw 127.0.0.1:1,127.0.0.1:2 $d \[\]$" "$klog")" = 2 ] &&
	ok "kafka: both tests see FL_KAFKA_BOOTSTRAP and FL_KAFKA_DIR of that cluster" ||
	fail "kafka: the tests see the cluster" "$(cat "$klog")"
[ "$(tail -1 "$klog")" = "stop $d --purge" ] && [ ! -e "$d" ] &&
	ok "kafka: stopped and purged after the tests, the last one failed" ||
	fail "kafka: stopped after the tests" "$(cat "$klog")"

expect "run.sh integration: a cluster that fails to start still runs the tests" 1 \
	"kafka: the tier has no cluster; its Kafka tests skip" ktier STANDIN_FAIL=1
d=$(kdir)
[ "$(grep -c "saw   \[.*/cluster.sh start $d failed (exit 3): kafka-cluster: java is not installed\]$" "$klog")" = 2 ] &&
	ok "kafka: a failed start reaches the tests as FL_KAFKA_START_ERROR, the script's message" ||
	fail "kafka: FL_KAFKA_START_ERROR" "$(cat "$klog")"
[ "$(tail -1 "$klog")" = "stop $d --purge" ] && [ ! -e "$d" ] &&
	ok "kafka: a failed start's directory is purged" || fail "kafka: failed start purged" "$(cat "$klog")"

# Interrupted as CI cancels a job: SIGTERM to its process group, test_a in its sleep.
: >"$klog"
env -u FL_KAFKA_BOOTSTRAP -u FL_KAFKA_DIR -u CI PATH="$tmp/bin:$PATH" BUILD=build \
	FL_KAFKA_CLUSTER_SH="$tmp/cluster.sh" STANDIN_LOG="$klog" STANDIN_SLEEP=30 \
	setsid bash "$ktree/tests/run.sh" integration >"$tmp/int.out" 2>&1 &
run_pid=$!
for _ in $(seq 100); do grep -q '^test_a saw' "$klog" && break; sleep 0.1; done
kill -TERM -- -"$run_pid"
wait "$run_pid"
rc=$?
d=$(kdir)
[ "$rc" = 143 ] && [ "$(tail -1 "$klog")" = "stop $d --purge" ] && [ ! -e "$d" ] &&
	! grep -q '^test_b' "$klog" && ok "kafka: stopped and purged when the run is interrupted (exit 143)" ||
	fail "kafka: interrupted" "exit $rc" "$(cat "$klog")" "$(cat "$tmp/int.out")"

expect "run.sh integration: a process that outlives the cluster's stop is a failure" 1 \
	"FAIL integration/kafka-cluster: outlived its stop: " ktier STANDIN_LEAVE=1
d=$(kdir)
[[ $LAST == *"integration/kafka-cluster (processes outlived its stop)"* ]] &&
	! pgrep -f -- "$d" >/dev/null && ok "kafka: ... named among the failures, and killed" ||
	fail "kafka: the leftover named and killed" "$(pgrep -af -- "$d")" "$LAST"

expect "run.sh integration: a given cluster is used as it is" 1 "the given cluster /given" \
	ktier FL_KAFKA_BOOTSTRAP=127.0.0.1:9 FL_KAFKA_DIR=/given
[ "$(grep -c '^test_. saw 127.0.0.1:9 /given \[\]$' "$klog")" = 2 ] && ! grep -qE '^(start|stop) ' "$klog" &&
	ok "kafka: the tests see the given cluster, nothing started or stopped" ||
	fail "kafka: the given cluster" "$(cat "$klog")"

# ---- the Makefile: CI=1 adds -Werror; libnl only where tests link ---------------------------
src=$(ls common/src/*.c | head -1)
obj=$tmp/mk/obj/${src%.c}.o
for ci in 1 true; do
	[[ $(make -s -n CI="$ci" BUILD="$tmp/mk" "$obj") == *-Werror* ]] &&
		ok "make CI=$ci compiles with -Werror" || fail "make CI=$ci compiles with -Werror"
done
[[ $(make -s -n CI= BUILD="$tmp/mk" "$obj") != *-Werror* ]] &&
	ok "make without CI: no -Werror" || fail "make without CI: no -Werror"
link_line() { # target: the command that links it, from make -n in an empty build dir
	make -s -n -B CI= BUILD="$tmp/mk" "$tmp/mk/$1" | grep -E -- "-o $tmp/mk/$1( |$)"
}
for bin in faultline faultline-agent; do
	line=$(link_line "$bin")
	[ -n "$line" ] && [[ $line != *-lnl* ]] && ok "$bin does not link libnl" ||
		fail "$bin does not link libnl" "${line:-no link command found}"
done
line=$(link_line tests/integration/test_witness)
[[ $line == *-lnl-route-3* && $line == *-lnl-3* ]] && ok "test binaries link libnl-route-3" ||
	fail "test binaries link libnl-route-3" "${line:-no link command found}"
if [ -x build/faultline ]; then
	needed=$(readelf -d build/faultline | grep NEEDED)
	[[ $needed != *libnl* ]] && ok "build/faultline as built needs no libnl" ||
		fail "build/faultline as built needs no libnl" "$needed"
fi
summary
