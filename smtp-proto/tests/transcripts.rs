//! Runs every transcript under the workspace's `tests/transcripts/` three ways (as
//! written, split at every offset, byte by byte) as part of this crate's own
//! `cargo test`, so that mutation testing of smtp-proto (`scripts/mutants`) sees the
//! whole session behaviour. The runner itself lives with the workspace tests
//! (`tests/src/transcript/`, also behind the `transcript` command) and is compiled
//! into this test from there.

use std::path::PathBuf;

#[path = "../../tests/src/transcript/mod.rs"]
#[allow(dead_code)]
mod transcript;

#[test]
fn every_transcript_passes_three_ways() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/transcripts");
    let summary = transcript::run_paths(&[dir]);
    let report: Vec<String> = summary
        .failed
        .iter()
        .map(|(id, why)| format!("FAIL {id}: {why}"))
        .collect();
    assert!(
        report.is_empty(),
        "{}\n{} passed, {} failed",
        report.join("\n"),
        summary.passed,
        report.len()
    );
    assert!(
        summary.passed >= 100,
        "only {} transcripts ran",
        summary.passed
    );
}
