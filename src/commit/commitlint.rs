//! A project's own commitlint config, read when `harness.toml` has no
//! `[commits]` section, so a team moving from commitlint keeps its rules.
//!
//! The files are looked for in commitlint's order (`package.json`'s
//! `commitlint` key, `.commitlintrc`, `.commitlintrc.json`/`.yaml`/`.yml`,
//! then the JavaScript forms) and the first one found is used. JSON and
//! YAML are parsed here; JavaScript is evaluated by `node`, the only thing
//! that can run it, and when `node` is missing the config is an error that
//! says so rather than silently replaced by the defaults. What harness
//! cannot follow (an `extends` other than config-conventional, a plugin, a
//! rule it does not implement) is returned as a warning, never dropped.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::config::{CommitsConfig, Preset, Project, RULE_NAMES, RuleSetting};
use crate::diagnostic::{Code, Diagnostic, Span};
use crate::error::{Error, Result};

/// The files commitlint reads, in the order it looks for them.
pub const FILES: &[&str] = &[
    "package.json",
    ".commitlintrc",
    ".commitlintrc.json",
    ".commitlintrc.yaml",
    ".commitlintrc.yml",
    ".commitlintrc.js",
    ".commitlintrc.cjs",
    ".commitlintrc.mjs",
    "commitlint.config.js",
    "commitlint.config.cjs",
    "commitlint.config.mjs",
    ".commitlintrc.ts",
    ".commitlintrc.cts",
    "commitlint.config.ts",
    "commitlint.config.cts",
];

/// The preset harness implements under commitlint's package name.
const CONFIG_CONVENTIONAL: &str = "@commitlint/config-conventional";

/// Top-level keys that only shape commitlint's prompt or output.
const HARMLESS: &[&str] = &["extends", "rules", "helpUrl", "prompt", "formatter"];

/// A commitlint config as harness reads it.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The file it came from, as shown to the user.
    pub file: String,
    pub commits: CommitsConfig,
    /// What harness could not follow, each located where possible.
    pub warnings: Vec<String>,
}

/// Reads the commitlint config at the root of `project`, if there is one.
/// `shown` names a file as the user should see it (e.g. `abc1234:.commitlintrc`).
pub fn read(project: &Project, shown: &dyn Fn(&str) -> String) -> Result<Option<Imported>> {
    let files = &project.files;
    for name in FILES {
        let path = project.root.join(name);
        if !files.is_file(&path) {
            continue;
        }
        let text = files.read_text(&path)?;
        let file = shown(name);
        let value = match *name {
            "package.json" => match parse_json(&file, &text)?.get("commitlint") {
                Some(v) => v.clone(),
                None => continue,
            },
            n if n.ends_with(".json") => parse_json(&file, &text)?,
            n if n.ends_with("js") => evaluate(project, &path, &file)?,
            n if n.ends_with("ts") => {
                return Err(invalid(
                    &file,
                    None,
                    format!(
                        "`{file}` is TypeScript, which harness cannot evaluate (commitlint loads it through its own TypeScript loader); write the config as `commitlint.config.mjs` or `.commitlintrc.json`"
                    ),
                ));
            }
            // `.commitlintrc` is JSON or YAML; YAML reads both.
            _ => parse_yaml(&file, &text)?,
        };
        return Ok(Some(import(&file, &text, &value)?));
    }
    Ok(None)
}

/// The commit rules of `project`'s working tree: its `[commits]` section,
/// else its commitlint config (returned too, for its warnings), else the
/// defaults.
pub fn working(project: &Project) -> Result<(CommitsConfig, Option<Imported>)> {
    if project.config.commits_declared {
        return Ok((project.config.commits.clone(), None));
    }
    match read(project, &|n| n.to_string())? {
        Some(found) => Ok((found.commits.clone(), Some(found))),
        None => Ok((project.config.commits.clone(), None)),
    }
}

fn invalid(file: &str, span: Option<Span>, message: String) -> Error {
    let d = Diagnostic::error(Code::InvalidConfig, message)
        .hint("fix the commitlint config, or add a `[commits]` section to harness.toml, which takes its place");
    match span {
        Some(s) => d.at(s),
        None => d.at(Span::new(file, 1, 1)),
    }
    .into()
}

fn parse_json(file: &str, text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let span = Span::at_line_col(file, text, e.line(), e.column(), 1);
        invalid(file, Some(span), format!("invalid JSON: {e}"))
    })
}

fn parse_yaml(file: &str, text: &str) -> Result<Value> {
    serde_saphyr::from_str::<Value>(text).map_err(|e| {
        let (line, col) = e
            .location()
            .map_or((1, 1), |l| (l.line() as usize, l.column() as usize));
        let message = e.to_string();
        let message = message.lines().next().unwrap_or_default().to_string();
        let span = Span::at_line_col(file, text, line, col, 1);
        invalid(file, Some(span), format!("invalid YAML: {message}"))
    })
}

