#!/usr/bin/env bash
# The outside project (tests/outside) with coop as a meson subproject, taken from this working tree.
# usage: subproject.sh SOURCE_ROOT WORK_DIR
set -uo pipefail
src=$1 work=$2
fail() { echo "FAIL: $*"; exit 1; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
cp -r "$src/tests/outside" "$work/project"
mkdir "$work/project/subprojects"
ln -s "$src" "$work/project/subprojects/coop"

# forcefallback: the subproject, even where an installed coop would be found.
meson setup "$work/build" "$work/project" --wrap-mode=forcefallback >"$work/setup.log" 2>&1 ||
  { cat "$work/setup.log"; fail "meson setup"; }
ninja -C "$work/build" >"$work/build.log" 2>&1 || { tail -40 "$work/build.log"; fail "build"; }
meson test -C "$work/build" --print-errorlogs >"$work/test.log" 2>&1 || { cat "$work/test.log"; fail "tests"; }
grep -E '^ *[0-9]+/[0-9]+ ' "$work/test.log"

# A subproject builds coop's libraries only: no tests, benchmarks, demos or coop command.
for dir in tests bench examples scenarios; do
  [ ! -e "$work/build/subprojects/coop/$dir" ] || fail "the subproject built coop's $dir/"
done
echo "outside project as a subproject: all checks passed"
