#!/bin/sh
# Runs a test that fails on purpose; its message must carry the seed, the virtual time and a reproduce line.
# usage: check-failure.sh TEST-BINARY
out=$("$1" 2>&1) && { echo "$1 passed, but it must fail"; exit 1; }
for want in "(seed 7, t=10000000 ns)" "reproduce: --seed 7 --faults 0x0 --ties fifo" \
            "cap.len == 4 && memcmp(cap.bytes, \"bye\\n\", 4) == 0" "the greeter says bye"; do
  case $out in
    *"$want"*) ;;
    *) printf 'the failure message lacks %s:\n%s\n' "$want" "$out"; exit 1 ;;
  esac
done
echo "the failure message carries the seed, the time, the condition and a reproduce line"
