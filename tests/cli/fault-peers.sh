#!/bin/sh
# Faults hit the program's side: a scripted peer's connect is not refused unless `fault-peers on`.
set -u
COOP=$1
TMP=$2
rm -rf "$TMP"
mkdir -p "$TMP"
cd "$TMP" || exit 1
fails=0
fail() {
    echo "FAIL $1"
    fails=$((fails + 1))
}

printf 'program echo --port 7000\nfaults refuse\nfault-rate 100\n\n0ms connect c1 7000\n+1ms send c1 "hi"\n+0..+5ms expect recv c1 "hi"\n' >peers.scn
"$COOP" run peers.scn >out 2>&1 || { fail "a peer's connect was faulted by default"; cat out; }
(cat peers.scn; echo "fault-peers on") >peers-on.scn
if "$COOP" run peers-on.scn >out 2>&1; then
    fail "fault-peers on did not fault the peer's connect"
fi
grep -q "(state refused)" out || { fail "fault-peers on: not refused"; cat out; }
printf 'program echo\nfault-peers maybe\n' >bad.scn
"$COOP" run bad.scn >out 2>&1
[ $? = 2 ] || fail "a bad fault-peers value is not an error"
grep -q "^bad.scn:2:13: error: expected on or off, found 'maybe'" out || { fail "fault-peers error"; cat out; }
printf 'program echo\nfault-peers on\nfault-peers off\n' >twice.scn
"$COOP" run twice.scn >out 2>&1
grep -q "^twice.scn:3:1: error: .fault-peers. is set twice" out || { fail "fault-peers twice"; cat out; }

[ "$fails" = 0 ] && echo "fault-peers: ok"
exit "$fails"
