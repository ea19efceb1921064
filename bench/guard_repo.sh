# The project the guard benchmarks run in, sourced by bench/guard.sh and
# bench/startup.sh so that both time the same calls.
#
#   guard_repo BIN DIR
#
# Makes DIR/repo: the two default agents, 50 approved plans and one task in
# progress (0007-1); DIR/signed: plan 7 alone, approved by a quorum of
# three SSH signatures (Ed25519, ECDSA, RSA), each verified on every call;
# DIR/signed1: DIR/repo with plan 7 approved by one Ed25519 signature; and
# the events DIR/{deny,allow,plan,signed,signed1}.json. Checks that each event
# gets the answer its name says, so that a figure never times an error.
guard_repo() {
  local bin=$1 dir=$2
  local repo=$dir/repo signed=$dir/signed keys=$dir/keys
  local src
  src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  mkdir -p "$repo/.git" "$repo/agents" "$repo/plans" "$repo/tests" "$repo/src/ws" "$keys"
  cp "$src/agents/realtime-dev.md" "$src/agents/realtime-engineer.md" "$repo/agents/"
  local n id
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

  local event
  event() { # tool, input JSON
    printf '{"session_id":"s","transcript_path":"/tmp/t.jsonl","cwd":"%s","permission_mode":"default","hook_event_name":"PreToolUse","tool_name":"%s","tool_input":%s,"tool_use_id":"toolu_1","agent_type":"realtime-dev","agent_id":"a1"}' "$repo" "$1" "$2"
  }
  event Edit "{\"file_path\":\"$repo/tests/ws.rs\",\"old_string\":\"a\",\"new_string\":\"b\"}" > "$dir/deny.json"
  event Bash '{"command":"timeout 60 cargo test --quiet && git diff --stat > /dev/null"}' > "$dir/allow.json"
  # Through the plan gate: the agent's task in progress, its approved plan, its scope.
  event Edit "{\"file_path\":\"$repo/src/ws/feature_7.rs\",\"old_string\":\"a\",\"new_string\":\"b\"}" > "$dir/plan.json"

  mkdir -p "$signed"
  cp -r "$repo/." "$signed/"
  rm -rf "$signed/plans" "$signed/.harness"
  mkdir -p "$signed/plans"
  # Plan 7 as it was before approval, to approve again with signatures.
  local draft=$keys/0007-draft.md
  sed "s/^status: .*/status: draft/" "$repo/plans/0007-feature-7.md" |
    sed '/^approvals:/,/^---$/{/^---$/!d}' |
    sed "s/^PLAN_APPROVED: .*/PLAN_APPROVED: pending/" > "$draft"
  cp "$draft" "$signed/plans/0007-feature-7.md"
  : > "$signed/allowed_signers"
  local who
  for who in alice:ed25519 bob:ecdsa carol:rsa; do
    ssh-keygen -q -t "${who#*:}" -N '' -C "${who%%:*}" -f "$keys/${who%%:*}"
    echo "${who%%:*} $(cat "$keys/${who%%:*}.pub")" >> "$signed/allowed_signers"
  done
  printf '[approvals]\nsigners = "allowed_signers"\nquorum = 3\n' > "$signed/harness.toml"
  for who in alice bob carol; do
    (cd "$signed" && "$bin" plan approve 7 --by "$who" --key "$keys/$who" >/dev/null)
  done
  (cd "$signed" && "$bin" task start 0007-1 --owner realtime-dev >/dev/null)
  sed "s|$repo|$signed|g" "$dir/plan.json" > "$dir/signed.json"

  # The common case: the 50 plans, plan 7 approved by one person's
  # Ed25519 key (ssh-keygen's default), a quorum of one.
  local one=$dir/signed1
  mkdir -p "$one"
  cp -r "$repo/." "$one/"
  rm -rf "$one/plans/0007"
  cp "$draft" "$one/plans/0007-feature-7.md"
  sed -n '1p' "$signed/allowed_signers" > "$one/allowed_signers"
  printf '[approvals]\nsigners = "allowed_signers"\nquorum = 1\n' > "$one/harness.toml"
  (cd "$one" && "$bin" plan approve 7 --by alice --key "$keys/alice" >/dev/null)
  (cd "$one" && "$bin" task start 0007-1 --owner realtime-dev >/dev/null)
  sed "s|$repo|$one|g" "$dir/plan.json" > "$dir/signed1.json"

  CLAUDE_PROJECT_DIR=$repo "$bin" guard < "$dir/deny.json" | grep -q '"deny"' ||
    { echo "the deny call should be denied" >&2; return 1; }
  [ -z "$(CLAUDE_PROJECT_DIR=$repo "$bin" guard < "$dir/allow.json")" ] ||
    { echo "the allow call should be allowed" >&2; return 1; }
  [ -z "$(CLAUDE_PROJECT_DIR=$repo "$bin" guard < "$dir/plan.json")" ] ||
    { echo "the plan-gate call should be allowed" >&2; return 1; }
  [ -z "$(CLAUDE_PROJECT_DIR=$signed "$bin" guard < "$dir/signed.json")" ] ||
    { echo "the signed plan-gate call should be allowed" >&2; return 1; }
  [ -z "$(CLAUDE_PROJECT_DIR=$one "$bin" guard < "$dir/signed1.json")" ] ||
    { echo "the one-key plan-gate call should be allowed" >&2; return 1; }
  # A signature that does not verify must deny, or the figure means nothing.
  cp "$signed/plans/0007-feature-7.md" "$keys/plan"
  sed -i 's/^\(    signature: .*\)AAAA/\1AAAB/' "$signed/plans/0007-feature-7.md"
  CLAUDE_PROJECT_DIR=$signed "$bin" guard < "$dir/signed.json" | grep -q '"deny"' ||
    { echo "a broken signature should deny" >&2; return 1; }
  cp "$keys/plan" "$signed/plans/0007-feature-7.md"
}
