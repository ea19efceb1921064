//! The files a shell command would write, as far as its words show: output
//! redirections, and the operands of commands that write the files they
//! name (`tee`, `rm`, `touch`, `cp`, `mv`, `ln`, `install`, `rsync`, `dd
//! of=`, `sed -i`, `perl -i`, `sort -o`, `curl -o`, `wget -O`, `tar -x -C`,
//! `ex`/`vim -c`, `find -delete`/`-exec`, `git checkout`/`restore`/`clean`,
//! ...), each resolved from every directory the command may run in
//! (`cd`, `pushd`, `git -C`, `env -C`). The command line itself is read by
//! [`crate::shell`].
//!
//! A write whose target cannot be known (a relative path after `cd "$X"`,
//! a writer fed its arguments by `xargs`, an `ex` script that runs shell
//! commands) is [`Written::Unknown`]: the guard denies it rather than
//! guess. A link (`ln`, `cp -l`/`-s`) counts as a write to its target too:
//! a hard link is the target, and a symlink made in the same command is
//! not on disk yet for the guard to follow.
//!
//! What cannot be seen through: code run by an interpreter (`python -c`,
//! `node -e`, `perl -e` without `-i`), scripts and Makefiles, variables and
//! globs expanded at run time, commands read from files or stdin (`source`,
//! `... | sh`), patches (`patch`, `git apply`, `git am`: the files are named
//! inside the patch), and git commands that rewrite the work tree as a
//! whole (`git reset --hard`, `git stash`, `git switch`, `git merge`). `sh
//! -c`/`bash -c`, `eval` and a heredoc fed to a shell are analysed as
//! commands. For everything else the CI scope check (every changed file
//! against the plan) is the backstop.

use crate::shell::{Dir, SimpleCommand, within};

/// One thing a command writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Written {
    /// A path (file or directory, whose whole tree may be written), as
    /// written or joined to the directory the command runs in.
    Path(String),
    /// Something that cannot be known; says why.
    Unknown(String),
}

/// What a program writes, before it is resolved from its directories.
enum Target {
    Path(String),
    /// A path from the directory a program option names (`git -C DIR`).
    From(String, String),
    Unknown(String),
}

/// Every file `command` would write, as far as can be seen: its
/// redirections first, then what its program writes.
pub fn files_written(command: &SimpleCommand) -> Vec<Written> {
    let mut out = Vec::new();
    for r in &command.redirects {
        resolve(&command.dirs, &Target::Path(r.clone()), &mut out);
    }
    let targets = program_writes(command);
    if command.args_from_input && (!targets.is_empty() || is_writer(command)) {
        out.push(Written::Unknown(format!(
            "`{}` gets the files it writes from `xargs`",
            command.program().unwrap_or_default()
        )));
    }
    let dirs = command.program_dirs();
    for t in &targets {
        resolve(&dirs, t, &mut out);
    }
    out
}

/// Whether a program named without operands would write what it is given.
fn is_writer(command: &SimpleCommand) -> bool {
    let Some(program) = command.program() else {
        return false;
    };
    const WRITERS: &[&str] = &[
        "tee", "rm", "rmdir", "touch", "shred", "unlink", "mkdir", "truncate", "mv", "cp", "ln",
        "link", "install", "rsync", "chmod", "chown", "chgrp", "dd", "ex", "vim", "vi", "nvim",
        "sudoedit", "mkfifo", "patch", "tar", "unzip",
    ];
    let mut probe = command.clone();
    probe.args_from_input = false;
    probe.words.push("{}".into());
    WRITERS.contains(&program) || !program_writes(&probe).is_empty()
}

