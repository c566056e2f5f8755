#!/usr/bin/env bash
# coop run --until-step and --until: the world at a stop point, compared with expected files; the
# errors; and a failure report that shows the events around the failed expectation.
# COOP_UPDATE_STATE=1 rewrites the expected files (tests/cli/state/*.out) instead: review the diff.
set -uo pipefail
coop=$1 dir=$2 tmp=$3
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { local want=$1; shift; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; [ "$rc" -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "exit $rc, wanted $want: $*"; }; }
# The status line ends with the wall time the run took: the only part that changes.
no_wall() { sed -E '1s/, [0-9.]+(ns|us|ms|s)\)$/)/' "$1"; }
compare() {
    local name=$1
    no_wall "$tmp/out" >"$tmp/$name.out"
    if [ "${COOP_UPDATE_STATE:-}" = 1 ]; then
        cp "$tmp/$name.out" "$dir/state/$name.out"
        return
    fi
    diff -u "$dir/state/$name.out" "$tmp/$name.out" || fail "the world of $name differs from state/$name.out"
}

cd "$dir/.." || exit 1
world=cli/state/world.scn

# A server with a client's unread data, a task blocked on a signal with a timeout, a periodic task's timer,
# and signals still to come.
expect_rc 0 "$coop" run "$world" --until-step 10
compare world-step10
grep -q "^  task 1 waiter prio 10: blocked on signal 'go', timeout at 500ms, since 0ms$" "$tmp/out" || fail "the waiter"
grep -q "^    peer c1 -> 10.0.0.1 fd 4: [0-9]* in flight, 4096 unread at the receiver \[not-reading\]$" "$tmp/out" ||
    fail "the client's unread bytes"
# One step later the signal has woken the waiter, which has not run yet.
expect_rc 0 "$coop" run "$world" --until-step 11
compare world-step11
grep -q "^  task 1 waiter prio 10: ready, woken at 300ms by signal 'go' value 7$" "$tmp/out" || fail "the wake"
# The same step gives the same text.
expect_rc 0 "$coop" run "$world" --until-step 11 -j 2
no_wall "$tmp/out" | diff -u "$tmp/world-step11.out" - || fail "the world at step 11 changed between runs"

# Ready by their own time, with nothing that woke them: the replayed schedule of a planted bug.
expect_rc 0 "$coop" run ../scenarios/buggy-window.scn --seed 0 --faults 0x0 --schedule 0011111111111111 --until-step 16
grep -q "^  task 1 door prio 10: ready, due at 10ms, since 10ms$" "$tmp/out" || fail "a task due by its own time"

# What else a task waits on (any of several signals, a task, a connection being dialled) and what else
# the network holds: scripted servers that accept, refuse and drop, a FIN queued behind unsent bytes,
# and a connection not accepted yet.
waits=cli/state/waits.scn
expect_rc 0 "$coop" run "$waits" --until-step 26
compare waits-step26
grep -q "^  task 1 multi prio 10: blocked on signals 'a', 'b', since 0ms$" "$tmp/out" || fail "any of two signals"
grep -q "^  task 2 waiter prio 10: blocked on task 1, since 10ms$" "$tmp/out" || fail "a task"
grep -q "^  task 1 uplink prio 10: blocked on connect fd 3, timeout at 2s, since 0ms$" "$tmp/out" || fail "a dial"
grep -q "^  peer server at every outside address port 1883 accepts (0 accepted)$" "$tmp/out" || fail "any address"
grep -q "^  peer server at 10.9.0.3 port 8883 refuses (0 accepted)$" "$tmp/out" || fail "a refusing server"
grep -q "^  peer server at 10.9.0.2 port 5683 drops (0 accepted)$" "$tmp/out" || fail "a dropping server"
grep -q "^    peer c4 -> 10.0.0.1 fd 7: [0-9]* in flight, 4096 unread at the receiver \[fin-queued,not-reading\]$" \
    "$tmp/out" || fail "a FIN behind unsent bytes"
