#!/bin/bash
# Run one command inside Debian's stock kernel under qemu (TCG) and exit with its status.
#
#   tests/vm/vm.sh [--timeout SEC] [--mem SIZE] [--bin PATH]... [--out DIR] [--with-tc] -- COMMAND [ARGS...]
#
# The host kernel has no sch_netem, so real netem is exercised in a VM: the kernel package
# that linux-image-amd64 depends on is downloaded with apt-get download, unpacked with
# dpkg -x (never installed) and booted by its PVH entry with a busybox initramfs. See
# tests/vm/README.md for the details, the cache layout, timings and debugging.
#
# Exit status: the command's own status; 124 when it timed out; 125 when the harness, the
# kernel preparation or the guest boot failed (the message says which).
set -euo pipefail

# ---- settings -------------------------------------------------------------------------
CACHE=${FL_VM_CACHE:-/var/cache/faultline/vm}
TIMEOUT=${FL_VM_TIMEOUT:-300}
MEM=${MEM:-256M}
QBOOT=/usr/share/qemu/qboot.rom
# sch_netem and veth are required; the others are added when they are modules in the
# kernel (built-in ones need nothing, absent ones are reported).
REQUIRED_MODS=(sch_netem veth)
OPTIONAL_MODS=(sch_htb sch_tbf sch_ingress sch_prio cls_u32 act_mirred ifb)
# insmod parameters: ifb would otherwise create ifb0 and ifb1 in the initial namespace, and
# tests create their own devices.
declare -A MOD_PARAMS=([ifb]="numifbs=0")
# Bump when the layout of the cached kernel directory changes.
KCACHE_FORMAT=1

say() { printf 'vm: %s\n' "$*" >&2; }
die() {
	printf 'vm: error: %s\n' "$*" >&2
	exit 125
}
usage() {
	cat >&2 <<'EOF'
usage: tests/vm/vm.sh [--timeout SEC] [--mem SIZE] [--bin PATH]... [--out DIR] [--with-tc] -- COMMAND [ARGS...]
  --timeout SEC  stop the VM after SEC seconds of run time (default 300, or $FL_VM_TIMEOUT)
  --mem SIZE     guest memory (default 256M, or $MEM)
  --bin PATH     copy PATH to /bin/<basename> in the guest, with the libraries ldd lists
  --out DIR      copy the files the command leaves in the guest's /fl/out to DIR
  --with-tc      also put the real iproute2 tc at /sbin/tc (for benchmarks; tests must not)
COMMAND runs as an argument vector (no shell re-parsing); use `sh -c '...'` for shell syntax.
Environment: CI and FL_* are passed to the guest; FL_VM_CACHE (kernel/initramfs cache),
FL_VM_KVER (pin a kernel ABI, e.g. 6.1.0-56-amd64), FL_VM_SHELL=1 (interactive shell).
EOF
	exit "${1:-125}"
}

# ---- arguments ------------------------------------------------------------------------
BINS=()
WITH_TC=0
OUT_DIR=
while [ $# -gt 0 ]; do
	case $1 in
	--timeout) [ $# -ge 2 ] || usage; TIMEOUT=$2; shift 2 ;;
	--timeout=*) TIMEOUT=${1#*=}; shift ;;
	--mem) [ $# -ge 2 ] || usage; MEM=$2; shift 2 ;;
	--mem=*) MEM=${1#*=}; shift ;;
	--bin) [ $# -ge 2 ] || usage; BINS+=("$2"); shift 2 ;;
	--bin=*) BINS+=("${1#*=}"); shift ;;
	--out) [ $# -ge 2 ] || usage; OUT_DIR=$2; shift 2 ;;
	--out=*) OUT_DIR=${1#*=}; shift ;;
	--with-tc) WITH_TC=1; shift ;;
	-h | --help) usage 0 ;;
	--) shift; break ;;
	*) say "unknown argument: $1"; usage ;;
	esac
