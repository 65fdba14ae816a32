#!/usr/bin/python3
"""Makes the real-data change of tests/change.rs (change_on_cs9): newer
builds of 20 source packages of CentOS Stream 9 AppStream, made by editing a
copy of its metadata, and the after-state repository dnf checks.

usage: gen_change_real.py APPSTREAM_DIR OUT_DIR

Writes OUT_DIR/proposed (the 20 builds: release + ".chg1"; two of them drop a
subpackage, so that source replacement matters) and OUT_DIR/after (AppStream
with every package of those 20 sources replaced by the builds; modules.yaml
kept). Deterministic: the sources are picked by sorted name.
Only the standard library (/usr/bin/python3).
"""
import gzip
import hashlib
import lzma
import os
import re
import sys

PKG = re.compile(rb"<package type=\"rpm\">.*?</package>\n?", re.S)
FL = re.compile(rb"<package pkgid=\"([0-9a-f]+)\".*?</package>\n?", re.S)


def read(path):
    data = open(path, "rb").read()
    if path.endswith(".gz"):
        return gzip.decompress(data)
    if path.endswith(".xz"):
        return lzma.decompress(data)
    return data


def located(repo, kind):
    md = open(os.path.join(repo, "repodata/repomd.xml"), "rb").read().decode()
    m = re.search(r'<data type="%s">.*?<location href="([^"]+)"' % kind, md, re.S)
    return os.path.join(repo, m.group(1)) if m else None


def field(block, pattern):
    m = re.search(pattern, block, re.S)
    return m.group(1).decode() if m else ""


def write_repo(out, primary_blocks, filelists_blocks, modules):
    os.makedirs(os.path.join(out, "repodata"), exist_ok=True)
    docs = {
        "primary": b'<?xml version="1.0" encoding="UTF-8"?>\n<metadata xmlns="http://linux.duke.edu/metadata/common" '
        b'xmlns:rpm="http://linux.duke.edu/metadata/rpm" packages="%d">\n' % len(primary_blocks)
        + b"".join(primary_blocks) + b"</metadata>\n",
        "filelists": b'<?xml version="1.0" encoding="UTF-8"?>\n<filelists xmlns="http://linux.duke.edu/metadata/filelists" '
        b'packages="%d">\n' % len(filelists_blocks) + b"".join(filelists_blocks) + b"</filelists>\n",
    }
    if modules is not None:
        docs["modules"] = modules
    md = ['<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo">\n']
    for kind, text in docs.items():
        name = kind + (".yaml" if kind == "modules" else ".xml")
        open(os.path.join(out, "repodata", name), "wb").write(text)
        s = hashlib.sha256(text).hexdigest()
        md.append(
            '  <data type="%s">\n    <checksum type="sha256">%s</checksum>\n    <open-checksum type="sha256">%s</open-checksum>\n'
            '    <location href="repodata/%s"/>\n    <size>%d</size>\n    <open-size>%d</open-size>\n  </data>\n'
            % (kind, s, s, name, len(text), len(text))
        )
    md.append("</repomd>\n")
    open(os.path.join(out, "repodata/repomd.xml"), "w").write("".join(md))


def main():
    repo, out = sys.argv[1], sys.argv[2]
    primary = read(located(repo, "primary"))
    filelists = read(located(repo, "filelists"))
    modules_path = located(repo, "modules")
    modules = read(modules_path) if modules_path else None
    blocks = PKG.findall(primary)
    by_source = {}
    for b in blocks:
        src = field(b, rb"<rpm:sourcerpm>([^<]*)</rpm:sourcerpm>")
        if not src:
            continue
        name = src.rsplit("-", 2)[0]
        by_source.setdefault(name, []).append(b)
    module_text = modules or b""
    eligible = []
    for name in sorted(by_source):
        bs = by_source[name]
        rels = [field(b, rb'<version [^>]*rel="([^"]*)"') for b in bs]
        names = [field(b, rb"<name>([^<]*)</name>") for b in bs]
        if any("module" in r for r in rels) or any(n.encode() in module_text for n in names + [name]):
            continue
        if len({(field(b, rb'<version [^>]*ver="([^"]*)"'), r) for b, r in zip(bs, rels)}) != 1:
            continue
        eligible.append(name)
    # Every 10th eligible source with at least two binaries: a spread of
    # libraries and applications; the first two of them drop a subpackage.
    multi = [n for n in eligible if len({field(b, rb"<name>([^<]*)</name>") for b in by_source[n]}) >= 2]
    picked = multi[::10][:20]
    if len(picked) < 20:
        picked += [n for n in eligible if n not in picked][: 20 - len(picked)]
    picked_set = set(picked)
    dropped = set()
    for name in picked[:2]:
        names = sorted({field(b, rb"<name>([^<]*)</name>") for b in by_source[name]} - {name})
        if names:
            dropped.add(names[0])
    proposed, kept, replaced_ids = [], [], set()
    edited_ids = {}
    for b in blocks:
        src = field(b, rb"<rpm:sourcerpm>([^<]*)</rpm:sourcerpm>")
        sname = src.rsplit("-", 2)[0] if src else None
        if sname not in picked_set:
            kept.append(b)
            continue
        pkgid = field(b, rb'<checksum type="[^"]*" pkgid="YES">([^<]*)</checksum>')
        replaced_ids.add(pkgid)
        if field(b, rb"<name>([^<]*)</name>") in dropped:
            continue
        ver = field(b, rb'<version [^>]*ver="([^"]*)"').encode()
        rel = field(b, rb'<version [^>]*rel="([^"]*)"').encode()
        new_rel = rel + b".chg1"
        # The build's own EVR everywhere it appears (its version, its
        # self-provides, its subpackages' exact requires on each other).
        e = b.replace(b'ver="%s" rel="%s"' % (ver, rel), b'ver="%s" rel="%s"' % (ver, new_rel))
        e = e.replace(b"-%s-%s.src.rpm" % (ver, rel), b"-%s-%s.src.rpm" % (ver, new_rel))
        new_id = hashlib.sha256(e).hexdigest()
        e = e.replace(pkgid.encode(), new_id.encode())
        edited_ids[pkgid] = (new_id, ver, rel, new_rel)
        proposed.append(e)
    fl_kept, fl_proposed = [], []
    for m in FL.finditer(filelists):
        pkgid, b = m.group(1).decode(), m.group(0)
        if pkgid not in replaced_ids:
            fl_kept.append(b)
        elif pkgid in edited_ids:
            new_id, ver, rel, new_rel = edited_ids[pkgid]
            e = b.replace(pkgid.encode(), new_id.encode()).replace(
                b'ver="%s" rel="%s"' % (ver, rel), b'ver="%s" rel="%s"' % (ver, new_rel)
            )
            fl_proposed.append(e)
    write_repo(os.path.join(out, "proposed"), proposed, fl_proposed, None)
    write_repo(os.path.join(out, "after"), kept + proposed, fl_kept + fl_proposed, modules)
    with open(os.path.join(out, "sources.txt"), "w") as f:
        f.write("\n".join(picked) + "\n")
    print("picked %d sources (%d packages proposed, %d dropped: %s)" % (len(picked), len(proposed), len(dropped), ", ".join(sorted(dropped))))


main()
