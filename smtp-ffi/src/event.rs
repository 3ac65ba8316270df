//! What the library hands out: events, replies and session errors as flat C structs
//! whose strings point into an event the client holds until the next poll.

use smtp_proto::{Capabilities, EnhancedCode, Error, ErrorKind, Event, Reply, Trace};

use crate::types::{smtp_bytes, smtp_str};

/// What an `smtp_event` is. The fields each kind fills are listed with
/// `smtp_event`; the others are zero or empty.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_event_kind {
    /// The server's 220 arrived: `reply`, and `text` is the name the server gave.
    Greeting = 1,
    /// EHLO/LHLO was answered (again after TLS): `capabilities`.
    Capabilities = 2,
    /// Switch to TLS now: write what is queued, run the handshake on the same stream,
    /// then call `smtp_client_tls_established` or `smtp_client_tls_failed`.
    StartTls = 3,
    /// AUTH succeeded: `text` is the mechanism.
    Authenticated = 4,
    /// The session takes a request (send, reset, noop, quit).
    Ready = 5,
    /// A recipient was accepted: `index`, `reply`.
    RecipientAccepted = 6,
    /// A recipient failed: `index`, `error`. Every recipient gets exactly one of
    /// `RECIPIENT_ACCEPTED` and `RECIPIENT_REJECTED`, before its transaction ends.
    RecipientRejected = 7,
    /// Hand the body over: `smtp_client_body` while `smtp_client_body_capacity` > 0,
    /// then `smtp_client_end_body`.
    BodyWanted = 8,
    /// The message was accepted; ends a send: `reply`.
    Delivered = 9,
    /// The transaction failed as a whole; ends a send: `error`.
    TransactionFailed = 10,
    /// A reset or noop was answered 2yz: `verb`, `reply`.
    CommandDone = 11,
    /// A reset, noop or quit failed: `verb`, `error`.
    CommandFailed = 12,
    /// The session is over (once): `has_error` and `error` when it did not end by
    /// QUIT. Write what is still queued (a best-effort QUIT), then close.
    Closed = 13,
    /// A line written or read (only with `smtp_config.trace`): `trace_kind`, `text`,
    /// and `reply` for a reply, `data_bytes` for message data.
    Trace = 14,
    /// An event this version of the ABI has no kind for yet; ignore it.
    Other = 15,
}

/// What a trace event traced.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_trace_kind {
    /// Not a trace event.
    None = 0,
    /// A command line as written (no CRLF); AUTH payloads are `<redacted>`.
    Command = 1,
    /// A reply as read (`reply` has it; `text` is its escaped one-line form).
    Reply = 2,
    /// Message data queued (`data_bytes` says how much).
    Data = 3,
}

/// What kind of failure a session error is.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_error_kind {
    /// Not an error (the field is unused).
    None = 0,
    /// The server answered with an error reply.
    Status = 1,
    /// The server broke the protocol.
    Protocol = 2,
    /// Bytes arrived after STARTTLS's 220 before TLS was up.
    Injection = 3,
    /// STARTTLS refused or the handshake failed.
    Tls = 4,
    /// Authentication could not be done or was refused.
    Auth = 5,
    /// The message is larger than the server's SIZE.
    Size = 6,
    /// The message needs 8BITMIME and the server did not offer it.
    EightBitMime = 7,
    /// The message needs SMTPUTF8 and the server did not offer it.
    SmtpUtf8 = 8,
    /// REQUIRETLS cannot be honoured.
    RequireTls = 9,
    /// A recipient was not tried because of the server's limits.
    Limits = 10,
    /// The connection was closed, or the session had already ended.
    Closed = 11,
    /// A reply (or write progress) did not come in time.
    Timeout = 12,
    /// The message needs BINARYMIME and the server did not offer it.
    BinaryMime = 13,
    /// A kind this version of the ABI has no value for; see `kind_name`.
    Other = 99,
}

