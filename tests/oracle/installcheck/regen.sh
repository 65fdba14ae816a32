#!/usr/bin/env bash
# Regenerate libsolv's installability answers on the real repositories.
#
#   tests/oracle/installcheck/regen.sh [DATA_DIR] [CASE...]
#
# For every case of manifest.tsv (case, basearch, repos NAME=dirname,..., check),
# runs ../installcheck.py and writes CASE.txt.gz: the uninstallable packages,
# `NEVRA<TAB>REPO`, C-locale sorted; CASE.log: the oracle's stderr (counts, the
# seconds libsolv spent solving). Deterministic (gzip -n).
set -eu -o pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
DATA=${1:-$ROOT/../shared/data/real}
DATA=$(cd "$DATA" && pwd)
shift || true
tail -n +2 "$HERE/manifest.tsv" | while IFS=$'\t' read -r case arch repos check; do
  if [ $# -gt 0 ] && ! printf '%s\n' "$@" | grep -qx -- "$case"; then continue; fi
  args=(--basearch "$arch")
  IFS=, read -ra rs <<<"$repos"
  for r in "${rs[@]}"; do args+=("${r%%=*}=$DATA/${r#*=}"); done
  if [ "$check" != "-" ]; then
    IFS=, read -ra cs <<<"$check"
    for c in "${cs[@]}"; do args+=(--check "$c"); done
  fi
  echo "== $case" >&2
  /usr/bin/python3 "$HERE/../installcheck.py" "${args[@]}" 2>"$HERE/$case.log" | gzip -n -9 >"$HERE/$case.txt.gz"
  cat "$HERE/$case.log" >&2
done
