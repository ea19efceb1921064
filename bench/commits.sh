#!/usr/bin/env bash
# How fast `harness-agents commits check` reads and checks a history, next to the
# floor (`git log --format=%B`, which only prints the messages) and the
# peers: convco, cocogitto (cargo install) and commitlint (npm).
#
#   bench/commits.sh [REPO...]
#
# Always measures a generated 20,000-commit history (git fast-import), then
# each repository given. Every tool checks the same range: from the root
# commit to HEAD. Peers are installed into bench/.tools (git-ignored by a
# .gitignore of its own) when missing; set BENCH_NO_INSTALL=1 to skip
# installing, and a peer that is missing is reported as skipped. After each
# timing, harness and git log again, taking turns, for the ratio the target
# (within 1.2x of git log) is about; then the agreement of harness's
# verdicts with commitlint's on the same commits
# (bench/commit_agreement.py), the differences grouped by rule. Also times
# one message lint as a whole process (the commit-msg hook's case; target
# under 2 ms). Needs hyperfine.
set -euo pipefail
cd "$(dirname "$0")/.."
HERE=$(pwd)/bench
TOOLS=$HERE/.tools
COMMITS=${COMMITS:-20000}
RUNS=${RUNS:-10}

command -v hyperfine >/dev/null || { echo "hyperfine is needed" >&2; exit 2; }
HARNESS=$("$HERE/static-build.sh")

mkdir -p "$TOOLS"
printf '*\n' > "$TOOLS/.gitignore"
export PATH=$TOOLS/bin:$TOOLS/node_modules/.bin:$PATH

install_peers() {
  [ "${BENCH_NO_INSTALL:-}" = 1 ] && return
  for crate in convco cocogitto; do
    bin=$crate; [ "$crate" = cocogitto ] && bin=cog
    if ! command -v "$bin" >/dev/null; then
      echo "installing $crate into $TOOLS (once)..." >&2
      # A --locked build can need a newer rustc than the one at hand.
      cargo install --quiet --locked --root "$TOOLS" "$crate" >&2 ||
        cargo install --quiet --root "$TOOLS" "$crate" >&2 ||
        echo "could not install $crate; it is skipped" >&2
    fi
  done
  if ! command -v commitlint >/dev/null && command -v npm >/dev/null; then
    echo "installing commitlint into $TOOLS (once)..." >&2
    (cd "$TOOLS" && npm install --silent --no-audit --no-fund \
      @commitlint/cli@20 @commitlint/config-conventional@20 >/dev/null 2>&1) ||
      echo "could not install commitlint; it is skipped" >&2
  fi
}

# A linear history of $COMMITS commits, each touching one file, with a mix of
# the messages real projects have: scopes, bodies, footers, breaking changes.
generate() {
  local dir=$1
  rm -rf "$dir"
  git init --quiet -b main "$dir"
  awk -v n="$COMMITS" 'BEGIN {
    split("feat fix docs refactor perf test chore build ci style", types, " ")
    split("core cli parser api ws docs", scopes, " ")
    for (i = 1; i <= n; i++) {
      t = types[(i % 10) + 1]
      if (i % 3 == 0) h = t "(" scopes[(i % 6) + 1] "): change number " i
      else h = t ": change number " i
      msg = h "\n"
      if (i % 2 == 0) msg = msg "\nA body line explaining the change " i ", at some length so\nthe message is like the messages of a real project.\n"
      if (i % 50 == 0) msg = msg "\nBREAKING CHANGE: the behaviour of " i " changed\n"
      msg = msg "\nRefs: #" (i % 97 + 1) "\n"
      content = "line " i "\n"
      printf "commit refs/heads/main\nmark :%d\n", i
      printf "committer Bench <bench@example.com> %d +0000\n", 1700000000 + i * 60
      printf "data %d\n%s", length(msg), msg
      if (i > 1) printf "from :%d\n", i - 1
      printf "M 644 inline src/file%d.txt\ndata %d\n%s\n", i % 500, length(content), content
    }
  }' | git -C "$dir" fast-import --quiet
  git -C "$dir" checkout --quiet main
  printf '[commits]\nissue_references = true\n' > "$dir/harness.toml"
  # The peers accept what harness accepts.
  printf "module.exports = { extends: ['@commitlint/config-conventional'], rules: { 'body-max-line-length': [0], 'footer-max-line-length': [0] } };\n" \
    > "$dir/commitlint.config.js"
  printf 'from_latest_tag = false\nignore_merge_commits = true\n' > "$dir/cog.toml"
}

