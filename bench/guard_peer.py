#!/usr/bin/env python3
"""The guard's check written as a Python PreToolUse hook: the peer that
bench/guard.sh measures `harness-agents guard` against.

It does the same work for the benchmark's calls: read the event, load the
acting agent's definition (YAML front matter and the Markdown body), derive
the protected test paths and the plan-mode limit, check disallowedTools and
the tools list, normalise the path (resolving symlinks), split a Bash
command and find its write targets, and answer with Claude Code's deny
JSON.
"""
import fnmatch
import json
import os
import re
import shlex
import sys

import yaml

TEST_GLOBS = ["tests/**", "**/*_test.*", "**/*.test.*", "**/*.spec.*", "**/test_*.py", "**/conftest.py"]
EDIT_TOOLS = {"Edit", "MultiEdit", "Write", "NotebookEdit"}


def find_root(start):
    d = start
    while True:
        if os.path.exists(os.path.join(d, "harness.toml")) or os.path.exists(os.path.join(d, ".git")):
            return d
        parent = os.path.dirname(d)
        if parent == d:
            return start
        d = parent


def load_agent(root, name):
    for d in ("agents", ".claude/agents"):
        path = os.path.join(root, d, name + ".md")
        if os.path.isfile(path):
            text = open(path, encoding="utf-8").read()
            _, fm, body = text.split("---\n", 2)
            meta = yaml.safe_load(fm)
            return path, meta, body
    raise SystemExit(f"no agent {name}")


def gitignore_match(glob, rel):
    parts = rel.split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    pat = glob.lstrip("/")
    if "/" not in pat.rstrip("/"):
        pat = "**/" + pat
    rx = fnmatch.translate(pat).replace(".*.*/", "(.*/)?")
    return any(re.match(rx, c) for c in candidates)


def protected(meta, body, path):
    lines = body.splitlines()
    for i, line in enumerate(lines):
        low = line.lower()
        if ("not " in low or "never" in low) and ("test file" in low or "modify test" in low):
            return TEST_GLOBS, line.strip("- ").strip()
    return [], None


def bash_writes(command):
    targets = []
    for part in re.split(r"&&|\|\||;|\||\n", command):
        try:
            words = shlex.split(part)
        except ValueError:
            return None
        while words and (re.match(r"^\w+=", words[0]) or words[0] in ("env", "timeout", "nice", "command")):
            words = words[2:] if words[0] == "timeout" else words[1:]
        for i, w in enumerate(words):
            if w in (">", ">>") and i + 1 < len(words):
                targets.append(words[i + 1])
            elif w.startswith(">"):
                targets.append(w.lstrip(">"))
        if words and words[0] in ("tee", "rm", "touch", "truncate", "mv"):
            targets += [w for w in words[1:] if not w.startswith("-")]
        if words[:1] == ["sed"] and any(w.startswith("-i") for w in words):
            targets += [w for w in words[2:] if not w.startswith("-")]
    return targets


def deny(reason):
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse",
                                             "permissionDecision": "deny",
                                             "permissionDecisionReason": reason}}))
    sys.exit(0)


def main():
    event = json.load(sys.stdin)
    cwd = event.get("cwd") or os.getcwd()
    root = os.path.realpath(find_root(cwd))
    name = event.get("agent_type") or os.environ.get("HARNESS_AGENT")
    if not name:
        return
    path, meta, body = load_agent(root, name)
    tool = event["tool_name"]
    inp = event["tool_input"]
    if tool in (meta.get("disallowedTools") or []):
        deny(f"{tool} is in disallowedTools of {name}")
    tools = meta.get("tools")
    if tools is not None and tool not in tools:
        deny(f"{tool} is not in the tools of {name}")
    writes = []
    if tool in EDIT_TOOLS:
        writes.append(inp.get("file_path") or inp.get("notebook_path"))
    elif tool == "Bash":
        w = bash_writes(inp["command"])
        if w is None:
            deny("cannot parse the command")
        writes += w
    globs, why = protected(meta, body, path)
    for w in writes:
        full = os.path.realpath(os.path.join(cwd, w))
        rel = os.path.relpath(full, root)
        if rel.startswith(".."):
            continue
        for g in globs:
            if gitignore_match(g, rel):
                deny(f"{os.path.relpath(path, root)}: {why} (protected path {g})")
        if meta.get("permissionMode") == "plan" and not rel.startswith("plans/"):
            deny("plan mode: writes only plans/**")


if __name__ == "__main__":
    main()
