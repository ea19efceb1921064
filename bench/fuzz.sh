#!/usr/bin/env bash
# A short fuzzing run of the agent-file parser (front matter + body, then
# validation and policy compilation). Not part of CI.
#   bench/fuzz.sh [SECONDS]     default 60
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "installing cargo-fuzz..."
  cargo install --locked cargo-fuzz
fi
# Seed the corpus with the shipped agents and, when present, the shared corpus.
mkdir -p fuzz/corpus/agent_parse
cp agents/*.md fuzz/corpus/agent_parse/
if [ -d ../shared/corpus/agents ]; then
  find ../shared/corpus/agents -name '*.md' -exec cp {} fuzz/corpus/agent_parse/ \;
fi
# cargo-fuzz needs nightly flags; the stable toolchain accepts them with RUSTC_BOOTSTRAP.
RUSTC_BOOTSTRAP=1 cargo fuzz run agent_parse fuzz/corpus/agent_parse -- -max_total_time="$seconds" -max_len=8192
