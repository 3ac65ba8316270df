//! One SMTP/LMTP session over a stream: the requests a caller makes. Each returns only
//! when the session is ready again (every reply of the request consumed) or closed,
//! so the next request never finds it busy.

use std::fmt;
use std::io::{self, Read};
use std::time::Instant as StdInstant;

use smtp_proto::{Client, Config, Delivery, DeliveryFold, Envelope, Error, Event, Instant, Reply};

use crate::drive::Body;
use crate::options::{Options, TlsUpgrade, TraceHook};
use crate::{DriverError, Stream};

/// Bytes read from the socket at a time: replies are short, and a pipelined flight's
/// replies fit (an idle connection holds this and the engine's buffers, under 4 KiB).
const READ_BUFFER: usize = 2 * 1024;

/// One SMTP or LMTP session over a stream: owns the stream and the engine.
pub struct Connection {
    pub(crate) stream: Option<Box<dyn Stream>>,
    pub(crate) client: Client,
    pub(crate) epoch: StdInstant,
    /// The clock's last reading (see [`Connection::recent`]).
    pub(crate) last_now: Instant,
    pub(crate) upgrade: Option<TlsUpgrade>,
    pub(crate) trace: Option<TraceHook>,
    pub(crate) read_buf: Box<[u8]>,
    /// Reused for body reads from a reader: grown (and zeroed where it grows) when a
    /// [`send`](Connection::send)'s body fills it, up to the engine's body capacity
    /// (`Config::max_pending_body`).
    pub(crate) body_buf: Vec<u8>,
    /// The engine said `Closed`: with this error (`None` after QUIT).
    pub(crate) closed: Option<Option<Error>>,
    /// A socket error the engine was told about as a lost connection.
    pub(crate) io_error: Option<io::Error>,
    /// The engine asked for TLS and no upgrade was configured.
    pub(crate) missing_upgrade: bool,
    /// Timeouts last set on the socket, to skip redundant system calls.
    pub(crate) read_timeout: Option<std::time::Duration>,
    pub(crate) write_timeout: Option<std::time::Duration>,
}

impl Connection {
    /// Options for a session with this engine configuration.
    #[must_use]
    pub fn options(config: Config) -> Options {
        Options::new(config)
    }

    pub(crate) fn open_with(
        stream: Box<dyn Stream>,
        options: Options,
    ) -> Result<Connection, DriverError> {
        let Options {
            config,
            auth,
            upgrade,
            trace,
        } = options;
        let mut client = Client::new(Instant::ZERO, config);
        if let Some(a) = auth {
            client.set_auth(a)?;
        }
        let mut c = Connection {
            stream: Some(stream),
            client,
            epoch: StdInstant::now(),
            last_now: Instant::ZERO,
            upgrade,
            trace,
            read_buf: vec![0; READ_BUFFER].into_boxed_slice(),
            body_buf: Vec::new(),
            closed: None,
            io_error: None,
            missing_upgrade: false,
            read_timeout: None,
            write_timeout: None,
        };
        c.run(None, &mut |_| false)?;
        if let Some(error) = c.closed.take() {
            return Err(c.closing_error(error));
        }
        Ok(c)
    }

    /// The engine, for capabilities, TLS facts and the TLS report.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends one message: MAIL, every RCPT and the body streamed from `body` in
    /// bounded memory. Returns the [`Delivery`] whenever the engine took the request
    /// — also when the server refused it or the connection was lost on the way (the
    /// delivery says so, per recipient); `Err` only when nothing could be sent (a
    /// usage error, a session already closed).
    pub fn send(
        &mut self,
        envelope: Envelope,
        body: &mut dyn Read,
    ) -> Result<Delivery, DriverError> {
        self.send_body(envelope, Body::reader(body))
    }

    /// [`send`](Connection::send) for a message already in memory: its bytes go to
    /// the socket as slices of `body`, without a copy or a read buffer.
    pub fn send_bytes(
        &mut self,
        envelope: Envelope,
        body: impl Into<bytes::Bytes>,
    ) -> Result<Delivery, DriverError> {
        self.send_body(envelope, Body::bytes(body.into()))
    }

    /// One transaction with `body`, folded into its [`Delivery`].
    fn send_body(&mut self, envelope: Envelope, body: Body<'_>) -> Result<Delivery, DriverError> {
        self.ensure_open()?;
        let now = self.now();
        self.client.send(now, envelope)?;
        let mut fold = DeliveryFold::new();
        self.run(Some(body), &mut |e| fold.on_event(e))?;
        fold.finish().ok_or(DriverError::Closed)
    }

    /// Sends RSET and returns its reply.
    pub fn reset(&mut self) -> Result<Reply, DriverError> {
        self.ensure_open()?;
        let now = self.now();
        self.client.reset(now)?;
        self.command_reply()
    }

    /// Sends NOOP and returns its reply.
    pub fn noop(&mut self) -> Result<Reply, DriverError> {
        self.ensure_open()?;
        let now = self.now();
        self.client.noop(now)?;
        self.command_reply()
    }

    /// Sends QUIT and waits for the server's answer (or its close).
    pub fn quit(mut self) -> Result<(), DriverError> {
        self.ensure_open()?;
        let now = self.now();
        self.client.quit(now)?;
        self.run(None, &mut |_| false)?;
        match self.closed.take() {
            Some(None) | None => Ok(()),
            Some(Some(e)) => Err(self.closing_error(Some(e))),
        }
    }

    fn command_reply(&mut self) -> Result<Reply, DriverError> {
        let mut outcome = None;
        self.run(None, &mut |e| match e {
            Event::CommandDone { reply, .. } => {
                outcome = Some(Ok(reply.clone()));
                true
            }
            Event::CommandFailed { error, .. } => {
                outcome = Some(Err(DriverError::Session(error.clone())));
                true
            }
            _ => false,
        })?;
        outcome.unwrap_or(Err(DriverError::Closed))
    }

    fn ensure_open(&self) -> Result<(), DriverError> {
        if self.closed.is_some() || self.stream.is_none() {
            return Err(DriverError::Closed);
        }
        Ok(())
    }

    /// The error to report for a session that closed with `error`.
    pub(crate) fn closing_error(&mut self, error: Option<Error>) -> DriverError {
        if self.missing_upgrade {
            return DriverError::NoTlsUpgrade;
        }
        if let Some(io) = self.io_error.take() {
            return DriverError::Io(io);
        }
        match error {
            Some(e) => DriverError::Session(e),
            None => DriverError::Closed,
        }
    }

    /// The clock now, remembered for [`recent`](Connection::recent). Read after
    /// every call that may block (a read, a write, a handshake) and at the start of
    /// each request.
    pub(crate) fn now(&mut self) -> Instant {
        let nanos = self.epoch.elapsed().as_nanos();
        self.last_now = Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
        self.last_now
    }

    /// The clock as last read by [`now`](Connection::now): at most the few
    /// microseconds of work since the last call that may block old, which moves a
    /// deadline by as much. For what does not wait (handing the engine body bytes,
    /// arming a socket timeout), so that a message costs a few clock reads, not one
    /// per step.
    pub(crate) fn recent(&self) -> Instant {
        self.last_now
    }
}

impl fmt::Debug for Connection {
    /// The session's state, never its bytes (which may hold credentials).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("ready", &self.client.is_ready())
            .field("closed", &self.client.is_closed())
            .field("tls", &self.client.tls_info().is_some())
            .field("authenticated", &self.client.is_authenticated())
            .field(
                "server",
                &self.client.capabilities().map(|c| c.domain().to_string()),
            )
            .finish_non_exhaustive()
    }
}
