//! Signed approvals: the statement a person signs, how harness gets it
//! signed, and whether a plan's approval chain is signed by the people the
//! project allows.
//!
//! A content hash proves what was approved, not who approved it: anyone who
//! can write the plan file can append a record with the right hash. So each
//! record can carry an SSH signature (the SSHSIG format of
//! `ssh-keygen -Y sign`, namespace [`NAMESPACE`]) over a canonical
//! [`statement`] naming the plan, the content hash, the previous record, the
//! decision, the approver and the time. The previous record enters as the
//! digest of its own statement, so the records form a hash chain: a record
//! removed from the middle, or moved, breaks every signed record after it.
//!
//! Signing runs `ssh-keygen` (as git does with `gpg.format = ssh`), so keys
//! in files, encrypted keys and keys held by `ssh-agent` all work and harness
//! never sees a private key. Verifying is in-process (RustCrypto's
//! `ssh-key`), a few tens of microseconds per record, because the guard asks
//! on every gated write.
//!
//! There is no cache of verified signatures, on purpose. The guard runs as
//! the same user as the agent it guards, so a cache on disk is a file the
//! agent can write whenever the guard cannot see its write (a script, a
//! `python -c`; what the sandbox closes). Keying positive entries by a
//! digest of statement, signature and key does not help: the agent knows
//! all three and computes the digest itself, so a forged entry needs no
//! preimage. A MAC needs a secret the agent cannot read, and the guard has
//! none. Verifying is cheap enough without one: the guard's plan-gate call
//! with a quorum of three (Ed25519, ECDSA and RSA) is measured by
//! `bench/guard.sh`.
//!
//! A chain cut short at its end (the last records removed) is a valid
//! shorter chain: [`super::ledger`] sees that in the clone where the
//! decisions were made, and CI compares the branch's chain with the base
//! branch's.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use globset::Glob;
use serde::Serialize;
use ssh_key::{HashAlg, PublicKey, SshSig};

use super::record::{Approval, ApprovalDecision};
use super::scope::Scope;
use super::signers::Signers;
use crate::config::ApprovalsConfig;
use crate::diagnostic::{Code, Diagnostic};
use crate::digest::sha256_tagged;
use crate::error::{Error, Result};

/// The SSHSIG namespace of plan decisions: a signature made for git or for
/// anything else never counts as an approval.
pub const NAMESPACE: &str = "harness-plan";

/// The text a record's signature covers, one `key: value` line each, in
/// this order, ending with a newline:
///
/// ```text
/// harness plan decision v1
/// plan: 0007
/// content: sha256:<hash of the plan's normalised content>
/// previous: sha256:<digest of the previous record's statement> | none
/// decision: approved | rejected
/// by: "alice"
/// at: "2026-01-02T03:04:05Z"
/// reason: "too broad"            (rejections only)
/// ```
///
/// `by`, `at` and `reason` are JSON strings, so no value can add a line.
pub fn statement(plan: u32, record: &Approval, previous: Option<&str>) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    // What every signature in every plan was made over: a format, not the
    // command's name; it changes only with a new version line.
    let mut out = String::from("harness plan decision v1\n");
    let _ = writeln!(out, "plan: {plan:04}");
    let _ = writeln!(out, "content: {}", record.hash);
    let _ = writeln!(out, "previous: {}", previous.unwrap_or("none"));
    let _ = writeln!(out, "decision: {}", record.decision.as_str());
    let _ = writeln!(out, "by: {}", q(&record.by));
    let _ = writeln!(out, "at: {}", q(&record.at.to_string()));
    if let Some(reason) = &record.reason {
        let _ = writeln!(out, "reason: {}", q(reason));
    }
    out
}

/// The digest of each record's statement, in chain order: what the next
/// record names as `previous`.
pub fn digests(plan: u32, chain: &[Approval]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(chain.len());
    for record in chain {
        let previous = out.last().map(String::as_str);
        out.push(sha256_tagged(statement(plan, record, previous).as_bytes()));
    }
    out
}

/// Who may approve, and how many must: `[approvals]` with its signers file.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// `None` when no signers file is configured: approvals are unsigned.
    pub signers: Option<Signers>,
    pub require_signature: bool,
    pub quorum: usize,
    /// Globs of paths and the people one of whom must approve a plan
    /// touching them.
    pub paths: Vec<(String, Vec<String>)>,
}

