//! The driver against scripted servers on real sockets: every bug found against
//! Postfix, Exim and Dovecot has a server here that reproduces it.

mod peer;

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use smtp_io_std::{Connection, DriverError};
use smtp_proto::{
    Config, Envelope, ErrorKind, ForwardPath, Host, Recipient, ReversePath, TlsMode, Trace,
};

const T: Duration = Duration::from_secs(10);

fn config() -> Config {
    let mut c = Config::new(Host::parse("client.example").unwrap());
    c.tls = TlsMode::None;
    c
}

fn envelope(to: &[&str]) -> Envelope {
    let rcpts = to
        .iter()
        .map(|t| Recipient::new(ForwardPath::parse(t).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("a@example.org").unwrap(), rcpts)
}

/// A body of `len` bytes of text lines, produced as it is read.
struct Lines {
    left: usize,
}

impl Read for Lines {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.left);
        for (i, b) in buf[..n].iter_mut().enumerate() {
            *b = if (self.left - i) % 80 == 1 {
                b'\n'
            } else {
                b'x'
            };
        }
        self.left -= n;
        Ok(n)
    }
}

#[test]
fn opens_sends_dot_stuffed_and_quits() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING"]);
        p.accept_flight();
        let mut lines = vec![];
        while let Some(l) = p.line() {
            if l == "." {
                break;
            }
            lines.push(l);
        }
        p.send("250 queued\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
        lines
    });
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    let d = c
        .send(envelope(&["b@example.net"]), &mut &b"hello\r\n.dot\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    assert_eq!(server.join().unwrap(), ["hello", "..dot"]);
}

#[test]
fn send_bytes_sends_an_in_memory_message_larger_than_the_engine_takes_at_once() {
    // 400 KiB: more than `max_pending_body` (256 KiB), so the engine takes it in parts.
    let line = b"0123456789012345678901234567890123456789012345678901234567890123456789\r\n";
    let mut body = b".leading dot\r\n".to_vec();
    while body.len() < 400 * 1024 {
        body.extend_from_slice(line);
    }
    let expected_lines = body.windows(2).filter(|w| w == b"\r\n").count();
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING"]);
        p.accept_flight();
        let mut lines = vec![];
        while let Some(l) = p.line() {
            if l == "." {
                break;
            }
            lines.push(l);
        }
        p.send("250 queued\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
        lines
    });
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    let d = c.send_bytes(envelope(&["b@example.net"]), body).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    let lines = server.join().unwrap();
    assert_eq!(lines.len(), expected_lines);
    assert_eq!(lines[0], "..leading dot");
    assert!(lines[1..]
        .iter()
        .all(|l| l.as_bytes() == &line[..line.len() - 2]));
}

#[test]
fn a_late_503_is_consumed_before_send_returns() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING"]);
        p.expect("MAIL");
        p.expect("RCPT");
        p.expect("DATA");
        p.send("250 ok\r\n550 5.1.1 no such user\r\n");
        std::thread::sleep(Duration::from_millis(300));
        p.send("503 5.5.1 no valid recipients\r\n");
        p.expect("NOOP");
        p.send("250 still here\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    let d = c
        .send(envelope(&["b@example.net"]), &mut &b"x\r\n"[..])
        .unwrap();
    assert_eq!(d.result.as_ref().unwrap_err().code(), Some(550));
    assert_eq!(d.recipients.len(), 1);
    assert!(c.client().is_ready(), "ready again before send returned");
    assert_eq!(c.noop().unwrap().code, 250);
    c.quit().unwrap();
    server.join().unwrap();
}

#[test]
fn a_bdat_chunk_refused_mid_body_stops_the_body() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING", "CHUNKING"]);
        p.expect("MAIL");
        p.expect("RCPT");
        p.send("250 ok\r\n250 ok\r\n");
        let mut received = 0;
        let mut chunks = 0;
        while let Some(l) = p.line() {
            if l == "RSET" {
                p.send("250 reset\r\n");
                break;
            }
            let size: usize = l.split(' ').nth(1).unwrap().parse().unwrap();
            if !p.skip(size) {
                break;
            }
            received += size;
            chunks += 1;
            // The third chunk is too much; the ones already on the way are discarded.
            let reply = match chunks {
                1 | 2 => "250 2.0.0 chunk ok\r\n",
                3 => "552 5.3.4 Chunk exceeds message size limit\r\n",
                _ => "551 5.7.0 Discarded\r\n",
            };
            p.send(reply);
        }
        p.expect("QUIT");
        p.send("221 bye\r\n");
        received
    });
    let mut cfg = config();
    cfg.max_bdat_chunk = 64 * 1024;
    let mut c = Connection::options(cfg).connect(addr, T).unwrap();
    let d = c
        .send(envelope(&["b@example.net"]), &mut Lines { left: 20 << 20 })
        .unwrap();
    assert_eq!(d.result.as_ref().unwrap_err().code(), Some(552), "{d:?}");
    assert!(c.client().is_ready());
    // The next request works: the lazy RSET goes first.
    assert_eq!(c.reset().unwrap().code, 250);
    c.quit().unwrap();
    let received = server.join().unwrap();
    assert!(
        received < 4 << 20,
        "{received} body bytes sent after the refusal"
    );
}

