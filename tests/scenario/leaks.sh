#!/usr/bin/env bash
# What a program leaves behind, and runs that a limit stopped: failures unless the scenario states them.
set -uo pipefail
coop=$1 tmp=$2
rm -rf "$tmp" && mkdir -p "$tmp"
cd "$tmp" || exit 1
fail() { echo "FAIL: $*"; exit 1; }
expect_rc() { local want=$1; shift; "$@" >out 2>err; local rc=$?; [ "$rc" -eq "$want" ] || { cat out err; fail "exit $rc, wanted $want: $*"; }; }
has() { grep -qF -- "$1" out || { cat out err; fail "no '$1' in the output"; }; }
scn() { local f=$1; shift; printf '%s\n' "$@" >"$f"; }

# A task that gives back its listener and its memory passes; one that forgets either fails, saying what.
scn tidy.scn 'program probe tidy' 'expect end done'
expect_rc 0 "$coop" run tidy.scn
scn leak-fd.scn 'program probe leak-fd' 'expect end done'
expect_rc 1 "$coop" run leak-fd.scn
has "leak-fd.scn: the program left 1 fd(s) open once its tasks had ended"
grep -qE " leak +fds=1 bytes=0" out || fail "no leak event"
scn leak-mem.scn 'program probe leak-memory' 'expect end done'
expect_rc 1 "$coop" run leak-mem.scn
has "leak-mem.scn: the program never freed 64 byte(s) it had from coop_mem_alloc"
# The failure groups under its own signature in explore, and its reproducer fails the same way.
expect_rc 1 "$coop" explore leak-mem.scn --seeds 0..3 --faults none --out repro
has "leak bytes"

# A scenario states what it expects left behind: an amount, or any amount.
scn leak-fd-1.scn 'program probe leak-fd' 'expect end done' 'expect leak fds 1'
expect_rc 0 "$coop" run leak-fd-1.scn
scn leak-fd-any.scn 'program probe leak-fd' 'expect leak fds'
expect_rc 0 "$coop" run leak-fd-any.scn
scn leak-fd-2.scn 'program probe leak-fd' 'expect leak fds 2'
expect_rc 1 "$coop" run leak-fd-2.scn
has "leak-fd-2.scn:2:1: expectation failed: expect leak fds 2"
has "expected the program to leave 2 fds behind, but it left 1"
scn leak-mem-64.scn 'program probe leak-memory' 'expect leak bytes 64'
expect_rc 0 "$coop" run leak-mem-64.scn
scn tidy-leak.scn 'program probe tidy' 'expect leak fds'
expect_rc 1 "$coop" run tidy-leak.scn
has "expected the program to leave fds behind, but it left none"
# Tasks alive at the end are counted: a server that keeps waiting is one.
scn server.scn 'program echo' 'expect end running' 'expect leak tasks 1'
expect_rc 0 "$coop" run server.scn
scn bad-leak.scn 'program echo' 'expect leak files 1'
expect_rc 2 "$coop" run bad-leak.scn
has "bad-leak.scn:2:13: error: unknown leak 'files'"

# A run stopped by a limit fails unless the scenario expects that end.
scn time.scn 'program probe ticker 1' 'time-limit 1s'
expect_rc 1 "$coop" run time.scn
has "time.scn: the run ended time-limit at 1001ms, which the scenario does not expect"
scn time-ok.scn 'program probe ticker 1' 'time-limit 1s' 'expect end time-limit'
expect_rc 0 "$coop" run time-ok.scn
scn steps.scn 'program probe ticker 1' 'step-limit 50'
expect_rc 1 "$coop" run steps.scn
has "the run ended step-limit"
scn steps-ok.scn 'program probe ticker 1' 'step-limit 50' 'expect end step-limit'
expect_rc 0 "$coop" run steps-ok.scn

echo "leaks and limits: all checks passed"
