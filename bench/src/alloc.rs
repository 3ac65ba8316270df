//! The core's memory: heap allocations per 1-recipient transaction and per extra
//! recipient (smtp_proto::Client driven in memory against the bench's scripted
//! server session, steady state after warm-up, only the client's calls counted),
//! heap held by an idle core session and by an idle `smtp-io-std` connection, and
//! RSS per session for 10,000 idle core sessions in one process.

use std::io;
use std::time::Duration;

use bytes::Bytes;
use smtp_proto::{Client, Envelope, Event, ForwardPath, Instant, Recipient, ReversePath};

use crate::counting::{self, Snapshot};
use crate::micro::Op;
use crate::peers::{self, FROM};
use crate::report::{Better, Report, Row};
use crate::server::Session;

/// A core session wired to an in-memory server session.
pub struct Pair {
    client: Client,
    server: Session,
    /// What the client's calls allocated so far.
    pub counted: Snapshot,
    ready: bool,
}

impl Pair {
    /// Opens a session (greeting, EHLO) until the client is ready.
    pub fn open(chunking: bool) -> Pair {
        let config = peers::ours::config(chunking);
        let mut p = Pair {
            client: Client::new(Instant::ZERO, config),
            server: Session::new(),
            counted: Snapshot::default(),
            ready: false,
        };
        p.pump(&Bytes::new());
        assert!(p.ready, "session opened");
        p
    }

    fn count<T>(&mut self, f: impl FnOnce(&mut Client) -> T) -> T {
        let (d, out) = counting::measure(|| f(&mut self.client));
        self.counted.add(d);
        out
    }

    /// Moves bytes both ways and handles events until nothing moves; hands over
    /// `body` when asked. Returns the number of messages delivered.
    fn pump(&mut self, body: &Bytes) -> usize {
        let (mut delivered, mut given) = (0, 0usize);
        loop {
            let mut moved = false;
            while !self.client.transmit().is_empty() {
                let n = self.client.transmit().chunk().len();
                self.server.input(self.client.transmit().chunk());
                self.count(|c| c.transmitted(Instant::ZERO, n));
                moved = true;
            }
            while let Some(ev) = self.count(|c| c.poll_event()) {
                moved = true;
                match ev {
                    Event::Ready => self.ready = true,
                    Event::Delivered { .. } => delivered += 1,
                    Event::BodyWanted
                    | Event::RecipientAccepted { .. }
                    | Event::Capabilities(_)
                    | Event::Greeting { .. } => {}
                    other => panic!("unexpected event {other:?}"),
                }
            }
            while given < body.len() && self.client.body_capacity() > 0 {
                let rest = body.slice(given..);
                given += self.count(|c| c.body(Instant::ZERO, rest)).expect("body");
                if given == body.len() {
                    self.count(|c| c.end_body(Instant::ZERO)).expect("end_body");
                }
                moved = true;
            }
            if !self.server.out.is_empty() {
                let out = std::mem::take(&mut self.server.out);
                self.count(|c| c.receive(Instant::ZERO, &out));
                self.server.out = out;
                self.server.out.clear();
                moved = true;
            }
            if !moved {
                return delivered;
            }
        }
    }

    /// One transaction with a prebuilt envelope; panics unless it is delivered.
    pub fn transaction(&mut self, env: Envelope, body: &Bytes) {
        self.ready = false;
        self.count(|c| c.send(Instant::ZERO, env)).expect("send");
        assert_eq!(self.pump(body), 1, "delivered");
        assert!(self.ready);
    }
}

/// An envelope with `rcpts` recipients.
pub fn envelope(rcpts: usize) -> Envelope {
    let to: Vec<Recipient> = (0..rcpts)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("b{i}@example.net")).expect("to")))
        .collect();
    Envelope::new(ReversePath::parse(FROM).expect("from"), to)
}

/// Average allocations of one steady-state transaction with `rcpts` recipients.
pub fn per_transaction(chunking: bool, rcpts: usize) -> (f64, f64, f64) {
    let body = Bytes::from(peers::message(1024));
    let mut p = Pair::open(chunking);
    for _ in 0..5 {
        p.transaction(envelope(rcpts), &body);
    }
    const N: usize = 20;
    let envs: Vec<Envelope> = (0..N).map(|_| envelope(rcpts)).collect();
    p.counted = Snapshot::default();
    for e in envs {
        p.transaction(e, &body);
    }
    let c = p.counted;
    (
        c.allocs as f64 / N as f64,
        c.reallocs as f64 / N as f64,
        c.bytes as f64 / N as f64,
    )
}

/// A core session fed a greeting and an EHLO reply from static bytes, its output
/// discarded, its events drained: ready and idle, with nothing else alive.
fn idle_client() -> Client {
    let mut c = Client::new(Instant::ZERO, peers::ours::config(true));
    let replies: [&[u8]; 2] = [b"220 mx.example.net ESMTP\r\n", crate::parse::EHLO];
    for r in replies {
        c.receive(Instant::ZERO, r);
        while !c.transmit().is_empty() {
            let n = c.transmit().len();
            c.transmitted(Instant::ZERO, n);
        }
    }
    while let Some(ev) = c.poll_event() {
        drop(ev);
    }
    assert!(c.is_ready(), "idle session ready");
    c
}

/// Heap bytes an idle, ready core session holds (greeting and EHLO done; the
/// `Config`'s own host name counted too).
pub fn idle_core_heap() -> i64 {
    let before = counting::snapshot();
    let c = idle_client();
    let held = counting::snapshot().since(before).live;
    drop(c);
    held
}