/// The commitlint files of `project` (a commit's, in memory) written to a
/// private temporary directory, for `node` to read.
fn write_for_node(project: &Project) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir().map_err(|e| Error::io("create a temporary directory", ".", e))?;
    for name in FILES {
        if let Ok(bytes) = project.files.read(&project.root.join(name)) {
            crate::fsutil::write_atomic_unsynced(&dir.path().join(name), &bytes)?;
        }
    }
    // Node looks for the nearest `package.json` to know whether `.js` is a
    // module; one that says nothing (as none does) ends the search here,
    // inside what the config may read.
    let package = dir.path().join("package.json");
    if !package.exists() {
        crate::fsutil::write_atomic_unsynced(&package, b"{}\n")?;
    }
    Ok(dir)
}

/// Runs `node` to load a JavaScript config and print it as JSON. A config
/// held in memory (a commit's) is written for `node` to a private
/// directory first, beside the commit's other commitlint files (its
/// `package.json` says whether `.js` is a module), and evaluated under
/// node's permission model with only that directory readable and no
/// environment but `PATH`: node looks for a `require`d package in every
/// directory above the config, and the one above a temporary directory
/// (`/tmp/node_modules`) is anyone's to fill. The config may not load
/// packages, read other files or start processes; commitlint's `extends`
/// names need none of that. node's model leaves the network open, and has
/// had bypasses of its own, so the kernel also confines the process
/// ([`crate::sandbox::confine_script`]): no socket of any kind, no other
/// process started and, where Landlock is enabled, no file written and
/// none read outside that directory, node's installation and the system's
/// libraries.
fn evaluate(project: &Project, path: &Path, file: &str) -> Result<Value> {
    // Held until `node` has read it; removed on return.
    let written = project
        .files
        .is_in_memory()
        .then(|| write_for_node(project))
        .transpose()?;
    let private = match &written {
        Some(dir) => Some(
            std::fs::canonicalize(dir.path())
                .map_err(|e| Error::io("resolve a temporary directory", dir.path(), e))?,
        ),
        None => None,
    };
    let on_disk = private
        .as_ref()
        .map(|dir| dir.join(path.file_name().unwrap_or_default()));
    let path = on_disk.as_deref().unwrap_or(path);
    // Found once: the confined process may read its installation, and
    // every run runs the same file.
    let not_found = || {
        invalid(
            file,
            None,
            format!(
                "`{file}` is JavaScript, which only `node` can read, and `node` is not on PATH; install Node.js, or write the config as `.commitlintrc.json`"
            ),
        )
    };
    let Some(program) = node_on_path() else {
        return Err(not_found());
    };
    // What the confined process may read: its directory and node's
    // installation.
    let granted: Vec<std::path::PathBuf> = match &private {
        Some(dir) => std::iter::once(dir.clone())
            .chain(crate::sandbox::installation(&program))
            .collect(),
        None => Vec::new(),
    };
    let readable: Vec<&Path> = granted.iter().map(|p| p.as_path()).collect();
    let run = |permission: Option<&str>| {
        let mut node = Command::new(&program);
        node.arg("--no-warnings");
        if let (Some(flag), Some(dir)) = (permission, &private) {
            let mut allow_read = std::ffi::OsString::from("--allow-fs-read=");
            allow_read.push(dir.join("*"));
            node.arg(flag).arg(allow_read);
            // Nothing from the environment: options there could widen what
            // it may read (`NODE_OPTIONS=--allow-fs-read=*`), and the
            // config could send on what it holds (tokens, in CI).
            let path = std::env::var_os("PATH");
            node.env_clear();
            if let Some(path) = path {
                node.env("PATH", path);
            }
            crate::sandbox::confine_script(&mut node, &readable).map_err(std::io::Error::other)?;
        }
        node.arg("-e")
            .arg(SCRIPT)
            .arg(path)
            .current_dir(path.parent().unwrap_or(Path::new(".")));
        output_within(node, NODE_TIME_LIMIT)
    };
    // `--permission` since Node.js 22.13/23.5; `--experimental-permission`
    // before, back to 20. A node that knows neither says "bad option"; so
    // can a config, which is then confined in both runs, and is told apart
    // by asking node about the flag with no config at all.
    let mut out = run(private.as_ref().map(|_| "--permission"));
    if private.is_some() && out.as_ref().is_ok_and(bad_option) {
        out = run(Some("--experimental-permission"));
        if out.as_ref().is_ok_and(bad_option)
            && !knows_option(&program, "--experimental-permission")
        {
            return Err(invalid(
                file,
                None,
                format!(
                    "`{file}` is JavaScript from a commit, which harness evaluates under node's permission model, and this `node` has none; install Node.js 20 or newer, or write the config as `.commitlintrc.json`"
                ),
            ));
        }
    }
    let out = match out {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(not_found()),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            return Err(invalid(
                file,
                None,
                format!(
                    "`node` did not finish reading `{file}` within {} s, and was stopped; a config must export its rules without waiting on anything",
                    NODE_TIME_LIMIT.as_secs()
                ),
            ));
        }
        Err(e) => {
            return Err(invalid(
                file,
                None,
                format!("could not run `node` to read `{file}`: {e}"),
            ));
        }
    };
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let first = err
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        let mut message = format!("`node` could not load `{file}`: {first}");
        if private.is_some() && err.contains("error while loading shared libraries") {
            message.push_str(
                " (a commit's JavaScript config is evaluated by a `node` that may read only its own installation, the system's libraries under /usr and /lib, and the Nix and Homebrew stores; use a node whose libraries lie there, or write the config as `.commitlintrc.json`)",
            );
        } else if private.is_some() && (err.contains("ERR_ACCESS_DENIED") || err.contains("EACCES"))
        {
            message.push_str(
                " (a commit's JavaScript config is evaluated with only its own commitlint files readable: it may not load packages, read or write other files, open sockets or start processes)",
            );
        }
        return Err(invalid(file, None, message));
    }
    serde_json::from_slice(&out.stdout).map_err(|e| {
        invalid(
            file,
            None,
            format!("`{file}` did not export a JSON-like config: {e}"),
        )
    })
}