fn resolve(dirs: &[Dir], target: &Target, out: &mut Vec<Written>) {
    let (dir_opt, path) = match target {
        Target::Unknown(why) => {
            out.push(Written::Unknown(why.clone()));
            return;
        }
        Target::Path(p) => (None, p),
        Target::From(d, p) => (Some(d), p),
    };
    if path.contains('$') || path.contains('`') || path.contains(crate::shell::SUBSTITUTION) {
        out.push(Written::Unknown(format!(
            "it writes `{path}`, which is expanded only when it runs"
        )));
        return;
    }
    for d in dirs {
        let d = match dir_opt {
            Some(sub) => within(d, sub),
            None => d.clone(),
        };
        let w = match d.join(path) {
            Some(p) => Written::Path(p),
            None => Written::Unknown(format!(
                "it writes `{path}` from a directory that cannot be known"
            )),
        };
        if !out.contains(&w) {
            out.push(w);
        }
    }
}

/// Operands: the arguments that are not options (everything after `--`).
fn operands(args: &[String], with_value: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    let mut rest = false;
    while i < args.len() {
        let a = &args[i];
        if rest || !a.starts_with('-') || a == "-" {
            out.push(a.clone());
        } else if a == "--" {
            rest = true;
        } else if with_value.contains(&a.as_str()) {
            i += 1;
        }
        i += 1;
    }
    out
}

/// The values of an option: `-o F`, `-oF`, `--output F`, `--output=F`.
fn option_values(args: &[String], short: &[&str], long: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, a) in args.iter().enumerate() {
        if a == "--" {
            break;
        }
        let next = || args.get(i + 1).cloned();
        if short.contains(&a.as_str()) || long.contains(&a.as_str()) {
            out.extend(next());
        } else if let Some(v) = long
            .iter()
            .find_map(|l| a.strip_prefix(l).and_then(|r| r.strip_prefix('=')))
        {
            out.push(v.to_string());
        } else if let Some(cluster) = a.strip_prefix('-').filter(|c| !c.starts_with('-')) {
            // `-oF`, `-sSo F`, `-qO-`: flags, then the option and its value.
            let hit = cluster.char_indices().find_map(|(k, c)| {
                let letter = short
                    .iter()
                    .any(|s| s.strip_prefix('-') == Some(c.encode_utf8(&mut [0; 4])));
                letter.then(|| &cluster[k + c.len_utf8()..])
            });
            match hit {
                Some("") => out.extend(next()),
                Some(value) => out.push(value.to_string()),
                None => {}
            }
        }
    }
    out
}

fn has_flag(args: &[String], short: char, long: &[&str]) -> bool {
    args.iter().take_while(|a| *a != "--").any(|a| {
        long.contains(&a.as_str())
            || (a.starts_with('-') && !a.starts_with("--") && a[1..].contains(short))
    })
}

fn paths(v: Vec<String>) -> Vec<Target> {
    v.into_iter().map(Target::Path).collect()
}

/// Files a simple command writes, from its words.
fn program_writes(command: &SimpleCommand) -> Vec<Target> {
    let Some(program) = command.program() else {
        return Vec::new();
    };
    let args = command.args();
    match program {
        "tee" | "sudoedit" | "mkfifo" | "link" => paths(operands(args, &[])),
        "rm" | "rmdir" | "touch" | "shred" | "unlink" | "mkdir" => paths(operands(args, &["-m"])),
        "truncate" => paths(operands(args, &["-s", "-r", "--size", "--reference"])),
        "mv" => {
            // A move writes its target and removes its sources.
            let mut out = operands(args, &["-t", "-S", "--suffix"]);
            out.extend(target_dir(args));
            paths(out)
        }
        "ln" => link_writes(args),
        "cp" | "install" | "rsync" => {
            let ops = operands(args, &["-t", "-S", "--suffix", "-m", "-o", "-g", "-e"]);
            let mut out = match target_dir(args) {
                Some(dir) => vec![dir],
                None if program == "install" && has_flag(args, 'd', &["--directory"]) => {
                    ops.clone()
                }
                None if ops.len() >= 2 => ops.last().cloned().into_iter().collect(),
                None => Vec::new(),
            };
            // `cp -l`/`-s` makes links: writing the copy writes the source.
            if program == "cp"
                && (has_flag(args, 'l', &["--link"]) || has_flag(args, 's', &["--symbolic-link"]))
            {
                out.extend(ops);
            }
            paths(out)
        }
        "chmod" | "chown" | "chgrp" => paths(
            operands(args, &["--reference"])
                .into_iter()
                .skip(1)
                .collect(),
        ),
        "dd" => paths(
            args.iter()
                .filter_map(|a| a.strip_prefix("of="))
                .map(str::to_string)
                .collect(),
        ),
        "sed" => paths(in_place_files(
            args,
            'i',
            "--in-place",
            &["-e", "-f", "--expression", "--file"],
        )),
        "perl" => paths(in_place_files(args, 'i', "--in-place", &["-e", "-E", "-f"])),
        "sort" => paths(option_values(args, &["-o"], &["--output"])),
        "tar" => tar_writes(args),
        "unzip" => {
            let dirs = option_values(args, &["-d"], &[]);
            paths(if dirs.is_empty() {
                vec![".".into()]
            } else {
                dirs
            })
        }
        "curl" => curl_writes(args),
        "wget" => wget_writes(args),
        "ex" | "vi" | "vim" | "nvim" | "view" | "gvim" => editor_writes(program, args),
        "find" => find_writes(command),
        "patch" => {
            let mut out = option_values(args, &["-o"], &["--output"]);
            out.extend(
                operands(
                    args,
                    &[
                        "-p", "-d", "-i", "-o", "-r", "-D", "-B", "-F", "-z", "-V", "-Y",
                    ],
                )
                .into_iter()
                .take(1),
            );
            paths(out)
        }
        "git" => git_writes(args),
        _ => Vec::new(),
    }
}

