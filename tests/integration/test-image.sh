#!/bin/bash
# `make image` (root): the two shipped images, built by the Makefile's own rule from the
# release binaries already built (make -o: never rebuilt here), imported into a private
# containerd (tests/lib/containerd.sh) under the namespace faultline-test, and run there with
# `ctr run`. Checks: the names are localhost/faultline/<program>:<the binaries' version>; the
# entrypoint is the binary and the user is root (agent) / 65532 (controller), read from the
# container's OCI spec; --version and --help in the image print what the host build prints;
# the layer (listed with tar) holds no shell, and every entry in it is there for a reason —
# the binary, a file or symlink on the way ldd resolves a library or the loader (walked here
# with readlink, independently of scripts/make-image.py), the controller's passwd/group, CA
# file and /tmp, and their parent folders — and every library ldd names is in it; the same
# inputs give byte-identical archives; a test build is refused. Negative cases: an image
# built without libjansson fails to start naming it; the "reason" check fails on the lab's
# busybox image. Prints the sizes and how long the build took. Under CI=true a containerd
# that cannot start fails the test, never skips it.
set -uo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
# shellcheck source=tests/lib/shtest.sh
. tests/lib/shtest.sh
skipped=0

skip() {
	if is_ci; then
		fail "prerequisites" "$1 (CI=true: a missing component is a failure)"
		echo "$passed passed, $failed failed, 0 skipped"
		exit 1
	fi
	echo "skip make image: $1"
	echo "$passed passed, $failed failed, 1 skipped"
	exit 0
}
[ "$(id -u)" = 0 ] || skip "needs root (containerd)"
for t in "$BUILD/faultline" "$BUILD/faultline-agent"; do
	[ -x "$t" ] || skip "$t is not built (make all)"
done
for t in containerd ctr runc python3 ldd tar; do
	command -v "$t" >/dev/null || skip "$t is not installed (scripts/install-deps.sh)"
done

