//! Unified diffs between two texts, line by line with three lines of
//! context, as `harness-agents plan diff`, `scaffold --dry-run` and
//! `install --dry-run` show them.

/// A unified diff from `old` to `new`, headed `--- old_label` and
/// `+++ new_label`; empty when the texts are equal.
pub fn unified_diff(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_with_its_headers() {
        let diff = unified_diff("a\nb\nc\n", "a\nB\nc\n", "a/f", "b/f");
        assert_eq!(diff, "--- a/f\n+++ b/f\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n");
    }

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified_diff("same\n", "same\n", "a", "b"), "");
    }

    #[test]
    fn context_is_three_lines() {
        let old: String = (1..=10).map(|i| format!("{i}\n")).collect();
        let new = old.replace("5\n", "five\n");
        let diff = unified_diff(&old, &new, "a", "b");
        assert!(
            diff.contains("@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"),
            "{diff}"
        );
    }
}
