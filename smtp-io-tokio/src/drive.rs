//! The driving loop (the engine's call-order contract, decision 7): act on every
//! event the engine has, then wait for *whichever comes first* of socket
//! writability, socket input, body input and the engine's deadline — all polled
//! together, so a server that answers early (a `552` to a BDAT chunk, a `421`
//! mid-DATA) is heard at once and the body stops (RFC 3030 §2), and a server that
//! stops reading meets the engine's data-block deadline instead of a write that
//! hangs forever (rule 10).

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::{pin, Pin};
use std::task::{Context, Poll};

use bytes::{BufMut, Bytes};
use smtp_proto::{DeliveryFold, Error, Event, Reply, TlsFailure, TlsFailureKind, UsageError};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};

use crate::connection::Connection;
use crate::error::DriverError;

/// Slices handed to one gather write: a pipelined flight is a few commands and body
/// pieces; what does not fit goes in the next write.
const MAX_SLICES: usize = 64;

/// Most room reserved for one body read: the buffer grows to the engine's capacity
/// only as a long body fills it.
const BODY_READ_STEP: usize = 16 * 1024;

/// The body type of requests that carry none.
pub(crate) type NoBody = tokio::io::Empty;

/// When [`Connection::drive`] may return (it always returns once the session closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Goal {
    /// The engine said [`Event::Ready`]: the opening, or the request, is over.
    Ready,
    /// Only the session's end (QUIT).
    Closed,
}

/// What a drive saw.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The transaction's events, folded (empty unless a `send` ran).
    pub(crate) fold: DeliveryFold,
    /// How a RSET or NOOP ended.
    pub(crate) command: Option<Result<Reply, Error>>,
    /// The session closed: `None` inside after an orderly QUIT.
    pub(crate) closed: Option<Option<Error>>,
    /// The socket failed; the engine was told the connection is gone.
    pub(crate) lost: Option<io::Error>,
}

/// The caller's message body while a `send` runs.
struct Feed<'b, B> {
    reader: &'b mut B,
    /// The engine wants body bytes ([`Event::BodyWanted`] came, `end_body` not yet).
    open: bool,
    /// What the engine did not take of the last chunk (it takes a prefix).
    pending: Option<Bytes>,
    /// The reader reported its end; `end_body` follows once `pending` is taken.
    ended: bool,
}

/// Why one step of the loop stopped short.
enum Stop {
    /// The socket failed.
    Socket(io::Error),
    /// Reading the caller's body failed.
    Body(io::Error),
    /// The engine refused body bytes (a bare line ending under `Reject`).
    Usage(UsageError),
}

impl Connection {
    /// Drives the engine until `goal` (or the session's end), acting on every event
    /// of every input before waiting again.
    /// `whole`, when given, is the whole body: `body` is then never read, and no read
    /// buffer is taken.
    pub(crate) async fn drive<B: AsyncRead + Unpin>(
        &mut self,
        goal: Goal,
        body: Option<&mut B>,
        whole: Option<Bytes>,
    ) -> Result<Outcome, DriverError> {
        let mut out = Outcome::default();
        let ended = whole.is_some();
        let mut feed = body.map(|reader| Feed {
            reader,
            open: false,
            pending: whole.filter(|b| !b.is_empty()),
            ended,
        });
        let mut ready = false;
        loop {
            while let Some(mut event) = self.client.poll_event() {
                if let Some(e) = &out.lost {
                    event.relabel_lost_connection(e);
                }
                out.fold.on_event(&event);
                match event {
                    Event::Trace(trace) => {
                        if let Some(hook) = self.trace.as_mut() {
                            hook(&trace);
                        }
                    }
                    Event::StartTls => self.start_tls().await?,
                    Event::BodyWanted => {
                        if let Some(f) = feed.as_mut() {
                            f.open = true;
                        }
                    }
                    Event::Delivered { .. } | Event::TransactionFailed { .. } => {
                        if let Some(f) = feed.as_mut() {
                            f.open = false;
                        }
                    }
                    Event::CommandDone { reply, .. } => out.command = Some(Ok(reply)),
                    Event::CommandFailed { error, .. } => out.command = Some(Err(error)),
                    Event::Ready => ready = true,
                    Event::Closed { error } => out.closed = Some(error),
                    _ => {}
                }
            }
            if let Some(error) = &out.closed {
                let orderly = error.is_none();
                self.linger(orderly).await;
                return Ok(out);
            }
            if goal == Goal::Ready && ready {
                return Ok(out);
            }
            match poll_fn(|cx| self.poll_step(cx, &mut feed)).await {
                Ok(()) => {}
                Err(Stop::Socket(e)) => {
                    // The engine hears of it as a lost connection: every recipient in
                    // flight gets its outcome (rule 18), relabelled with the cause.
                    self.stream = None;
                    let now = self.clock.now();
                    self.client.receive_eof(now);
                    out.lost = Some(e);
                }
                Err(Stop::Body(e)) => {
                    self.abandon();
                    return Err(DriverError::Io(e));
                }
                Err(Stop::Usage(e)) => {
                    self.abandon();
                    return Err(DriverError::Usage(e));
                }
            }
        }
    }

