#!/usr/bin/env python3
"""Does a slow stretch of the VM come from its shared L3 cache?

rpmatrix's CPU time for the same closure varies by 20-30 % between runs
seconds apart while `zcat` pinned to either vCPU does not move. This
alternates, N times: an L3 probe (a pointer chase over 8 MiB: every step
misses the 1 MiB L2 and hits the L3 when neighbours leave it to us), one
rpmatrix closure on CS9 AppStream + BaseOS, with --dnf one cold
`dnf repoclosure` on the same repositories, and the probe again. It then
compares the runs that met the quickest probe with those that met the
slowest one. Given several builds (LABEL=BINARY), it runs each in turn
between the probes, to see whether a change fares differently when the L3
is contended.

With --profile, each closure runs under `perf record` (cpu-clock, 10 kHz)
and the end compares, symbol by symbol, the CPU of the runs with the least
CPU (a third of them) with that of the runs with the most: where the time
goes that a slow stretch adds. Its wall and CPU times then include
perf's own.

    python3 benches/tools/contention.py N [--dnf] [--profile] [[LABEL=]BINARY ...]
    python3 benches/tools/contention.py 60
    python3 benches/tools/contention.py 20 --dnf target/release/rpmatrix
    python3 benches/tools/contention.py 60 --profile
    python3 benches/tools/contention.py 60 old=/tmp/old/rpmatrix new=target/release/rpmatrix

Needs a C compiler (`cc`) for the probe, and ../shared/data/real (REAL).
"""

import collections
import os
import statistics
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ beside the benches
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from interleave import command, timed  # noqa: E402  (the same command lines and timing)

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


def samples_by_symbol(data):
    """Samples (0.1 ms of CPU each) per symbol in a `perf record` file."""
    out = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True).stdout
    return collections.Counter(line.split(None, 1)[1].strip() for line in out.splitlines() if len(line.split(None, 1)) > 1)


def print_profile_split(profiles):
    """The symbols whose CPU grows most from the least-CPU third of the runs to the most-CPU third."""
    order = sorted(profiles, key=lambda c: sum(c.values()))
    third = max(1, len(order) // 3)
    low, high = order[:third], order[-third:]
    print("\nCPU per run (ms, means): least-CPU third %.1f, most-CPU third %.1f"
          % (statistics.mean(sum(c.values()) for c in low) / 10, statistics.mean(sum(c.values()) for c in high) / 10))
    symbols = collections.Counter()
    for c in low + high:
        symbols.update(c)
    rows = []
    for symbol, _ in symbols.most_common(80):
        a = statistics.mean(c[symbol] for c in low) / 10
        b = statistics.mean(c[symbol] for c in high) / 10
        rows.append((b - a, a, b, symbol))
    rows.sort(reverse=True)
    print("%8s %8s %8s  %s" % ("least", "most", "added", "symbol (ms of CPU per run)"))
    for added, a, b, symbol in rows[:25]:
        print("%8.2f %8.2f %8.2f  %s" % (a, b, added, symbol[:100]))


def main():
    args = sys.argv[1:]
    if not args or not args[0].isdigit():
        sys.exit(__doc__)
    n = int(args[0])
    with_dnf = "--dnf" in args
    profile = "--profile" in args
    rest = [a for a in args[1:] if a not in ("--dnf", "--profile")] or ["target/release/rpmatrix"]
    builds = [a.split("=", 1) if "=" in a else ["rpmatrix", a] for a in rest]
    if profile and len(builds) > 1:
        sys.exit("--profile records one build: give one BINARY")
    profiles = []
    with tempfile.TemporaryDirectory() as tmp:
        src, probe = os.path.join(tmp, "probe.c"), os.path.join(tmp, "probe")
        with open(src, "w") as f:
            f.write(PROBE)
        subprocess.run(["cc", "-O2", "-o", probe, src], check=True)

        def latency(cpu):
            out = subprocess.run(["taskset", "-c", str(cpu), probe], capture_output=True, text=True, check=True)
            return float(out.stdout)

        # One row per iteration: (probe ns, {label: (wall, cpu)}, dnf wall).
        rows = []
        for i in range(n):
            before = latency(0)
            runs = {}
            # Builds take turns going first, so neither always follows the probe.
            for label, binary in builds if i % 2 == 0 else builds[::-1]:
                data = os.path.join(tmp, "run%d.data" % i)
                perf = ["perf", "record", "-q", "-e", "cpu-clock", "-F", "10000", "-o", data, "--"]
                runs[label] = timed(command(binary), perf if profile else ())[:2]
                if profile:
                    profiles.append(samples_by_symbol(data))
            dnf_wall = None
            if with_dnf:
                dnf_wall = timed(command("dnf"))[0]
            after = latency(1)
            probe_ns = (before + after) / 2
            rows.append((probe_ns, runs, dnf_wall))
            line = "probe %5.1f ns" % probe_ns
            for label, _ in builds:
                line += "  %s %6.1f ms, cpu %4.0f ms" % (label, runs[label][0], runs[label][1])
            if dnf_wall is not None:
                line += "  dnf %7.1f ms" % dnf_wall
            print(line, flush=True)

    rows.sort(key=lambda r: r[0])
    third = max(1, len(rows) // 3)
    print()
    for part_name, part in (("quickest probe third", rows[:third]), ("slowest probe third", rows[-third:])):
        line = "%s: probe %.1f ns" % (part_name, statistics.median(r[0] for r in part))
        dnf = statistics.median(r[2] for r in part) if with_dnf else None
        for label, _ in builds:
            wall = statistics.median(r[1][label][0] for r in part)
            line += "; %s wall %.1f ms, cpu %.0f ms" % (label, wall, statistics.median(r[1][label][1] for r in part))
            if dnf is not None:
                line += ", dnf / %s %.2fx" % (label, dnf / wall)
        if dnf is not None:
            line += "; dnf %.1f ms" % dnf
        print(line + " (medians)")
    if len(rows) > 2:
        for label, _ in builds:
            print("correlation of probe latency and %s CPU: %.2f"
                  % (label, statistics.correlation([r[0] for r in rows], [r[1][label][1] for r in rows])))
    if profiles:
        print_profile_split(profiles)


if __name__ == "__main__":
    main()
