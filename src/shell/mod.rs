//! Shell command lines read as a shell would split them: into simple
//! commands, each with its words, the files it redirects output to, and
//! the directories it may run in, with wrappers stripped. This module knows
//! shell syntax only; what a command means (which files it writes, which
//! rule it matches) is for its callers.
//!
//! Claude Code matches a `Bash(...)` rule against each part of a compound
//! command and strips wrappers such as `timeout 10` first; the guard does
//! the same, so `timeout 5 git push` is caught by `Bash(git push:*)`.
//! Splitting is done here, quote-aware, on `&&`, `||`, `;`, `|`, `&`,
//! newlines, subshells, `$(...)` and backticks (whose inner commands become
//! commands of their own); heredoc bodies end where bash ends them, and
//! the commands an expanding body or a shell reading it would run are read
//! too. Words are unquoted as bash does it (ANSI-C `$'...'` included) and
//! braces expanded. `sh -c`/`bash -c` and `eval` with a literal argument
//! are read as command lines too.
//!
//! The working directory is followed through `cd`, `pushd` and `popd`
//! without trusting that they succeed: a command runs in every directory it
//! may be in (the one before a `cd` as well, unless it follows the `cd`
//! through `&&`), and in [`Dir::Unknown`] after `cd "$X"`, `cd -`, or a
//! directory change inside a loop or function. A subshell's changes end
//! with it; a pipeline's or background job's never reach the next command.
//!
//! The character-level splitting is in `split`, quote removal and brace
//! expansion in `lex`; what the words of one simple command mean to a
//! shell (assignments, wrappers, inline scripts) is in `words`.

mod lex;
mod split;
mod words;

use std::fmt;

use split::{Item, Op};
pub use words::is_assignment;

/// Stands in for a substitution's output in the outer command's words.
pub const SUBSTITUTION: &str = "__harness_substitution__";

/// A directory a command may run in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dir {
    /// A path as written: relative to the directory the command line
    /// starts in (`""` is that directory), absolute, or under `~/`.
    Path(String),
    /// Somewhere the reading cannot tell (`cd "$X"`, `cd -`).
    Unknown,
}

impl Dir {
    /// `path` as seen from this directory; `None` when that is unknown.
    pub fn join(&self, path: &str) -> Option<String> {
        if path.starts_with('/') || path == "~" || path.starts_with("~/") {
            return Some(path.to_string());
        }
        match self {
            Dir::Unknown => None,
            Dir::Path(dir) if dir.is_empty() => Some(path.to_string()),
            Dir::Path(dir) if path.is_empty() => Some(dir.clone()),
            Dir::Path(dir) => Some(format!("{}/{path}", dir.trim_end_matches('/'))),
        }
    }
}

/// One simple command of a command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The words after wrappers and assignments are stripped.
    pub words: Vec<String>,
    /// Files this command writes through redirections (`>`, `>>`, `&>`,
    /// `<>`) or its wrappers' own output (`time -o`).
    pub redirects: Vec<String>,
    /// Every directory the shell may be in when the command runs; its
    /// redirections resolve from each.
    pub dirs: Vec<Dir>,
    /// A directory a wrapper runs the program in (`env -C`, `sudo -D`):
    /// the program's operands resolve from there, its redirections do not.
    pub chdir: Option<String>,
    /// `xargs`: the program gets more arguments from its input.
    pub args_from_input: bool,
}

impl SimpleCommand {
    /// The command as rules see it: its words joined by single spaces.
    pub fn text(&self) -> String {
        self.words.join(" ")
    }

    /// The program run, without its directory (`rm` for `/bin/rm`); `None`
    /// for a command that is only redirections.
    pub fn program(&self) -> Option<&str> {
        self.words.first().map(|w| words::basename(w))
    }

    /// The words after the program.
    pub fn args(&self) -> &[String] {
        self.words.get(1..).unwrap_or_default()
    }

    /// The directories the program's operands resolve from: the shell's,
    /// moved by a wrapper's `chdir`.
    pub fn program_dirs(&self) -> Vec<Dir> {
        match &self.chdir {
            None => self.dirs.clone(),
            Some(c) => self.dirs.iter().map(|d| within(d, c)).collect(),
        }
    }
}

/// The directory `target` names, seen from `from`; unknown when `target`
/// depends on anything the reading cannot see.
pub fn within(from: &Dir, target: &str) -> Dir {
    let expands = target.contains(['$', '`', '*', '?', '['])
        || target.contains(SUBSTITUTION)
        || (target.starts_with('~') && target != "~" && !target.starts_with("~/"));
    if expands {
        return Dir::Unknown;
    }
    from.join(target).map_or(Dir::Unknown, Dir::Path)
}

