#!/usr/bin/env bash
# Writes the coverage report for core/ and sim/ (HTML, Cobertura XML, text) and fails below any part's thresholds.
# usage: coverage/gate.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: coverage/gate.sh BUILD_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$build/coverage"
mkdir -p "$out"
cd "$root"
# Only the objects of what the project ships are read: the core library, the contract test's
# own copies of the backend, and the simulator's and the command's libraries (build/sim holds
# both).  Reading every object of the build would also merge programs that define same-named
# functions at other lines, which gcovr 5.2 rejects.
gcovr --config coverage/gcovr.cfg --root "$root" --object-directory "$build" --filter "core/" --filter "sim/" \
  "$build/core" "$build/tests/contract" "$build/sim" \
  --html-details "$out/index.html" \
  --xml "$out/coverage.xml" \
  --txt "$out/summary.txt" \
  --json-summary "$out/summary.json"
# Each part has its own gate: a well-covered part cannot hide a poorly covered one.
python3 - "$out/summary.json" "$root/coverage/thresholds" <<'PY'
import json, sys
files = json.load(open(sys.argv[1]))["files"]
gates = []
for line in open(sys.argv[2]):
    words = line.split("#")[0].split()
    if words:
        gates.append((words[0], words[1], words[2], float(words[3])))
failed = False
for part, prefix, kind, want in gates:
    mine = [f for f in files if f["filename"].startswith(prefix)]
    total = sum(f[kind + "_total"] for f in mine)
    covered = sum(f[kind + "_covered"] for f in mine)
    got = 100.0 * covered / total if total else 0.0
    verdict = "ok" if got >= want else "BELOW THE GATE"
    failed |= got < want
    print(f"{part:9} {kind:6} {got:6.2f}% of {total:6} (gate {want:g}%) {verdict}")
sys.exit(1 if failed else 0)
PY
echo "coverage report: $out/index.html"
