//! Runs every delivery case under `tests/delivery/` as part of `cargo test`.

use std::path::PathBuf;

#[test]
fn every_delivery_case_passes() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("delivery");
    let summary = smtp_tests::delivery_runner::run_paths(&[dir]);
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
        "only {} delivery cases ran",
        summary.passed
    );
}
