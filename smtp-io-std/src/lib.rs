//! Blocking driver for [`smtp_proto`] over `std::io::Read + Write` streams.
//!
//! A [`Connection`] owns a stream and a [`Client`]: it writes what the engine queues,
//! reads with the engine's deadline as the socket timeout, streams message bodies
//! from any `Read` with bounded memory, and hands the stream to a caller-supplied
//! TLS upgrade when the engine says [`Event::StartTls`] — so this crate depends on
//! no TLS library.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant as StdInstant};

use bytes::{Bytes, BytesMut};
use smtp_proto::{
    Auth, Client, Config, Envelope, Error, Event, Instant, Reply, TlsFailure, TlsFailureKind,
    TlsInfo, UsageError,
};

/// A byte stream the driver can run a session over.
pub trait Stream: Read + Write + Send {
    /// Bounds the next read (the engine's deadline). Streams without timeouts may
    /// ignore it; then a silent server blocks the read.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let _ = timeout;
        Ok(())
    }
}

impl Stream for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
}

/// The caller's TLS upgrade: takes the plaintext stream, returns the TLS stream and
/// facts about it (channel binding for SCRAM-PLUS), or a typed failure.
pub type TlsUpgrade =
    Box<dyn FnMut(Box<dyn Stream>) -> Result<(Box<dyn Stream>, TlsInfo), TlsFailure> + Send>;

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The socket failed.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The session ended with this error (the server's or the network's fault).
    #[error("session: {0}")]
    Session(Error),
    /// The session was closed before the request could finish.
    #[error("session closed")]
    Closed,
    /// The request was refused by the engine (the caller's fault).
    #[error("usage: {0}")]
    Usage(#[from] UsageError),
    /// The engine asked for TLS and no upgrade was supplied.
    #[error("TLS was required but no TLS upgrade was supplied")]
    NoTlsUpgrade,
}

/// How one `send_mail` ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Per recipient, in envelope order: accepted (the RCPT reply, or for LMTP the
    /// reply after the data) or refused. The engine gives every recipient exactly
    /// one outcome, so there is one entry per recipient.
    pub recipients: Vec<Result<Reply, Error>>,
    /// The transaction's outcome: the reply to the data (for LMTP the first
    /// positive per-recipient reply), or why it failed.
    pub result: Result<Reply, Error>,
}

/// One SMTP/LMTP session over a stream.
pub struct Connection {
    stream: Option<Box<dyn Stream>>,
    client: Client,
    epoch: StdInstant,
    upgrade: Option<TlsUpgrade>,
    read_buf: Vec<u8>,
    closed: Option<Option<Error>>,
}

impl Connection {
    /// Runs the opening (greeting, EHLO, STARTTLS, AUTH) until the session is ready.
    pub fn open(
        stream: Box<dyn Stream>,
        config: Config,
        upgrade: Option<TlsUpgrade>,
        auth: Option<Auth>,
    ) -> Result<Connection, DriverError> {
        let epoch = StdInstant::now();
        let mut client = Client::new(Instant::ZERO, config);
        if let Some(a) = auth {
            client.set_auth(a)?;
        }
        let mut c = Connection {
            stream: Some(stream),
            client,
            epoch,
            upgrade,
            read_buf: vec![0; 16 * 1024],
            closed: None,
        };
        c.run(None, |e| matches!(e, Event::Ready))?;
        Ok(c)
    }

    /// The engine, for capabilities, TLS facts and the TLS report.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends one message: MAIL, RCPTs and the body streamed from `body`.
    pub fn send_mail(
        &mut self,
        envelope: Envelope,
        body: &mut dyn Read,
    ) -> Result<Delivery, DriverError> {
        let now = self.now();
        self.client.send(now, envelope)?;
        let events = self.run(Some(body), |e| {
            matches!(e, Event::Delivered { .. } | Event::TransactionFailed { .. })
        })?;
        Ok(delivery(events))
    }

    /// Sends RSET.
    pub fn reset(&mut self) -> Result<Reply, DriverError> {
        let now = self.now();
        self.client.reset(now)?;
        let events = self.run(None, |e| {
            matches!(e, Event::CommandDone { .. } | Event::CommandFailed { .. })
        })?;
        match events.into_iter().last() {
            Some(Event::CommandDone { reply, .. }) => Ok(reply),
            Some(Event::CommandFailed { error, .. }) => Err(DriverError::Session(error)),
            _ => Err(DriverError::Closed),
        }
    }

    /// Sends QUIT and waits for the server to answer or close.
    pub fn quit(mut self) -> Result<(), DriverError> {
        let now = self.now();
        self.client.quit(now)?;
        self.run(None, |_| false).map(|_| ())
    }

