//! A sans-IO SMTP and LMTP client protocol engine.
//!
//! (Crate docs with the driving loop arrive with the session engine.)
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
pub mod reply;
pub mod sasl;
pub mod tls;
pub mod time;
pub mod tlsrpt;
pub mod xtext;

pub use address::{AddressError, Domain, ForwardPath, Host, Mailbox, ReversePath};
pub use capabilities::{Capabilities, Limits};
pub use client::{Client, Config, Envelope, Event, Recipient, TlsMode, Trace, Transmit};
pub use error::{Error, ErrorKind, UsageError};
pub use time::{Instant, Timeouts};
pub use command::{Command, CommandError, MailParams, RcptParams, Verb};
pub use data::{BdatEncoder, DataEncoder, DataError, LineEndings};
pub use reply::{EnhancedCode, Reply, ReplyError, ReplyLimits, ReplyParser};
pub use tls::{ChannelBinding, ChannelBindingKind, TlsFailure, TlsFailureKind, TlsInfo};
