//! Loopback throughput: every client sends `n` messages of 1, 10 and 100 KiB over
//! one connection to Postfix `smtp-sink` (DATA with PIPELINING) and to the bench's
//! CHUNKING sink, best of the rounds, the client order rotated each round. Each run
//! is checked against the server's own count of accepted messages. Reports msgs/s
//! and the client's CPU time and heap allocations per message (a probe run of 10
//! messages sizes each run to the time budget and is differenced out of the costs).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::micro::Op;
use crate::peers::{self, Client, Job, Run};
use crate::report::{Better, Report, Row};
use crate::sinks::Sink;
use crate::timing::Effort;

/// Message sizes of the runs and of the plot.
pub const SIZES: [usize; 3] = [1024, 10 * 1024, 100 * 1024];

/// One measured (client, server, size).
#[derive(Clone, Debug)]
pub struct Point {
    /// The client's label (its name, plus ` (BDAT)` with CHUNKING).
    pub client: String,
    /// The server's name.
    pub server: &'static str,
    /// Message size in bytes.
    pub size: usize,
    /// Messages per second, or why not.
    pub rate: Result<f64, String>,
    /// Client CPU µs per message, when measured.
    pub cpu_us: Option<f64>,
    /// Client heap allocations + reallocations per message, when counted.
    pub allocs: Option<f64>,
    /// Client heap bytes allocated per message, when counted.
    pub alloc_bytes: Option<f64>,
}

/// Messages per run for a size, before scaling.
fn base_count(size: usize) -> usize {
    match size {
        s if s <= 1024 => 40_000,
        s if s <= 10 * 1024 => 20_000,
        _ => 4_000,
    }
}

/// Messages of the probe run that sizes each real run.
const PROBE: usize = 10;

/// Messages for a run: what fills the effort's time budget at the probed rate,
/// within 40 (quick: 20) and the size's (scaled) base count. A client that stalls (Nagle
/// against delayed ACKs: 40 ms per message) so still gets a bounded run.
fn sized(effort: &Effort, size: usize, rate: f64) -> usize {
    let max = effort.count(base_count(size), 20);
    let min = effort.count(40, 20);
    ((rate * effort.run_time.as_secs_f64()) as usize).clamp(min, max.max(min))
}

/// The label of a client in a run.
pub fn label(c: &Client, chunking: bool) -> String {
    if chunking && c.ours {
        format!("{} (BDAT)", c.name)
    } else {
        c.name.to_string()
    }
}

/// Runs one job and checks that the server accepted exactly `n` more messages.
pub fn checked(c: &Client, job: &Job, sink: &dyn Sink) -> Result<Run, String> {
    let before = sink.accepted();
    let run = (c.run)(job)?;
    let want = before + job.n as u64;
    let deadline = Instant::now() + Duration::from_secs(3);
    while sink.accepted() < want && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    match sink.accepted() {
        got if got == want => Ok(run),
        got => Err(format!("server accepted {} of {}", got - before, job.n)),
    }
}

/// The clients run against one server: (client, uses CHUNKING).
pub type Lineup = Vec<(Client, bool)>;

