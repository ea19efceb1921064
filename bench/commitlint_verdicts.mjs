// commitlint's own verdict on every commit of a range, as JSON: what
// bench/commit_agreement.py compares harness with. Runs commitlint's
// library (@commitlint/lint with @commitlint/config-conventional) in one
// process instead of its CLI per commit.
//   node bench/commitlint_verdicts.mjs REPO FROM..TO
// Resolves the packages from NODE_PATH's first entry (bench/.tools).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const [repo, range] = process.argv.slice(2);
const modules = (process.env.NODE_PATH || "").split(path.delimiter)[0];
const require = createRequire(path.join(modules, "noop.js"));
const lint = require("@commitlint/lint").default;
const load = require("@commitlint/load").default;

const config = await load({ extends: ["@commitlint/config-conventional"] });
const log = execFileSync("git", ["-C", repo, "log", "-z", "--format=%H%n%B", range], {
  maxBuffer: 1 << 30,
}).toString("utf8");
const out = [];
for (const entry of log.split("\0")) {
  if (!entry.trim()) continue;
  const nl = entry.indexOf("\n");
  const sha = entry.slice(0, nl).trim();
  const message = entry.slice(nl + 1);
  const r = await lint(message, config.rules, {
    parserOpts: config.parserPreset?.parserOpts,
  });
  out.push({
    sha,
    valid: r.valid,
    errors: r.errors.map((e) => e.name),
    warnings: r.warnings.map((w) => w.name),
  });
}
process.stdout.write(JSON.stringify(out));
