#!/usr/bin/env bash
# coop shrink: every planted bug's failing reproducer, and one a fault causes, shrinks to at most 1.5 times
# the hand-written minimal scenario, the same bytes twice, and the result fails the same way under coop run.
# Then the padded scenario loses each kind of padding, explore --shrink writes .min.scn files, a scenario's
# schedule line replays, and bad input is refused.
set -uo pipefail
coop=$1 src=$2 tmp=$3 plugins=$4
here=$src/tests/cli/shrink
rm -rf "$tmp"
mkdir -p "$tmp"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

# Lines other than comments and blank ones.
lines() { grep -cvE '^[[:space:]]*(#|$)' "$1"; }
# The expectation that failed first ("expectation failed: TIME expect KIND WHO ..."): "expect KIND WHO".
failed_expect() { sed -n 's/.*expectation failed: .*\(expect .*\)$/\1/p' "$1" | head -1 | cut -d' ' -f1-3; }

# check NAME MINIMAL INPUT [OVERRIDES...]
check() {
  local name=$1 min=$2 in=$3
  shift 3
  "$coop" run "$in" "$@" >"$tmp/$name.orig.log" 2>&1
  [ $? -eq 1 ] || { fail "$name: the input does not fail"; return; }
  "$coop" shrink "$in" "$@" --out "$tmp/$name.a.scn" >"$tmp/$name.log" 2>&1 || { fail "$name: shrink failed"; cat "$tmp/$name.log"; return; }
  "$coop" shrink "$in" "$@" --out "$tmp/$name.b.scn" >/dev/null 2>&1
  cmp -s "$tmp/$name.a.scn" "$tmp/$name.b.scn" || fail "$name: two shrinks of the same input differ"
  local got want
  got=$(lines "$tmp/$name.a.scn") want=$(lines "$min")
  [ $((2 * got)) -le $((3 * want)) ] || fail "$name: $got lines, more than 1.5 x the $want of $min"
  "$coop" run "$tmp/$name.a.scn" >"$tmp/$name.run.log" 2>&1
  [ $? -eq 1 ] || { fail "$name: the shrunk scenario does not fail under coop run"; cat "$tmp/$name.run.log"; }
  [ "$(failed_expect "$tmp/$name.run.log")" = "$(failed_expect "$tmp/$name.orig.log")" ] ||
    fail "$name: it fails at '$(failed_expect "$tmp/$name.run.log")', not at '$(failed_expect "$tmp/$name.orig.log")'"
  grep -q "removed: .* lines, .* fault classes, .* bytes of data" "$tmp/$name.log" || fail "$name: no summary"
  echo "$name: $got lines (hand-written: $want)"
}

check init-order "$here/buggy-init-order.min.scn" "$src/scenarios/buggy-init-order.scn" --schedule 111111111111
check torn-copy "$here/buggy-torn-copy.min.scn" "$src/scenarios/buggy-torn-copy.scn" --schedule 00111111111111
check window "$here/buggy-window.min.scn" "$src/scenarios/buggy-window.scn" --schedule 0011111111111111
check handoff "$here/buggy-handoff.min.scn" "$src/scenarios/buggy-handoff.scn" --seed 1 --faults 0x154 --ties permute

# A failure that faults cause, as a seed sweep finds it: explore --shrink writes the shrunk reproducer beside.
"$coop" explore "$src/scenarios/echo-basic.scn" --seeds 0..5 -q --out "$tmp/explore" --shrink >"$tmp/explore.log" 2>&1
[ $? -eq 1 ] || fail "explore --shrink: the sweep should fail"
grep -q "shrunk: $tmp/explore/echo-basic-seed3.min.scn" "$tmp/explore.log" || { fail "explore --shrink does not say it shrank"; cat "$tmp/explore.log"; }
[ -f "$tmp/explore/echo-basic-seed3.min.scn" ] || fail "explore --shrink wrote no .min.scn"
check faults "$here/echo-basic-faults.min.scn" "$tmp/explore/echo-basic-seed3.scn"
# The failure is the fault's: the send whose echo jitter delays stays, and the figures say the cause was kept.
grep -q 'send c1 "hello\\n"' "$tmp/faults.a.scn" || fail "faults: the send the failure needs was dropped"
grep -q '^faults jitter$' "$tmp/faults.a.scn" || fail "faults: the fault class the failure needs is not stated alone"
grep -q "cause kept" "$tmp/faults.log" || fail "faults: the cause is not said to be kept"
cmp -s <(tail -n +2 "$tmp/explore/echo-basic-seed3.min.scn") <(tail -n +2 "$tmp/faults.a.scn") ||
  fail "explore --shrink and coop shrink give different results"
