//! Peers in other processes: Postfix `smtp-source` (one connection, `-d`, no
//! pipelining flag in 3.7) and Python's `smtplib` and `aiosmtplib` (the script
//! `bench/py/send.py`, under the virtualenv `target/bench-venv` when it exists).
//! Their CPU time is measured from outside (`getrusage(RUSAGE_CHILDREN)` around the
//! wait) or by the script itself (`time.process_time`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{children_cpu, Job, Run, FROM, TO};

/// Where Postfix puts it on Debian.
pub const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";

/// The workspace root (the bench crate's parent).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The bench's virtualenv (`python3 -m venv target/bench-venv`).
pub fn venv_python() -> PathBuf {
    root().join("target/bench-venv/bin/python")
}

/// The Python to use: the virtualenv's, else the system `python3`.
pub fn python() -> String {
    let v = venv_python();
    if v.exists() {
        v.display().to_string()
    } else {
        "python3".into()
    }
}

/// `smtp-source -d -s 1 -m N -l LEN`: one session, N messages.
pub fn smtp_source(job: &Job) -> Result<Run, String> {
    if !Path::new(SMTP_SOURCE).exists() {
        return Err("unavailable: smtp-source not installed (Debian postfix)".into());
    }
    let mut cmd = Command::new(SMTP_SOURCE);
    cmd.args([
        "-d",
        "-s",
        "1",
        "-m",
        &job.n.to_string(),
        "-l",
        &job.msg.len().to_string(),
    ])
    .args(["-M", "client.example", "-f", FROM, "-t", TO])
    .arg(job.addr.to_string());
    run_child(cmd).map(|(wall, cpu, _)| Run {
        wall,
        cpu: Some(cpu),
        allocs: None,
    })
}

/// Runs a child to completion; its wall time, CPU time and standard output.
fn run_child(mut cmd: Command) -> Result<(Duration, Duration, String), String> {
    let cpu0 = children_cpu();
    let t = Instant::now();
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("unavailable: {e}"))?;
    let wall = t.elapsed();
    let cpu = children_cpu().saturating_sub(cpu0);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        return Err(format!("failed: {}", err.lines().last().unwrap_or("")));
    }
    Ok((wall, cpu, String::from_utf8_lossy(&out.stdout).into_owned()))
}

fn python_run(kind: &str, job: &Job) -> Result<Run, String> {
    let path = root().join(format!("target/bench-msg-{}.eml", job.msg.len()));
    std::fs::write(&path, &*job.msg).map_err(|e| e.to_string())?;
    let mut cmd = Command::new(python());
    cmd.arg(root().join("bench/py/send.py"))
        .args([
            kind,
            &job.addr.ip().to_string(),
            &job.addr.port().to_string(),
        ])
        .arg(job.n.to_string())
        .arg(&path);
    let (_, _, out) = run_child(cmd).map_err(|e| {
        if e.contains("No module named") || e.contains("ModuleNotFound") {
            format!("unavailable: no {kind} in {}", python())
        } else {
            e
        }
    })?;
    let mut it = out.split_whitespace().map(|w| w.parse::<f64>());
    match (it.next(), it.next()) {
        (Some(Ok(w)), Some(Ok(c))) => Ok(Run {
            wall: Duration::from_secs_f64(w),
            cpu: Some(Duration::from_secs_f64(c)),
            allocs: None,
        }),
        _ => Err(format!("bad output {out:?}")),
    }
}

/// Python's standard `smtplib`.
pub fn smtplib(job: &Job) -> Result<Run, String> {
    python_run("smtplib", job)
}

/// `aiosmtplib` (needs the virtualenv).
pub fn aiosmtplib(job: &Job) -> Result<Run, String> {
    python_run("aiosmtplib", job)
}
