#!/usr/bin/env bash
# Worker processes: a crash and a hang each cost one scenario or seed, statics are per worker, interruption keeps results.
set -uo pipefail
coop=$1 lib=$2 here=$3 src=$4 tmp=$5
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
run() { local want=$1; shift; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; [ "$rc" -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "exit $rc, wanted $want: $*"; }; }
# Under AddressSanitizer a null read would be turned into a report and an abort: let it be the signal it is.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:handle_segv=0"

# A crash in one scenario is that scenario's CRASH; those after it still run, and the reports are written.
run 1 "$coop" run --load "$lib" "$here/pass.scn" "$here/crash.scn" "$here/keep.scn" --tap "$tmp/r.tap" --junit "$tmp/r.xml"
grep -q "^CRASH $here/crash.scn" "$tmp/out" || fail "no CRASH line"
grep -q "died of SIGSEGV" "$tmp/out" || fail "no signal name"
grep -q "task crasher#1 was running, resumed at line" "$tmp/out" || fail "the crashing task is not named"
grep -q '"text":"about to crash"' "$tmp/out" || fail "no last trace events"
grep -q "^PASS $here/keep.scn" "$tmp/out" || fail "the run did not go on after the crash"
grep -q "2 passed, 0 failed, 1 crashed, 0 timed out, 0 errors" "$tmp/out" || fail "summary"
grep -q "^not ok 2 - $here/crash.scn" "$tmp/r.tap" || fail "TAP"
grep -q 'type="CRASH"' "$tmp/r.xml" || fail "JUnit"
line=$(grep "reproduce:" "$tmp/out" | sed 's/.*reproduce: //')
[ -n "$line" ] || fail "no reproduce line"
$line >"$tmp/again" 2>&1; [ $? -eq 1 ] || fail "the reproduce line does not crash again"
grep -q "^CRASH" "$tmp/again" || fail "the reproduce line is not a CRASH"
# The same with two workers, in the same order.
run 1 "$coop" run -j 2 --load "$lib" "$here/pass.scn" "$here/crash.scn" "$here/keep.scn"
grep -c "^PASS" "$tmp/out" | grep -q 2 || fail "-j 2: the run did not go on"

# A step that never returns is a TIMEOUT after --timeout; the worker is replaced and the run goes on.
run 1 "$coop" run -j 2 --timeout=1s --load "$lib" "$here/spin.scn" "$here/pass.scn" "$here/keep.scn"
grep -q "^TIMEOUT $here/spin.scn" "$tmp/out" || fail "no TIMEOUT line"
grep -q "still running after 1s (the --timeout) while task spinner#1 was running, resumed at line" "$tmp/out" \
  || fail "the running task or its resume point is not named"
grep -q "2 passed, 0 failed, 0 crashed, 1 timed out, 0 errors" "$tmp/out" || fail "timeout summary"

# State in statics: with a thread per job, runs would overwrite each other's; with processes, every seed passes.
run 0 "$coop" explore --load "$lib" "$here/keep.scn" --seeds 0..300 --faults none -j 2 -q
grep -q "300 seeds run: 300 passed, 0 failed" "$tmp/out" || fail "statics shared between runs"

# explore: a crashing seed is a failure group with its task, and the sweep goes on.
run 1 "$coop" explore --load "$lib" "$here/crash.scn" --seeds 0..6 -j 2 --out "$tmp/repro" -q
grep -q "6 seeds run: 0 passed, 6 failed, 1 distinct" "$tmp/out" || fail "explore: crashes not counted"
grep -q "failure 1: crash SIGSEGV in task crasher" "$tmp/out" || fail "explore: crash signature"
grep -q "checked: fails the same way" "$tmp/out" || fail "explore: crash reproducer not checked"

# Chunks of many seeds: when a worker crashes, the seeds of its chunk that it had not reported run again
# elsewhere, so every seed is counted once whatever -j is.
run 1 "$coop" explore --load "$lib" "$here/flaky.scn" --seeds 0..3000 --faults points -j 1 -q
mv "$tmp/out" "$tmp/flaky1"
run 1 "$coop" explore --load "$lib" "$here/flaky.scn" --seeds 0..3000 --faults points -j 2 -q
cmp -s "$tmp/flaky1" "$tmp/out" || { diff "$tmp/flaky1" "$tmp/out"; fail "explore -j 2 differs from -j 1 with crashes"; }
grep -qE "^3000 seeds run: [0-9]+ passed, [1-9][0-9]* failed, 1 distinct" "$tmp/out" || { cat "$tmp/out"; fail "flaky sweep"; }
p=$(sed -nE 's/^3000 seeds run: ([0-9]+) passed, ([0-9]+) failed.*/\1/p' "$tmp/out")
f=$(sed -nE 's/^failure 1: crash SIGSEGV in task flaky .*\(([0-9]+) seed\(s\).*/\1/p' "$tmp/out")
[ -n "$p" ] && [ -n "$f" ] && [ $((p + f)) -eq 3000 ] || fail "crashed and passed seeds do not add up: $p + $f"

