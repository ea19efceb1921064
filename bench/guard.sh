#!/usr/bin/env bash
# `harness guard` as a whole process, as Claude Code runs it before every
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
cargo build --release --quiet -p harness
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target=$(pwd)/$target ;; esac
bin=$target/release/harness

repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
# As Claude Code runs hooks: the project root fixed by the environment,
# whatever the hook's working directory.
export CLAUDE_PROJECT_DIR=$repo
mkdir -p "$repo/.git" "$repo/agents" "$repo/plans" "$repo/tests" "$repo/src/ws"
cp agents/realtime-dev.md agents/realtime-engineer.md "$repo/agents/"
for n in $(seq 1 50); do
  id=$(printf '%04d' "$n")
  cat > "$repo/plans/$id-feature-$n.md" <<PLAN
---
id: $n
title: "Feature $n"
agent: "realtime-dev"
status: draft
created: "2026-01-01T00:00:00Z"
---
## PLAN: Feature $n

### Context
Feature $n of the bench.

### Files to Change
- \`src/ws/feature_$n.rs\`: the handler
- \`src/lib.rs\`: wire it in

### Tasks
- [ ] Handler $n @realtime-dev

PLAN_APPROVED: pending
PLAN
  (cd "$repo" && "$bin" plan approve "$n" --by bench >/dev/null)
done
(cd "$repo" && "$bin" task start 0007-1 --owner realtime-dev >/dev/null)

event() { # tool, input JSON
  printf '{"session_id":"s","transcript_path":"/tmp/t.jsonl","cwd":"%s","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":%s,"tool_use_id":"toolu_1","agent_type":"realtime-dev","agent_id":"a1"}' "$repo" "$1" "$2"
}
event Edit "{\"file_path\":\"$repo/tests/ws.rs\",\"old_string\":\"a\",\"new_string\":\"b\"}" > "$repo/deny.json"
event Bash '{"command":"timeout 60 cargo test --quiet && git diff --stat > /dev/null"}' > "$repo/allow.json"
# Through the plan gate: the agent's task in progress, its approved plan, its scope.
event Edit "{\"file_path\":\"$repo/src/ws/feature_7.rs\",\"old_string\":\"a\",\"new_string\":\"b\"}" > "$repo/plan.json"
[ -z "$("$bin" guard < "$repo/plan.json")" ] || { echo "the plan-gate call should be allowed"; exit 1; }

# The same call on a copy where approvals are signed: a quorum of three,
# one Ed25519, one ECDSA and one RSA signature, each verified on every call.
signed=$(mktemp -d)
keys=$(mktemp -d)
trap 'rm -rf "$repo" "$signed" "$keys"' EXIT
cp -r "$repo/." "$signed/"
rm -rf "$signed/plans" "$signed/.harness"
mkdir -p "$signed/plans"
sed "s/^status: .*/status: draft/" "$repo/plans/0007-feature-7.md" |
  sed '/^approvals:/,/^---$/{/^---$/!d}' |
  sed "s/^PLAN_APPROVED: .*/PLAN_APPROVED: pending/" > "$signed/plans/0007-feature-7.md"
: > "$signed/allowed_signers"
for who in alice:ed25519 bob:ecdsa carol:rsa; do
  ssh-keygen -q -t "${who#*:}" -N '' -C "${who%%:*}" -f "$keys/${who%%:*}"
  echo "${who%%:*} $(cat "$keys/${who%%:*}.pub")" >> "$signed/allowed_signers"
done
printf '[approvals]\nsigners = "allowed_signers"\nquorum = 3\n' > "$signed/harness.toml"
for who in alice bob carol; do
  (cd "$signed" && "$bin" plan approve 7 --by "$who" --key "$keys/$who" >/dev/null)
done
(cd "$signed" && "$bin" task start 0007-1 --owner realtime-dev >/dev/null)
sed "s|$repo|$signed|g" "$repo/plan.json" > "$repo/signed.json"
[ -z "$(CLAUDE_PROJECT_DIR=$signed "$bin" guard < "$repo/signed.json")" ] ||
  { echo "the signed plan-gate call should be allowed"; exit 1; }
# A signature that does not verify must deny, or the figure means nothing.
cp "$signed/plans/0007-feature-7.md" "$keys/plan"
sed -i 's/^\(    signature: .*\)AAAA/\1AAAB/' "$signed/plans/0007-feature-7.md"
CLAUDE_PROJECT_DIR=$signed "$bin" guard < "$repo/signed.json" | grep -q '"deny"' ||
  { echo "a broken signature should deny"; exit 1; }
cp "$keys/plan" "$signed/plans/0007-feature-7.md"

# Both hooks must agree before their speed means anything.
for e in deny allow; do
  ours=$("$bin" guard < "$repo/$e.json" | grep -c '"deny"' || true)
  peer=$(python3 "$here/guard_peer.py" < "$repo/$e.json" | grep -c '"deny"' || true)
  [ "$ours" = "$peer" ] || { echo "harness and the Python peer disagree on $e.json"; exit 1; }
done
echo "repo: 2 agents, $(ls "$repo"/plans/*.md | wc -l) approved plans, one task in progress; $runs runs each"

# A timing loop, interleaving the three commands so that load from other
# processes falls on all of them alike. Wall time per run includes the cost
# of starting a process, which /bin/true shows alone; CPU time is the
# children's user + system time.
python3 - "$runs" "$bin" "$here/guard_peer.py" "$repo" "$signed" <<'PY'
import os, resource, statistics, subprocess, sys, time
runs, bin, peer, repo, signed = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
every = {"/bin/true (floor)": ["/bin/true"], "harness guard": [bin, "guard"], "python peer": ["python3", peer]}
for e in ("deny", "allow", "plan", "signed"):
    data = open(f"{repo}/{e}.json", "rb").read()
    env = dict(os.environ, CLAUDE_PROJECT_DIR=signed if e == "signed" else repo)
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
    ours = statistics.median(wall["harness guard"])
    if "python peer" in wall:
        py = statistics.median(wall["python peer"])
        print(f"harness is {py / ours:.1f}x faster than the Python peer")
        print(f"target (< 3 ms, >= 20x): {'met' if ours < 3 and py / ours >= 20 else 'NOT met'}")
    else:
        print(f"target (< 3 ms): {'met' if ours < 3 else 'NOT met'}")
PY
uptime
