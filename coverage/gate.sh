#!/usr/bin/env bash
# Writes the coverage report for core/ (HTML, Cobertura XML, text) and fails below the thresholds.
# usage: coverage/gate.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: coverage/gate.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/coverage"
mkdir -p "$out"
line=$(awk '$1 == "line" {print $2}' "$root/coverage/thresholds")
branch=$(awk '$1 == "branch" {print $2}' "$root/coverage/thresholds")
cd "$root"
# Only the objects built from core/ are read: the library's, and the contract
# test's own copies of the backend.  Reading every object of the build would
# also merge programs that define same-named functions at other lines, which
# gcovr 5.2 rejects.
gcovr --config coverage/gcovr.cfg --root "$root" --object-directory "$build" --filter "core/" \
  "$build/core" "$build/tests/contract" \
  --html-details "$out/index.html" \
  --xml "$out/coverage.xml" \
  --txt "$out/summary.txt" \
  --fail-under-line "$line" --fail-under-branch "$branch"
echo "coverage report: $out/index.html (gate: ${line}% lines, ${branch}% branches)"
