#!/usr/bin/env bash
# Load benchmark for the generated realtime service (examples/chat-service),
# side by side in one run with two baselines on the same machine:
#   node  - a minimal Node `ws` broadcast server (bench/node/server.js)
#   bare  - a bare axum + tokio::sync::broadcast server (the ceiling)
# One channel, $SUBS subscribers, one publisher, $SIZE-byte messages.
#
# 1. Throughput, $ROUNDS rounds with the servers interleaved: the highest
#    publish rate at which every subscriber gets every message, in order,
#    with the server keeping pace (bench/load `search`), with no stalled
#    client and with one subscriber that never reads. In the same rounds,
#    the server's processor time per delivery at one fixed rate ($CPU_RATE
#    msg/s) that both Rust servers sustain: a steadier measure of the work
#    each does per message than a rate one latency spike can fail; and
#    the same with one stalled subscriber, to see what it costs the others.
# 2. Memory: each server freshly started, one stalled subscriber, publishing
#    for $MEM_SECONDS at half that server's throughput, RSS sampled every
#    $SAMPLE_MS ms.
# 3. Unpaced: $MSGS messages as fast as the publisher can send; who got
#    everything, who was told to resync, who lost messages silently.
#
# Every result line goes to $OUT; bench/realtime_plot.py draws the SVG from
# it. Not run in CI. Needs node and npm for the Node baseline.
set -euo pipefail
cd "$(dirname "$0")/.."

SUBS=${SUBS:-200}
SIZE=${SIZE:-100}
ROUNDS=${ROUNDS:-5}
CPU_RATE=${CPU_RATE:-3000}
SECONDS_PER_TRIAL=${SECONDS_PER_TRIAL:-3}
MEM_SECONDS=${MEM_SECONDS:-60}
SAMPLE_MS=${SAMPLE_MS:-2000}
MSGS=${MSGS:-5000}
TARGET=${CARGO_TARGET_DIR:-target}
OUT=${OUT:-bench/realtime-results.txt}

cargo build --release -q -p chat-service -p realtime-load
LOAD="$TARGET/release/realtime-load"
mkdir -p "$(dirname "$OUT")"
: >"$OUT"

declare -A pid port proto
port=([chat]=9101 [node]=9102 [bare]=9103)
proto=([chat]=chat [node]=raw [bare]=raw)
servers=(chat bare)

node_dir="${TMPDIR:-/tmp}/harness-bench-node"
if command -v npm >/dev/null 2>&1; then
  mkdir -p "$node_dir"
  cp bench/node/server.js "$node_dir/"
  (cd "$node_dir" && { [ -d node_modules/ws ] || npm install --silent --no-audit --no-fund ws@8 >/dev/null; })
  servers+=(node)
else
  echo "npm not found: skipping the Node baseline" >&2
fi

cleanup() { for p in "${pid[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

wait_port() {
  for _ in $(seq 100); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "server on port $1 did not start" >&2
  return 1
}

start() { # name
  [ -n "${pid[$1]:-}" ] && { kill "${pid[$1]}" 2>/dev/null || true; wait "${pid[$1]}" 2>/dev/null || true; }
  case $1 in
    # The stalled subscriber must stay for the whole run: the service would
    # otherwise close it at its 45 s idle timeout (a feature, not measured here).
    # Every client comes from 127.0.0.1: lift the per-address cap.
    chat) JWT_SECRET=bench BIND_ADDR=127.0.0.1:${port[chat]} RATE_PER_SECOND=100000000 \
            IDLE_TIMEOUT_SECONDS=3600 MAX_CONNECTIONS_PER_ADDRESS=100000 RUST_LOG=warn "$TARGET/release/chat-service" & ;;
    bare) "$TARGET/release/bare" "${port[bare]}" & ;;
    node) node "$node_dir/server.js" "${port[node]}" & ;;
  esac
  pid[$1]=$!
  wait_port "${port[$1]}"
}

load() { # name mode args...
  local name=$1; shift
  "$LOAD" "$@" --proto "${proto[$name]}" --url "ws://127.0.0.1:${port[$name]}/ws" \
    --subscribers "$SUBS" --size "$SIZE" --secret bench --pid "${pid[$name]}"
}

record() { # label result
  echo "$1 $2" >>"$OUT"
  printf '%-28s %s\n' "$1" "$2"
}

echo "subscribers=$SUBS size=${SIZE}B cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg)"
for s in "${servers[@]}"; do start "$s"; done

echo "== throughput: highest lossless publish rate, $SECONDS_PER_TRIAL s per trial"
for round in $(seq "$ROUNDS"); do
  for s in "${servers[@]}"; do
    for stall in 0 1; do
      r=$(load "$s" search --seconds "$SECONDS_PER_TRIAL" --stall "$stall" 2>/dev/null)
      record "server=$s test=search stall=$stall round=$round" "$r"
    done
    # Node cannot sustain this rate: its cost per delivery is in its
    # search lines instead.
    if [ "$s" != node ]; then
      for stall in 0 1; do
        r=$(load "$s" run --rate "$CPU_RATE" --seconds "$SECONDS_PER_TRIAL" --stall "$stall" 2>/dev/null)
        record "server=$s test=cpu stall=$stall round=$round" "$r"
      done
    fi
  done
done

median_rate() { # server: the median lossless rate of its rounds with no stall
  grep "server=$1 test=search stall=0" "$OUT" | sed 's/.* rate=\([0-9]*\).*/\1/' | sort -n |
    awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}
echo "== memory: one stalled subscriber, half of each server's throughput for $MEM_SECONDS s, fresh servers"
for s in "${servers[@]}"; do
  start "$s"
  rate=$(( $(median_rate "$s") / 2 ))
  r=$(load "$s" run --rate "$rate" --seconds "$MEM_SECONDS" --stall 1 --sample-ms "$SAMPLE_MS")
  record "server=$s test=memory stall=1 round=1" "$r"
done

echo "== unpaced: $MSGS messages as fast as the publisher can send"
for s in "${servers[@]}"; do
  r=$(load "$s" run --rate 0 --messages "$MSGS")
  record "server=$s test=unpaced stall=0 round=1" "$r"
done

echo
python3 bench/realtime_plot.py "$OUT" bench/realtime.svg
