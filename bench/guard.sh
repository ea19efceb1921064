#!/usr/bin/env bash
# `harness-agents guard` as a whole process, as Claude Code runs it before every
# tool call, on a repository with the two default agents and 50 plans; next
# to `/bin/true` (the floor: starting any process) and the same check
# written as a Python hook (bench/guard_peer.py).
# Targets: median under 3 ms, and at least 20x faster than the Python peer.
# Not part of CI.
#   bench/guard.sh [RUNS]     default 200
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
runs=${1:-200}
bin=$("$here/static-build.sh")

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
. "$here/guard_repo.sh"
guard_repo "$bin" "$work"
repo=$work/repo signed=$work/signed
# As Claude Code runs hooks: the project root fixed by the environment,
# whatever the hook's working directory.
export CLAUDE_PROJECT_DIR=$repo

# Both hooks must agree before their speed means anything.
for e in deny allow; do
  ours=$("$bin" guard < "$work/$e.json" | grep -c '"deny"' || true)
  peer=$(python3 "$here/guard_peer.py" < "$work/$e.json" | grep -c '"deny"' || true)
  [ "$ours" = "$peer" ] || { echo "harness and the Python peer disagree on $e.json"; exit 1; }
done
echo "repo: 2 agents, $(ls "$repo"/plans/*.md | wc -l) approved plans, one task in progress; $runs runs each"

# A timing loop, interleaving the three commands so that load from other
# processes falls on all of them alike. Wall time per run includes the cost
# of starting a process, which /bin/true shows alone; CPU time is the
# children's user + system time.
python3 - "$runs" "$bin" "$here/guard_peer.py" "$repo" "$signed" "$work" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, bin, peer, repo, signed, work = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
every = {"/bin/true (floor)": ["/bin/true"], "harness-agents guard": [bin, "guard"], "python peer": ["python3", peer]}
for e in ("deny", "allow", "plan", "signed1", "signed"):
    data = open(f"{work}/{e}.json", "rb").read()
    root = {"signed": signed, "signed1": f"{work}/signed1"}.get(e, repo)
    env = dict(os.environ, CLAUDE_PROJECT_DIR=root)
    # The peer has no plan store: the plan-gate calls are measured against the floor only.
    cmds = {k: v for k, v in every.items() if e in ("deny", "allow") or k != "python peer"}
    wall = {k: [] for k in cmds}
    cpu = {k: 0.0 for k in cmds}
    for _ in range(runs):
        for name, cmd in cmds.items():
            r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter_ns()
            subprocess.run(cmd, input=data, stdout=subprocess.DEVNULL, env=env)
            wall[name].append((time.perf_counter_ns() - t) / 1e6)
            r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[name] += (r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime) * 1000
    print(f"-- {e} call ({runs} runs each)")
    for name in cmds:
        print(f"{name:<20} median {statistics.median(wall[name]):7.2f} ms wall, {cpu[name] / runs:6.2f} ms cpu")
    ours = statistics.median(wall["harness-agents guard"])
    if "python peer" in wall:
        py = statistics.median(wall["python peer"])
        print(f"harness is {py / ours:.1f}x faster than the Python peer")
        print(f"target (< 3 ms, >= 20x): {'met' if ours < 3 and py / ours >= 20 else 'NOT met'}")
    else:
        print(f"target (< 3 ms): {'met' if ours < 3 else 'NOT met'}")
PY
uptime
