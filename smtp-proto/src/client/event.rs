//! What the engine tells its driver (decision 5): owned, `#[non_exhaustive]`
//! events that cross FFI and `.await` points.

use alloc::boxed::Box;
use alloc::string::String;

use crate::capabilities::Capabilities;
use crate::command::Verb;
use crate::error::Error;
use crate::reply::Reply;

/// Something the driver should know or act on. Drain with `Client::poll_event`
/// after every input.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The server's 220 arrived (once per session). `domain` is its first word.
    Greeting {
        /// The name the server gave (RFC 5321 §4.3.1).
        domain: String,
        /// The whole greeting.
        reply: Reply,
    },
    /// EHLO/LHLO was answered (after TLS, again: only the newest counts, RFC 3207
    /// §4.2). After a HELO fallback, empty capabilities. Boxed, so that every event
    /// stays small in the queue an idle session keeps.
    Capabilities(Box<Capabilities>),
    /// Switch the connection to TLS *now*: nothing more is written in plaintext until
    /// `tls_established` or `tls_failed`. Emitted after STARTTLS's 220, and at once
    /// for implicit TLS.
    StartTls,
    /// AUTH succeeded with this mechanism.
    Authenticated {
        /// The mechanism name.
        mechanism: String,
    },
    /// The session can take a request (`send`, `reset`, `noop`, `quit`). Emitted when
    /// the session opens and after each request ends.
    Ready,
    /// A recipient's outcome is success: RCPT was answered 2yz (SMTP), or the
    /// recipient's reply after the data was 2yz (LMTP, RFC 2033 §4.2). Index into
    /// the envelope's recipients. Every recipient gets exactly one
    /// `RecipientAccepted` or [`Event::RecipientRejected`], before the event that
    /// ends its transaction (behaviour choice 18).
    RecipientAccepted {
        /// Recipient index.
        index: usize,
        /// The server's reply.
        reply: Reply,
    },
    /// A recipient's outcome is failure: refused at RCPT (for LMTP, after the data),
    /// deferred by the server's limits (`limits`, transient), or caught by the end of
    /// its transaction before it had a reply — a refusal before or at MAIL, a lost
    /// connection, a deadline, a 421 — in which case it carries the transaction's
    /// error with that error's permanence. Exactly once per recipient.
    RecipientRejected {
        /// Recipient index.
        index: usize,
        /// Why.
        error: Error,
    },
    /// The engine wants the message body: call `body()` while `body_capacity()` > 0,
    /// then `end_body()`. After the 354 to DATA, or at once with CHUNKING.
    BodyWanted,
    /// The message was accepted: for every recipient accepted at RCPT (SMTP), or
    /// for at least one recipient after the data (LMTP; each recipient's own reply
    /// came in its outcome event). Ends a `send`.
    Delivered {
        /// The reply to the data (LMTP: the first positive per-recipient reply).
        reply: Reply,
    },
    /// The transaction failed as a whole. Ends a `send`.
    TransactionFailed {
        /// Why.
        error: Error,
    },
    /// A `reset`, `noop` or `vrfy` request was answered 2yz.
    CommandDone {
        /// Which request.
        verb: Verb,
        /// The reply.
        reply: Reply,
    },
    /// A `reset`, `noop` or `vrfy` request failed.
    CommandFailed {
        /// Which request.
        verb: Verb,
        /// Why.
        error: Error,
    },
    /// The session is over (once). `None` after an orderly QUIT; otherwise why. Any
    /// output still queued (a best-effort QUIT) may be written before closing.
    Closed {
        /// Why the session ended, unless it ended by QUIT.
        error: Option<Error>,
    },
    /// A line written or read, for logs (only with `Config::trace`). Secrets never
    /// reach it (AUTH payloads are `<redacted>`).
    Trace(Trace),
}

impl Event {
    /// For drivers whose transport failed (a read or write error, not an orderly
    /// close), after they told the engine with `Client::receive_eof`: the engine
    /// words that as "connection closed by the server"; this rewrites the detail of a
    /// failure it caused to `connection lost: {cause}`, so a caller learns what
    /// happened. Failures carrying a server reply are left as they are.
    pub fn relabel_lost_connection(&mut self, cause: &dyn core::fmt::Display) {
        let error = match self {
            Event::RecipientRejected { error, .. }
            | Event::TransactionFailed { error }
            | Event::CommandFailed { error, .. }
            | Event::Closed { error: Some(error) } => error,
            _ => return,
        };
        if error.kind == crate::error::ErrorKind::Closed && error.reply.is_none() {
            error.detail = alloc::format!("connection lost: {cause}");
        }
    }
}

/// One traced exchange.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Trace {
    /// A command line as written (no CRLF), redacted where secret.
    Command(String),
    /// A reply as read.
    Reply(Reply),
    /// Message data queued, summarised by size.
    Data {
        /// Bytes of encoded data.
        bytes: u64,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn closed() -> Error {
        Error::new(
            ErrorKind::Closed,
            false,
            Some(Verb::Mail),
            "connection closed by the server",
        )
    }

    #[test]
    fn only_failures_the_lost_transport_caused_are_relabelled() {
        let cause = "connection reset by peer";
        let mut failed = Event::TransactionFailed { error: closed() };
        failed.relabel_lost_connection(&cause);
        let Event::TransactionFailed { error } = &failed else {
            unreachable!()
        };
        assert_eq!(error.detail, "connection lost: connection reset by peer");
        for mut kept in [
            // A server's own words stay.
            Event::Closed {
                error: Some(closed().with_reply(Reply::new(421, &["bye"]))),
            },
            // Another kind of failure stays.
            Event::CommandFailed {
                verb: Verb::Noop,
                error: Error::new(ErrorKind::Timeout, false, Some(Verb::Noop), "timed out"),
            },
            Event::Closed { error: None },
        ] {
            let before = kept.clone();
            kept.relabel_lost_connection(&cause);
            assert_eq!(kept, before);
        }
        let mut rejected = Event::RecipientRejected {
            index: 0,
            error: closed(),
        };
        rejected.relabel_lost_connection(&cause);
        assert!(
            matches!(&rejected, Event::RecipientRejected { error, .. } if error.detail.starts_with("connection lost"))
        );
    }
}
