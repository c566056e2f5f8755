#!/usr/bin/env bash
# coop installed into a temporary prefix, then used from outside: pkg-config, CMake, the coop command, the README.
# usage: installed.sh SOURCE_ROOT WORK_DIR
set -uo pipefail
src=$1 work=$2
fail() { echo "FAIL: $*"; exit 1; }
quiet() { local log=$1; shift; "$@" >"$log" 2>&1 || { tail -40 "$log"; fail "$*"; }; }
rm -rf "$work" && mkdir -p "$work" || fail "cannot make $work"
prefix=$work/prefix

# One build and one install serve every check below.
quiet "$work/setup.log" meson setup "$work/coop" "$src" --prefix "$prefix" -Dtests=false -Dbench=false
quiet "$work/build.log" ninja -C "$work/coop"
quiet "$work/install.log" meson install -C "$work/coop"
pc=$(find "$prefix" -name coop.pc)
[ -n "$pc" ] || fail "no coop.pc installed"
export PKG_CONFIG_PATH=$(dirname "$pc")
export PATH=$prefix/bin:$PATH
libdir=$(pkg-config --variable=libdir coop)

# Every public header is installed, and each one compiles alone.
for h in "$src"/core/include/coop/*.h "$src"/sim/include/coop/*.h; do
  name=$(basename "$h")
  cmp -s "$h" "$prefix/include/coop/$name" || fail "coop/$name is not installed"
  printf '#include <coop/%s>\nint compiles_alone;\n' "$name" | cc -x c -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
    $(pkg-config --cflags coop-sim criterion check) - || fail "coop/$name does not compile alone"
done
for mod in coop coop-sim coop-cli; do
  [ "$(pkg-config --modversion $mod)" = "$(pkg-config --modversion coop)" ] || fail "pkg-config $mod"
done
for lib in coop coop-sim coop-cli; do
  [ -e "$libdir/lib$lib.so" ] && [ -e "$libdir/lib$lib.a" ] || fail "lib$lib is not installed static and shared"
done

# The installed command: its version, and a plugin built with pkg-config.
[ "$(coop --version)" = "coop $(pkg-config --modversion coop)" ] || fail "coop --version: $(coop --version)"
cc -shared -fPIC "$src/examples/corpus/plugin.c" $(pkg-config --cflags --libs coop-sim) -o "$work/libhello.so" ||
  fail "the plugin does not build with pkg-config coop-sim"
quiet "$work/plugin.log" coop run --load "$work/libhello.so" "$src/examples/corpus/plugin-hello.scn"
quiet "$work/plugin-start.log" coop start --load "$work/libhello.so" plugin-hello
grep -q 'hello#1 .*hello from a plugin, 0 to go' "$work/plugin-start.log" || fail "coop start of a plugin's program"

# The outside project with pkg-config, as a user's makefile would build it.
out=$work/pkg-config
mkdir -p "$out"
rpath=-Wl,-rpath,$libdir
flags=(-std=c11 -Wall -Wextra -Wpedantic -Werror -I"$src/tests/outside")
o=$src/tests/outside
cc "${flags[@]}" "$o/t-criterion.c" "$o/greeter.c" -o "$out/t-criterion" $(pkg-config --cflags --libs coop-sim criterion) $rpath &&
  cc "${flags[@]}" "$o/t-fails.c" "$o/greeter.c" -o "$out/t-fails" $(pkg-config --cflags --libs coop-sim criterion) $rpath &&
  cc "${flags[@]}" "$o/t-check.c" "$o/greeter.c" -o "$out/t-check" $(pkg-config --cflags --libs coop-sim check) $rpath &&
  cc "${flags[@]}" "$o/my-coop.c" "$o/greeter.c" -o "$out/my-coop" $(pkg-config --cflags --libs coop-cli) $rpath ||
  fail "the outside project does not build with pkg-config"
quiet "$out/criterion.log" "$out/t-criterion"
quiet "$out/check.log" "$out/t-check"
quiet "$out/fails.log" sh "$o/check-failure.sh" "$out/t-fails"
quiet "$out/scenario.log" "$out/my-coop" run "$o/greeter.scn"
quiet "$out/start.log" "$out/my-coop" start --for 200ms greeter --port 0
echo "pkg-config: the outside project builds and its tests pass"

# The outside project with CMake's find_package.
quiet "$work/cmake.log" cmake -S "$o" -B "$work/cmake" -G Ninja -DCMAKE_PREFIX_PATH="$prefix"
quiet "$work/cmake-build.log" cmake --build "$work/cmake"
(cd "$work/cmake" && ctest --output-on-failure >"$work/ctest.log" 2>&1) || { cat "$work/ctest.log"; fail "ctest"; }
echo "CMake: the outside project builds and its tests pass"

# Every example of the README.
python3 "$src/tests/packaging/readme.py" "$src/README.md" "$prefix" "$work/readme" || fail "README examples"
echo "installed coop: all checks passed"
