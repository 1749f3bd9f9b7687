#!/usr/bin/env bash
# record-tc-golden.sh - record the netlink requests that the real iproute2
# `tc` sends, as golden data for Faultline's qdisc/class/filter encoder tests.
#
# Usage:  sudo scripts/record-tc-golden.sh [netem|tc ...]
#         (no argument = both sets)
#
# Requirements: root (network namespaces), strace, iproute2 (tc, ip), mawk or
# gawk.  The data in the tree was recorded with iproute2 6.1 (`tc -V`).
#
# How it works
#   For every case a fresh, throw-away network namespace is created (only `lo`,
#   set up), optional setup commands are run in it untraced, and then
#       strace -e trace=sendmsg,sendto -e write=all tc <command line>
#   is run inside it.  strace hex-dumps every byte tc hands to the kernel; the
#   single sendmsg/sendto whose netlink message is an RTM_NEWQDISC (36),
#   RTM_NEWTCLASS (40) or RTM_NEWTFILTER (44) is the request.  tc's exit status
#   is irrelevant: the request is built and sent before the kernel answers, so
#   e.g. netem requests are recorded even though this kernel has no sch_netem
#   ("Specified qdisc kind is unknown").  The namespace is always deleted (also
#   on error / Ctrl-C, via trap).
#
# Data sets (each a directory with a cases.txt, see the header of each file)
#   tests/data/netem-golden/cases.txt   NAME<TAB>netem options
#       -> tc qdisc add dev lo root netem <options>
#   tests/data/tc-golden/cases.txt      NAME<TAB>tc arguments[<TAB>setup]
#       -> tc <arguments>; `setup` is an optional ' ; '-separated list of tc
#          argument lists run first (untraced, must succeed), e.g. to create
#          the htb parent before `class add` so the kernel accepts the request.
#          Only kinds that exist on a kernel without sch_netem are used for
#          setup (htb, tbf, ingress, u32, mirred).  tc itself does not need
#          the parent to exist to build/send the request; setup only makes
#          the recorded requests ones the kernel also accepts.
#
# Output per case (next to cases.txt), lowercase hex, 2 digits per byte,
# 16 bytes per line separated by single spaces, trailing newline:
#   NAME.msg.hex   the whole netlink message (nlmsghdr .. nlmsg_len) with
#                  nlmsg_seq (bytes 8..11) zeroed: tc seeds it from time(NULL),
#                  zeroing it keeps the files byte-identical across runs.
#                  Everything else is exactly what tc sent.
#   NAME.opts.hex  the payload of the top-level TCA_OPTIONS attribute (bytes
#                  after its 4-byte rtattr header, nla_len - 4 bytes).  Empty
#                  file if the attribute is present with no payload; the file
#                  is NOT written if tc sent no TCA_OPTIONS at all (e.g.
#                  `qdisc add ... ingress`).
# Stale NAME.*.hex files of cases no longer listed are removed.  Re-running the
# script reproduces identical files (on the same tc version and the same
# kernel /proc/net/psched clock parameters, which tc uses for time->tick
# conversion).

set -euo pipefail

readonly SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
readonly REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
# FL_GOLDEN_DATA: record into another tree (holding copies of the cases.txt files).
readonly DATA_ROOT="${FL_GOLDEN_DATA:-$REPO_ROOT/tests/data}"
readonly NS="faultline-golden-$$"
readonly TC="${TC:-tc}"
readonly STRACE="${STRACE:-strace}"

WORKDIR=""
NS_CREATED=0

die() { echo "record-tc-golden: error: $*" >&2; exit 1; }
log() { echo "record-tc-golden: $*" >&2; }

