//! Writing a plan file: the front matter harness owns, and the body with
//! its `PLAN_APPROVED:` marker set to the recorded status. Reading is
//! [`super::plan`]; the two meet only in the file's text.

use super::plan::Plan;
use super::record::{Approval, MARKER, Status};

/// Renders the front matter harness writes: every string JSON-quoted (a JSON
/// string is a valid YAML double-quoted scalar), fields in a fixed order.
pub fn render_front(
    id: u32,
    title: &str,
    agent: &str,
    status: Status,
    created: Option<&str>,
    approvals: &[Approval],
) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut out = format!(
        "---\nid: {id}\ntitle: {}\nagent: {}\nstatus: {}\n",
        q(title),
        q(agent),
        status.as_str()
    );
    if let Some(created) = created {
        out.push_str(&format!("created: {}\n", q(created)));
    }
    if !approvals.is_empty() {
        out.push_str("approvals:\n");
        for a in approvals {
            out.push_str(&format!("  - decision: {}\n", a.decision.as_str()));
            out.push_str(&format!("    by: {}\n", q(&a.by)));
            out.push_str(&format!("    at: {}\n", q(&a.at.to_string())));
            out.push_str(&format!("    hash: {}\n", q(&a.hash)));
            if let Some(prev) = &a.prev_hash {
                out.push_str(&format!("    prev_hash: {}\n", q(prev)));
            }
            if let Some(reason) = &a.reason {
                out.push_str(&format!("    reason: {}\n", q(reason)));
            }
            if let Some(prev) = &a.prev_record {
                out.push_str(&format!("    prev_record: {}\n", q(prev)));
            }
            // JSON-quoted, the armored signature is one line of YAML.
            if let Some(sig) = &a.signature {
                out.push_str(&format!("    signature: {}\n", q(sig)));
            }
        }
    }
    out.push_str("---\n");
    out
}

impl Plan {
    /// The whole file as harness writes it: the front matter for `status`
    /// and `approvals`, and the body with its marker set to match.
    pub fn render_with(&self, status: Status, approvals: &[Approval]) -> String {
        let mut out = render_front(
            self.id,
            &self.title,
            &self.agent,
            status,
            self.created.as_deref(),
            approvals,
        );
        for line in self.body.split_inclusive('\n') {
            let trimmed = line.trim_start();
            if trimmed.starts_with(MARKER) {
                let indent = &line[..line.len() - trimmed.len()];
                let end = if line.ends_with('\n') { "\n" } else { "" };
                out.push_str(&format!("{indent}{MARKER} {}{end}", status.marker_word()));
            } else {
                out.push_str(line);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::plan::plan::tests::PLAN;

    #[test]
    fn rendering_sets_the_marker_and_round_trips() {
        let p = Plan::parse(Path::new("plans/0007-presence-channel.md"), PLAN, &[]).unwrap();
        let text = p.render_with(Status::Draft, &[]);
        assert_eq!(text, PLAN);
        let approved = p.render_with(Status::Rejected, &[]);
        assert!(approved.contains("\nPLAN_APPROVED: rejected\n"));
        assert!(approved.contains("\nstatus: rejected\n"));
    }
}
