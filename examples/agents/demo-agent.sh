#!/bin/sh
# A scripted agent for `harness run`: reads its prompt on stdin, and works
# the task harness names in HARNESS_TASK by noting it in the service's
# NOTES.md (inside the example plan's Files to Change). harness judges the
# change and writes the commit, as it would for a real agent.
set -eu
prompt=$(cat)
echo "demo agent ${HARNESS_AGENT} on task ${HARNESS_TASK} of plan ${HARNESS_PLAN}"
echo "prompt: $(printf '%s\n' "$prompt" | grep -m1 '^Work on task' || true)"
notes=examples/chat-service/NOTES.md
mkdir -p "$(dirname "$notes")"
echo "- ${HARNESS_TASK}: done by ${HARNESS_AGENT}" >> "$notes"