cleanup() {
    if [[ $NS_CREATED -eq 1 ]]; then
        ip netns del "$NS" 2>/dev/null || true
        NS_CREATED=0
    fi
    if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then
        rm -rf -- "$WORKDIR"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ns_up() {
    ip netns add "$NS"
    NS_CREATED=1
    ip -n "$NS" link set lo up
}

ns_down() {
    ip netns del "$NS"
    NS_CREATED=0
}

check_prereqs() {
    [[ $(id -u) -eq 0 ]] || die "must run as root (needs network namespaces)"
    command -v "$STRACE" >/dev/null || die "strace not found"
    command -v "$TC" >/dev/null || die "tc (iproute2) not found"
    command -v ip >/dev/null || die "ip (iproute2) not found"
    command -v awk >/dev/null || die "awk not found"
    local ver
    ver="$("$TC" -V 2>&1 | head -n1)"
    log "using $ver, kernel $(uname -r)"
    log "psched: $(cat /proc/net/psched)"
    [[ "$ver" == *iproute2-6.1.0* ]] \
        || log "WARNING: the checked-in data was recorded with iproute2-6.1.0; other tc versions may encode differently"
    [[ "$(cat /proc/net/psched)" == "000003e8 00000040 "* ]] \
        || log "WARNING: /proc/net/psched differs from the recording host (000003e8 00000040 ...); time->tick values will differ"
}

# extract_request STRACE_OUT MSG_OUT OPTS_OUT
#   Parse the strace hex dumps, pick the single RTM_NEW{QDISC,TCLASS,TFILTER}
#   message and write MSG_OUT / OPTS_OUT (OPTS_OUT is not created if the
#   message has no TCA_OPTIONS).  Exits non-zero with a message on failure.
extract_request() {
    awk -v msg_out="$2" -v opts_out="$3" '
    function hexval(h,    i, v) {
        v = 0
        for (i = 1; i <= length(h); i++)
            v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
        return v
    }
    function le16(arr, off) { return hexval(arr[off + 1]) * 256 + hexval(arr[off]) }
    function le32(arr, off) { return le16(arr, off + 2) * 65536 + le16(arr, off) }
    function flush(    t) {
        if (in_call && nbytes >= 16) {
            t = le16(cur, 4)
            if (t == 36 || t == 40 || t == 44) {
                nfound++
                for (i = 0; i < nbytes; i++) req[i] = cur[i]
                nreq = nbytes
            }
        }
        in_call = 0; nbytes = 0
    }
    function dump(arr, from, to, file,    i, line, n) {
        printf "" > file
        line = ""; n = 0
        for (i = from; i < to; i++) {
            line = line (n ? " " : "") arr[i]
            if (++n == 16) { print line > file; line = ""; n = 0 }
        }
        if (n) print line > file
        close(file)
    }
    /^([0-9]+ +)?(sendmsg|sendto|write|writev|send)\(/ { flush(); in_call = 1; next }
    /^ \| [0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]  / {
        if (!in_call) next
        hex = substr($0, 11, 49)
        n = split(hex, tok, /[ ]+/)
        for (j = 1; j <= n; j++)
            if (tok[j] ~ /^[0-9a-f][0-9a-f]$/) cur[nbytes++] = tok[j]
        next
    }
    /^ \* [0-9]+ bytes in buffer/ { next }
    { flush() }
    END {
        flush()
        if (nfound != 1) {
            printf "expected exactly 1 RTM_NEWQDISC/NEWTCLASS/NEWTFILTER request, found %d\n", nfound > "/dev/stderr"
            exit 2
        }
        len = le32(req, 0)
        if (len > nreq || len < 36) {
            printf "truncated dump: nlmsg_len=%d, dumped %d bytes\n", len, nreq > "/dev/stderr"
            exit 3
        }
        # nlmsg_seq is time based in tc: zero it for reproducible files
        for (i = 8; i < 12; i++) req[i] = "00"
        dump(req, 0, len, msg_out)
        # top-level attributes start after nlmsghdr (16) + tcmsg (20)
        off = 36
        while (off + 4 <= len) {
            alen = le16(req, off)
            atype = le16(req, off + 2) % 16384   # strip NLA_F_NESTED/NET_BYTEORDER
            if (alen < 4 || off + alen > len) {
                printf "malformed attribute at offset %d (len %d)\n", off, alen > "/dev/stderr"
                exit 4
            }
            if (atype == 2) {           # TCA_OPTIONS
                dump(req, off + 4, off + alen, opts_out)
                break
            }
            off += int((alen + 3) / 4) * 4
        }
    }' "$1"
}

# record_case SET_DIR NAME SETUP TC_ARGS...
record_case() {
    local dir="$1" name="$2" setup="$3"
    shift 3
    local trace="$WORKDIR/$name.strace" tcerr="$WORKDIR/$name.stderr"
    local msg_tmp="$WORKDIR/$name.msg.hex" opts_tmp="$WORKDIR/$name.opts.hex"
    local rc=0

    ns_up
    if [[ -n "$setup" ]]; then
        local cmd
        local -a setup_cmds setup_words
        # split on ';'
        IFS=';' read -r -a setup_cmds <<<"$setup"
        for cmd in "${setup_cmds[@]}"; do
            read -r -a setup_words <<<"$cmd"
            [[ ${#setup_words[@]} -gt 0 ]] || continue
            ip netns exec "$NS" "$TC" "${setup_words[@]}" \
                || { ns_down; die "$name: setup command failed: tc $cmd"; }
        done
    fi

    ip netns exec "$NS" "$STRACE" -qq -e trace=sendmsg,sendto -e write=all \
        -o "$trace" "$TC" "$@" >/dev/null 2>"$tcerr" || rc=$?
    ns_down

    if ! extract_request "$trace" "$msg_tmp" "$opts_tmp"; then
        log "$name: tc $* (exit $rc): $(tr '\n' ' ' <"$tcerr")"
        die "$name: tc did not send a usable request"
    fi

    mv -f -- "$msg_tmp" "$dir/$name.msg.hex"
    if [[ -f "$opts_tmp" ]]; then
        mv -f -- "$opts_tmp" "$dir/$name.opts.hex"
    else
        rm -f -- "$dir/$name.opts.hex"
    fi
    printf '  %-40s tc exit %d: %s\n' "$name" "$rc" \
        "$(tr '\n' ' ' <"$tcerr" | sed 's/ *$//')" >&2
    rm -f -- "$trace" "$tcerr"
}

# record_set SET   (SET = netem | tc)
record_set() {
    local set="$1" dir
    case "$set" in
        netem) dir="$DATA_ROOT/netem-golden" ;;
        tc)    dir="$DATA_ROOT/tc-golden" ;;
        *)     die "unknown set '$set' (expected netem or tc)" ;;
    esac
    [[ -f "$dir/cases.txt" ]] || die "missing $dir/cases.txt"
    log "recording set '$set' from $dir/cases.txt"

    local -A seen=()
    local line name args setup n=0
    local -a words
    while IFS= read -r line || [[ -n "$line" ]]; do
        [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
        [[ "$line" == *$'\t'* ]] || die "$set: line without TAB: $line"
        name="${line%%$'\t'*}"
        args="${line#*$'\t'}"
        setup=""
        if [[ "$args" == *$'\t'* ]]; then
            setup="${args#*$'\t'}"
            args="${args%%$'\t'*}"
        fi
        [[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "$set: bad case name '$name'"
        [[ -z "${seen[$name]:-}" ]] || die "$set: duplicate case name '$name'"
        seen[$name]=1
        read -r -a words <<<"$args" || true
        if [[ "$set" == netem ]]; then
            [[ -z "$setup" ]] || die "$set: $name: setup column not supported"
            record_case "$dir" "$name" "" qdisc add dev lo root netem "${words[@]}"
        else
            [[ ${#words[@]} -gt 0 ]] || die "$set: $name: empty command"
            record_case "$dir" "$name" "$setup" "${words[@]}"
        fi
        n=$((n + 1))
    done <"$dir/cases.txt"

    # remove outputs of cases that are no longer listed
    local f base
    shopt -s nullglob
    for f in "$dir"/*.msg.hex "$dir"/*.opts.hex; do
        base="${f##*/}"
        base="${base%.msg.hex}"
        base="${base%.opts.hex}"
        if [[ -z "${seen[$base]:-}" ]]; then
            log "removing stale $f"
            rm -f -- "$f"
        fi
    done
    shopt -u nullglob
    log "set '$set': $n cases recorded"
}

main() {
    check_prereqs
    WORKDIR="$(mktemp -d "${TMPDIR:-/tmp}/record-tc-golden.XXXXXX")"
    local -a sets=("$@")
    [[ ${#sets[@]} -gt 0 ]] || sets=(netem tc)
    local s
    for s in "${sets[@]}"; do
        record_set "$s"
    done
}

main "$@"
