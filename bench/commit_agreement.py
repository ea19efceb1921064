"""Agreement between harness and commitlint on a repository's history.

    python3 bench/commit_agreement.py HARNESS REPO FROM..TO

Runs `harness-agents commits check` (JSON) and commitlint's library with
config-conventional (bench/commitlint_verdicts.mjs, packages from NODE_PATH)
over the same commits, and prints how often their verdicts agree, judging
only the rules config-conventional has (harness's own, such as plan
references, are left out), with the disagreements grouped by rule.
"""

import collections
import json
import os
import subprocess
import sys

harness, repo, rng = sys.argv[1:4]
here = os.path.dirname(os.path.abspath(__file__))

ours = json.loads(
    subprocess.run(
        [harness, "-C", repo, "--format", "json", "commits", "check", rng],
        capture_output=True,
        text=True,
    ).stdout
)
theirs = json.loads(
    subprocess.run(
        ["node", os.path.join(here, "commitlint_verdicts.mjs"), repo, rng],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
)
known = {rule for c in theirs for rule in c["errors"] + c["warnings"]}
# The names config-conventional can report, also when no commit trips them.
known |= {
    "body-leading-blank", "body-max-line-length", "footer-leading-blank",
    "footer-max-line-length", "header-max-length", "header-trim",
    "subject-case", "subject-empty", "subject-full-stop", "type-case",
    "type-empty", "type-enum", "scope-case", "body-empty", "footer-empty",
}
by_sha = {c["sha"]: c for c in ours["commits"]}
agree = 0
differ = collections.Counter()
examples = {}
for c in theirs:
    h = by_sha.get(c["sha"])
    if h is None:
        continue
    h_err = {v["rule"] for v in h["violations"] if v["level"] == "error" and v["rule"] in known}
    h_ok = not h_err
    t_err = set(c["errors"])
    if h_ok == c["valid"]:
        agree += 1
        continue
    for rule in sorted(h_err ^ t_err) or ["(syntax: " + ", ".join(
        sorted({v["rule"] for v in h["violations"] if v["level"] == "error"})) + ")"]:
        side = "harness" if rule in h_err else "commitlint"
        key = f"{rule}, only {side}"
        differ[key] += 1
        examples.setdefault(key, h["subject"])
total = len(theirs)
print(f"commits: {total}; same verdict: {agree} ({100 * agree / max(total, 1):.1f}%)")
for key, n in differ.most_common():
    print(f"  {n:>6}  {key}  e.g. {examples[key]!r}")
