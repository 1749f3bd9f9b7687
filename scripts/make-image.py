#!/usr/bin/python3
"""The shipped images (`make image`): one release binary and exactly what it needs to run,
in an OCI archive for `ctr images import` — built from the host's files, nothing pulled.

usage: make-image.py OUT.tar NAME:TAG BINARY --at PATH [--user nonroot] [--ca-certs]
                     [--tmp] [--omit-lib SONAME]...

The layer holds: BINARY at PATH (the entrypoint); the shared libraries `ldd BINARY` names
and the dynamic loader, each at the path ldd gives with every symlink on the way kept as on
the host (Debian's /lib -> usr/lib, libfoo.so.1 -> libfoo.so.1.2.3), so the loader finds
them without an ld.so.cache; and only what the options ask for:
  --user nonroot  /etc/passwd and /etc/group with root and nonroot (65532), User 65532
  --ca-certs      /etc/ssl/certs/ca-certificates.crt (libcurl-gnutls' default CA file)
  --tmp           /tmp, mode 1777 (the controller's private directory for PEM data)
  --omit-lib      leave out a library ldd names (tests/integration/test-image.sh's negative
                  case: such an image must fail to start)
No shell, no busybox, no package database. A binary holding a test hook's name (a test
build, $BUILD/t/) is refused: only release binaries are shipped. Deterministic: the same
inputs give the same digests (scripts/oci_archive.py). Prints OUT, NAME and the manifest's
digest, and with --list every path in the layer."""
import io, os, re, stat, subprocess, sys, tarfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oci_archive  # noqa: E402
from oci_archive import tinfo  # noqa: E402

# The test hooks' names (tests/unit/test-release-clean.sh keeps the full list): present
# only in test builds, so finding one means a test build was given.
TEST_HOOKS = [b"FL_AGENT_CRASH_AT", b"FL_AGENT_TEST_REVERT_FAILURES", b"FAULTLINE_SCHEDULE_RUNNER"]
CA_FILE = "/etc/ssl/certs/ca-certificates.crt"
NONROOT = 65532  # distroless' nonroot uid/gid: a convention Kubernetes users recognise
PASSWD = b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/sbin/nologin\n"
GROUP = b"root:x:0:\nnonroot:x:65532:\n"


def die(msg):
    sys.exit("make-image: " + msg)


def ldd_paths(binary):
    """The absolute paths of the libraries and loader `ldd` resolves for BINARY, in ldd's
    order. A library ldd cannot find is an error (the image could not run)."""
    r = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if r.returncode != 0:
        die("ldd %s: %s" % (binary, (r.stderr or r.stdout).strip() or "failed"))
    paths = []
    for line in r.stdout.splitlines():
        line = line.strip()
        if "not found" in line:
            die("ldd %s: %s" % (binary, line))
        m = re.match(r"^(\S+) => (/\S+) \(0x[0-9a-f]+\)$", line) or \
            re.match(r"^(/\S+) \(0x[0-9a-f]+\)$", line)
        if m:
            paths.append((os.path.basename(m.group(1)), m.group(m.lastindex)))
        elif not re.match(r"^linux-vdso\.so\.\d+ \(0x[0-9a-f]+\)$", line):
            die("ldd %s: unexpected line %r" % (binary, line))
    return paths


