#!/usr/bin/env python3
"""Alternating runs of whole commands: one run of each in turn, N rounds, so
that every command meets the same machine (a shared VM's noise moves in
stretches). Prints each command's median wall time with its range, and the
median of the per-round ratios of each command to the first.

    python3 benches/tools/alternate.py N 'LABEL=COMMAND' 'LABEL=COMMAND' ...

Example (installcheck against closure on CS9 AppStream + BaseOS):

    A=../shared/data/real/cs9-appstream-x86_64-2025-01 B=../shared/data/real/cs9-baseos-x86_64-2022-02
    python3 benches/tools/alternate.py 21 \\
      "closure=target/release/rpmatrix closure --repo appstream=$A --repo baseos=$B" \\
      "installcheck=target/release/rpmatrix installcheck --repo appstream=$A --repo baseos=$B"
"""
import shlex
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds = int(sys.argv[1])
    commands = [arg.split("=", 1) for arg in sys.argv[2:]]
    times = {label: [] for label, _ in commands}
    run = lambda cmd: subprocess.run(shlex.split(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _, cmd in commands:  # warm the page cache once
        run(cmd)
    for _ in range(rounds):
        for label, cmd in commands:
            started = time.perf_counter()
            run(cmd)
            times[label].append(time.perf_counter() - started)
    first = commands[0][0]
    for label, _ in commands:
        v = sorted(times[label])
        line = f"{label}: median {statistics.median(v) * 1e3:.1f} ms ({v[0] * 1e3:.1f}-{v[-1] * 1e3:.1f})"
        if label != first:
            ratios = [b / a for a, b in zip(times[first], times[label])]
            line += f"; {statistics.median(ratios):.2f}x {first} (per round {min(ratios):.2f}-{max(ratios):.2f})"
        print(line)


if __name__ == "__main__":
    main()
