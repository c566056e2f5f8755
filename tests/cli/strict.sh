#!/usr/bin/env bash
# Strict input: every bad path, option or number is `coop ...: error:` with exit 2, and messages give the real reason.
set -uo pipefail
coop=$1 nulllib=$2 here=$3 src=$4 tmp=$5
rm -rf "$tmp" && mkdir -p "$tmp"
fail() { echo "FAIL: $*"; exit 1; }
run() { local want=$1; shift; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; [ "$rc" -eq "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "exit $rc, wanted $want: $*"; }; }
err_has() { grep -q -- "$1" "$tmp/err" || { cat "$tmp/err"; fail "stderr lacks '$1'"; }; }
scn=$src/scenarios/echo-basic.scn

# Numbers: no overflow clamped, no sign or space taken.
for bad in 99999999999999999999999 " -1" -1 "+3" 1x ""; do
  run 2 "$coop" run --seed "$bad" "$scn"; err_has "coop run: error: bad value"
  run 2 "$coop" explore "$scn" --seeds "0..$bad"; err_has "coop explore: error: bad value"
done
run 2 "$coop" run -j 0 "$scn"
run 2 "$coop" explore "$scn" -j 99999999999999999999999
run 2 "$coop" run --timeout 10 "$scn"; err_has "bad value '10' for --timeout"
run 2 "$coop" explore "$scn" --budget " 1s"

# Options: both spellings, and a suggestion for a typo.
run 0 "$coop" run --seed=3 "$scn"
run 0 "$coop" run --seed 3 --jobs=2 "$scn"
run 2 "$coop" run --fitler echo "$scn"; err_has "did you mean '--filter'"
run 2 "$coop" run --seed; err_has "needs a value"
run 2 "$coop" run --t x "$scn"; err_has "option '--t' is ambiguous: --ties --trace"
run 2 "$coop" run --list=3 "$scn"; err_has "option '--list' takes no value"
run 2 "$coop" explor "$scn"; err_has "did you mean 'explore'"
run 0 "$coop" help run; grep -q "usage: coop run" "$tmp/out" || fail "coop help run"
grep -q "TIMEOUT" "$tmp/out" || fail "run --help does not describe the statuses"
run 0 "$coop" help explore; grep -q "usage: coop explore" "$tmp/out" || fail "coop help explore"
run 2 "$coop" help frobnicate

# Paths: an empty directory, a symlink loop, no permission, nested scenarios in a fixed order.
mkdir -p "$tmp/empty"
run 2 "$coop" run "$tmp/empty"; err_has "no .scn file in it or below it"
ln -s loop "$tmp/loop"
run 2 "$coop" run "$tmp/loop"; err_has "Too many levels of symbolic links"
mkdir -p "$tmp/tree/b/c" "$tmp/tree/a"
cp "$scn" "$tmp/tree/b/c/2.scn"; cp "$scn" "$tmp/tree/a/1.scn"; cp "$scn" "$tmp/tree/b/0.scn"; cp "$scn" "$tmp/tree/z.scn"
run 0 "$coop" run --list "$tmp/tree"
printf '%s\n' "$tmp/tree/a/1.scn" "$tmp/tree/b/0.scn" "$tmp/tree/b/c/2.scn" "$tmp/tree/z.scn" | cmp -s - "$tmp/out" \
  || { cat "$tmp/out"; fail "recursive order"; }
run 0 "$coop" run --list --filter '*/b/*' "$tmp/tree"
[ "$(wc -l <"$tmp/out")" -eq 2 ] || fail "--filter glob"
run 0 "$coop" run --list --shard 2/2 "$tmp/tree"
printf '%s\n' "$tmp/tree/b/0.scn" "$tmp/tree/z.scn" | cmp -s - "$tmp/out" || fail "--shard"
run 0 "$coop" run -q "$tmp/tree"
grep -q "^4 passed" "$tmp/out" || fail "recursive run"
if [ "$(id -u)" != 0 ]; then
  mkdir -p "$tmp/closed" && cp "$scn" "$tmp/closed/x.scn" && chmod 000 "$tmp/closed"
  run 2 "$coop" run "$tmp/closed"; err_has "Permission denied"
  chmod 755 "$tmp/closed"
fi

# Report files: an unwritable --trace is the same usage error as an unwritable --tap, before the run.
for opt in --trace --tap --junit; do
  run 2 "$coop" run "$opt" "$tmp/no/such/dir/f" "$scn"; err_has "coop run: error: cannot write $tmp/no/such/dir/f: No such file"
  grep -q "^PASS" "$tmp/out" && fail "$opt: ran before finding the report unwritable"
done

# --fail-fast: nothing starts after the first failure; the rest is reported as not run.
printf 'program echo\n0ms connect c1 7000\n+10ms send c1 "hi"\n+1ms expect recv c1 "ho"\n' >"$tmp/fail.scn"
run 1 "$coop" run --fail-fast "$tmp/fail.scn" "$scn" "$scn" --junit "$tmp/ff.xml"
grep -q "0 passed, 1 failed, 0 crashed, 0 timed out, 0 errors, 2 not run (--fail-fast)" "$tmp/out" || { cat "$tmp/out"; fail "--fail-fast"; }
grep -q "<skipped" "$tmp/ff.xml" || fail "JUnit: no skipped cases"
# JUnit: time on cases and suites, class from the folder.
run 0 "$coop" run "$tmp/tree" --junit "$tmp/t.xml"
grep -q '<testsuite name="coop scenarios" tests="4" .* time="[0-9]*\.[0-9]\{3\}"' "$tmp/t.xml" || fail "JUnit suite time"
grep -q "classname=\"[^\"]*tree.b.c\" name=\"2.scn\" time=\"[0-9]*\.[0-9]\{3\}\"" "$tmp/t.xml" || fail "JUnit case class or time"

# explore --out: an existing file is an error before the sweep; a long path is never cut.
touch "$tmp/file"
run 2 "$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..5 --out "$tmp/file"; err_has "Not a directory"
[ -s "$tmp/out" ] && fail "--out error after the sweep started"
long=$tmp
for part in d e f g h; do long=$long/$(printf "$part%.0s" $(seq 200)); done
mkdir -p "$long"
run 1 "$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..5 --out "$long" -q
grep -q "written: $long/buggy-handoff-seed1.scn" "$tmp/out" || { cat "$tmp/out"; fail "long --out path"; }
[ -f "$long/buggy-handoff-seed1.scn" ] || fail "the reproducer is not in the long directory"

toolong=$tmp
for _ in $(seq 21); do toolong=$toolong/$(printf 'x%.0s' $(seq 200)); done
run 2 "$coop" explore "$src/scenarios/buggy-handoff.scn" --seeds 0..5 --out "$toolong"; err_has "File name too long"
[ -s "$tmp/out" ] && fail "a too long --out found after the sweep started"

# A plugin whose registry function returns NULL is an error, not a crash.
run 2 "$coop" programs --load "$nulllib"; err_has "returned NULL"

# A byte-order mark before the first line is not an unknown command.
printf '\xef\xbb\xbf' >"$tmp/bom.scn"; cat "$scn" >>"$tmp/bom.scn"
run 0 "$coop" run "$tmp/bom.scn"

# coop trace: a directory or a missing file says why; options in both spellings.
run 2 "$coop" trace "$tmp"; err_has "Is a directory"
run 2 "$coop" trace "$tmp/missing.jsonl"; err_has "No such file or directory"
run 0 "$coop" run "$scn" --trace="$tmp/t.jsonl"
run 0 "$coop" trace --to=text --output="$tmp/t.txt" "$tmp/t.jsonl"
[ -s "$tmp/t.txt" ] || fail "trace --to=text --output="

# Colour: never when the output is not a terminal; on a terminal only without NO_COLOR.
run 0 "$coop" run "$scn"
grep -q $'\033' "$tmp/out" && fail "colour in output that is not a terminal"
if command -v script >/dev/null; then
  script -qec "'$coop' run '$scn'" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\033\[32mPASS' "$tmp/tty" || fail "no colour on a terminal"
  NO_COLOR=1 script -qec "'$coop' run '$scn'" /dev/null >"$tmp/tty" 2>&1
  grep -q $'\033\[32m' "$tmp/tty" && fail "colour despite NO_COLOR"
fi

# A failure that is no expectation (here a program that cannot start) never reads "2 of 1 expectations failed".
printf 'program blinker --periods-ms 100,-5\n100ms expect end done\n' >"$tmp/nostart.scn"
"$coop" run "$tmp/nostart.scn" >"$tmp/out" 2>&1
sed -nE 's/.* ([0-9]+) of ([0-9]+) expectations? failed.*/\1 \2/p' "$tmp/out" | while read -r a b; do
  [ "$a" -le "$b" ] || fail "$a of $b expectations failed"
done || exit 1

echo "coop strict input: all checks passed"