    fn now(&self) -> Instant {
        Instant::from_nanos(u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX))
    }

    /// Drives the engine until `done` matches an event (or the session closes),
    /// returning every event seen.
    fn run(
        &mut self,
        mut body: Option<&mut dyn Read>,
        mut done: impl FnMut(&Event) -> bool,
    ) -> Result<Vec<Event>, DriverError> {
        let mut seen = Vec::new();
        let mut pending_body: Option<Bytes> = None;
        let mut body_open = false;
        loop {
            self.flush()?;
            while let Some(ev) = self.client.poll_event() {
                match &ev {
                    Event::StartTls => self.start_tls()?,
                    Event::BodyWanted => body_open = true,
                    Event::Closed { error } => self.closed = Some(error.clone()),
                    _ => {}
                }
                let finished = done(&ev);
                seen.push(ev);
                if finished {
                    return Ok(seen);
                }
            }
            if let Some(error) = self.closed.clone() {
                let _ = self.flush();
                return match error {
                    None if seen
                        .iter()
                        .any(|e| matches!(e, Event::Closed { error: None })) =>
                    {
                        Ok(seen)
                    }
                    None => Err(DriverError::Closed),
                    Some(e) => Err(DriverError::Session(e)),
                };
            }
            if body_open {
                if let Some(reader) = body.as_deref_mut() {
                    if self.feed_body(reader, &mut pending_body)? {
                        body_open = false;
                    }
                    if !self.client.transmit().is_empty() {
                        continue;
                    }
                }
            }
            // Inputs handled above (a TLS handshake, say) may have queued output.
            if !self.client.transmit().is_empty() {
                continue;
            }
            self.read_once()?;
        }
    }

    /// Hands body bytes over while the engine takes them; true once the body ended.
    fn feed_body(
        &mut self,
        reader: &mut dyn Read,
        pending: &mut Option<Bytes>,
    ) -> Result<bool, DriverError> {
        loop {
            let cap = self.client.body_capacity();
            if cap == 0 {
                return Ok(false);
            }
            let chunk = match pending.take() {
                Some(b) => b,
                None => {
                    let mut buf = BytesMut::zeroed(cap.min(64 * 1024));
                    let n = reader.read(&mut buf)?;
                    if n == 0 {
                        let now = self.now();
                        self.client.end_body(now)?;
                        return Ok(true);
                    }
                    buf.truncate(n);
                    buf.freeze()
                }
            };
            let now = self.now();
            let taken = self.client.body(now, chunk.clone())?;
            if taken < chunk.len() {
                *pending = Some(chunk.slice(taken..));
                return Ok(false);
            }
        }
    }

    fn flush(&mut self) -> Result<(), DriverError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(());
        };
        while !self.client.transmit().is_empty() {
            // One gather write for everything queued (a pipelined flight, a body and
            // its terminator), so no small trailing write waits on Nagle's algorithm.
            let mut slices = [io::IoSlice::new(&[]); 64];
            let count = self.client.transmit().io_slices(&mut slices);
            let n = stream.write_vectored(&slices[..count])?;
            if n == 0 {
                return Err(io::Error::from(io::ErrorKind::WriteZero).into());
            }
            let now = Instant::from_nanos(
                u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX),
            );
            self.client.transmitted(now, n);
        }
        stream.flush()?;
        Ok(())
    }

    fn read_once(&mut self) -> Result<(), DriverError> {
        let now = self.now();
        let wait = self
            .client
            .poll_timeout()
            .map(|t| Duration::from_nanos(t.as_nanos().saturating_sub(now.as_nanos())));
        let Some(stream) = self.stream.as_mut() else {
            return Err(DriverError::Closed);
        };
        if wait == Some(Duration::ZERO) {
            self.client.handle_timeout(now);
            return Ok(());
        }
        stream.set_read_timeout(wait)?;
        match stream.read(&mut self.read_buf) {
            Ok(0) => self.client.receive_eof(self.now()),
            Ok(n) => {
                let now = self.now();
                self.client.receive(now, &self.read_buf[..n]);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let now = self.now();
                self.client.handle_timeout(now);
            }
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    fn start_tls(&mut self) -> Result<(), DriverError> {
        self.flush()?;
        let Some(upgrade) = self.upgrade.as_mut() else {
            let now = self.now();
            let failure = TlsFailure {
                kind: TlsFailureKind::Handshake,
                detail: "no TLS upgrade supplied".into(),
            };
            self.client.tls_failed(now, failure);
            return Err(DriverError::NoTlsUpgrade);
        };
        let stream = self.stream.take().ok_or(DriverError::Closed)?;
        match upgrade(stream) {
            Ok((tls, info)) => {
                self.stream = Some(tls);
                let now = self.now();
                self.client.tls_established(now, info);
            }
            Err(failure) => {
                let now = self.now();
                self.client.tls_failed(now, failure);
            }
        }
        Ok(())
    }
}

/// Folds a transaction's events into a [`Delivery`]: the engine reports each
/// recipient exactly once, so the outcomes are only put in envelope order.
fn delivery(events: Vec<Event>) -> Delivery {
    let mut outcomes: Vec<(usize, Result<Reply, Error>)> = Vec::new();
    let mut result = Err(closed("the transaction did not end"));
    for ev in events {
        match ev {
            Event::RecipientAccepted { index, reply } => outcomes.push((index, Ok(reply))),
            Event::RecipientRejected { index, error } => outcomes.push((index, Err(error))),
            Event::Delivered { reply } => result = Ok(reply),
            Event::TransactionFailed { error } => result = Err(error),
            _ => {}
        }
    }
    outcomes.sort_by_key(|(index, _)| *index);
    let recipients = outcomes.into_iter().map(|(_, r)| r).collect();
    Delivery { recipients, result }
}

fn closed(detail: &str) -> Error {
    Error::new(smtp_proto::ErrorKind::Closed, false, None, detail)
}
