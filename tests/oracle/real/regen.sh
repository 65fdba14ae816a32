#!/usr/bin/env bash
# Regenerate the `dnf repoclosure` oracle for the real repositories.
#
#   tests/oracle/real/regen.sh [DATA_DIR]      (DATA_DIR default: <project root>/../shared/data/real)
#   SKIP_BENCH=1 tests/oracle/real/regen.sh    (skip the hyperfine section at the end)
#
# Recorded with dnf 4.14.0 / dnf-plugins-core 4.3.1 / libdnf 0.69.0 / libsolv 0.7.23 /
# librepo 1.14.5 (Debian 12 packages). Cases run strictly one after another.
#
# Writes, next to this script:
#   manifest.tsv          case  basearch  repos  check  dnf_exit  seconds  notes
#   CASE.txt              normalized findings (normalize.py): NEVRA<TAB>REPO<TAB>DEP, LC_ALL=C sorted
#   raw/CASE.cmd          the exact dnf command line that was run
#   raw/CASE.stdout       dnf stdout, verbatim
#   raw/CASE.stderr       dnf stderr, verbatim (includes the final "Error: Repoclosure ended ..." line)
#   raw/CASE.time         /usr/bin/time -v output
#   raw/bench-*.{md,json} hyperfine results
set -u -o pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DATA=${1:-$ROOT/../shared/data/real}
DATA=$(cd "$DATA" && pwd) || { echo "no data dir" >&2; exit 1; }
OUT=$HERE
RAW=$OUT/raw
mkdir -p "$RAW"
WORK=$(mktemp -d /tmp/rpmatrix-oracle.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# --- short name -> directory -------------------------------------------------------------
declare -A DIR=(
  [c75]=centos7.5.1804-dvd-x86_64
  [c72]=centos7.2.1511-os-x86_64
  [cs9-baseos]=cs9-baseos-x86_64-2022-02
  [cs9-appstream]=cs9-appstream-x86_64-2025-01
  [ocata]=rdo-ocata-el7-bundle
  [mitaka]=rdo-mitaka-el7-bundle
  [pgdg]=pgdg-common-rhel8-x86_64
  [azl3]=azurelinux3-community-x86_64-zst
  [yocto]=yocto-mpss-k1om
  [zfs]=zfs-el9-x86_64
  [tizen]=tizen2.4-serranove-armv7l
  [el6-go]=el6-golang-nodejs-tools-x86_64
  [al2023]=al2023-python2-addon-x86_64
)
# Path actually handed to dnf (default: the read-only data dir itself).
declare -A PATH_FOR=()
for n in "${!DIR[@]}"; do PATH_FOR[$n]=$DATA/${DIR[$n]}; done

# --- c72: repomd.xml names a filelists.xml.gz that is absent. dnf (librepo) then fails to
# load the repo ("Cannot download, all mirrors were already tried"; with the Debian default
# skip_if_unavailable=True it silently ignores the repo and reports nothing, exit 0).
# So case `c72` uses a copy whose repomd.xml has the <data type="filelists"> element removed
# (exact edit: delete the whole `<data type="filelists"> ... </data>` element incl. leading
# whitespace; nothing else changed). Case `c72-asis` records the failure on the original.
C72=$WORK/c72-nofilelists
mkdir -p "$C72/repodata"
cp "$DATA/${DIR[c72]}"/repodata/* "$C72/repodata/"
chmod u+w "$C72/repodata/repomd.xml"
python3 - "$DATA/${DIR[c72]}/repodata/repomd.xml" "$C72/repodata/repomd.xml" <<'EOF'
import re, sys
s = open(sys.argv[1], encoding="utf-8").read()
t, n = re.subn(r'\s*<data type="filelists">.*?</data>', '', s, flags=re.S)
assert n == 1, n
open(sys.argv[2], "w", encoding="utf-8").write(t)
EOF
diff "$DATA/${DIR[c72]}/repodata/repomd.xml" "$C72/repodata/repomd.xml" > "$RAW/c72-repomd.diff"

# --- common dnf options ---------------------------------------------------------------------
# best / skip_if_unavailable pinned so the host /etc/dnf/dnf.conf does not matter
# (Debian ships best=False, skip_if_unavailable=True; libdnf's built-in defaults are
# best=False, skip_if_unavailable=False; Fedora/RHEL dnf.conf ship best=True).
COMMON=(--setopt=reposdir=/dev/null --setopt=skip_if_unavailable=False --disableplugin=versionlock
        --releasever=9 -q)

MANIFEST=$OUT/manifest.tsv
printf 'case\tbasearch\trepos\tcheck\tdnf_exit\tseconds\tnotes\n' > "$MANIFEST"

# run_case CASE FORCEARCH "n1,n2" "c1,c2|-" "note" [extra dnf args...]
run_case() {
  local case=$1 arch=$2 repos=$3 check=$4 note=$5; shift 5
  local args=() reposcol=() n c
  IFS=, read -r -a rl <<< "$repos"
  for n in "${rl[@]}"; do
    args+=("--repofrompath=$n,${PATH_FOR[$n]}" --repo "$n")
    reposcol+=("$n=${DIR[$n]}")
  done
  if [[ $check != - ]]; then
    IFS=, read -r -a cl <<< "$check"
    for c in "${cl[@]}"; do args+=(--check "$c"); done
  fi
  local ir; ir=$(mktemp -d "$WORK/root.XXXXXX")
  local cmd=(dnf repoclosure "${args[@]}" "${COMMON[@]}" --installroot="$ir" --forcearch="$arch" "$@")
  printf '%q ' "${cmd[@]}" | sed 's/ $/\n/' > "$RAW/$case.cmd"
  echo "== $case: $(cat "$RAW/$case.cmd")" >&2
  /usr/bin/time -v -o "$RAW/$case.time" "${cmd[@]}" > "$RAW/$case.stdout" 2> "$RAW/$case.stderr"
  local rc=$?
  local secs rss
  secs=$(awk -F': ' '/Elapsed \(wall clock\)/{n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$RAW/$case.time")
  rss=$(awk -F': ' '/Maximum resident set size/{print $2}' "$RAW/$case.time")
  local summ
  if summ=$(python3 "$OUT/normalize.py" --stderr "$RAW/$case.stderr" --summary \
              < "$RAW/$case.stdout" 2>&1 > "$OUT/$case.txt"); then :; else
    summ="NORMALIZE-FAILED: $summ"
  fi
  LC_ALL=C sort -c "$OUT/$case.txt" || summ="$summ NOT-SORTED"
  reposcol=$(IFS=,; echo "${reposcol[*]}")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$case" "$arch" "$reposcol" "$check" "$rc" "$secs" \
    "$summ maxrss_kb=$rss${note:+; $note}" >> "$MANIFEST"
  echo "   exit=$rc secs=$secs $summ rss=${rss}KB" >&2
  rm -rf "$ir"
}

BEST_FALSE=--setopt=best=False
BEST_TRUE=--setopt=best=True

# --- single repos ----------------------------------------------------------------------------
run_case c75           x86_64  c75           - "" $BEST_FALSE
PATH_FOR[c72]=$C72
run_case c72           x86_64  c72           - "dnf given a copy of the repo whose repomd.xml lacks the (absent) filelists entry, see raw/c72-repomd.diff" $BEST_FALSE
PATH_FOR[c72]=$DATA/${DIR[c72]}
run_case c72-asis      x86_64  c72           - "original repo: dnf refuses it (absent filelists.xml.gz), nothing checked" $BEST_FALSE
run_case cs9-baseos    x86_64  cs9-baseos    - "" $BEST_FALSE
run_case cs9-appstream x86_64  cs9-appstream - "modular filtering hides 516 of 17649 pkgs" $BEST_FALSE
run_case ocata         x86_64  ocata         - "" $BEST_FALSE
run_case mitaka        x86_64  mitaka        - "" $BEST_FALSE
run_case pgdg          x86_64  pgdg          - "" $BEST_FALSE
run_case azl3          x86_64  azl3          - "" $BEST_FALSE
run_case yocto         x86_64  yocto         - "k1om/knightscorner/all pkgs are checked but never provide (arch not installable for x86_64)" $BEST_FALSE
run_case zfs           x86_64  zfs           - "src pkgs checked" $BEST_FALSE
run_case tizen         armv7l  tizen         - "" $BEST_FALSE
run_case tizen-armv7hl armv7hl tizen         - "armv7l pkgs checked but never provide (armv7hl arch policy excludes armv7l)" $BEST_FALSE
run_case el6-go        x86_64  el6-go        - "" $BEST_FALSE
run_case al2023        x86_64  al2023        - "src pkgs checked" $BEST_FALSE

# --- combinations ----------------------------------------------------------------------------
run_case ocata+c75                 x86_64 ocata,c75                ocata                    "" $BEST_FALSE
run_case mitaka+c75                x86_64 mitaka,c75               mitaka                   "" $BEST_FALSE
run_case cs9-appstream+cs9-baseos  x86_64 cs9-appstream,cs9-baseos cs9-appstream,cs9-baseos "" $BEST_FALSE
run_case zfs+cs9-baseos            x86_64 zfs,cs9-baseos           zfs                      "" $BEST_FALSE

# --- same combinations with best=True (Fedora/RHEL dnf.conf default): providers = latest per arch
run_case ocata+c75-best                x86_64 ocata,c75                ocata                    "best=True" $BEST_TRUE
run_case mitaka+c75-best               x86_64 mitaka,c75               mitaka                   "best=True" $BEST_TRUE
run_case cs9-appstream+cs9-baseos-best x86_64 cs9-appstream,cs9-baseos cs9-appstream,cs9-baseos "best=True" $BEST_TRUE
run_case zfs+cs9-baseos-best           x86_64 zfs,cs9-baseos           zfs                      "best=True" $BEST_TRUE

# --- benchmarks ----------------------------------------------------------------------------------
if [[ ${SKIP_BENCH:-0} != 1 ]]; then
  AS=$(ls "$DATA/${DIR[cs9-appstream]}"/repodata/*-primary.xml.gz)
  BO=$(ls "$DATA/${DIR[cs9-baseos]}"/repodata/*-primary.xml.gz)
  hyperfine -w1 -r3 --export-markdown "$RAW/bench-zcat.md" --export-json "$RAW/bench-zcat.json" \
    "zcat $AS $BO >/dev/null"
  BR=$WORK/bench-root
  BENCH_CMD="dnf repoclosure --repofrompath=cs9-appstream,$DATA/${DIR[cs9-appstream]} --repo cs9-appstream --repofrompath=cs9-baseos,$DATA/${DIR[cs9-baseos]} --repo cs9-baseos --check cs9-appstream --check cs9-baseos ${COMMON[*]} --installroot=$BR --forcearch=x86_64 $BEST_FALSE >/dev/null 2>&1"
  # cold: fresh installroot (no dnf cache: librepo copy + libsolv parse of primary/filelists/modules)
  hyperfine -i -r3 --prepare "rm -rf $BR" --export-markdown "$RAW/bench-dnf-cold.md" --export-json "$RAW/bench-dnf-cold.json" \
    "$BENCH_CMD"
  # warm: installroot kept between runs (dnf reuses its .solv/.solvx cache)
  hyperfine -i -w1 -r3 --export-markdown "$RAW/bench-dnf-warm.md" --export-json "$RAW/bench-dnf-warm.json" \
    "$BENCH_CMD"
  printf '%s\n' "$BENCH_CMD" > "$RAW/bench-dnf.cmd"
  printf '%s\n' "zcat $AS $BO >/dev/null" > "$RAW/bench-zcat.cmd"
fi
echo "done: $MANIFEST" >&2