done
SHELL_MODE=0
[ "${FL_VM_SHELL:-}" = 1 ] && SHELL_MODE=1
[ $# -gt 0 ] || [ $SHELL_MODE = 1 ] || { say "no command given"; usage; }
[[ $TIMEOUT =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a positive number of seconds, not '$TIMEOUT'"
[[ $MEM =~ ^[1-9][0-9]*[MG]?$ ]] || die "--mem wants a size like 256M, not '$MEM'"
if [ -n "$OUT_DIR" ]; then
	mkdir -p "$OUT_DIR" 2>/dev/null && [ -d "$OUT_DIR" ] && [ -w "$OUT_DIR" ] ||
		die "--out $OUT_DIR: not a writable directory"
fi

now_us() { local t=${EPOCHREALTIME//[.,]/}; echo "$t"; }
secs() { # microseconds -> "1.23"
	local us=$1
	printf '%d.%02d' $((us / 1000000)) $((us % 1000000 / 10000))
}
T_START=$(now_us)

# ---- host tools -----------------------------------------------------------------------
for tool in qemu-system-x86_64 busybox cpio gzip xz dpkg dpkg-deb apt-get apt-cache ldd \
	flock timeout sha256sum; do
	command -v "$tool" >/dev/null || die "'$tool' is missing on the host (run: make deps)"
done
[ -r "$QBOOT" ] || die "$QBOOT is missing (package qemu-system-data; run: make deps)"
command -v modinfo >/dev/null || command -v objcopy >/dev/null ||
	die "need modinfo (kmod) or objcopy (binutils) to read module dependencies"
BUSYBOX=$(command -v busybox)
[[ $(ldd "$BUSYBOX" 2>&1 || true) =~ not\ a\ dynamic|statically\ linked ]] ||
	die "$BUSYBOX is not statically linked (install busybox-static)"
host_bin() { # $1 = name: the real binary (not a symlink path), searched in the sbin dirs
	local d
	for d in /usr/sbin /sbin /usr/bin /bin; do
		[ -x "$d/$1" ] && { readlink -f "$d/$1"; return 0; }
	done
	return 1
}
IP_BIN=$(host_bin ip) || die "iproute2 'ip' is missing on the host (package iproute2)"
TC_BIN=
if [ $WITH_TC = 1 ]; then
	TC_BIN=$(host_bin tc) || die "iproute2 'tc' is missing on the host (package iproute2)"
fi
declare -A BIN_SEEN=()
for b in "${BINS[@]}"; do
	[ -f "$b" ] && [ -r "$b" ] || die "--bin $b: not a readable file"
	n=$(basename "$b")
	[ -z "${BIN_SEEN[$n]:-}" ] || die "--bin: two files named $n"
	BIN_SEEN[$n]=1
done

# ---- scratch, cleanup, signals --------------------------------------------------------
T=$(mktemp -d "${TMPDIR:-/tmp}/fl-vm.XXXXXX")
QPID= RPID= XDIR= DLDIR=
stop_qemu() {
	if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
		kill -TERM "$QPID" 2>/dev/null || true # timeout(1) passes it on to qemu
		wait "$QPID" 2>/dev/null || true
	fi
	QPID=
}
cleanup() {
	stop_qemu
	if [ -n "$RPID" ]; then kill "$RPID" 2>/dev/null || true; fi
	if [ -n "$XDIR" ]; then rm -rf "$XDIR"; fi
	if [ -n "$DLDIR" ]; then rm -rf "$DLDIR"; fi
	rm -rf "$T"
}
on_signal() { # $1 = exit status (128 + signal)
	trap - INT TERM HUP
	say "interrupted: stopping the VM"
	stop_qemu
	exit "$1"
}
trap cleanup EXIT
trap 'on_signal 129' HUP
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

# ---- cache and lock -------------------------------------------------------------------
mkdir -p "$CACHE/debs" 2>/dev/null && [ -w "$CACHE" ] ||
	die "cache directory $CACHE is not writable (run as root, or set FL_VM_CACHE)"
exec {LOCKFD}>"$CACHE/.lock"
if ! flock -n "$LOCKFD"; then
	say "waiting for another vm.sh preparing $CACHE"
	flock "$LOCKFD"
fi

apt_state() { # changes whenever apt-get update or the apt configuration changes
	{
		find /var/lib/apt/lists -maxdepth 1 -type f -printf '%f %s %T@\n'
		find /etc/apt -printf '%p %s %T@\n'
	} 2>/dev/null | LC_ALL=C sort | sha256sum | cut -c1-16
}
resolve_kver() { # the ABI that linux-image-amd64 depends on, e.g. 6.1.0-56-amd64
	local state kver k v
	if [ -n "${FL_VM_KVER:-}" ]; then
		echo "$FL_VM_KVER"
		return
	fi
	# apt-cache takes ~1.5 s when apt keeps no pkgcache.bin (Debian container images):
	# remember the answer for as long as the package lists stay the same.
	state=$(apt_state)
	if [ -f "$CACHE/resolved" ] && read -r k v <"$CACHE/resolved" && [ "$k" = "$state" ] &&
		[ -n "$v" ]; then
		echo "$v"
		return
	fi
	kver=$(LC_ALL=C apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: <\{0,1\}linux-image-\([0-9][^ >]*\)>\{0,1\}$/\1/p' | head -1) || true
	if [ -n "$kver" ]; then
		echo "$state $kver" >"$CACHE/resolved.tmp" && mv "$CACHE/resolved.tmp" "$CACHE/resolved"
	fi
	echo "$kver"
}
apt_update() {
	say "running apt-get update (package lists missing or stale)"
	apt-get update -q >&2 || say "apt-get update failed"
}
deb_for() { # cached .deb of kernel $1, if any
	local f
	f=$(ls -1 "$CACHE/debs/linux-image-$1"_*_amd64.deb 2>/dev/null | sort -V | tail -1) || true
	[ -n "$f" ] && echo "$f"
}
download_deb() { # $1 = kver; prints nothing, returns 0 when the .deb is in $CACHE/debs
	local opt=() ok=1
	[ "$(id -u)" -eq 0 ] && opt=(-o APT::Sandbox::User=root)
	DLDIR=$(mktemp -d "$CACHE/dl.XXXXXX")
	say "downloading linux-image-$1 (apt-get download)"
	if (cd "$DLDIR" && apt-get download -q "${opt[@]}" "linux-image-$1" >&2) &&
		compgen -G "$DLDIR/*.deb" >/dev/null; then
		mv "$DLDIR"/*.deb "$CACHE/debs/"
		ok=0
	fi
	rm -rf "$DLDIR"
	DLDIR=
	return $ok
}

# ---- kernel: vmlinux + modules, cached per ABI ------------------------------------------
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 7f454c46 ]; }
extract_vmlinux() { # $1 = vmlinuz (bzImage), $2 = output ELF vmlinux
	local spec pat tool off
	for spec in '\xfd7zXZ\x00|xz -dcq --single-stream' '\x28\xb5\x2f\xfd|zstd -dcq' \
		'\x1f\x8b\x08\x00|gzip -dcq'; do
		pat=${spec%%|*} tool=${spec#*|}
		for off in $(LC_ALL=C grep -aboP "$pat" "$1" | head -5 | cut -d: -f1); do
			tail -c +$((off + 1)) "$1" | $tool >"$2" 2>/dev/null || true
			if is_elf "$2"; then return 0; fi
		done
	done
	return 1
}
modinfo_depends() { # $1 = .ko file
	if command -v modinfo >/dev/null; then
		modinfo -F depends "$1"
	else
		objcopy -O binary --only-section=.modinfo "$1" "$T/modinfo.bin"
		tr '\0' '\n' <"$T/modinfo.bin" | sed -n 's/^depends=//p'
	fi
}
unpack_ko() { # $1 = module file (maybe compressed), $2 = output .ko
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -dcq "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) return 1 ;;
	esac
}

prepare_kernel() { # $1 = kver, $2 = deb: fills $CACHE/kernel-$1 atomically
	local kver=$1 deb=$2 new moddir f n m i
	XDIR=$(mktemp -d "$CACHE/x.XXXXXX")
	say "extracting $(basename "$deb") (dpkg -x, not installed)"
	dpkg -x "$deb" "$XDIR/root" || die "dpkg -x $deb failed (corrupt download? delete it and retry)"
	new=$XDIR/kernel
	mkdir -p "$new/modules" "$XDIR/ko"
	[ -f "$XDIR/root/boot/vmlinuz-$kver" ] || die "$deb has no boot/vmlinuz-$kver"
	extract_vmlinux "$XDIR/root/boot/vmlinuz-$kver" "$new/vmlinux" ||
		die "could not cut an uncompressed vmlinux out of vmlinuz-$kver"
	moddir=$XDIR/root/lib/modules/$kver
	[ -d "$moddir" ] || die "$deb has no lib/modules/$kver"

	# name -> file (module names use '_' where file names may use '-')
	declare -A idx=() builtin=() state=()
	while IFS= read -r f; do
		n=${f##*/}
		n=${n%%.ko*}
		idx[${n//-/_}]=$f
	done < <(find "$moddir" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz')
	if [ -f "$moddir/modules.builtin" ]; then
		while IFS= read -r f; do
			n=${f##*/}
			n=${n%%.ko*}
			builtin[${n//-/_}]=1
		done <"$moddir/modules.builtin"
	fi
	local order=()
	visit() { # depth first: dependencies before the module
		local mod=$1 d deps
		case ${state[$mod]:-} in
		done) return 0 ;;
		active) die "module dependency cycle through $mod" ;;
		esac
		[ -n "${builtin[$mod]:-}" ] && { state[$mod]=done; return 0; }
		[ -n "${idx[$mod]:-}" ] || die "module $mod (needed) is not in the kernel package"
		state[$mod]=active
		unpack_ko "${idx[$mod]}" "$XDIR/ko/$mod.ko" || die "cannot unpack ${idx[$mod]}"
		deps=$(modinfo_depends "$XDIR/ko/$mod.ko") || die "cannot read .modinfo of $mod"
		for d in ${deps//,/ }; do visit "${d//-/_}"; done
		state[$mod]=done
		order+=("$mod")
	}
	: >"$new/modules.txt"
	for m in "${REQUIRED_MODS[@]}" "${OPTIONAL_MODS[@]}"; do
		if [ -n "${builtin[$m]:-}" ]; then
			echo "builtin $m" >>"$new/modules.txt"
		elif [ -n "${idx[$m]:-}" ]; then
			visit "$m"
		elif [[ " ${REQUIRED_MODS[*]} " == *" $m "* ]]; then
			die "kernel $kver has no $m (neither a module nor built in)"
		else
			echo "absent $m" >>"$new/modules.txt"
		fi
	done
	i=10
	for m in "${order[@]}"; do
		cp "$XDIR/ko/$m.ko" "$new/modules/$i-$m.ko"
		echo "load $m" >>"$new/modules.txt"
		i=$((i + 1))
	done
	echo "$kver" >"$new/kver"
	echo "$KCACHE_FORMAT ${REQUIRED_MODS[*]} ${OPTIONAL_MODS[*]}" >"$new/stamp"
	rm -rf "$CACHE/kernel-$kver"
	mv "$new" "$CACHE/kernel-$kver"
	rm -rf "$XDIR"
	XDIR=
	if [ -z "${FL_VM_KVER:-}" ]; then # linux-image-amd64 moved on: drop older kernels
		for f in "$CACHE"/kernel-* "$CACHE"/debs/linux-image-*.deb; do
			case ${f##*/} in
			"kernel-$kver" | "linux-image-${kver}_"*) ;;
			*) [ -e "$f" ] && say "pruning $f" && rm -rf "$f" ;;
			esac
		done
	fi
}

kernel_ready() { # $1 = kver
	[ -f "$CACHE/kernel-$1/stamp" ] && [ -s "$CACHE/kernel-$1/vmlinux" ] &&
		[ "$(cat "$CACHE/kernel-$1/stamp")" = "$KCACHE_FORMAT ${REQUIRED_MODS[*]} ${OPTIONAL_MODS[*]}" ]
}

T_PREP=$(now_us)
KVER=$(resolve_kver)
if [ -z "$KVER" ]; then
	# No package lists (fresh machine)? Use a cached kernel if there is one, else update.
	KVER=$(ls -1d "$CACHE"/kernel-*/ 2>/dev/null | sed 's#.*/kernel-\(.*\)/$#\1#' | sort -V | tail -1) || true
	if [ -n "$KVER" ] && kernel_ready "$KVER"; then
		say "apt-cache cannot resolve linux-image-amd64; using the cached kernel $KVER"
	else
		apt_update
		KVER=$(resolve_kver)
		[ -n "$KVER" ] || die "cannot resolve the kernel of linux-image-amd64 (apt-cache depends linux-image-amd64 gives nothing, even after apt-get update)"
	fi
fi
KSTATE="cached"
if ! kernel_ready "$KVER"; then
	KSTATE="prepared"
	deb=$(deb_for "$KVER") || true
	if [ -z "$deb" ]; then
		KSTATE="downloaded"
		if ! download_deb "$KVER"; then
			say "apt-get download linux-image-$KVER failed; updating the package lists and retrying once"
			apt_update
			KVER=$(resolve_kver)
			[ -n "$KVER" ] || die "cannot resolve the kernel of linux-image-amd64 after apt-get update"
			if ! kernel_ready "$KVER" && [ -z "$(deb_for "$KVER")" ]; then
				download_deb "$KVER" ||
					die "apt-get download linux-image-$KVER failed (no network access to the Debian mirror? see the apt output above)"
			fi
		fi
		deb=$(deb_for "$KVER") || true
	fi
	if ! kernel_ready "$KVER"; then
		[ -n "$deb" ] || die "no .deb for linux-image-$KVER in $CACHE/debs"
		prepare_kernel "$KVER" "$deb"
	fi
fi
KDIR=$CACHE/kernel-$KVER

# ---- /init (static: per-run data comes in /fl/run from the second cpio) ----------------
init_script() {
	cat <<'EOF'
#!/bin/sh
# /init of the Faultline test VM, generated by tests/vm/vm.sh (see tests/vm/README.md).
# Debian's static busybox runs its own applets (ip, tc, ...) for bare names even when PATH
# points elsewhere: the real iproute2 tools are /sbin/ip and /sbin/tc, call them by path.
export PATH=/sbin:/bin HOME=/root
fail() { # a setup error: say so, show the kernel's last words, power off (no result marker)
	echo "FL_VM_ERROR: $*"
	dmesg 2>/dev/null | tail -n 5 | sed 's/^/fl-vm: dmesg: /'
	poweroff -f
	exit 1 # init exiting panics the kernel, and panic=-1 -no-reboot ends qemu too
}
report() { # $1 = rc: marker line on the console, then the byte to isa-debug-exit
	echo "FL_VM_RESULT=$1"
	stty -F /dev/console -ixoff 2>/dev/null # tcsetattr(TCSADRAIN): the marker is out
	printf "\\$(printf '%03o' "$1")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	fail "isa-debug-exit did not stop qemu (no /dev/port?)"
}
mount -t proc proc /proc || fail "mount /proc"
mount -t sysfs sysfs /sys || fail "mount /sys"
mount -t devtmpfs devtmpfs /dev || fail "mount devtmpfs on /dev"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts || fail "mount /dev/pts"
mount -t tmpfs -o mode=0755 tmpfs /run || fail "mount tmpfs on /run"
mkdir -p /run/netns
mount -t tmpfs -o mode=1777 tmpfs /tmp || fail "mount tmpfs on /tmp"
echo "fl-vm: kernel $(uname -r) up after $(cut -d' ' -f1 /proc/uptime)s"
hostname faultline-vm
/sbin/ip link set lo up || fail "/sbin/ip link set lo up"
while read -r mod params; do
	[ -n "$mod" ] || continue
	insmod /lib/modules/$mod.ko $params || fail "insmod $mod.ko $params failed"
done </lib/modules/order
[ -r /fl/run ] || fail "/fl/run missing (the per-run cpio was not unpacked)"
mkdir -p /fl/out || fail "mkdir /fl/out"
. /fl/run # exports CI and FL_*, sets the command as "$@"
cd /
rc=0
if [ $# -gt 0 ]; then
	if [ "${FL_VM_SHELL:-}" = 1 ]; then
		("$@")
	else
		("$@") </dev/null
	fi
	rc=$?
fi
if [ "${FL_VM_SHELL:-}" = 1 ]; then
	echo "fl-vm: command exited $rc; debug shell (busybox; real tools: /sbin/ip /sbin/tc); exit to finish"
	setsid cttyhack sh -l
fi
# Files the command left in /fl/out, base64 between markers: the host keeps them (--out).
for f in /fl/out/*; do
	[ -f "$f" ] || continue
	echo "FL_VM_OUT_BEGIN ${f##*/}"
	base64 "$f"
	echo "FL_VM_OUT_END"
done
report $rc
EOF
}

# ---- base initramfs: busybox, ip (, tc), modules, /init — cached by content hash ---------
SRCS=() DSTS=()
add_file() { SRCS+=("$1"); DSTS+=("$2"); } # host file, guest path
add_with_libs() { # $1 = host binary, $2 = guest path
	local lib out
	add_file "$1" "$2"
	out=$(ldd "$1" 2>/dev/null) || return 0 # static or not ELF: nothing to add
	if grep -q 'not found' <<<"$out"; then
		die "$1 needs libraries that are missing on the host: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ')"
	fi
	for lib in $(awk '$2 == "=>" && $3 ~ /^\// { print $3; next } $1 ~ /^\// { print $1 }' <<<"$out"); do
		add_file "$(readlink -f "$lib")" "$lib"
	done
}
add_file "$BUSYBOX" /bin/busybox
add_with_libs "$IP_BIN" /sbin/ip
if [ $WITH_TC = 1 ]; then
	add_with_libs "$TC_BIN" /sbin/tc
	for f in /usr/lib/x86_64-linux-gnu/tc/*.dist; do
		[ -f "$f" ] && add_file "$f" "$f" # netem delay distributions
	done
fi
MODS=()
for f in "$KDIR"/modules/*.ko; do
	[ -f "$f" ] || continue
	n=$(basename "$f" .ko)
	MODS+=("$n")
	add_file "$f" "/lib/modules/$n.ko"
done

build_root() { # $1 = dir; copies SRCS to DSTS (later entries win), $2.. = extra dirs
	local r=$1 i
	shift
	mkdir -p "$r"
	chmod 0755 "$r" # the "." entry sets the mode of the guest's /
	for i in "${!SRCS[@]}"; do
		install -D -m 0755 "${SRCS[$i]}" "$r${DSTS[$i]}"
	done
	for i in "$@"; do mkdir -p "$r/$i"; done
}
make_cpio() { # $1 = root dir, $2 = output .cpio.gz
	(cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$2"
}

BASE_KEY=$({
	echo "fl-vm base v1 kver=$KVER with_tc=$WITH_TC modules=${MODS[*]}"
	declare -p MOD_PARAMS
	init_script | sha256sum
	$BUSYBOX --list | sha256sum
	for i in "${!SRCS[@]}"; do
		printf '%s ' "${DSTS[$i]}"
		sha256sum <"${SRCS[$i]}"
	done
} | sha256sum | cut -c1-16)
BASE=$CACHE/initramfs/base-$BASE_KEY.cpio.gz
if [ -s "$BASE" ]; then
	BSTATE=cached
	touch "$BASE" # most recently used: see the pruning below
else
	BSTATE=built
	mkdir -p "$CACHE/initramfs"
	R=$T/base
	build_root "$R" bin sbin etc root proc sys dev run tmp fl
	rm -f "$R/lib/modules/order"
	for n in "${MODS[@]}"; do
		echo "$n ${MOD_PARAMS[${n#*-}]:-}" >>"$R/lib/modules/order"
	done
	[ -f "$R/lib/modules/order" ] || { mkdir -p "$R/lib/modules"; : >"$R/lib/modules/order"; }
	for a in $($BUSYBOX --list); do
		case $a in busybox | ip | tc | init | linuxrc) continue ;; esac
		ln -s busybox "$R/bin/$a"
	done
	init_script >"$R/init"
	chmod 0755 "$R/init"
	printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
	printf 'root:x:0:\n' >"$R/etc/group"
	printf '127.0.0.1 localhost\n::1 localhost\n' >"$R/etc/hosts"
	make_cpio "$R" "$T/base.cpio.gz"
	mv "$T/base.cpio.gz" "$BASE"
	rm -rf "$R"
	# keep the 8 most recently used base images (one per --with-tc, kernel, /init, ...)
	ls -1t "$CACHE"/initramfs/base-*.cpio.gz | tail -n +9 | xargs -r rm -f
fi
flock -u "$LOCKFD"
T_READY=$(now_us)

# ---- per-run cpio: --bin files (+ libraries) and /fl/run --------------------------------
shq() { local s=${1//\'/\'\\\'\'}; printf "'%s'" "$s"; }
SRCS=() DSTS=()
for b in "${BINS[@]}"; do add_with_libs "$(readlink -f "$b")" "/bin/$(basename "$b")"; done
O=$T/overlay
build_root "$O" fl
{
	echo "# generated by tests/vm/vm.sh"
	while IFS= read -r v; do
		if [ "$v" = CI ] || [[ $v == FL_* ]]; then
			printf 'export %s=%s\n' "$v" "$(shq "${!v}")"
		fi
	done < <(compgen -e)
	printf 'set --'
	for a in "$@"; do printf ' %s' "$(shq "$a")"; done
	printf '\n'
} >"$O/fl/run"
make_cpio "$O" "$T/overlay.cpio.gz"
cat "$BASE" "$T/overlay.cpio.gz" >"$T/initrd"

mods_line=$(awk '$1 == "load" { l = l " " $2 } $1 == "builtin" { b = b " " $2 } $1 == "absent" { a = a " " $2 }
	END { printf "modules:%s; built in:%s", l, (b == "" ? " none" : b); if (a != "") printf "; absent:%s", a }' "$KDIR/modules.txt")
say "kernel $KVER ($KSTATE), base initramfs $BASE_KEY ($BSTATE), ${#BINS[@]} --bin file(s); $mods_line"

# ---- boot -----------------------------------------------------------------------------
QEMU=(qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 1 -m "$MEM"
	-bios "$QBOOT" -kernel "$KDIR/vmlinux" -initrd "$T/initrd"
	-append "console=ttyS0 quiet loglevel=3 panic=-1"
	-nographic -no-reboot -nodefaults -serial stdio -display none -net none
	-device isa-debug-exit,iobase=0xf4,iosize=0x04)

if [ $SHELL_MODE = 1 ]; then
	say "FL_VM_SHELL=1: interactive console, no timeout; exit the guest shell to finish"
	set +e
	"${QEMU[@]}"
	qrc=$?
	set -e
	if [ $((qrc & 1)) = 1 ]; then exit $((qrc >> 1)); fi
	die "qemu exited with $qrc without a result"
fi

mkfifo "$T/console"
: >"$T/console.log"
relay() { # console -> stdout live, without \r; also into console.log; first-line time
	local line seen=0 hide=0 # hide: inside a /fl/out file (console.log only)
	exec 3>>"$T/console.log"
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line//$'\r'/}
		if [ $seen = 0 ]; then
			now_us >"$T/t_first"
			seen=1
		fi
		case $line in
		?*FL_VM_RESULT=*) # the marker after output without a final newline: split it
			printf '%s\n' "${line%FL_VM_RESULT=*}" "FL_VM_RESULT=${line##*FL_VM_RESULT=}"
			printf '%s\n' "${line%FL_VM_RESULT=*}" "FL_VM_RESULT=${line##*FL_VM_RESULT=}" >&3
			;;
		?*FL_VM_OUT_BEGIN\ *) # the same for the start of a /fl/out file
			printf '%s\n' "${line%FL_VM_OUT_BEGIN *}"
			printf '%s\n' "${line%FL_VM_OUT_BEGIN *}" "FL_VM_OUT_BEGIN ${line##*FL_VM_OUT_BEGIN }" >&3
			hide=1
			;;
		FL_VM_OUT_BEGIN\ *)
			printf '%s\n' "$line" >&3
			hide=1
			;;
		FL_VM_OUT_END)
			printf '%s\n' "$line" >&3
			hide=0
			;;
		*)
			[ $hide = 1 ] || printf '%s\n' "$line"
			printf '%s\n' "$line" >&3
			;;
		esac
	done
}
relay <"$T/console" &
RPID=$!
T_BOOT=$(now_us)
timeout -k 5 "$TIMEOUT" "${QEMU[@]}" </dev/null >"$T/console" 2>"$T/qemu.err" &
QPID=$!
qrc=0
wait "$QPID" || qrc=$?
QPID=
T_END=$(now_us)
wait "$RPID" || true
RPID=

# ---- /fl/out files, verdict ------------------------------------------------------------
collect_out() { # the guest's /fl/out files, base64 between markers in console.log -> OUT_DIR
	local line name= n=0 b64=$T/out.b64
	while IFS= read -r line; do
		case $line in
		"FL_VM_OUT_BEGIN "*)
			name=${line#FL_VM_OUT_BEGIN }
			: >"$b64"
			;;
		FL_VM_OUT_END)
			[ -n "$name" ] || continue
			if [[ ! $name =~ ^[A-Za-z0-9_][A-Za-z0-9._-]*$ ]]; then
				say "--out: refusing the guest's file name '$name'"
			elif base64 -d "$b64" >"$T/out.file" 2>/dev/null; then
				mv "$T/out.file" "$OUT_DIR/$name"
				n=$((n + 1))
			else
				say "--out: $name is not valid base64 on the console (kernel messages in between?); not kept"
			fi
			name=
			;;
		*) [ -z "$name" ] || printf '%s\n' "$line" >>"$b64" ;;
		esac
	done <"$T/console.log"
	[ -z "$name" ] || say "--out: $name was cut off (the guest ended while printing it); not kept"
	say "--out: $n file(s) from the guest's /fl/out in $OUT_DIR"
}
boot="no guest output"
if [ -s "$T/t_first" ]; then
	t_first=$(cat "$T/t_first")
	boot="boot $(secs $((t_first - T_BOOT)))s (to the first guest line), run $(secs $((T_END - t_first)))s"
fi
say "$boot, VM total $(secs $((T_END - T_BOOT)))s, prepare $(secs $((T_READY - T_PREP)))s, total $(secs $((T_END - T_START)))s"
if [ -s "$T/qemu.err" ]; then
	sed 's/^/vm: qemu: /' "$T/qemu.err" >&2
fi
if [ -n "$OUT_DIR" ]; then
	collect_out
fi
marker=$(sed -n 's/^FL_VM_RESULT=\([0-9]\{1,3\}\)$/\1/p' "$T/console.log" | tail -1)
if [ -n "$marker" ] && [ "$qrc" = $((((marker << 1) | 1) & 255)) ]; then
	exit "$marker" # both the marker and isa-debug-exit agree
fi
if [ -z "$marker" ] && { [ "$qrc" = 124 ] || [ "$qrc" = 137 ]; } &&
	[ $((T_END - T_BOOT)) -ge $((TIMEOUT * 1000000)) ]; then
	say "timed out after ${TIMEOUT}s (the VM was stopped)"
	exit 124
fi
if grep -q '^FL_VM_ERROR: ' "$T/console.log"; then
	die "guest setup failed: $(sed -n 's/^FL_VM_ERROR: //p' "$T/console.log" | head -1)"
fi
if grep -q 'Kernel panic' "$T/console.log"; then
	die "guest kernel panic: $(grep -m1 'Kernel panic' "$T/console.log")"
fi
if [ ! -s "$T/t_first" ]; then
	die "the guest ended without any console output (qemu exit status $qrc): the kernel did not boot (too little --mem? a bad vmlinux? delete $KDIR to rebuild it)"
fi
if [ -z "$marker" ]; then
	die "the guest ended without a result (qemu exit status $qrc); see the console output above"
fi
die "the guest reported $marker but qemu exited with $qrc, not $((((marker << 1) | 1) & 255)) (isa-debug-exit not reached?)"