/// Best of `effort.rounds` rounds for each client of `lineup` at each size.
pub fn matrix(effort: &Effort, sink: &dyn Sink, lineup: &Lineup) -> Vec<Point> {
    let mut best: BTreeMap<(usize, usize), Result<Counted, String>> = BTreeMap::new();
    for round in 0..effort.rounds {
        for &size in &SIZES {
            let msg = Arc::new(peers::message(size));
            for k in 0..lineup.len() {
                let i = (k + round) % lineup.len();
                let (c, chunking) = lineup[i];
                let mut job = Job {
                    addr: sink.addr(),
                    n: PROBE,
                    msg: msg.clone(),
                    chunking,
                };
                let r = checked(&c, &job, sink).and_then(|probe| {
                    job.n = sized(effort, size, PROBE as f64 / probe.wall.as_secs_f64());
                    checked(&c, &job, sink).map(|run| Counted {
                        run,
                        n: job.n,
                        probe,
                    })
                });
                let slot = best
                    .entry((i, size))
                    .or_insert_with(|| Err("not run".into()));
                keep_best(slot, r);
            }
        }
    }
    best.into_iter()
        .map(|((i, size), r)| {
            let (c, chunking) = lineup[i];
            Point {
                client: label(&c, chunking),
                server: sink.name(),
                size,
                rate: r
                    .as_ref()
                    .map(|r| r.n as f64 / r.run.wall.as_secs_f64())
                    .map_err(Clone::clone),
                cpu_us: r
                    .as_ref()
                    .ok()
                    .and_then(|r| r.per_msg(|x| Some(x.cpu?.as_secs_f64() * 1e6))),
                allocs: r
                    .as_ref()
                    .ok()
                    .and_then(|r| r.per_msg(|x| x.allocs.map(|a| (a.allocs + a.reallocs) as f64))),
                alloc_bytes: r
                    .as_ref()
                    .ok()
                    .and_then(|r| r.per_msg(|x| x.allocs.map(|a| a.bytes as f64))),
            }
        })
        .collect()
}

/// A run with its message count, and the probe run of the same round.
#[derive(Clone, Copy)]
struct Counted {
    run: Run,
    n: usize,
    probe: Run,
}

impl Counted {
    /// A cost per message with connection setup and QUIT differenced out:
    /// (cost of the run - cost of the probe) / (n - probe messages).
    fn per_msg(&self, cost: impl Fn(&Run) -> Option<f64>) -> Option<f64> {
        Some((cost(&self.run)? - cost(&self.probe)?) / (self.n - PROBE) as f64)
    }
}

fn keep_best(slot: &mut Result<Counted, String>, r: Result<Counted, String>) {
    match (r, &*slot) {
        (Ok(c), Ok(old))
            if c.run.wall.as_secs_f64() / c.n as f64
                >= old.run.wall.as_secs_f64() / old.n as f64 => {}
        (Ok(c), _) => *slot = Ok(c),
        (Err(e), Err(_)) => *slot = Err(e),
        (Err(_), Ok(_)) => {}
    }
}

fn find<'a>(points: &'a [Point], client: &str, server: &str, size: usize) -> Option<&'a Point> {
    points
        .iter()
        .find(|p| p.client == client && p.server == server && p.size == size)
}

fn size_name(size: usize) -> String {
    format!("{} KiB", size / 1024)
}

/// Rows comparing `ours` with each of `peers` on one server at each size.
pub fn rate_rows(
    report: &mut Report,
    points: &[Point],
    server: &str,
    what: &str,
    ours: &str,
    peers: &[String],
) {
    for &size in &SIZES {
        let Some(o) = find(points, ours, server, size) else {
            continue;
        };
        // Which of our drivers, by its crate name (`smtp-engine smtp-io-std (BDAT)`
        // is shown as `smtp-io-std`).
        let driver = ours
            .split(' ')
            .find(|w| w.starts_with("smtp-io-"))
            .unwrap_or(ours);
        let name = format!(
            "msgs/s, {} msgs, one connection, {what}, {driver}",
            size_name(size)
        );
        for p in peers {
            let Some(pv) = find(points, p, server, size) else {
                continue;
            };
            report.push(Row::maybe(
                &name,
                o.rate.clone(),
                p,
                pv.rate.clone(),
                Better::Higher,
            ));
        }
    }
}

/// Which per-message figure of a point a row shows.
#[derive(Clone, Copy)]
pub enum PerMsg {
    /// Client CPU µs.
    Cpu,
    /// Heap allocations + reallocations.
    Allocs,
    /// Heap bytes allocated.
    Bytes,
}

