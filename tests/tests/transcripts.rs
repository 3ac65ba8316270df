//! Runs every transcript under `tests/transcripts/` three ways (as written, split at
//! every offset, byte by byte) as part of `cargo test`.

use std::path::PathBuf;

#[test]
fn every_transcript_passes_three_ways() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("transcripts");
    let summary = smtp_tests::transcript::run_paths(&[dir]);
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
