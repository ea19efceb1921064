#!/usr/bin/env bash
# Starting a command under `harness sandbox` against starting it bare:
# the median of 50 starts of /bin/true each, in milliseconds.
# Usage: bench/sandbox.sh [AGENT]   (run from a harness project; builds the
# release binary first). The sandbox should cost under 5 ms.
set -euo pipefail
agent="${1:-realtime-dev}"
cargo build --release -p harness --quiet
bin="${CARGO_TARGET_DIR:-target}/release/harness"
runs=50

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
time_ms() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null
  end=$(date +%s%N)
  echo "scale=3; ($end - $start) / 1000000" | bc
}

bare=$(for _ in $(seq $runs); do time_ms /bin/true; done | median)
boxed=$(for _ in $(seq $runs); do time_ms "$bin" sandbox --agent "$agent" -- /bin/true; done | median)
printf 'bare      %8.3f ms\nsandbox   %8.3f ms\ndifference %7.3f ms (target < 5 ms)\n' \
  "$bare" "$boxed" "$(echo "$boxed - $bare" | bc)"
