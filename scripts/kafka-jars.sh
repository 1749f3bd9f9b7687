#!/bin/bash
# Fetch the jars of Apache Kafka 3.9.1 (broker, CLI tools, the reload4j logging binding) from
# Maven Central into a cache, once:
#   scripts/kafka-jars.sh               make sure the cache is complete
#   scripts/kafka-jars.sh --print-libs  the same, then print the libs directory on stdout
# The cache is ${FL_KAFKA_CACHE:-/var/cache/faultline/kafka}/3.9.1/libs. The jars are copied
# into a temporary directory next to it, the marker file ".complete" is written last, and
# the directory is renamed into place: an interrupted run never leaves a half cache, and a
# run that finds the marker does nothing (no Maven, no network, no output).
# Needs maven and Java (scripts/install-deps.sh installs them). Exit status: 0 ok, 1 the
# download failed, 3 maven is missing.
set -euo pipefail

VERSION=3.9.1
here=$(cd "$(dirname "$0")" && pwd)
base=${FL_KAFKA_CACHE:-/var/cache/faultline/kafka}
dest=$base/$VERSION
print_libs=false
case ${1:-} in
--print-libs) print_libs=true ;;
"") ;;
*) echo "usage: $0 [--print-libs]" >&2; exit 2 ;;
esac

done_() {
	if $print_libs; then echo "$dest/libs"; fi
	exit 0
}

[ -f "$dest/.complete" ] && done_

mkdir -p "$base"
# One fetch at a time (two test binaries may start clusters at once); the second waits and
# then finds the marker.
exec 9>"$base/.lock"
flock 9
[ -f "$dest/.complete" ] && done_

if ! command -v mvn >/dev/null; then
	echo "kafka-jars: maven is not installed (scripts/install-deps.sh installs it)" >&2
	exit 3
fi

tmp=$(mktemp -d "$base/.$VERSION.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
# One progress line: its start now, its end when the download is done.
printf 'kafka-jars: fetching Kafka %s jars from Maven Central into %s ... ' "$VERSION" "$dest/libs" >&2
# -f: the pom stays in the source tree; the output goes only to the temporary directory.
if ! mvn -q -B -f "$here/kafka/pom.xml" dependency:copy-dependencies \
	-DincludeScope=runtime -DoutputDirectory="$tmp/libs" \
	-Dmdep.overWriteReleases=true >"$tmp/mvn.log" 2>&1; then
	echo "kafka-jars: mvn dependency:copy-dependencies failed:" >&2
	tail -n 30 "$tmp/mvn.log" >&2
	exit 1
fi
# mvn writes target/ beside the pom; nothing else there is ours.
rm -rf "$here/kafka/target"
for jar in kafka_2.13-$VERSION.jar kafka-tools-$VERSION.jar slf4j-reload4j-1.7.36.jar; do
	if [ ! -f "$tmp/libs/$jar" ]; then
		echo "failed: $jar is missing after the download" >&2
		exit 1
	fi
done
rm -f "$tmp/mvn.log"
n=$(find "$tmp/libs" -name '*.jar' | wc -l)
echo "$VERSION $n jars $(date -u +%FT%TZ)" >"$tmp/.complete"
chmod 755 "$tmp"
rm -rf "$dest"
mv "$tmp" "$dest"
trap - EXIT
echo "$n jars ($(du -sh "$dest/libs" | cut -f1)) in $(($(date +%s) - start)) s" >&2
done_
