#!/usr/bin/python3
"""Writes a synthetic rpm-md repository for memory and speed figures
(BENCHMARKS.md, "Memory"): N packages in createrepo_c's spelling, each
providing itself and a soname and requiring three others' (all resolvable),
primary.xml gzipped, repomd.xml with checksums. Deterministic.

    /usr/bin/python3 benches/tools/synth_repo.py DIR [N] [--whitespace MIB]

--whitespace MIB puts MIB MiB of spaces inside the first package instead
(one endless element: the chunker's maximum element size)."""
import gzip
import hashlib
import os
import sys

args = [a for a in sys.argv[1:] if not a.startswith("--")]
out = args[0]
n = int(args[1]) if len(args) > 1 else 1_000_000
whitespace = 0
if "--whitespace" in sys.argv:
    whitespace = int(sys.argv[sys.argv.index("--whitespace") + 1])
os.makedirs(f"{out}/repodata", exist_ok=True)

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<metadata xmlns="http://linux.duke.edu/metadata/common" '
    f'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="{n}">\n'
)


def package(i):
    reqs = "".join(
        f'<rpm:entry name="libp{(i * k + 1) % n}.so.1()(64bit)"/>' for k in (7, 13, 31)
    )
    return (
        f'<package type="rpm">\n  <name>p{i}</name>\n  <arch>x86_64</arch>\n'
        f'  <version epoch="0" ver="1.{i % 97}" rel="1.el9"/>\n'
        f'  <checksum type="sha256" pkgid="YES">{i:064x}</checksum>\n'
        f"  <summary>Package {i}</summary>\n  <description>Synthetic package {i}.</description>\n"
        f'  <packager>synth</packager>\n  <url>https://example.org/p{i}</url>\n'
        f'  <time file="1700000000" build="1700000000"/>\n'
        f'  <size package="1000" installed="2000" archive="2100"/>\n'
        f'  <location href="Packages/p{i}-1.{i % 97}-1.el9.x86_64.rpm"/>\n'
        f"  <format>\n    <rpm:license>MIT</rpm:license>\n    <rpm:vendor/>\n"
        f"    <rpm:group>Unspecified</rpm:group>\n    <rpm:buildhost>b</rpm:buildhost>\n"
        f"    <rpm:sourcerpm>p{i}-1.{i % 97}-1.el9.src.rpm</rpm:sourcerpm>\n"
        f'    <rpm:header-range start="4504" end="9000"/>\n'
        f'    <rpm:provides>\n      <rpm:entry name="p{i}" flags="EQ" epoch="0" ver="1.{i % 97}" rel="1.el9"/>\n'
        f'      <rpm:entry name="libp{i}.so.1()(64bit)"/>\n    </rpm:provides>\n'
        f"    <rpm:requires>\n      {reqs}\n    </rpm:requires>\n"
        f"    <file>/usr/lib64/libp{i}.so.1</file>\n  </format>\n</package>\n"
    )


path = f"{out}/repodata/primary.xml.gz"
with gzip.open(path, "wb", compresslevel=1) as f:
    f.write(HEAD.encode())
    batch = []
    for i in range(n):
        p = package(i)
        if i == 0 and whitespace:
            cut = p.index("<summary>")
            blank = b" " * (1 << 20)
            f.write(p[:cut].encode())
            for _ in range(whitespace):
                f.write(blank)
            p = p[cut:]
        batch.append(p)
        if len(batch) == 10000:
            f.write("".join(batch).encode())
            batch = []
    f.write("".join(batch).encode())
    f.write(b"</metadata>\n")
data = open(path, "rb").read()
sha = hashlib.sha256(data).hexdigest()
with open(f"{out}/repodata/repomd.xml", "w") as f:
    f.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n'
        "<revision>1</revision>\n"
        f'<data type="primary"><checksum type="sha256">{sha}</checksum>'
        f'<location href="repodata/primary.xml.gz"/><size>{len(data)}</size></data>\n</repomd>\n'
    )
print(f"{out}: {n} packages, {len(data)} bytes gzipped")
