#!/usr/bin/env python3
"""How busy each stretch of one rpmatrix run keeps the machine's CPUs.

Bins a `perf sched record` of one run into fixed slices and prints, per
slice, the CPU time rpmatrix's threads ran, the time other tasks ran, and
the time no task ran. On a 2-vCPU machine a slice of 5 ms has 10 ms of CPU:
a stage that leaves one CPU idle shows as ~5 ms unused.

    perf sched record -o /tmp/sched.data target/release/rpmatrix closure \\
        --repo appstream=$A --repo baseos=$B > /dev/null
    python3 benches/tools/sched_busy.py /tmp/sched.data [SLICE_US] [CPUS]

SLICE_US defaults to 5000, CPUS to 2.
"""

import collections
import subprocess
import sys


def main():
    data = sys.argv[1]
    slice_us = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    cpus = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    out = subprocess.run(["perf", "sched", "timehist", "-i", data], capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines():
        fields = line.split()
        if len(fields) < 6:
            continue
        try:
            end = round(float(fields[0]) * 1e6)
            ran = round(float(fields[-1]) * 1000)
        except ValueError:
            continue
        rows.append((end, fields[2], ran))
    ours = [r for r in rows if "rpmatrix" in r[1]]
    if not ours:
        sys.exit("no rpmatrix task in the recording")
    start = min(end - ran for end, _, ran in ours)
    stop = max(end for end, _, _ in ours)
    busy = collections.Counter()
    other = collections.Counter()
    for end, task, ran in rows:
        a, b = max(end - ran, start), min(end, stop)
        while a < b:
            k = (a - start) // slice_us
            e = min(b, start + (k + 1) * slice_us)
            if "rpmatrix" in task:
                busy[k] += e - a
            elif task != "<idle>":
                other[k] += e - a
            a = e
    print(f"run: {(stop - start) / 1000:.1f} ms, rpmatrix CPU {sum(busy.values()) / 1000:.1f} ms")
    print("   from ms  rpmatrix  others  unused (CPU ms)")
    for k in range((stop - start) // slice_us + 1):
        unused = cpus * slice_us - busy[k] - other[k]
        print(f"{k * slice_us / 1000:10.1f} {busy[k] / 1000:9.2f} {other[k] / 1000:7.2f} {unused / 1000:7.2f}")


if __name__ == "__main__":
    main()