impl smtp_error_kind {
    fn of(kind: ErrorKind) -> smtp_error_kind {
        match kind {
            ErrorKind::Status => smtp_error_kind::Status,
            ErrorKind::Protocol => smtp_error_kind::Protocol,
            ErrorKind::Injection => smtp_error_kind::Injection,
            ErrorKind::Tls => smtp_error_kind::Tls,
            ErrorKind::Auth => smtp_error_kind::Auth,
            ErrorKind::Size => smtp_error_kind::Size,
            ErrorKind::EightBitMime => smtp_error_kind::EightBitMime,
            ErrorKind::SmtpUtf8 => smtp_error_kind::SmtpUtf8,
            ErrorKind::RequireTls => smtp_error_kind::RequireTls,
            ErrorKind::Limits => smtp_error_kind::Limits,
            ErrorKind::Closed => smtp_error_kind::Closed,
            ErrorKind::Timeout => smtp_error_kind::Timeout,
            ErrorKind::BinaryMime => smtp_error_kind::BinaryMime,
            _ => smtp_error_kind::Other,
        }
    }
}

/// Capability flags: bits of `smtp_capabilities::flags`.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum smtp_capability_flag {
    /// STARTTLS (RFC 3207)
    Starttls = 1,
    /// ENHANCEDSTATUSCODES (RFC 2034)
    EnhancedStatusCodes = 2,
    /// 8BITMIME (RFC 6152)
    EightBitMime = 4,
    /// PIPELINING (RFC 2920)
    Pipelining = 8,
    /// SMTPUTF8 (RFC 6531)
    SmtpUtf8 = 16,
    /// REQUIRETLS (RFC 8689)
    RequireTls = 32,
    /// CHUNKING (RFC 3030)
    Chunking = 64,
    /// BINARYMIME (RFC 3030)
    BinaryMime = 128,
    /// DSN (RFC 3461)
    Dsn = 256,
    /// SIZE (RFC 1870), with or without a number
    Size = 512,
    /// AUTH (RFC 4954), with at least one mechanism
    Auth = 1024,
}

/// An enhanced status code `class.subject.detail` (RFC 3463); `class` 0 means none.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct smtp_enhanced_code {
    /// 2, 4 or 5; 0 when there is no enhanced code.
    pub class_: u8,
    /// Subject, 0–999.
    pub subject: u16,
    /// Detail, 0–999.
    pub detail: u16,
}

impl smtp_enhanced_code {
    fn of(e: Option<EnhancedCode>) -> smtp_enhanced_code {
        e.map_or_else(smtp_enhanced_code::default, |e| smtp_enhanced_code {
            class_: e.class,
            subject: e.subject,
            detail: e.detail,
        })
    }
}

/// One server reply.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_reply {
    /// The three-digit code; 0 when the field is unused.
    pub code: u16,
    /// The enhanced code of the first line, if any.
    pub enhanced: smtp_enhanced_code,
    /// Every line's text after the code, enhanced code included, joined by `\n`,
    /// exactly as received (not necessarily UTF-8; never CR, LF inside a line or NUL).
    pub text: smtp_bytes,
}

impl smtp_reply {
    fn none() -> smtp_reply {
        smtp_reply {
            code: 0,
            enhanced: smtp_enhanced_code::default(),
            text: smtp_bytes::of(&[]),
        }
    }

    fn of(r: &Reply) -> smtp_reply {
        smtp_reply {
            code: r.code,
            enhanced: smtp_enhanced_code::of(r.enhanced),
            text: smtp_bytes::of(r.raw_text()),
        }
    }
}

/// A session error: the server's or the network's fault, never the caller's.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_error {
    /// What failed.
    pub kind: smtp_error_kind,
    /// The kind's name: `status`, `protocol`, `tls`, `closed`, ... (as transcripts
    /// write it).
    pub kind_name: smtp_str,
    /// True when retrying the same thing cannot succeed (5yz, or a local permanent
    /// reason such as SIZE).
    pub permanent: bool,
    /// The reply code when a reply caused the error; 0 when none did.
    pub code: u16,
    /// The reply's enhanced code, if any.
    pub enhanced: smtp_enhanced_code,
    /// The command the failing reply answered (`MAIL`, `RCPT`, `DATA`, `(greeting)`,
    /// ...); empty when none.
    pub command: smtp_str,
    /// The server's reply text, as in `smtp_reply::text`; empty when no reply.
    pub text: smtp_bytes,
    /// What happened, in the engine's words.
    pub detail: smtp_str,
    /// The whole error on one line, for logs, control characters escaped.
    pub message: smtp_str,
}

impl smtp_error {
    fn none() -> smtp_error {
        smtp_error {
            kind: smtp_error_kind::None,
            kind_name: smtp_str::empty(),
            permanent: false,
            code: 0,
            enhanced: smtp_enhanced_code::default(),
            command: smtp_str::empty(),
            text: smtp_bytes::of(&[]),
            detail: smtp_str::empty(),
            message: smtp_str::empty(),
        }
    }

