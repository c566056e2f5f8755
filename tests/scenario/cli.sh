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
grep -q "trace tail" "$tmp/out" || fail "no trace tail"
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

# -j never changes the output.
"$coop" run -j 1 "$src/scenarios" >"$tmp/j1" 2>&1
"$coop" run -j 2 "$src/scenarios" "$tmp/fail.scn" >"$tmp/j2a" 2>&1
"$coop" run -j 1 "$src/scenarios" "$tmp/fail.scn" >"$tmp/j1a" 2>&1
cmp -s "$tmp/j1a" "$tmp/j2a" || fail "-j 2 output differs from -j 1"

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
echo "coop command: all checks passed"
