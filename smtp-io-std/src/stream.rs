//! The byte stream a [`Connection`](crate::Connection) runs over, and a TCP connect
//! helper.
//!
//! Deadlines are the engine's (RFC 5321 §4.5.3.2 per phase, rule 10): the driver turns
//! them into socket read and write timeouts, and briefly switches the socket to
//! non-blocking mode to look for a reply while it is still writing (a server that
//! refuses a BDAT chunk mid-body must be heard before the rest goes out, RFC 3030 §2).
//! So a stream must forward all three settings: there is no silent default.

use std::io::{self, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// A byte stream the driver can run a session over. Implement it for a TLS stream
/// by forwarding to the socket underneath (the `rustls` feature has one ready), and
/// forward `write_vectored` too, so a flight goes out in one write.
pub trait Stream: Read + Write + Send {
    /// Bounds the next reads (`None`: block). Must reach the socket: otherwise a
    /// silent server blocks the driver past every deadline.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
    /// Bounds the next writes (`None`: block). Must reach the socket: otherwise a
    /// server that stops reading blocks the driver forever.
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()>;
    /// Switches reads and writes to non-blocking (`WouldBlock` instead of waiting).
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()>;
    /// A fatal TLS alert the server sent, if the stream saw one since the last call
    /// (RFC 8446 §6); the driver tells the engine for the TLS report.
    fn take_tls_alert(&mut self) -> Option<u8> {
        None
    }
}

impl Stream for TcpStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_read_timeout(self, timeout)
    }
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        TcpStream::set_write_timeout(self, timeout)
    }
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        TcpStream::set_nonblocking(self, nonblocking)
    }
}

impl Stream for Box<dyn Stream> {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_read_timeout(timeout)
    }
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        (**self).set_write_timeout(timeout)
    }
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        (**self).set_nonblocking(nonblocking)
    }
    fn take_tls_alert(&mut self) -> Option<u8> {
        (**self).take_tls_alert()
    }
}

/// Connects to the first address of `addr` that answers within `timeout`, with
/// `TCP_NODELAY` on: the engine writes whole flights, so Nagle's algorithm would only
/// hold the last piece of one back for a round trip.
pub fn connect(addr: impl ToSocketAddrs, timeout: Duration) -> io::Result<TcpStream> {
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address to connect to");
    for a in addr.to_socket_addrs()? {
        match TcpStream::connect_timeout(&a, timeout) {
            Ok(s) => {
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = e,
        }
    }
    Err(last)
}