    /// A view of `e`; `message` is its one-line form (held next to it).
    fn of(e: &Error, message: &str) -> smtp_error {
        smtp_error {
            kind: smtp_error_kind::of(e.kind),
            kind_name: smtp_str::of(e.kind.as_str()),
            permanent: e.permanent,
            code: e.code().unwrap_or(0),
            enhanced: smtp_enhanced_code::of(e.enhanced()),
            command: e
                .command
                .map_or_else(smtp_str::empty, |v| smtp_str::of(v.as_str())),
            text: smtp_bytes::of(e.reply.as_ref().map_or(&[][..], Reply::raw_text)),
            detail: smtp_str::of(&e.detail),
            message: smtp_str::of(message),
        }
    }
}

/// What an EHLO/LHLO reply said.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_capabilities {
    /// An OR of `smtp_capability_flag` bits.
    pub flags: u32,
    /// The SIZE limit in octets; 0 when none is known.
    pub max_size: u64,
    /// The server's name (the first word of the reply).
    pub domain: smtp_str,
    /// The AUTH mechanisms offered, separated by single spaces; empty when none.
    pub auth_mechanisms: smtp_str,
}

impl smtp_capabilities {
    fn none() -> smtp_capabilities {
        smtp_capabilities {
            flags: 0,
            max_size: 0,
            domain: smtp_str::empty(),
            auth_mechanisms: smtp_str::empty(),
        }
    }
}

fn flags_of(c: &Capabilities) -> u32 {
    use smtp_capability_flag as F;
    [
        (c.starttls, F::Starttls),
        (c.enhanced_status_codes, F::EnhancedStatusCodes),
        (c.eight_bit_mime, F::EightBitMime),
        (c.pipelining, F::Pipelining),
        (c.smtputf8, F::SmtpUtf8),
        (c.requiretls, F::RequireTls),
        (c.chunking, F::Chunking),
        (c.binarymime, F::BinaryMime),
        (c.dsn, F::Dsn),
        (c.size_advertised, F::Size),
        (c.auth_mechanisms().next().is_some(), F::Auth),
    ]
    .iter()
    .filter(|(on, _)| *on)
    .fold(0, |acc, (_, f)| acc | *f as u32)
}

/// One event, as `smtp_client_poll_event` writes it.
/// Every pointer in it is owned by the client and valid until the next
/// `smtp_client_poll_event` or `smtp_client_free` on that client. Fields a kind does
/// not use are zero or empty (never NULL).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct smtp_event {
    /// What happened; says which fields below are filled.
    pub kind: smtp_event_kind,
    /// `RECIPIENT_ACCEPTED`, `RECIPIENT_REJECTED`: the recipient's index in the
    /// envelope.
    pub index: usize,
    /// `GREETING`, `RECIPIENT_ACCEPTED`, `DELIVERED`, `COMMAND_DONE`, and `TRACE` of a
    /// reply: the server's reply.
    pub reply: smtp_reply,
    /// True when `error` is filled.
    pub has_error: bool,
    /// `RECIPIENT_REJECTED`, `TRANSACTION_FAILED`, `COMMAND_FAILED`, and `CLOSED`
    /// unless it ended by QUIT: why.
    pub error: smtp_error,
    /// `GREETING`: the server's name; `AUTHENTICATED`: the mechanism; `TRACE`: the
    /// line.
    pub text: smtp_str,
    /// `COMMAND_DONE`, `COMMAND_FAILED`: the request's verb (`RSET`, `NOOP`, `QUIT`).
    pub verb: smtp_str,
    /// `CAPABILITIES`: what the server offers.
    pub capabilities: smtp_capabilities,
    /// `TRACE`: what was traced.
    pub trace_kind: smtp_trace_kind,
    /// `TRACE` of data: how many bytes of encoded message data were queued.
    pub data_bytes: u64,
}

/// An event the client holds while its view is out, with the strings the view points
/// at that the event itself does not hold.
#[derive(Debug)]
pub(crate) struct HeldEvent {
    event: Event,
    /// An error's one-line form, or a trace line made here.
    line: String,
    /// The capabilities' AUTH mechanisms, space-separated.
    mechanisms: String,
}

