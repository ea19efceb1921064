#!/usr/bin/env bash
# `harness-agents plan check` and `harness-agents task list` over a repository of approved
# plans (parse, normalise and hash each plan; read every task file), next to
# `cat` of the same files as the floor. Not part of CI.
#   bench/plans.sh [PLANS] [RUNS]     defaults 200 and 20
set -euo pipefail
cd "$(dirname "$0")/.."
plans=${1:-200}
runs=${2:-20}
bin=$(bench/static-build.sh)
repo=$(mktemp -d)
trap 'rm -rf "$repo"' EXIT
git -C "$repo" init -q
mkdir -p "$repo/agents"
printf -- '---\nname: planner\ndescription: Writes plans.\n---\n# Planner\n' >"$repo/agents/planner.md"
for i in $(seq 1 "$plans"); do
  path=$("$bin" -C "$repo" plan new "Feature $i" --agent planner)
  python3 - "$repo/$path" "$i" <<'PY'
import sys
path, i = sys.argv[1], sys.argv[2]
text = open(path).read()
head = text[: text.index("## PLAN")]
body = f"""## PLAN: Feature {i}

### Context
Feature {i} adds a channel.

### Realtime Spec
```yaml realtime
transport: websocket
channels:
  - name: "feature{i}:{{id}}"
    events:
      - name: update
        schema: {{ text: string, seq: int }}
    publish: [member]
    subscribe: [member]
```

### Files to Change
- `src/feature{i}/**`: the service
- `web/src/hooks/useFeature{i}.ts`: the hook

### Tasks
- [ ] Service
- [ ] Hook (after 1)
- [ ] Docs

PLAN_APPROVED: pending
"""
open(path, "w").write(head + body)
PY
  "$bin" -C "$repo" plan approve "$i" --by bench >/dev/null
done
mapfile -t files < <(find "$repo/plans" -type f | sort)
echo "plans: $plans, files: ${#files[@]}"

python3 bench/timing.py "$runs" \
  "cat (floor)" -- cat "${files[@]}" --- \
  "harness-agents plan check" -- "$bin" -C "$repo" plan check --- \
  "harness-agents task list" -- "$bin" -C "$repo" task list | tee /tmp/harness-bench-plans.txt
awk 'NR == 2 { floor = $(NF-1) } NR == 3 { check = $(NF-1) } NR == 4 { tasks = $(NF-1) }
  END { printf "ratio to floor: plan check %.1fx, task list %.1fx\n", check / floor, tasks / floor }' /tmp/harness-bench-plans.txt
