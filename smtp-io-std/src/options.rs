//! How a [`Connection`] is set up: the engine's [`Config`], AUTH, the TLS upgrade and
//! a trace hook, then [`Options::open`] over a stream or [`Options::connect`] to an
//! address.

use std::fmt;
use std::net::ToSocketAddrs;
use std::time::Duration;

use smtp_proto::{Auth, Config, TlsFailure, TlsInfo, Trace};

use crate::{connect, Connection, DriverError, Stream};

/// The caller's TLS upgrade: takes the plaintext stream, runs the handshake, and
/// returns the TLS stream (which must forward timeouts, non-blocking mode and
/// vectored writes to the socket) with facts about it — or a typed failure.
pub type TlsUpgrade =
    Box<dyn FnMut(Box<dyn Stream>) -> Result<(Box<dyn Stream>, TlsInfo), TlsFailure> + Send>;

/// A hook that sees every line written and read (with `Config::trace`), AUTH
/// payloads already redacted by the engine.
pub type TraceHook = Box<dyn FnMut(&Trace) + Send>;

/// Everything a [`Connection`] needs besides its stream. Made by
/// [`Connection::options`].
pub struct Options {
    pub(crate) config: Config,
    pub(crate) auth: Option<Auth>,
    pub(crate) upgrade: Option<TlsUpgrade>,
    pub(crate) trace: Option<TraceHook>,
}

impl Options {
    pub(crate) fn new(config: Config) -> Options {
        Options {
            config,
            auth: None,
            upgrade: None,
            trace: None,
        }
    }

    /// Authenticate after EHLO (and after TLS) with these mechanisms.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Options {
        self.auth = Some(auth);
        self
    }

    /// Use this TLS upgrade when the engine asks for TLS (STARTTLS or implicit TLS).
    #[must_use]
    pub fn tls_upgrade(mut self, upgrade: TlsUpgrade) -> Options {
        self.upgrade = Some(upgrade);
        self
    }

    /// Send every traced line to `hook` and turn tracing on in the engine.
    #[must_use]
    pub fn on_trace(mut self, hook: impl FnMut(&Trace) + Send + 'static) -> Options {
        self.config.trace = true;
        self.trace = Some(Box::new(hook));
        self
    }

    /// Runs the opening (greeting, EHLO, STARTTLS, AUTH) over `stream` until the
    /// session is ready.
    pub fn open(self, stream: impl Stream + 'static) -> Result<Connection, DriverError> {
        Connection::open_with(Box::new(stream), self)
    }

    /// Connects to `addr` ([`connect`]: `TCP_NODELAY`, `timeout` per address) and
    /// opens the session.
    pub fn connect(
        self,
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> Result<Connection, DriverError> {
        let tcp = connect(addr, timeout)?;
        self.open(tcp)
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("config", &self.config)
            .field("auth", &self.auth)
            .field("tls_upgrade", &self.upgrade.is_some())
            .field("trace", &self.trace.is_some())
            .finish()
    }
}
