#!/usr/bin/env bash
# Strict input and bounded time, as a user meets them: bad scenario files get file:line:col errors and exit 2.
set -uo pipefail
coop=$1 tmp=$2
rm -rf "$tmp" && mkdir -p "$tmp"
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { local want=$1; shift; "$@" >out 2>err; local rc=$?; [ "$rc" -eq "$want" ] || { cat out err; fail "exit $rc, wanted $want: $*"; }; }
has() { grep -qF -- "$1" out || { cat out err; fail "no '$1' in the output"; }; }
# Every line of a JSON Lines file is UTF-8 and parses as JSON.
valid_jsonl() { python3 -c 'import json,sys
for l in open(sys.argv[1], "rb"): json.loads(l.decode("utf-8"))' "$1" || fail "$1 is not valid UTF-8 JSON Lines"; }

# Raw bytes that are not UTF-8 are an error at their column, in a string or a word; escapes name any byte.
printf 'program echo\n0ms connect c1 7000\n+10ms send c1 "a\xffb"\n' >utf8-string.scn
expect_rc 2 "$coop" run utf8-string.scn
has "utf8-string.scn:3:17: error: invalid UTF-8 in a string"
printf 'program echo\n0ms connect c1 7000\n+10ms expect exit w\xc3\x28 0\n' >utf8-word.scn
expect_rc 2 "$coop" run utf8-word.scn
has "utf8-word.scn:3:20: error: invalid UTF-8"
printf 'program echo\n0ms connect c1 7000\n+10ms send c1 "a\\xffb \xc3\xa9"\n        expect recv c1 "a\\xffb \xc3\xa9"\n' >escaped.scn
expect_rc 0 "$coop" run escaped.scn --trace escaped.jsonl
valid_jsonl escaped.jsonl
# A byte-order mark is skipped, not read as a command.
printf '\xef\xbb\xbfprogram echo\n' >bom.scn
expect_rc 0 "$coop" run bom.scn

# A program that rejects its arguments is an error in the file, at the program line.
printf '# blinks\nprogram blinker --periods-ms 100,-5\n+1s expect end running\n' >bad-arg.scn
expect_rc 2 "$coop" run bad-arg.scn
has "bad-arg.scn:2:1: error: program 'blinker' failed to start: EINVAL"
printf 'node a probe ticker 5\nnode b blinker --duration-ms 99999999999999999999\n' >bad-node.scn
expect_rc 2 "$coop" run bad-node.scn
has "bad-node.scn:2:1: error: program 'blinker' failed to start"
# Arguments that would overflow once made nanoseconds are rejected (UBSan builds would trap otherwise).
for arg in 9223372036854775807 -9223372036854775808 99999999999999999999 9223372036855; do
  printf 'program probe ticker %s\n' "$arg" >big.scn
  expect_rc 2 "$coop" run big.scn
  has "big.scn:1:1: error: program 'probe' failed to start: EINVAL"
done
printf 'program probe ticker 9223372036854\ntime-limit 1s\nexpect end time-limit\n' >largest.scn
expect_rc 0 "$coop" run largest.scn

# A jump past the time limit ends the run at the limit: no task step runs beyond it.
printf 'program blinker\n1ms jump 25h\n*  expect end time-limit\n' >jump.scn
expect_rc 0 "$coop" run jump.scn --trace jump.jsonl
valid_jsonl jump.jsonl
python3 - jump.jsonl <<'PY' || fail "a step ran past the time limit"
import json, sys
limit = 24 * 3600 * 10**9
late = [e for e in map(json.loads, open(sys.argv[1])) if e["t_ns"] > limit and e["ev"] in ("run", "yield", "log")]
sys.exit(1 if late else 0)
PY

# Jumps whose sum passes 2^64 ns are found by the parser, at the jump that crosses.
{ echo 'start 1000000h'; echo 'program echo'; for i in 1 2 3 4 5; do echo "${i}ms jump 1281000h"; done; } >overflow.scn
expect_rc 2 "$coop" run overflow.scn
has "overflow.scn:6:1: error: this jump carries the clock past the largest time"
{ echo 'program echo'; for i in 1 2 3 4 5; do echo "${i}ms fault jump 1281000h"; done; } >fault-overflow.scn
expect_rc 2 "$coop" run fault-overflow.scn
has "fault-overflow.scn:6:1: error: this jump carries the clock past the largest time"
# Up to the largest time is fine: the run ends by its limit.
{ echo 'program probe ticker 1'; echo 'time-limit 1281000h'; for i in 1 2 3; do echo "${i}ms jump 1281000h"; done;
  echo '* expect end time-limit'; } >near.scn
expect_rc 0 "$coop" run near.scn
printf 'tick32 on\nstart 1200h\nprogram echo\n' >tick32.scn
expect_rc 2 "$coop" run tick32.scn
has "tick32.scn:2:1: error: with tick32 on, the start offset must be below 2^32 ms"

# Allocation faults at the highest rate still let the program start; explore finds no start failures.
printf 'faults alloc\nfault-rate 100\nprogram probe ticker 1\nrun-until 10ms\n' >alloc.scn
"$coop" run alloc.scn >out 2>&1
grep -q "could not\|failed to start" out && { cat out; fail "allocation faults stopped the start"; }
expect_rc 0 "$coop" explore alloc.scn --seeds 0..20 --faults alloc
grep -q "could not start" out && fail "explore: a start failure"

echo "strict input: all checks passed"
