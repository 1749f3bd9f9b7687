#!/bin/bash
# Build the Kubernetes binaries the lab cluster and the Kubernetes tests run (issue 12) from
# the Kubernetes Go module through the Go module proxy — no binary download — and get
# Debian's etcd without starting a system etcd, once:
#   scripts/k8s-build.sh              make sure the cache is complete
#   scripts/k8s-build.sh --print-dir  the same, then print the cache directory on stdout
# The cache is ${FL_K8S_CACHE:-/var/cache/faultline/k8s}/<k8s version>-<go version>/ with
# bin/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kubectl,etcd}. As with
# the Kafka jars: built in a temporary directory beside it, the marker ".complete" written
# last, the directory renamed into place; a run that finds the marker and every binary does
# nothing (no Go, no network, no output). A complete cache from before a binary joined the
# list (kubectl came later) gets just what it lacks: those are built in a temporary
# directory and renamed one by one into its bin/ (same file system: a reader sees the whole
# binary or none), the binaries already there are neither rebuilt nor touched. Only the
# binaries are kept: the module cache (~700 MB) and the build cache (4-6 GB) go with the
# temporary directory.
#
# Go: the machine's /usr/local/go (Kubernetes 1.37 needs Go >= 1.26; Debian 12's golang is
# 1.19), or FL_GO. A cold build took 8 min on 2 cores here (~3 GB of memory at its peak);
# kubectl alone, added to such a cache: 158 s (136 s of go build, cold build cache, under
# load), 79 MB.
# Exit status: 0 ok, 1 the build or download failed, 3 no usable Go.
set -euo pipefail

K8S_VERSION=v1.37.2
# Built from k8s.io/kubernetes/cmd/<name>; etcd comes from Debian.
GO_BINS="kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl"
here=$(cd "$(dirname "$0")" && pwd)
base=${FL_K8S_CACHE:-/var/cache/faultline/k8s}
go=${FL_GO:-/usr/local/go/bin/go}
print_dir=false
case ${1:-} in
--print-dir) print_dir=true ;;
"") ;;
*) echo "usage: $0 [--print-dir]" >&2; exit 2 ;;
esac

if [ ! -x "$go" ]; then
	echo "k8s-build: no Go toolchain at $go: Kubernetes $K8S_VERSION needs Go >= 1.26" \
		"(/usr/local/go, or set FL_GO; Debian's golang package is too old)" >&2
	exit 3
fi
go_version=$("$go" env GOVERSION) # "go1.26.8"
dest=$base/$K8S_VERSION-$go_version

done_() {
	if $print_dir; then echo "$dest"; fi
	exit 0
}

# What the cache lacks: everything without the marker (a build that never finished), else
# the binaries absent from its bin/.
missing() {
	local b
	for b in $GO_BINS etcd; do
		if [ ! -f "$dest/.complete" ] || [ ! -x "$dest/bin/$b" ]; then echo "$b"; fi
	done
}

[ -z "$(missing)" ] && done_
mkdir -p "$base"
exec 9>"$base/.lock" # one build at a time; a second caller waits and finds the marker
flock 9
todo=$(missing)
[ -z "$todo" ] && done_
todo=${todo//$'\n'/ }
wanted() { case " $todo " in *" $1 "*) return 0 ;; esac; return 1; }

tmp=$(mktemp -d "$base/.$K8S_VERSION.tmp.XXXXXX")
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/mod"
export GOPATH=$tmp/gopath GOCACHE=$tmp/gocache GOFLAGS=-mod=mod GOTOOLCHAIN=local
start=$(date +%s)
step() { printf 'k8s-build: %s ... ' "$1" >&2; t0=$(date +%s); }
ok() { echo "$(($(date +%s) - t0)) s" >&2; }
fail() { echo "failed" >&2; echo "k8s-build: $1:" >&2; tail -n 30 "$tmp/log" >&2; exit 1; }