"$coop" explore "$src/scenarios/echo-basic.scn" --seeds 0..5 --shrink >/dev/null 2>&1
[ $? -eq 2 ] || fail "explore --shrink without --out should be a usage error"

# The padded scenario: every kind of padding goes (lines, repeat counts, chunk, items, times, fault classes).
check padded "$here/padded.min.scn" "$here/padded.scn"
cmp <(tail -n +2 "$tmp/padded.a.scn") <(tail -n +2 "$here/padded.expected.scn") || fail "padded: not the expected result"
grep -q "removed: 11 of 15 lines, 4 of 4 fault classes, 120030 of 120032 bytes of data" "$tmp/padded.log" ||
  { fail "padded: not the expected figures"; cat "$tmp/padded.log"; }

# A crash and a hang are failures to keep like any other: each candidate runs in a worker.  Under
# AddressSanitizer the null read would become a report and an abort: let it be the signal it is.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0"
"$coop" shrink "$src/tests/cli/crash.scn" --load "$plugins" --out "$tmp/crash.scn" >"$tmp/crash.log" 2>&1 ||
  fail "shrinking a crashing scenario failed"
grep -q 'fails with "crash SIGSEGV in task crasher' "$tmp/crash.log" || { fail "the crash is not the failure kept"; cat "$tmp/crash.log"; }
[ "$(lines "$tmp/crash.scn")" -eq 1 ] || fail "the crashing scenario should shrink to its program line"
"$coop" shrink "$src/tests/cli/spin.scn" --load "$plugins" --timeout 1s --out "$tmp/spin.scn" >"$tmp/spin.log" 2>&1 ||
  fail "shrinking a hanging scenario failed"
grep -q 'fails with "timeout in task spinner' "$tmp/spin.log" || { fail "the timeout is not the failure kept"; cat "$tmp/spin.log"; }

# A schedule line replays a schedule: without it the same scenario passes.
grep -v '^schedule' "$here/buggy-init-order.min.scn" >"$tmp/no-schedule.scn"
"$coop" run "$tmp/no-schedule.scn" >/dev/null 2>&1 || fail "without its schedule line, the scenario should pass"
printf 'program buggy-init-order\nschedule 1z\n' >"$tmp/bad-schedule.scn"
"$coop" run "$tmp/bad-schedule.scn" >"$tmp/bad.log" 2>&1
[ $? -eq 2 ] && grep -q "bad-schedule.scn:2:10: error: bad schedule '1z'" "$tmp/bad.log" || fail "a bad schedule line is not refused"

# Bad input: a passing scenario (1), a malformed one (2, file:line:col), usage errors (2).
"$coop" shrink "$src/scenarios/buggy-init-order.scn" >"$tmp/pass.log" 2>&1
[ $? -eq 1 ] && grep -q "passes with these settings" "$tmp/pass.log" || fail "a passing scenario should exit 1 with a message"
printf 'program buggy-init-order\n10ms expect exit worker\n' >"$tmp/malformed.scn"
"$coop" shrink "$tmp/malformed.scn" >"$tmp/malformed.log" 2>&1
[ $? -eq 2 ] && grep -q "malformed.scn:2:.*: error:" "$tmp/malformed.log" || { fail "a malformed scenario should exit 2 with file:line:col"; cat "$tmp/malformed.log"; }
"$coop" shrink >/dev/null 2>&1; [ $? -eq 2 ] || fail "no file should be a usage error"
"$coop" shrink --scedule 1 x.scn 2>"$tmp/opt.log"; [ $? -eq 2 ] && grep -q "schedule" "$tmp/opt.log" || fail "a misspelt option should be a usage error with a suggestion"
"$coop" shrink --help | grep -q "usage: coop shrink" || fail "no --help"

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
echo "coop shrink: all checks passed"
