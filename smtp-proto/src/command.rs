//! Client commands and their encoder — RFC 5321 §4.1.1 (command syntax), §4.1.2
//! (ESMTP parameters), §4.5.3.1.4 (command line length); RFC 1870 (SIZE), RFC 6152
//! (8BITMIME), RFC 3030 (BDAT, BINARYMIME), RFC 6531 (SMTPUTF8), RFC 8689
//! (REQUIRETLS), RFC 3461 (DSN: RET, ENVID, NOTIFY, ORCPT), RFC 6710 (MT-PRIORITY),
//! RFC 2852 (BY), RFC 4865 (HOLDFOR/HOLDUNTIL), RFC 4954 (AUTH), RFC 2033 (LHLO).
//!
//! Every argument is validated when its value is made, so encoding never fails and
//! never writes CR or LF inside a line.

use alloc::string::String;
use alloc::vec::Vec;
use base64::Engine as _;
use core::fmt;
use core::fmt::Write as _;

use crate::xtext::{encode_utf8_addr_xtext, encode_xtext};

use crate::address::{ForwardPath, Host, ReversePath, WirePath};

/// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets, CRLF included.
pub const MAX_COMMAND_LINE: usize = 512;
/// RFC 4954 §4: servers accept AUTH lines of at least 12288 octets.
pub const MAX_AUTH_LINE: usize = 12288;
/// RFC 3461 §4.4: an ENVID is at most 100 characters.
pub const MAX_ENVID: usize = 100;
/// RFC 3461 §4.2: an ORCPT value is at most 500 characters.
pub const MAX_ORCPT: usize = 500;
/// Our bound on any other parameter (keyword=value), so MAIL/RCPT lines stay bounded.
pub const MAX_EXTRA_PARAM: usize = 512;
/// Bound on all extra (caller-given) parameters of one MAIL or RCPT together. RFC 5321
/// §4.5.3.1.4 lets extensions raise the 512-octet line limit by what they define; an
/// unknown extension gets this much in total, so no line grows without bound.
pub const MAX_EXTRA_PARAMS_TOTAL: usize = 512;
/// Keywords the engine writes on MAIL itself (rule 13); an extra may not repeat one.
const MAIL_KEYWORDS: &[&str] = &[
    "SIZE",
    "BODY",
    "SMTPUTF8",
    "REQUIRETLS",
    "RET",
    "ENVID",
    "MT-PRIORITY",
    "BY",
    "HOLDFOR",
    "HOLDUNTIL",
];
/// Keywords the engine writes on RCPT itself.
const RCPT_KEYWORDS: &[&str] = &["NOTIFY", "ORCPT"];

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
    /// A parameter the engine writes itself (`SIZE`, `BODY`, `NOTIFY`, ...), or one
    /// given twice, among the extra parameters: it would let a caller contradict the
    /// envelope (`SIZE=10 ... SIZE=1`).
    #[error("parameter {0} is duplicated or written by the engine itself")]
    DuplicateParam(String),
    /// The extra parameters together are longer than [`MAX_EXTRA_PARAMS_TOTAL`].
    #[error("extra parameters of {len} octets exceed {limit}")]
    ExtraParamsTooLong {
        /// Their encoded length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A CR, LF or NUL would reach the command line (nothing is written).
    #[error("a CR, LF or NUL in a command argument")]
    LineBreak,
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
        let bad = |reason| {
            Err(CommandError::BadValue {
                keyword: "ENVID".into(),
                reason,
            })
        };
        if s.is_empty() || s.len() > MAX_ENVID {
            return bad("must be 1 to 100 characters");
        }
        if !s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return bad("must be printable ASCII");
        }
        Ok(EnvId(s.into()))
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
        let bad = |reason| {
            Err(CommandError::BadValue {
                keyword: "ORCPT".into(),
                reason,
            })
        };
        let Some((addr_type, address)) = s.split_once(';') else {
            return bad("must be type;address");
        };
        if addr_type.is_empty()
            || !addr_type
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return bad("address type must be an atom such as rfc822");
        }
        if address.is_empty() || address.chars().any(char::is_control) {
            return bad("address must be non-empty without control characters");
        }
        let o = Orcpt {
            addr_type: addr_type.into(),
            address: address.into(),
        };
        if o.encoded().len() > MAX_ORCPT {
            return bad("encoded value longer than 500 characters");
        }
        Ok(o)
    }

    /// The value as written: `rfc822;xtext`, or `utf-8;utf-8-addr-xtext` for a non-ASCII
    /// address (RFC 6533 §4; the xtext form is safe with or without SMTPUTF8).
    pub fn encoded(&self) -> String {
        let mut out = String::new();
        self.write_encoded(&mut out);
        out
    }

    /// Appends [`encoded`](Orcpt::encoded) to `out`.
    fn write_encoded(&self, out: &mut String) {
        if self.address.is_ascii() && !self.addr_type.eq_ignore_ascii_case("utf-8") {
            out.push_str(&self.addr_type);
            out.push(';');
            encode_xtext(&self.address, out);
        } else {
            out.push_str("utf-8;");
            encode_utf8_addr_xtext(&self.address, out);
        }
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
        let kw_ok = keyword
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric())
            && keyword
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !kw_ok {
            return Err(CommandError::BadKeyword(keyword.into()));
        }
        if let Some(v) = value {
            let ok_char = |c: char| {
                (c.is_ascii_graphic() && c != '=')
                    || (utf8 && !c.is_ascii() && !c.is_control() && !c.is_whitespace())
            };
            if v.is_empty() || !v.chars().all(ok_char) {
                return Err(CommandError::BadValue {
                    keyword: keyword.into(),
                    reason: "characters not allowed in a parameter value",
                });
            }
        }
        if keyword.len() + value.map_or(0, |v| v.len() + 1) > MAX_EXTRA_PARAM {
            return Err(CommandError::BadValue {
                keyword: keyword.into(),
                reason: "parameter too long",
            });
        }
        Ok(EsmtpParam {
            keyword: keyword.into(),
            value: value.map(String::from),
        })
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

