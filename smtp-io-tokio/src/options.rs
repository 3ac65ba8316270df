//! How a session is opened: the engine's [`Config`] plus what only the driver can
//! hold — AUTH credentials, the TLS upgrade, a trace hook — gathered by a builder
//! so that adding a setting breaks no caller.

use std::fmt;
use std::time::Duration;

use smtp_proto::{Auth, Config, Trace};
use tokio::net::ToSocketAddrs;

use crate::connection::Connection;
use crate::error::DriverError;
use crate::stream::{AsyncStream, TlsUpgrade};

/// The caller's trace hook.
pub(crate) type TraceHook = Box<dyn FnMut(&Trace) + Send>;

/// Everything a session needs before it opens. Made by [`Connection::options`];
/// finished by [`Options::open`] (over a stream you have) or [`Options::connect`]
/// (over a new TCP connection).
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

    /// Authenticates after EHLO (and after TLS): the first of `auth`'s mechanisms
    /// the server offers is used. Failing AUTH ends the session before any MAIL
    /// (rule 15); without TLS it is refused unless `Config::allow_plaintext_auth`.
    #[must_use]
    pub fn auth(mut self, auth: Auth) -> Self {
        self.auth = Some(auth);
        self
    }

    /// The TLS upgrade to run when the engine asks for TLS: after STARTTLS's `220`
    /// (opportunistic or required STARTTLS) or before the greeting
    /// ([`TlsMode::Immediate`](smtp_proto::TlsMode::Immediate)). Without one, a
    /// session that meets STARTTLS fails with [`DriverError::NoTlsUpgrade`].
    #[must_use]
    pub fn tls_upgrade(mut self, upgrade: TlsUpgrade) -> Self {
        self.upgrade = Some(upgrade);
        self
    }

    /// TLS with rustls: verifies the server as `server_name` with `config`'s roots
    /// and fills [`TlsInfo`](smtp_proto::TlsInfo) with the protocol, cipher suite,
    /// peer certificates and the `tls-exporter` channel binding (RFC 9266).
    #[cfg(feature = "rustls")]
    #[must_use]
    pub fn rustls(
        self,
        config: std::sync::Arc<rustls::ClientConfig>,
        server_name: rustls::pki_types::ServerName<'static>,
    ) -> Self {
        self.tls_upgrade(crate::tls_rustls::upgrade(config, server_name))
    }

    /// Calls `hook` with every command written and reply read, for logs (the engine
    /// emits them when `Config::trace` is set). Secrets never reach it: AUTH lines
    /// are `<redacted>` (rule 11).
    #[must_use]
    pub fn on_trace(mut self, hook: impl FnMut(&Trace) + Send + 'static) -> Self {
        self.trace = Some(Box::new(hook));
        self
    }

    /// Runs the opening over `stream` — greeting, EHLO, STARTTLS, AUTH — until the
    /// session is ready for a message. Fails with [`DriverError::Session`] when the
    /// server refused or the TLS handshake failed (also when a server pushes bytes
    /// after STARTTLS's `220`: an [`Injection`](smtp_proto::ErrorKind::Injection)
    /// error).
    pub async fn open(self, stream: impl AsyncStream + 'static) -> Result<Connection, DriverError> {
        Connection::open(self, Box::new(stream)).await
    }

    /// Connects to `addr` within `timeout` (see [`crate::connect`]), then runs
    /// [`Options::open`] over the new connection.
    pub async fn connect(
        self,
        addr: impl ToSocketAddrs,
        timeout: Duration,
    ) -> Result<Connection, DriverError> {
        let stream = crate::stream::connect(addr, timeout).await?;
        self.open(stream).await
    }
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `Auth`'s Debug names mechanisms only; the upgrade and hook are opaque.
        f.debug_struct("Options")
            .field("config", &self.config)
            .field("auth", &self.auth)
            .field("tls_upgrade", &self.upgrade.is_some())
            .field("on_trace", &self.trace.is_some())
            .finish()
    }
}
