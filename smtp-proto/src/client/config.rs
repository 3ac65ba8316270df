//! Session configuration and the envelope of one transaction — RFC 5321 §3.3 (mail
//! transactions), RFC 3207 (STARTTLS), RFC 8314 (implicit TLS), RFC 2033 (LMTP).

use alloc::vec::Vec;

use crate::address::{ForwardPath, Host, ReversePath};
use crate::command::{BodyType, DeliverBy, EnvId, EsmtpParam, FutureRelease, Notify, Orcpt, Ret};
use crate::data::LineEndings;
use crate::reply::ReplyLimits;
use crate::time::Timeouts;

/// How the session uses TLS (rules 1 and 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsMode {
    /// Never TLS; STARTTLS is not sent even when offered.
    None,
    /// STARTTLS when the server advertises it; plaintext otherwise. The default.
    #[default]
    Opportunistic,
    /// STARTTLS always, even when not advertised (a stripped keyword must not
    /// downgrade us); refusal or a failed handshake ends the session.
    RequiredStartTls,
    /// Implicit TLS (RFC 8314): the engine asks for TLS before the greeting.
    Immediate,
}

/// Everything fixed for the life of one session. Build it with [`Config::new`] and
/// change the fields you need; new fields get defaults, so adding one breaks nobody
/// (the struct is `#[non_exhaustive]`).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Config {
    /// The name sent with EHLO/HELO/LHLO.
    pub hello_name: Host,
    /// LMTP (RFC 2033): LHLO, and one reply per recipient after the data.
    pub lmtp: bool,
    /// TLS policy; opportunistic STARTTLS by default (rule 1).
    pub tls: TlsMode,
    /// Let AUTH send reusable secrets (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER) over a
    /// session without TLS. Off by default, whatever the TLS mode (rule 15): only for
    /// a trusted local link.
    pub allow_plaintext_auth: bool,
    /// Use PIPELINING when offered (RFC 2920).
    pub pipelining: bool,
    /// Use CHUNKING (BDAT) when offered (RFC 3030).
    pub chunking: bool,
    /// Reply deadlines per phase.
    pub timeouts: Timeouts,
    /// Bounds on what the reply parser buffers.
    pub reply_limits: ReplyLimits,
    /// What to do with bare CR and LF in bodies (rule 3).
    pub line_endings: LineEndings,
    /// Most message bytes held in the output queue before `body_capacity()` is 0.
    pub max_pending_body: usize,
    /// Bytes of server reply text one transaction keeps in full (its per-recipient
    /// replies included); later replies keep a short, marked prefix (rule 20).
    pub max_transaction_reply_text: usize,
    /// Largest BDAT chunk; a bigger `body()` chunk is split (rule 14).
    pub max_bdat_chunk: usize,
    /// Emit [`crate::Event::Trace`] events for every line written and read.
    pub trace: bool,
}

impl Config {
    /// A configuration with safe defaults: SMTP, opportunistic STARTTLS, no AUTH in
    /// plaintext, pipelining and chunking when offered, RFC 5321 timeouts, 4 KiB reply
    /// lines, body normalisation.
    #[must_use]
    pub fn new(hello_name: Host) -> Config {
        Config {
            hello_name,
            lmtp: false,
            tls: TlsMode::Opportunistic,
            allow_plaintext_auth: false,
            pipelining: true,
            chunking: true,
            timeouts: Timeouts::default(),
            reply_limits: ReplyLimits::default(),
            line_endings: LineEndings::Normalize,
            max_pending_body: 256 * 1024,
            max_bdat_chunk: 1024 * 1024,
            max_transaction_reply_text: 64 * 1024,
            trace: false,
        }
    }
}

/// One recipient and its RCPT parameters. Build with [`Recipient::new`], then set
/// fields (`#[non_exhaustive]`: new parameters get defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Recipient {
    /// The forward-path.
    pub path: ForwardPath,
    /// `NOTIFY=` (DSN, RFC 3461 §4.1).
    pub notify: Option<Notify>,
    /// `ORCPT=` (DSN, RFC 3461 §4.2).
    pub orcpt: Option<Orcpt>,
    /// Other RCPT parameters, written only as given.
    pub extra: Vec<EsmtpParam>,
}

impl Recipient {
    /// A recipient without parameters.
    #[must_use]
    pub fn new(path: ForwardPath) -> Recipient {
        Recipient {
            path,
            notify: None,
            orcpt: None,
            extra: Vec::new(),
        }
    }
}

/// What one transaction sends: the paths, and the message facts that decide MAIL's
/// parameters (rule 13 fixes their order). Build with [`Envelope::new`], then set
/// fields (`#[non_exhaustive]`: new parameters get defaults).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Envelope {
    /// MAIL FROM (may be the null path).
    pub from: ReversePath,
    /// RCPT TO, in order; events name recipients by their index here.
    pub recipients: Vec<Recipient>,
    /// Message size in octets, when known: sent as `SIZE=` and checked against the
    /// server's limit before MAIL.
    pub size: Option<u64>,
    /// The body's type: 8-bit data needs 8BITMIME, binary needs BINARYMIME + CHUNKING.
    pub body: BodyType,
    /// The message needs SMTPUTF8 (implied by any non-ASCII path).
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689): needs TLS and the server's REQUIRETLS.
    pub requiretls: bool,
    /// DSN `RET=`.
    pub ret: Option<Ret>,
    /// DSN `ENVID=`.
    pub envid: Option<EnvId>,
    /// MT-PRIORITY (RFC 6710).
    pub mt_priority: Option<i8>,
    /// DELIVERBY `BY=` (RFC 2852).
    pub deliver_by: Option<DeliverBy>,
    /// FUTURERELEASE (RFC 4865).
    pub future_release: Option<FutureRelease>,
    /// Other MAIL parameters, written as given.
    pub extra: Vec<EsmtpParam>,
}

impl Envelope {
    /// An envelope with 7-bit body and no parameters.
    #[must_use]
    pub fn new(from: ReversePath, recipients: Vec<Recipient>) -> Envelope {
        Envelope {
            from,
            recipients,
            size: None,
            body: BodyType::SevenBit,
            smtputf8: false,
            requiretls: false,
            ret: None,
            envid: None,
            mt_priority: None,
            deliver_by: None,
            future_release: None,
            extra: Vec::new(),
        }
    }

    /// True when any path needs SMTPUTF8 or the caller asked for it.
    pub fn needs_smtputf8(&self) -> bool {
        self.smtputf8 || !self.from.is_ascii() || self.recipients.iter().any(|r| !r.path.is_ascii())
    }

    /// True when any DSN parameter (RFC 3461) is used.
    pub fn uses_dsn(&self) -> bool {
        self.ret.is_some()
            || self.envid.is_some()
            || self
                .recipients
                .iter()
                .any(|r| r.notify.is_some() || r.orcpt.is_some())
    }
}
