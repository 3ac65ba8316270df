//! One session over one stream: the requests a caller makes, each driven to its
//! end by [`drive`](crate::drive), and the bookkeeping that keeps a dropped future
//! from leaving a half-done request behind.

use std::fmt;
use std::pin::Pin;
use std::time::Duration;

use smtp_proto::{Client, Config, Delivery, Envelope, Instant, Reply, UsageError};
use tokio::io::AsyncRead;
use tokio::time::Sleep;

use crate::clock::Clock;
use crate::drive::{Goal, NoBody, Outcome};
use crate::error::DriverError;
use crate::options::{Options, TraceHook};
use crate::stream::{AsyncStream, TlsUpgrade};

/// Bytes read from the socket at a time. Replies are small; a long multi-line
/// reply takes a few reads, which the engine's parser joins (decision 3). An idle
/// connection holds this and the engine's buffers, under 4 KiB.
const READ_BUFFER: usize = 2 * 1024;

/// The longest a closing session waits to write what is still queued (the
/// best-effort QUIT) and shut the stream down; shorter when the engine's
/// `data_block` timeout is.
const MAX_LINGER: Duration = Duration::from_secs(2);

/// Where the connection is between calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    /// No call is running.
    Idle,
    /// A call is running — or its future was dropped while it ran.
    Busy,
    /// A call's future was dropped mid-request: the stream is gone.
    Cancelled,
}

/// One SMTP or LMTP session, ready for messages.
///
/// Made by [`Options::open`] or [`Options::connect`] once the opening (greeting,
/// EHLO, STARTTLS, AUTH) succeeded. Each call drives the engine until its request
/// has ended and the session is ready again (or closed), reading while it writes.
///
/// # Cancel safety
///
/// Dropping a call's future before it finished (a `tokio::time::timeout` around
/// it, a `select!` that took another branch) leaves the session's state at the
/// server unknown — a flight may be half written. The connection then closes its
/// stream at the next call, which returns [`DriverError::Cancelled`], as do all
/// later calls: it never hangs or writes into a session it lost track of. A future
/// dropped before it was first polled changes nothing.
pub struct Connection {
    pub(crate) stream: Option<Box<dyn AsyncStream>>,
    pub(crate) client: Client,
    pub(crate) clock: Clock,
    pub(crate) upgrade: Option<TlsUpgrade>,
    pub(crate) trace: Option<TraceHook>,
    /// Socket reads land here, then go to the engine at once.
    pub(crate) read_buf: Vec<u8>,
    /// Message bytes read from the caller's body, handed to the engine as `Bytes`
    /// (split off, so the allocation is reused once the engine has written them).
    pub(crate) body_buf: bytes::BytesMut,
    /// The engine's next deadline, armed lazily.
    pub(crate) timer: Option<Pin<Box<Sleep>>>,
    /// Bytes were written and not yet flushed (a TLS stream buffers records).
    pub(crate) unflushed: bool,
    /// How long a closing session may spend writing what is left.
    pub(crate) linger: Duration,
    /// How long the caller's TLS upgrade may take.
    pub(crate) handshake_timeout: Duration,
    pub(crate) status: Status,
}

impl Connection {
    /// Starts building a session with the engine's `config`.
    #[must_use]
    pub fn options(config: Config) -> Options {
        Options::new(config)
    }

    pub(crate) async fn open(
        options: Options,
        stream: Box<dyn AsyncStream>,
    ) -> Result<Connection, DriverError> {
        let Options {
            config,
            auth,
            upgrade,
            trace,
        } = options;
        let clock = Clock::start();
        let linger = config.timeouts.data_block.min(MAX_LINGER);
        let handshake_timeout = config.timeouts.starttls;
        let mut client = Client::new(clock.now(), config);
        if let Some(auth) = auth {
            client.set_auth(auth)?;
        }
        let mut conn = Connection {
            stream: Some(stream),
            client,
            clock,
            upgrade,
            trace,
            read_buf: vec![0; READ_BUFFER],
            body_buf: bytes::BytesMut::new(),
            timer: None,
            unflushed: false,
            linger,
            handshake_timeout,
            status: Status::Busy,
        };
        let out = conn.drive(Goal::Ready, None::<&mut NoBody>, None).await?;
        conn.status = Status::Idle;
        if let Some(e) = out.lost {
            return Err(DriverError::Io(e));
        }
        match out.closed {
            Some(Some(error)) => Err(DriverError::Session(error)),
            Some(None) => Err(DriverError::Closed),
            None => Ok(conn),
        }
    }

    /// Sends one message: MAIL, RCPTs, and the body streamed from `body` (the whole
    /// message, headers first; bare LF and CR become CRLF, rule 3) as DATA or BDAT
    /// chunks, in one pipelined flight where the server allows.
    ///
    /// Returns `Ok` whenever the engine took the envelope — also when the
    /// transaction failed or the session closed during it: the [`Delivery`] has one
    /// entry per recipient and the transaction's result, errors included (a lost
    /// socket shows as a transient `closed` error). It returns once the session is
    /// ready again or closed, every reply of the transaction consumed, so the next
    /// call starts clean.
    ///
    /// `Err` means no delivery was attempted ([`DriverError::Usage`] for an envelope
    /// the engine refused, [`DriverError::Closed`] on a closed session), or the
    /// message could not be completed: reading `body` failed ([`DriverError::Io`])
    /// or it held a bare line ending under `LineEndings::Reject`
    /// ([`DriverError::Usage`]) — then the session is closed, as a half-sent
    /// message cannot be taken back.
    pub async fn send(
        &mut self,
        envelope: Envelope,
        body: impl AsyncRead + Unpin,
    ) -> Result<Delivery, DriverError> {
        let mut body = body;
        self.send_with(envelope, &mut body, None).await
    }

