#!/usr/bin/env bash
# Traces as a user meets them: the Chrome export's details, bounded runs, and coop trace on bad or hostile input.
set -uo pipefail
coop=$1 tmp=$2
rm -rf "$tmp" && mkdir -p "$tmp"
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { local want=$1; shift; "$@" >out 2>err; local rc=$?; [ "$rc" -eq "$want" ] || { cat out err; fail "exit $rc, wanted $want: $*"; }; }
has() { grep -qF -- "$1" "${2:-out}" || { cat out err; fail "no '$1' in ${2:-out}"; }; }

# The Chrome export: thread names, every field in args, slices as long as the step's cost.
cat >export.scn <<'SCN'
program echo --port 7000
step-cost 250us
0ms     connect c1 7000
+10ms   send c1 "hi\n"
        expect recv c1 "hi\n"
+5ms    close c1
SCN
expect_rc 0 "$coop" run export.scn --trace export.json --trace-format chrome
python3 - export.json <<'PY' || fail "the Chrome export lacks its details"
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
names = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
assert names[(1, 0)] == "network", names
assert "echo-acceptor" in names.values() and "echo-client" in names.values(), names
slices = [e for e in events if e["ph"] == "X"]
assert slices and all(abs(e["dur"] - 250.0) < 1e-9 for e in slices), slices[:3]
assert all(e["args"]["ev"] in ("yield", "exit", "kill", "fail") and e["args"]["cost_ns"] == 250000 for e in slices)
logs = [e for e in events if e["ph"] == "i" and e["name"] == "log"]
assert any("connected" in e["args"]["text"] for e in logs), logs
wakes = [e for e in events if e["name"] == "wake"]
assert any(e["args"]["reason"] == "io" and isinstance(e["args"]["fd"], int) for e in wakes), wakes
nets = [e for e in events if e["name"] == "net"]
assert nets and all(e["tid"] == 0 and "conn" in e["args"] and "what" in e["args"] for e in nets), nets[:3]
sends = [e for e in nets if e["args"]["what"] == "send"]
assert sends and sends[0]["args"]["len"] == 3, sends
PY
# The same export from the JSON Lines trace.
expect_rc 0 "$coop" run export.scn --trace export.jsonl
expect_rc 0 "$coop" trace --to chrome export.jsonl -o again.json
cmp -s export.json again.json || fail "coop trace --to chrome differs from run --trace-format chrome"

# A run that never ends keeps a bounded trace: it stops at the event limit, its trace streamed to the file.
# (Without `expect end trace-limit` it would fail, as any limit does: leaks.sh checks that with time-limit.)
printf 'program probe ticker 1\nexpect end trace-limit\n' >forever.scn
expect_rc 0 "$coop" run forever.scn --trace forever.jsonl
has "ended trace-limit"
lines=$(wc -l <forever.jsonl)
[ "$lines" -ge 2097152 ] && [ "$lines" -le $((2097152 + 65536)) ] || fail "forever.jsonl has $lines lines"
tail -1 forever.jsonl | grep -q '"ev":"end","status":"trace-limit"' || fail "the trace does not end at its limit"

# coop trace refuses what is not a trace, with coop: error-style messages and exit 2.
expect_rc 2 "$coop" trace "$tmp"
has "coop trace: error: $tmp: Is a directory" err
expect_rc 2 "$coop" trace --to text "$tmp"
expect_rc 2 "$coop" trace /dev/zero
has "/dev/zero:1:65537: error: line too long" err
head -c 70000 /dev/zero | tr '\0' 'x' >long.jsonl
expect_rc 2 "$coop" trace long.jsonl
# Times and periods at the ends of their ranges, and an exit without a status, summarise without overflow.
cat >edge.jsonl <<'JSONL'
{"t_ns":18446744073709551615,"ev":"spawn","task":"a","tid":1,"prio":10,"period_ns":9223372036854775807}
{"t_ns":18446744073709551615,"ev":"run","task":"a","tid":1}
{"t_ns":18446744073709551615,"ev":"yield","task":"a","tid":1,"call":"yield"}
{"t_ns":9223372036854775807,"ev":"run","task":"a","tid":1}
{"t_ns":0,"ev":"yield","task":"a","tid":1,"call":"yield","cost_ns":18446744073709551615}
{"t_ns":0,"ev":"run","task":"a","tid":1}
{"t_ns":1,"ev":"exit","task":"a","tid":1}
{"t_ns":1,"ev":"spawn","task":"b","tid":-9223372036854775808,"period_ns":-9223372036854775808}
JSONL
expect_rc 0 "$coop" trace edge.jsonl
grep -qE '^a +1 +3 .* exit ' out || { cat out; fail "the summary of edge.jsonl"; }
for f in text chrome jsonl; do expect_rc 0 "$coop" trace --to "$f" edge.jsonl -o "edge.$f"; done
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' edge.chrome || fail "edge.chrome is not JSON"

echo "traces: all checks passed"
