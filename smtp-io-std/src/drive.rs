//! The driving loop: drain every event, hand over the body, write what the engine
//! queued (looking for replies while a long flight is still going out), and read
//! within the engine's deadline — until the request has ended and the session is
//! ready again, or it closed (the call order of `smtp_proto::Client`, decision 7).

use std::io::{self, IoSlice, Read, Write};
use std::time::Duration;

use bytes::Bytes;
use smtp_proto::{Event, TlsFailure, TlsFailureKind};

use crate::{Connection, DriverError};

/// Slices handed to one vectored write.
const MAX_SLICES: usize = 64;
/// Socket timeouts closer than this to the last one set are not set again.
const TIMEOUT_SLACK: Duration = Duration::from_millis(20);

/// Which socket timeout to set.
#[derive(Clone, Copy)]
enum Direction {
    Read,
    Write,
}

/// The body read buffer's first size; it doubles when a body fills it.
const BODY_BUF_START: usize = 16 * 1024;

/// The body of a `send` while the engine wants it.
pub(crate) struct Body<'a> {
    /// Where the rest comes from; `None` for a message given whole.
    reader: Option<&'a mut dyn Read>,
    /// Read (or given) but not yet taken by the engine.
    pending: Option<Bytes>,
    wanted: bool,
}

impl<'a> Body<'a> {
    /// A body read from `reader` until its end.
    pub(crate) fn reader(reader: &'a mut dyn Read) -> Body<'a> {
        Body {
            reader: Some(reader),
            pending: None,
            wanted: false,
        }
    }

    /// A body given whole: no reads, no read buffer.
    pub(crate) fn bytes(body: Bytes) -> Body<'a> {
        Body {
            reader: None,
            pending: Some(body).filter(|b| !b.is_empty()),
            wanted: false,
        }
    }
}

impl Connection {
    /// Drives the session until it is ready again (the request has ended and every
    /// reply of it was consumed) or closed. Every event goes to `sink`, in order.
    pub(crate) fn run(
        &mut self,
        mut body: Option<Body<'_>>,
        sink: &mut dyn FnMut(&Event) -> bool,
    ) -> Result<(), DriverError> {
        loop {
            while let Some(mut event) = self.client.poll_event() {
                // A socket error was the end, not the server closing: say so.
                if let Some(e) = &self.io_error {
                    event.relabel_lost_connection(e);
                }
                sink(&event);
                self.on_event(&event, body.as_mut())?;
            }
            if let Some(b) = body.as_mut() {
                if let Err(e) = self.feed_body(b) {
                    // The message cannot be completed, and ending the data now would
                    // deliver a truncated one: drop the connection instead.
                    self.abandon();
                    return Err(e);
                }
            }
            if self.closed.is_some() {
                self.flush_best_effort();
                return Ok(());
            }
            if self.client.is_ready() && self.client.transmit().is_empty() {
                return Ok(());
            }
            if !self.client.transmit().is_empty() {
                self.write_some()?;
                // Still writing a long flight: a reply may already say to stop.
                if !self.client.transmit().is_empty() {
                    self.read_nonblocking()?;
                }
                continue;
            }
            self.read_within_deadline()?;
        }
    }

