//! The transcript runner (`tests/TRANSCRIPTS.md`): loads cases, replays each three
//! ways (server bytes as written, split at every offset, one byte at a time), and
//! checks the client's bytes and every op's outcome.

pub mod case;
pub mod check;
pub mod replay;

use std::path::{Path, PathBuf};

pub use case::Case;
use replay::{replay, Feed};

/// The result of running a set of cases.
#[derive(Debug, Default)]
pub struct Summary {
    /// Cases that passed all three ways.
    pub passed: usize,
    /// `(case id, first difference)` for each failing case.
    pub failed: Vec<(String, String)>,
}

/// Cases loaded, each with where it came from.
pub type Loaded = Vec<(String, Case)>;
/// `(where, what is wrong)` for each file or line that did not load.
pub type LoadErrors = Vec<(String, String)>;

/// Loads every case in the given files or directories (recursively; `.json` holds one
/// case, `.jsonl` one per line). A file that does not parse is a failure, not a skip.
pub fn load(paths: &[PathBuf]) -> (Loaded, LoadErrors) {
    let mut files = Vec::new();
    for p in paths {
        collect(p, &mut files);
    }
    files.sort();
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        let name = f.display().to_string();
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                errors.push((name, format!("cannot read: {e}")));
                continue;
            }
        };
        if name.ends_with(".jsonl") {
            for (n, line) in text
                .lines()
                .enumerate()
                .filter(|(_, l)| !l.trim().is_empty())
            {
                match serde_json::from_str::<Case>(line) {
                    Ok(c) => cases.push((format!("{name}:{}", n + 1), c)),
                    Err(e) => errors.push((format!("{name}:{}", n + 1), format!("bad case: {e}"))),
                }
            }
        } else {
            match serde_json::from_str::<Case>(&text) {
                Ok(c) => cases.push((name, c)),
                Err(e) => errors.push((name, format!("bad case: {e}"))),
            }
        }
    }
    (cases, errors)
}

fn collect(p: &Path, out: &mut Vec<PathBuf>) {
    if p.is_dir() {
        if let Ok(rd) = std::fs::read_dir(p) {
            for e in rd.flatten() {
                collect(&e.path(), out);
            }
        }
    } else if p.extension().is_some_and(|x| x == "json" || x == "jsonl") {
        out.push(p.to_path_buf());
    }
}

/// Runs one case three ways; `Err` holds the first difference.
pub fn run_case(case: &Case) -> Result<(), String> {
    let whole = replay(case, Feed::Whole).map_err(|e| format!("as written: {e}"))?;
    check::outcomes(case, &whole).map_err(|e| format!("as written: {e}"))?;
    let longest = longest_server_step(case);
    for k in 1..longest {
        let split = replay(case, Feed::SplitAt(k)).map_err(|e| format!("split at {k}: {e}"))?;
        if split != whole {
            return Err(format!(
                "split at {k}: {}",
                check::difference(&whole, &split)
            ));
        }
    }
    let bytes = replay(case, Feed::ByteByByte).map_err(|e| format!("byte by byte: {e}"))?;
    if bytes != whole {
        return Err(format!(
            "byte by byte: {}",
            check::difference(&whole, &bytes)
        ));
    }
    Ok(())
}

fn longest_server_step(case: &Case) -> usize {
    case.script
        .iter()
        .map(|s| {
            s.server
                .as_ref()
                .map(|l| l.len() + 2)
                .or(s.server_raw.as_ref().map(String::len))
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0)
}

/// Runs every case under `paths`, catching panics per case.
pub fn run_paths(paths: &[PathBuf]) -> Summary {
    let (cases, errors) = load(paths);
    let mut summary = Summary {
        passed: 0,
        failed: errors,
    };
    let mut seen = std::collections::HashSet::new();
    for (origin, case) in cases {
        if !seen.insert(case.id.clone()) {
            summary
                .failed
                .push((case.id.clone(), format!("duplicate id (in {origin})")));
            continue;
        }
        let outcome = std::panic::catch_unwind(|| run_case(&case));
        match outcome {
            Ok(Ok(())) => summary.passed += 1,
            Ok(Err(e)) => summary.failed.push((case.id.clone(), e)),
            Err(_) => summary
                .failed
                .push((case.id.clone(), "the engine panicked".into())),
        }
    }
    summary
}
