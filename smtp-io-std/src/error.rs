//! Why a driver call failed: the socket, the session, the caller, or a missing TLS
//! upgrade.

use std::io;

use smtp_proto::{Error, UsageError};

/// Why a driver call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DriverError {
    /// The socket failed (connect, read or write) outside a request the engine can
    /// report on.
    #[error("i/o: {0}")]
    Io(#[from] io::Error),
    /// The session ended with this error (the server's or the network's fault).
    #[error("session: {0}")]
    Session(Error),
    /// The session was already closed.
    #[error("the session is closed")]
    Closed,
    /// The request was refused by the engine (the caller's fault); nothing was sent.
    #[error("usage: {0}")]
    Usage(#[from] UsageError),
    /// The engine asked for TLS (the server offered STARTTLS in opportunistic mode,
    /// or TLS was required) and no TLS upgrade was configured.
    #[error("the session needs a TLS upgrade and none was configured")]
    NoTlsUpgrade,
}