/// `-t DIR` or `--target-directory=DIR`.
fn target_dir(args: &[String]) -> Option<String> {
    option_values(args, &["-t"], &["--target-directory"])
        .into_iter()
        .next()
}

/// `ln [-s] TARGET... LINK|DIR`: the link, and its targets (a symlink's
/// target read from the link's directory as well).
fn link_writes(args: &[String]) -> Vec<Target> {
    let ops = operands(args, &["-t", "-S", "--suffix"]);
    let (sources, link) = match target_dir(args) {
        Some(dir) => (ops.clone(), Some(dir)),
        None if ops.len() >= 2 => (ops[..ops.len() - 1].to_vec(), ops.last().cloned()),
        None => (ops.clone(), None),
    };
    let mut out: Vec<Target> = sources.iter().cloned().map(Target::Path).collect();
    if let Some(link) = link {
        if has_flag(args, 's', &["--symbolic"]) {
            let parent = match link.rsplit_once('/') {
                Some((p, _)) => p.to_string(),
                None => String::new(),
            };
            for base in [parent, link.clone()] {
                for s in &sources {
                    out.push(Target::From(base.clone(), s.clone()));
                }
            }
        }
        out.push(Target::Path(link));
    }
    out
}

/// `tar -x` writes the tree it extracts into; `tar -c -f F` writes F.
fn tar_writes(args: &[String]) -> Vec<Target> {
    let first = args.first().map(String::as_str).unwrap_or_default();
    // Old style `tar xzf a.tar`: the first word is a cluster of letters.
    let bundled = !first.starts_with('-') && first.chars().all(|c| c.is_ascii_alphabetic());
    let mode = |c: char, long: &[&str]| has_flag(args, c, long) || (bundled && first.contains(c));
    let mut out = Vec::new();
    if mode('x', &["--extract", "--get"]) {
        let dirs = option_values(args, &["-C"], &["--directory"]);
        out.extend(if dirs.is_empty() {
            vec![".".to_string()]
        } else {
            dirs
        });
    }
    if mode('c', &["--create"]) || mode('r', &["--append"]) || mode('u', &["--update"]) {
        let mut files = option_values(args, &[], &["--file"]);
        for (i, a) in args.iter().enumerate() {
            let cluster = match a.strip_prefix('-') {
                Some(c) if !c.starts_with('-') => c,
                None if i == 0 && bundled => a.as_str(),
                _ => continue,
            };
            if let Some((_, value)) = cluster.split_once('f') {
                // `-fNAME`, or `-czf NAME`; old style takes the next word.
                if value.is_empty() || (i == 0 && bundled) {
                    files.extend(args.get(i + 1).cloned());
                } else {
                    files.push(value.to_string());
                }
            }
        }
        out.extend(files.into_iter().filter(|f| f != "-"));
    }
    paths(out)
}

