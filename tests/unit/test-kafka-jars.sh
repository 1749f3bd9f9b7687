#!/bin/bash
# scripts/kafka-jars.sh's cache, with a fake mvn (no network, no root, no Java): the first
# run fetches and writes the marker last, a second run with the marker fetches nothing, a
# failed or interrupted fetch never leaves a cache that looks complete.
set -uo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/shtest.sh

T=$(mktemp -d /tmp/fl-kafka-jars-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
export FL_KAFKA_CACHE=$T/cache
CALLS=$T/mvn-calls
mkdir -p "$T/bin" "$T/nomvn"
# The fake mvn copies "dependencies" into -DoutputDirectory as the real one does; with
# FAKE_MVN_FAIL=1 it writes some of them and fails, as an interrupted download would.
cat >"$T/bin/mvn" <<'MVN'
#!/bin/bash
echo "$*" >>"$CALLS"
for a in "$@"; do case $a in -DoutputDirectory=*) out=${a#*=} ;; esac; done
mkdir -p "$out"
touch "$out/kafka_2.13-3.9.1.jar"
[ "${FAKE_MVN_FAIL:-0}" = 1 ] && { echo "Could not resolve dependencies" >&2; exit 1; }
touch "$out/kafka-tools-3.9.1.jar" "$out/slf4j-reload4j-1.7.36.jar" "$out/reload4j-1.2.25.jar"
MVN
chmod +x "$T/bin/mvn"
export CALLS
# A PATH with everything the script uses but mvn.
for t in bash dirname mkdir flock mktemp find wc date du cut rm mv chmod tail cat; do
	ln -s "$(command -v "$t")" "$T/nomvn/$t"
done
jars() { FAKE_MVN_FAIL=${FAIL:-0} PATH="$T/bin:$PATH" scripts/kafka-jars.sh "$@"; }
calls() { [ -f "$CALLS" ] && wc -l <"$CALLS" || echo 0; }
LIBS=$FL_KAFKA_CACHE/3.9.1/libs

FAIL=1 expect "a failed fetch exits 1 and quotes maven" 1 "Could not resolve" jars
if [ ! -e "$FL_KAFKA_CACHE/3.9.1" ] && [ -z "$(find "$FL_KAFKA_CACHE" -name '.3.9.1.tmp*')" ]; then
	ok "a failed fetch leaves neither a cache nor its temporary directory"
else
	fail "a failed fetch leaves neither a cache nor its temporary directory" \
		"$(find "$FL_KAFKA_CACHE")"
fi

rm -f "$CALLS"
expect "the first run fetches, on one progress line" 0 "4 jars" jars
[ "$(echo "$LAST" | wc -l)" = 1 ] && ok "one progress line" || fail "one progress line" "$LAST"
[ -f "$FL_KAFKA_CACHE/3.9.1/.complete" ] && [ -f "$LIBS/kafka-tools-3.9.1.jar" ] &&
	ok "marker and jars in place" || fail "marker and jars in place" "$(find "$FL_KAFKA_CACHE")"
[ "$(calls)" = 1 ] && ok "maven ran once" || fail "maven ran once" "$(calls) calls"
grep -q -- "-f $PWD/scripts/kafka/pom.xml dependency:copy-dependencies" "$CALLS" &&
	ok "maven got the pom and the goal" || fail "maven got the pom and the goal" "$(cat "$CALLS")"

marker=$(stat -c %Y.%i "$FL_KAFKA_CACHE/3.9.1/.complete")
expect "a second run does nothing" 0 "" jars
[ -z "$LAST" ] && [ "$(calls)" = 1 ] && ok "a second run neither prints nor downloads" ||
	fail "a second run neither prints nor downloads" "$LAST" "$(calls) calls"
# Without mvn at all: the marker is enough.
expect "--print-libs with the marker needs no maven" 0 "$LIBS" \
	env PATH="$T/nomvn" scripts/kafka-jars.sh --print-libs
[ "$LAST" = "$LIBS" ] && ok "--print-libs prints only the path" || fail "--print-libs prints only the path" "$LAST"
[ "$(stat -c %Y.%i "$FL_KAFKA_CACHE/3.9.1/.complete")" = "$marker" ] &&
	ok "the marker is untouched" || fail "the marker is untouched"

# A directory without its marker (not made by this script, or by an older one) is redone.
rm "$FL_KAFKA_CACHE/3.9.1/.complete"
expect "a cache without its marker is fetched again" 0 "4 jars" jars
[ "$(calls)" = 2 ] && [ -f "$FL_KAFKA_CACHE/3.9.1/.complete" ] &&
	ok "refetched, marker back" || fail "refetched, marker back" "$(calls) calls"

rm -rf "$FL_KAFKA_CACHE"
expect "no maven and no cache: exit 3" 3 "maven is not installed" \
	env PATH="$T/nomvn" scripts/kafka-jars.sh
expect "usage" 2 "usage" scripts/kafka-jars.sh --bogus

summary
