#!/bin/sh
# Failure signatures: each manner (early, late, missing, different, present, crash, hang) in the report of
# `coop run`, and in the groups of a sweep.
set -u
COOP=$1
TMP=$2
rm -rf "$TMP"
mkdir -p "$TMP"
cd "$TMP" || exit 1
fails=0

# sig NAME WANT: the signature line of `coop run NAME.scn` is WANT.
sig() {
    got=$("$COOP" run "$1.scn" | sed -n 's/^  signature: //p')
    if [ "$got" != "$2" ]; then
        echo "FAIL $1: signature '$got', expected '$2'"
        fails=$((fails + 1))
    fi
}

printf 'program probe fail-step\n45ms..50ms expect trace ev=log task=bystander text="tick 3"\n' >early.scn
sig early "line 2: expect trace: early"
printf 'program probe fail-step\n5ms expect trace ev=log task=bystander text="tick 3"\n' >late.scn
sig late "line 2: expect trace: late"
printf 'program probe fail-step\nexpect trace ev=log task=bystander text="tick 9"\n' >missing.scn
sig missing "line 2: expect trace: missing"
printf 'program probe fail-step\n1s expect exit bystander 3\n' >different.scn
sig different "line 2: expect exit: different"
printf 'program echo\n10ms connect c 7000\n20ms send c "hi"\n30ms expect recv c "ho"\n' >bytes.scn
sig bytes "line 4: expect recv: different"
printf 'program probe fail-step\nexpect end hang\n' >ending.scn
sig ending "line 2: expect end: different"
printf 'program probe fail-step\n0s..1s expect never ev=log task=bystander text="tick 3"\n' >present.scn
sig present "line 2: expect never: present"
printf 'program probe fail-step\n30ms expect trace ev=log task=failer text=done\n' >crash.scn
sig crash "line 2: expect trace: crash"
printf 'program echo\n10ms connect c 7000\n* expect recv c "hi"\n' >hang.scn
sig hang "line 3: expect recv: hang"
# A failure of the run as a whole keeps its signature.
printf 'program probe fail-step\nstep-limit 3\n' >limit.scn
sig limit "run ended step-limit"

# The sweep groups by the same signature.
"$COOP" explore late.scn --seeds 1..3 --faults none >explore.out 2>&1
if ! grep -q '^failure 1: line 2: expect trace: late (2 seed(s), first seed 1)' explore.out; then
    echo "FAIL explore: no group 'line 2: expect trace: late'"
    cat explore.out
    fails=$((fails + 1))
fi

# Each group says which faults fired and which tasks won ties out of FIFO order in every failing seed:
# the planted bug needs no fault and the reader out of order; the late exits need a clock jump.
ROOT=$3
"$COOP" explore "$ROOT/scenarios/buggy-torn-copy.scn" --seeds 0..30 -q >sweep.out 2>/dev/null
"$COOP" explore "$ROOT/scenarios/buggy-torn-copy.scn" --seeds 0..30 -q -j 2 >sweep2.out 2>/dev/null
cmp -s sweep.out sweep2.out || { echo "FAIL the group report depends on -j"; diff sweep.out sweep2.out; fails=$((fails + 1)); }
want=$(cat <<'END'
failure 1: line 6: expect exit: different (2 seed(s), first seed 12)
  faults that fired in every failing seed: none
  tie orders that differed from FIFO in every failing seed: reader
END
)
got=$(grep -A2 '^failure 1:' sweep.out)
[ "$got" = "$want" ] || { echo "FAIL group 1:"; cat sweep.out; fails=$((fails + 1)); }
got=$(grep -A1 '^failure 2:' sweep.out | tail -1)
[ "$got" = "  faults that fired in every failing seed: clock-jump" ] || {
    echo "FAIL group 2:"
    cat sweep.out
    fails=$((fails + 1))
}
# With ties in FIFO order there is no tie line.
"$COOP" explore "$ROOT/scenarios/buggy-torn-copy.scn" --seeds 0..30 -q --ties fifo >fifo.out 2>/dev/null
if grep -q "tie orders" fifo.out || ! grep -q "faults that fired" fifo.out; then
    echo "FAIL --ties fifo:"
    cat fifo.out
    fails=$((fails + 1))
fi

[ "$fails" = 0 ] && echo "signatures: ok"
exit "$fails"
