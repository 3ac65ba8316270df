//! Blocking driver for [`smtp_proto`]: one [`Connection`] owns a stream and the
//! engine, and runs whole requests — open (greeting, EHLO, STARTTLS, AUTH), `send`,
//! `reset`, `noop`, `quit` — over any [`Stream`].
//!
//! ```no_run
//! # #[cfg(feature = "rustls")]
//! # fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! use std::time::Duration;
//! use smtp_io_std::{rustls_upgrade, Connection};
//! use smtp_proto::{sasl::Plain, Auth, Config, Envelope, ForwardPath, Host, Recipient, ReversePath};
//!
//! let tls = rustls_upgrade(smtp_io_std::tls::client_config_from_pem("ca.pem")?, "mail.example.org")?;
//! let mut conn = Connection::options(Config::new(Host::parse("client.example.org")?))
//!     .tls_upgrade(tls) // opportunistic STARTTLS is the default; AUTH waits for TLS
//!     .auth(Auth::with(Plain::new(None, "alice", "secret")?))
//!     .connect("mail.example.org:587", Duration::from_secs(30))?;
//! let to = vec![Recipient::new(ForwardPath::parse("bob@example.net")?)];
//! let envelope = Envelope::new(ReversePath::parse("alice@example.org")?, to);
//! let delivery = conn.send(envelope, &mut &b"Subject: hi\r\n\r\nhello\r\n"[..])?;
//! println!("accepted: {}", delivery.all_accepted());
//! conn.quit()?;
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "rustls"))]
//! # fn main() {}
//! ```
//!
//! How it drives the engine: after every input it drains *every* event (so a `Closed`
//! behind a `Ready` in the same read is never missed), hands the body over before it
//! writes (so MAIL, RCPT and `BDAT n LAST` with its data leave in one vectored write),
//! writes with the engine's deadline as the socket's write timeout (a server that
//! stops reading ends the session with a `timeout` error instead of hanging), and
//! while a long flight or body is still going out it looks for replies without
//! blocking, so a server that refuses a chunk or sends `421` mid-body is heard at once
//! (RFC 3030 §2: no more BDAT after an error). Each request returns only when the
//! session is ready again or closed.
//!
//! Memory: a message already in memory goes with
//! [`send_bytes`](Connection::send_bytes), as slices of its own buffer (no copy, no
//! read buffer); [`send`](Connection::send) streams from any reader through one
//! buffer that starts at 16 KiB and doubles when a body fills it, up to what the
//! engine takes at once (`Config::max_pending_body`, 256 KiB by default), zeroed
//! only where it grows: a body that fits goes as one BDAT chunk.
//! Replies are read 2 KiB at a
//! time, so an idle connection holds under 4 KiB of heap with the engine's buffers
//! (`tests/memory.rs` measures it).
//!
//! TLS: the driver depends on no TLS library. Give it a [`TlsUpgrade`] — or turn on
//! the `rustls` feature for [`rustls_upgrade`], which forwards timeouts and vectored
//! writes and fills [`smtp_proto::TlsInfo`] (version, cipher, peer certificates,
//! `tls-exporter` binding for SCRAM-PLUS).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod connection;
mod drive;
mod error;
mod options;
mod stream;
#[cfg(feature = "rustls")]
pub mod tls;

pub use connection::Connection;
pub use error::DriverError;
pub use options::{Options, TlsUpgrade, TraceHook};
pub use smtp_proto::Delivery;
pub use stream::{connect, Stream};
#[cfg(feature = "rustls")]
pub use tls::rustls_upgrade;