#[test]
fn a_server_that_stops_reading_times_out_instead_of_hanging() {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let (addr, _server) = peer::serve(move |p| {
        p.open(&["PIPELINING"]);
        p.accept_flight();
        // Read nothing more until the test is over.
        while !stop2.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
    });
    let mut cfg = config();
    cfg.timeouts.data_block = Duration::from_millis(500);
    let mut c = Connection::options(cfg).connect(addr, T).unwrap();
    let started = Instant::now();
    let d = c
        .send(envelope(&["b@example.net"]), &mut Lines { left: 50 << 20 })
        .unwrap();
    stop.store(true, Ordering::SeqCst);
    assert_eq!(
        d.result.as_ref().unwrap_err().kind,
        ErrorKind::Timeout,
        "{d:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    assert!(c.client().is_closed());
    assert!(matches!(c.noop(), Err(DriverError::Closed)));
}

#[test]
fn a_421_mid_data_is_heard_before_the_whole_body_goes() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING"]);
        p.accept_flight();
        let mut total = 0;
        let mut said = false;
        while let Some(l) = p.line() {
            total += l.len() + 2;
            if total > 1 << 20 && !said {
                p.send("421 4.3.2 shutting down\r\n");
                said = true;
            }
        }
        total
    });
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    let d = c
        .send(envelope(&["b@example.net"]), &mut Lines { left: 50 << 20 })
        .unwrap();
    assert_eq!(d.result.as_ref().unwrap_err().code(), Some(421), "{d:?}");
    assert_eq!(d.recipients.len(), 1);
    drop(c);
    let total = server.join().unwrap();
    assert!(total < 8 << 20, "{total} bytes went out after the 421");
}

#[test]
fn open_fails_when_the_session_closes_in_the_read_that_made_it_ready() {
    let (addr, _server) = peer::serve(|p| {
        p.send("220 mx.test ESMTP\r\n");
        p.expect("EHLO");
        p.send("250 mx.test\r\n421 4.3.2 going away\r\n");
    });
    match Connection::options(config()).connect(addr, T) {
        Err(DriverError::Session(e)) => assert_eq!(e.code(), Some(421)),
        other => panic!("open on a dead session: {other:?}"),
    }
}

#[test]
fn starttls_injection_is_reported_and_no_handshake_runs() {
    let (addr, _server) = peer::serve(|p| {
        p.open(&["STARTTLS"]);
        p.expect("STARTTLS");
        p.send("220 go ahead\r\n250-mx.test\r\n250 AUTH PLAIN\r\n");
        let _ = p.line();
    });
    let ran = Arc::new(AtomicBool::new(false));
    let ran2 = ran.clone();
    let mut cfg = config();
    cfg.tls = TlsMode::Opportunistic;
    let result = Connection::options(cfg)
        .tls_upgrade(Box::new(move |s| {
            ran2.store(true, Ordering::SeqCst);
            Ok((s, smtp_proto::TlsInfo::default()))
        }))
        .connect(addr, T);
    match result {
        Err(DriverError::Session(e)) => assert_eq!(e.kind, ErrorKind::Injection),
        other => panic!("{other:?}"),
    }
    assert!(
        !ran.load(Ordering::SeqCst),
        "a handshake ran on an attacked stream"
    );
}

#[test]
fn offered_starttls_without_an_upgrade_says_so() {
    let (addr, _server) = peer::serve(|p| {
        p.open(&["STARTTLS"]);
        p.expect("STARTTLS");
        p.send("220 go ahead\r\n");
        let _ = p.line();
    });
    let mut cfg = config();
    cfg.tls = TlsMode::Opportunistic;
    let err = Connection::options(cfg).connect(addr, T).unwrap_err();
    assert!(matches!(err, DriverError::NoTlsUpgrade), "{err:?}");
    assert!(!err.to_string().contains("required"), "{err}");
}

