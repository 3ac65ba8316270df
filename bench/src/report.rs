//! The results table (`| benchmark | ours | peer | peer value | ratio |`), the
//! machine facts, and `BENCHMARKS.md`.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// Which way is better for a row's unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    /// Throughput-like: more is better, ratio = ours / peer.
    Higher,
    /// Cost-like (time, instructions, allocations, bytes): ratio = peer / ours.
    Lower,
}

/// One line of the table: one measure of ours against one peer or ceiling.
#[derive(Clone, Debug)]
pub struct Row {
    /// What is measured, with its unit.
    pub name: String,
    /// Our figure, or why there is none.
    pub ours: Result<f64, String>,
    /// The peer or ceiling.
    pub peer: String,
    /// The peer's figure, or why there is none (`unavailable: …`).
    pub peer_value: Result<f64, String>,
    /// Direction of the unit.
    pub better: Better,
}

impl Row {
    /// A row with both figures.
    pub fn new(name: &str, ours: f64, peer: &str, value: f64, better: Better) -> Row {
        Row::maybe(name, Ok(ours), peer, Ok(value), better)
    }

    /// A row where either side may be missing.
    pub fn maybe(
        name: &str,
        ours: Result<f64, String>,
        peer: &str,
        peer_value: Result<f64, String>,
        better: Better,
    ) -> Row {
        Row {
            name: name.to_string(),
            ours,
            peer: peer.to_string(),
            peer_value,
            better,
        }
    }

    /// Ratio > 1 means ours is better.
    pub fn ratio(&self) -> Option<f64> {
        let (Ok(o), Ok(p)) = (&self.ours, &self.peer_value) else {
            return None;
        };
        let (num, den) = match self.better {
            Better::Higher => (*o, *p),
            Better::Lower => (*p, *o),
        };
        if den == 0.0 {
            return Some(if num == 0.0 { 1.0 } else { f64::INFINITY });
        }
        Some(num / den)
    }

    /// The markdown line.
    pub fn markdown(&self) -> String {
        let cell = |v: &Result<f64, String>| match v {
            Ok(v) => fmt_value(*v),
            Err(e) => e.clone(),
        };
        let ratio = match self.ratio() {
            Some(r) if r.is_infinite() => "∞".to_string(),
            Some(r) => format!("{r:.2}"),
            None => "—".to_string(),
        };
        format!(
            "| {} | {} | {} | {} | {} |",
            self.name,
            cell(&self.ours),
            self.peer,
            cell(&self.peer_value),
            ratio
        )
    }
}

/// A figure with as many digits as it deserves, thousands grouped.
pub fn fmt_value(v: f64) -> String {
    if v >= 1000.0 {
        group(v.round() as u64)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else if v == v.trunc() {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Every row of a run, in order.
#[derive(Default)]
pub struct Report {
    /// The rows.
    pub rows: Vec<Row>,
}

impl Report {
    /// Adds a row and prints it at once (a long run shows progress).
    pub fn push(&mut self, row: Row) {
        println!("{}", row.markdown());
        self.rows.push(row);
    }

    /// The whole table.
    pub fn table(&self) -> String {
        let mut s = String::from("| benchmark | ours | peer | peer value | ratio |\n");
        s.push_str("| --- | ---: | --- | ---: | ---: |\n");
        for r in &self.rows {
            s.push_str(&r.markdown());
            s.push('\n');
        }
        s
    }
}

/// The first line of a command's output, or `unknown`.
fn first_line(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8(text).ok()
        })
        .and_then(|s| s.lines().next().map(str::trim).map(String::from))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".to_string())
}

/// Versions of the crates measured, read from the workspace's `Cargo.lock`.
fn crate_versions(root: &Path) -> String {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let mut out = vec![format!("smtp-engine {}", env!("CARGO_PKG_VERSION"))];
    let mut name = "";
    for line in lock.lines() {
        if let Some(n) = line.strip_prefix("name = ") {
            name = n.trim_matches('"');
        } else if let Some(v) = line.strip_prefix("version = ") {
            let v = v.trim_matches('"');
            let wanted = ["lettre", "mail-send", "tokio"].contains(&name)
                || (name == "smtp-proto" && v != env!("CARGO_PKG_VERSION"));
            if wanted {
                let shown = if name == "smtp-proto" {
                    "Stalwart smtp-proto"
                } else {
                    name
                };
                out.push(format!("{shown} {v}"));
            }
        }
    }
    out.join(", ")
}

/// The machine and tool facts a reader needs to weigh the figures.
pub fn machine(root: &Path, python: &str) -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let mut s = String::new();
    let _ = writeln!(
        s,
        "- machine: {} CPUs (`nproc`), {cpu}",
        first_line("nproc", &[])
    );
    let _ = writeln!(s, "- rustc: {}", first_line("rustc", &["--version"]));
    let _ = writeln!(s, "- crates: {}", crate_versions(root));
    let postfix = first_line("postconf", &["-d", "-h", "mail_version"]);
    let _ = writeln!(s, "- Postfix (smtp-sink, smtp-source): {postfix}");
    let _ = writeln!(s, "- valgrind: {}", first_line("valgrind", &["--version"]));
    let _ = writeln!(s, "- python: {}", first_line(python, &["--version"]));
    let _ = writeln!(
        s,
        "- date: {}",
        first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
    );
    s
}

const BEGIN: &str = "<!-- smtp-bench:begin (generated; edit outside these markers) -->";
const END: &str = "<!-- smtp-bench:end -->";

/// Writes the generated section of `BENCHMARKS.md`, keeping whatever was written
/// by hand around the markers.
pub fn write_markdown(
    path: &Path,
    command: &str,
    machine: &str,
    table: &str,
) -> std::io::Result<()> {
    let generated = format!(
        "{BEGIN}\n\n`{command}`\n\n{machine}\n{table}\n![msgs/s by message size](bench/msgs-by-size.svg)\n\n{END}"
    );
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let new = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if e > b => format!("{}{generated}{}", &old[..b], &old[e + END.len()..]),
        _ if old.is_empty() => format!("# Benchmarks\n\n{generated}\n"),
        _ => format!("{old}\n{generated}\n"),
    };
    std::fs::write(path, new)
}
