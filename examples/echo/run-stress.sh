#!/usr/bin/env bash
# Starts echo-server on a free loopback port, runs stress-client against it, and reports the server's fd counts.
#
# usage: examples/echo/run-stress.sh BUILDDIR [stress-client options...]
#   e.g. examples/echo/run-stress.sh build-ex --clients 1000 --rounds 1000
# Every step is bounded in time, and only the server started here is signalled.
set -euo pipefail

build=${1:?usage: run-stress.sh BUILDDIR [stress-client options...]}
shift
bin="$build/examples/echo"
# 1000 clients need 1000 fds in each process; the programs raise their soft limit, this raises the shell's.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT

"$bin/echo-server" --port 0 --max-clients 4096 -v >"$out" 2>"$err" &
server=$!
port=
for _ in $(seq 50); do
  port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$out")
  [ -n "$port" ] && break
  sleep 0.1
done
if [ -z "$port" ]; then
  echo "echo-server did not start" >&2
  kill -TERM "$server" 2>/dev/null || true
  exit 1
fi

fds() { ls "/proc/$server/fd" | wc -l; }
echo "server pid $server, port $port"
echo "server fds before: $(fds)"
# Sample once while the clients are connected.
(sleep 2 && echo "server fds during: $(fds)") &
sampler=$!

status=0
timeout 300 "$bin/stress-client" --port "$port" "$@" || status=$?
wait "$sampler" || true
# Let the server notice the last ends of stream before counting.
sleep 0.5
echo "server fds after: $(fds)"

kill -INT "$server"
server_status=0
timeout 10 tail --pid="$server" -f /dev/null || true
wait "$server" || server_status=$?
echo "stress-client exit $status, echo-server exit $server_status"
tail -n 1 "$err"
[ "$status" -eq 0 ] && [ "$server_status" -eq 0 ]
