//! What a driver call can fail with, as one type: the socket's fault, the session's
//! (the server's, in an engine [`smtp_proto::Error`]), the caller's, or the driver's
//! own state.

use std::io;

use smtp_proto::UsageError;

/// Why a driver call failed.
///
/// A transaction that failed is not an error of [`Connection::send`](crate::Connection::send):
/// its [`Delivery`](smtp_proto::Delivery) carries the per-recipient errors. These
/// variants are for calls that could not do their work at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The socket failed (or, during [`Connection::send`](crate::Connection::send),
    /// reading the message body did).
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The session ended with this error: the server refused, broke the protocol,
    /// went silent, or the TLS handshake failed.
    #[error("session: {0}")]
    Session(smtp_proto::Error),
    /// The engine refused the request (the caller's fault); nothing was written.
    #[error("usage: {0}")]
    Usage(#[from] UsageError),
    /// The engine asked for TLS and no upgrade was supplied
    /// ([`Options::tls_upgrade`](crate::Options::tls_upgrade)). Opportunistic
    /// STARTTLS asks for it too, whenever the server offers STARTTLS.
    #[error("the server offered STARTTLS (or TLS was required) but no TLS upgrade was supplied")]
    NoTlsUpgrade,
    /// The session is closed: it ended earlier, or ended before the request finished.
    #[error("the session is closed")]
    Closed,
    /// An earlier call's future was dropped before it finished, so the session's
    /// state at the server is unknown; the connection was closed and takes no more
    /// requests.
    #[error("an earlier request on this connection was cancelled; the connection is closed")]
    Cancelled,
}
