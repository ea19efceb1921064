#!/usr/bin/env bash
# Starting a command under `harness-agents sandbox` against starting it bare: the
# median of 50 starts of /bin/true each, in milliseconds, and the
# difference. The sandbox should cost under 5 ms. Not part of CI.
#   bench/sandbox.sh [PROJECT [AGENT]]
# PROJECT is a harness project to run in (default: a throwaway copy of this
# repository's agents/ and plans/, committed to a fresh git repository);
# AGENT defaults to realtime-dev.
#
# The project must not lie under $TMPDIR: `$TMPDIR` is writable by default,
# so a project inside it splits the temporary directory into one kernel
# rule per entry, and the figure would measure that instead. The throwaway
# project is made under the cargo target directory (or $BENCH_DIR).
#
# Both commands are timed the same way: hyperfine without a shell when it
# is installed, else a loop in one Python process that interleaves them, so
# neither pays for a process the other does not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
runs=50
agent="${2:-realtime-dev}"
bin=$("$here/static-build.sh")
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target=$(pwd)/$target ;; esac

if [ -n "${1:-}" ]; then
  project=$(cd "$1" && pwd)
else
  base=${BENCH_DIR:-$target}
  mkdir -p "$base"
  project=$(mktemp -d "$base/sandbox-bench.XXXXXX")
  trap 'rm -rf "$project"' EXIT
  cp -r agents plans "$project/"
  git -C "$project" init -q
  git -C "$project" add -A
  git -C "$project" -c user.name=bench -c user.email=bench@example.com \
    commit -q -m "chore: bench project"
fi
tmp=$(cd "${TMPDIR:-/tmp}" && pwd -P)
case "$(cd "$project" && pwd -P)/" in
  "$tmp"/*)
    echo "the project $project is under \$TMPDIR ($tmp): choose one elsewhere (see the top of this script)" >&2
    exit 2
    ;;
esac
cd "$project"
"$bin" sandbox --agent "$agent" -- /bin/true ||
  { echo "the sandboxed command failed: the figure would mean nothing" >&2; exit 1; }

echo "project: $project; agent: $agent; $runs runs each"
if command -v hyperfine >/dev/null; then
  json=$(mktemp)
  hyperfine -N --runs "$runs" --warmup 5 --style none --export-json "$json" \
    /bin/true "$bin sandbox --agent $agent -- /bin/true" >/dev/null
  python3 - "$json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
bare, boxed = (x["median"] * 1000 for x in r)
print(f"method     hyperfine -N, median of {len(r[0]['times'])}")
print(f"bare       {bare:8.3f} ms\nsandbox    {boxed:8.3f} ms")
print(f"difference {boxed - bare:8.3f} ms (target < 5 ms)")
PY
  rm -f "$json"
else
  python3 - "$runs" "$bin" "$agent" <<'PY'
import statistics, subprocess, sys, time
runs, bin, agent = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cmds = {"bare": ["/bin/true"], "sandbox": [bin, "sandbox", "--agent", agent, "--", "/bin/true"]}
wall = {k: [] for k in cmds}
for _ in range(runs):
    for name, cmd in cmds.items():
        t = time.perf_counter_ns()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        wall[name].append((time.perf_counter_ns() - t) / 1e6)
bare, boxed = statistics.median(wall["bare"]), statistics.median(wall["sandbox"])
print(f"method     one Python loop, interleaved, median of {runs}")
print(f"bare       {bare:8.3f} ms\nsandbox    {boxed:8.3f} ms")
print(f"difference {boxed - bare:8.3f} ms (target < 5 ms)")
PY
fi
echo "load: $(uptime)"
