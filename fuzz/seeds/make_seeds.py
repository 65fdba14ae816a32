#!/usr/bin/python3
"""Writes the committed seed corpus of each fuzz target (fuzz/seeds/TARGET/)
from the fixture repositories and a few hand-written inputs. Run from the
project root: /usr/bin/python3 fuzz/seeds/make_seeds.py"""
import glob
import gzip
import os

ROOT = "fixtures/repos"
OUT = "fuzz/seeds"


def read(repo, kind):
    [path] = glob.glob(f"{ROOT}/{repo}/repodata/*-{kind}.*")
    data = open(path, "rb").read()
    return gzip.decompress(data) if path.endswith(".gz") else data


def write(target, name, data):
    os.makedirs(f"{OUT}/{target}", exist_ok=True)
    with open(f"{OUT}/{target}/{name}", "wb") as f:
        f.write(data)


RICH = [
    b"(a or b)",
    b"(foo >= 1.0 if (bar or baz))",
    b"(a and (b or c) and d)",
    b"(x unless y else z)",
    b"(pkg-a >= 1:2.3-4 with pkg-a < 3)",
    b"(b without c)",
    b"((a if b else c) or (d unless e))",
]

for repo in ["base", "rich", "richfiles", "modular"]:
    primary = read(repo, "primary.xml")
    write("primary", repo, primary)
    closure = primary + b"\n<!--filelists-->\n" + read(repo, "filelists.xml")
    if repo == "modular":
        closure += b"\n<!--modules-->\n" + read(repo, "modules.yaml")
    write("closure", repo, closure)
    write("repomd", repo, open(f"{ROOT}/{repo}/repodata/repomd.xml", "rb").read())

# A repomd.xml naming the primary.xml the repomd body writes beside it.
write("repomd", "local", b"""<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo"><revision>1</revision>
<data type="primary"><location href="repodata/primary.xml"/></data>
</repomd>
""")

for i, r in enumerate(RICH):
    write("rich", f"rich{i}", r)

# text: the first byte picks the parser (fuzz/bodies/text.rs).
write("text", "0-rich", b"\x00" + RICH[1])
write("text", "1-evr", b"\x01" + b"1:2.0~rc1-3.el9\n1:2.0-3.el9")
write("text", "2-repomd", b"\x02" + open(f"{ROOT}/base/repodata/repomd.xml", "rb").read())
write("text", "3-modules", b"\x03" + read("modular", "modules.yaml"))
write("text", "4-repo", b"\x04" + b"[base]\nname=Base $basearch\nbaseurl=http://example.org/$releasever/\nenabled=1\ngpgcheck=0\n")
write("text", "5-matrix", b"\x05" + b'[repos]\nbase = "fixtures/repos/base"\n\n[[cell]]\nname = "one"\ncheck = ["base"]\n')
write("text", "6-filelists", b"\x06" + read("base", "filelists.xml"))
[gz] = glob.glob(f"{ROOT}/base/repodata/*-filelists.xml.gz")
write("text", "7-gzip", b"\x07" + open(gz, "rb").read())
