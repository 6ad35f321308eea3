#!/usr/bin/env bash
# The peer comparison in one run on one folder: neardup three times, gaoya, neardup twice,
# datasketch, neardup three times, gaoya again, neardup twice, then the floor; each result
# scored against the truth file. Times and peak memory come from /usr/bin/time.
# Usage: sequence.sh NEARDUP_BINARY FOLDER TRUTH [PYTHON]
#   (PYTHON: an interpreter with gaoya==0.2.2 and datasketch==2.0.0; default python3)
set -euo pipefail
bin=$1; dir=$2; truth=$3; py=${4:-python3}
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
nd() {
  /usr/bin/time -f "neardup %e s %M KB" -o "$out/t" "$bin" scan "$dir" --format json \
    > "$out/neardup.json" 2>/dev/null
  cat "$out/t"
}
peer() { /usr/bin/time -f "$1 %e s %M KB" "$py" "$here/$1_scan.py" "$dir" > "$out/$1.json"; }
nd; nd; nd; peer gaoya; nd; nd; peer datasketch; nd; nd; nd; peer gaoya; nd; nd
( cd "$here/../.." && cargo run --quiet --release --example floor -- "$dir" )
for r in neardup gaoya datasketch; do
  echo "== $r"
  "$bin" eval --truth "$truth" "$out/$r.json"
done
