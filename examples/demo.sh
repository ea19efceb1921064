#!/usr/bin/env bash
# The whole loop, plan -> approve -> scaffold -> implement -> gates, on the
# shipped example plan with the scripted demo agent, in a temporary
# directory. It runs the walk-through of README.md ("Running agents") as
# written there, so the two cannot drift apart.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)

echo "== building harness"
cargo build --quiet --manifest-path "$src/Cargo.toml" -p harness-agents
target=$(cargo metadata --format-version 1 --no-deps --manifest-path "$src/Cargo.toml" |
  sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')

block=$(awk '/<!-- walkthrough:run -->/ { found = 1; next }
  found && /^```sh/ { inside = 1; next }
  inside && /^```/ { exit }
  inside { print }' "$src/README.md")
if [ -z "$block" ]; then
  echo "README.md has no walk-through block" >&2
  exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
export HARNESS_SRC="$src" PATH="$target/debug:$PATH"
# The demo commits; a machine with no git identity gets one for this run.
if ! git config user.name >/dev/null; then
  export GIT_AUTHOR_NAME="harness demo" GIT_COMMITTER_NAME="harness demo"
fi
if ! git config user.email >/dev/null; then
  export GIT_AUTHOR_EMAIL="demo@example.invalid" GIT_COMMITTER_EMAIL="demo@example.invalid"
fi
echo "== the walk-through, in $work"
printf '%s\n' "$block" | sed 's/^/  $ /'
echo
bash -ec "$block"