/// A command line that cannot be split (unbalanced quotes or brackets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError(pub String);

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How deep `$(...)`, `bash -c` and `eval` may nest before we give up.
const MAX_DEPTH: usize = 8;

/// Splits a command line into its simple commands.
pub fn parse(command: &str) -> Result<Vec<SimpleCommand>, ParseError> {
    let mut walk = Walk {
        state: vec![Dir::Path(String::new())],
        cdpath: command.contains("CDPATH"),
        ..Walk::default()
    };
    let mut commands = Vec::new();
    parse_into(command, 0, &mut walk, &mut commands)?;
    if walk.repeats && walk.changes_dir {
        // A `cd` in a loop or function body: no order of commands holds.
        for c in &mut commands {
            c.dirs = vec![Dir::Unknown];
        }
    }
    Ok(commands)
}

/// The working directories as the commands of a line are read in order.
#[derive(Debug, Default, Clone)]
struct Walk {
    /// Where the next command may run.
    state: Vec<Dir>,
    /// Where it may run if the `&&` chain it is in was cut short by a
    /// failed `cd`: added back when the chain ends.
    fallback: Vec<Dir>,
    /// `pushd`'s stack.
    stack: Vec<Vec<Dir>>,
    /// Every directory any command may have run in, for substitutions,
    /// which run in the middle of the command that holds them.
    seen: Vec<Dir>,
    /// The line mentions `CDPATH`, which redirects `cd NAME`.
    cdpath: bool,
    changes_dir: bool,
    repeats: bool,
}

/// What a subshell saves of its parent's walk, to restore at its end.
type Saved = (Vec<Dir>, Vec<Dir>, Vec<Vec<Dir>>);

fn add(to: &mut Vec<Dir>, dirs: &[Dir]) {
    for d in dirs {
        if !to.contains(d) {
            to.push(d.clone());
        }
    }
}

impl Walk {
    fn enter(&self) -> Saved {
        (
            self.state.clone(),
            self.fallback.clone(),
            self.stack.clone(),
        )
    }

    fn leave(&mut self, (state, fallback, stack): Saved) {
        self.state = state;
        self.fallback = fallback;
        self.stack = stack;
    }

    /// The directories the next command runs in, given the operator before it.
    fn before(&mut self, follows: Op) -> Vec<Dir> {
        if follows != Op::And {
            let fallback = std::mem::take(&mut self.fallback);
            add(&mut self.state, &fallback);
        }
        if self.state.is_empty() {
            self.state.push(Dir::Unknown);
        }
        let state = self.state.clone();
        add(&mut self.seen, &state);
        state
    }

    /// Follows a `cd`, `pushd` or `popd` run as `words`.
    fn after(&mut self, words: &[String], follows: Op, then: Op) {
        let Some(targets) = self.targets(words) else {
            return;
        };
        self.changes_dir = true;
        if matches!(then, Op::Pipe | Op::Background) {
            // A subshell of its own: the change ends with it.
            if words[0] == "pushd" {
                self.stack.pop();
            }
            return;
        }
        let before = std::mem::replace(&mut self.state, targets);
        if then == Op::And && follows != Op::Pipe {
            add(&mut self.fallback, &before);
        } else {
            // It may have failed, or (at a pipeline's end, under
            // `lastpipe`) not reached this shell.
            add(&mut self.state, &before);
        }
    }

    /// Where a directory change leads, from every current directory;
    /// `None` for a command that changes none.
    fn targets(&mut self, words: &[String]) -> Option<Vec<Dir>> {
        let program = words.first()?.as_str();
        if !matches!(program, "cd" | "pushd" | "popd") {
            return None;
        }
        let mut args = &words[1..];
        let mut physical = false;
        while let Some(a) = args.first().filter(|a| a.len() > 1 && a.starts_with('-')) {
            if a.chars().skip(1).all(|c| c.is_ascii_digit()) {
                break; // `pushd -1`, an index into the stack
            }
            physical |= a.contains('P');
            args = &args[1..];
            if a == "--" {
                break;
            }
        }
        let unknown = Some(vec![Dir::Unknown]);
        let index = |a: &String| a.starts_with(['+', '-']) && a.len() > 1;
        match program {
            "popd" => {
                if args.first().is_some_and(index) {
                    return unknown;
                }
                self.stack.pop().or(unknown)
            }
            _ => {
                let Some(target) = args.first() else {
                    // `cd` alone goes home; `pushd` alone swaps the stack.
                    return unknown;
                };
                if target == "-" || index(target) || physical {
                    return unknown;
                }
                let searched = !target.starts_with(['/', '.', '~']);
                if self.cdpath && searched {
                    return unknown;
                }
                if program == "pushd" {
                    self.stack.push(self.state.clone());
                }
                let mut to = Vec::new();
                for d in &self.state {
                    add(&mut to, &[within(d, target)]);
                }
                Some(to)
            }
        }
    }
}