impl Trust {
    /// The rules of `config`, with the signers file's text (read by the
    /// caller, from the work tree or from another revision).
    pub fn new(
        config: &ApprovalsConfig,
        signers: Option<(&Path, &str)>,
    ) -> std::result::Result<Trust, Vec<Diagnostic>> {
        let signers = match signers {
            Some((path, text)) => Some(Signers::parse(path, text)?),
            None => None,
        };
        let has_signers = signers.is_some();
        if !has_signers && (config.quorum.is_some_and(|q| q > 1) || !config.paths.is_empty()) {
            return Err(vec![
                Diagnostic::error(
                    Code::ApprovalsWithoutSigners,
                    "`[approvals]` sets `quorum` or `paths`, which count signed approvals, but no `signers` file",
                )
                .hint("set `signers = \"PATH\"` under `[approvals]` in harness.toml"),
            ]);
        }
        let mut paths = Vec::new();
        for (glob, names) in &config.paths {
            if let Err(e) = Glob::new(glob) {
                return Err(vec![
                    Diagnostic::error(
                        Code::BadApprovalsPath,
                        format!("`[approvals.paths]` key `{glob}` is not a glob: {e}"),
                    )
                    .hint("write a glob such as \"tests/**\""),
                ]);
            }
            paths.push((glob.clone(), names.clone()));
        }
        Ok(Trust {
            signers,
            require_signature: config.require_signature.unwrap_or(has_signers),
            quorum: config.quorum.unwrap_or(1).max(1),
            paths,
        })
    }
}

/// What a record's signature shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "signature", rename_all = "snake_case")]
pub enum SignatureCheck {
    Unsigned,
    /// Signed by an allowed signer for the name the record gives.
    Verified {
        principal: String,
        fingerprint: String,
    },
    /// Signed, but it does not count; `code` and `problem` say why.
    Invalid {
        code: Code,
        fingerprint: Option<String>,
        problem: String,
    },
}

/// Why an approval does not count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrustProblem {
    pub code: Code,
    /// The record at fault (0-based), when one is.
    pub record: Option<usize>,
    pub message: String,
    pub hint: String,
}

/// Checks each record's signature against `signers`.
pub fn check_records(signers: &Signers, plan: u32, chain: &[Approval]) -> Vec<SignatureCheck> {
    let digests = digests(plan, chain);
    chain
        .iter()
        .enumerate()
        .map(|(i, record)| {
            let previous = i.checked_sub(1).map(|p| digests[p].as_str());
            check_record(signers, plan, record, previous)
        })
        .collect()
}

fn check_record(
    signers: &Signers,
    plan: u32,
    record: &Approval,
    previous: Option<&str>,
) -> SignatureCheck {
    let Some(armored) = &record.signature else {
        return SignatureCheck::Unsigned;
    };
    let invalid = |code, fingerprint: Option<String>, problem: String| SignatureCheck::Invalid {
        code,
        fingerprint,
        problem,
    };
    if record.prev_record.as_deref() != previous {
        return invalid(
            Code::BrokenChain,
            None,
            format!(
                "it was signed after a record that is not the one before it (signed after {}, found {}): a record is missing or out of order",
                record.prev_record.as_deref().unwrap_or("none"),
                previous.unwrap_or("none")
            ),
        );
    }
    let sig = match SshSig::from_pem(armored) {
        Ok(sig) => sig,
        Err(e) => {
            return invalid(
                Code::BadSignature,
                None,
                format!("its signature cannot be read: {e}"),
            );
        }
    };
    let fingerprint = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
    let text = statement(plan, record, previous);
    if sig.namespace() != NAMESPACE || !verifies(&sig, text.as_bytes()) {
        return invalid(
            Code::BadSignature,
            Some(fingerprint),
            "its signature does not verify: the record was changed or signed over something else"
                .to_string(),
        );
    }
    let at = Some(record.at);
    let path = crate::diagnostic::display_path(&signers.path);
    if signers
        .allows(&record.by, sig.public_key(), NAMESPACE, at)
        .is_some()
    {
        return SignatureCheck::Verified {
            principal: record.by.clone(),
            fingerprint,
        };
    }
    let others = signers.principals_of(sig.public_key());
    let problem = if others.is_empty() {
        format!("it is signed by key {fingerprint}, which is not in the signers file `{path}`")
    } else if others.contains(&record.by.as_str()) {
        format!(
            "key {fingerprint} of `{}` may not sign plan decisions at that time or in namespace `{NAMESPACE}` (see `{path}`)",
            record.by
        )
    } else {
        format!(
            "it names `{}` but is signed by key {fingerprint} of `{}` in `{path}`",
            record.by,
            others.join("`, `")
        )
    };
    invalid(Code::SignerNotAllowed, Some(fingerprint), problem)
}

