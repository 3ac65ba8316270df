//! The servers the loopback benchmarks talk to, all on 127.0.0.1 and all stopped by
//! the bench: Postfix `smtp-sink` (a child process, killed by its pid on drop, also
//! when a benchmark panics) and the bench's own CHUNKING sink (threads in this
//! process). Both count the messages they accepted, so a run can check its work.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::server::Session;

/// A server the clients can be pointed at.
pub trait Sink {
    /// Where it listens.
    fn addr(&self) -> SocketAddr;
    /// Messages accepted so far (the server's own count).
    fn accepted(&self) -> u64;
    /// Short name for the table.
    fn name(&self) -> &'static str;
}

/// A free port on 127.0.0.1 (bound, then released for the server to take).
pub fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Waits until `addr` accepts connections.
fn wait_listening(addr: SocketAddr, limit: Duration) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Postfix `smtp-sink` as a child process (PIPELINING, no CHUNKING), with `-c` so
/// its running message counter can be read from its output.
pub struct SmtpSink {
    child: Child,
    addr: SocketAddr,
    count: Arc<AtomicU64>,
    reader: Option<JoinHandle<()>>,
}

/// Where Postfix puts it on Debian.
pub const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

impl SmtpSink {
    /// Starts it on a free port; `Err` says why it is unavailable.
    pub fn start() -> Result<SmtpSink, String> {
        if !std::path::Path::new(SMTP_SINK).exists() {
            return Err("unavailable: smtp-sink not installed (Debian postfix)".into());
        }
        let port = free_port().map_err(|e| e.to_string())?;
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let mut cmd = Command::new(SMTP_SINK);
        if is_root() {
            cmd.args(["-u", "nobody"]);
        }
        let mut child = cmd
            .args(["-c", &format!("127.0.0.1:{port}"), "1000"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| format!("unavailable: smtp-sink: {e}"))?;
        let count = Arc::new(AtomicU64::new(0));
        let out = child.stdout.take().expect("piped");
        let c = count.clone();
        let reader = std::thread::spawn(move || read_counter(out, &c));
        let sink = SmtpSink {
            child,
            addr,
            count,
            reader: Some(reader),
        };
        if !wait_listening(addr, Duration::from_secs(3)) {
            return Err("unavailable: smtp-sink did not start listening".into());
        }
        Ok(sink)
    }
}

/// Follows smtp-sink's `-c` output (`sess=N quit=N mesg=N`, one update per `\r`).
fn read_counter(out: impl Read, count: &AtomicU64) {
    let mut r = BufReader::new(out);
    let mut buf = Vec::new();
    while matches!(r.read_until(b'\r', &mut buf), Ok(n) if n > 0) {
        let text = String::from_utf8_lossy(&buf);
        if let Some(n) = text
            .rsplit("mesg=")
            .next()
            .and_then(|t| t.trim().parse().ok())
        {
            count.store(n, Ordering::SeqCst);
        }
        buf.clear();
    }
}

impl Sink for SmtpSink {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn accepted(&self) -> u64 {
        self.count.load(Ordering::SeqCst)
    }
    fn name(&self) -> &'static str {
        "smtp-sink"
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill(); // by its pid
        let _ = self.child.wait();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
    }
}

/// The bench's own sink: a thread per connection over [`Session`], advertising
/// CHUNKING, PIPELINING, 8BITMIME and SIZE.
pub struct BenchSink {
    addr: SocketAddr,
    accepted: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl BenchSink {
    /// Starts it on a free port.
    pub fn start() -> std::io::Result<BenchSink> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let accepted = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (a, s) = (accepted.clone(), stop.clone());
        let acceptor = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(conn) = conn {
                    let a = a.clone();
                    std::thread::spawn(move || serve(conn, &a));
                }
            }
        });
        Ok(BenchSink {
            addr,
            accepted,
            stop,
            acceptor: Some(acceptor),
        })
    }
}

/// Runs one connection: read, answer everything the read completed, write once.
fn serve(mut conn: TcpStream, accepted: &AtomicU64) {
    let _ = conn.set_nodelay(true);
    let _ = conn.set_read_timeout(Some(Duration::from_secs(30)));
    let mut s = Session::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        if !s.out.is_empty() {
            if conn.write_all(&s.out).is_err() {
                return;
            }
            s.out.clear();
        }
        if s.quit {
            return;
        }
        let before = s.accepted;
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => s.input(&buf[..n]),
        }
        accepted.fetch_add(s.accepted - before, Ordering::SeqCst);
    }
}

impl Sink for BenchSink {
    fn addr(&self) -> SocketAddr {
        self.addr
    }
    fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::SeqCst)
    }
    fn name(&self) -> &'static str {
        "bench sink (CHUNKING)"
    }
}

impl Drop for BenchSink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1)); // wakes accept
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}