measure() {
  local repo=$1 label=$2
  local root count
  root=$(git -C "$repo" rev-list --max-parents=0 HEAD | tail -n 1)
  count=$(git -C "$repo" rev-list --count "$root..HEAD")
  echo
  echo "== $label: $count commits ($root..HEAD)"
  local cmds=(-n "git log" "git -C '$repo' log --format=%B $root..HEAD"
              -n "harness" "'$HARNESS' -C '$repo' commits check $root..HEAD --format json")
  if command -v convco >/dev/null; then
    cmds+=(-n "convco" "cd '$repo' && convco check $root..HEAD")
  else
    echo "convco: skipped (not installed)"
  fi
  if command -v cog >/dev/null; then
    cmds+=(-n "cocogitto" "cd '$repo' && cog check $root..HEAD")
  else
    echo "cocogitto: skipped (not installed)"
  fi
  if command -v commitlint >/dev/null; then
    cmds+=(-n "commitlint" "cd '$repo' && commitlint --cwd '$repo' --from $root --to HEAD -g '$repo/commitlint.config.js'")
  else
    echo "commitlint: skipped (not installed)"
  fi
  # Peers exit non-zero when they find bad commits: time them anyway.
  hyperfine --style basic --warmup 1 --runs "$RUNS" -i --export-json "$TOOLS/last.json" \
    "${cmds[@]}" >/dev/null 2>&1 || true
  python3 - "$TOOLS/last.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
floor = next(x["median"] for x in r if x["command"] == "git log")
print(f"{'tool':<12}{'median':>10}{'vs git log':>12}")
for x in sorted(r, key=lambda x: x["median"]):
    print(f"{x['command']:<12}{x['median']*1000:>8.0f}ms{x['median']/floor:>11.2f}x")
EOF
  # The ratio the target is about, from the floor and harness alone taking
  # turns (bench/timing.py), so that a change in the machine's load falls on
  # both alike: at a few milliseconds, a batch of ten runs as above moves by
  # a tenth from one run of this script to the next.
  local turns=100
  [ "$count" -gt 2000 ] && turns=20
  echo "-- harness against git log, taking turns"
  python3 "$HERE/timing.py" "$turns" \
    "git log" -- git -C "$repo" log --format=%B "$root..HEAD" --- \
    "harness" -- "$HARNESS" -C "$repo" commits check "$root..HEAD" --format json |
    awk '{ print } NR == 2 { floor = $(NF-1) } NR == 3 { ours = $(NF-1) }
      END { r = ours / floor
        printf "ratio: %.2fx; target (#22, <= 1.2x git log): %s\n", r, r <= 1.2 ? "met" : "NOT met" }'
  if [ -d "$TOOLS/node_modules/@commitlint/lint" ] && command -v node >/dev/null; then
    echo "-- agreement with commitlint (config-conventional) on the same commits"
    NODE_PATH=$TOOLS/node_modules python3 "$HERE/commit_agreement.py" "$HARNESS" "$repo" "$root..HEAD" ||
      echo "agreement: could not be computed"
  fi
}

install_peers
GEN=$HERE/.tools/generated
echo "generating $COMMITS commits with git fast-import..."
generate "$GEN"
measure "$GEN" "generated history"
# This repository's own history is a real one; more can be given.
for repo in "$HERE/.." "$@"; do
  measure "$(cd "$repo" && pwd)" "$repo"
done

echo
echo "== one message, whole process (the commit-msg hook)"
printf 'feat(ws): add the presence channel\n\nBody.\n\nRefs: #6\n' > "$TOOLS/MSG"
hyperfine --style basic -N --warmup 20 --runs 300 \
  -n "harness-agents commits lint-msg" "$HARNESS -C $GEN commits lint-msg $TOOLS/MSG" 2>&1 |
  grep -E 'Time|±' || true