fn url_name(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let path = rest.split(['?', '#']).next()?;
    let name = path.split_once('/')?.1.rsplit('/').next()?;
    Some(if name.is_empty() {
        "index.html".into()
    } else {
        name.to_string()
    })
}

fn curl_writes(args: &[String]) -> Vec<Target> {
    let long_value = [
        "--output",
        "--dump-header",
        "--cookie-jar",
        "--trace",
        "--trace-ascii",
        "--stderr",
        "--output-dir",
        "--etag-save",
        "--hsts",
        "--alt-svc",
    ];
    let mut out = option_values(args, &["-o", "-D", "-c"], &long_value[..7]);
    out.retain(|f| f != "-");
    for l in &long_value[7..] {
        out.extend(option_values(args, &[], &[l]));
    }
    let mut targets = paths(out);
    if has_flag(args, 'J', &["--remote-header-name"]) {
        targets.push(Target::Unknown(
            "`curl -J` names its file after the server's answer".into(),
        ));
    }
    if has_flag(args, 'O', &["--remote-name", "--remote-name-all"]) {
        let dir = option_values(args, &[], &["--output-dir"])
            .pop()
            .unwrap_or_default();
        for name in args.iter().filter_map(|a| url_name(a)) {
            targets.push(Target::From(dir.clone(), name));
        }
    }
    targets
}

fn wget_writes(args: &[String]) -> Vec<Target> {
    let mut out = option_values(args, &["-o", "-a"], &["--output-file", "--append-output"]);
    let documents = option_values(args, &["-O"], &["--output-document"]);
    let prefix = option_values(args, &["-P"], &["--directory-prefix"]).pop();
    if !documents.is_empty() {
        out.extend(documents.into_iter().filter(|f| f != "-"));
    } else if has_flag(args, 'r', &["--recursive", "--mirror"]) || has_flag(args, 'm', &[]) {
        out.push(prefix.clone().unwrap_or_else(|| ".".into()));
    } else if has_flag(args, 'i', &["--input-file"]) {
        return vec![Target::Unknown(
            "`wget -i` reads the URLs it saves from a file".into(),
        )];
    } else {
        let dir = prefix.unwrap_or_default();
        let mut targets = paths(out);
        for name in args.iter().filter_map(|a| url_name(a)) {
            targets.push(Target::From(dir.clone(), name));
        }
        return targets;
    }
    paths(out)
}

/// `ex FILE` reads its commands from stdin, `vim -c CMD FILE` from its
/// options: either may write FILE. A command that writes another file is
/// read (`w FILE`); one that could do anything (`!`, `source`, `normal`,
/// `g/.../cmd`) makes the write unknown.
fn editor_writes(program: &str, args: &[String]) -> Vec<Target> {
    // `ex -sc CMD`: a cluster of one-letter flags, the last taking a value.
    let args: &Vec<String> = &args
        .iter()
        .flat_map(|a| match a.strip_prefix('-') {
            Some(c)
                if c.len() > 1
                    && !c.starts_with('-')
                    && c.chars().all(|c| c.is_ascii_alphabetic()) =>
            {
                c.chars().map(|c| format!("-{c}")).collect()
            }
            _ => vec![a.clone()],
        })
        .collect();
    let with_value = [
        "-c", "--cmd", "-S", "-u", "-i", "-T", "-w", "-W", "-t", "-q", "-r",
    ];
    let mut commands = option_values(args, &["-c"], &["--cmd"]);
    commands.extend(
        args.iter()
            .filter_map(|a| a.strip_prefix('+'))
            .filter(|c| !c.is_empty())
            .map(str::to_string),
    );
    let scripted = program == "ex"
        || !commands.is_empty()
        || args
            .iter()
            .any(|a| matches!(a.as_str(), "-s" | "-S" | "-e" | "-E" | "-y"));
    if !scripted {
        return Vec::new();
    }
    let mut out: Vec<Target> = operands(args, &with_value)
        .into_iter()
        .filter(|a| !a.starts_with('+'))
        .map(Target::Path)
        .collect();
    if args.iter().any(|a| a == "-s" || a == "-S") && program != "ex" {
        out.push(Target::Unknown(format!("`{program}` runs a script file")));
    }
    for cmd in &commands {
        for part in cmd.split('|') {
            out.extend(ex_command(part));
        }
    }
    out
}

