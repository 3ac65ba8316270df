//! A sans-IO SMTP and LMTP client protocol engine.
//!
//! One [`Client`] is one session. It never touches a socket, a TLS library, a
//! resolver or a clock: the driver hands it the bytes the server sent
//! ([`Client::receive`]), facts ([`Client::tls_established`], [`Client::handle_timeout`])
//! and requests ([`Client::send`], [`Client::body`], [`Client::quit`]), and takes back
//! bytes to write ([`Client::transmit`]), [`Event`]s, and the next deadline
//! ([`Client::poll_timeout`]). The same engine serves blocking and async drivers,
//! fuzzers, FFI bindings and transcript tests that replay a whole session byte for byte.
//!
//! # A complete driving loop
//!
//! A blocking driver over a `TcpStream`, plaintext (a local relay), one message. Time
//! is a monotonic [`Instant`] the caller makes from its own clock. The default TLS mode
//! is opportunistic STARTTLS; this loop has no TLS library, so it says so.
//!
//! ```no_run
//! use std::io::{Read, Write};
//! use std::net::TcpStream;
//! use std::time::{Duration, Instant as StdInstant};
//!
//! use bytes::Bytes;
//! use smtp_proto::{Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient, ReversePath, TlsMode};
//!
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let epoch = StdInstant::now();
//!     let now = || Instant::from_nanos(epoch.elapsed().as_nanos() as u64);
//!     let mut stream = TcpStream::connect("127.0.0.1:25")?;
//!     let mut config = Config::new(Host::parse("client.example")?);
//!     config.tls = TlsMode::None;
//!     let mut client = Client::new(now(), config);
//!
//!     let mut message = Some(Envelope::new(
//!         ReversePath::parse("a@example.org")?,
//!         vec![Recipient::new(ForwardPath::parse("b@example.net")?)],
//!     ));
//!     let mut body = Bytes::from_static(b"Subject: hi\r\n\r\nhello\r\n");
//!     let mut buf = [0u8; 4096];
//!     loop {
//!         // 1. Write everything the engine has queued.
//!         while !client.transmit().is_empty() {
//!             let n = stream.write(client.transmit().chunk())?;
//!             client.transmitted(now(), n);
//!         }
//!         // 2. Drain events.
//!         while let Some(event) = client.poll_event() {
//!             match event {
//!                 Event::Ready => match message.take() {
//!                     Some(env) => client.send(now(), env)?,
//!                     None => client.quit(now())?,
//!                 },
//!                 Event::RecipientRejected { index, error } => eprintln!("rcpt {index}: {error}"),
//!                 Event::Delivered { reply } => println!("delivered: {}", reply.text()),
//!                 Event::TransactionFailed { error } => eprintln!("failed: {error}"),
//!                 Event::Closed { error } => {
//!                     // Flush a best-effort QUIT, then we are done.
//!                     let _ = stream.write_all(&client.transmit().to_vec());
//!                     return match error { None => Ok(()), Some(e) => Err(e.into()) };
//!                 }
//!                 _ => {}
//!             }
//!         }
//!         // 3. Hand over the body while the engine wants it.
//!         while !body.is_empty() && client.body_capacity() > 0 {
//!             let taken = client.body(now(), body.clone())?;
//!             let _ = body.split_to(taken);
//!             if body.is_empty() {
//!                 client.end_body(now())?;
//!             }
//!         }
//!         if !client.transmit().is_empty() {
//!             continue;
//!         }
//!         // 4. Read, within the engine's deadline.
//!         let wait = client.poll_timeout().map(|t| {
//!             Duration::from_nanos(t.as_nanos().saturating_sub(now().as_nanos())).max(Duration::from_millis(1))
//!         });
//!         stream.set_read_timeout(wait)?;
//!         match stream.read(&mut buf) {
//!             Ok(0) => client.receive_eof(now()),
//!             Ok(n) => client.receive(now(), &buf[..n]),
//!             Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::TimedOut => {
//!                 client.handle_timeout(now())
//!             }
//!             Err(e) => return Err(e.into()),
//!         }
//!     }
//! }
//! ```
//!
//! # The call-order contract
//!
//! After **any** input or request: write what [`Client::transmit`] shows and report
//! it with [`Client::transmitted`]; take every [`Client::poll_event`]; re-arm the
//! timer from [`Client::poll_timeout`]. The engine stays correct if a caller does
//! these in another order, or later: nothing is lost, only delayed. Requests
//! ([`Client::send`], [`Client::reset`], [`Client::noop`], [`Client::quit`]) are taken
//! only after [`Event::Ready`]; otherwise they return [`UsageError::NotReady`] and
//! change nothing. A driver should keep reading while it writes during a pipelined
//! flight, so a server that stops reading cannot deadlock it.
//!
//! # STARTTLS
//!
//! With [`TlsMode::Opportunistic`] or [`TlsMode::RequiredStartTls`] the engine sends
//! STARTTLS and, on the server's 220, emits [`Event::StartTls`]: write what is queued
//! (nothing plaintext follows), run the TLS handshake on the same stream, then call
//! [`Client::tls_established`] (or [`Client::tls_failed`]) and keep driving over the
//! TLS stream. Any byte the server sends after the 220 and before the handshake is a
//! response-injection attack and ends the session ([`ErrorKind::Injection`]). After
//! TLS every capability is forgotten and EHLO is sent again (RFC 3207 §4.2). With
//! [`TlsMode::Immediate`] the first event is [`Event::StartTls`], before the greeting.
//!
//! # Errors
//!
//! A [`UsageError`] is returned at once when the caller misuses the API; nothing has
//! changed. A session [`Error`] arrives in an event and says whose fault it is: its
//! [`ErrorKind`], whether it is permanent, the reply code and enhanced code, the
//! command the failing reply answered, and the server's whole text.
//!
//! # Recipients
//!
//! Every recipient of an [`Envelope`] gets exactly one outcome event,
//! [`Event::RecipientAccepted`] or [`Event::RecipientRejected`], before the event that
//! ends its transaction ([`Event::Delivered`] or [`Event::TransactionFailed`]) — also
//! when the connection drops, a deadline passes or a 421 arrives first (rule 18).
//!
//! # Session states
//!
//! The whole protocol at a glance. "Fails" means the session closes with the error in
//! [`Event::Closed`]; "botched" means its state at the server is unknown, so nothing
//! more is written, not even QUIT.
//!
//! | state | entered | what moves it on | next |
//! | --- | --- | --- | --- |
//! | `AwaitImplicitTls` | [`Client::new`] with [`TlsMode::Immediate`] ([`Event::StartTls`] at once) | `tls_established` · `tls_failed` · any byte (injection) | `Opening` · closed · botched |
//! | `Opening` | [`Client::new`]; after every TLS handshake | `220` greeting → EHLO/LHLO; `250` to EHLO → STARTTLS, AUTH or ready; 500–504 → HELO; other greeting or hello reply → fails, QUIT best-effort | `StartTls` · `Auth` · `Ready` · closed |
//! | `StartTls` | STARTTLS written (rule 1) | `220` → [`Event::StartTls`]; anything else → `tls` error | `AwaitTls` · closed |
//! | `AwaitTls` | STARTTLS answered `220` | `tls_established` → EHLO again (rule 2); `tls_failed` → `tls` error; any byte → `injection` | `Opening` · closed · botched |
//! | `Auth` | AUTH written (rules 15, 16) | `334` → next step; `235` → [`Event::Authenticated`]; other → `status`/`auth` error | `Auth` · `Ready` · closed |
//! | `Ready` | nothing in flight ([`Event::Ready`]) | `send` · `reset` · `noop` · `vrfy` → request; `quit` → QUIT | `Busy` · `Quitting` |
//! | `Busy` | a request is running | its ending event (`Delivered`, `TransactionFailed`, `CommandDone`, `CommandFailed`) | `Ready` |
//! | `Quitting` | QUIT written | `221` or EOF | closed, no error |
//! | closed | any of the above | every later request fails with `closed` and writes nothing (rule 9) | — |
//!
//! From every state but closed: `421` closes with a transient error for whatever was
//! in flight (rule 9); a malformed reply, a reply to nothing sent, EOF or a passed
//! deadline closes it botched.
//!
//! # Rules
//!
//! The behaviour choices the code cites as "rule N" and "decision N" are written out,
//! numbered, in [`rules`].
#![cfg_attr(not(feature = "std"), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

pub mod address;
pub mod capabilities;
pub mod client;
pub mod command;
pub mod data;
pub mod error;
pub mod escape;
mod line_scan;
pub mod reply;
mod reply_text;
#[doc = include_str!("rules.md")]
pub mod rules {}
pub mod sasl;
mod swar;
pub mod time;
pub mod tls;
pub mod tlsrpt;
pub mod xtext;

pub use address::{
    AddressError, AddressLiteral, Domain, ForwardPath, GeneralLiteral, Host, Mailbox, ReversePath,
};
pub use capabilities::{Capabilities, Limits};
pub use client::{
    Auth, Client, Config, Delivery, DeliveryFold, Envelope, Event, Recipient, TlsMode, Trace,
    Transmit,
};
pub use command::{Command, CommandError, MailParams, RcptParams, Verb};
pub use data::{BdatEncoder, DataEncoder, DataError, LineEndings};
pub use error::{Error, ErrorKind, UsageError};
pub use escape::Escaped;
pub use reply::{EnhancedCode, Reply, ReplyError, ReplyLimits, ReplyParser};
pub use time::{Instant, Timeouts};
pub use tls::{ChannelBinding, ChannelBindingKind, TlsFailure, TlsFailureKind, TlsInfo};
