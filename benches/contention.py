#!/usr/bin/env python3
"""Does a slow stretch of the VM come from its shared L3 cache?

rpmatrix's CPU time for the same closure varies by 20-30 % between runs
seconds apart while `zcat` pinned to either vCPU does not move. This
alternates, N times: an L3 probe (a pointer chase over 8 MiB: every step
misses the 1 MiB L2 and hits the L3 when neighbours leave it to us), one
rpmatrix closure on CS9 AppStream + BaseOS, with --dnf one cold
`dnf repoclosure` on the same repositories, and the probe again. It then
compares the runs that met the quickest probe with those that met the
slowest one.

    python3 benches/contention.py N [--dnf] [BINARY]
    python3 benches/contention.py 60
    python3 benches/contention.py 20 --dnf target/release/rpmatrix

Needs a C compiler (`cc`) for the probe, and ../shared/data/real (REAL).
"""

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import A, B, DNF, DNF_ROOT  # noqa: E402  (the same command lines)

PROBE = r"""
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
static volatile uint32_t sink;
int main(void) {
    size_t n = (8u << 20) / sizeof(uint32_t);
    uint32_t *next = malloc(n * sizeof *next);
    if (!next) return 1;
    for (size_t i = 0; i < n; i++) next[i] = (uint32_t)i;
    uint64_t x = 88172645463325252ull; /* one cycle through all slots (Sattolo) */
    for (size_t i = n - 1; i > 0; i--) {
        x ^= x << 13; x ^= x >> 7; x ^= x << 17;
        size_t j = x % i;
        uint32_t t = next[i]; next[i] = next[j]; next[j] = t;
    }
    uint32_t p = 0;
    for (size_t i = 0; i < n; i++) p = next[p];
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    for (size_t i = 0; i < 4 * n; i++) p = next[p];
    clock_gettime(CLOCK_MONOTONIC, &b);
    printf("%.2f\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / (4.0 * n));
    sink = p; /* the chase is kept */
    return 0;
}
"""


def timed(argv):
    """Wall and user+sys CPU milliseconds of one run."""
    start = time.perf_counter()
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(p.pid, 0)
    return (time.perf_counter() - start) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


def main():
    args = sys.argv[1:]
    if not args or not args[0].isdigit():
        sys.exit(__doc__)
    n = int(args[0])
    with_dnf = "--dnf" in args
    rest = [a for a in args[1:] if a != "--dnf"]
    binary = rest[0] if rest else "target/release/rpmatrix"
    rpmatrix = [binary, "closure", "--repo", "appstream=" + A, "--repo", "baseos=" + B]
    with tempfile.TemporaryDirectory() as tmp:
        src, probe = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(PROBE)
        subprocess.run(["cc", "-O2", "-o", probe, src], check=True)

        def latency(cpu):
            out = subprocess.run(["taskset", "-c", str(cpu), probe], capture_output=True, text=True, check=True)
            return float(out.stdout)

        rows = []
        for _ in range(n):
            before = latency(0)
            wall, cpu = timed(rpmatrix)
            dnf_wall = None
            if with_dnf:
                shutil.rmtree(DNF_ROOT, ignore_errors=True)
                dnf_wall, _ = timed(DNF)
            after = latency(1)
            probe_ns = (before + after) / 2
            rows.append((probe_ns, wall, cpu, dnf_wall))
            line = "probe %5.1f ns  rpmatrix %6.1f ms, cpu %4.0f ms" % (probe_ns, wall, cpu)
            if dnf_wall is not None:
                line += "  dnf %7.1f ms" % dnf_wall
            print(line, flush=True)

    rows.sort()
    third = max(1, len(rows) // 3)
    print()
    for label, part in (("quickest probe third", rows[:third]), ("slowest probe third", rows[-third:])):
        line = "%s: probe %.1f ns, rpmatrix wall %.1f ms, cpu %.0f ms (medians)" % (
            label,
            statistics.median(r[0] for r in part),
            statistics.median(r[1] for r in part),
            statistics.median(r[2] for r in part),
        )
        if with_dnf:
            dnf = statistics.median(r[3] for r in part)
            line += "; dnf %.1f ms; dnf / rpmatrix %.2fx" % (dnf, dnf / statistics.median(r[1] for r in part))
        print(line)
    if len(rows) > 2:
        print("correlation of probe latency and rpmatrix CPU: %.2f"
              % statistics.correlation([r[0] for r in rows], [r[2] for r in rows]))


if __name__ == "__main__":
    main()
