#!/usr/bin/env bash
# Interleaved serve benchmark: every (size, server) pair runs once per round in its own process, so slow
# drift on a shared machine spreads evenly over the four servers. Prints benchstat's table at the end.
#   usage: benchmarks/zerocopy/interleave.sh [rounds]   (default 8; nginx is measured when installed)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/zc.test" ./zerocopy/
for ((i = 1; i <= rounds; i++)); do
  for size in 64KiB 1MiB 100MiB; do
    for srv in naive3 hotpath3 plain nginx; do
      "$tmp/zc.test" -test.run '^$' -test.bench "BenchmarkServe/size=$size/server=$srv\$" -test.benchtime 1s |
        grep '^Benchmark' >>"$tmp/serve.txt" || true
    done
  done
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da -col /server \
  -filter '.unit:(GB/s OR user-s/GB OR sys-s/GB)' "$tmp/serve.txt"
