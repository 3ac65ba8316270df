//! Runs every delivery case under `tests/delivery/` as part of `cargo test`: the
//! `limits` cases (which exercise `smtp_proto::Limits::parse`) in their own test, so
//! a failure there does not hide the state of the delivery logic, and the rest here.

use std::path::PathBuf;

use smtp_tests::delivery_runner::{run_paths_where, Case, Summary};

fn run(keep: impl Fn(&Case) -> bool) -> Summary {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("delivery");
    run_paths_where(&[dir], keep)
}

fn assert_all_passed(summary: &Summary, at_least: usize) {
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
        summary.passed >= at_least,
        "only {} cases ran, expected at least {at_least}",
        summary.passed
    );
}

#[test]
fn every_delivery_case_passes() {
    assert_all_passed(&run(|c| c.function != "limits"), 100);
}

#[test]
fn every_limits_case_passes() {
    assert_all_passed(&run(|c| c.function == "limits"), 10);
}