impl HeldEvent {
    /// Holds `event`, with the text its view needs.
    pub(crate) fn new(event: Event) -> HeldEvent {
        let line = match &event {
            Event::RecipientRejected { error, .. }
            | Event::TransactionFailed { error }
            | Event::CommandFailed { error, .. }
            | Event::Closed { error: Some(error) } => error.to_string(),
            Event::Trace(Trace::Reply(r)) => r.to_string(),
            Event::Trace(Trace::Data { bytes }) => format!("({bytes} bytes of message data)"),
            _ => String::new(),
        };
        let mechanisms = match &event {
            Event::Capabilities(c) => c.auth_mechanisms().collect::<Vec<_>>().join(" "),
            _ => String::new(),
        };
        HeldEvent {
            event,
            line,
            mechanisms,
        }
    }

    /// The C view; its pointers borrow from `self`.
    pub(crate) fn view(&self) -> smtp_event {
        let mut v = smtp_event {
            kind: smtp_event_kind::Other,
            index: 0,
            reply: smtp_reply::none(),
            has_error: false,
            error: smtp_error::none(),
            text: smtp_str::empty(),
            verb: smtp_str::empty(),
            capabilities: smtp_capabilities::none(),
            trace_kind: smtp_trace_kind::None,
            data_bytes: 0,
        };
        let set_error = |v: &mut smtp_event, e: &Error| {
            v.has_error = true;
            v.error = smtp_error::of(e, &self.line);
        };
        match &self.event {
            Event::Greeting { domain, reply } => {
                v.kind = smtp_event_kind::Greeting;
                v.reply = smtp_reply::of(reply);
                v.text = smtp_str::of(domain);
            }
            Event::Capabilities(c) => {
                v.kind = smtp_event_kind::Capabilities;
                v.capabilities = smtp_capabilities {
                    flags: flags_of(c),
                    max_size: c.max_size.unwrap_or(0),
                    domain: smtp_str::of(c.domain()),
                    auth_mechanisms: smtp_str::of(&self.mechanisms),
                };
            }
            Event::StartTls => v.kind = smtp_event_kind::StartTls,
            Event::Authenticated { mechanism } => {
                v.kind = smtp_event_kind::Authenticated;
                v.text = smtp_str::of(mechanism);
            }
            Event::Ready => v.kind = smtp_event_kind::Ready,
            Event::RecipientAccepted { index, reply } => {
                v.kind = smtp_event_kind::RecipientAccepted;
                v.index = *index;
                v.reply = smtp_reply::of(reply);
            }
            Event::RecipientRejected { index, error } => {
                v.kind = smtp_event_kind::RecipientRejected;
                v.index = *index;
                set_error(&mut v, error);
            }
            Event::BodyWanted => v.kind = smtp_event_kind::BodyWanted,
            Event::Delivered { reply } => {
                v.kind = smtp_event_kind::Delivered;
                v.reply = smtp_reply::of(reply);
            }
            Event::TransactionFailed { error } => {
                v.kind = smtp_event_kind::TransactionFailed;
                set_error(&mut v, error);
            }
            Event::CommandDone { verb, reply } => {
                v.kind = smtp_event_kind::CommandDone;
                v.verb = smtp_str::of(verb.as_str());
                v.reply = smtp_reply::of(reply);
            }
            Event::CommandFailed { verb, error } => {
                v.kind = smtp_event_kind::CommandFailed;
                v.verb = smtp_str::of(verb.as_str());
                set_error(&mut v, error);
            }
            Event::Closed { error } => {
                v.kind = smtp_event_kind::Closed;
                if let Some(e) = error {
                    set_error(&mut v, e);
                }
            }
            Event::Trace(t) => {
                v.kind = smtp_event_kind::Trace;
                match t {
                    Trace::Command(line) => {
                        v.trace_kind = smtp_trace_kind::Command;
                        v.text = smtp_str::of(line);
                    }
                    Trace::Reply(r) => {
                        v.trace_kind = smtp_trace_kind::Reply;
                        v.reply = smtp_reply::of(r);
                        v.text = smtp_str::of(&self.line);
                    }
                    Trace::Data { bytes } => {
                        v.trace_kind = smtp_trace_kind::Data;
                        v.data_bytes = *bytes;
                        v.text = smtp_str::of(&self.line);
                    }
                    _ => v.trace_kind = smtp_trace_kind::None,
                }
            }
            _ => {}
        }
        v
    }
}
