//! What a run tells its caller while gates run: [`Progress`], the sink the
//! caller passes in. The runner only reports events; how (or whether) they
//! are drawn is the caller's choice, so this module never prints.
//! `harness-agents gate run` draws them on stderr (`commands::gate_view`);
//! library users and `task done` pass [`Silent`].

use super::outcome::GateRun;
use super::spec::GateSpec;

/// Receives a run's events, in order for each gate: `queued` once for the
/// whole run, then per gate `started` (unless it was cancelled before it
/// could start) and `finished`, then `done` once. Events of different gates
/// interleave as the gates run.
pub trait Progress: Sync {
    /// The gates of the run, in report order; later events name a gate by
    /// its index here.
    fn queued(&self, specs: &[GateSpec]) {
        let _ = specs;
    }

    /// Gate `index` started its command.
    fn started(&self, index: usize, spec: &GateSpec) {
        let _ = (index, spec);
    }

    /// Gate `index` ended (or was cancelled before it started).
    fn finished(&self, index: usize, run: &GateRun) {
        let _ = (index, run);
    }

    /// Every gate has ended.
    fn done(&self) {}
}

/// Shows nothing: the caller reports when the run is over.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
