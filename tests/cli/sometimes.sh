#!/bin/sh
# `expect sometimes`: never fails a run, records whether it was reached; a sweep fails when no seed reached it.
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

# The handoff's signal wakes nobody in some seeds only (the producer wins the tie); the last line never happens.
cat >some.scn <<'END'
program buggy-handoff
*       expect sometimes ev=signal task=producer signal=ready woken=0
*       expect sometimes ev=signal task=producer signal=ready woken=1
*       expect sometimes ev=log text="never said"
END
"$COOP" run some.scn --trace t.jsonl >out 2>&1 || { fail "coop run failed on sometimes"; cat out; }
grep -q '"line":2,"ok":true,"reached":false' t.jsonl || { fail "line 2 not recorded as unreached"; cat t.jsonl; }
grep -q '"line":3,"ok":true,"reached":true' t.jsonl || { fail "line 3 not recorded as reached"; cat t.jsonl; }

"$COOP" explore some.scn --seeds 0..10 -q >sweep.out 2>/dev/null
rc=$?
[ $rc = 1 ] || fail "a sweep with a line never reached exits $rc, not 1"
grep -q '^sometimes: line 2 reached in 5 of 10 seed(s): expect sometimes ev=signal' sweep.out || { fail "line 2"; cat sweep.out; }
grep -q '^sometimes: line 3 reached in 5 of 10 seed(s)' sweep.out || { fail "line 3"; cat sweep.out; }
grep -q '^NEVER REACHED: some.scn:4:1: expect sometimes ev=log text="never said"' sweep.out || { fail "line 4"; cat sweep.out; }

# Every line reached: the sweep passes.
head -3 some.scn >reached.scn
"$COOP" explore reached.scn --seeds 0..10 -q >sweep.out 2>/dev/null || { fail "a sweep that reached every line failed"; cat sweep.out; }

printf 'program echo\n*  expect sometimes\n' >bad.scn
"$COOP" run bad.scn >out 2>&1
[ $? = 2 ] || fail "expect sometimes without a pattern is not an error"
grep -q '^bad.scn:2:' out || { fail "no file:line:col error"; cat out; }

[ "$fails" = 0 ] && echo "sometimes: ok"
exit "$fails"