/// Whether `sig` is a good signature over `msg` by its own key, in
/// namespace [`NAMESPACE`]: what `ssh-key` answers, found faster where
/// `ring` can say yes.
///
/// The guard asks on every gated write, and `ssh-key`'s RSA and NIST-curve
/// arithmetic (the `rsa` and `p256` crates) take milliseconds where `ring`
/// takes tens of microseconds. `ring` is asked only what `ssh-key` would
/// accept too: RSA keys of 2,048 to 4,096 bits with SHA-256 or SHA-512,
/// and ECDSA on P-256 and P-384. Its "no" is not trusted on its own: the
/// signature then goes to `ssh-key`, so the answer is always `ssh-key`'s,
/// only sooner when it is yes.
fn verifies(sig: &SshSig, msg: &[u8]) -> bool {
    if fast_verify(sig, msg) {
        return true;
    }
    let key = PublicKey::from(sig.public_key().clone());
    key.verify(NAMESPACE, msg, sig).is_ok()
}

fn fast_verify(sig: &SshSig, msg: &[u8]) -> bool {
    use ring::signature as rs;
    use ssh_key::public::KeyData;
    use ssh_key::{Algorithm, EcdsaCurve};
    if !sig.reserved().is_empty() {
        return false;
    }
    let Ok(data) = SshSig::signed_data(NAMESPACE, sig.hash_alg(), msg) else {
        return false;
    };
    let signature = sig.signature();
    let raw = signature.as_bytes();
    match (sig.public_key(), signature.algorithm()) {
        (KeyData::Rsa(key), Algorithm::Rsa { hash: Some(hash) }) => {
            let (Some(n), Some(e)) = (key.n.as_positive_bytes(), key.e.as_positive_bytes()) else {
                return false;
            };
            if !(2048..=4096).contains(&(n.len() * 8)) {
                return false;
            }
            let params = match hash {
                HashAlg::Sha256 => &rs::RSA_PKCS1_2048_8192_SHA256,
                HashAlg::Sha512 => &rs::RSA_PKCS1_2048_8192_SHA512,
                _ => return false,
            };
            rs::RsaPublicKeyComponents { n, e }
                .verify(params, &data, raw)
                .is_ok()
        }
        (KeyData::Ecdsa(key), Algorithm::Ecdsa { curve }) if key.curve() == curve => {
            let (params, width): (&rs::EcdsaVerificationAlgorithm, usize) = match curve {
                EcdsaCurve::NistP256 => (&rs::ECDSA_P256_SHA256_FIXED, 32),
                EcdsaCurve::NistP384 => (&rs::ECDSA_P384_SHA384_FIXED, 48),
                _ => return false,
            };
            let Some(fixed) = ecdsa_fixed(raw, width) else {
                return false;
            };
            rs::UnparsedPublicKey::new(params, key.as_sec1_bytes())
                .verify(&data, &fixed)
                .is_ok()
        }
        _ => false,
    }
}

/// An SSH ECDSA signature (`mpint r`, `mpint s`) as `r || s`, each
/// left-padded to `width` bytes; `None` when it does not read so.
fn ecdsa_fixed(mut blob: &[u8], width: usize) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(2 * width);
    for _ in 0..2 {
        let len = u32::from_be_bytes(blob.get(..4)?.try_into().ok()?) as usize;
        let int = blob.get(4..4 + len)?;
        blob = &blob[4 + len..];
        // An mpint carries a leading zero when its top bit is set.
        let int = match int {
            [0, rest @ ..] => rest,
            _ => int,
        };
        if int.len() > width {
            return None;
        }
        out.resize(out.len() + width - int.len(), 0);
        out.extend_from_slice(int);
    }
    blob.is_empty().then_some(out)
}

