#!/usr/bin/env bash
# The coop command end to end: exit codes, help, the reproduce line, -j order, reports and trace forms.
set -uo pipefail
coop=$1 src=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { local want=$1; shift; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; [ "$rc" -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "exit $rc, wanted $want: $*"; }; }

for cmd in run explore trace programs; do expect_rc 0 "$coop" "$cmd" --help; grep -q usage "$tmp/out" || fail "$cmd --help"; done
expect_rc 0 "$coop" --help
expect_rc 0 "$coop" --version
grep -qE "^coop [0-9]+\.[0-9]+\.[0-9]+$" "$tmp/out" || fail "--version"
expect_rc 2 "$coop"
expect_rc 2 "$coop" frobnicate
expect_rc 2 "$coop" run
expect_rc 2 "$coop" run --no-such-option "$src/scenarios/echo-basic.scn"
expect_rc 2 "$coop" run "$tmp/missing.scn"

# Pass, fail, parse error.
expect_rc 0 "$coop" run "$src/scenarios/echo-basic.scn"
printf 'program echo\n0ms connect c1 7000\n+10ms send c1 "hi"\n+1ms expect recv c1 "ho"\n' >"$tmp/fail.scn"
expect_rc 1 "$coop" run "$tmp/fail.scn"
grep -q "fail.scn:4:1: expectation failed" "$tmp/out" || fail "no failure position"
grep -q "trace around line 4 " "$tmp/out" || fail "no trace around the failed expectation"
line=$(grep "reproduce:" "$tmp/out" | sed 's/.*reproduce: //')
[ -n "$line" ] || fail "no reproduce line"
$line >"$tmp/again" 2>&1; [ $? -eq 1 ] || fail "the reproduce line does not fail"
printf 'program echo\nsend c9 "x"\n' >"$tmp/bad.scn"
expect_rc 2 "$coop" run "$tmp/bad.scn"
grep -q "^$tmp/bad.scn:2:6: error: unknown peer 'c9'" "$tmp/out" || fail "parse error format"
printf 'program nosuch\n' >"$tmp/noprog.scn"
expect_rc 2 "$coop" run "$tmp/noprog.scn"
# A parse error outranks a failure.
expect_rc 2 "$coop" run "$tmp/fail.scn" "$tmp/bad.scn"

# -j never changes the output, wall-clock durations aside.
walltimes() { sed -E 's/(, |\()[0-9][0-9.hm]*(us|ms|s|m)\)$/\1)/; s/ in [0-9][0-9.hm]*(us|ms|s|m)$//' "$1"; }
"$coop" run -j 1 "$src/scenarios" >"$tmp/j1" 2>&1
"$coop" run -j 2 "$src/scenarios" "$tmp/fail.scn" >"$tmp/j2a" 2>&1
"$coop" run -j 1 "$src/scenarios" "$tmp/fail.scn" >"$tmp/j1a" 2>&1
cmp -s <(walltimes "$tmp/j1a") <(walltimes "$tmp/j2a") || fail "-j 2 output differs from -j 1"

# Reports and traces.
expect_rc 1 "$coop" run "$src/scenarios/echo-basic.scn" "$tmp/fail.scn" --tap "$tmp/r.tap" --junit "$tmp/r.xml"
grep -q "^not ok 2 - " "$tmp/r.tap" || fail "TAP"
grep -q 'failures="1"' "$tmp/r.xml" || fail "JUnit"
for f in jsonl text chrome; do
  expect_rc 0 "$coop" run "$src/scenarios/echo-basic.scn" --trace "$tmp/t.$f" --trace-format "$f"
  [ -s "$tmp/t.$f" ] || fail "no $f trace"
done
expect_rc 2 "$coop" run "$src/scenarios" --trace "$tmp/x"
expect_rc 0 "$coop" trace "$tmp/t.jsonl"
grep -q "echo-client" "$tmp/out" || fail "trace summary"
expect_rc 0 "$coop" trace --to text "$tmp/t.jsonl" -o "$tmp/conv.txt"
cmp -s "$tmp/conv.txt" "$tmp/t.text" || fail "trace --to text differs from run --trace-format text"

# explore: shards split the seeds, and the union is the whole sweep.
"$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..60 -q >"$tmp/all" 2>/dev/null
"$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..60 -q --shard 1/2 >"$tmp/s1" 2>/dev/null
"$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..60 -q --shard 2/2 >"$tmp/s2" 2>/dev/null
n() { sed -n 's/.* \([0-9]*\) failed.*/\1/p' "$1" | head -1; }
[ $(( $(n "$tmp/s1") + $(n "$tmp/s2") )) -eq "$(n "$tmp/all")" ] || fail "shards do not add up"
expect_rc 2 "$coop" explore "$src/scenarios/buggy-handoff.scn" --shard 3/2
expect_rc 0 "$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..20 --ties fifo --faults none
# start: a program on the real backend, with timestamped log lines; it ends, its time runs out, or a signal stops it.
expect_rc 0 "$coop" start --help
grep -q "usage: coop start" "$tmp/out" || fail "start --help"
expect_rc 2 "$coop" start
expect_rc 2 "$coop" start nosuch
expect_rc 2 "$coop" start --for 3x blinker
expect_rc 2 "$coop" start --frobnicate blinker
expect_rc 2 "$coop" start echo --no-such-flag 1
expect_rc 0 "$coop" start --for 600ms blinker
# The times are real, so only the form of the line is checked.
grep -qE '^ +[0-9]+\.[0-9]{6} s  led1#1 +\[ *[0-9]+\.[0-9]{3} s\] led1 on$' "$tmp/out" || { cat "$tmp/out"; fail "start: log line"; }
grep -q "coop start: blinker time-up after" "$tmp/err" || fail "start: the end line"
expect_rc 0 "$coop" start probe kill-os
grep -q "probe stopped after" "$tmp/err" || fail "start: KillOs"
expect_rc 1 "$coop" start probe fail-step
grep -q "probe ended after .*, and a step failed" "$tmp/err" || fail "start: a failed step"
expect_rc 1 "$coop" start --stop-on-error probe fail-step
grep -q "probe failed after" "$tmp/err" || fail "start: --stop-on-error"

# SIGINT ends the echo server while it serves a real connection.  The port is
# picked at random, and picked again when it is taken.
started=
for attempt in 1 2 3 4 5; do
  port=$((20000 + RANDOM % 30000))
  "$coop" start echo --port "$port" >"$tmp/echo.out" 2>"$tmp/echo.err" &
  pid=$!
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then started=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$started" ] && break
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
done
[ -n "$started" ] || fail "start: the echo server did not listen"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'ping\n' >&3
read -r -t 5 reply <&3 || true
exec 3<&-
[ "$reply" = ping ] || fail "start: echo answered '$reply'"
kill -INT "$pid"
wait "$pid"; rc=$?
[ "$rc" -eq 0 ] || { cat "$tmp/echo.out" "$tmp/echo.err"; fail "start: exit $rc after SIGINT"; }
grep -q "coop start: echo interrupted after" "$tmp/echo.err" || fail "start: interrupted"
grep -qE 'echo-client#[0-9]+ +client fd [0-9]+ connected' "$tmp/echo.out" || { cat "$tmp/echo.out"; fail "start: echo log"; }

echo "coop command: all checks passed"
