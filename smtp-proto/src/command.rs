//! Client commands and their encoder — RFC 5321 §4.1.1 (command syntax), §4.1.2
//! (ESMTP parameters), §4.5.3.1.4 (command line length); RFC 1870 (SIZE), RFC 6152
//! (8BITMIME), RFC 3030 (BDAT, BINARYMIME), RFC 6531 (SMTPUTF8), RFC 8689
//! (REQUIRETLS), RFC 3461 (DSN: RET, ENVID, NOTIFY, ORCPT), RFC 6710 (MT-PRIORITY),
//! RFC 2852 (BY), RFC 4865 (HOLDFOR/HOLDUNTIL), RFC 4954 (AUTH), RFC 2033 (LHLO).
//!
//! Every argument is validated when its value is made, so encoding never fails and
//! never writes CR or LF inside a line.
//!
//! SKELETON: signatures are the contract other modules code against.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::address::{ForwardPath, Host, ReversePath};

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included.
pub const MAX_COMMAND_LINE: usize = 512;

/// Why a command or parameter value cannot be made. The caller's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CommandError {
    /// A parameter keyword that is not `(ALPHA / DIGIT) *(ALPHA / DIGIT / "-")`.
    #[error("invalid ESMTP keyword {0:?}")]
    BadKeyword(String),
    /// A parameter value with a space, `=`, a control character or non-ASCII (without SMTPUTF8).
    #[error("invalid value for {keyword}: {reason}")]
    BadValue {
        /// The parameter's keyword.
        keyword: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A SASL mechanism name that is not 1–20 of `A-Z 0-9 - _` (RFC 4422 §3.1).
    #[error("invalid SASL mechanism name {0:?}")]
    BadMechanism(String),
    /// The encoded line would exceed its length limit.
    #[error("command line of {len} octets exceeds the limit of {limit}")]
    LineTooLong {
        /// Encoded length, CRLF included.
        len: usize,
        /// The limit that applies to this command.
        limit: usize,
    },
}

/// The verb of a command: what a reply answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Verb {
    /// Not a command: the server's opening 220.
    Greeting,
    /// EHLO
    Ehlo,
    /// HELO
    Helo,
    /// LHLO (RFC 2033)
    Lhlo,
    /// STARTTLS
    StartTls,
    /// AUTH and its continuation lines
    Auth,
    /// MAIL FROM
    Mail,
    /// RCPT TO
    Rcpt,
    /// DATA (the 354)
    Data,
    /// The message data and its terminating `.` (the final reply to DATA).
    DataEnd,
    /// BDAT
    Bdat,
    /// RSET
    Rset,
    /// NOOP
    Noop,
    /// QUIT
    Quit,
    /// VRFY
    Vrfy,
}

impl Verb {
    /// The verb as written on the wire, e.g. `"RCPT"`; `"(greeting)"` and `"DATA"` for
    /// the greeting and the data's final reply.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verb::Greeting => "(greeting)",
            Verb::Ehlo => "EHLO",
            Verb::Helo => "HELO",
            Verb::Lhlo => "LHLO",
            Verb::StartTls => "STARTTLS",
            Verb::Auth => "AUTH",
            Verb::Mail => "MAIL",
            Verb::Rcpt => "RCPT",
            Verb::Data | Verb::DataEnd => "DATA",
            Verb::Bdat => "BDAT",
            Verb::Rset => "RSET",
            Verb::Noop => "NOOP",
            Verb::Quit => "QUIT",
            Verb::Vrfy => "VRFY",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `BODY=` (RFC 6152, RFC 3030).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BodyType {
    /// `BODY=7BIT`
    SevenBit,
    /// `BODY=8BITMIME`
    EightBitMime,
    /// `BODY=BINARYMIME` (only with CHUNKING)
    BinaryMime,
}

/// `RET=` (RFC 3461 §4.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ret {
    /// `RET=FULL`
    Full,
    /// `RET=HDRS`
    Hdrs,
}

/// `NOTIFY=` (RFC 3461 §4.1): `NEVER`, or any non-empty combination of the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notify {
    /// `NOTIFY=NEVER`
    Never,
    /// `NOTIFY=SUCCESS,FAILURE,DELAY` (those set; at least one must be).
    On {
        /// SUCCESS
        success: bool,
        /// FAILURE
        failure: bool,
        /// DELAY
        delay: bool,
    },
}

/// A validated `ENVID=` value (RFC 3461 §4.4): printable ASCII, at most 100 characters;
/// xtext-encoded when written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvId(String);

impl EnvId {
    /// Validates an envelope identifier (unencoded form).
    pub fn new(s: &str) -> Result<EnvId, CommandError> {
        let _ = s;
        todo!()
    }
    /// The unencoded identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A validated `ORCPT=` value (RFC 3461 §4.2): address type and original address
/// (unencoded). Written as xtext, or `utf-8-addr-xtext`/`-unitext` (RFC 6533) for a
/// `utf-8` address type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Orcpt {
    addr_type: String,
    address: String,
}

impl Orcpt {
    /// Parses `type;address` (e.g. `rfc822;a@example.org`) in unencoded form.
    pub fn parse(s: &str) -> Result<Orcpt, CommandError> {
        let _ = s;
        todo!()
    }
    /// The address type, e.g. `rfc822` or `utf-8`.
    pub fn addr_type(&self) -> &str {
        &self.addr_type
    }
    /// The original address, unencoded.
    pub fn address(&self) -> &str {
        &self.address
    }
}

