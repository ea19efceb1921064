#!/bin/sh
# A scripted agent for `harness-agents run`: reads its prompt on stdin, and works
# the task harness names in HARNESS_TASK by noting it in the service's
# README.md (inside the example plan's Files to Change). It runs under the
# sandbox, as a real agent would; harness judges the change and writes the
# commit.
set -eu
prompt=$(cat)
echo "demo agent ${HARNESS_AGENT} on task ${HARNESS_TASK} of plan ${HARNESS_PLAN}"
echo "prompt: $(printf '%s\n' "$prompt" | grep -m1 '^Work on task' || true)"
echo "- ${HARNESS_TASK}: done by ${HARNESS_AGENT}" >> examples/chat-service/README.md
