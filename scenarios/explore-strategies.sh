#!/usr/bin/env bash
# coop explore --strategy on the planted bugs: each finds its bug, the printed line replays it, and the fixes pass.
set -uo pipefail
coop=$1 dir=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }

# Runs explore with the given arguments, wants exit status 1 and a reproduce line that fails under coop run, twice alike.
finds() {
  "$coop" explore "$@" >"$tmp/out" 2>&1
  local rc=$?
  cat "$tmp/out"
  [ "$rc" -eq 1 ] || fail "explore $* should find the bug (exit 1), got $rc"
  grep -q 'checked: the schedule fails the same way under coop run' "$tmp/out" || fail "explore $*: not checked"
  local line
  line=$(grep 'reproduce:' "$tmp/out" | sed 's/.*reproduce: //')
  [ -n "$line" ] || fail "explore $*: no reproduce line"
  $line --trace "$tmp/trace1" >"$tmp/run1" 2>&1; [ $? -eq 1 ] || fail "the reproduce line passes: $line"
  $line --trace "$tmp/trace2" >"$tmp/run2" 2>&1
  cmp -s "$tmp/trace1" "$tmp/trace2" || fail "the reproduce line runs differently twice: $line"
  grep -q -- "--schedule" "$tmp/run1" || fail "coop run's own reproduce line lacks the schedule"
}

# Runs explore with the given arguments and wants exit status 0 with every schedule passing.
passes() {
  "$coop" explore "$@" >"$tmp/out" 2>&1
  local rc=$?
  cat "$tmp/out"
  [ "$rc" -eq 0 ] || fail "explore $* should pass (exit 0), got $rc"
  grep -qE '^all [0-9]+ schedules pass' "$tmp/out" || fail "explore $*: no 'all N schedules pass'"
}

bugs="init-order:1 torn-copy:2 window:3"
for b in $bugs; do
  name=${b%%:*} depth=${b##*:}
  finds "$dir/buggy-$name.scn" --strategy pct --depth "$depth" --seeds 0..20000
  finds "$dir/buggy-$name.scn" --strategy exhaustive
  passes "$dir/buggy-$name-fixed.scn" --strategy exhaustive
  passes "$dir/buggy-$name-fixed.scn" --strategy pct --depth "$depth" --seeds 0..300
  # In first-in, first-out order every planted bug passes.
  "$coop" run "$dir/buggy-$name.scn" >/dev/null || fail "buggy-$name fails in FIFO order"
done
finds "$dir/buggy-handoff.scn" --strategy random --seeds 0..1000

# buggy-retry needs a fault (points) and an ordering: without faults every schedule passes, with them
# pct and exhaustive find it, the schedule carries the fault decisions, and the fix passes them all.
passes "$dir/buggy-retry.scn" --strategy exhaustive
passes "$dir/buggy-retry.scn" --strategy pct --depth 2 --seeds 0..300
finds "$dir/buggy-retry.scn" --strategy pct --depth 2 --faults points --seeds 0..1000
grep -qE 'schedule: [0-9a-fx.]+/[01x.]*1' "$tmp/out" || fail "the pct schedule does not fire a fault"
grep -q 'faults points (1 fired per run)' "$tmp/out" || fail "pct does not name its faults"
finds "$dir/buggy-retry.scn" --strategy exhaustive --faults points
grep -qE 'schedule: [0-9a-fx.]+/[01x.]*1' "$tmp/out" || fail "the exhaustive schedule does not fire a fault"
finds "$dir/buggy-retry.scn" --strategy random --faults points --seeds 0..10000
passes "$dir/buggy-retry-fixed.scn" --strategy pct --depth 2 --faults points --seeds 0..300
grep -q 'up to 1 fault decision)' "$tmp/out" || fail "pct does not say how many fault decisions a run made"
passes "$dir/buggy-retry-fixed.scn" --strategy exhaustive --faults points
grep -q 'all 90 schedules pass' "$tmp/out" || fail "the fix's exhaustive count with one fault changed"
passes "$dir/buggy-retry-fixed.scn" --strategy exhaustive --faults points --fault-depth 0
grep -q 'all 12 schedules pass' "$tmp/out" || fail "with no fault fired the count is the faultless one"
"$coop" explore "$dir/buggy-retry.scn" --strategy exhaustive >"$tmp/out" 2>&1
grep -q 'all 12 schedules pass' "$tmp/out" || fail "faults off: the count changed"
# The network's faults are choice points too: a refused connect and a reset break echo-basic, found and replayed.
# A scripted peer's connect is refused only when the scenario lets faults hit its peers.
passes "$dir/echo-basic.scn" --strategy exhaustive --faults refuse
{ cat "$dir/echo-basic.scn"; echo "fault-peers on"; } >"$tmp/echo-peers.scn"
finds "$tmp/echo-peers.scn" --strategy exhaustive --faults refuse
grep -q 'schedule: 0/1$' "$tmp/out" || fail "exhaustive should refuse the first connect"
finds "$dir/echo-basic.scn" --strategy pct --faults reset --seeds 0..1000
finds "$dir/echo-basic.scn" --strategy random --faults reset --seeds 0..1000
# The fault decisions replay under coop run: the found schedule fails, and without its fault part it passes.
"$coop" run "$dir/buggy-retry.scn" --faults points --schedule 0011/1 >/dev/null 2>&1
[ $? -eq 1 ] || fail "0011/1 should fail"
"$coop" run "$dir/buggy-retry.scn" --faults points --schedule 0011/0 >/dev/null 2>&1
[ $? -eq 0 ] || fail "0011/0 should pass"

# A bound that cuts the search short says so.
"$coop" explore "$dir/buggy-window-fixed.scn" --strategy exhaustive --bound 3 >"$tmp/out" 2>&1
[ $? -eq 0 ] || fail "a cut search with no failure exits 0"
grep -q 'the bound cut the search short: 3 schedules pass' "$tmp/out" || { cat "$tmp/out"; fail "no word of the cut"; }

# With fault decisions as choice points the bound still counts schedules, and says when it cut the search.
"$coop" explore "$dir/buggy-retry-fixed.scn" --strategy exhaustive --faults points --bound 20 >"$tmp/out" 2>&1
[ $? -eq 0 ] || fail "a cut search with faults and no failure exits 0"
grep -q 'the bound cut the search short: 20 schedules pass' "$tmp/out" || { cat "$tmp/out"; fail "no word of the cut"; }

# Bad values are usage errors.
for args in "--strategy nosuch" "--strategy pct --depth 0" "--strategy exhaustive --bound 0" "--independence some" \
  "--strategy pct --fault-depth 17" "--strategy pct --fault-depth x"; do
  # shellcheck disable=SC2086
  "$coop" explore "$dir/buggy-window.scn" $args >/dev/null 2>&1
  [ $? -eq 2 ] || fail "explore $args should be a usage error"
done
"$coop" run "$dir/buggy-window.scn" --schedule 1q >/dev/null 2>&1
[ $? -eq 2 ] || fail "a malformed schedule should be a usage error"
for sched in 1/2 /1 1/ 0/1/1; do
  "$coop" run "$dir/buggy-retry.scn" --schedule "$sched" >/dev/null 2>&1
  [ $? -eq 2 ] || fail "the malformed schedule $sched should be a usage error"
done
echo "every strategy found its planted bug, each printed schedule replays, and every fix passes"
