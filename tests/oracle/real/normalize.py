#!/usr/bin/env python3
"""Normalize `dnf repoclosure` stdout into one line per (package, repo, dep).

Input (dnf-plugins-core 4.3 repoclosure, stdout):

    package: NEVRA from REPO
      unresolved deps (N):
        DEP
        ...

Output: ``NEVRA<TAB>REPO<TAB>DEP`` lines, sorted in C-locale (byte) order
(Python code-point order of str == byte order of UTF-8 == ``LC_ALL=C sort``).
NEVRA and DEP are copied verbatim from dnf's output (DEP = the line minus its
4 leading spaces; nothing else is stripped).

Usage: normalize.py [--stderr DNF_STDERR_FILE] [--summary] < dnf.stdout > CASE.txt

The parser is strict: any unexpected line, or a dep count that does not match
the "unresolved deps (N)" header, is an error (exit 2). With --stderr, the
totals in dnf's final "Repoclosure ended with unresolved dependencies (D)
across P packages." message are cross-checked as well (absent message => 0/0).
--summary prints "packages=P deps=D distinct_deps=X" to stderr.
Stdlib only.
"""
import re
import sys

PKG_RE = re.compile(r"^package: (\S+) from (\S+)$")
HDR_RE = re.compile(r"^  unresolved deps \((\d+)\):$")
DEP_PREFIX = "    "
END_RE = re.compile(
    r"Repoclosure ended with unresolved dependencies \((\d+)\) across (\d+) packages\.")


def die(msg):
    sys.stderr.write("normalize.py: %s\n" % msg)
    sys.exit(2)


def parse(lines):
    triples = []
    pkgs = 0
    cur = None          # (nevra, repo)
    expected = None     # deps still expected for cur
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\n")
        if line.endswith("\r"):
            line = line[:-1]
        m = PKG_RE.match(line)
        if m:
            if expected:
                die("line %d: package header while %d deps still expected" % (lineno, expected))
            cur = (m.group(1), m.group(2))
            expected = None
            pkgs += 1
            continue
        m = HDR_RE.match(line)
        if m:
            if cur is None or expected is not None:
                die("line %d: unexpected deps header" % lineno)
            expected = int(m.group(1))
            if expected == 0:
                die("line %d: zero-dep header" % lineno)
            continue
        if line.startswith(DEP_PREFIX) and cur is not None and expected:
            triples.append((cur[0], cur[1], line[len(DEP_PREFIX):]))
            expected -= 1
            continue
        if line == "":
            die("line %d: unexpected empty line" % lineno)
        die("line %d: unexpected line: %r" % (lineno, line))
    if expected:
        die("EOF while %d deps still expected" % expected)
    if cur is not None and expected is None:
        die("EOF right after a package header")
    return pkgs, triples


def main(argv):
    stderr_file = None
    summary = False
    args = argv[1:]
    while args:
        a = args.pop(0)
        if a == "--stderr":
            stderr_file = args.pop(0)
        elif a == "--summary":
            summary = True
        else:
            die("unknown argument %r" % a)
    data = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    pkgs, triples = parse(data.splitlines(True))
    if len(set(triples)) != len(triples):
        die("duplicate (package, repo, dep) triple in dnf output")
    if stderr_file is not None:
        with open(stderr_file, encoding="utf-8", errors="surrogateescape") as f:
            m = END_RE.search(f.read())
        want = (int(m.group(1)), int(m.group(2))) if m else (0, 0)
        if want != (len(triples), pkgs):
            die("totals mismatch: dnf says deps=%d packages=%d, parsed deps=%d packages=%d"
                % (want[0], want[1], len(triples), pkgs))
    out = sorted("%s\t%s\t%s" % t for t in triples)
    sys.stdout.buffer.write("".join(l + "\n" for l in out).encode("utf-8", "surrogateescape"))
    if summary:
        sys.stderr.write("packages=%d deps=%d distinct_deps=%d\n"
                         % (pkgs, len(triples), len(set(t[2] for t in triples))))


if __name__ == "__main__":
    main(sys.argv)