/// One ex command: what it writes besides the file being edited.
fn ex_command(cmd: &str) -> Option<Target> {
    let cmd = cmd.trim().trim_start_matches(':');
    let cmd = cmd.trim_start_matches(|c: char| c.is_ascii_digit() || ",.$%'<>;+- ".contains(c));
    let verb: String = cmd.chars().take_while(char::is_ascii_alphabetic).collect();
    let rest = cmd[verb.len()..].trim_start_matches(['!', '>', ' ']).trim();
    const WRITE: &[&str] = &[
        "w", "write", "wq", "x", "xit", "exit", "sav", "saveas", "up", "update", "wa", "wall",
        "wqa", "wqall", "xa", "xall", "wn", "wnext",
    ];
    const HARMLESS: &[&str] = &[
        "s",
        "substitute",
        "d",
        "delete",
        "m",
        "move",
        "t",
        "co",
        "copy",
        "j",
        "join",
        "q",
        "qa",
        "quit",
        "qall",
        "set",
        "se",
        "e",
        "edit",
        "noh",
        "nohlsearch",
        "p",
        "print",
        "y",
        "yank",
        "a",
        "append",
        "i",
        "insert",
        "c",
        "change",
        "u",
        "undo",
        "",
    ];
    if WRITE.contains(&verb.as_str()) {
        return (!rest.is_empty()).then(|| Target::Path(rest.to_string()));
    }
    if HARMLESS.contains(&verb.as_str()) && !cmd.contains('!') {
        return None;
    }
    Some(Target::Unknown(format!(
        "the editor command `{cmd}` may write any file"
    )))
}

/// `find DIRS ... -delete` and `-exec CMD {} ;` write what they find:
/// anything under the start directories.
fn find_writes(command: &SimpleCommand) -> Vec<Target> {
    let args = command.args();
    let starts: Vec<String> = args
        .iter()
        .take_while(|a| !a.starts_with('-') && *a != "(" && *a != "!" && *a != ",")
        .cloned()
        .collect();
    let starts = if starts.is_empty() {
        vec![".".to_string()]
    } else {
        starts
    };
    let mut out = paths(option_values(
        args,
        &[],
        &["-fprint", "-fprint0", "-fprintf", "-fls"],
    ));
    let mut writes_found = args.iter().any(|a| a == "-delete");
    let mut i = 0;
    while i < args.len() {
        if matches!(args[i].as_str(), "-exec" | "-execdir" | "-ok" | "-okdir") {
            let end = (i + 1..args.len())
                .find(|&j| args[j] == ";" || args[j] == "+")
                .unwrap_or(args.len());
            for start in &starts {
                let mut inner = command.clone();
                inner.redirects.clear();
                inner.chdir = None;
                inner.words = args[i + 1..end]
                    .iter()
                    .map(|w| w.replace("{}", start))
                    .collect();
                if inner
                    .program()
                    .is_some_and(|p| ["sh", "bash", "zsh", "dash", "ksh"].contains(&p))
                {
                    out.push(Target::Unknown("`find -exec` runs a shell".into()));
                }
                let inner_writes = program_writes(&inner);
                writes_found |= !inner_writes.is_empty() || is_writer(&inner);
                out.extend(inner_writes);
            }
            i = end;
        }
        i += 1;
    }
    if writes_found {
        out.extend(paths(starts));
    }
    out
}

