#!/usr/bin/python3
"""libsolv's answer to "can this package be installed?", package by package.

The oracle of `rpmatrix installcheck` (issue 21). Run with Debian's
/usr/bin/python3 (python3-solv, python3-dnf):

    /usr/bin/python3 tests/oracle/installcheck.py --basearch x86_64 \
        NAME=DIR [NAME=DIR ...] [--check NAME ...] [--problems] > out.tsv

Every binary package (not src/nosrc) of the checked repositories (all when no
--check) that is visible to dnf is solved alone: one Solver per package, job
SOLVER_INSTALL|SOLVER_SOLVABLE, on a pool set up as dnf sets it
(DISTTYPE_RPM, setarch(BASEARCH), POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS,
primary + filelists, addfileprovides, createwhatprovides).

Packages dnf's modular filtering hides are taken out of the pool's considered
list (they neither install nor provide), as in dnf: which ones they are is
asked of dnf itself (a query with and without IGNORE_MODULAR_EXCLUDES).

Output: one line per uninstallable package, `NEVRA<TAB>REPO`, C-locale sorted
(with --problems a third column: libsolv's problem texts joined by ` | `).
stderr: the counts and the seconds libsolv spent solving.
"""

import argparse
import os
import sys
import tempfile
import time

import solv


def nevra(s):
    return "%s-%s.%s" % (s.name, s.evr, s.arch)


def has_modules(path):
    with open(os.path.join(path, "repodata", "repomd.xml"), "rb") as f:
        return b'type="modules"' in f.read()


def modular_hidden(repos, basearch):
    """(NEVRA, repo) of the packages dnf's modular filtering hides."""
    import dnf
    import hawkey

    base = dnf.Base()
    conf = base.conf
    conf.installroot = tempfile.mkdtemp(prefix="installcheck-oracle-")
    conf.cachedir = os.path.join(conf.installroot, "cache")
    conf.reposdir = []
    conf.substitutions["releasever"] = "9"
    conf.substitutions["arch"] = basearch
    conf.substitutions["basearch"] = dnf.rpm.basearch(basearch)
    conf.arch = basearch
    conf.module_platform_id = ""
    for name, path in repos:
        base.repos.add_new_repo(name, conf, baseurl=["file://" + os.path.abspath(path)])
    base.fill_sack(load_system_repo=False, load_available_repos=True)
    everything = base.sack.query(flags=hawkey.IGNORE_MODULAR_EXCLUDES).available()
    visible = base.sack.query().available()
    seen = set((str(p), p.reponame) for p in visible)
    hidden = set()
    for p in everything:
        key = (str(p), p.reponame)
        if key not in seen:
            hidden.add(key)
    base.close()
    return hidden


def dnf_nevra(s):
    # dnf's str(pkg): name-[epoch:]version-release.arch, epoch only when not 0
    return nevra(s)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--basearch", required=True)
    ap.add_argument("--check", action="append", default=[])
    ap.add_argument("--problems", action="store_true")
    ap.add_argument("repos", nargs="+", help="NAME=DIR")
    args = ap.parse_args()
    repos = []
    for spec in args.repos:
        name, _, path = spec.partition("=")
        repos.append((name, path))

    pool = solv.Pool()
    pool.setdisttype(solv.Pool.DISTTYPE_RPM)
    pool.setarch(args.basearch)
    pool.set_flag(solv.Pool.POOL_FLAG_IMPLICITOBSOLETEUSESCOLORS, 1)
    by_name = {}
    for name, path in repos:
        repo = pool.add_repo(name)
        by_name[name] = repo
        repomd = os.path.join(path, "repodata", "repomd.xml")
        locations = {}
        import xml.etree.ElementTree as ET

        ns = {"r": "http://linux.duke.edu/metadata/repo"}
        for data in ET.parse(repomd).getroot().findall("r:data", ns):
            loc = data.find("r:location", ns).get("href")
            locations[data.get("type")] = os.path.join(path, loc)
        for kind, flags in (("primary", 0), ("filelists", solv.Repo.REPO_EXTEND_SOLVABLES)):
            if kind not in locations:
                continue
            f = solv.xfopen(locations[kind])
            if not f:
                sys.exit("cannot open %s" % locations[kind])
            if kind == "primary":
                repo.add_rpmmd(f, None, 0)
            else:
                repo.add_rpmmd(f, None, flags)
            f.close()
    hidden = set()
    if any(has_modules(p) for _, p in repos):
        hidden = modular_hidden(repos, args.basearch)
    if hidden:
        considered = [s.id for s in pool.solvables_iter() if (nevra(s), s.repo.name) not in hidden]
        pool.set_considered_list(considered)
    pool.addfileprovides()
    pool.createwhatprovides()

    checked = set(args.check) if args.check else set(by_name)
    todo = []
    for s in pool.solvables_iter():
        if s.repo is None or s.repo.name not in checked or s.arch in ("src", "nosrc"):
            continue
        if (nevra(s), s.repo.name) in hidden:
            continue
        todo.append(s)

    out = []
    solving = 0.0
    for s in todo:
        solver = pool.Solver()
        job = pool.Job(solv.Job.SOLVER_INSTALL | solv.Job.SOLVER_SOLVABLE, s.id)
        t = time.perf_counter()
        problems = solver.solve([job])
        solving += time.perf_counter() - t
        if problems:
            row = "%s\t%s" % (nevra(s), s.repo.name)
            if args.problems:
                texts = []
                for p in problems:
                    for r in p.findallproblemrules():
                        for info in r.allinfos():
                            texts.append(info.problemstr())
                row += "\t" + " | ".join(texts)
            out.append(row)
        # keep the Solver alive until its problems are read
        del problems
        del solver
    out.sort(key=lambda l: l.encode())
    for line in out:
        print(line)
    print(
        "checked %d, uninstallable %d, solving %.3f s, hidden %d"
        % (len(todo), len(out), solving, len(hidden)),
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