impl PerMsg {
    fn get(self, p: &Point) -> Result<f64, String> {
        let v = match self {
            PerMsg::Cpu => p.cpu_us,
            PerMsg::Allocs => p.allocs,
            PerMsg::Bytes => p.alloc_bytes,
        };
        match (&p.rate, v) {
            (Ok(_), Some(c)) => Ok(c),
            (Err(e), _) => Err(e.clone()),
            (Ok(_), None) => Err("not measured (other process)".to_string()),
        }
    }
}

/// Rows of a per-message cost at 1 KiB, ours against each peer.
pub fn per_msg_rows(
    report: &mut Report,
    points: &[Point],
    server: &str,
    name: &str,
    what: PerMsg,
    ours: &str,
    peers: &[String],
) {
    let size = SIZES[0];
    let Some(o) = find(points, ours, server, size) else {
        return;
    };
    for p in peers {
        let Some(pv) = find(points, p, server, size) else {
            continue;
        };
        report.push(Row::maybe(
            name,
            what.get(o),
            p,
            what.get(pv),
            Better::Lower,
        ));
    }
}

/// The address a callgrind child's network ops use (set by the parent).
fn env_addr(var: &str) -> SocketAddr {
    std::env::var(var)
        .ok()
        .and_then(|a| a.parse().ok())
        .expect("sink address in the environment")
}

/// Env var with the smtp-sink address for the callgrind child.
pub const ENV_DATA_SINK: &str = "SMTP_BENCH_DATA_SINK";
/// Env var with the CHUNKING sink address for the callgrind child.
pub const ENV_CHUNK_SINK: &str = "SMTP_BENCH_CHUNK_SINK";

fn job_1k(var: &str, chunking: bool) -> Job {
    Job {
        addr: env_addr(var),
        n: 1,
        msg: Arc::new(peers::message(1024)),
        chunking,
    }
}

fn ours_std_op(var: &'static str, chunking: bool) -> Box<dyn FnMut()> {
    let job = job_1k(var, chunking);
    let mut c = smtp_io_std::Connection::options(peers::ours::config(chunking))
        .connect(job.addr, Duration::from_secs(5))
        .expect("connect");
    Box::new(move || {
        let d = c
            .send(peers::ours::envelope(), &mut &job.msg[..])
            .expect("send");
        assert!(d.all_accepted());
    })
}

fn ours_tokio_op(var: &'static str, chunking: bool) -> Box<dyn FnMut()> {
    let job = job_1k(var, chunking);
    let rt = peers::runtime();
    let mut c = rt
        .block_on(
            smtp_io_tokio::Connection::options(peers::ours::config(chunking))
                .connect(job.addr, Duration::from_secs(5)),
        )
        .expect("connect");
    Box::new(move || {
        let d = rt
            .block_on(c.send(peers::ours::envelope(), &job.msg[..]))
            .expect("send");
        assert!(d.all_accepted());
    })
}

fn bare_op(var: &'static str, bdat: bool) -> Box<dyn FnMut()> {
    let mut b = peers::bare::Bare::open(&job_1k(var, bdat), bdat).expect("connect");
    Box::new(move || b.one().expect("bare send"))
}

/// Network ops for callgrind: one 1 KiB message per call over an open connection.
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            id: "net-ours-std-data-1k",
            make: |_| ours_std_op(ENV_DATA_SINK, false),
        },
        Op {
            id: "net-bare-pipelining-1k",
            make: |_| bare_op(ENV_DATA_SINK, false),
        },
        Op {
            id: "net-ours-std-bdat-1k",
            make: |_| ours_std_op(ENV_CHUNK_SINK, true),
        },
        Op {
            id: "net-ours-tokio-data-1k",
            make: |_| ours_tokio_op(ENV_DATA_SINK, false),
        },
        Op {
            id: "net-ours-tokio-bdat-1k",
            make: |_| ours_tokio_op(ENV_CHUNK_SINK, true),
        },
        Op {
            id: "net-bare-bdat-1k",
            make: |_| bare_op(ENV_CHUNK_SINK, true),
        },
    ]
}
