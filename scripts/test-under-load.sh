#!/usr/bin/env bash
# The flakiness check: the whole test suite N times in a row (default 3) while another process
# keeps one core busy. Stops at the first failing run. Usage: scripts/test-under-load.sh [N]
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
node -e 'for (;;) {}' &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
for i in $(seq 1 "$runs"); do
  echo "=== run $i of $runs (one core kept busy by pid $busy)"
  start=$SECONDS
  npx vitest run || { echo "=== run $i FAILED after $((SECONDS - start)) s"; exit 1; }
  echo "=== run $i passed in $((SECONDS - start)) s"
done
echo "=== $runs runs in a row passed under load"