/// The files of `sed -i` / `perl -pi -e`: operands after the script.
fn in_place_files(args: &[String], flag: char, long: &str, script_opts: &[&str]) -> Vec<String> {
    let in_place = args.iter().any(|a| {
        a.starts_with(long) || (a.starts_with('-') && !a.starts_with("--") && a[1..].contains(flag))
    });
    if !in_place {
        return Vec::new();
    }
    let has_script_opt = args.iter().any(|a| {
        script_opts.contains(&a.as_str())
            || script_opts
                .iter()
                .any(|o| o.starts_with("--") && a.starts_with(&format!("{o}=")))
    });
    let ops = operands(args, script_opts);
    if has_script_opt {
        ops
    } else {
        ops.into_iter().skip(1).collect()
    }
}

/// Files git rewrites in the working tree for named paths, from the
/// directory `-C` names.
fn git_writes(args: &[String]) -> Vec<Target> {
    let mut dir = String::new();
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        match args[i].as_str() {
            "-C" => {
                let d = args.get(i + 1).cloned().unwrap_or_default();
                dir = if dir.is_empty() || d.starts_with('/') {
                    d
                } else {
                    format!("{dir}/{d}")
                };
                i += 2;
            }
            "-c" | "--git-dir" | "--work-tree" | "--namespace" => i += 2,
            _ => i += 1,
        }
    }
    let Some(sub) = args.get(i) else {
        return Vec::new();
    };
    let rest = &args[i + 1..];
    let written = match sub.as_str() {
        "checkout" => match rest.iter().position(|a| a == "--") {
            Some(dd) => rest[dd + 1..].to_vec(),
            None => {
                // `git checkout TREE-ISH PATH...`; a lone `.` is a path.
                let ops = operands(rest, &["-b", "-B", "--orphan", "--conflict"]);
                match ops.as_slice() {
                    [only] if only == "." || only.ends_with('/') => ops,
                    [_, paths @ ..] => paths.to_vec(),
                    [] => Vec::new(),
                }
            }
        },
        "restore" => operands(rest, &["-s", "--source"]),
        "rm" | "mv" => operands(rest, &[]),
        "clean" => {
            let ops = operands(rest, &["-e", "--exclude"]);
            if ops.is_empty() {
                vec![".".to_string()]
            } else {
                ops
            }
        }
        _ => Vec::new(),
    };
    written
        .into_iter()
        .map(|p| Target::From(dir.clone(), p))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell;

    #[track_caller]
    fn writes(cmd: &str, expected: &[&str]) {
        let commands = shell::parse(cmd).unwrap();
        let got: Vec<String> = commands
            .iter()
            .flat_map(files_written)
            .map(|w| match w {
                Written::Path(p) => p,
                Written::Unknown(_) => "?".into(),
            })
            .collect();
        assert_eq!(got, expected, "command: {cmd:?}");
    }

    #[test]
    fn finds_every_write_form() {
        writes("echo x > tests/a.rs", &["tests/a.rs"]);
        writes("echo x >>tests/a.rs", &["tests/a.rs"]);
        writes("make 2> err.log 2>&1", &["err.log"]);
        writes("cmd &> 'out file'", &["out file"]);
        writes("echo x | tee -a t/1 t/2", &["t/1", "t/2"]);
        writes("sed -i 's/a/b/' tests/x.py", &["tests/x.py"]);
        writes("sed -i.bak -e 's/a/b/' f g", &["f", "g"]);
        writes("sed 's/a/b/' tests/x.py", &[]);
        writes("perl -pi -e 's/a/b/' t.rs", &["t.rs"]);
        writes("cp src/a tests/", &["tests/"]);
        writes("cp -t dest a b", &["dest"]);
        writes("mv tests/a.rs b.rs", &["tests/a.rs", "b.rs"]);
        writes("rm -rf -- tests", &["tests"]);
        writes("touch a b", &["a", "b"]);
        writes("truncate -s 0 tests/x", &["tests/x"]);
        writes("dd if=/dev/zero of=tests/x", &["tests/x"]);
        writes("git checkout -- tests/a.rs", &["tests/a.rs"]);
        writes("git checkout main -- tests/a.rs", &["tests/a.rs"]);
        writes("git checkout main", &[]);
        writes("git restore --source HEAD tests/a.rs", &["tests/a.rs"]);
        writes("git -C . rm tests/a.rs", &["./tests/a.rs"]);
        writes(
            "ls > /dev/null; echo $(rm tests/x)",
            &["/dev/null", "tests/x"],
        );
    }

    #[test]
    fn a_program_named_by_its_path_writes_the_same() {
        writes("/bin/rm -f tests/a.rs", &["tests/a.rs"]);
        writes("timeout 5 /usr/bin/tee out", &["out"]);
    }

    #[test]
    fn finds_writers_by_their_output_option() {
        writes("sort -o out.txt in.txt", &["out.txt"]);
        writes("sort --output=t/a in", &["t/a"]);
        writes("tar -xf a.tar -C build/", &["build/"]);
        writes("tar xzf a.tgz", &["."]);
        writes("tar -tf a.tar", &[]);
        writes("tar -czf t/a.tgz src", &["t/a.tgz"]);
        writes("curl -o t/a https://x.io/y", &["t/a"]);
        writes("curl -sSLO https://x.io/d/f.rs", &["f.rs"]);
        writes("curl https://x.io/y", &[]);
        writes("wget -O t/a https://x.io/y", &["t/a"]);
        writes("wget -P t https://x.io/f.rs", &["t/f.rs"]);
        writes("ex -sc '%s/a/b/|x' t/a.rs", &["t/a.rs"]);
        writes("vim -c 'w t/b.rs' -c q src/a.rs", &["src/a.rs", "t/b.rs"]);
        writes("vim -c '!rm t' a", &["a", "?"]);
        writes("vim src/a.rs", &[]);
        writes("install -m 644 a t/b", &["t/b"]);
        writes("install -d t/x t/y", &["t/x", "t/y"]);
        writes("git checkout main t/a.rs", &["t/a.rs"]);
        writes("git checkout -b feature", &[]);
        writes("git checkout .", &["."]);
        writes("git -C t checkout -- a.rs", &["t/a.rs"]);
        writes("git clean -fdx", &["."]);
        writes("find t -name '*.o' -delete", &["t"]);
        writes("find . t -exec rm {} +", &[".", "t"]);
        writes("find t -exec cat {} ;", &[]);
        writes("find t -exec cp {} out/ ;", &["out/", "t"]);
        writes("find -exec sh -c 'x' ;", &["?"]);
        writes("find . -fprint t/list", &["t/list"]);
        writes("patch -o t/a < x.diff", &["t/a"]);
        writes("patch -p1 < x.diff", &[]);
        writes("unzip a.zip -d build", &["build"]);
    }

    #[test]
    fn links_write_their_targets() {
        writes("ln t/x.rs y", &["t/x.rs", "y"]);
        writes("ln -s t/x.rs y", &["t/x.rs", "y/t/x.rs", "y"]);
        writes(
            "ln -s ../t/x.rs b/y",
            &["../t/x.rs", "b/../t/x.rs", "b/y/../t/x.rs", "b/y"],
        );
        writes("cp -l t/x.rs y", &["y", "t/x.rs"]);
    }

    #[test]
    fn resolves_from_every_directory_the_command_may_run_in() {
        writes("cd t && rm a", &["t/a"]);
        writes("cd t; rm a", &["t/a", "a"]);
        writes("cd \"$X\" && rm a", &["?"]);
        writes("cd \"$X\" && rm /abs/a", &["/abs/a"]);
        writes("cd - && echo > a", &["?"]);
        writes("pushd t && rm a; popd", &["t/a"]);
        writes("env -C t rm a > log", &["log", "t/a"]);
        writes("echo > $X", &["?"]);
        writes("rm t/{a,b}.rs", &["t/a.rs", "t/b.rs"]);
        writes("rm $'t/a\\x2ers'", &["t/a.rs"]);
    }

    #[test]
    fn xargs_writers_write_unknown_files() {
        writes("ls | xargs rm", &["?"]);
        writes("ls | xargs -0 -n1 sed -i s/a/b/", &["?"]);
        writes("ls | xargs grep x", &[]);
        writes("ls | xargs", &[]);
    }

    #[test]
    fn redirections_come_first() {
        writes("cp a b > log", &["log", "b"]);
    }
}