class Layer:
    """The layer's entries by path (no leading /); written sorted, so a directory always
    precedes what it holds and the order never depends on how it was built."""

    def __init__(self):
        self.entries = {}

    def dir(self, path, mode=0o755):
        self.entries.setdefault(path, (tinfo(path, tarfile.DIRTYPE, mode=mode), None))

    def parents(self, path):
        parts = path.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            self.dir("/".join(parts[:i]))

    def file(self, path, data, mode, uid=0, gid=0):
        self.parents(path)
        self.entries[path] = (tinfo(path, size=len(data), mode=mode, uid=uid, gid=gid), data)

    def symlink(self, path, target):
        self.parents(path)
        ti = tinfo(path, tarfile.SYMTYPE, mode=0o777)
        ti.linkname = target
        self.entries[path] = (ti, None)

    def host_path(self, path, hops=0):
        """Copies the host's PATH as the host resolves it: each symlink met on the way (a
        folder's or the file's) is kept as a symlink, and the walk goes on from its target."""
        if hops > 40:
            die("%s: too many symlinks" % path)
        parts = [p for p in os.path.normpath(path).split("/") if p]
        for i in range(len(parts)):
            cur = "/" + "/".join(parts[:i + 1])
            if os.path.islink(cur):
                target = os.readlink(cur)
                self.symlink(cur[1:], target)
                base = target if target.startswith("/") else os.path.join(os.path.dirname(cur), target)
                return self.host_path(os.path.join(base, *parts[i + 1:]), hops + 1)
        st = os.stat(path)
        if not stat.S_ISREG(st.st_mode):
            die("%s: not a regular file" % path)
        with open(path, "rb") as f:
            self.file(path.lstrip("/"), f.read(), stat.S_IMODE(st.st_mode) & 0o755)

    def tar(self):
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as t:
            for path in sorted(self.entries):
                ti, data = self.entries[path]
                t.addfile(ti, io.BytesIO(data) if data is not None else None)
        return out.getvalue()


def parse(argv):
    if len(argv) < 4 or argv[1].startswith("-"):
        die("usage:\n" + __doc__)
    opts = {"out": argv[1], "name": argv[2], "binary": argv[3], "at": None, "user": None,
            "ca": False, "tmp": False, "omit": [], "list": False}
    rest, i = argv[4:], 0
    while i < len(rest):
        a = rest[i]
        val = rest[i + 1] if i + 1 < len(rest) else None
        if a in ("--at", "--user", "--omit-lib") and val is None:
            die("%s needs a value" % a)
        if a == "--at":
            opts["at"] = val
        elif a == "--user":
            if val not in ("root", "nonroot"):
                die("--user %s: expected root or nonroot" % val)
            opts["user"] = val
        elif a == "--omit-lib":
            opts["omit"].append(val)
        elif a in ("--ca-certs", "--tmp", "--list"):
            opts[{"--ca-certs": "ca", "--tmp": "tmp", "--list": "list"}[a]] = True
            i += 1
            continue
        else:
            die("unexpected argument %r" % a)
        i += 2
    if not opts["at"] or not opts["at"].startswith("/"):
        die("--at /PATH (where the binary goes in the image) is required")
    if ":" not in opts["name"].rsplit("/", 1)[-1]:
        die("%s: expected NAME:TAG" % opts["name"])
    return opts


def main(argv):
    o = parse(argv)
    with open(o["binary"], "rb") as f:
        binary = f.read()
    for hook in TEST_HOOKS:
        if hook in binary:
            die("%s holds the test hook %s: a test build is never shipped (use the release "
                "build, make image)" % (o["binary"], hook.decode()))
    layer = Layer()
    layer.file(o["at"].lstrip("/"), binary, 0o755)
    libs = ldd_paths(o["binary"])
    for omit in o["omit"]:
        if omit not in [name for name, _ in libs]:
            die("--omit-lib %s: ldd does not name it" % omit)
    for name, path in libs:
        if name not in o["omit"]:
            layer.host_path(path)
    if o["ca"]:
        layer.host_path(CA_FILE)
    if o["tmp"]:
        layer.dir("tmp", 0o1777)
    config = {"Entrypoint": [o["at"]], "WorkingDir": "/",
              "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}
    if o["user"] == "nonroot":
        layer.file("etc/passwd", PASSWD, 0o644)
        layer.file("etc/group", GROUP, 0o644)
        config["User"] = "%d:%d" % (NONROOT, NONROOT)
    elif o["user"] == "root":
        config["User"] = "0:0"
    # Never a half-written archive under OUT's name (make would take it as built).
    digest = oci_archive.write(o["out"] + ".tmp", o["name"], layer.tar(), config,
                               "scripts/make-image.py")
    os.replace(o["out"] + ".tmp", o["out"])
    print(o["out"], o["name"], digest)
    if o["list"]:
        for path in sorted(layer.entries):
            print("  /" + path)


main(sys.argv)