    /// One round: hand over body bytes, write, read, check the deadline. Ready once
    /// anything moved (the engine may have events then), pending with every source
    /// registered otherwise.
    fn poll_step<B: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        feed: &mut Option<Feed<'_, B>>,
    ) -> Poll<Result<(), Stop>> {
        let mut progress = false;
        // Body first, so a flight (MAIL, RCPT, BDAT and its data; or the body's
        // tail and terminator) leaves in one gather write.
        if let Some(f) = feed.as_mut().filter(|f| f.open) {
            match self.poll_body(cx, f) {
                Ok(moved) => progress |= moved,
                Err(stop) => return Poll::Ready(Err(stop)),
            }
        }
        match self.poll_write(cx) {
            Ok(moved) => progress |= moved,
            Err(e) => return Poll::Ready(Err(Stop::Socket(e))),
        }
        let Some(stream) = self.stream.as_mut() else {
            return Poll::Ready(Err(Stop::Socket(io::ErrorKind::NotConnected.into())));
        };
        let mut buf = ReadBuf::new(&mut self.read_buf);
        match Pin::new(stream).poll_read(cx, &mut buf) {
            Poll::Ready(Ok(())) => {
                let n = buf.filled().len();
                let now = self.clock.now();
                if n == 0 {
                    self.client.receive_eof(now);
                } else {
                    self.client.receive(now, &self.read_buf[..n]);
                }
                // Back to the events before reading more: after STARTTLS's 220 the
                // next bytes belong to the TLS handshake.
                return Poll::Ready(Ok(()));
            }
            Poll::Ready(Err(e)) => return Poll::Ready(Err(Stop::Socket(e))),
            Poll::Pending => {}
        }
        if let Some(deadline) = self.client.poll_timeout() {
            let at = self.clock.at(deadline);
            let timer = self
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
            if timer.deadline() != at {
                timer.as_mut().reset(at);
            }
            if timer.as_mut().poll(cx).is_ready() {
                // tokio says the deadline passed; the engine must agree.
                let now = self.clock.now().max(deadline);
                self.client.handle_timeout(now);
                progress = true;
            }
        }
        if progress {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// Writes what the engine has queued, as gather writes, until done or the
    /// stream pushes back; flushes once it is all out. True when bytes moved.
    fn poll_write(&mut self, cx: &mut Context<'_>) -> io::Result<bool> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(false);
        };
        let mut moved = false;
        while !self.client.transmit().is_empty() {
            let polled = {
                let transmit = self.client.transmit();
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                let count = transmit.io_slices(&mut slices);
                Pin::new(&mut *stream).poll_write_vectored(cx, &slices[..count])
            };
            match polled {
                Poll::Ready(Ok(0)) => return Err(io::ErrorKind::WriteZero.into()),
                Poll::Ready(Ok(n)) => {
                    let now = self.clock.now();
                    self.client.transmitted(now, n);
                    self.unflushed = true;
                    moved = true;
                }
                Poll::Ready(Err(e)) => return Err(e),
                Poll::Pending => return Ok(moved),
            }
        }
        if self.unflushed {
            if let Poll::Ready(result) = Pin::new(&mut *stream).poll_flush(cx) {
                result?;
                self.unflushed = false;
            }
        }
        Ok(moved)
    }

    /// Hands body bytes over while the engine takes them and the reader has them;
    /// ends the body at the reader's EOF. True when anything moved.
    fn poll_body<B: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        feed: &mut Feed<'_, B>,
    ) -> Result<bool, Stop> {
        let mut moved = false;
        while feed.open {
            if let Some(chunk) = feed.pending.take() {
                let before = chunk.len();
                self.hand_over(chunk, feed)?;
                let left = feed.pending.as_ref().map_or(0, Bytes::len);
                moved |= left < before;
                if left > 0 {
                    return Ok(moved);
                }
                continue;
            }
            if feed.ended {
                let now = self.clock.now();
                match self.client.end_body(now) {
                    Ok(()) | Err(UsageError::NoBodyWanted) => {}
                    Err(e) => return Err(Stop::Usage(e)),
                }
                feed.open = false;
                return Ok(true);
            }
            // The engine's capacity already respects max_bdat_chunk (rule 14), so one
            // fill is one BDAT chunk, as large as the engine allows.
            let capacity = self.client.body_capacity();
            if capacity == 0 {
                break;
            }
            let (filled, eof) = self.fill(cx, feed.reader, capacity)?;
            feed.ended = eof;
            if filled > 0 {
                let chunk = self.body_buf.split().freeze();
                self.hand_over(chunk, feed)?;
                moved = true;
            } else if !eof {
                break;
            }
        }
        Ok(moved)
    }

    /// Reads body bytes into the reused buffer until it holds `capacity` bytes, the
    /// reader has nothing more now, or it ended. Returns (bytes held, EOF seen).
    fn fill<B: AsyncRead + Unpin>(
        &mut self,
        cx: &mut Context<'_>,
        reader: &mut B,
        capacity: usize,
    ) -> Result<(usize, bool), Stop> {
        loop {
            let held = self.body_buf.len();
            if held >= capacity {
                return Ok((held, false));
            }
            // Room in steps, so a short body never reserves the whole capacity (256
            // KiB by default) and a long one grows the buffer as it comes. (Room is
            // reserved only when none is left, and a reservation gives at least what
            // was asked, so a read never holds more than `capacity`: a larger `room`,
            // as `capacity + held` would give, is an equivalent mutant.)
            let room = (capacity - held).min(BODY_READ_STEP);
            // No zeroing: `read_buf` reads into spare capacity, taken only when there
            // is none left. Once the engine has written the previous chunks,
            // `reserve` reclaims the same allocation.
            if self.body_buf.capacity() == held {
                self.body_buf.reserve(room);
            }
            let mut limited = (&mut self.body_buf).limit(room);
            let read = pin!(reader.read_buf(&mut limited));
            match read.poll(cx) {
                Poll::Ready(Ok(0)) => return Ok((held, true)),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => return Err(Stop::Body(e)),
                Poll::Pending => return Ok((held, false)),
            }
        }
    }

    /// Gives the engine `chunk`; keeps what it did not take.
    fn hand_over<B>(&mut self, chunk: Bytes, feed: &mut Feed<'_, B>) -> Result<(), Stop> {
        let now = self.clock.now();
        match self.client.body(now, chunk.clone()) {
            Ok(taken) if taken < chunk.len() => feed.pending = Some(chunk.slice(taken..)),
            Ok(_) => {}
            // The transaction ended meanwhile (its events follow): stop feeding.
            Err(UsageError::NoBodyWanted) => feed.open = false,
            Err(e) => return Err(Stop::Usage(e)),
        }
        Ok(())
    }

    /// [`smtp_proto::Event::StartTls`]: write what is queued, hand the stream to the
    /// caller's upgrade (bounded by the `starttls` timeout), tell the engine.
    async fn start_tls(&mut self) -> Result<(), DriverError> {
        if self.upgrade.is_none() {
            let now = self.clock.now();
            self.client.tls_failed(
                now,
                TlsFailure {
                    kind: TlsFailureKind::Handshake,
                    detail: "no TLS upgrade supplied".into(),
                },
            );
            return Err(DriverError::NoTlsUpgrade);
        }
        if let Err(e) = poll_fn(|cx| self.poll_write_all(cx)).await {
            self.abandon();
            return Err(DriverError::Io(e));
        }
        let (Some(stream), Some(upgrade)) = (self.stream.take(), self.upgrade.as_mut()) else {
            return Err(DriverError::Closed);
        };
        let handshake = upgrade(stream);
        let result = tokio::time::timeout(self.handshake_timeout, handshake).await;
        let now = self.clock.now();
        match result {
            Ok(Ok((tls, info))) => {
                self.stream = Some(tls);
                self.client.tls_established(now, info);
            }
            Ok(Err(failure)) => self.client.tls_failed(now, failure),
            Err(_) => self.client.tls_failed(
                now,
                TlsFailure {
                    kind: TlsFailureKind::Handshake,
                    detail: "the TLS handshake did not finish in time".into(),
                },
            ),
        }
        Ok(())
    }

    /// Ready once everything queued is written and flushed.
    fn poll_write_all(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.poll_write(cx)?;
        if self.client.transmit().is_empty() && !self.unflushed {
            Poll::Ready(Ok(()))
        } else {
            Poll::Pending
        }
    }

    /// The session closed: write what it left queued (a best-effort QUIT), shut the
    /// stream down after an orderly end, and drop it — within the linger bound.
    async fn linger(&mut self, orderly: bool) {
        if self.stream.is_some() {
            let linger = self.linger;
            let _ = tokio::time::timeout(linger, async {
                poll_fn(|cx| self.poll_write_all(cx)).await?;
                if orderly {
                    if let Some(stream) = self.stream.as_mut() {
                        stream.shutdown().await?;
                    }
                }
                io::Result::Ok(())
            })
            .await;
        }
        self.stream = None;
    }

    /// Gives up on a session that cannot go on (its message cannot be completed):
    /// drops the stream and lets the engine close, discarding its last events.
    fn abandon(&mut self) {
        self.stream = None;
        let now = self.clock.now();
        self.client.receive_eof(now);
        while self.client.poll_event().is_some() {}
    }
}
