#!/usr/bin/env python3
"""Alternating whole-process runs of rpmatrix builds on CS9 AppStream + BaseOS.

On a noisy VM, hyperfine rounds of one build minutes apart differ by more
than the builds do; running the builds one run each in turn lets both see
the same machine. Prints, per build, the median wall time, user+sys CPU and
peak RSS of N runs.

    python3 benches/tools/interleave.py N LABEL=BINARY [LABEL=BINARY ...]
    python3 benches/tools/interleave.py 40 old=/tmp/old/rpmatrix new=target/release/rpmatrix
    python3 benches/tools/interleave.py 20 rpmatrix=target/release/rpmatrix dnf=dnf

The BINARY `dnf` runs `dnf repoclosure` on the same repositories, cold (its
installroot, hence its cache, removed before each run, outside the timing),
as benches/hyperfine.sh does; the ratio of each build's median to dnf's is
printed too. Alternating with dnf is the fair comparison on a noisy VM:
hyperfine runs each command's batch in turn, so one noisy stretch can fall
on one command only.

REAL (default ../shared/data/real) is where the repositories are.
"""

import os
import shutil
import statistics
import subprocess
import sys
import time

REAL = os.environ.get("REAL", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../shared/data/real"))
A = os.path.join(REAL, "cs9-appstream-x86_64-2025-01")
B = os.path.join(REAL, "cs9-baseos-x86_64-2022-02")
DNF_ROOT = "/tmp/rpmatrix-bench-root"
# The same command as benches/hyperfine.sh.
DNF = ["dnf", "repoclosure", "--repofrompath=appstream," + A, "--repofrompath=baseos," + B,
       "--repo", "appstream", "--repo", "baseos", "--setopt=reposdir=/dev/null", "--setopt=best=False",
       "--setopt=skip_if_unavailable=False", "--disableplugin=versionlock", "--installroot=" + DNF_ROOT,
       "--releasever=9", "--forcearch=x86_64", "-q"]


def command(binary):
    """The closure on A + B as `binary` (an rpmatrix build, or `dnf`) runs it."""
    if binary == "dnf":
        return DNF
    return [binary, "closure", "--repo", "appstream=" + A, "--repo", "baseos=" + B]


def timed(argv, prefix=()):
    """Wall ms, user+sys CPU ms and peak RSS MB of one run of `argv` (after
    `prefix`, such as a profiler); dnf's cache is removed first, outside the
    timing, so that every dnf run is cold."""
    if argv == DNF:
        shutil.rmtree(DNF_ROOT, ignore_errors=True)
    start = time.perf_counter()
    p = subprocess.Popen([*prefix, *argv], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000, usage.ru_maxrss / 1024


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    builds = [arg.split("=", 1) for arg in sys.argv[2:]]
    results = {label: ([], [], []) for label, _ in builds}
    for _ in range(n):
        for label, binary in builds:
            for values, value in zip(results[label], timed(command(binary))):
                values.append(value)
    for label, _ in builds:
        wall, cpu, rss = results[label]
        print("%s: wall %.1f ms  cpu %.0f ms  rss %.1f MB (max %.1f)"
              % (label, statistics.median(wall), statistics.median(cpu), statistics.median(rss), max(rss)))
    dnf = [statistics.median(results[label][0]) for label, binary in builds if binary == "dnf"]
    for label, binary in builds:
        if dnf and binary != "dnf":
            print("dnf / %s (medians): %.2fx" % (label, dnf[0] / statistics.median(results[label][0])))


if __name__ == "__main__":
    main()
