//! The work a plan asks for, read from its task list (or, without one,
//! from its Files to Change), and the ids its tasks go by. Tasks themselves,
//! their state and evidence, are `crate::task`'s; what they are derived
//! from, and how they are named, belongs to the plan.

use super::plan::Plan;

/// A task as the plan states it, before ids are given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    pub subject: String,
    pub owner: Option<String>,
    /// Positions (from 1) in the plan's task list.
    pub after: Vec<usize>,
    pub line: usize,
}

/// Splits the `@owner` and `(after N, M)` annotations off an item's text.
pub fn annotations(text: &str) -> Wanted {
    let mut subject = text.trim().to_string();
    let mut after = Vec::new();
    if subject.ends_with(')')
        && let Some(open) = subject.rfind('(')
    {
        let inner = subject[open + 1..subject.len() - 1].trim().to_lowercase();
        let list = inner
            .strip_prefix("after")
            .or_else(|| inner.strip_prefix("blocked by"));
        if let Some(list) = list {
            let nums: Vec<usize> = list
                .split([',', ' '])
                .filter(|s| !s.is_empty())
                .filter_map(|s| s.trim_start_matches('#').parse().ok())
                .collect();
            if !nums.is_empty() {
                after = nums;
                subject = subject[..open].trim_end().to_string();
            }
        }
    }
    let mut owner = None;
    let words: Vec<&str> = subject.split_whitespace().collect();
    let kept: Vec<&str> = words
        .iter()
        .filter(|w| match w.strip_prefix('@') {
            Some(name) if !name.is_empty() && owner.is_none() => {
                owner = Some(name.to_string());
                false
            }
            _ => true,
        })
        .copied()
        .collect();
    subject = kept.join(" ");
    Wanted {
        subject,
        owner,
        after,
        line: 0,
    }
}

/// What the plan asks for, in order.
pub fn wanted(plan: &Plan) -> Vec<Wanted> {
    let items: Vec<Wanted> = plan
        .tasks
        .iter()
        .filter(|t| !is_placeholder(&t.text))
        .map(|t| Wanted {
            line: t.line,
            ..annotations(&t.text)
        })
        .collect();
    if !items.is_empty() {
        return items;
    }
    plan.scope()
        .entries()
        .iter()
        .map(|e| Wanted {
            subject: format!("Change `{}`", e.pattern),
            owner: None,
            after: Vec::new(),
            line: e.line,
        })
        .collect()
}

fn is_placeholder(text: &str) -> bool {
    let t = text.trim();
    t.starts_with('{') && t.ends_with('}') && !t[1..].contains('{')
}

/// The id of task `number` of plan `plan`: `0007-3`.
pub fn task_id(plan: u32, number: u32) -> String {
    format!("{plan:04}-{number}")
}

/// Reads a task id: `0007-3` or `7-3`.
pub fn parse_task_id(text: &str) -> Option<(u32, u32)> {
    let (plan, n) = text.trim().split_once('-')?;
    if plan.is_empty() || n.is_empty() || !plan.bytes().chain(n.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    Some((plan.parse().ok()?, n.parse().ok()?))
}