grep -q "^  conn 9 connecting: peer c6 -> 10.0.0.1 (not accepted yet) port 7000$" "$tmp/out" || fail "not accepted yet"
# At the end: closed, reset by either side, and the error a reset leaves on the peer's end.
expect_rc 0 "$coop" run "$waits" --until 2s
compare waits-end
grep -q "^    10.0.0.1 (closed) -> peer c3: 0 in flight, 0 unread at the receiver \[fin-sent,fin-received,closed\]$" \
    "$tmp/out" || fail "a closed connection"
grep -q "^    peer c2 -> 10.0.0.1 (closed): 0 in flight, 0 unread at the receiver \[reset\]$" "$tmp/out" ||
    fail "a reset connection"
grep -q "^    peer col -> 10.0.0.7 (closed): 0 in flight, 0 unread at the receiver \[reset,error\]$" "$tmp/out" ||
    fail "a peer's error"

# --until: everything due at or before the time has run, and the clock reads that time.
expect_rc 0 "$coop" run "$world" --until 250ms
grep -q "^STATE $world (stopped at 250ms after 10 steps" "$tmp/out" || fail "--until 250ms status"
grep -q "^world at 250ms after 10 steps$" "$tmp/out" || fail "--until 250ms world"
expect_rc 0 "$coop" run "$world" --until 0.3s
grep -q "^world at 300ms after 12 steps$" "$tmp/out" || fail "--until 0.3s"

# A stop point the run never reaches: the world at its end, and it says so.
expect_rc 0 "$coop" run "$world" --until-step 1000
grep -q "^STATE $world (the run ended until at 1s after 21 steps, before the stop point" "$tmp/out" ||
    fail "a run that ends first"
grep -q "^the run ended before the stop point; the world at its end:$" "$tmp/out" || fail "the note"
# Step 0: the world before the first step.
expect_rc 0 "$coop" run "$world" --until-step 0
grep -q "^world at 0ms after 0 steps$" "$tmp/out" || fail "step 0"

# The help names both options.
expect_rc 0 "$coop" run --help
grep -q -- "--until-step N" "$tmp/out" && grep -q -- "--until TIME" "$tmp/out" || fail "--help"

# Errors.
expect_rc 2 "$coop" run "$world" --until-step abc
grep -q "bad value 'abc' for --until-step" "$tmp/err" || fail "a bad step"
expect_rc 2 "$coop" run "$world" --until 5 parsecs
grep -q "bad value '5' for --until" "$tmp/err" || fail "a bad time"
expect_rc 2 "$coop" run "$world" "$world" --until-step 3
grep -q "error: --until-step needs exactly one scenario (2 given)" "$tmp/err" || fail "several scenarios"
expect_rc 2 "$coop" run cli/state --until 10ms
n=$(find cli/state -name '*.scn' | wc -l)
grep -q "error: --until needs exactly one scenario ($n given)" "$tmp/err" || fail "a folder"
expect_rc 2 "$coop" run "$world" --until 10ms --until-step 3
grep -q "exclude each other" "$tmp/err" || fail "both stop points"
expect_rc 2 "$coop" run "$world" --until 10ms --golden
grep -q "error: --until and --golden exclude each other" "$tmp/err" || fail "--golden"

# A failure at 10-40ms of a 600ms run shows the events of 7-40ms, cut in the middle, with markers.
expect_rc 1 "$coop" run cli/state/late-failure.scn
grep -q "^  trace around line 4 (window 10ms..40ms; 102 of 1803 events):$" "$tmp/out" || fail "the window heading"
grep -q 'text="tick 7"$' "$tmp/out" || fail "the events before the window"
grep -q '^    --- 10ms: the window of line 4 opens ---$' "$tmp/out" || fail "the opening marker"
grep -q '^    ... 78 events left out$' "$tmp/out" || fail "the elision"
grep -q 'text="tick 40"$' "$tmp/out" || fail "the events at the deadline"
grep -q '^    --- 40ms: the deadline of line 4 ---$' "$tmp/out" || fail "the deadline marker"
grep -q '^    ... 1681 later events$' "$tmp/out" || fail "the later events"
! grep -q 'text="tick 5[0-9][0-9]"' "$tmp/out" || fail "events from the end of the run"
! grep -q "trace tail" "$tmp/out" || fail "the tail of the run"
echo ok