fn parse_into(
    command: &str,
    depth: usize,
    walk: &mut Walk,
    out: &mut Vec<SimpleCommand>,
) -> Result<(), ParseError> {
    if depth > MAX_DEPTH {
        return Err(ParseError("commands nest too deeply to check".into()));
    }
    let raw = split::split(command)?;
    walk.repeats |= raw.defines_function;
    let mut scopes = Vec::new();
    for item in raw.items {
        let seg = match item {
            Item::Open => {
                scopes.push(walk.enter());
                continue;
            }
            Item::Close => {
                if let Some(saved) = scopes.pop() {
                    walk.leave(saved);
                }
                continue;
            }
            Item::Command(seg) => seg,
        };
        let words = lex::words(&seg.text)?;
        walk.repeats |= words::repeats(&words);
        let stripped = words::strip_wrappers(words)?;
        let words = stripped.words;
        if words.is_empty() && seg.redirects.is_empty() && stripped.writes.is_empty() {
            continue;
        }
        let dirs = walk.before(seg.follows);
        // `eval '...'` runs in this shell; `bash -c '...'` in a child, and
        // so does a shell reading a heredoc.
        if let Some(inner) = words::inline_script(&words) {
            if words[0] == "eval" {
                parse_into(&inner, depth + 1, walk, out)?;
            } else {
                let saved = walk.enter();
                parse_into(&inner, depth + 1, walk, out)?;
                walk.leave(saved);
            }
        }
        if words::reads_script_from_stdin(&words) {
            for body in &seg.heredocs {
                let saved = walk.enter();
                parse_into(body, depth + 1, walk, out)?;
                walk.leave(saved);
            }
        }
        walk.after(&words, seg.follows, seg.then);
        let mut redirects = stripped.writes;
        redirects.extend(seg.redirects);
        out.push(SimpleCommand {
            words,
            redirects,
            dirs,
            chdir: stripped.chdir,
            args_from_input: stripped.args_from_input,
        });
    }
    for inner in raw.substitutions {
        let saved = walk.enter();
        if !walk.seen.is_empty() {
            walk.state = walk.seen.clone();
        }
        walk.fallback.clear();
        parse_into(&inner, depth + 1, walk, out)?;
        walk.leave(saved);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn texts(cmd: &str, expected: &[&str]) {
        let commands = parse(cmd).unwrap();
        let got: Vec<String> = commands.iter().map(SimpleCommand::text).collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[track_caller]
    fn redirects(cmd: &str, expected: &[&str]) {
        let commands = parse(cmd).unwrap();
        let got: Vec<&String> = commands.iter().flat_map(|c| &c.redirects).collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[test]
    fn splits_compound_commands() {
        texts("git status && git diff", &["git status", "git diff"]);
        texts("a || b; c | d & e", &["a", "b", "c", "d", "e"]);
        texts("a\nb\n", &["a", "b"]);
        texts("echo 'a && b' \"c; d\"", &["echo a && b c; d"]);
        texts(
            "echo $(git rev-parse HEAD)",
            &["echo __harness_substitution__", "git rev-parse HEAD"],
        );
        texts(
            "echo `whoami`",
            &["echo __harness_substitution__", "whoami"],
        );
        texts("(cd src && make)", &["cd src", "make"]);
        texts("# just a comment\nls # trailing", &["ls"]);
        texts("cat <<EOF\nrm -rf /\nEOF\nls", &["cat", "ls"]);
        texts("bash -c 'rm x; ls'", &["rm x", "ls", "bash -c rm x; ls"]);
    }

    #[test]
    fn strips_wrappers() {
        texts("timeout 10 npm test", &["npm test"]);
        texts("timeout -s KILL 5s git push", &["git push"]);
        texts("nice -n 5 cargo build", &["cargo build"]);
        texts("env X=1 Y=2 make", &["make"]);
        texts("X=1 command -p ls", &["ls"]);
        texts("sudo nohup stdbuf -oL ./run", &["./run"]);
    }

    #[test]
    fn reads_output_redirections_and_not_input_ones() {
        redirects("echo x > a >>b", &["a", "b"]);
        redirects("make 2> err.log 2>&1 >&2", &["err.log"]);
        redirects("cmd &> 'out file'", &["out file"]);
        redirects("cmd >&log", &["log"]);
        redirects("sort < in.txt <<< word", &[]);
        redirects("cat <<EOF > out\nbody > not-a-file\nEOF", &["out"]);
        redirects("> only.txt", &["only.txt"]);
    }

    #[test]
    fn reads_heredocs_as_bash_does() {
        texts("cat <<$'EOF'\nx\nEOF\nrm a\n$EOF", &["cat", "rm a", "$EOF"]);
        texts("cat <<\"EOF\"\n$(rm a)\nEOF\nls", &["cat", "ls"]);
        texts("cat <<EOF\n$(rm a) `rm b`\nEOF", &["cat", "rm a", "rm b"]);
        texts("cat <<-EOF\n\tx\n\tEOF\nls", &["cat", "ls"]);
        texts("cat <<EOF\n\tEOF\n EOF\nEOF\nls", &["cat", "ls"]);
        texts("cat <<EOF\nEO\\\nF\nrm a\nEOF", &["cat", "rm a", "EOF"]);
        texts("bash <<'X'\nrm a\nX", &["rm a", "bash"]);
        texts("python3 <<'X'\nrm a\nX", &["python3"]);
        redirects("cat <>tests/a 0<> b", &["tests/a", "b"]);
        redirects("echo > t/{a,b}", &["t/a", "t/b"]);
        redirects("echo > $'t/\\x61'", &["t/a"]);
    }

    #[track_caller]
    fn dirs(cmd: &str, expected: &[&[&str]]) {
        let commands = parse(cmd).unwrap();
        let got: Vec<Vec<String>> = commands
            .iter()
            .map(|c| {
                c.program_dirs()
                    .iter()
                    .map(|d| match d {
                        Dir::Path(p) => p.clone(),
                        Dir::Unknown => "?".into(),
                    })
                    .collect()
            })
            .collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[test]
    fn follows_the_working_directory() {
        dirs("cd src && rm a", &[&[""], &["src"]]);
        dirs("cd src; rm a", &[&[""], &["src", ""]]);
        dirs(
            "cd src && cd ../tests && rm a",
            &[&[""], &["src"], &["src/../tests"]],
        );
        dirs("false && cd src; rm a", &[&[""], &[""], &["src", ""]]);
        dirs("cd src && ls || rm a", &[&[""], &["src"], &["src", ""]]);
        dirs("(cd src); rm a", &[&[""], &[""]]);
        dirs("cd src | cat; rm a", &[&[""], &[""], &[""]]);
        dirs("cd src & rm a", &[&[""], &[""]]);
        dirs("cd \"$X\" && rm a", &[&[""], &["?"]]);
        dirs("cd - && rm a", &[&[""], &["?"]]);
        dirs("cd && rm a", &[&[""], &["?"]]);
        dirs("cd /tmp && rm a", &[&[""], &["/tmp"]]);
        dirs("pushd src && popd && rm a", &[&[""], &["src"], &[""]]);
        dirs("popd && rm a", &[&[""], &["?"]]);
        dirs("CDPATH=/x cd t && rm a", &[&[""], &["?"]]);
        dirs("env -C tests rm a", &[&["tests"]]);
        dirs("cd src && env --chdir=.. rm a", &[&[""], &["src/.."]]);
        dirs("for d in a; do cd $d; done", &[&["?"], &["?"]]);
        dirs("while true; do rm a; cd t; done", &[&["?"], &["?"], &["?"]]);
        dirs("f() { cd t; }; f; rm a", &[&["?"], &["?"], &["?"], &["?"]]);
        // A substitution runs wherever any command of its line may run.
        dirs(
            "cd t && echo $(rm a); cd ..",
            &[&[""], &["t"], &["t", ""], &["", "t"]],
        );
        dirs("eval 'cd t' && rm a", &[&[""], &[""], &["t", ""]]);
        dirs("bash -c 'cd t' && rm a", &[&[""], &[""], &[""]]);
    }

    #[test]
    fn names_the_program_without_its_directory() {
        let commands = parse("/usr/bin/sed -i x f; > out").unwrap();
        assert_eq!(commands[0].program(), Some("sed"));
        assert_eq!(commands[0].args(), ["-i", "x", "f"]);
        assert_eq!(commands[1].program(), None);
        assert!(commands[1].args().is_empty());
    }

    #[test]
    fn unbalanced_input_is_an_error() {
        assert!(parse("echo 'oops").is_err());
        assert!(parse("echo $(ls").is_err());
        assert!(parse("echo \"a").is_err());
        assert!(parse("echo >").is_err());
    }

    #[test]
    fn nesting_too_deep_is_an_error() {
        let mut cmd = "ls".to_string();
        for _ in 0..=MAX_DEPTH {
            cmd = format!("echo $({cmd})");
        }
        assert_eq!(
            parse(&cmd).unwrap_err().to_string(),
            "commands nest too deeply to check"
        );
    }
}
