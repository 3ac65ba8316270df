//! Instruction counts with `valgrind --tool=callgrind`: the bench re-runs itself
//! under callgrind with the hidden `callgrind-child` subcommand, which runs each
//! requested op `n` times inside [`smtp_bench_region`]. Collection is on only inside
//! that function (`--toggle-collect`) and a profile is dumped when it returns
//! (`--dump-after`), so each dump's `totals:` line is one op's instructions, set-up
//! and start-up excluded. External programs (`smtp-source`) are counted whole at
//! two message counts and differenced.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::micro;

/// The measured region: `op` called `n` times. Not inlined, not mangled, so
/// callgrind can find it by name.
#[no_mangle]
#[inline(never)]
pub fn smtp_bench_region(op: &mut dyn FnMut(), n: usize) {
    for _ in 0..n {
        op();
    }
}

/// Runs in the child: builds every op first, warms each up twice, then measures
/// each in its own region (one dump per op, in order).
pub fn child(specs: &[String]) {
    let mut calls: Vec<(Box<dyn FnMut()>, usize)> = specs
        .iter()
        .map(|s| {
            let (id, n) = s.split_once(':').expect("id:n");
            let n: usize = n.parse().expect("count");
            let op = micro::find(id).unwrap_or_else(|| panic!("unknown op {id}"));
            ((op.make)(n + 2), n)
        })
        .collect();
    for (call, n) in &mut calls {
        call();
        call();
        smtp_bench_region(&mut **call, *n);
    }
}

/// Where valgrind is, if anywhere.
pub fn valgrind() -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join("valgrind"))
        .find(|p| p.exists())
}

/// Instructions per call of each `(id, n)`, from one callgrind run of this binary.
/// `env` is passed to the child (sink addresses for network ops).
pub fn measure(
    ops: &[(&str, usize)],
    env: &[(&str, String)],
) -> Result<BTreeMap<String, f64>, String> {
    let vg = valgrind().ok_or("valgrind not found")?;
    let dir = scratch_dir()?;
    let out = dir.join("cg.out");
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let status = Command::new(vg)
        .args(["--tool=callgrind", "--collect-atstart=no"])
        .arg("--toggle-collect=smtp_bench_region")
        .arg("--dump-after=smtp_bench_region")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(exe)
        .arg("callgrind-child")
        .args(ops.iter().map(|(id, n)| format!("{id}:{n}")))
        .envs(env.iter().map(|(k, v)| (k.to_string(), v.clone())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| e.to_string())?;
    if !status.status.success() {
        let err = String::from_utf8_lossy(&status.stderr);
        let why: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("=="))
            .take(3)
            .collect();
        return Err(format!("callgrind child failed: {}", why.join(" / ")));
    }
    let mut res = BTreeMap::new();
    for (k, (id, n)) in ops.iter().enumerate() {
        let dump = PathBuf::from(format!("{}.{}", out.display(), k + 1));
        let total = totals(&dump)?;
        res.insert(id.to_string(), total as f64 / *n as f64);
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(res)
}

/// Instructions of a whole external program run, under callgrind.
pub fn external(cmd: &[String]) -> Result<u64, String> {
    let vg = valgrind().ok_or("valgrind not found")?;
    let dir = scratch_dir()?;
    let out = dir.join("ext.out");
    let o = Command::new(vg)
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out.display()))
        .args(cmd)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| e.to_string())?;
    if !o.status.success() {
        return Err(format!("{} failed under callgrind", cmd[0]));
    }
    let t = totals(&out);
    let _ = std::fs::remove_dir_all(&dir);
    t
}

/// The `totals:` (or `summary:`) figure of a callgrind output file: instructions.
fn totals(path: &Path) -> Result<u64, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|l| {
            l.strip_prefix("totals:")
                .or_else(|| l.strip_prefix("summary:"))
        })
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| format!("no totals in {}", path.display()))
}

fn scratch_dir() -> Result<PathBuf, String> {
    let d = crate::peers::external::root()
        .join("target/bench-callgrind")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&d).map_err(|e| e.to_string())?;
    Ok(d)
}