/// Whether the approval ending `chain` (whose content matches the plan's)
/// counts under `trust`: every signature verifies, and the approvals of
/// this content come from `quorum` distinct allowed signers, including one
/// listed for each path rule the plan's Files to Change touch. `Ok` holds
/// the signers counted (empty when approvals are unsigned).
/// `checks` are [`check_records`] of `chain`.
pub fn verdict(
    trust: &Trust,
    chain: &[Approval],
    checks: &[SignatureCheck],
    scope: &Scope,
) -> std::result::Result<Vec<String>, TrustProblem> {
    if trust.signers.is_none() {
        return Ok(Vec::new());
    }
    for (i, check) in checks.iter().enumerate() {
        if let SignatureCheck::Invalid { code, problem, .. } = check {
            return Err(TrustProblem {
                code: *code,
                record: Some(i),
                message: format!(
                    "record {} ({} by `{}`) does not count: {problem}",
                    i + 1,
                    chain[i].decision.as_str(),
                    chain[i].by
                ),
                hint: "a person re-approves with `harness-agents plan approve ID --by NAME --resign`; if nobody here wrote that record, find out who did".to_string(),
            });
        }
    }
    let Some(last) = chain.last() else {
        return Ok(Vec::new());
    };
    let run = chain
        .iter()
        .rposition(|a| a.decision != ApprovalDecision::Approved || a.hash != last.hash)
        .map_or(0, |i| i + 1);
    let mut counted = BTreeSet::new();
    let mut unsigned = Vec::new();
    for (record, check) in chain[run..].iter().zip(&checks[run..]) {
        match check {
            SignatureCheck::Verified { principal, .. } => {
                counted.insert(principal.clone());
            }
            SignatureCheck::Unsigned if !trust.require_signature => {
                counted.insert(record.by.clone());
            }
            _ => unsigned.push(record.by.clone()),
        }
    }
    let unsigned_note = if unsigned.is_empty() {
        String::new()
    } else {
        format!(
            "; not counted, because unsigned: `{}`",
            unsigned.join("`, `")
        )
    };
    if counted.len() < trust.quorum {
        let have = if counted.is_empty() {
            "none".to_string()
        } else {
            format!(
                "`{}`",
                counted.iter().cloned().collect::<Vec<_>>().join("`, `")
            )
        };
        return Err(TrustProblem {
            code: if counted.is_empty() && !unsigned.is_empty() {
                Code::UnsignedApproval
            } else {
                Code::QuorumNotMet
            },
            record: Some(chain.len() - 1),
            message: format!(
                "the approval needs {} signed approval{} by distinct allowed signers; signed: {have}{unsigned_note}",
                trust.quorum,
                if trust.quorum == 1 { "" } else { "s" }
            ),
            hint: "each approver runs `harness-agents plan approve ID --by NAME` with their own key (`--resign` for an approval made before signing)".to_string(),
        });
    }
    for (glob, names) in &trust.paths {
        let Ok(glob) = Glob::new(glob).map(|g| g.compile_matcher()) else {
            continue;
        };
        let touched = scope.patterns().into_iter().find(|p| glob.is_match(p));
        if let Some(touched) = touched
            && !names.iter().any(|n| counted.contains(n))
        {
            return Err(TrustProblem {
                code: Code::PathApproverMissing,
                record: Some(chain.len() - 1),
                message: format!(
                    "the Files to Change touch `{touched}`, which `[approvals.paths]` gives to `{}`; none of them signed this approval",
                    names.join("`, `")
                ),
                hint: format!(
                    "one of `{}` approves it with their own key",
                    names.join("`, `")
                ),
            });
        }
    }
    Ok(counted.into_iter().collect())
}

/// The key `plan approve` signs with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigningKey {
    /// A private key file, or a public key file whose private key is in
    /// `ssh-agent`.
    File(PathBuf),
    /// A public key given literally (git's `key::ssh-ed25519 AAAA...`),
    /// whose private key is in `ssh-agent`.
    Agent(String),
}

/// The key to sign with: `key` when given, else the one git signs with
/// (`user.signingkey`, when `gpg.format = ssh`). A key file inside the
/// project is refused: a key an agent can read is not a person's.
pub fn signing_key(root: &Path, key: Option<&Path>) -> Result<SigningKey> {
    let chosen = match key {
        Some(k) => SigningKey::File(k.to_path_buf()),
        None => git_signing_key(root)?.ok_or_else(|| {
            Error::from(
                Diagnostic::error(
                    Code::NoSigningKey,
                    "approvals here are signed, and no signing key was given",
                )
                .hint("pass `--key ~/.ssh/id_ed25519`, or set git's: `git config --global gpg.format ssh && git config --global user.signingkey ~/.ssh/id_ed25519.pub`"),
            )
        })?,
    };
    if let SigningKey::File(path) = &chosen {
        let path = expand_home(path);
        let abs = std::fs::canonicalize(&path).map_err(|e| Error::io("read", &path, e))?;
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        if abs.starts_with(&root) {
            return Err(Diagnostic::error(
                Code::KeyInProject,
                format!(
                    "the signing key `{}` is inside the project, where agents can read it",
                    path.display()
                ),
            )
            .hint("keep signing keys outside the work tree, e.g. in ~/.ssh, or in ssh-agent")
            .into());
        }
        return Ok(SigningKey::File(abs));
    }
    Ok(chosen)
}