#[test]
fn traces_reach_the_hook_with_secrets_redacted() {
    let (addr, _server) = peer::serve(|p| {
        p.open(&["AUTH PLAIN"]);
        p.expect("AUTH PLAIN");
        p.send("235 ok\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let mut cfg = config();
    cfg.allow_plaintext_auth = true;
    let c = Connection::options(cfg)
        .auth(smtp_proto::Auth::with(
            smtp_proto::sasl::Plain::new(None, "u", "hunter2").unwrap(),
        ))
        .on_trace(move |t: &Trace| seen2.lock().unwrap().push(format!("{t:?}")))
        .connect(addr, T)
        .unwrap();
    c.quit().unwrap();
    let seen = seen.lock().unwrap().join("\n");
    assert!(
        seen.contains("EHLO client.example") && seen.contains("AUTH PLAIN <redacted>"),
        "{seen}"
    );
    assert!(
        !seen.contains("hunter2") && !seen.contains("AHUAaHVudGVyMg"),
        "{seen}"
    );
}

/// A CHUNKING server that answers every BDAT chunk and returns their sizes.
fn bdat_sizes_server() -> (std::net::SocketAddr, std::thread::JoinHandle<Vec<usize>>) {
    peer::serve(|p| {
        p.open(&["PIPELINING", "CHUNKING"]);
        p.expect("MAIL");
        p.expect("RCPT");
        p.send("250 ok\r\n250 ok\r\n");
        let mut sizes = vec![];
        loop {
            let l = p.expect("BDAT");
            let size: usize = l.split(' ').nth(1).unwrap().parse().unwrap();
            p.skip(size);
            sizes.push(size);
            p.send("250 ok\r\n");
            if l.ends_with("LAST") {
                break;
            }
        }
        p.expect("QUIT");
        p.send("221 bye\r\n");
        sizes
    })
}

/// Hands out at most `step` bytes a read, `len` in all, the last one an LF.
struct Trickle {
    len: usize,
    step: usize,
}
impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = buf.len().min(self.step).min(self.len);
        buf[..n].fill(b'a');
        if n > 0 && n == self.len {
            buf[n - 1] = b'\n';
        }
        self.len -= n;
        Ok(n)
    }
}

#[test]
fn a_body_that_fits_one_chunk_is_one_bdat_last_whatever_the_reads() {
    let (addr, server) = bdat_sizes_server();
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    let body = Trickle {
        len: 100 * 1024,
        step: 64 * 1024,
    };
    let d = c.send(envelope(&["b@example.net"]), &mut { body }).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    // The bare LF at the end became CRLF.
    assert_eq!(server.join().unwrap(), vec![100 * 1024 + 1]);
}

#[test]
fn bdat_chunks_follow_the_engine_not_the_reads() {
    let (addr, server) = bdat_sizes_server();
    let mut cfg = config();
    cfg.max_bdat_chunk = 1000;
    let mut c = Connection::options(cfg).connect(addr, T).unwrap();
    let d = c
        .send(
            envelope(&["b@example.net"]),
            &mut Trickle {
                len: 5000,
                step: 100,
            },
        )
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    let sizes = server.join().unwrap();
    assert_eq!(sizes.iter().sum::<usize>(), 5001, "{sizes:?}"); // bare LF became CRLF
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&s| s == 1000),
        "{sizes:?}"
    );
}

#[test]
fn a_chunking_flight_is_one_write() {
    let (stream, written) = Scripted::new(vec![
        Ok(b"220 mx ESMTP\r\n"),
        Ok(b"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
        Ok(b"250 ok\r\n250 ok\r\n250 queued\r\n"),
    ]);
    let writes = stream.writes.clone();
    let mut c = Connection::options(config()).open(stream).unwrap();
    assert_eq!(writes.swap(0, Ordering::SeqCst), 1, "EHLO");
    let d = c
        .send(envelope(&["b@example.net"]), &mut &b"hello\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    assert_eq!(
        writes.load(Ordering::SeqCst),
        1,
        "MAIL, RCPT and BDAT LAST with its data"
    );
    assert!(written
        .lock()
        .unwrap()
        .ends_with(b"BDAT 7 LAST\r\nhello\r\n"));
}

#[test]
fn a_failing_body_reader_drops_the_connection_without_ending_the_data() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING"]);
        p.accept_flight();
        // Everything until EOF: a lone "." must never come.
        let mut lines = vec![];
        while let Some(l) = p.line() {
            lines.push(l);
        }
        lines
    });
    /// Gives some bytes, then fails.
    struct Failing(bool);
    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if std::mem::replace(&mut self.0, true) {
                return Err(io::Error::other("disk on fire"));
            }
            buf[..6].copy_from_slice(b"part\r\n");
            Ok(6)
        }
    }
    let mut c = Connection::options(config()).connect(addr, T).unwrap();
    match c.send(envelope(&["b@example.net"]), &mut Failing(false)) {
        Err(DriverError::Io(e)) => assert_eq!(e.to_string(), "disk on fire"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(c.noop(), Err(DriverError::Closed)));
    let lines = server.join().unwrap();
    assert!(
        !lines.iter().any(|l| l == "."),
        "the data was ended: {lines:?}"
    );
}

