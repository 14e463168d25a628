#!/usr/bin/env bash
# Measures every suite for benchmarks/README.md: ROUNDS rounds (default 10), each running every suite's
# test binary once (-test.count=1), so drift and load hit all variants alike; iface runs twice per
# round, built without and with its PGO profile. Results go to results/YYYY-MM-DD/ (or $OUT).
#
#   ./measure.sh                      # then: benchstat -col /kind results/DATE/iface-off.txt, etc.
#   NICE=-10 ./measure.sh             # as root on a shared machine: run the binaries at a higher priority
set -euo pipefail
cd "$(dirname "$0")"
rounds=${ROUNDS:-10}
out=${OUT:-results/$(date -u +%F)}
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
mkdir -p "$out"
out=$(cd "$out" && pwd)
suites=(shapes escapes httpproto rpc coldstart)
for p in "${suites[@]}"; do go test -c -o "$bin/$p.test" "./$p"; done
go test -c -pgo=off -o "$bin/iface-off.test" ./iface
go test -c -pgo=iface/iface.pgo -o "$bin/iface-pgo.test" ./iface
for f in "${suites[@]}" iface-off iface-pgo; do : >"$out/$f.txt"; done
run() { # dir binary [benchtime]
  (cd "$1" && nice -n "${NICE:-0}" "$bin/$2.test" -test.run '^$' -test.bench . \
    -test.benchtime "${3:-200ms}" -test.benchmem >>"$out/$2.txt")
}
for i in $(seq 1 "$rounds"); do
  echo "round $i/$rounds $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)" >&2
  run iface iface-off
  run iface iface-pgo
  run shapes shapes
  run escapes escapes
  run coldstart coldstart 5x
  run httpproto httpproto
  run rpc rpc
done
echo "results in $out" >&2
