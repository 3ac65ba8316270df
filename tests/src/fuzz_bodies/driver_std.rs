//! The blocking driver (`smtp_io_std::Connection`) over an in-memory stream that
//! answers like a cooperative server most of the time and otherwise returns arbitrary
//! bytes, short reads and writes, `WouldBlock`, `TimedOut`, `Interrupted` and errors.
//! Every call on the stream spends one unit of a fixed budget; past it, reads see EOF
//! and writes fail, so a driver that loops forever shows up as a fuzzer timeout
//! instead of hanging, and one that keeps calling after EOF is caught by the budget
//! assertion. The driver must never panic and must end every request.

use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use smtp_io_std::{Connection, Stream};
use smtp_proto::{
    Auth, Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsFailure, TlsFailureKind,
    TlsInfo, TlsMode,
};

use crate::session_ops::Scripted;

/// Calls a whole session may make on the stream.
const BUDGET: usize = 4096;

/// The fuzz input as a script of stream behaviours, and the server it talks to.
pub(super) struct Hostile {
    input: Vec<u8>,
    pos: usize,
    calls: usize,
    /// Calls made after the budget ran out (a driver that ignores EOF).
    after_budget: usize,
    server: Scripted,
    /// Server bytes not yet read by the driver.
    pending: Vec<u8>,
    /// Set by the driver's non-blocking switch.
    nonblocking: bool,
}

impl Hostile {
    /// A stream whose behaviour is drawn from `input`, talking to a [`Scripted`]
    /// server.
    pub(super) fn new(input: &[u8]) -> Hostile {
        Hostile {
            input: input.to_vec(),
            pos: 0,
            calls: 0,
            after_budget: 0,
            server: Scripted::default(),
            pending: Vec::new(),
            nonblocking: false,
        }
    }

    fn next(&mut self) -> Option<u8> {
        self.calls += 1;
        if self.calls > BUDGET {
            self.after_budget += 1;
            assert!(self.after_budget < 64, "the driver keeps calling after EOF");
            return None;
        }
        let b = *self.input.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }
}

/// The stream handed to the driver: a shared handle, so the TLS upgrade can hand the
/// same stream back as the "TLS" one.
struct Handle(Arc<std::sync::Mutex<Hostile>>);

impl Hostile {
    /// One read: the byte drawn decides what it returns.
    pub(super) fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(b) = self.next() else {
            return Ok(0);
        };
        match b {
            0..=169 => {
                if self.pending.is_empty() {
                    if let Some(r) = self.server.answer(b) {
                        self.pending = r;
                    } else if self.nonblocking {
                        return Err(io::ErrorKind::WouldBlock.into());
                    } else {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
                // Short reads: a few bytes at a time, now and then.
                let cap = if b % 3 == 0 {
                    usize::from(b % 7) + 1
                } else {
                    buf.len()
                };
                let n = self.pending.len().min(buf.len()).min(cap);
                buf[..n].copy_from_slice(&self.pending[..n]);
                self.pending.drain(..n);
                Ok(n)
            }
            170..=189 => {
                let n = usize::from(b - 169).min(buf.len());
                let start = self.pos.min(self.input.len());
                let end = (start + n).min(self.input.len());
                buf[..end - start].copy_from_slice(&self.input[start..end]);
                self.pos = end;
                Ok(end - start)
            }
            190..=209 => Err(io::ErrorKind::WouldBlock.into()),
            210..=229 => Err(io::ErrorKind::TimedOut.into()),
            230..=239 => Err(io::ErrorKind::Interrupted.into()),
            240..=247 => Err(io::ErrorKind::ConnectionReset.into()),
            _ => Ok(0),
        }
    }

    /// One write: all of it, a short prefix, or an error.
    pub(super) fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let Some(b) = self.next() else {
            return Err(io::ErrorKind::BrokenPipe.into());
        };
        let n = match b {
            0..=179 => buf.len(),
            180..=209 => buf.len().min(usize::from(b - 179)),
            210..=219 => return Err(io::ErrorKind::WouldBlock.into()),
            220..=229 => return Err(io::ErrorKind::TimedOut.into()),
            230..=239 => return Err(io::ErrorKind::Interrupted.into()),
            240..=249 => return Err(io::ErrorKind::BrokenPipe.into()),
            _ => 0,
        };
        self.server.saw(&buf[..n]);
        Ok(n)
    }
}

impl Read for Handle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.lock().expect("not poisoned").read(buf)
    }
}

impl Write for Handle {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().expect("not poisoned").write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Stream for Handle {
    fn set_read_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_write_timeout(&mut self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
    fn set_nonblocking(&mut self, on: bool) -> io::Result<()> {
        self.0.lock().expect("not poisoned").nonblocking = on;
        Ok(())
    }
    fn take_tls_alert(&mut self) -> Option<u8> {
        None
    }
}

/// The session configuration `mode` picks (shared with `driver_tokio`).
pub(super) fn config(mode: u8) -> Config {
    let mut config = Config::new(Host::parse("client.example").expect("valid"));
    config.tls = match mode % 4 {
        0 => TlsMode::None,
        1 => TlsMode::Opportunistic,
        2 => TlsMode::RequiredStartTls,
        _ => TlsMode::Immediate,
    };
    config.lmtp = mode & 4 != 0;
    config.chunking = mode & 8 == 0;
    config.max_pending_body = 1024;
    config.max_bdat_chunk = 256;
    config.allow_plaintext_auth = true;
    config
}

/// The envelope and body `mode` picks.
pub(super) fn message(mode: u8) -> (Envelope, Vec<u8>) {
    let rcpts = (0..=(mode >> 6))
        .map(|i| Recipient::new(ForwardPath::parse(&format!("r{i}@example.net")).expect("valid")))
        .collect();
    let env = Envelope::new(ReversePath::parse("a@example.org").expect("valid"), rcpts);
    let body = b"Subject: x\r\n\r\n.line\r\nbare\nend\r".repeat(usize::from(mode % 50));
    (env, body)
}

/// Opens a session over the hostile stream and runs send, NOOP, RSET and QUIT.
pub fn driver_std(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let shared = Arc::new(std::sync::Mutex::new(Hostile::new(rest)));
    let config = config(mode);
    let mut options = Connection::options(config);
    if mode & 16 != 0 {
        let plain = smtp_proto::sasl::Plain::new(None, "u", "S3CR3TpW").expect("valid");
        options = options.auth(Auth::with(plain));
    }
    if mode & 32 != 0 {
        let tls_ok = Arc::new(AtomicBool::new(mode & 64 == 0));
        let handle = Arc::clone(&shared);
        options = options.tls_upgrade(Box::new(move |_plain| {
            if tls_ok.load(Ordering::Relaxed) {
                let s: Box<dyn Stream> = Box::new(Handle(Arc::clone(&handle)));
                Ok((s, TlsInfo::default()))
            } else {
                Err(TlsFailure {
                    kind: TlsFailureKind::Handshake,
                    detail: "refused".into(),
                })
            }
        }));
    }
    let Ok(mut conn) = options.open(Handle(Arc::clone(&shared))) else {
        return;
    };
    assert!(!format!("{conn:?}").contains("S3CR3TpW"));
    let (env, body) = message(mode);
    if let Ok(d) = conn.send(env, &mut &body[..]) {
        let _ = d.all_accepted();
    }
    let _ = conn.noop();
    let _ = conn.reset();
    let _ = conn.quit();
}
