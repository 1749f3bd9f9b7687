#!/usr/bin/python3
"""Build an OCI image archive from busybox-static and optional extra files, for a private
containerd with no registry (import with `ctr -n k8s.io images import`).

usage: make-oci-image.py OUT.tar NAME[:TAG] [--file HOST:PATH]... [--cmd ARG]...
Deterministic: same inputs, same digests (mtime 0, sorted entries)."""
import hashlib, io, json, subprocess, sys, tarfile

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

    def tinfo(path, kind=tarfile.REGTYPE, size=0, mode=0o644):
        ti = tarfile.TarInfo(path)
        ti.type, ti.size, ti.mode, ti.mtime, ti.uid, ti.gid = kind, size, mode, 0, 0, 0
        ti.uname = ti.gname = "root"
        return ti

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

    def sha(b):
        return "sha256:" + hashlib.sha256(b).hexdigest()

    config = json.dumps({
        "architecture": "amd64", "os": "linux", "created": "1970-01-01T00:00:00Z",
        "config": {"Env": ["PATH=/bin"], "Cmd": cmd, "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        "history": [{"created": "1970-01-01T00:00:00Z", "created_by": "make-oci-image.py"}],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    index = json.dumps({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha(manifest), "size": len(manifest),
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": name,
                                       "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}],
    }, sort_keys=True).encode()
    with tarfile.open(out, "w") as t:
        def put(path, content):
            t.addfile(tinfo(path, size=len(content)), io.BytesIO(content))
        put("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        put("index.json", index)
        for b in (layer, config, manifest):
            put("blobs/sha256/" + hashlib.sha256(b).hexdigest(), b)
    print(out, name, sha(manifest))


main(sys.argv)
