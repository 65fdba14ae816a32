#!/usr/bin/python3
"""Generate randomized rpm oracle tables for rpmatrix's Rust tests.

The hand-picked tables (gen_rpm_tables.py) cover the cases someone thought
of. These cover the ones nobody did: tens of thousands of version strings
drawn from a grammar that favours rpmvercmp's corners (tilde, caret, runs of
separators, leading zeros, numbers past 64 bits, letter case, non-ASCII
bytes, empty segments), most of them paired with a near copy of themselves,
so that the comparison is decided deep inside the strings.

Run with the system python that has the `rpm` bindings, from anywhere:

    /usr/bin/python3 tests/oracle/gen_rpm_random.py

Writes, next to this script (gzip, TAB-separated, same conventions as the
hand-picked tables; see README.md):
  evr_random.tsv.gz   a, b, result                  (rpm.labelCompare)
  dep_random.tsv.gz   provide, require, overlap     (rpm.ds.Compare)

The seed is fixed and the gzip header carries no time, so the output is the
same on every run with the same rpm.
"""

import gzip
import io
import os
import random

import rpm

from gen_rpm_tables import RPM_VERSION, dep_overlap, label_cmp

HERE = os.path.dirname(os.path.abspath(__file__))
SEED = 20261128
EVR_ROWS = 20000
DEP_ROWS = 12000

# Separators as rpmvercmp sees them: anything that is not an ASCII letter or
# digit, plus the two with meaning of their own.
SEPARATORS = [".", ".", ".", ".", "_", "+", "%", "..", "._", "é", "~", "~", "~~", "^", "^", "^~", "~^", ""]
LETTERS = "aAbBzZgitrc"


def segment(rng):
    kind = rng.random()
    if kind < 0.45:
        n = str(rng.choice([0, 1, 2, 9, 10, 11, 99, 100, rng.randrange(0, 1000)]))
        if rng.random() < 0.15:
            n = "0" * rng.randrange(1, 3) + n
        if rng.random() < 0.04:
            n = str(rng.randrange(10**19, 10**22))
        return n
    if kind < 0.8:
        return "".join(rng.choice(LETTERS) for _ in range(rng.randrange(1, 4)))
    if kind < 0.9:
        return "git" + str(rng.randrange(0, 30))
    return "el" + rng.choice(["7", "8", "9", "9_2", "7_9"])


def version(rng):
    parts = [segment(rng)]
    for _ in range(rng.randrange(0, 5)):
        parts.append(rng.choice(SEPARATORS))
        parts.append(segment(rng))
    if rng.random() < 0.08:
        parts.append(rng.choice(SEPARATORS))
    if rng.random() < 0.05:
        parts.insert(0, rng.choice([".", "~", "^", "_"]))
    v = "".join(parts)
    return v or "0"


def mutate(rng, v):
    """A near copy of `v`: the interesting comparisons are the close ones."""
    choice = rng.randrange(0, 9)
    if choice == 0:
        return v + rng.choice(SEPARATORS) + segment(rng)
    if choice == 1:
        i = rng.randrange(0, len(v) + 1)
        return v[:i] + rng.choice(["~", "^", ".", "0", "a"]) + v[i:]
    if choice == 2 and len(v) > 1:
        i = rng.randrange(0, len(v))
        return (v[:i] + v[i + 1:]) or "0"
    if choice == 3:
        return v.swapcase()
    if choice == 4:
        digits = [i for i, c in enumerate(v) if c.isdigit()]
        if digits:
            i = rng.choice(digits)
            return v[:i] + "0" + v[i:]
    if choice == 5:
        digits = [i for i, c in enumerate(v) if c.isdigit()]
        if digits:
            i = rng.choice(digits)
            return v[:i] + str((int(v[i]) + rng.choice([1, 9])) % 10) + v[i + 1:]
    if choice == 6:
        return v
    if choice == 7:
        for a, b in [(".", "_"), (".", "+"), ("~", "^"), ("^", "~"), (".", "..")]:
            if a in v:
                return v.replace(a, b, 1)
    return version(rng)


def epoch(rng):
    return rng.choice([None, None, None, None, "0", "0", "1", "1", "2", "01", "10"])


def release(rng):
    return rng.choice([None, None, version(rng), version(rng), "1", "1.el9", "0.1.rc1.el9"])


def label(e, v, r):
    s = v
    if e is not None:
        s = "%s:%s" % (e, s)
    if r is not None:
        s = "%s-%s" % (s, r)
    return s


def evr_pair(rng):
    ea, va, ra = epoch(rng), version(rng), release(rng)
    if rng.random() < 0.75:
        eb = ea if rng.random() < 0.85 else epoch(rng)
        if rng.random() < 0.5:
            vb, rb = mutate(rng, va), ra
        else:
            vb = va
            rb = mutate(rng, ra) if ra is not None and rng.random() < 0.85 else release(rng)
    else:
        eb, vb, rb = epoch(rng), version(rng), release(rng)
    return label(ea, va, ra), label(eb, vb, rb)


def gen_evr(rng):
    rows, seen = [], set()
    while len(rows) < EVR_ROWS:
        a, b = evr_pair(rng)
        if (a, b) in seen:
            continue
        seen.add((a, b))
        rows.append((a, b, str(label_cmp(a, b))))
    return rows


OPS = ["<", "<=", "=", ">=", ">"]


def dep_side(rng, base):
    if rng.random() < 0.12:
        return "foo"
    e, v, r = base
    choice = rng.randrange(0, 6)
    if choice == 1:
        r = None
    elif choice == 2:
        v = mutate(rng, v)
    elif choice == 3 and r is not None:
        r = mutate(rng, r)
    elif choice == 4:
        e = epoch(rng)
    return "foo %s %s" % (rng.choice(OPS), label(e, v, r))


def gen_dep(rng):
    rows, seen = [], set()
    while len(rows) < DEP_ROWS:
        base = (epoch(rng), version(rng), rng.choice([None, "1", "2", "1.el9", version(rng)]))
        p, r = dep_side(rng, base), dep_side(rng, base)
        if (p, r) in seen:
            continue
        seen.add((p, r))
        rows.append((p, r, str(dep_overlap(p, r))))
    return rows


def write(name, columns, rows):
    text = io.StringIO()
    text.write("# generated by tests/oracle/gen_rpm_random.py (seed %d) with rpm %s (python3-rpm); do not edit\n" % (SEED, RPM_VERSION))
    text.write("#" + "\t".join(columns) + "\n")
    for row in rows:
        text.write("\t".join(row) + "\n")
    with open(os.path.join(HERE, name), "wb") as f:
        with gzip.GzipFile(filename="", mode="wb", fileobj=f, mtime=0) as gz:
            gz.write(text.getvalue().encode("utf-8"))
    print("wrote %s (%d rows)" % (name, len(rows)))


def main():
    rng = random.Random(SEED)
    write("evr_random.tsv.gz", ["a", "b", "result"], gen_evr(rng))
    write("dep_random.tsv.gz", ["provide", "require", "overlap"], gen_dep(rng))


if __name__ == "__main__":
    main()
