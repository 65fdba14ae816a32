#!/usr/bin/env python3
"""Alternating whole-process runs of rpmatrix builds on CS9 AppStream + BaseOS.

On a noisy VM, hyperfine rounds of one build minutes apart differ by more
than the builds do; running the builds one run each in turn lets both see
the same machine. Prints, per build, the median wall time, user+sys CPU and
peak RSS of N runs.

    python3 benches/interleave.py N LABEL=BINARY [LABEL=BINARY ...]
    python3 benches/interleave.py 40 old=/tmp/old/rpmatrix new=target/release/rpmatrix

REAL (default ../shared/data/real) is where the repositories are.
"""

import os
import statistics
import subprocess
import sys
import time

REAL = os.environ.get("REAL", os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../shared/data/real"))
A = os.path.join(REAL, "cs9-appstream-x86_64-2025-01")
B = os.path.join(REAL, "cs9-baseos-x86_64-2022-02")


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    n = int(sys.argv[1])
    builds = [arg.split("=", 1) for arg in sys.argv[2:]]
    results = {label: ([], [], []) for label, _ in builds}
    for _ in range(n):
        for label, binary in builds:
            start = time.perf_counter()
            p = subprocess.Popen([binary, "closure", "--repo", "appstream=" + A, "--repo", "baseos=" + B],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _, _, usage = os.wait4(p.pid, 0)
            wall, cpu, rss = results[label]
            wall.append((time.perf_counter() - start) * 1000)
            cpu.append((usage.ru_utime + usage.ru_stime) * 1000)
            rss.append(usage.ru_maxrss / 1024)
    for label, _ in builds:
        wall, cpu, rss = results[label]
        print("%s: wall %.1f ms  cpu %.0f ms  rss %.1f MB (max %.1f)"
              % (label, statistics.median(wall), statistics.median(cpu), statistics.median(rss), max(rss)))


if __name__ == "__main__":
    main()
