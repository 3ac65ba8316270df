//! Mailbox addresses and paths — RFC 5321 §4.1.2 (Mailbox, Local-part, Domain,
//! address-literal), §4.1.3 (address literals), §4.5.3.1 (size limits), RFC 6531 §3.3
//! (UTF-8 local parts and domains, which need SMTPUTF8).
//!
//! SKELETON: signatures are the contract other modules code against.

use alloc::string::String;
use core::fmt;

/// RFC 5321 §4.5.3.1.1: a local part is at most 64 octets.
pub const MAX_LOCAL_PART: usize = 64;
/// RFC 5321 §4.5.3.1.2: a domain is at most 255 octets.
pub const MAX_DOMAIN: usize = 255;
/// RFC 5321 §4.5.3.1.3: a path, angle brackets included, is at most 256 octets.
pub const MAX_PATH: usize = 256;

/// Why a string is not a valid address, domain or path. The caller's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AddressError {
    /// Nothing where an address or domain was required.
    #[error("empty address")]
    Empty,
    /// No `@` between local part and domain.
    #[error("address has no '@'")]
    MissingAt,
    /// The local part is neither a dot-atom nor a quoted string.
    #[error("invalid local part: {0}")]
    BadLocalPart(&'static str),
    /// The domain is not a sequence of valid labels.
    #[error("invalid domain: {0}")]
    BadDomain(&'static str),
    /// An address literal that is not IPv4, `IPv6:` or a valid general literal.
    #[error("invalid address literal")]
    BadLiteral,
    /// The local part exceeds [`MAX_LOCAL_PART`] octets.
    #[error("local part longer than {MAX_LOCAL_PART} octets")]
    LocalPartTooLong,
    /// The domain exceeds [`MAX_DOMAIN`] octets.
    #[error("domain longer than {MAX_DOMAIN} octets")]
    DomainTooLong,
    /// The path exceeds [`MAX_PATH`] octets.
    #[error("path longer than {MAX_PATH} octets")]
    PathTooLong,
    /// A control character (CR, LF, NUL, ...) or other byte never allowed.
    #[error("forbidden character {0:?}")]
    ForbiddenChar(char),
}

/// A domain name: ASCII LDH labels, or UTF-8 labels (RFC 6531, needs SMTPUTF8).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Domain(String);

impl Domain {
    /// Validates a domain (a trailing dot is not allowed in SMTP).
    pub fn parse(s: &str) -> Result<Domain, AddressError> {
        let _ = s;
        todo!()
    }
    /// The domain as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// False when any label is non-ASCII (then SMTPUTF8 is required).
    pub fn is_ascii(&self) -> bool {
        self.0.is_ascii()
    }
}

/// An address literal, RFC 5321 §4.1.3.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AddressLiteral {
    /// `[192.0.2.1]`
    V4(core::net::Ipv4Addr),
    /// `[IPv6:2001:db8::1]`
    V6(core::net::Ipv6Addr),
    /// `[tag:content]`, a General-address-literal.
    General {
        /// The standardized tag.
        tag: String,
        /// Its content (dcontent).
        content: String,
    },
}

/// What follows the `@`, or the argument of EHLO/HELO/LHLO.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Host {
    /// A domain name.
    Domain(Domain),
    /// An address literal in brackets.
    Literal(AddressLiteral),
}

impl Host {
    /// Parses a domain or a bracketed address literal.
    pub fn parse(s: &str) -> Result<Host, AddressError> {
        let _ = s;
        todo!()
    }
    /// False when the host needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            Host::Domain(d) => d.is_ascii(),
            Host::Literal(_) => true,
        }
    }
}

impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let _ = f;
        todo!()
    }
}

/// `local-part@host`, with the local part kept in wire form (dot-atom or quoted string).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Mailbox {
    local: String,
    host: Host,
}

impl Mailbox {
    /// Parses `local@host` (angle brackets not allowed here).
    pub fn parse(s: &str) -> Result<Mailbox, AddressError> {
        let _ = s;
        todo!()
    }
    /// The local part in wire form (quotes kept for a quoted string).
    pub fn local_part(&self) -> &str {
        &self.local
    }
    /// The host part.
    pub fn host(&self) -> &Host {
        &self.host
    }
    /// False when the address needs SMTPUTF8 (RFC 6531).
    pub fn is_ascii(&self) -> bool {
        self.local.is_ascii() && self.host.is_ascii()
    }
}

impl fmt::Display for Mailbox {
    /// `local@host`, without angle brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.local, self.host)
    }
}

/// The MAIL FROM path: a mailbox, or the null path `<>` (RFC 5321 §4.5.5).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ReversePath(Option<Mailbox>);

impl ReversePath {
    /// Parses `""`, `"<>"`, `"a@b"` or `"<a@b>"`.
    pub fn parse(s: &str) -> Result<ReversePath, AddressError> {
        let _ = s;
        todo!()
    }
    /// The null reverse-path `<>`.
    #[must_use]
    pub fn null() -> ReversePath {
        ReversePath(None)
    }
    /// The mailbox, or `None` for the null path.
    pub fn mailbox(&self) -> Option<&Mailbox> {
        self.0.as_ref()
    }
    /// False when the path needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        self.0.as_ref().map_or(true, Mailbox::is_ascii)
    }
}

impl fmt::Display for ReversePath {
    /// Wire form with angle brackets: `<a@b>` or `<>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(m) => write!(f, "<{m}>"),
            None => f.write_str("<>"),
        }
    }
}

/// The RCPT TO path: a mailbox, or the special `<Postmaster>` (RFC 5321 §4.1.1.3).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ForwardPath {
    /// An ordinary mailbox.
    Mailbox(Mailbox),
    /// `<Postmaster>` without a domain (case-insensitive on input).
    Postmaster,
}

impl ForwardPath {
    /// Parses `"a@b"`, `"<a@b>"` or `"Postmaster"`; the null path is refused.
    pub fn parse(s: &str) -> Result<ForwardPath, AddressError> {
        let _ = s;
        todo!()
    }
    /// False when the path needs SMTPUTF8.
    pub fn is_ascii(&self) -> bool {
        match self {
            ForwardPath::Mailbox(m) => m.is_ascii(),
            ForwardPath::Postmaster => true,
        }
    }
}

impl fmt::Display for ForwardPath {
    /// Wire form with angle brackets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ForwardPath::Mailbox(m) => write!(f, "<{m}>"),
            ForwardPath::Postmaster => f.write_str("<Postmaster>"),
        }
    }
}
