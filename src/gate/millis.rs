//! Durations as whole milliseconds: the precision a gate record keeps, and
//! how durations appear in its JSON (`duration_ms`, `timeout_ms`).
//!
//! A leaf, so that both the gate specs and the run records can use it.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// A duration cut to whole milliseconds, so that a report in memory equals
/// the one read back.
pub fn whole(d: Duration) -> Duration {
    Duration::from_millis(count(d))
}

fn count(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// For `#[serde(with = "millis")]`.
pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(count(*d))
}

/// For `#[serde(with = "millis")]`.
pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    Ok(Duration::from_millis(u64::deserialize(d)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_drops_the_sub_millisecond_part() {
        assert_eq!(
            whole(Duration::from_micros(1_500_900)),
            Duration::from_millis(1500)
        );
    }

    #[test]
    fn round_trips_through_json() {
        #[derive(serde::Serialize, serde::Deserialize, PartialEq, Debug)]
        struct T {
            #[serde(with = "super")]
            d: Duration,
        }
        let t = T {
            d: Duration::from_millis(42),
        };
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(json, r#"{"d":42}"#);
        assert_eq!(serde_json::from_str::<T>(&json).unwrap(), t);
    }
}
