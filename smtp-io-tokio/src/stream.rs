//! What the driver runs a session over: any tokio byte stream, the caller's TLS
//! upgrade for it, and a TCP connect with the settings an SMTP client wants.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::time::Duration;

use smtp_proto::{TlsFailure, TlsInfo};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpStream, ToSocketAddrs};

/// A byte stream a session can run over: a `TcpStream`, a TLS stream around one,
/// a `tokio::io::DuplexStream` in tests. Implemented for every such type.
pub trait AsyncStream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> AsyncStream for T {}

/// The caller's TLS upgrade: takes the plaintext stream when the engine asks for TLS
/// ([`smtp_proto::Event::StartTls`], after STARTTLS's `220` or at once for implicit
/// TLS), runs the handshake, and returns the TLS stream with facts about it (the
/// channel binding SCRAM-PLUS needs, the peer's certificates), or a typed failure
/// for the TLS report (RFC 8460 §4.3).
///
/// The driver bounds the returned future by the engine's `starttls` timeout.
pub type TlsUpgrade = Box<
    dyn FnMut(
            Box<dyn AsyncStream>,
        ) -> Pin<
            Box<dyn Future<Output = Result<(Box<dyn AsyncStream>, TlsInfo), TlsFailure>> + Send>,
        > + Send,
>;

/// Opens a TCP connection within `timeout` (trying each resolved address in turn)
/// and turns Nagle's algorithm off: the driver writes whole flights itself, and a
/// small command must not wait for the previous one's acknowledgement.
///
/// A connection that is not up in time fails with [`io::ErrorKind::TimedOut`].
pub async fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> io::Result<TcpStream> {
    let stream = tokio::time::timeout(timeout, TcpStream::connect(addr))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TCP connect timed out"))??;
    stream.set_nodelay(true)?;
    Ok(stream)
}
