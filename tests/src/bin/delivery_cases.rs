//! `cargo run -p smtp-tests --bin delivery-cases -- PATH...`: runs every delivery
//! case under the paths, prints one line per failing case, and ends with
//! `N passed, M failed`. Exit status 0 only when nothing failed.

use std::path::PathBuf;

fn main() {
    let paths: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if paths.is_empty() {
        eprintln!("usage: delivery-cases PATH...");
        std::process::exit(2);
    }
    let summary = smtp_tests::delivery_runner::run_paths(&paths);
    for (id, why) in &summary.failed {
        println!("FAIL {id}: {why}");
    }
    println!("{} passed, {} failed", summary.passed, summary.failed.len());
    std::process::exit(if summary.failed.is_empty() && summary.passed > 0 {
        0
    } else {
        1
    });
}
