//! The clients of the loopback benchmarks: ours (both drivers), the peers (lettre
//! sync and async, mail-send, Postfix `smtp-source`, Python `smtplib` and
//! `aiosmtplib`) and the bare raw-socket loops (the ceiling). Each sends `n` copies
//! of one message over one connection and reports its wall time and CPU time.

pub mod bare;
pub mod external;
pub mod lettre;
pub mod mail_send;
pub mod ours;

use std::net::SocketAddr;
use std::time::Duration;

/// What one client run is asked to do.
#[derive(Clone, Debug)]
pub struct Job {
    /// The server.
    pub addr: SocketAddr,
    /// Messages to send over the one connection.
    pub n: usize,
    /// The whole message (headers and body, CRLF lines).
    pub msg: std::sync::Arc<Vec<u8>>,
    /// Use CHUNKING where the client can (ours, bare BDAT loop).
    pub chunking: bool,
}

/// What a run measured.
#[derive(Clone, Copy, Debug)]
pub struct Run {
    /// Wall time of the run (connection setup included; negligible for large `n`).
    pub wall: Duration,
    /// CPU time (user + system) the client spent, when it could be measured.
    pub cpu: Option<Duration>,
    /// Heap activity of the client thread (in-process clients only).
    pub allocs: Option<crate::counting::Snapshot>,
}

/// A client: a name for the table and its run function. `Err` says why it could
/// not run (`unavailable: …`) or what went wrong.
#[derive(Clone, Copy)]
pub struct Client {
    /// The name in the table and the plot.
    pub name: &'static str,
    /// Runs one job.
    pub run: fn(&Job) -> Result<Run, String>,
    /// Whether this is our code (the "ours" side of a row).
    pub ours: bool,
}

/// The sender and recipient every client uses.
pub const FROM: &str = "a@example.org";
/// See [`FROM`].
pub const TO: &str = "b@example.net";

/// A message of exactly `size` bytes: a few headers, then 76-byte CRLF lines.
pub fn message(size: usize) -> Vec<u8> {
    let mut m = format!("From: <{FROM}>\r\nTo: <{TO}>\r\nSubject: bench\r\n\r\n").into_bytes();
    let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod te\r\n";
    while m.len() + line.len() <= size {
        m.extend_from_slice(line);
    }
    let pad = size - m.len();
    if pad >= 2 {
        m.extend(std::iter::repeat_n(b'x', pad - 2));
        m.extend_from_slice(b"\r\n");
    }
    m.resize(size, b'\n');
    m
}

/// CPU time of the calling thread (user + system).
pub fn thread_cpu() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer; CLOCK_THREAD_CPUTIME_ID always exists on Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// CPU time (user + system) of all waited-for children of this process.
pub fn children_cpu() -> Duration {
    // SAFETY: zeroed rusage is a valid out-value; RUSAGE_CHILDREN is always valid.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut ru) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

/// Runs an in-process client body on this thread, timing wall and thread CPU.
pub fn timed(body: impl FnOnce() -> Result<(), String>) -> Result<Run, String> {
    let (t, c) = (std::time::Instant::now(), thread_cpu());
    let (allocs, r) = crate::counting::measure(body);
    r?;
    Ok(Run {
        wall: t.elapsed(),
        cpu: Some(thread_cpu() - c),
        allocs: Some(allocs),
    })
}

/// A current-thread tokio runtime (everything runs on the calling thread, so the
/// thread's CPU time is the client's).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Every client, ours first.
pub fn clients() -> Vec<Client> {
    vec![
        Client {
            name: "smtp-engine smtp-io-std",
            run: ours::std_driver,
            ours: true,
        },
        Client {
            name: "smtp-engine smtp-io-tokio",
            run: ours::tokio_driver,
            ours: true,
        },
        Client {
            name: "bare pipelining loop",
            run: bare::pipelining,
            ours: false,
        },
        Client {
            name: "bare BDAT loop",
            run: bare::bdat,
            ours: false,
        },
        Client {
            name: "lettre 0.11 SmtpTransport",
            run: lettre::sync,
            ours: false,
        },
        Client {
            name: "lettre 0.11 AsyncSmtpTransport",
            run: lettre::async_tokio,
            ours: false,
        },
        Client {
            name: "mail-send 0.7",
            run: mail_send::send,
            ours: false,
        },
        Client {
            name: "Postfix smtp-source",
            run: external::smtp_source,
            ours: false,
        },
        Client {
            name: "Python smtplib",
            run: external::smtplib,
            ours: false,
        },
        Client {
            name: "Python aiosmtplib",
            run: external::aiosmtplib,
            ours: false,
        },
    ]
}

/// A client by name.
pub fn client(name: &str) -> Client {
    *clients()
        .iter()
        .find(|c| c.name == name)
        .expect("known client")
}
