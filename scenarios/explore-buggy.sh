#!/usr/bin/env bash
# Runs coop explore over the planted bug, then checks that the written reproducer fails deterministically.
set -euo pipefail
coop=$1 scn=$2 out=$3
rm -rf "$out"
set +e
"$coop" explore "$scn" --seeds 0..200 -j 2 -q --out "$out" >"$out.log" 2>&1
rc=$?
set -e
cat "$out.log"
[ "$rc" -eq 1 ] || { echo "explore should have found the bug (exit 1), got $rc"; exit 1; }
grep -q 'checked: fails the same way under coop run' "$out.log" || { echo "no verified reproducer"; exit 1; }
repro=$(ls "$out"/*.scn | head -1)
for i in 1 2; do
  set +e
  "$coop" run "$repro" >"$out.run$i" 2>&1
  rc=$?
  set -e
  [ "$rc" -eq 1 ] || { echo "the reproducer should fail (exit 1), got $rc"; cat "$out.run$i"; exit 1; }
done
# Wall-clock durations ("(3ms)", "in 5ms") are the only part allowed to differ.
walltimes() { sed -E 's/(, |\()[0-9][0-9.hm]*(us|ms|s|m)\)$/\1)/; s/ in [0-9][0-9.hm]*(us|ms|s|m)$//' "$1"; }
cmp <(walltimes "$out.run1") <(walltimes "$out.run2") || { echo "the reproducer's two runs differ"; exit 1; }
# The original scenario, in its own FIFO order, passes.
"$coop" run "$scn" >/dev/null
echo "explore found the planted bug; $repro fails the same way every time"
