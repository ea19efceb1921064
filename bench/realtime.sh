#!/usr/bin/env bash
# Load benchmark for the generated realtime service (examples/chat-service),
# side by side in one run with two baselines on the same machine:
#   node  - a minimal Node `ws` broadcast server (bench/node/server.js)
#   bare  - a bare axum + tokio::sync::broadcast server (the ceiling)
# One channel, $SUBS subscribers, one publisher sending $SIZE-byte messages
# at full speed and at a fixed rate, then again with one stalled subscriber.
# Prints delivered messages/s, p50/p99 latency, completeness, server RSS,
# and a text plot. Not run in CI. Needs node and npm for the Node baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBS=${SUBS:-200}
MSGS=${MSGS:-5000}
SIZE=${SIZE:-100}
RATE=${RATE:-2000}
TARGET=${CARGO_TARGET_DIR:-target}

cargo build --release -q -p chat-service -p realtime-load
LOAD="$TARGET/release/realtime-load"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }

JWT_SECRET=bench BIND_ADDR=127.0.0.1:9101 RATE_PER_SECOND=100000000 RUST_LOG=warn \
  "$TARGET/release/chat-service" &
pids+=($!); chat_pid=$!
"$TARGET/release/bare" 9103 &
pids+=($!); bare_pid=$!
node_pid=""
if command -v npm >/dev/null 2>&1; then
  node_dir="${TMPDIR:-/tmp}/harness-bench-node"
  mkdir -p "$node_dir"
  cp bench/node/server.js "$node_dir/"
  (cd "$node_dir" && [ -d node_modules/ws ] || npm install --silent --no-audit --no-fund ws@8 >/dev/null)
  node "$node_dir/server.js" 9102 &
  pids+=($!); node_pid=$!
fi
wait_port 9101; wait_port 9103; [ -n "$node_pid" ] && wait_port 9102

results=()
run() { # name pid proto port rate stall
  local out
  out=$("$LOAD" --proto "$3" --url "ws://127.0.0.1:$4/ws" --subscribers "$SUBS" \
    --messages "$MSGS" --size "$SIZE" --rate "$5" --stall "$6" --secret bench)
  printf '%-6s rate=%-6s stall=%s  %s rss_mb=%s\n' "$1" "$5" "$6" "$out" "$(rss_mb "$2")"
  results+=("$1 $5 $6 $out")
}

echo "subscribers=$SUBS messages=$MSGS size=${SIZE}B cores=$(nproc)"
for servers in "chat $chat_pid chat 9101" "bare $bare_pid raw 9103" ${node_pid:+"node $node_pid raw 9102"}; do
  set -- $servers
  run "$1" "$2" "$3" "$4" 0 0
  run "$1" "$2" "$3" "$4" "$RATE" 0
  run "$1" "$2" "$3" "$4" 0 1
done

echo
echo "delivered messages/s at full speed (each # = 2% of the best):"
best=0
for r in "${results[@]}"; do
  set -- $r
  [ "$2" = 0 ] && [ "$3" = 0 ] || continue
  v=${5#msgs/s=}; [ "$v" -gt "$best" ] && best=$v
done
for r in "${results[@]}"; do
  set -- $r
  [ "$2" = 0 ] && [ "$3" = 0 ] || continue
  v=${5#msgs/s=}
  printf '%-5s %9s |%s\n' "$1" "$v" "$(printf '#%.0s' $(seq $((v * 50 / best))))"
done