fn expand_home(path: &Path) -> PathBuf {
    match (path.strip_prefix("~"), std::env::var_os("HOME")) {
        (Ok(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => path.to_path_buf(),
    }
}

fn git_signing_key(root: &Path) -> Result<Option<SigningKey>> {
    let config = git2::Repository::discover(root)
        .and_then(|r| r.config())
        .or_else(|_| git2::Config::open_default());
    let Ok(config) = config else {
        return Ok(None);
    };
    if config.get_string("gpg.format").ok().as_deref() != Some("ssh") {
        return Ok(None);
    }
    let Ok(key) = config.get_string("user.signingkey") else {
        return Ok(None);
    };
    let key = key.trim();
    Ok(Some(match key.strip_prefix("key::") {
        Some(literal) => SigningKey::Agent(literal.to_string()),
        None if key.starts_with("ssh-") || key.starts_with("ecdsa-") => {
            SigningKey::Agent(key.to_string())
        }
        None => SigningKey::File(PathBuf::from(key)),
    }))
}

/// Signs `text` with `key` through `ssh-keygen -Y sign`; the armored
/// signature.
pub fn sign(key: &SigningKey, text: &str) -> Result<String> {
    let literal;
    let (file, agent) = match key {
        SigningKey::File(path) => (path.as_path(), false),
        SigningKey::Agent(public) => {
            literal = tempfile::Builder::new()
                .suffix(".pub")
                .tempfile()
                .map_err(|e| Error::io("create", Path::new("a temporary key file"), e))?;
            std::fs::write(literal.path(), format!("{public}\n"))
                .map_err(|e| Error::io("write", literal.path(), e))?;
            (literal.path(), true)
        }
    };
    let mut cmd = Command::new("ssh-keygen");
    cmd.args(["-q", "-Y", "sign", "-n", NAMESPACE]);
    if agent {
        cmd.arg("-U");
    }
    cmd.arg("-f").arg(file);
    let failed = |why: String| {
        Error::from(
            Diagnostic::error(
                Code::SigningFailed,
                format!(
                    "`ssh-keygen -Y sign` with `{}` failed: {why}",
                    file.display()
                ),
            )
            .hint("check the key file, or that ssh-agent holds the key (`ssh-add -l`)"),
        )
    };
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run it ({e}); install OpenSSH's client")))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(text.as_bytes())
            .map_err(|e| failed(e.to_string()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    let armored = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || !armored.starts_with("-----BEGIN SSH SIGNATURE-----") {
        return Err(failed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    Ok(armored)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ring`'s quick yes and `ssh-key`'s answer agree on signatures made by
    /// OpenSSH for every kind of key, and on the same signatures over
    /// another message.
    #[test]
    fn the_quick_check_agrees_with_ssh_key_on_openssh_signatures() {
        if Command::new("ssh-keygen").arg("-?").output().is_err() {
            assert!(
                std::env::var_os("HARNESS_REQUIRE_SSH").is_none(),
                "ssh-keygen is missing and HARNESS_REQUIRE_SSH is set"
            );
            eprintln!("skipped: ssh-keygen is not installed (package openssh-client)");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        // (kind, bits, whether ring is asked)
        let kinds = [
            ("rsa", "2048", true),
            ("rsa", "4096", true),
            ("ecdsa", "256", true),
            ("ecdsa", "384", true),
            ("ed25519", "256", false),
        ];
        for (kind, bits, quick) in kinds {
            let file = dir.path().join(format!("{kind}{bits}"));
            let made = Command::new("ssh-keygen")
                .args(["-q", "-t", kind, "-b", bits, "-N", "", "-f"])
                .arg(&file)
                .output()
                .unwrap();
            assert!(made.status.success(), "{made:?}");
            let armored = sign(&SigningKey::File(file), "the statement\n").unwrap();
            let sig = SshSig::from_pem(&armored).unwrap();
            let key = PublicKey::from(sig.public_key().clone());
            for (msg, good) in [
                (&b"the statement\n"[..], true),
                (b"the statement!\n", false),
            ] {
                let by_ssh_key = key.verify(NAMESPACE, msg, &sig).is_ok();
                assert_eq!(by_ssh_key, good, "{kind} {bits}: ssh-key");
                assert_eq!(fast_verify(&sig, msg), good && quick, "{kind} {bits}: ring");
                assert_eq!(verifies(&sig, msg), good, "{kind} {bits}: together");
            }
        }
    }

    #[test]
    fn ecdsa_signatures_read_as_fixed_width_pairs() {
        // r with a leading zero (its top bit set), s short by a byte.
        let mut blob = vec![0, 0, 0, 3, 0, 0x80, 1, 0, 0, 0, 1, 7];
        assert_eq!(ecdsa_fixed(&blob, 2), Some(vec![0x80, 1, 0, 7]),);
        assert_eq!(ecdsa_fixed(&blob, 1), None, "r is wider than the curve");
        blob.push(9);
        assert_eq!(ecdsa_fixed(&blob, 2), None, "bytes after s");
        assert_eq!(ecdsa_fixed(&blob[..6], 2), None, "cut short");
    }

    fn record(decision: ApprovalDecision, by: &str, reason: Option<&str>) -> Approval {
        Approval {
            decision,
            by: by.to_string(),
            at: jiff::Timestamp::constant(1767323045, 0),
            hash: "sha256:abc".to_string(),
            prev_hash: None,
            reason: reason.map(str::to_string),
            prev_record: None,
            signature: None,
        }
    }

    #[test]
    fn the_statement_is_fixed_text_and_chains_records() {
        let approve = record(ApprovalDecision::Approved, "alice", None);
        assert_eq!(
            statement(7, &approve, None),
            "harness plan decision v1\nplan: 0007\ncontent: sha256:abc\nprevious: none\ndecision: approved\nby: \"alice\"\nat: \"2026-01-02T03:04:05Z\"\n"
        );
        // A value cannot add a line of its own.
        let reject = record(
            ApprovalDecision::Rejected,
            "bob\ndecision: approved",
            Some("no\nreally"),
        );
        let text = statement(7, &reject, Some("sha256:def"));
        assert!(text.contains("previous: sha256:def\n"), "{text}");
        assert!(
            text.ends_with("by: \"bob\\ndecision: approved\"\nat: \"2026-01-02T03:04:05Z\"\nreason: \"no\\nreally\"\n"),
            "{text}"
        );
        let d = digests(7, &[approve.clone(), reject.clone()]);
        assert_eq!(d[0], sha256_tagged(statement(7, &approve, None).as_bytes()));
        assert_eq!(
            d[1],
            sha256_tagged(statement(7, &reject, Some(&d[0])).as_bytes())
        );
        // Swapping records changes every digest after the first.
        assert_ne!(digests(7, &[reject, approve])[1], d[1]);
    }

    #[test]
    fn rules_that_count_signatures_need_a_signers_file() {
        let config = ApprovalsConfig {
            quorum: Some(2),
            ..ApprovalsConfig::default()
        };
        let e = Trust::new(&config, None).unwrap_err();
        assert_eq!(e[0].code, Code::ApprovalsWithoutSigners);
        let config = ApprovalsConfig {
            paths: [("tests/[".to_string(), vec!["alice".to_string()])].into(),
            ..ApprovalsConfig::default()
        };
        let e = Trust::new(&config, Some((Path::new("s"), ""))).unwrap_err();
        assert_eq!(e[0].code, Code::BadApprovalsPath);
        // Without a signers file an approval is unsigned and counts.
        let trust = Trust::new(&ApprovalsConfig::default(), None).unwrap();
        assert!(!trust.require_signature);
        let chain = [record(ApprovalDecision::Approved, "alice", None)];
        assert_eq!(verdict(&trust, &chain, &[], &Scope::default()), Ok(vec![]));
        // With one, it does not.
        let trust = Trust::new(&ApprovalsConfig::default(), Some((Path::new("s"), ""))).unwrap();
        assert!(trust.require_signature);
        let checks = check_records(trust.signers.as_ref().unwrap(), 7, &chain);
        let problem = verdict(&trust, &chain, &checks, &Scope::default()).unwrap_err();
        assert_eq!(
            (problem.code.as_str(), problem.record),
            ("unsigned-approval", Some(0))
        );
    }
}
