#!/usr/bin/env bash
# Overhead of `harness-agents gate run` against running the same gates directly and
# against lefthook (npm package), all running N trivial gates in parallel.
#
#   bench/gates.sh [N gates, default 8] [R runs each, default 30]
#
# Prints the mean wall time per run of each and harness's overhead per run
# over the direct baseline (target: under 10 ms). Builds harness in release
# mode; installs lefthook with npm into its own directory under
# ${BENCH_DIR:-target/bench-gates} (skipped with a note when npm is missing).
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-8}
R=${2:-30}
TARGET=${CARGO_TARGET_DIR:-target}
BENCH_DIR=${BENCH_DIR:-$TARGET/bench-gates}
mkdir -p "$BENCH_DIR"
BENCH_DIR=$(cd "$BENCH_DIR" && pwd)

HARNESS=$(bench/static-build.sh)

# The project the gates run in: a git repository (lefthook needs one).
PROJECT=$BENCH_DIR/project
rm -rf "$PROJECT"
mkdir -p "$PROJECT"
git -C "$PROJECT" init --quiet
{
  for i in $(seq 1 "$N"); do
    printf '[gates.g%d]\ncommand = "true"\n\n' "$i"
  done
} > "$PROJECT/harness.toml"
{
  printf 'pre-commit:\n  parallel: true\n  commands:\n'
  for i in $(seq 1 "$N"); do
    printf '    g%d:\n      run: "true"\n' "$i"
  done
} > "$PROJECT/lefthook.yml"

# A `times` line of children's user and system time, as milliseconds.
# `times` itself must run in the measuring shell: a pipe or $(...) would run
# it in a fresh subshell, which has no children yet.
to_ms() {
  awk '{
    t = 0
    for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
    printf "%.3f", t * 1000
  }'
}

# "WALL CPU": mean wall time and mean CPU time (of every process started) in
# milliseconds over R runs of "$@", after one warm-up run. CPU time is the
# steadier figure on a busy machine, where wall time is mostly waiting.
measure() {
  "$@" >/dev/null 2>&1 || true
  local start end c0 c1
  times >"$BENCH_DIR/times"
  c0=$(tail -n 1 "$BENCH_DIR/times")
  start=$(date +%s%N)
  for _ in $(seq 1 "$R"); do
    "$@" >/dev/null 2>&1 || true
  done
  end=$(date +%s%N)
  times >"$BENCH_DIR/times"
  c1=$(tail -n 1 "$BENCH_DIR/times")
  c0=$(echo "$c0" | to_ms)
  c1=$(echo "$c1" | to_ms)
  awk -v s="$start" -v e="$end" -v r="$R" -v c0="$c0" -v c1="$c1" \
    'BEGIN { printf "%.2f %.2f\n", (e - s) / r / 1e6, (c1 - c0) / r }'
}

direct() {
  for _ in $(seq 1 "$N"); do sh -c true & done
  wait
}

run_harness() {
  "$HARNESS" -C "$PROJECT" gate run --quiet --jobs "$N"
}

LEFTHOOK=""
LEFTHOOK_DIR=$BENCH_DIR/lefthook
if command -v npm >/dev/null 2>&1; then
  if [ ! -d "$LEFTHOOK_DIR/node_modules/lefthook" ]; then
    mkdir -p "$LEFTHOOK_DIR"
    [ -f "$LEFTHOOK_DIR/package.json" ] || echo '{"private": true}' > "$LEFTHOOK_DIR/package.json"
    (cd "$LEFTHOOK_DIR" && npm install --silent --no-audit --no-fund lefthook >/dev/null 2>&1) || true
  fi
  # The package's `bin` is a node wrapper around a native binary; time the
  # binary itself, as harness is timed without an interpreter in front.
  LEFTHOOK=$(find "$LEFTHOOK_DIR/node_modules" -path '*lefthook-*/bin/lefthook*' -type f 2>/dev/null | head -n 1)
  if [ -z "$LEFTHOOK" ] && [ -x "$LEFTHOOK_DIR/node_modules/.bin/lefthook" ]; then
    LEFTHOOK=$LEFTHOOK_DIR/node_modules/.bin/lefthook
  fi
fi
run_lefthook() {
  (cd "$PROJECT" && LEFTHOOK_QUIET=meta,summary,execution "$LEFTHOOK" run pre-commit --force)
}

echo "$N trivial gates (\`true\`) in parallel, mean of $R runs ($(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg))"
printf '  %-30s %9s %9s\n' "" "wall ms" "CPU ms"
read -r DW DC < <(measure direct)
printf '  %-30s %9s %9s\n' "direct (sh -c true &; wait)" "$DW" "$DC"
read -r HW HC < <(measure run_harness)
printf '  %-30s %9s %9s\n' "harness-agents gate run" "$HW" "$HC"
if [ -n "$LEFTHOOK" ]; then
  read -r LW LC < <(measure run_lefthook)
  printf '  %-30s %9s %9s   (lefthook %s)\n' "lefthook run pre-commit" "$LW" "$LC" "$("$LEFTHOOK" version 2>/dev/null || echo '?')"
else
  echo "  lefthook: not measured (npm or the lefthook package unavailable)"
fi
awk -v hw="$HW" -v dw="$DW" -v hc="$HC" -v dc="$DC" 'BEGIN {
  o = hw - dw
  printf "harness overhead per run: %.2f ms wall (%s the 10 ms target), %.2f ms CPU\n", o, (o < 10 ? "under" : "OVER"), hc - dc
}'
if [ -n "$LEFTHOOK" ]; then
  awk -v lw="$LW" -v dw="$DW" -v lc="$LC" -v dc="$DC" 'BEGIN {
    printf "lefthook overhead per run: %.2f ms wall, %.2f ms CPU\n", lw - dw, lc - dc
  }'
fi
