//! The time harness records: when a plan was decided on, a task moved or a
//! gate run started. One place reads the clock, so `HARNESS_NOW` (an RFC
//! 3339 timestamp) fixes it for reproducible output in tests and examples.

use jiff::{Timestamp, Unit};

/// Now, to the second (or `HARNESS_NOW` when it is a valid timestamp).
pub fn now() -> Timestamp {
    if let Ok(fixed) = std::env::var("HARNESS_NOW")
        && let Ok(ts) = fixed.parse::<Timestamp>()
    {
        return ts;
    }
    let now = Timestamp::now();
    now.round(Unit::Second).unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_whole_seconds_and_print_as_rfc_3339() {
        let t = now();
        assert_eq!(t.subsec_nanosecond(), 0);
        let fixed: Timestamp = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(fixed.to_string(), "2026-01-02T03:04:05Z");
    }
}