# explore: a seed that never ends is a TIMEOUT group; the other seeds still run.
run 1 "$coop" explore --load "$lib" "$here/spin.scn" --seeds 0..2 --timeout=1s -j 2 -q
grep -q "2 seeds run: 0 passed, 2 failed, 1 distinct" "$tmp/out" || { cat "$tmp/out"; fail "explore: timeouts not counted"; }
grep -q "failure 1: timeout in task spinner (resumed at line" "$tmp/out" || fail "explore: timeout signature"

# Interruption: the first SIGINT stops the sweep; the summary, the groups and the reproducers so far are written.
COOP_TEST_MARK="$tmp/int.mark" "$coop" explore --load "$lib" "$here/failer.scn" --seeds 0..100000000 --faults points \
  -j 2 -q --out "$tmp/int" >"$tmp/int.out" 2>"$tmp/int.err" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/int.mark" ] && break; sleep 0.1; done
[ -e "$tmp/int.mark" ] || fail "explore did not get going"
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || { cat "$tmp/int.out" "$tmp/int.err"; fail "explore after SIGINT: exit $rc"; }
grep -qE "^[0-9]+ seeds run: .* [1-9][0-9]* failed, .*seeds not run: interrupted" "$tmp/int.out" \
  || { cat "$tmp/int.out"; fail "no partial summary"; }
grep -q "^failure 1: " "$tmp/int.out" || fail "no failure group after SIGINT"
grep -q "written: $tmp/int/failer-seed.*checked: fails the same way" "$tmp/int.out" || fail "no reproducer after SIGINT"
ls "$tmp"/int/failer-seed*.scn >/dev/null || fail "the reproducer file is missing"
grep -q "interrupted by SIGINT" "$tmp/int.err" || fail "no interruption message"

# Interrupting run: a scenario that never ends is abandoned after the grace period, and the reports are written.
"$coop" run --load "$lib" "$here/pass.scn" "$here/spin.scn" "$here/keep.scn" --tap "$tmp/i.tap" --junit "$tmp/i.xml" \
  >"$tmp/irun.out" 2>"$tmp/irun.err" &
pid=$!
for _ in $(seq 100); do sleep 0.1; grep -q "^PASS" "$tmp/irun.out" && break; done
sleep 0.5
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 143 ] || { cat "$tmp/irun.out" "$tmp/irun.err"; fail "run after SIGTERM: exit $rc"; }
grep -q "^1 passed, 0 failed, 0 crashed, 0 timed out, 0 errors, 2 not run (interrupted)" "$tmp/irun.out" \
  || { cat "$tmp/irun.out"; fail "run: no partial summary"; }
grep -q "^ok 2 - .*spin.scn # SKIP not run" "$tmp/i.tap" || fail "run: TAP after SIGTERM"
grep -q '<skipped' "$tmp/i.xml" || fail "run: JUnit after SIGTERM"

# With two workers, a scenario that finished after one abandoned is still printed and counted once.
COOP_TEST_MARK="$tmp/spin2.mark" "$coop" run -j 2 --load "$lib" "$here/spin.scn" "$here/pass.scn" \
  >"$tmp/irun2.out" 2>"$tmp/irun2.err" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/spin2.mark" ] && break; sleep 0.1; done
# The other worker's scenario ends meanwhile, or within the grace period after the signal.
sleep 2
kill -TERM "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 143 ] || { cat "$tmp/irun2.out" "$tmp/irun2.err"; fail "run -j 2 after SIGTERM: exit $rc"; }
grep -q "^PASS $here/pass.scn" "$tmp/irun2.out" || { cat "$tmp/irun2.out"; fail "the finished scenario was not printed"; }
grep -q "^1 passed, .* 1 not run (interrupted)" "$tmp/irun2.out" || { cat "$tmp/irun2.out"; fail "counted twice or not at all"; }

# A second signal ends the command at once, without waiting for the step that never returns.
COOP_TEST_MARK="$tmp/spin.mark" "$coop" explore --load "$lib" "$here/spin.scn" --seeds 0..10 -q \
  >"$tmp/twice.out" 2>"$tmp/twice.err" &
pid=$!
for _ in $(seq 600); do [ -e "$tmp/spin.mark" ] && break; sleep 0.1; done
[ -e "$tmp/spin.mark" ] || fail "the spinning seed did not start"
kill -INT "$pid"; sleep 0.2; kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 130 ] || fail "a second SIGINT: exit $rc"
grep -q "seeds run" "$tmp/twice.out" && fail "a second SIGINT still printed the summary"
pgrep -f "spin.scn --seeds 0..10" >/dev/null && fail "a worker outlived the command"

echo "coop workers: all checks passed"