/// `BY=` (RFC 2852 §4): seconds and mode `R` (return) or `N` (notify), optional trace `T`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeliverBy {
    /// Relative time in seconds (may be negative for mode N, RFC 2852 §4).
    pub seconds: i64,
    /// true for `R`, false for `N`.
    pub return_on_expiry: bool,
    /// The `T` trace modifier.
    pub trace: bool,
}

/// FUTURERELEASE (RFC 4865 §3): `HOLDFOR=seconds` or `HOLDUNTIL=date-time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FutureRelease {
    /// `HOLDFOR=n`
    HoldFor(u64),
    /// `HOLDUNTIL=` an RFC 3339 date-time, validated for its character set.
    HoldUntil(String),
}

/// Any other `keyword[=value]` parameter, validated (RFC 5321 §4.1.2 esmtp-param).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EsmtpParam {
    keyword: String,
    value: Option<String>,
}

impl EsmtpParam {
    /// Validates keyword and value (`esmtp-value = 1*(%d33-60 / %d62-126)`, plus UTF-8
    /// per RFC 6531 §3.3 when `utf8` is true).
    pub fn new(keyword: &str, value: Option<&str>, utf8: bool) -> Result<EsmtpParam, CommandError> {
        let _ = (keyword, value, utf8);
        todo!()
    }
    /// The keyword as given.
    pub fn keyword(&self) -> &str {
        &self.keyword
    }
    /// The value, if any.
    pub fn value(&self) -> Option<&str> {
        self.value.as_deref()
    }
}

/// MAIL FROM parameters, written in this fixed order (DESIGN rule 13): `SIZE=`,
/// `BODY=`, `SMTPUTF8`, `REQUIRETLS`, `RET=`, `ENVID=`, `MT-PRIORITY=`, `BY=`,
/// `HOLDFOR=`/`HOLDUNTIL=`, then `extra` in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailParams {
    /// `SIZE=` (RFC 1870)
    pub size: Option<u64>,
    /// `BODY=`
    pub body: Option<BodyType>,
    /// `SMTPUTF8` (RFC 6531)
    pub smtputf8: bool,
    /// `REQUIRETLS` (RFC 8689)
    pub requiretls: bool,
    /// `RET=`
    pub ret: Option<Ret>,
    /// `ENVID=`
    pub envid: Option<EnvId>,
    /// `MT-PRIORITY=` −9..=9 (RFC 6710); values outside are refused by `validate`.
    pub mt_priority: Option<i8>,
    /// `BY=` (RFC 2852)
    pub deliver_by: Option<DeliverBy>,
    /// `HOLDFOR=` / `HOLDUNTIL=` (RFC 4865)
    pub future_release: Option<FutureRelease>,
    /// Other parameters.
    pub extra: Vec<EsmtpParam>,
}

/// RCPT TO parameters, written as `NOTIFY=`, `ORCPT=`, then `extra`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcptParams {
    /// `NOTIFY=`
    pub notify: Option<Notify>,
    /// `ORCPT=`
    pub orcpt: Option<Orcpt>,
    /// Other parameters.
    pub extra: Vec<EsmtpParam>,
}

/// One client command.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// `EHLO host`
    Ehlo(Host),
    /// `HELO host`
    Helo(Host),
    /// `LHLO host` (RFC 2033 §4.1)
    Lhlo(Host),
    /// `STARTTLS` (RFC 3207)
    StartTls,
    /// `AUTH mech [initial-response]` (RFC 4954 §4): the response is raw bytes,
    /// base64-encoded when written; an empty one is written `=`.
    Auth {
        /// SASL mechanism name, upper case.
        mechanism: String,
        /// Initial response, unencoded.
        initial: Option<Vec<u8>>,
    },
    /// A response to a 334 challenge: raw bytes, base64-encoded when written.
    AuthResponse(Vec<u8>),
    /// `*`: cancel the AUTH exchange (RFC 4954 §4).
    AuthCancel,
    /// `MAIL FROM:<path> params`
    Mail {
        /// The reverse-path.
        from: ReversePath,
        /// Parameters.
        params: MailParams,
    },
    /// `RCPT TO:<path> params`
    Rcpt {
        /// The forward-path.
        to: ForwardPath,
        /// Parameters.
        params: RcptParams,
    },
    /// `DATA`
    Data,
    /// `BDAT size [LAST]` (RFC 3030 §2); the chunk follows.
    Bdat {
        /// Chunk size in octets.
        size: u64,
        /// The final chunk.
        last: bool,
    },
    /// `RSET`
    Rset,
    /// `NOOP`
    Noop,
    /// `QUIT`
    Quit,
    /// `VRFY string` (validated: no CR, LF or other controls).
    Vrfy(String),
}

impl Command {
    /// The command's verb.
    pub fn verb(&self) -> Verb {
        todo!()
    }
    /// Checks every argument and the line length this command may have. `send`-time
    /// validation calls this, so `encode` never produces a bad line.
    pub fn validate(&self) -> Result<(), CommandError> {
        todo!()
    }
    /// Appends the command line, CRLF included, to `out`.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
    /// The line as a trace may show it: AUTH responses and initial responses are
    /// replaced by `<redacted>` (DESIGN rule 11), no CRLF.
    pub fn trace_line(&self) -> String {
        todo!()
    }
}
