//! Errors — decision 4: a [`UsageError`] is returned at once when the caller
//! misuses the API (state unchanged); a session [`Error`] arrives in an event when the
//! server misbehaved, refused, or the network failed.

use alloc::string::String;
use core::fmt;

use crate::address::AddressError;
use crate::command::{CommandError, Verb};
use crate::data::DataError;
use crate::escape::Escaped;
use crate::reply::{EnhancedCode, Reply};

/// What kind of failure a session [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The server answered with an error reply (the reply is attached).
    Status,
    /// The server broke the protocol: malformed, unexpected or mixed-code reply.
    Protocol,
    /// Bytes arrived after STARTTLS's 220 before TLS was up (response injection).
    Injection,
    /// STARTTLS refused or the TLS handshake failed.
    Tls,
    /// Authentication could not be done or was refused.
    Auth,
    /// The message is larger than the server's SIZE (RFC 1870).
    Size,
    /// The message needs 8BITMIME and the server did not offer it (transient, as mox).
    EightBitMime,
    /// The message needs SMTPUTF8 and the server did not offer it.
    SmtpUtf8,
    /// REQUIRETLS was asked for and the server or the session cannot honour it.
    RequireTls,
    /// A recipient was not tried because of the server's limits (452, RCPTMAX).
    Limits,
    /// The connection was closed (EOF, or the session had already ended).
    Closed,
    /// A reply (or write progress) did not come within its deadline.
    Timeout,
    /// The message needs BINARYMIME and the server did not offer it with CHUNKING.
    BinaryMime,
}

impl ErrorKind {
    /// The kind's name as transcripts write it (`status`, `eightbitmime`, ...).
    pub fn as_str(&self) -> &'static str {
        match self {
            ErrorKind::Status => "status",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Injection => "injection",
            ErrorKind::Tls => "tls",
            ErrorKind::Auth => "auth",
            ErrorKind::Size => "size",
            ErrorKind::EightBitMime => "eightbitmime",
            ErrorKind::SmtpUtf8 => "smtputf8",
            ErrorKind::RequireTls => "requiretls",
            ErrorKind::Limits => "limits",
            ErrorKind::Closed => "closed",
            ErrorKind::Timeout => "timeout",
            ErrorKind::BinaryMime => "binarymime",
        }
    }
}

/// A session error: the server's or the network's fault, never the caller's.
/// Says whether retrying later can help, which command the failing reply answered,
/// and carries the server's whole reply when there was one.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Error {
    /// What failed.
    pub kind: ErrorKind,
    /// True when retrying the same thing cannot succeed (5yz, or a local permanent
    /// reason such as SIZE); false for transient failures.
    pub permanent: bool,
    /// The command the failing reply answered (or that was in flight).
    pub command: Option<Verb>,
    /// The server's reply, every line of it, when a reply caused the error.
    pub reply: Option<Reply>,
    /// What happened, in words.
    pub detail: String,
}

impl Error {
    /// An error of `kind` without a reply. Drivers use it for failures of their own
    /// (a socket that closed, say) so callers see one error type.
    pub fn new(
        kind: ErrorKind,
        permanent: bool,
        command: Option<Verb>,
        detail: impl Into<String>,
    ) -> Error {
        Error {
            kind,
            permanent,
            command,
            reply: None,
            detail: detail.into(),
        }
    }

    /// A `status` error from a negative reply; permanent when the code is 5yz.
    pub(crate) fn status(command: Verb, reply: Reply, detail: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Status,
            permanent: reply.is_permanent(),
            command: Some(command),
            reply: Some(reply),
            detail: detail.into(),
        }
    }

    /// Attaches the reply that caused the error.
    #[must_use]
    pub fn with_reply(mut self, reply: Reply) -> Error {
        self.reply = Some(reply);
        self
    }

    /// The reply code, if a reply caused the error.
    pub fn code(&self) -> Option<u16> {
        self.reply.as_ref().map(|r| r.code)
    }

    /// The enhanced status code, if the reply carried one.
    pub fn enhanced(&self) -> Option<EnhancedCode> {
        self.reply.as_ref().and_then(|r| r.enhanced)
    }
}

impl fmt::Display for Error {
    /// One line: permanence, kind, what happened, and the command and reply. Server
    /// text has its control characters escaped (rule 20), so it cannot forge log
    /// lines; the raw bytes stay on [`Error::reply`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let lasting = if self.permanent {
            "permanent"
        } else {
            "transient"
        };
        write!(
            f,
            "{} {} error: {}",
            lasting,
            self.kind.as_str(),
            Escaped(self.detail.as_bytes())
        )?;
        match (self.command, &self.reply) {
            (Some(cmd), Some(r)) => write!(f, " (after {cmd}: {r})"),
            (Some(cmd), None) => write!(f, " (after {cmd})"),
            (None, Some(r)) => write!(f, " ({r})"),
            (None, None) => Ok(()),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for Error {}

/// The caller misused the API; nothing changed and nothing was written.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// The session is not ready for this request: still opening, or another request
    /// is in progress. Wait for [`crate::Event::Ready`].
    #[error("session not ready for this request")]
    NotReady,
    /// No message body is wanted now (no transaction, or before the 354/after `end_body`).
    #[error("no message body is wanted now")]
    NoBodyWanted,
    /// An envelope without recipients.
    #[error("envelope has no recipients")]
    NoRecipients,
    /// An address in the envelope is invalid.
    #[error("invalid address: {0}")]
    Address(#[from] AddressError),
    /// A command argument or parameter is invalid.
    #[error("invalid command: {0}")]
    Command(#[from] CommandError),
    /// A parameter needs an extension the server did not advertise (e.g. `DSN`).
    #[error("the server did not advertise {0}")]
    NotAdvertised(&'static str),
    /// The body holds a bare CR or LF and the line-ending policy is `Reject`.
    #[error("message body: {0}")]
    Body(#[from] DataError),
    /// The configuration is inconsistent (e.g. an EHLO name that is not a host).
    #[error("invalid configuration: {0}")]
    Config(&'static str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_kind_the_command_and_the_reply_when_known() {
        let reply = Reply::new(550, &["5.1.1 no such user"]);
        let both = Error::new(
            ErrorKind::Status,
            true,
            Some(Verb::Rcpt),
            "recipient refused",
        )
        .with_reply(reply.clone());
        assert_eq!(
            both.to_string(),
            "permanent status error: recipient refused (after RCPT: 550 5.1.1 no such user)"
        );
        let command = Error::new(ErrorKind::Timeout, false, Some(Verb::Data), "no reply");
        assert_eq!(
            command.to_string(),
            "transient timeout error: no reply (after DATA)"
        );
        let reply_only = Error::new(ErrorKind::Status, false, None, "closing").with_reply(reply);
        assert_eq!(
            reply_only.to_string(),
            "transient status error: closing (550 5.1.1 no such user)"
        );
        let bare = Error::new(ErrorKind::Closed, false, None, "gone");
        assert_eq!(bare.to_string(), "transient closed error: gone");
    }
}
