//! Runs every delivery case under the workspace's `tests/delivery/` as part of this
//! crate's own `cargo test` (so mutation testing of smtp-delivery sees them): the
//! `limits` cases (which exercise `smtp_proto::Limits::parse`) in their own test, so
//! a failure there does not hide the state of the delivery logic, and the rest here.
//! The runner lives with the workspace tests (`tests/src/delivery_runner.rs`, also
//! behind the `delivery-cases` command) and is compiled into this test from there.

use std::path::PathBuf;

#[path = "../../tests/src/delivery_runner.rs"]
#[allow(dead_code)]
mod delivery_runner;

use delivery_runner::{run_paths_where, Case, Summary};

fn run(keep: impl Fn(&Case) -> bool) -> Summary {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/delivery");
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
