//! The files a shell command would write, as far as its words show: output
//! redirections, and the operands of commands that write the files they
//! name (`tee`, `rm`, `touch`, `cp`, `mv`, `dd of=`, `sed -i`, `perl -i`,
//! `git checkout -- PATH`, ...). The command line itself is read by
//! [`crate::shell`].
//!
//! What cannot be seen through: code run by an interpreter (`python -c`,
//! `node -e`, `perl -e` without `-i`), scripts and Makefiles, variables and
//! globs expanded at run time, commands read from files or stdin (`xargs`
//! targets, `source`), and tools that rewrite many files at once (`git
//! reset --hard`, `git stash`, `patch`). `sh -c`/`bash -c` and `eval` with a
//! literal argument are analysed as commands. For everything else the CI
//! scope check (every changed file against the plan) is the backstop.

use crate::shell::SimpleCommand;

/// Every file `command` would write, as far as can be seen: its
/// redirections first, then what its program writes.
pub fn files_written(command: &SimpleCommand) -> Vec<String> {
    let mut out = command.redirects.clone();
    out.extend(program_writes(command));
    out
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

/// Files a simple command writes, from its words.
fn program_writes(command: &SimpleCommand) -> Vec<String> {
    let Some(program) = command.program() else {
        return Vec::new();
    };
    let args = command.args();
    match program {
        "tee" => operands(args, &[]),
        "rm" | "rmdir" | "touch" | "shred" | "unlink" | "mkdir" => operands(args, &["-m"]),
        "truncate" => operands(args, &["-s", "-r", "--size", "--reference"]),
        "mv" => {
            // A move writes its target and removes its sources.
            let mut out = operands(args, &["-t", "-S", "--suffix"]);
            out.extend(target_dir(args));
            out
        }
        "cp" | "ln" | "install" | "rsync" => {
            let ops = operands(args, &["-t", "-S", "--suffix", "-m", "-o", "-g"]);
            match target_dir(args) {
                Some(dir) => vec![dir],
                None if ops.len() >= 2 => ops.last().cloned().into_iter().collect(),
                None => Vec::new(),
            }
        }
        "chmod" | "chown" | "chgrp" => operands(args, &["--reference"])
            .into_iter()
            .skip(1)
            .collect(),
        "dd" => args
            .iter()
            .filter_map(|a| a.strip_prefix("of="))
            .map(str::to_string)
            .collect(),
        "sed" => in_place_files(
            args,
            'i',
            "--in-place",
            &["-e", "-f", "--expression", "--file"],
        ),
        "perl" => in_place_files(args, 'i', "--in-place", &["-e", "-E", "-f"]),
        "git" => git_writes(args),
        _ => Vec::new(),
    }
}

/// `-t DIR` or `--target-directory=DIR`.
fn target_dir(args: &[String]) -> Option<String> {
    args.iter().enumerate().find_map(|(i, a)| {
        if a == "-t" || a == "--target-directory" {
            args.get(i + 1).cloned()
        } else {
            a.strip_prefix("--target-directory=").map(str::to_string)
        }
    })
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

/// Files git rewrites in the working tree for named paths.
fn git_writes(args: &[String]) -> Vec<String> {
    // Skip global options such as `-C dir` and `-c k=v`.
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        i += if args[i] == "-C" || args[i] == "-c" {
            2
        } else {
            1
        };
    }
    let Some(sub) = args.get(i) else {
        return Vec::new();
    };
    let rest = &args[i + 1..];
    match sub.as_str() {
        "checkout" => match rest.iter().position(|a| a == "--") {
            Some(dd) => rest[dd + 1..].to_vec(),
            None => Vec::new(),
        },
        "restore" => operands(rest, &["-s", "--source"]),
        "rm" | "mv" => operands(rest, &[]),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell;

    #[track_caller]
    fn writes(cmd: &str, expected: &[&str]) {
        let commands = shell::parse(cmd).unwrap();
        let got: Vec<String> = commands.iter().flat_map(files_written).collect();
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
        writes("git -C . rm tests/a.rs", &["tests/a.rs"]);
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
    fn redirections_come_first() {
        writes("cp a b > log", &["log", "b"]);
    }
}