/// The `node` a shell would run, by its absolute path, from the absolute
/// directories on PATH only: a `.` or an empty entry names whatever
/// directory harness runs in, in CI a checkout of the branch under check.
fn node_on_path() -> Option<std::path::PathBuf> {
    let dirs = std::env::var_os("PATH")?;
    let absolute = std::env::split_paths(&dirs).filter(|d| d.is_absolute());
    crate::fsutil::on_path("node", &std::env::join_paths(absolute).ok()?)
}

/// How long `node` may take to read a config: one that never finishes
/// would otherwise hold up every check that reads it.
const NODE_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(20);

/// The most `node` may print on each of its outputs while reading a
/// config: an export is a few kilobytes, and what is printed is held in
/// memory.
const NODE_OUTPUT_LIMIT: usize = 16 << 20;

/// `cmd`'s output, as [`Command::output`] gives it, unless it runs longer
/// than `limit` (it is then killed, and the error is `TimedOut`, as it is
/// when its output is still open after that: something it started holds
/// it) or prints more than [`NODE_OUTPUT_LIMIT`] on either output (the
/// rest is read and dropped, and the error says so).
fn output_within(
    mut cmd: Command,
    limit: std::time::Duration,
) -> std::io::Result<std::process::Output> {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Each pipe drained on its own thread, so a full one never stalls it.
    let (sent, drained) = std::sync::mpsc::channel();
    let drain = |which: usize, mut pipe: Option<Box<dyn Read + Send>>| {
        let sent = sent.clone();
        std::thread::spawn(move || {
            let (mut bytes, mut over) = (Vec::new(), false);
            let mut buf = [0u8; 8192];
            while let Some(pipe) = pipe.as_mut() {
                match pipe.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) if bytes.len() + n <= NODE_OUTPUT_LIMIT => {
                        bytes.extend_from_slice(&buf[..n]);
                    }
                    Ok(_) => over = true,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => break,
                }
            }
            let _ = sent.send((which, bytes, over));
        })
    };
    drain(0, child.stdout.take().map(|p| Box::new(p) as _));
    drain(1, child.stderr.take().map(|p| Box::new(p) as _));
    let deadline = std::time::Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::ErrorKind::TimedOut.into());
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    let mut outputs = [Vec::new(), Vec::new()];
    for _ in 0..2 {
        let left = deadline
            .saturating_duration_since(std::time::Instant::now())
            .max(std::time::Duration::from_secs(1));
        let Ok((which, bytes, over)) = drained.recv_timeout(left) else {
            return Err(std::io::ErrorKind::TimedOut.into());
        };
        if over {
            return Err(std::io::Error::other(format!(
                "it printed more than {} MiB, which no config's export needs",
                NODE_OUTPUT_LIMIT >> 20
            )));
        }
        outputs[which] = bytes;
    }
    let [stdout, stderr] = outputs;
    Ok(std::process::Output {
        status,
        stdout,
        stderr,
    })
}

/// Loads the config named by the first argument and prints its export.
const SCRIPT: &str = "const {pathToFileURL} = require('url');\
    import(pathToFileURL(process.argv[1]).href)\
    .then(m => (m.default !== undefined ? m.default : m))\
    .then(c => process.stdout.write(JSON.stringify(c)))\
    .catch(e => { process.stderr.write(String(e && e.stack || e) + (e && e.code ? ' ' + e.code : '')); process.exit(1); });";

