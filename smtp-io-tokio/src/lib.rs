//! Async driver for [`smtp_proto`] over tokio `AsyncRead + AsyncWrite` streams.
//!
//! [`smtp_proto::Client`] is a pure state machine; this crate runs it over a real
//! stream. A [`Connection`] owns the stream and the engine: it writes what the
//! engine queues as gather writes, feeds it what the server sends, streams message
//! bodies from any `AsyncRead` in chunks the engine sizes, arms the engine's
//! deadlines on tokio's timer, and hands the stream to a TLS upgrade when the engine
//! asks for TLS. The TLS library is the caller's choice ([`TlsUpgrade`]); the
//! optional `rustls` feature supplies one (`Options::rustls`). The default
//! features pull in no TLS code.
//!
//! # Example
//!
//! STARTTLS with rustls against roots from a PEM file, AUTH PLAIN, one message
//! (needs the `rustls` feature, and `tokio` with `rt` and `macros`):
//!
#![cfg_attr(feature = "rustls", doc = "```no_run")]
#![cfg_attr(not(feature = "rustls"), doc = "```ignore")]
//! use std::time::Duration;
//! use smtp_io_tokio::{client_config_from_pem, Connection};
//! use smtp_proto::{sasl::Plain, Auth, Config, Envelope, ForwardPath, Host, Recipient, ReversePath};
//!
//! #[tokio::main(flavor = "current_thread")]
//! async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//!     let roots = client_config_from_pem("/etc/ssl/certs/ca-certificates.crt")?;
//!     let mut conn = Connection::options(Config::new(Host::parse("client.example")?))
//!         .rustls(roots, "mail.example.net".try_into()?) // STARTTLS: opportunistic by default
//!         .auth(Auth::with(Plain::new(None, "user", "secret")?)) // only ever over TLS
//!         .connect("mail.example.net:587", Duration::from_secs(30))
//!         .await?;
//!     let to = vec![Recipient::new(ForwardPath::parse("b@example.net")?)];
//!     let envelope = Envelope::new(ReversePath::parse("a@example.org")?, to);
//!     let delivery = conn.send(envelope, &b"Subject: hi\r\n\r\nhello\r\n"[..]).await?;
//!     println!("accepted: {}", delivery.all_accepted());
//!     conn.quit().await?;
//!     Ok(())
//! }
//! ```
//!
//! A message already in memory goes with [`Connection::send_bytes`]: its bytes are
//! written as slices of its own buffer, without a copy.
//!
//! # How a call is driven
//!
//! Every call ([`Options::open`], [`Connection::send`], [`Connection::reset`],
//! [`Connection::noop`], [`Connection::quit`]) follows the engine's call-order
//! contract: it acts on *every* event an input produced before it waits again, then
//! waits for whichever comes first of the socket taking bytes, the socket having
//! bytes, the body reader having bytes and the engine's next deadline. So the driver
//! reads while it writes: a server that refuses a BDAT chunk or sends `421` in the
//! middle of a long body is heard at once and the body stops there (RFC 3030 §2),
//! and one that stops reading runs into the engine's `data_block` deadline (rule 10)
//! rather than a write that blocks forever. A call returns only once its request has
//! ended and the session is ready again or closed — late replies (a `503` to DATA
//! after every RCPT failed, `551`s to chunks still in flight) are consumed first, so
//! the next call starts clean.
//!
//! # Results and errors
//!
//! [`Connection::send`] returns the shared [`smtp_proto::Delivery`] whenever the
//! engine took the envelope: one result per recipient and one for the transaction,
//! also when the transaction failed or the session ended during it (rule 18).
//! [`DriverError`] is for calls that could not do their work at all: a socket error,
//! a session that ended (with the engine's [`smtp_proto::Error`]), a usage error, a
//! closed or cancelled connection.
//!
//! # Cancel safety
//!
//! Dropping a call's future mid-request leaves the session in an unknown state; the
//! connection then closes its stream and every later call returns
//! [`DriverError::Cancelled`]. See [`Connection`].
//!
//! # Many sessions
//!
//! A connection holds a 2 KiB read buffer and the engine's bounded queues (an idle
//! one under 4 KiB of heap, which `tests/memory.rs` measures); a body read from a
//! reader adds a buffer reserved 16 KiB at a time, up to the engine's
//! `max_pending_body`, and one given whole (`send_bytes`) none. It spawns nothing
//! and needs no thread of its own, so thousands run side by side in one runtime.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod clock;
mod connection;
mod drive;
mod error;
mod options;
mod stream;
#[cfg(feature = "rustls")]
mod tls_rustls;

pub use connection::Connection;
pub use error::DriverError;
pub use options::Options;
pub use smtp_proto::Delivery;
pub use stream::{connect, AsyncStream, TlsUpgrade};
#[cfg(feature = "rustls")]
pub use tls_rustls::client_config_from_pem;