tmp=$(mktemp -d /tmp/fl-image-XXXXXX)
CDIR=$tmp/containerd
# Our containers' cgroups live under this parent only (ctr run --cgroup), never under a
# folder another test's containerd may share.
CG=fl-image-$$
cleanup() {
	local d p
	tests/lib/containerd.sh stop "$CDIR" >/dev/null 2>&1
	for d in /sys/fs/cgroup/*/"$CG" /sys/fs/cgroup/"$CG"; do
		[ -d "$d" ] || continue
		for p in $(cat "$d"/*/cgroup.procs 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		rmdir "$d"/*/ "$d" 2>/dev/null
	done
	rm -rf "$tmp"
}
trap cleanup EXIT

# ---- build, names ---------------------------------------------------------------------
t0=$(date +%s.%N)
if ! out=$(make -s --no-print-directory BUILD="$BUILD" -o "$BUILD/faultline" \
	-o "$BUILD/faultline-agent" image 2>&1); then
	fail "make image" "$out"
	echo "$passed passed, $failed failed, 0 skipped"
	exit 1
fi
build_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
eval "$(make -s --no-print-directory BUILD="$BUILD" print-image-names)"
version=$("$BUILD/faultline" --version | awk '{ print $2 }')
if [ "$AGENT_IMAGE" = "localhost/faultline/faultline-agent:$version" ] &&
	[ "$FAULTLINE_IMAGE" = "localhost/faultline/faultline:$version" ] &&
	[ -s "$AGENT_IMAGE_TAR" ] && [ -s "$FAULTLINE_IMAGE_TAR" ]; then
	ok "make image: $AGENT_IMAGE_TAR, $FAULTLINE_IMAGE_TAR (version $version)"
else
	fail "make image: names" "$AGENT_IMAGE $FAULTLINE_IMAGE (version $version)"
fi

# The layer of an OCI archive, extracted into DIR; prints its path.
layer_of() { # archive dir
	mkdir -p "$2" && tar -xf "$1" -C "$2" && python3 - "$2" <<'EOF'
import json, sys
d = sys.argv[1]
digest = json.load(open(d + "/index.json"))["manifests"][0]["digest"]
m = json.load(open(d + "/blobs/sha256/" + digest.split(":")[1]))
print(d + "/blobs/sha256/" + m["layers"][0]["digest"].split(":")[1])
EOF
}

# Every symlink met while the host resolves PATH, then the file reached, as "L path" and
# "F path" (no leading /), each link followed from the host's own readlink.
chain() { # path
	local p=$1 pre i t moved parts rest
	for _ in $(seq 40); do
		IFS=/ read -ra parts <<<"${p#/}"
		pre= moved=0
		for i in "${!parts[@]}"; do
			pre=$pre/${parts[i]}
			if [ -L "$pre" ]; then
				echo "L ${pre#/}"
				t=$(readlink "$pre")
				[[ $t == /* ]] || t=$(dirname "$pre")/$t
				rest=$(IFS=/; echo "${parts[*]:i+1}")
				p=$(realpath -sm "$t/$rest")
				moved=1
				break
			fi
		done
		[ $moved = 1 ] || { echo "F ${p#/}"; return; }
	done
}

# Whether LAYER holds exactly what it should: every entry is BINARY at AT, a file or symlink
# of a library's chain (with the host's link target), one of EXTRA..., or a parent folder of
# one of those; and every library's chain is complete. Prints what is wrong.
check_layer() { # layer binary at extra...
	local layer=$1 bin=$2 at=${3#/} want lib e kind path target bad=0
	shift 3
	want=$tmp/want.$$
	{
		echo "F $at"
		for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do chain "$lib"; done
		for e in "$@"; do echo "X ${e#/}"; done
	} | sort -u >"$want"
	# What the layer holds: "kind path [target]", kind from tar's long listing.
	tar -tvf "$layer" | awk '{ k = substr($1, 1, 1); p = $6; sub("/$", "", p);
		print k, p, ($7 == "->" ? $8 : "") }' >"$want.got"
	while read -r kind path target; do
		case $kind in
		d) awk '{ print $2 }' "$want" | grep -q "^$path/" || grep -qx "X $path" "$want" ||
			{ echo "  /$path: a folder holding nothing needed"; bad=1; } ;;
		-) grep -qx "F $path" "$want" || grep -qx "X $path" "$want" ||
			{ echo "  /$path: a file no library, binary or option needs"; bad=1; } ;;
		l) if ! grep -qx "L $path" "$want"; then
				echo "  /$path: a symlink on no library's way"; bad=1
			elif [ "$(readlink "/$path")" != "$target" ]; then
				echo "  /$path -> $target: the host's is $(readlink "/$path")"; bad=1
			fi ;;
		*) echo "  /$path: an entry of type $kind"; bad=1 ;;
		esac
	done <"$want.got"
	# Complete: every file and symlink wanted is there, of its kind (F a file, L a link).
	while read -r kind path; do
		case $kind in
		F) grep -qxF -- "- $path " "$want.got" || { echo "  /$path: missing"; bad=1; } ;;
		L) grep -q "^l $(sed 's/[.]/[.]/g' <<<"$path") " "$want.got" ||
			{ echo "  /$path: missing"; bad=1; } ;;
		esac
	done <"$want"
	return $bad
}

# ---- contents -------------------------------------------------------------------------
agent_layer=$(layer_of "$AGENT_IMAGE_TAR" "$tmp/agent-oci")
fl_layer=$(layer_of "$FAULTLINE_IMAGE_TAR" "$tmp/faultline-oci")
for l in "$agent_layer" "$fl_layer"; do
	if tar -tf "$l" | grep -Eq '(^|/)(sh|bash|dash|busybox)$'; then
		fail "no shell in ${l#"$tmp"/}" "$(tar -tf "$l" | grep -E '(^|/)(sh|bash|dash|busybox)$')"
	else
		ok "no shell, no busybox in the layer ($(tar -tf "$l" | wc -l) entries)"
	fi
done
expect "agent image: the binary and its ldd closure, nothing else" 0 "" \
	check_layer "$agent_layer" "$BUILD/faultline-agent" /usr/sbin/faultline-agent
expect "controller image: the binary, its ldd closure, passwd, group, CA file, /tmp" 0 "" \
	check_layer "$fl_layer" "$BUILD/faultline" /usr/bin/faultline /etc/passwd /etc/group \
	/etc/ssl/certs/ca-certificates.crt /tmp
# The check can fail: the lab's busybox image holds a shell and more.
python3 tests/lib/make-oci-image.py "$tmp/busybox.tar" localhost/faultline/busybox:check >/dev/null
expect "the contents check finds what busybox brings (negative)" 1 "/bin/sh: a symlink" \
	check_layer "$(layer_of "$tmp/busybox.tar" "$tmp/busybox-oci")" "$BUILD/faultline" \
	/usr/bin/faultline

# ---- deterministic, release only ------------------------------------------------------
python3 scripts/make-image.py "$tmp/again.tar" "$FAULTLINE_IMAGE" "$BUILD/faultline" \
	--at /usr/bin/faultline --user nonroot --ca-certs --tmp >/dev/null
if cmp -s "$tmp/again.tar" "$FAULTLINE_IMAGE_TAR"; then
	ok "the same inputs give a byte-identical archive"
else
	fail "deterministic" "$tmp/again.tar differs from $FAULTLINE_IMAGE_TAR"
fi
if [ -x "$BUILD/t/faultline-agent" ]; then
	expect "a test build is refused" 1 "holds the test hook" python3 scripts/make-image.py \
		"$tmp/t.tar" localhost/faultline/t:1 "$BUILD/t/faultline-agent" --at /agent
else
	echo "skip a test build is refused: $BUILD/t/faultline-agent is not built"
	skipped=$((skipped + 1))
fi

# ---- containerd: import, run ----------------------------------------------------------
if ! err=$(tests/lib/containerd.sh start "$CDIR" 2>&1 >/dev/null); then
	if is_ci; then
		fail "containerd" "tests/lib/containerd.sh start failed (CI=true: a failure)" "$err"
	else
		echo "skip containerd cases: it did not start: $err"
		skipped=$((skipped + 1))
	fi
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ]
	exit
fi
SOCK=$CDIR/containerd.sock
CTR=(ctr --address "$SOCK" -n faultline-test)
# ctr makes its stdio FIFOs where it runs; containerd lives under its own /run (containerd.sh),
# so they go to a folder both see.
mkdir -p "$tmp/fifo"
ctr_run() { # image id args...
	local image=$1 id=$2
	shift 2
	"${CTR[@]}" run --rm --fifo-dir "$tmp/fifo" --cgroup "/$CG/$id" "$image" "$id" "$@"
}

for tar in "$AGENT_IMAGE_TAR" "$FAULTLINE_IMAGE_TAR"; do
	expect "ctr images import $(basename "$tar")" 0 "" "${CTR[@]}" images import "$tar"
done
names=$("${CTR[@]}" images ls -q)
if grep -qxF "$AGENT_IMAGE" <<<"$names" && grep -qxF "$FAULTLINE_IMAGE" <<<"$names"; then
	ok "imported as $AGENT_IMAGE and $FAULTLINE_IMAGE"
else
	fail "image names in containerd" "$names"
fi

# The process an image's container would run, from its OCI spec: "args... uid".
spec_of() { # image id
	"${CTR[@]}" containers create "$1" "$2" >/dev/null || return 1
	"${CTR[@]}" containers info "$2" | python3 -c 'import json, sys
p = json.load(sys.stdin)["Spec"]["process"]
print(" ".join(p["args"]), p["user"]["uid"])'
	"${CTR[@]}" containers rm "$2" >/dev/null
}
expect "agent: entrypoint the binary, run as root" 0 "/usr/sbin/faultline-agent 0" \
	spec_of "$AGENT_IMAGE" spec-agent
expect "controller: entrypoint the binary, run as 65532" 0 "/usr/bin/faultline 65532" \
	spec_of "$FAULTLINE_IMAGE" spec-faultline

for img in "faultline-agent:$AGENT_IMAGE:/usr/sbin/faultline-agent" \
	"faultline:$FAULTLINE_IMAGE:/usr/bin/faultline"; do
	prog=${img%%:*} at=${img##*:} image=${img#*:}
	image=${image%:*}
	for arg in --version --help; do
		host_out=$("$BUILD/$prog" "$arg" 2>&1)
		got=$(ctr_run "$image" "$prog-${arg#--}" "$at" "$arg" 2>&1)
		if [ "$got" = "$host_out" ] && [ -n "$got" ]; then
			ok "$prog $arg in the image prints what the host build prints ($(head -1 <<<"$got"))"
		else
			fail "$prog $arg in the image" "host: $(head -3 <<<"$host_out")" \
				"image: $(head -3 <<<"$got")"
		fi
	done
done
# With no arguments the controller's entrypoint prints its usage: the entrypoint runs.
expect "the controller's entrypoint, no arguments" 64 "Usage: faultline" \
	ctr_run "$FAULTLINE_IMAGE" entry

# ---- negative: one library left out ---------------------------------------------------
python3 scripts/make-image.py "$tmp/nojansson.tar" localhost/faultline/faultline:nojansson \
	"$BUILD/faultline" --at /usr/bin/faultline --user nonroot --omit-lib libjansson.so.4 >/dev/null
"${CTR[@]}" images import "$tmp/nojansson.tar" >/dev/null
expect "an image without libjansson does not start (negative)" 127 \
	"error while loading shared libraries: libjansson.so.4" \
	ctr_run localhost/faultline/faultline:nojansson nojansson /usr/bin/faultline --version

# ---- sizes ----------------------------------------------------------------------------
for tar in "$AGENT_IMAGE_TAR" "$FAULTLINE_IMAGE_TAR"; do
	echo "size $(basename "$tar"): archive $(($(stat -c %s "$tar") / 1024)) KiB," \
		"gzip $(($(gzip -c "$tar" | wc -c) / 1024)) KiB"
done
echo "make image took ${build_s} s (both archives, rewritten every time)"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
