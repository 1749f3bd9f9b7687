#!/usr/bin/python3
"""Build an OCI image archive from busybox-static and optional extra files, for a private
containerd with no registry (import with `ctr -n k8s.io images import`).

usage: make-oci-image.py OUT.tar NAME[:TAG] [--file HOST:PATH]... [--cmd ARG]...
Deterministic: same inputs, same digests (mtime 0, sorted entries). The archive around the
layer is written by scripts/oci_archive.py (shared with scripts/make-image.py)."""
import io, os, subprocess, sys, tarfile

# No __pycache__ left in the source tree (run as root, by tests and the lab).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
import oci_archive  # noqa: E402
from oci_archive import tinfo  # noqa: E402

BUSYBOX = "/bin/busybox"


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    out, name, rest = argv[1], argv[2], argv[3:]
    files, cmd = [], []
    i = 0
    while i < len(rest):
        if rest[i] == "--file" and i + 1 < len(rest):
            host, _, path = rest[i + 1].partition(":")
            files.append((host, path.lstrip("/")))
            i += 2
        elif rest[i] == "--cmd" and i + 1 < len(rest):
            cmd.append(rest[i + 1])
            i += 2
        else:
            sys.exit("make-oci-image: unexpected argument %r" % rest[i])
    cmd = cmd or ["/bin/sleep", "2147483647"]

    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w", format=tarfile.PAX_FORMAT) as t:
        for d in ["bin", "dev", "etc", "proc", "sys", "tmp", "root", "run", "var"]:
            t.addfile(tinfo(d, tarfile.DIRTYPE, mode=0o755))
        data = open(BUSYBOX, "rb").read()
        t.addfile(tinfo("bin/busybox", size=len(data), mode=0o755), io.BytesIO(data))
        applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True).stdout.split()
        for a in sorted(set(applets) - {"busybox"}):
            ti = tinfo("bin/" + a, tarfile.SYMTYPE)
            ti.linkname = "busybox"
            t.addfile(ti)
        for fn, content in [("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
                            ("etc/group", b"root:x:0:\n")]:
            t.addfile(tinfo(fn, size=len(content)), io.BytesIO(content))
        for host, path in files:
            content = open(host, "rb").read()
            t.addfile(tinfo(path, size=len(content), mode=0o755), io.BytesIO(content))
    layer = layer.getvalue()

    digest = oci_archive.write(out, name, layer, {"Env": ["PATH=/bin"], "Cmd": cmd, "WorkingDir": "/"},
                               "make-oci-image.py")
    print(out, name, digest)


main(sys.argv)
