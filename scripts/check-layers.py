#!/usr/bin/env python3
"""The controller's layering, checked (issue 11; docs/design.md).

    scripts/check-layers.py [--root DIR] [--print]

Each folder of controller/ is a module with a module.mk naming the modules it may use
(NAME_USES) and its folders (NAME_DIRS). This check fails, naming file, line and header,
when:
  - a file includes a header of a module its module may not use, directly or through the
    modules it uses (the build would not find that header either: each module compiles
    with its own include folders only — this says why);
  - a file includes a controller header by a path ("../x/y.h", "engine/run.h"), which
    would get around the include folders;
  - a header name is in two modules (an include could not say which);
  - the modules' uses form a cycle, or name a module that does not exist.
--print prints the modules, what each may use, and who includes what across modules.
Exit status: 0 clean, 1 violations, 2 usage or unreadable tree.
"""
import argparse
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
ASSIGN = re.compile(r'^([a-z]+)_(USES|DIRS)[ \t]*:=[ \t]*(.*)$', re.M)


def load_modules(root):
    """{name: {"uses": [...], "dirs": [...]}} from controller/*/module.mk."""
    mods = {}
    ctl = os.path.join(root, "controller")
    for name in sorted(os.listdir(ctl)):
        mk = os.path.join(ctl, name, "module.mk")
        if not os.path.isfile(mk):
            continue
        with open(mk, encoding="utf-8") as f:
            text = f.read()
        m = {"uses": None, "dirs": None, "mk": os.path.relpath(mk, root)}
        for who, what, value in ASSIGN.findall(text):
            if who != name:
                raise SystemExit(f"{m['mk']}: sets {who}_{what}; expected {name}_{what}")
            m[what.lower()] = value.split()
        for what in ("uses", "dirs"):
            if m[what] is None:
                raise SystemExit(f"{m['mk']}: no {name}_{what.upper()} := ...")
        mods[name] = m
    return mods


def check_uses(mods, errors):
    for name, m in mods.items():
        for u in m["uses"]:
            if u not in mods:
                errors.append(f"{m['mk']}: {name} may use {u}, which is no module "
                              f"(modules: {', '.join(sorted(mods))})")
    state = {}

    def visit(name, path):
        if state.get(name) == "done":
            return
        if state.get(name) == "open":
            cycle = path[path.index(name):] + [name]
            errors.append(f"the modules' uses run in a circle: {' -> '.join(cycle)}")
            return
        state[name] = "open"
        for u in mods[name]["uses"]:
            if u in mods:
                visit(u, path + [name])
        state[name] = "done"

    for name in sorted(mods):
        visit(name, [])


def closure(mods, name):
    seen, todo = set(), list(mods[name]["uses"])
    while todo:
        u = todo.pop()
        if u in seen or u not in mods:
            continue
        seen.add(u)
        todo.extend(mods[u]["uses"])
    return seen


def header_owners(root, mods, errors):
    owner = {}
    for name, m in mods.items():
        for d in m["dirs"]:
            path = os.path.join(root, d)
            if not os.path.isdir(path):
                errors.append(f"{m['mk']}: folder {d} does not exist")
                continue
            for f in sorted(os.listdir(path)):
                if not f.endswith(".h"):
                    continue
                if f in owner and owner[f][0] != name:
                    errors.append(f"{d}/{f}: a header of that name is also in "
                                  f"{owner[f][1]} (module {owner[f][0]})")
                owner[f] = (name, d)
    return owner


def sources(root, mods):
    for name, m in sorted(mods.items()):
        for d in m["dirs"]:
            path = os.path.join(root, d)
            if not os.path.isdir(path):
                continue
            for f in sorted(os.listdir(path)):
                if f.endswith((".c", ".h")):
                    yield name, os.path.join(d, f)


def check_includes(root, mods, owner, errors):
    edges = {}
    for name, rel in sources(root, mods):
        allowed = closure(mods, name) | {name}
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            text = f.read()
        for match in INCLUDE.finditer(text):
            inc = match.group(1)
            line = text.count("\n", 0, match.start()) + 1
            where = f"{rel}:{line}"
            if inc.startswith("fl/"):
                continue  # common's and netem's public headers: every module may
            if "/" in inc:
                errors.append(f'{where}: #include "{inc}": a path; include a header by its '
                              f"name, found through the module's include folders")
                continue
            if inc not in owner:
                errors.append(f'{where}: #include "{inc}": no module of the controller has '
                              f"it (a header of the agent or the tests is not the "
                              f"controller's to include)")
                continue
            other = owner[inc][0]
            if other not in allowed:
                may = ", ".join(sorted(allowed - {name})) or "nothing but common"
                errors.append(f'{where}: #include "{inc}" of {other}/, which {name} may not '
                              f"use ({name} may use: {may}; "
                              f"controller/{name}/module.mk)")
            elif other != name:
                edges.setdefault((name, other), []).append(f"{os.path.basename(rel)}->{inc}")
    return edges


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", default=".", help="the repository (default: .)")
    ap.add_argument("--print", action="store_true", help="print the modules and edges")
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.root, "controller")):
        print(f"check-layers: {args.root}: no controller/ folder", file=sys.stderr)
        return 2
    errors = []
    mods = load_modules(args.root)
    if not mods:
        print("check-layers: no controller/*/module.mk", file=sys.stderr)
        return 2
    check_uses(mods, errors)
    owner = header_owners(args.root, mods, errors)
    edges = check_includes(args.root, mods, owner, errors)
    if args.print:
        for name, m in sorted(mods.items()):
            print(f"{name}: may use {', '.join(m['uses']) or 'common only'}")
        for (a, b), via in sorted(edges.items()):
            print(f"  {a} -> {b}: {', '.join(via)}")
    for e in errors:
        print(f"check-layers: {e}", file=sys.stderr)
    n_files = sum(1 for _ in sources(args.root, mods))
    print(f"check-layers: {len(mods)} modules, {n_files} files: "
          f"{len(errors)} violation(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
