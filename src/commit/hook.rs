//! The commit-msg hook: a small script in the repository's hooks directory
//! that runs `harness-agents commits lint-msg` on each message.
//!
//! A hook someone else wrote is never replaced without `force`; one harness
//! wrote (it carries [`HOOK_MARK`]) is updated in place.

use std::path::Path;

use serde::Serialize;

use crate::config::Project;
use crate::diagnostic::{Code, Diagnostic, display_path};
use crate::error::{Error, Result};
use crate::fsutil;
use crate::git;
use crate::report::{OK, Report};

/// The line that marks a hook as harness's own.
const HOOK_MARK: &str = "# harness commit-msg hook";

/// What installing the hook did.
#[derive(Debug, Serialize)]
pub struct HookInstall {
    /// The hook file, relative to the project.
    pub path: String,
    /// `created`, `updated` or `unchanged`.
    pub result: &'static str,
}

impl Report for HookInstall {
    fn text(&self) -> String {
        format!("{OK}{}{OK:#} {}\n", self.result, self.path)
    }
}

fn hook_script() -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.to_string_lossy().replace('\'', "'\\''"))
        .unwrap_or_else(|| crate::BIN.to_string());
    let bin = crate::BIN;
    format!(
        "#!/bin/sh\n{HOOK_MARK}: checks each message against the project's commit rules.\n\
         # Written by `harness-agents commits hook install`; skip once with `git commit --no-verify`.\n\
         harness=$(command -v {bin} || echo '{exe}')\n\
         exec \"$harness\" commits lint-msg \"$1\"\n"
    )
}

/// Installs the commit-msg hook in the repository of `project`.
pub fn install_hook(project: &Project, force: bool) -> Result<HookInstall> {
    let repo = git::open(&project.root)?;
    let path = git::hooks_dir(&repo).join("commit-msg");
    let script = hook_script();
    let existing = std::fs::read_to_string(&path).ok();
    let result = match &existing {
        Some(text) if *text == script => "unchanged",
        Some(text) if !force && !text.contains(HOOK_MARK) => {
            return Err(Diagnostic::error(
                Code::HookExists,
                format!(
                    "`{}` exists and was not written by harness; it was left as it is",
                    display_path(&path)
                ),
            )
            .hint(
                "run `harness-agents commits lint-msg \"$1\"` from it, or replace it with --force",
            )
            .into());
        }
        Some(_) => "updated",
        None => "created",
    };
    if result != "unchanged" {
        fsutil::write_atomic(&path, script.as_bytes())?;
        make_executable(&path)?;
    }
    Ok(HookInstall {
        path: display_path(project.relative(&path)),
        result,
    })
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io("make executable", path, e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}
