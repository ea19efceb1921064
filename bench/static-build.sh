#!/usr/bin/env bash
# Builds harness as the benchmarks measure it and prints the binary's path:
# the `dist` profile (release, optimised as one unit) linked statically
# (`crt-static`), so that starting it,
# which the guard does before every tool call an agent makes, maps no
# shared library and resolves no symbol. The code stays position
# independent, so the kernel still places it at a random address.
#
# The flags apply to harness and its dependencies only: `--target` keeps
# them off build scripts and procedural macros, which must stay dynamic.
# `cargo install` takes the same two settings (see the README's Install).
#
# `--no-pie` also drops position independence: the binary then has no
# relocations to apply at start-up either (about 75 fewer page faults per
# start here), but its code sits at a fixed address, which makes exploiting
# a memory-safety bug easier. Into its own target directory
# (`target/no-pie`), so the two builds do not replace each other.
#
#   bench/static-build.sh [--no-pie]   prints the binary's path, e.g.
#                                      target/x86_64-unknown-linux-gnu/dist/installed/harness-agents
set -euo pipefail
cd "$(dirname "$0")/.."
host=$(rustc -vV | sed -n 's/^host: //p')
case "$host" in
  *-linux-gnu) ;;
  *) echo "static builds are set up for Linux with glibc; this host is $host" >&2; exit 2 ;;
esac
target=${CARGO_TARGET_DIR:-target}
case "$target" in /*) ;; *) target=$(pwd)/$target ;; esac
flags="-C target-feature=+crt-static"
case "${1:-}" in
  "") ;;
  --no-pie) flags="$flags -C relocation-model=static"; target=$target/no-pie ;;
  *) echo "usage: bench/static-build.sh [--no-pie]" >&2; exit 2 ;;
esac
RUSTFLAGS="${RUSTFLAGS:-} $flags" CARGO_TARGET_DIR=$target \
  cargo build --profile dist --quiet -p harness-agents --target "$host"
# What is measured is a fresh copy, as `cargo install` copies the binary
# it built: the linker's output in the target directory starts measurably
# slower than a copy of the same bytes (0.90 against 0.73 ms for
# `--version` here), which would count against harness in every bench.
built=$target/$host/dist/harness-agents
copy=$target/$host/dist/installed/harness-agents
mkdir -p "${copy%/*}"
cp "$built" "$copy.new" && mv -f "$copy.new" "$copy"
echo "$copy"