    /// [`send`](Connection::send) for a message already in memory: its bytes go to
    /// the socket as slices of `body`, without a copy or a read buffer.
    pub async fn send_bytes(
        &mut self,
        envelope: Envelope,
        body: impl Into<bytes::Bytes>,
    ) -> Result<Delivery, DriverError> {
        let mut nothing_more = tokio::io::empty();
        self.send_with(envelope, &mut nothing_more, Some(body.into()))
            .await
    }

    /// One transaction with `whole` as the body when given, otherwise `body` read to
    /// its end, folded into its [`Delivery`].
    async fn send_with<B: AsyncRead + Unpin>(
        &mut self,
        envelope: Envelope,
        body: &mut B,
        whole: Option<bytes::Bytes>,
    ) -> Result<Delivery, DriverError> {
        self.begin()?;
        let now = self.clock.now();
        if let Err(e) = self.client.send(now, envelope) {
            self.status = Status::Idle;
            return Err(e.into());
        }
        self.body_buf.clear();
        let out = self.drive(Goal::Ready, Some(body), whole).await;
        self.status = Status::Idle;
        out?.fold.finish().ok_or(DriverError::Closed)
    }

    /// Sends RSET and returns its reply.
    pub async fn reset(&mut self) -> Result<Reply, DriverError> {
        self.command(Client::reset).await
    }

    /// Sends NOOP and returns its reply (a cheap check that the session is alive).
    pub async fn noop(&mut self) -> Result<Reply, DriverError> {
        self.command(Client::noop).await
    }

    /// Sends QUIT, waits for the server's answer (or its close), then shuts the
    /// stream down (for TLS, with `close_notify`).
    pub async fn quit(mut self) -> Result<(), DriverError> {
        self.begin()?;
        let now = self.clock.now();
        self.client.quit(now)?;
        let out = self.drive(Goal::Closed, None::<&mut NoBody>, None).await?;
        match out.closed {
            Some(None) => Ok(()),
            Some(Some(error)) => Err(DriverError::Session(error)),
            None => Err(DriverError::Closed),
        }
    }

    /// The engine: capabilities, TLS facts, the TLS report, the session's state.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Runs RSET or NOOP.
    async fn command(
        &mut self,
        start: impl FnOnce(&mut Client, Instant) -> Result<(), UsageError>,
    ) -> Result<Reply, DriverError> {
        self.begin()?;
        let now = self.clock.now();
        if let Err(e) = start(&mut self.client, now) {
            self.status = Status::Idle;
            return Err(e.into());
        }
        let out = self.drive(Goal::Ready, None::<&mut NoBody>, None).await;
        self.status = Status::Idle;
        reply_of(out?)
    }

    /// Starts a call: refuses on a closed or cancelled connection, and closes one
    /// whose previous call was dropped mid-request.
    fn begin(&mut self) -> Result<(), DriverError> {
        match self.status {
            Status::Idle if self.client.is_closed() => Err(DriverError::Closed),
            Status::Idle => {
                self.status = Status::Busy;
                Ok(())
            }
            Status::Busy | Status::Cancelled => {
                self.status = Status::Cancelled;
                self.stream = None;
                Err(DriverError::Cancelled)
            }
        }
    }
}

/// The reply a RSET or NOOP ended with.
fn reply_of(out: Outcome) -> Result<Reply, DriverError> {
    if let Some(e) = out.lost {
        return Err(DriverError::Io(e));
    }
    match (out.command, out.closed) {
        (Some(Ok(reply)), _) => Ok(reply),
        (Some(Err(error)), _) | (None, Some(Some(error))) => Err(DriverError::Session(error)),
        (None, _) => Err(DriverError::Closed),
    }
}

impl fmt::Debug for Connection {
    /// The session's state, a capability summary and whether TLS is up — never
    /// credentials or message data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.status {
            Status::Cancelled => "cancelled",
            Status::Busy => "busy",
            Status::Idle if self.client.is_closed() => "closed",
            Status::Idle => "ready",
        };
        let mut caps: Vec<String> = Vec::new();
        if let Some(c) = self.client.capabilities() {
            let flags = [
                ("STARTTLS", c.starttls),
                ("PIPELINING", c.pipelining),
                ("CHUNKING", c.chunking),
                ("8BITMIME", c.eight_bit_mime),
                ("SMTPUTF8", c.smtputf8),
            ];
            caps.extend(
                flags
                    .iter()
                    .filter(|(_, on)| *on)
                    .map(|(k, _)| k.to_string()),
            );
            if let Some(size) = c.max_size {
                caps.push(format!("SIZE={size}"));
            }
            let auth: Vec<&str> = c.auth_mechanisms().collect();
            if !auth.is_empty() {
                caps.push(format!("AUTH={}", auth.join(",")));
            }
        }
        f.debug_struct("Connection")
            .field("state", &state)
            .field("server", &self.client.greeting_domain())
            .field("capabilities", &caps)
            .field("tls", &self.client.tls_info().is_some())
            .field("authenticated", &self.client.is_authenticated())
            .finish_non_exhaustive()
    }
}
