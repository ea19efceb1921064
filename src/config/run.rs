//! `[run]` in `harness.toml`: the workflow `harness-agents run` drives a plan
//! through, and how each agent is started. Plain data; `run` gives it
//! meaning.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[run]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunConfig {
    /// The stages, in order; absent: plan → approve → scaffold → implement
    /// → gates → review.
    pub stages: Vec<StageConfig>,
    /// How long one agent stage may take before its process group is killed.
    pub timeout_seconds: u64,
    /// Where the scaffold stage writes the service, relative to the root;
    /// absent: `services/SERVICE`.
    pub scaffold_out: Option<PathBuf>,
    /// `[run.agents.NAME]`: how each agent is started.
    pub agents: BTreeMap<String, AgentCommand>,
    /// Whether implement stages run their agent under `harness-agents sandbox`.
    pub sandbox: SandboxMode,
    /// The most one agent stage may cost, in US dollars, where the agent's
    /// CLI reports its cost (Claude Code); absent: no budget.
    pub max_cost_usd: Option<f64>,
}

/// `[run] sandbox`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Confined by Landlock; a kernel that cannot enforce it stops the
    /// stage.
    #[default]
    Required,
    /// Confined as far as the kernel can; the stage notes what was not.
    BestEffort,
    /// Not confined: the guard and harness's checks after the stage only.
    Off,
}

impl Default for RunConfig {
    fn default() -> Self {
        let stage = |kind, agent: Option<&str>| StageConfig {
            kind,
            agent: agent.map(str::to_string),
        };
        RunConfig {
            stages: vec![
                stage(StageKind::Plan, Some("realtime-engineer")),
                stage(StageKind::Approve, None),
                stage(StageKind::Scaffold, None),
                stage(StageKind::Implement, Some("realtime-dev")),
                stage(StageKind::Gates, None),
                stage(StageKind::Review, Some("realtime-engineer")),
            ],
            timeout_seconds: 30 * 60,
            scaffold_out: None,
            agents: BTreeMap::new(),
            sandbox: SandboxMode::default(),
            max_cost_usd: None,
        }
    }
}

/// One `[[run.stages]]` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    pub kind: StageKind,
    /// The agent that runs it (plan, implement, review).
    #[serde(default)]
    pub agent: Option<String>,
}

/// What a stage does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageKind {
    /// An agent writes the plan, and only the plan.
    Plan,
    /// A person approves it; the run stops here until they have.
    Approve,
    /// harness generates the service of the plan's realtime block.
    Scaffold,
    /// An agent works each task, one run per task.
    Implement,
    /// harness runs the quality gates.
    Gates,
    /// The review checklist, answered in the run report.
    Review,
}

impl StageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            StageKind::Plan => "plan",
            StageKind::Approve => "approve",
            StageKind::Scaffold => "scaffold",
            StageKind::Implement => "implement",
            StageKind::Gates => "gates",
            StageKind::Review => "review",
        }
    }
}

/// `[run.agents.NAME]`: a command line of its own (the prompt on stdin),
/// or a built-in adapter; neither: the `claude` adapter.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentCommand {
    /// A shell command line, run with `sh -c`.
    pub command: Option<String>,
    /// `claude`, `codex`, `gemini` or `opencode`.
    pub adapter: Option<String>,
    /// Overrides `[run] timeout_seconds` for this agent.
    pub timeout_seconds: Option<u64>,
    /// Overrides `[run] max_cost_usd` for this agent.
    pub max_cost_usd: Option<f64>,
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::config::Config;

    #[test]
    fn the_default_workflow_is_plan_approve_scaffold_implement_gates_review() {
        let c = Config::parse(Path::new("harness.toml"), "").unwrap();
        let kinds: Vec<&str> = c.run.stages.iter().map(|s| s.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "plan",
                "approve",
                "scaffold",
                "implement",
                "gates",
                "review"
            ]
        );
        assert_eq!(c.run.stages[3].agent.as_deref(), Some("realtime-dev"));
        assert_eq!(c.run.timeout_seconds, 1800);
    }

    #[test]
    fn a_workflow_and_agent_commands_are_read() {
        let c = Config::parse(
            Path::new("harness.toml"),
            "[run]\nstages = [{ kind = \"approve\" }, { kind = \"implement\", agent = \"dev\" }]\n[run.agents.dev]\ncommand = \"./agent.sh\"\ntimeout_seconds = 5\n",
        )
        .unwrap();
        assert_eq!(c.run.stages.len(), 2);
        let dev = &c.run.agents["dev"];
        assert_eq!(
            (dev.command.as_deref(), dev.timeout_seconds),
            (Some("./agent.sh"), Some(5))
        );
    }

    #[test]
    fn an_unknown_stage_is_a_located_error() {
        let err = Config::parse(
            Path::new("harness.toml"),
            "[run]\nstages = [{ kind = \"deploy\" }]\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("harness.toml:2:"), "{err}");
        assert!(err.contains("unknown variant `deploy`"), "{err}");
    }
}