# go.mod: kubernetes itself, and each staging module it requires at v0.0.0 replaced by its
# published v0.X.Y (kubernetes' own go.mod points those at ./staging, absent from the
# module zip). Not when only etcd is missing.
if [ "$todo" != etcd ]; then
	step "resolving k8s.io/kubernetes $K8S_VERSION"
	(cd "$tmp/mod" && "$go" mod download k8s.io/kubernetes@$K8S_VERSION) >"$tmp/log" 2>&1 ||
		fail "go mod download k8s.io/kubernetes@$K8S_VERSION"
	kmod=$("$go" env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/$K8S_VERSION.mod
	python3 "$here/k8s/gomod.py" "$kmod" "$K8S_VERSION" >"$tmp/mod/go.mod" 2>"$tmp/log" ||
		fail "writing go.mod from $kmod"
	cp "$here/k8s/tools.go" "$tmp/mod/"
	(cd "$tmp/mod" && "$go" mod tidy) >"$tmp/log" 2>&1 || fail "go mod tidy"
	ok
fi

# /version tells the truth (not v0.0.0-master); -s -w: 30 % smaller, nobody debugs these.
minor=${K8S_VERSION#v1.}
minor=${minor%%.*}
ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION"
ldflags="$ldflags -X k8s.io/component-base/version.gitMajor=1"
ldflags="$ldflags -X k8s.io/component-base/version.gitMinor=$minor"
ldflags="$ldflags -X k8s.io/component-base/version.gitTreeState=clean"
# kubectl's `version --client` reads client-go's copy.
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$K8S_VERSION"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitMajor=1"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitMinor=$minor"
# The first takes most of the time (~6 min here); the others reuse its build cache.
for c in $GO_BINS; do
	wanted "$c" || continue
	step "building $c"
	(cd "$tmp/mod" && nice "$go" build -trimpath -ldflags "$ldflags" -o "$tmp/bin/$c" \
		"k8s.io/kubernetes/cmd/$c") >"$tmp/log" 2>&1 || fail "go build $c"
	ok
done

# etcd from Debian, unpacked: installing etcd-server would start a system etcd on :2379.
if wanted etcd; then
	step "unpacking Debian's etcd-server"
	mkdir -p "$tmp/deb"
	if ! (cd "$tmp/deb" && apt-get download etcd-server) >"$tmp/log" 2>&1; then
		apt-get update -q >>"$tmp/log" 2>&1 || true
		(cd "$tmp/deb" && apt-get download etcd-server) >>"$tmp/log" 2>&1 ||
			fail "apt-get download etcd-server"
	fi
	dpkg-deb -x "$tmp"/deb/etcd-server_*.deb "$tmp/deb/root" >"$tmp/log" 2>&1 ||
		fail "dpkg-deb -x"
	cp "$tmp/deb/root/usr/bin/etcd" "$tmp/bin/etcd"
	ok
fi

for b in $todo; do
	[ -x "$tmp/bin/$b" ] || { echo "k8s-build: $b is missing after the build" >&2; exit 1; }
done
chmod -R u+w "$tmp/gopath" 2>/dev/null || true # the module cache is read-only
rm -rf "$tmp/gopath" "$tmp/gocache" "$tmp/mod" "$tmp/deb" "$tmp/log"
marker="$K8S_VERSION $go_version $(date -u +%FT%TZ) $GO_BINS etcd"
if [ -f "$dest/.complete" ]; then
	# A complete cache that lacked some: add them, keep the rest as it is.
	for b in $todo; do mv -f "$tmp/bin/$b" "$dest/bin/$b"; done
	echo "$marker" >"$tmp/.complete"
	mv -f "$tmp/.complete" "$dest/.complete"
	rm -rf "$tmp"
else
	echo "$marker" >"$tmp/.complete"
	chmod 755 "$tmp"
	rm -rf "$dest"
	mv "$tmp" "$dest"
fi
trap - EXIT
echo "k8s-build: Kubernetes $K8S_VERSION: $todo ($(du -sh "$dest/bin" | cut -f1) in" \
	"all) in $(($(date +%s) - start)) s into $dest" >&2
done_