/// Whether `node` refused a command-line option it does not know.
fn bad_option(out: &std::process::Output) -> bool {
    out.status.code() == Some(9) && String::from_utf8_lossy(&out.stderr).contains("bad option")
}

/// Whether `node` runs an empty script with `option`.
fn knows_option(node: &Path, option: &str) -> bool {
    let mut node = Command::new(node);
    node.args([option, "-e", "0"]);
    output_within(node, NODE_TIME_LIMIT).is_ok_and(|out| !bad_option(&out))
}

/// The 1-based line of the first mention of `word` in `text`, to locate a
/// warning (the parsed value no longer knows where it came from).
fn line_of(text: &str, word: &str) -> Option<usize> {
    let at = text.find(word)?;
    Some(text[..at].matches('\n').count() + 1)
}

fn located(file: &str, text: &str, word: &str) -> String {
    match line_of(text, word) {
        Some(line) => format!("{file}:{line}"),
        None => file.to_string(),
    }
}

/// Maps a parsed commitlint config onto `[commits]`.
pub fn import(file: &str, text: &str, value: &Value) -> Result<Imported> {
    let mut warnings = Vec::new();
    let Some(obj) = value.as_object() else {
        return Err(invalid(
            file,
            None,
            "a commitlint config is an object with `extends` and `rules`".into(),
        ));
    };
    // commitlint with no `extends` has no rules but its own; the
    // specification is what harness always checks.
    let mut commits = CommitsConfig {
        preset: Preset::Spec,
        ..CommitsConfig::default()
    };
    let extends: Vec<&Value> = match obj.get("extends") {
        Some(Value::Array(items)) => items.iter().collect(),
        Some(v) => vec![v],
        None => Vec::new(),
    };
    for e in extends {
        match e.as_str() {
            Some(CONFIG_CONVENTIONAL) => commits.preset = Preset::ConfigConventional,
            Some(name) => warnings.push(format!(
                "{}: `extends: {name}` is not supported (harness implements `{CONFIG_CONVENTIONAL}` only); its rules are not applied",
                located(file, text, name)
            )),
            None => warnings.push(format!("{file}: an `extends` item is not a package name; ignored")),
        }
    }
    for key in obj.keys().filter(|k| !HARMLESS.contains(&k.as_str())) {
        warnings.push(format!(
            "{}: `{key}` is not supported by harness and is ignored",
            located(file, text, key)
        ));
    }
    if let Some(rules) = obj.get("rules") {
        let Some(rules) = rules.as_object() else {
            return Err(invalid(
                file,
                None,
                "`rules` is an object of rule names".into(),
            ));
        };
        for (name, setting) in rules {
            let at = located(file, text, name);
            let setting: RuleSetting = serde_json::from_value(setting.clone()).map_err(|e| {
                let span = line_of(text, name).map(|l| Span::new(file, l, 1));
                invalid(file, span, format!("rule `{name}`: {e}"))
            })?;
            if RULE_NAMES.contains(&name.as_str()) {
                commits.rules.insert(name.clone(), setting);
            } else if setting.level > 0 {
                warnings.push(format!(
                    "{at}: rule `{name}` is not implemented by harness and is not checked"
                ));
            }
        }
    }
    Ok(Imported {
        file: file.to_string(),
        commits,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn case(text: &str, preset: Preset, rules: &[(&str, u8)], warnings: &[&str]) {
        let value: Value = serde_json::from_str(text).unwrap();
        let got = import(".commitlintrc.json", text, &value).unwrap();
        assert_eq!(got.commits.preset, preset);
        let levels: Vec<(&str, u8)> = got
            .commits
            .rules
            .iter()
            .map(|(n, s)| (n.as_str(), s.level))
            .collect();
        assert_eq!(levels, rules);
        assert_eq!(got.warnings, warnings);
    }

    #[test]
    fn configs_map_onto_commit_rules() {
        case("{}", Preset::Spec, &[], &[]);
        case(
            r#"{"extends": "@commitlint/config-conventional"}"#,
            Preset::ConfigConventional,
            &[],
            &[],
        );
        case(
            "{\"extends\": [\"@commitlint/config-conventional\"],\n\"rules\": {\"subject-case\": [0], \"scope-enum\": [2, \"always\", [\"api\"]], \"body-case\": [0]}}",
            Preset::ConfigConventional,
            &[("subject-case", 0)],
            &[
                ".commitlintrc.json:2: rule `scope-enum` is not implemented by harness and is not checked",
            ],
        );
        case(
            "{\"plugins\": [\"x\"],\n\"helpUrl\": \"u\"}",
            Preset::Spec,
            &[],
            &[".commitlintrc.json:1: `plugins` is not supported by harness and is ignored"],
        );
    }
}
