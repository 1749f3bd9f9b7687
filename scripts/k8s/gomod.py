#!/usr/bin/env python3
"""The go.mod that builds Kubernetes' commands from its published module.

usage: gomod.py KUBERNETES_GO_MOD VERSION  (e.g. .../k8s.io/kubernetes/@v/v1.37.2.mod v1.37.2)

k8s.io/kubernetes requires its staging modules (k8s.io/api, k8s.io/client-go, ...) at
v0.0.0 and replaces them with ./staging/..., which the module zip does not have. Each is
published as v0.<minor>.<patch> for v1.<minor>.<patch>: require kubernetes, replace every
such module with its published version, keep kubernetes' Go version.
"""
import re
import sys


def main(path, version):
    text = open(path).read()
    go = re.search(r"^go (\S+)", text, re.M)
    staging = sorted(set(re.findall(r"^\s*(k8s\.io/[\w./-]+) v0\.0\.0[ \t]*(?://.*)?$", text, re.M)))
    if not go or not staging:
        sys.exit(f"{path}: no go directive or no k8s.io/* v0.0.0 requirement found")
    published = "v0." + version[len("v1."):]
    print("module k8sbuild\n")
    print(f"go {go.group(1)}\n")
    print(f"require k8s.io/kubernetes {version}\n")
    print("replace (")
    for m in staging:
        print(f"\t{m} => {m} {published}")
    print(")")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