/// An in-memory stream: each read takes the next scripted answer (EOF once they
/// run out), every write is kept, and write calls are counted.
struct Scripted {
    reads: std::collections::VecDeque<io::Result<&'static [u8]>>,
    written: Arc<std::sync::Mutex<Vec<u8>>>,
    writes: Arc<AtomicUsize>,
}
impl Scripted {
    fn new(reads: Vec<io::Result<&'static [u8]>>) -> (Scripted, Arc<std::sync::Mutex<Vec<u8>>>) {
        let written = Arc::default();
        let stream = Scripted {
            reads: reads.into(),
            written: Arc::clone(&written),
            writes: Arc::default(),
        };
        (stream, written)
    }
}
impl Read for Scripted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        // Past the script: the last answer again if it was an error, else EOF.
        let next = match self.reads.pop_front() {
            Some(Err(e)) => {
                let again = io::Error::from(e.kind());
                self.reads.push_front(Err(again));
                Err(e)
            }
            other => other.unwrap_or(Ok(b"")),
        }?;
        buf[..next.len()].copy_from_slice(next);
        Ok(next.len())
    }
}
impl io::Write for Scripted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        self.written.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        let mut written = self.written.lock().unwrap();
        bufs.iter().for_each(|b| written.extend_from_slice(b));
        Ok(bufs.iter().map(|b| b.len()).sum())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl smtp_io_std::Stream for Scripted {
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

#[test]
fn a_socket_error_is_the_callers_error_and_ends_the_session() {
    let (stream, _) = Scripted::new(vec![
        Ok(b"220 mx ESMTP\r\n"),
        Ok(b"250-mx\r\n250 PIPELINING\r\n"),
        Err(io::ErrorKind::ConnectionReset.into()),
    ]);
    let mut c = Connection::options(config()).open(stream).unwrap();
    let d = c
        .send_bytes(envelope(&["b@example.net"]), &b"hello\r\n"[..])
        .unwrap();
    // The engine heard of it: every recipient has its outcome, the session is over
    // (not waiting for a reply), and the outcome says what happened.
    assert!(c.client().is_closed(), "{:?}", c.client());
    let error = d.result.as_ref().unwrap_err();
    assert_eq!(error.kind, ErrorKind::Closed);
    assert!(error.detail.starts_with("connection lost: "), "{error:?}");
    assert!(d.recipients.iter().all(|r| r.is_err()), "{d:?}");
}

#[test]
fn a_refused_greeting_still_gets_its_best_effort_quit() {
    let (stream, written) = Scripted::new(vec![Ok(b"554 5.3.2 not now\r\n")]);
    let err = Connection::options(config()).open(stream).unwrap_err();
    assert!(matches!(err, DriverError::Session(_)), "{err:?}");
    assert_eq!(&written.lock().unwrap()[..], b"QUIT\r\n");
}

#[test]
fn deadlines_count_from_when_the_body_ends_not_from_an_old_clock_reading() {
    // The driver reuses its last clock reading between calls that may block; after
    // the connection idled longer than the final reply's timeout, that reading must
    // still be fresh when the body ends, or the reply would time out at once.
    let (addr, server) = peer::serve(|p| {
        p.open(&["PIPELINING", "CHUNKING"]);
        p.expect("MAIL");
        p.expect("RCPT");
        let l = p.expect("BDAT");
        let size: usize = l.split(' ').nth(1).unwrap().parse().unwrap();
        p.skip(size);
        p.send("250 ok\r\n250 ok\r\n");
        std::thread::sleep(Duration::from_millis(300));
        p.send("250 queued\r\n");
        p.expect("QUIT");
        p.send("221 bye\r\n");
    });
    let mut cfg = config();
    cfg.timeouts.data_term = Duration::from_millis(1000);
    let mut c = Connection::options(cfg).connect(addr, T).unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let d = c
        .send(envelope(&["b@example.net"]), &mut &b"hello\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    server.join().unwrap();
}