/// An in-memory stream for the blocking driver: a greeting, then an EHLO reply
/// once EHLO was written. No heap of its own.
struct FakeStream {
    pending: &'static [u8],
    ehlo_sent: bool,
}

impl io::Read for FakeStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pending.is_empty() {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let n = buf.len().min(self.pending.len());
        buf[..n].copy_from_slice(&self.pending[..n]);
        self.pending = &self.pending[n..];
        Ok(n)
    }
}

impl io::Write for FakeStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if !self.ehlo_sent && buf.starts_with(b"EHLO") {
            self.ehlo_sent = true;
            self.pending = b"250-fake\r\n250-PIPELINING\r\n250-CHUNKING\r\n250 8BITMIME\r\n";
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl smtp_io_std::Stream for FakeStream {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_write_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_nonblocking(&mut self, _: bool) -> io::Result<()> {
        Ok(())
    }
}

/// Heap bytes an idle, open `smtp-io-std` connection holds (stream excluded).
pub fn idle_std_heap() -> Result<i64, String> {
    let stream = FakeStream {
        pending: b"220 fake ESMTP\r\n",
        ehlo_sent: false,
    };
    let options = smtp_io_std::Connection::options(peers::ours::config(true));
    let before = counting::snapshot();
    let c = options.open(stream).map_err(|e| e.to_string())?;
    let held = counting::snapshot().since(before).live - std::mem::size_of::<FakeStream>() as i64;
    drop(c);
    Ok(held)
}

/// Resident set size of this process in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    pages * unsafe { libc::sysconf(libc::_SC_PAGESIZE) } as u64
}

/// RSS and heap per session with `n` idle core sessions alive at once.
pub fn many_idle(n: usize) -> (f64, f64) {
    let mut sessions: Vec<Client> = Vec::with_capacity(n);
    let (r0, h0) = (rss(), counting::snapshot().live);
    sessions.extend((0..n).map(|_| idle_client()));
    let (r1, h1) = (rss(), counting::snapshot().live);
    assert!(sessions.iter().all(Client::is_ready));
    let inline = std::mem::size_of::<Client>() as f64;
    drop(sessions);
    // The Vec was reserved before `r0` but its pages are touched only now.
    let rss_per = r1.saturating_sub(r0) as f64 / n as f64;
    let heap_per = (h1 - h0) as f64 / n as f64 + inline;
    (rss_per, heap_per)
}

/// `many_idle` in a fresh process (`idle-rss N` subcommand), so memory freed by
/// earlier benchmarks cannot hide the growth.
fn many_idle_fresh(n: usize) -> Result<(f64, f64), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let out = std::process::Command::new(exe)
        .args(["idle-rss", &n.to_string()])
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut it = text.split_whitespace().map(|w| w.parse::<f64>());
    match (it.next(), it.next()) {
        (Some(Ok(r)), Some(Ok(h))) if out.status.success() => Ok((r, h)),
        _ => Err(format!(
            "idle-rss child failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )),
    }
}

/// The `idle-rss` subcommand: prints RSS and heap per session.
pub fn idle_rss_child(n: usize) {
    let (r, h) = many_idle(n);
    println!("{r} {h}");
}

/// The rows.
pub fn run(report: &mut Report, quick: bool) {
    for (chunking, what) in [(false, "DATA"), (true, "BDAT")] {
        let (a1, r1, b1) = per_transaction(chunking, 1);
        let (a11, r11, _) = per_transaction(chunking, 11);
        let name = format!("core allocations per 1-recipient transaction ({what}, allocs)");
        report.push(Row::new(&name, a1, "target (issue 11)", 4.0, Better::Lower));
        let name = format!("core reallocations per 1-recipient transaction ({what})");
        report.push(Row::new(&name, r1, "target (issue 11)", 0.0, Better::Lower));
        let name = format!("core heap bytes allocated per 1-recipient transaction ({what}, B)");
        report.push(Row::new(
            &name,
            b1,
            "issue 11 baseline",
            1157.0,
            Better::Lower,
        ));
        let name = format!("core allocations per extra recipient ({what}, allocs + reallocs)");
        report.push(Row::new(
            &name,
            (a11 + r11 - a1 - r1) / 10.0,
            "target (issue 11)",
            1.0,
            Better::Lower,
        ));
    }
    report.push(Row::new(
        "heap of an idle core session (B)",
        idle_core_heap() as f64,
        "target (issue 11)",
        1024.0,
        Better::Lower,
    ));
    let std_heap = idle_std_heap().map(|h| h as f64);
    report.push(Row::maybe(
        "heap of an idle smtp-io-std connection (B)",
        std_heap,
        "target (issue 11)",
        Ok(4096.0),
        Better::Lower,
    ));
    let n = if quick { 2_000 } else { 10_000 };
    let name =
        format!("RSS per idle core session, {n} sessions in one process (B, incl. size_of Client)");
    let r = many_idle_fresh(n);
    let heap = r.clone().map(|r| r.1);
    report.push(Row::maybe(
        &name,
        r.map(|r| r.0),
        "heap + size_of Client, same run",
        heap,
        Better::Lower,
    ));
}

fn core_tx_op(chunking: bool) -> Box<dyn FnMut()> {
    let body = Bytes::from(peers::message(1024));
    let mut p = Pair::open(chunking);
    let template = envelope(1);
    Box::new(move || p.transaction(template.clone(), &body))
}

/// Core ops for callgrind: one 1-recipient 1 KiB transaction per call (the envelope
/// clone included).
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            id: "core-tx-data",
            make: |_| core_tx_op(false),
        },
        Op {
            id: "core-tx-bdat",
            make: |_| core_tx_op(true),
        },
    ]
}
