#!/usr/bin/env bash
# Whole-process comparison on CentOS Stream 9 AppStream + BaseOS (18.7k packages,
# 52 MB of primary XML): rpmatrix closure vs dnf repoclosure (cold: empty dnf
# cache each run, as rpmatrix parses the XML every time) vs zcat of the same
# primary files. Peak RSS from /usr/bin/time -v. Needs ../shared/data/real,
# hyperfine, dnf + dnf-plugins-core.
#
#   bash benches/hyperfine.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10}
R=${REAL:-../shared/data/real}
A=$R/cs9-appstream-x86_64-2025-01
B=$R/cs9-baseos-x86_64-2022-02
cargo build --release -q
BIN=target/release/rpmatrix
RPMATRIX="$BIN closure --repo appstream=$A --repo baseos=$B"
DNF="dnf repoclosure --repofrompath=appstream,$A --repofrompath=baseos,$B --repo appstream --repo baseos \
 --setopt=reposdir=/dev/null --setopt=best=False --setopt=skip_if_unavailable=False --disableplugin=versionlock \
 --installroot=/tmp/rpmatrix-bench-root --releasever=9 --forcearch=x86_64 -q"
ZCAT="zcat $A/repodata/*-primary.xml.gz $B/repodata/*-primary.xml.gz"

hyperfine -N -i -w 2 -r "$RUNS" --export-markdown /tmp/rpmatrix-hyperfine.md --export-json /tmp/rpmatrix-hyperfine.json \
  -n rpmatrix "$RPMATRIX" \
  -n "dnf repoclosure (cold)" --prepare 'rm -rf /tmp/rpmatrix-bench-root' "$DNF" \
  -n zcat "sh -c '$ZCAT > /dev/null'"
cat /tmp/rpmatrix-hyperfine.md
# hyperfine's table gives means; on a noisy VM one slow run moves a mean
# of ten, so the medians and dnf's ratio to rpmatrix are printed too.
python3 - <<'PY'
import json
results = json.load(open("/tmp/rpmatrix-hyperfine.json"))["results"]
median = {r["command"]: r["median"] * 1000 for r in results}
for name, ms in median.items():
    print(f"median {name}: {ms:.1f} ms")
print(f"dnf / rpmatrix (medians): {median['dnf repoclosure (cold)'] / median['rpmatrix']:.2f}x")
print(f"rpmatrix / zcat (medians): {median['rpmatrix'] / median['zcat']:.2f}")
PY

echo
echo "peak RSS (KiB):"
# Both exit 1 on CS9 (it has unresolved dependencies): under pipefail that
# status would end the script before dnf's line.
peak_rss() { { /usr/bin/time -v "$@" 2>&1 >/dev/null || true; } | awk '/Maximum resident/ {print $NF}'; }
printf 'rpmatrix: '; peak_rss $RPMATRIX
rm -rf /tmp/rpmatrix-bench-root
printf 'dnf:      '; peak_rss $DNF
