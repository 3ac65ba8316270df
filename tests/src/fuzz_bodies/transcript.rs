//! The transcript runner on arbitrary and mutated case text (seeded with the real
//! cases): loading never panics, and neither does a replay — the runner catches
//! panics per case, so this calls the replay itself, where a panic is a finding. When
//! a case replays under two feedings, both give the same bytes and outcomes: the
//! engine does not depend on how the server's bytes were split (decision 3).

use crate::transcript::case::Case;
use crate::transcript::check;
use crate::transcript::replay::{replay, Feed};

/// Cases longer than this are skipped: a replay splits each server step at every
/// offset, so the cost grows with the square of the input.
const MAX_CASE: usize = 8192;

/// Loads `data` as JSON lines and replays every case that loads.
pub fn transcript(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(4) {
        if line.len() > MAX_CASE {
            continue;
        }
        let Ok(case) = serde_json::from_str::<Case>(line) else {
            continue;
        };
        let Ok(whole) = replay(&case, Feed::Whole) else {
            continue;
        };
        let _ = check::outcomes(&case, &whole);
        for feed in [Feed::ByteByByte, Feed::SplitAt(1), Feed::SplitAt(3)] {
            if let Ok(other) = replay(&case, feed) {
                assert!(
                    other == whole,
                    "{feed:?} differs from the whole feed: {}",
                    check::difference(&whole, &other)
                );
            }
        }
    }
}