    fn on_event(&mut self, event: &Event, body: Option<&mut Body<'_>>) -> Result<(), DriverError> {
        match event {
            Event::StartTls => self.start_tls()?,
            Event::BodyWanted => {
                if let Some(b) = body {
                    b.wanted = true;
                }
            }
            Event::Closed { error } => self.closed = Some(error.clone()),
            Event::Trace(t) => {
                if let Some(hook) = self.trace.as_mut() {
                    hook(t);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Hands body bytes over while the engine takes them; ends the body at EOF.
    fn feed_body(&mut self, b: &mut Body<'_>) -> Result<(), DriverError> {
        while b.wanted {
            let cap = self.client.body_capacity();
            if cap == 0 {
                return Ok(());
            }
            let next = match (b.pending.take(), b.reader.as_mut()) {
                (Some(p), _) => Some(p),
                (None, Some(reader)) => {
                    let (chunk, eof) = self.read_body(&mut **reader, cap)?;
                    self.now(); // the caller's reader may have blocked
                    if eof {
                        b.reader = None; // no read after the end was seen
                    }
                    chunk
                }
                (None, None) => None,
            };
            let Some(chunk) = next else {
                let now = self.recent();
                self.client.end_body(now)?;
                b.wanted = false;
                return Ok(());
            };
            let now = self.recent();
            let taken = self.client.body(now, chunk.clone())?;
            if taken < chunk.len() {
                b.pending = Some(chunk.slice(taken..));
            }
        }
        Ok(())
    }

    /// Reads body bytes until `cap` (the engine's body capacity) are held or the
    /// reader ends: the chunk (`None` when nothing was read) and whether the end was
    /// seen. Filling up to the capacity makes a body that fits one BDAT chunk, and
    /// is read to its end, go as a single `BDAT n LAST` (rule 14), as the tokio
    /// driver does. One buffer is reused per connection: it starts at
    /// [`BODY_BUF_START`] and doubles (up to `cap`, so `max_pending_body`) only when a
    /// body fills it, and only its new part is zeroed, once. The engine keeps a copy
    /// of what it takes.
    fn read_body(
        &mut self,
        reader: &mut dyn Read,
        cap: usize,
    ) -> Result<(Option<Bytes>, bool), DriverError> {
        let mut filled = 0;
        let mut eof = false;
        while filled < cap && !eof {
            if filled == self.body_buf.len() {
                let grown = (filled * 2).max(BODY_BUF_START).min(cap);
                self.body_buf.resize(grown, 0);
            }
            let end = self.body_buf.len().min(cap);
            match reader.read(&mut self.body_buf[filled..end]) {
                Ok(0) => eof = true,
                Ok(n) => filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(DriverError::Io(e)),
            }
        }
        let chunk = (filled > 0).then(|| Bytes::copy_from_slice(&self.body_buf[..filled]));
        Ok((chunk, eof))
    }

    /// Time left until the engine's next deadline (`None`: no deadline runs).
    fn until_deadline(&self) -> Option<Duration> {
        let now = self.recent();
        self.client
            .poll_timeout()
            .map(|t| Duration::from_nanos(t.as_nanos().saturating_sub(now.as_nanos())))
    }

    /// Points the socket's read or write timeout at the engine's next deadline (set
    /// only when it moved). `false` when the deadline has passed: the engine was told,
    /// and there is nothing to wait for.
    fn arm_socket(&mut self, direction: Direction) -> Result<bool, DriverError> {
        let wait = self.until_deadline();
        if wait == Some(Duration::ZERO) {
            let now = self.now();
            self.client.handle_timeout(now);
            return Ok(false);
        }
        let timeout = wait.map(|w| w.max(Duration::from_millis(1)));
        let Some(stream) = self.stream.as_mut() else {
            return Err(DriverError::Closed);
        };
        let last = match direction {
            Direction::Read => &mut self.read_timeout,
            Direction::Write => &mut self.write_timeout,
        };
        if differs(*last, timeout) {
            match direction {
                Direction::Read => stream.set_read_timeout(timeout)?,
                Direction::Write => stream.set_write_timeout(timeout)?,
            }
            *last = timeout;
        }
        Ok(true)
    }

    /// One vectored write of what is queued, bounded by the engine's deadline.
    fn write_some(&mut self) -> Result<(), DriverError> {
        if !self.arm_socket(Direction::Write)? {
            return Ok(());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(DriverError::Closed);
        };
        let mut slices = [IoSlice::new(&[]); MAX_SLICES];
        let count = self.client.transmit().io_slices(&mut slices);
        let result = stream.write_vectored(&slices[..count]);
        let now = self.now();
        match result {
            Ok(0) => self.lost(io::Error::from(io::ErrorKind::WriteZero)),
            Ok(n) => self.client.transmitted(now, n),
            Err(e) if is_timeout(&e) => self.client.handle_timeout(now),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.lost(e),
        }
        Ok(())
    }

    /// A read that does not wait: replies that came while we write.
    fn read_nonblocking(&mut self) -> Result<(), DriverError> {
        let Some(stream) = self.stream.as_mut() else {
            return Ok(());
        };
        stream.set_nonblocking(true)?;
        let result = stream.read(&mut self.read_buf);
        stream.set_nonblocking(false)?;
        match result {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(()),
            other => {
                self.on_read(other);
                Ok(())
            }
        }
    }

    /// A blocking read, bounded by the engine's deadline; a deadline that passes is
    /// handed to the engine.
    fn read_within_deadline(&mut self) -> Result<(), DriverError> {
        if !self.arm_socket(Direction::Read)? {
            return Ok(());
        }
        let Some(stream) = self.stream.as_mut() else {
            return Err(DriverError::Closed);
        };
        let result = stream.read(&mut self.read_buf);
        self.on_read(result);
        Ok(())
    }

    fn on_read(&mut self, result: io::Result<usize>) {
        let now = self.now();
        if let Some(alert) = self.stream.as_mut().and_then(|s| s.take_tls_alert()) {
            self.client.tls_alert(now, alert);
            return;
        }
        match result {
            Ok(0) => self.client.receive_eof(now),
            Ok(n) => self.client.receive(now, &self.read_buf[..n]),
            Err(e) if is_timeout(&e) => self.client.handle_timeout(now),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => self.lost(e),
        }
    }

    /// The socket failed: the engine hears of a lost connection (every recipient
    /// still open gets its outcome), and the cause is kept for the caller.
    fn lost(&mut self, e: io::Error) {
        let now = self.recent();
        self.io_error = Some(e);
        self.client.receive_eof(now);
    }

    /// Gives the session up mid-request: the engine closes it as lost (every open
    /// recipient gets its outcome) and the stream is dropped unwritten, so the server
    /// never sees the end of a message that was not all sent.
    fn abandon(&mut self) {
        let now = self.recent();
        self.client.receive_eof(now);
        while self.client.poll_event().is_some() {}
        self.stream = None;
        self.closed = Some(None);
    }

    /// After `Closed`: write what is still queued (a best-effort QUIT), ignoring errors.
    fn flush_best_effort(&mut self) {
        let now = self.recent();
        let Some(stream) = self.stream.as_mut() else {
            return;
        };
        let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
        let bytes = self.client.transmit().to_vec();
        if !bytes.is_empty() && stream.write_all(&bytes).is_ok() {
            self.client.transmitted(now, bytes.len());
        }
        let _ = stream.flush();
    }

    /// `Event::StartTls`: write what is queued, then run the caller's upgrade.
    fn start_tls(&mut self) -> Result<(), DriverError> {
        while !self.client.transmit().is_empty() && self.closed.is_none() {
            self.write_some()?;
        }
        let now = self.now();
        let Some(upgrade) = self.upgrade.as_mut() else {
            self.missing_upgrade = true;
            let failure = TlsFailure {
                kind: TlsFailureKind::Handshake,
                detail: "no TLS upgrade configured".into(),
            };
            self.client.tls_failed(now, failure);
            return Ok(());
        };
        let stream = self.stream.take().ok_or(DriverError::Closed)?;
        let outcome = upgrade(stream);
        let now = self.now();
        match outcome {
            Ok((tls, info)) => {
                self.stream = Some(tls);
                self.read_timeout = None;
                self.write_timeout = None;
                self.client.tls_established(now, info);
            }
            Err(failure) => self.client.tls_failed(now, failure),
        }
        Ok(())
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// True when `new` is not within [`TIMEOUT_SLACK`] of `old`.
fn differs(old: Option<Duration>, new: Option<Duration>) -> bool {
    match (old, new) {
        (Some(a), Some(b)) => a.abs_diff(b) > TIMEOUT_SLACK,
        (None, None) => false,
        _ => true,
    }
}
