"""OCI image archives from one layer, for a containerd with no registry (`ctr images
import`). The one writer of OCI archives: scripts/make-image.py (the shipped images) and
tests/lib/make-oci-image.py (the lab's busybox images) build the layer, this writes the
config, manifest, index and blobs around it.

Deterministic: entries have mtime 0 and owner root unless told otherwise, JSON keys sorted,
the outer archive's members in a fixed order, so the same inputs give the same digests.
Python 3 standard library only."""
import hashlib, io, json, platform, tarfile

EPOCH = "1970-01-01T00:00:00Z"
# Go's names for the host's machine, as OCI platforms spell them.
ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())


def tinfo(path, kind=tarfile.REGTYPE, size=0, mode=0o644, uid=0, gid=0):
    """A tar header with nothing of the build host in it (mtime 0, numeric owner)."""
    ti = tarfile.TarInfo(path)
    ti.type, ti.size, ti.mode, ti.mtime, ti.uid, ti.gid = kind, size, mode, 0, uid, gid
    ti.uname = ti.gname = "root" if uid == 0 else ""
    return ti


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


def write(out, name, layer, runtime_config, created_by):
    """Writes OUT: an OCI layout archive holding one image NAME (repo:tag) of one
    uncompressed LAYER (bytes of a tar) with RUNTIME_CONFIG as the config's "config"
    (Entrypoint, Cmd, Env, User...). Returns the manifest's digest."""
    config = json.dumps({
        "architecture": ARCH, "os": "linux", "created": EPOCH,
        "config": runtime_config,
        "rootfs": {"type": "layers", "diff_ids": [sha(layer)]},
        "history": [{"created": EPOCH, "created_by": created_by}],
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
                       "platform": {"architecture": ARCH, "os": "linux"},
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
    return sha(manifest)
