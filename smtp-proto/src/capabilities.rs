//! EHLO/LHLO capabilities — RFC 5321 §4.1.1.1 (ehlo-line syntax), RFC 1870 (SIZE),
//! RFC 2920 (PIPELINING), RFC 3207 (STARTTLS), RFC 2034 (ENHANCEDSTATUSCODES),
//! RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 8689 (REQUIRETLS), RFC 3030
//! (CHUNKING, BINARYMIME), RFC 3461 (DSN), RFC 4954 (AUTH), RFC 9422 (LIMITS),
//! RFC 6710 (MT-PRIORITY), RFC 2852 (DELIVERBY), RFC 4865 (FUTURERELEASE).
//!
//! SKELETON: signatures are the contract other modules code against.

use alloc::string::String;
use alloc::vec::Vec;

use crate::reply::Reply;

/// The server's LIMITS (RFC 9422), parsed with mox's rules: a syntax error drops the
/// whole keyword (`parse` returns `None`), a bad value drops that value only, a
/// duplicate name is a syntax error.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Every `name=value` pair, names upper-cased, in the order given.
    pub params: Vec<(String, String)>,
    /// MAILMAX: transactions per session, when valid (1–999999).
    pub mailmax: Option<u32>,
    /// RCPTMAX: recipients per transaction, when valid.
    pub rcptmax: Option<u32>,
    /// RCPTDOMAINMAX: distinct recipient domains per transaction, when valid.
    pub rcptdomainmax: Option<u32>,
}

impl Limits {
    /// Parses the text after the `LIMITS` keyword (leading spaces allowed), e.g.
    /// `" RCPTMAX=100 MAILMAX=1000"`. `None` when the whole keyword must be ignored.
    pub fn parse(text: &str) -> Option<Limits> {
        let _ = text;
        todo!()
    }
}

/// What a server supports, from its EHLO or LHLO reply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    /// The server's name: the first word of the first line (never a capability).
    pub domain: String,
    /// STARTTLS (RFC 3207)
    pub starttls: bool,
    /// ENHANCEDSTATUSCODES (RFC 2034)
    pub enhanced_status_codes: bool,
    /// 8BITMIME (RFC 6152)
    pub eight_bit_mime: bool,
    /// PIPELINING (RFC 2920)
    pub pipelining: bool,
    /// SMTPUTF8 (RFC 6531)
    pub smtputf8: bool,
    /// REQUIRETLS (RFC 8689)
    pub requiretls: bool,
    /// CHUNKING (RFC 3030)
    pub chunking: bool,
    /// BINARYMIME (RFC 3030)
    pub binarymime: bool,
    /// DSN (RFC 3461)
    pub dsn: bool,
    /// SIZE was advertised (RFC 1870), with or without a usable number.
    pub size_advertised: bool,
    /// The SIZE limit when one is known: absent, 0, garbage or overflow = `None`.
    pub max_size: Option<u64>,
    /// AUTH mechanisms, upper-cased, deduplicated, in order; includes the old `AUTH=` form.
    pub auth: Vec<String>,
    /// LIMITS (RFC 9422), when present and valid.
    pub limits: Option<Limits>,
    /// MT-PRIORITY (RFC 6710) was advertised.
    pub mt_priority: bool,
    /// The MT-PRIORITY profile name, if one was given (e.g. `MIXER`).
    pub mt_priority_profile: Option<String>,
    /// DELIVERBY (RFC 2852) was advertised.
    pub deliverby: bool,
    /// DELIVERBY's minimum by-time in seconds, when given.
    pub deliverby_min: Option<u64>,
    /// FUTURERELEASE (RFC 4865) was advertised.
    pub futurerelease: bool,
    /// FUTURERELEASE's max-future-release-interval in seconds, when valid.
    pub futurerelease_max_interval: Option<u64>,
    /// FUTURERELEASE's max-future-release-date-time, as given.
    pub futurerelease_max_datetime: Option<String>,
    /// Every other keyword, upper-cased, with its parameters as given.
    pub other: Vec<(String, Vec<String>)>,
}

/// Why an EHLO reply cannot be read as capabilities. The server's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CapabilityError {
    /// The reply is not a 250.
    #[error("EHLO reply code {0} is not 250")]
    NotOk(u16),
}

impl Capabilities {
    /// Reads an EHLO/LHLO 250 reply. Keywords are case-insensitive; an empty line
    /// (smtp-sink's last `250 `) is skipped; unknown keywords go to `other`.
    pub fn parse(reply: &Reply) -> Result<Capabilities, CapabilityError> {
        let _ = reply;
        todo!()
    }
    /// True when `mechanism` (any case) is among the AUTH mechanisms.
    pub fn supports_auth(&self, mechanism: &str) -> bool {
        self.auth.iter().any(|m| m.eq_ignore_ascii_case(mechanism))
    }
    /// Whether the keyword (any case) was advertised, known or not.
    pub fn has(&self, keyword: &str) -> bool {
        let _ = keyword;
        todo!()
    }
}