/// MAIL FROM parameters, written in this fixed order (rule 13): `SIZE=`,
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

/// One client command. Its `Debug` and `Display` show the redacted trace line, so
/// AUTH payloads never reach a log (rule 11).
#[derive(Clone, PartialEq, Eq)]
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
        match self {
            Command::Ehlo(_) => Verb::Ehlo,
            Command::Helo(_) => Verb::Helo,
            Command::Lhlo(_) => Verb::Lhlo,
            Command::StartTls => Verb::StartTls,
            Command::Auth { .. } | Command::AuthResponse(_) | Command::AuthCancel => Verb::Auth,
            Command::Mail { .. } => Verb::Mail,
            Command::Rcpt { .. } => Verb::Rcpt,
            Command::Data => Verb::Data,
            Command::Bdat { .. } => Verb::Bdat,
            Command::Rset => Verb::Rset,
            Command::Noop => Verb::Noop,
            Command::Quit => Verb::Quit,
            Command::Vrfy(_) => Verb::Vrfy,
        }
    }

    /// Checks every argument and the line length this command may have: no CR, LF
    /// or NUL anywhere in the line, no extra parameter that repeats one the engine
    /// writes, and the RFC 5321 §4.5.3.1.4 length limit plus what the extensions in
    /// use allow. [`Command::encode`] calls it, so no invalid line is ever written.
    pub fn validate(&self) -> Result<(), CommandError> {
        let mut line = String::new();
        self.encode_into(&mut line)
    }

    /// The checks on arguments that their types cannot make (keyword clashes, value
    /// ranges); the line itself is checked once written.
    fn check_arguments(&self) -> Result<(), CommandError> {
        match self {
            Command::Auth { mechanism, .. } => check_mechanism(mechanism)?,
            Command::Mail { params, .. } => {
                check_mail_params(params)?;
                check_extras(&params.extra, MAIL_KEYWORDS)?;
            }
            Command::Rcpt { params, .. } => {
                check_extras(&params.extra, RCPT_KEYWORDS)?;
                if matches!(
                    params.notify,
                    Some(Notify::On {
                        success: false,
                        failure: false,
                        delay: false
                    })
                ) {
                    return Err(bad("NOTIFY", "at least one of SUCCESS, FAILURE, DELAY"));
                }
            }
            Command::Vrfy(arg) if arg.is_empty() || arg.chars().any(char::is_control) => {
                return Err(bad(
                    "VRFY",
                    "argument must be non-empty without control characters",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    /// Checks the arguments ([`Command::validate`]) and appends the line, CRLF
    /// included, to `out`, encoding it once; on an error `out` is unchanged.
    pub(crate) fn encode_into(&self, out: &mut String) -> Result<(), CommandError> {
        self.check_arguments()?;
        let start = out.len();
        let params_len = self.write_line(out, false);
        out.push_str("\r\n");
        if let Err(e) = self.check_line(&out.as_bytes()[start..], params_len) {
            out.truncate(start);
            return Err(e);
        }
        Ok(())
    }

    /// The last guard against command injection: whatever built the arguments, only
    /// the final CRLF may end the line; and the line is within its length limit.
    /// (Every argument type refuses CR, LF and NUL when it is made, so no test can
    /// reach the scan's error: mutants of the scan are equivalent today and the scan
    /// stays as defence in depth.)
    fn check_line(&self, line: &[u8], params_len: usize) -> Result<(), CommandError> {
        if memchr::memchr3(b'\r', b'\n', 0, &line[..line.len() - 2]).is_some() {
            return Err(CommandError::LineBreak);
        }
        let limit = self.line_limit(params_len);
        if line.len() > limit {
            return Err(CommandError::LineTooLong {
                len: line.len(),
                limit,
            });
        }
        Ok(())
    }

    /// RFC 5321 §4.5.3.1.4: 512 octets, which extensions may raise: MAIL and RCPT
    /// keep 512 for the command and path and add what their parameters bring
    /// (`params_len`). Every built-in parameter is bounded by its own validation
    /// (ENVID 100, ORCPT 500, the rest a few octets) and the extras together by
    /// [`MAX_EXTRA_PARAMS_TOTAL`], so the limit itself is bounded. AUTH has RFC 4954's
    /// 12288.
    fn line_limit(&self, params_len: usize) -> usize {
        match self {
            Command::Auth { .. } | Command::AuthResponse(_) => MAX_AUTH_LINE,
            Command::Mail { .. } | Command::Rcpt { .. } => MAX_COMMAND_LINE + params_len,
            _ => MAX_COMMAND_LINE,
        }
    }

    /// Validates the command ([`Command::validate`]) and appends its line, CRLF
    /// included, to `out`; on an error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), CommandError> {
        let mut line = String::new();
        self.encode_into(&mut line)?;
        out.extend_from_slice(line.as_bytes());
        Ok(())
    }

    /// Appends the line and CRLF without validating: only for commands the engine
    /// built from validated parts (every request validates before it queues anything).
    pub(crate) fn encode_unchecked(&self, out: &mut String) {
        self.write_line(out, false);
        out.push_str("\r\n");
    }

    /// The line as a trace may show it: AUTH responses and initial responses are
    /// replaced by `<redacted>` (rule 11), no CRLF.
    pub fn trace_line(&self) -> String {
        let mut line = String::new();
        self.write_line(&mut line, true);
        line
    }

    /// Appends the line without CRLF, each part written in place (no intermediate
    /// strings); returns the length of the MAIL/RCPT parameters written.
    fn write_line(&self, s: &mut String, redact: bool) -> usize {
        let simple = match self {
            Command::StartTls => "STARTTLS",
            Command::AuthCancel => "*",
            Command::Data => "DATA",
            Command::Rset => "RSET",
            Command::Noop => "NOOP",
            Command::Quit => "QUIT",
            _ => "",
        };
        s.push_str(simple);
        let _ = match self {
            Command::Ehlo(h) => write!(s, "EHLO {h}"),
            Command::Helo(h) => write!(s, "HELO {h}"),
            Command::Lhlo(h) => write!(s, "LHLO {h}"),
            Command::Auth { mechanism, initial } => {
                s.push_str("AUTH ");
                s.push_str(mechanism);
                if let Some(r) = initial {
                    s.push(' ');
                    push_base64(s, r, redact);
                }
                Ok(())
            }
            // A response to a challenge: empty stays empty (RFC 4954 §4).
            Command::AuthResponse(r) if !r.is_empty() => {
                push_base64(s, r, redact);
                Ok(())
            }
            Command::Mail { from, params } => {
                s.push_str("MAIL FROM:");
                from.write_wire(s);
                let start = s.len();
                write_mail_params(params, s);
                // (A larger result only raises a limit no MAIL line can reach, so
                // `+` here is an equivalent mutant; see line_limit.)
                return s.len() - start;
            }
            Command::Rcpt { to, params } => {
                s.push_str("RCPT TO:");
                to.write_wire(s);
                let start = s.len();
                write_rcpt_params(params, s);
                return s.len() - start;
            }
            Command::Bdat { size, last } => {
                let _ = write!(s, "BDAT {size}");
                if *last {
                    s.push_str(" LAST");
                }
                Ok(())
            }
            Command::Vrfy(arg) => write!(s, "VRFY {arg}"),
            _ => Ok(()),
        };
        0
    }
}

/// An AUTH payload as written: base64, `=` when empty (RFC 4954 §4), or `<redacted>`
/// in a trace (rule 11).
fn push_base64(s: &mut String, bytes: &[u8], redact: bool) {
    if redact {
        s.push_str("<redacted>");
    } else if bytes.is_empty() {
        s.push('=');
    } else {
        base64::engine::general_purpose::STANDARD.encode_string(bytes, s);
    }
}

fn bad(keyword: &str, reason: &'static str) -> CommandError {
    CommandError::BadValue {
        keyword: keyword.into(),
        reason,
    }
}

/// RFC 4422 §3.1: 1–20 of upper-case letters, digits, `-` and `_`.
fn check_mechanism(m: &str) -> Result<(), CommandError> {
    let ok = (1..=20).contains(&m.len())
        && m.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(CommandError::BadMechanism(m.into()))
    }
}

/// An extra parameter may not repeat a keyword the engine writes, nor another extra;
/// together they stay within [`MAX_EXTRA_PARAMS_TOTAL`].
fn check_extras(extra: &[EsmtpParam], builtin: &[&str]) -> Result<(), CommandError> {
    let mut len = 0;
    for (i, e) in extra.iter().enumerate() {
        let k = e.keyword();
        let repeated = builtin.iter().any(|b| b.eq_ignore_ascii_case(k))
            || extra[..i]
                .iter()
                .any(|o| o.keyword().eq_ignore_ascii_case(k));
        if repeated {
            return Err(CommandError::DuplicateParam(k.to_ascii_uppercase()));
        }
        len += 1 + k.len() + e.value().map_or(0, |v| v.len() + 1);
    }
    if len > MAX_EXTRA_PARAMS_TOTAL {
        return Err(CommandError::ExtraParamsTooLong {
            len,
            limit: MAX_EXTRA_PARAMS_TOTAL,
        });
    }
    Ok(())
}

fn check_mail_params(p: &MailParams) -> Result<(), CommandError> {
    if p.mt_priority.is_some_and(|v| !(-9..=9).contains(&v)) {
        return Err(bad("MT-PRIORITY", "must be -9 to 9 (RFC 6710 §2)"));
    }
    if let Some(by) = p.deliver_by {
        // RFC 2852 §4: up to 9 digits; a zero or negative time only with mode N.
        if by.seconds.unsigned_abs() > 999_999_999 || (by.seconds <= 0 && by.return_on_expiry) {
            return Err(bad("BY", "out of range (RFC 2852 §4)"));
        }
    }
    match &p.future_release {
        Some(FutureRelease::HoldFor(n)) if *n > 999_999_999 => {
            return Err(bad("HOLDFOR", "at most 9 digits"))
        }
        Some(FutureRelease::HoldUntil(t))
            if t.is_empty()
                || t.len() > 64
                || !t
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-:.+".contains(&b)) =>
        {
            return Err(bad("HOLDUNTIL", "must be an RFC 3339 date-time"))
        }
        _ => {}
    }
    Ok(())
}

/// Appends the MAIL parameters in the fixed order of rule 13, each with a leading space.
fn write_mail_params(p: &MailParams, s: &mut String) {
    if let Some(size) = p.size {
        let _ = write!(s, " SIZE={size}");
    }
    match p.body {
        Some(BodyType::SevenBit) => s.push_str(" BODY=7BIT"),
        Some(BodyType::EightBitMime) => s.push_str(" BODY=8BITMIME"),
        Some(BodyType::BinaryMime) => s.push_str(" BODY=BINARYMIME"),
        None => {}
    }
    if p.smtputf8 {
        s.push_str(" SMTPUTF8");
    }
    if p.requiretls {
        s.push_str(" REQUIRETLS");
    }
    match p.ret {
        Some(Ret::Full) => s.push_str(" RET=FULL"),
        Some(Ret::Hdrs) => s.push_str(" RET=HDRS"),
        None => {}
    }
    if let Some(id) = &p.envid {
        s.push_str(" ENVID=");
        encode_xtext(id.as_str(), s);
    }
    if let Some(v) = p.mt_priority {
        let _ = write!(s, " MT-PRIORITY={v}");
    }
    if let Some(by) = p.deliver_by {
        let mode = if by.return_on_expiry { 'R' } else { 'N' };
        let trace = if by.trace { "T" } else { "" };
        let _ = write!(s, " BY={};{mode}{trace}", by.seconds);
    }
    match &p.future_release {
        Some(FutureRelease::HoldFor(n)) => {
            let _ = write!(s, " HOLDFOR={n}");
        }
        Some(FutureRelease::HoldUntil(t)) => {
            let _ = write!(s, " HOLDUNTIL={t}");
        }
        None => {}
    }
    push_extra(s, &p.extra);
}

/// Appends the RCPT parameters: `NOTIFY=`, `ORCPT=`, then the others.
fn write_rcpt_params(p: &RcptParams, s: &mut String) {
    match p.notify {
        Some(Notify::Never) => s.push_str(" NOTIFY=NEVER"),
        Some(Notify::On {
            success,
            failure,
            delay,
        }) => {
            s.push_str(" NOTIFY=");
            let on = [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")];
            for (i, (_, name)) in on.iter().filter(|(on, _)| *on).enumerate() {
                if i > 0 {
                    s.push(',');
                }
                s.push_str(name);
            }
        }
        None => {}
    }
    if let Some(o) = &p.orcpt {
        s.push_str(" ORCPT=");
        o.write_encoded(s);
    }
    push_extra(s, &p.extra);
}

fn push_extra(s: &mut String, extra: &[EsmtpParam]) {
    for e in extra {
        s.push(' ');
        s.push_str(e.keyword());
        if let Some(v) = e.value() {
            s.push('=');
            s.push_str(v);
        }
    }
}

impl fmt::Display for Command {
    /// The redacted trace form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.trace_line())
    }
}

impl fmt::Debug for Command {
    /// The redacted trace form: AUTH payloads show as `<redacted>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Command").field(&self.trace_line()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::address::{Domain, ForwardPath, Host, ReversePath};
    use alloc::vec;
    use proptest::prelude::*;

    fn line(c: &Command) -> String {
        let mut v = String::new();
        c.encode_unchecked(&mut v);
        v
    }

    #[test]
    fn orcpt_parts_limits_and_encodings() {
        let o = Orcpt::parse("rfc822;a+b@example.org").unwrap();
        assert_eq!((o.addr_type(), o.address()), ("rfc822", "a+b@example.org"));
        assert_eq!(o.encoded(), "rfc822;a+2Bb@example.org");
        assert_eq!(
            Orcpt::parse("x-ms;a@b").map(|o| o.encoded()),
            Ok("x-ms;a@b".into())
        );
        let utf8 = Orcpt::parse("rfc822;j\u{f6}rg@example.org").unwrap();
        assert_eq!(utf8.encoded(), "utf-8;j\\x{F6}rg@example.org");
        for bad in ["rfc822", ";a@b", "rfc 822;a@b", "rfc822;", "rfc822;a\tb"] {
            assert!(Orcpt::parse(bad).is_err(), "{bad:?}");
        }
        // 500 encoded characters are the most (RFC 3461 §4.2): "rfc822;" + 493.
        let at_limit = format!("rfc822;{}", "a".repeat(MAX_ORCPT - 7));
        assert_eq!(
            Orcpt::parse(&at_limit).map(|o| o.encoded().len()),
            Ok(MAX_ORCPT)
        );
        let over = format!("rfc822;{}", "a".repeat(MAX_ORCPT - 6));
        assert!(Orcpt::parse(&over).is_err());
        // The encoding, not the raw text, is what is bounded: "+" becomes "+2B".
        let grows = format!("rfc822;{}", "+".repeat(200));
        assert!(Orcpt::parse(&grows).is_err(), "600 encoded characters");
    }

    fn mail(params: MailParams) -> Command {
        Command::Mail {
            from: ReversePath::parse("a@example.org").unwrap(),
            params,
        }
    }

    #[test]
    fn encodes_simple_commands() {
        let h = Host::Domain(Domain::parse("client.example").unwrap());
        assert_eq!(line(&Command::Ehlo(h.clone())), "EHLO client.example\r\n");
        assert_eq!(line(&Command::Helo(h.clone())), "HELO client.example\r\n");
        assert_eq!(line(&Command::Lhlo(h)), "LHLO client.example\r\n");
        assert_eq!(line(&Command::StartTls), "STARTTLS\r\n");
        assert_eq!(line(&Command::Data), "DATA\r\n");
        assert_eq!(
            line(&Command::Bdat {
                size: 10,
                last: false
            }),
            "BDAT 10\r\n"
        );
        assert_eq!(
            line(&Command::Bdat {
                size: 0,
                last: true
            }),
            "BDAT 0 LAST\r\n"
        );
        assert_eq!(line(&Command::Rset), "RSET\r\n");
        assert_eq!(line(&Command::Noop), "NOOP\r\n");
        assert_eq!(line(&Command::Quit), "QUIT\r\n");
        assert_eq!(line(&Command::Vrfy("bob".into())), "VRFY bob\r\n");
        assert_eq!(
            line(&mail(MailParams::default())),
            "MAIL FROM:<a@example.org>\r\n"
        );
        let null = Command::Mail {
            from: ReversePath::null(),
            params: MailParams::default(),
        };
        assert_eq!(line(&null), "MAIL FROM:<>\r\n");
    }

    #[test]
    fn mail_parameters_in_fixed_order() {
        let p = MailParams {
            size: Some(123),
            body: Some(BodyType::EightBitMime),
            smtputf8: true,
            requiretls: true,
            ret: Some(Ret::Hdrs),
            envid: Some(EnvId::new("a+b=c d").unwrap()),
            mt_priority: Some(3),
            deliver_by: Some(DeliverBy {
                seconds: 120,
                return_on_expiry: true,
                trace: true,
            }),
            future_release: Some(FutureRelease::HoldFor(60)),
            extra: vec![
                EsmtpParam::new("X-FOO", Some("bar"), false).unwrap(),
                EsmtpParam::new("XBARE", None, false).unwrap(),
            ],
        };
        assert_eq!(
            line(&mail(p)),
            "MAIL FROM:<a@example.org> SIZE=123 BODY=8BITMIME SMTPUTF8 REQUIRETLS RET=HDRS ENVID=a+2Bb+3Dc+20d MT-PRIORITY=3 BY=120;RT HOLDFOR=60 X-FOO=bar XBARE\r\n"
        );
    }

    #[test]
    fn rcpt_parameters_and_orcpt_encodings() {
        let to = ForwardPath::parse("b@example.net").unwrap();
        let params = RcptParams {
            notify: Some(Notify::On {
                success: true,
                failure: false,
                delay: true,
            }),
            orcpt: Some(Orcpt::parse("rfc822;b+x=y@example.net").unwrap()),
            extra: vec![],
        };
        assert_eq!(
            line(&Command::Rcpt {
                to: to.clone(),
                params
            }),
            "RCPT TO:<b@example.net> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+2Bx+3Dy@example.net\r\n"
        );
        let utf8 = RcptParams {
            orcpt: Some(Orcpt::parse("rfc822;jörg@example.net").unwrap()),
            ..RcptParams::default()
        };
        assert_eq!(
            line(&Command::Rcpt {
                to: to.clone(),
                params: utf8
            }),
            "RCPT TO:<b@example.net> ORCPT=utf-8;j\\x{F6}rg@example.net\r\n"
        );
        let never = RcptParams {
            notify: Some(Notify::Never),
            ..RcptParams::default()
        };
        assert_eq!(
            line(&Command::Rcpt { to, params: never }),
            "RCPT TO:<b@example.net> NOTIFY=NEVER\r\n"
        );
    }

    #[test]
    fn auth_lines_and_redaction() {
        let a = Command::Auth {
            mechanism: "PLAIN".into(),
            initial: Some(b"\0u\0p".to_vec()),
        };
        assert_eq!(line(&a), "AUTH PLAIN AHUAcA==\r\n");
        assert_eq!(a.trace_line(), "AUTH PLAIN <redacted>");
        let empty = Command::Auth {
            mechanism: "EXTERNAL".into(),
            initial: Some(vec![]),
        };
        assert_eq!(line(&empty), "AUTH EXTERNAL =\r\n");
        assert_eq!(
            line(&Command::Auth {
                mechanism: "LOGIN".into(),
                initial: None
            }),
            "AUTH LOGIN\r\n"
        );
        assert_eq!(
            line(&Command::AuthResponse(b"secret".to_vec())),
            "c2VjcmV0\r\n"
        );
        assert_eq!(
            Command::AuthResponse(b"secret".to_vec()).trace_line(),
            "<redacted>"
        );
        assert_eq!(line(&Command::AuthResponse(vec![])), "\r\n");
        assert_eq!(line(&Command::AuthCancel), "*\r\n");
        assert_eq!(
            Command::Auth {
                mechanism: "bad mech".into(),
                initial: None
            }
            .validate(),
            Err(CommandError::BadMechanism("bad mech".into()))
        );
    }

    #[test]
    fn validation_refuses_bad_values() {
        assert!(EnvId::new("").is_err());
        assert!(EnvId::new(&"x".repeat(101)).is_err());
        assert!(EnvId::new(&"x".repeat(100)).is_ok());
        assert!(EnvId::new("a\r\nb").is_err());
        assert!(Orcpt::parse("nosemicolon").is_err());
        assert!(Orcpt::parse("rfc822;a\nb").is_err());
        assert!(EsmtpParam::new("-X", None, false).is_err());
        assert!(EsmtpParam::new("X", Some("a b"), false).is_err());
        assert!(EsmtpParam::new("X", Some("a=b"), false).is_err());
        assert!(EsmtpParam::new("X", Some("ü"), false).is_err());
        assert!(EsmtpParam::new("X", Some("ü"), true).is_ok());
        assert!(mail(MailParams {
            mt_priority: Some(10),
            ..MailParams::default()
        })
        .validate()
        .is_err());
        assert!(mail(MailParams {
            mt_priority: Some(-9),
            ..MailParams::default()
        })
        .validate()
        .is_ok());
        let by = DeliverBy {
            seconds: -5,
            return_on_expiry: true,
            trace: false,
        };
        assert!(mail(MailParams {
            deliver_by: Some(by),
            ..MailParams::default()
        })
        .validate()
        .is_err());
        let until = FutureRelease::HoldUntil("2026-01-01 00:00".into());
        assert!(mail(MailParams {
            future_release: Some(until),
            ..MailParams::default()
        })
        .validate()
        .is_err());
        let none = RcptParams {
            notify: Some(Notify::On {
                success: false,
                failure: false,
                delay: false,
            }),
            ..RcptParams::default()
        };
        assert!(Command::Rcpt {
            to: ForwardPath::Postmaster,
            params: none
        }
        .validate()
        .is_err());
        assert!(Command::Vrfy("a\rb".into()).validate().is_err());
    }

    #[test]
    fn line_length_limits_at_the_boundary() {
        // "VRFY " + arg + CRLF = 512
        assert!(Command::Vrfy("v".repeat(505)).validate().is_ok());
        assert_eq!(
            Command::Vrfy("v".repeat(506)).validate(),
            Err(CommandError::LineTooLong {
                len: 513,
                limit: 512
            })
        );
        let big = Command::Auth {
            mechanism: "PLAIN".into(),
            initial: Some(vec![b'x'; 9000]),
        };
        assert!(
            big.validate().is_ok(),
            "RFC 4954 allows 12288-octet AUTH lines"
        );
        let huge = Command::AuthResponse(vec![b'x'; 9300]);
        assert!(matches!(
            huge.validate(),
            Err(CommandError::LineTooLong { .. })
        ));
    }

    #[test]
    fn encode_validates_so_no_hand_built_value_injects_a_command() {
        let hostile = [
            Command::Vrfy("x\r\nRSET".into()),
            Command::Vrfy(String::new()),
            Command::Vrfy("tab\there".into()),
            Command::Auth {
                mechanism: "PLAIN\r\nRSET".into(),
                initial: None,
            },
            Command::Mail {
                from: ReversePath::null(),
                params: MailParams {
                    future_release: Some(FutureRelease::HoldUntil("2030\r\nRSET".into())),
                    ..MailParams::default()
                },
            },
        ];
        for c in hostile {
            let mut out = Vec::new();
            assert!(c.encode(&mut out).is_err(), "{c:?}");
            assert!(out.is_empty(), "nothing written for {c:?}");
        }
        let mut out = Vec::new();
        Command::Noop.encode(&mut out).unwrap();
        assert_eq!(out, b"NOOP\r\n");
    }

    #[test]
    fn general_literals_are_validated_at_construction() {
        use crate::address::{AddressLiteral, GeneralLiteral};
        assert!(GeneralLiteral::new("x", "y]\r\nMAIL FROM:<forged@evil.example>").is_err());
        assert!(GeneralLiteral::new("x\r\n", "y").is_err());
        assert!(GeneralLiteral::new("IPv6", "y").is_err());
        let g = GeneralLiteral::new("x-tag", "content").unwrap();
        let host = Host::Literal(AddressLiteral::General(g));
        assert_eq!(line(&Command::Ehlo(host)), "EHLO [x-tag:content]\r\n");
    }

    #[test]
    fn extras_may_not_repeat_engine_parameters_or_each_other() {
        let extra = |k: &str, v: &str| EsmtpParam::new(k, Some(v), false).unwrap();
        let mail = |extra: Vec<EsmtpParam>| Command::Mail {
            from: ReversePath::null(),
            params: MailParams {
                size: Some(10),
                extra,
                ..MailParams::default()
            },
        };
        for k in MAIL_KEYWORDS {
            assert_eq!(
                mail(vec![extra(&k.to_ascii_lowercase(), "1")]).validate(),
                Err(CommandError::DuplicateParam(String::from(*k)))
            );
        }
        assert_eq!(
            mail(vec![extra("X-A", "1"), extra("x-a", "2")]).validate(),
            Err(CommandError::DuplicateParam("X-A".into()))
        );
        assert_eq!(
            mail(vec![extra("X-A", "1"), extra("X-B", "2")]).validate(),
            Ok(())
        );
        let rcpt = |k: &str| Command::Rcpt {
            to: ForwardPath::parse("b@example.net").unwrap(),
            params: RcptParams {
                extra: vec![extra(k, "x")],
                ..RcptParams::default()
            },
        };
        assert!(matches!(
            rcpt("NOTIFY").validate(),
            Err(CommandError::DuplicateParam(_))
        ));
        assert!(matches!(
            rcpt("orcpt").validate(),
            Err(CommandError::DuplicateParam(_))
        ));
        assert_eq!(rcpt("RRVS").validate(), Ok(()));
    }

    #[test]
    fn extras_together_are_bounded() {
        let many: Vec<EsmtpParam> = (0..2000)
            .map(|i| EsmtpParam::new(&format!("X{i}"), Some(&"v".repeat(500)), false).unwrap())
            .collect();
        let c = Command::Mail {
            from: ReversePath::null(),
            params: MailParams {
                extra: many,
                ..MailParams::default()
            },
        };
        assert!(matches!(
            c.validate(),
            Err(CommandError::ExtraParamsTooLong {
                limit: MAX_EXTRA_PARAMS_TOTAL,
                ..
            })
        ));
        // Right at the bound: one extra of exactly MAX_EXTRA_PARAMS_TOTAL octets
        // (" X=" plus the value) passes; one more octet does not.
        let at = |n: usize| Command::Mail {
            from: ReversePath::null(),
            params: MailParams {
                extra: vec![EsmtpParam::new("X", Some(&"v".repeat(n)), false).unwrap()],
                ..MailParams::default()
            },
        };
        assert_eq!(at(MAX_EXTRA_PARAMS_TOTAL - 3).validate(), Ok(()));
        assert!(at(MAX_EXTRA_PARAMS_TOTAL - 2).validate().is_err());
    }

    #[test]
    fn parameters_raise_the_line_limit_by_their_own_length() {
        // A long path and 500 octets of parameters: far past 512 octets, and valid.
        let from = ReversePath::parse(&format!("{}@example.org", "l".repeat(64))).unwrap();
        let extra =
            vec![
                EsmtpParam::new("X", Some(&"v".repeat(MAX_EXTRA_PARAMS_TOTAL - 3)), false).unwrap(),
            ];
        let mail = Command::Mail {
            from,
            params: MailParams {
                extra,
                ..MailParams::default()
            },
        };
        let mut out = Vec::new();
        assert_eq!(mail.encode(&mut out), Ok(()));
        assert!(out.len() > MAX_COMMAND_LINE + 64, "{}", out.len());
        let to = ForwardPath::parse(&format!("{}@example.net", "r".repeat(64))).unwrap();
        let orcpt = Orcpt::parse(&format!("rfc822;{}", "o".repeat(MAX_ORCPT - 7))).unwrap();
        let rcpt = Command::Rcpt {
            to,
            params: RcptParams {
                orcpt: Some(orcpt),
                ..RcptParams::default()
            },
        };
        assert_eq!(rcpt.validate(), Ok(()));
    }

    #[test]
    fn deliver_by_and_future_release_at_their_limits() {
        let by = |seconds, return_on_expiry| {
            mail(MailParams {
                deliver_by: Some(DeliverBy {
                    seconds,
                    return_on_expiry,
                    trace: false,
                }),
                ..MailParams::default()
            })
            .validate()
            .is_ok()
        };
        assert!(by(999_999_999, true) && !by(1_000_000_000, true));
        assert!(by(-999_999_999, false) && !by(-1_000_000_000, false));
        assert!(by(0, false) && !by(0, true), "zero only with mode N");
        let release = |f| {
            mail(MailParams {
                future_release: Some(f),
                ..MailParams::default()
            })
            .validate()
            .is_ok()
        };
        assert!(release(FutureRelease::HoldFor(999_999_999)));
        assert!(!release(FutureRelease::HoldFor(1_000_000_000)));
        assert!(release(FutureRelease::HoldUntil(
            "2026-12-01T12:00:00.5+01:00".into()
        )));
        assert!(release(FutureRelease::HoldUntil("1".repeat(64))));
        assert!(!release(FutureRelease::HoldUntil("1".repeat(65))));
        assert!(!release(FutureRelease::HoldUntil(String::new())));
    }

    #[test]
    fn debug_never_shows_auth_payloads() {
        let c = Command::Auth {
            mechanism: "PLAIN".into(),
            initial: Some(b"\0user\0hunter2".to_vec()),
        };
        let shown = format!("{c:?} {c}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("AHVzZXIAaHVudGVyMg"),
            "{shown}"
        );
        let r = format!("{:?}", Command::AuthResponse(b"hunter2".to_vec()));
        assert!(!r.contains("hunter2") && !r.contains("aHVudGVyMg"), "{r}");
        // What they do show: the redacted trace line.
        assert_eq!(format!("{c}"), "AUTH PLAIN <redacted>");
        assert_eq!(format!("{c:?}"), "Command(\"AUTH PLAIN <redacted>\")");
        assert_eq!(format!("{}", Command::Noop), "NOOP");
    }

    proptest! {
        #[test]
        fn nothing_valid_ever_encodes_an_inner_line_break(a in "\\PC{0,80}|[\\x00-\\x7f]{0,80}", b in "\\PC{0,40}|[\\x00-\\x7f]{0,40}") {
            let mut cmds = Vec::new();
            if let Ok(p) = ReversePath::parse(&a) {
                let mut params = MailParams { envid: EnvId::new(&b).ok(), ..MailParams::default() };
                if let Ok(x) = EsmtpParam::new(&b, Some(&a), true) {
                    params.extra.push(x);
                }
                cmds.push(Command::Mail { from: p, params });
            }
            if let Ok(p) = ForwardPath::parse(&a) {
                let orcpt = Orcpt::parse(&b).ok();
                cmds.push(Command::Rcpt { to: p, params: RcptParams { orcpt, ..RcptParams::default() } });
            }
            if let Ok(h) = Host::parse(&a) {
                cmds.push(Command::Ehlo(h));
            }
            cmds.push(Command::Vrfy(a.clone()));
            cmds.push(Command::Auth { mechanism: b.clone(), initial: Some(a.clone().into_bytes()) });
            for c in cmds {
                if c.validate().is_ok() {
                    let l = line(&c);
                    let breaks = l.bytes().filter(|&x| x == b'\r' || x == b'\n').count();
                    prop_assert_eq!(breaks, 2, "{:?}", l);
                    prop_assert!(l.ends_with("\r\n"));
                }
            }
        }
    }
}
