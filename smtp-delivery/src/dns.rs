//! The DNS facts the delivery logic consumes and the questions it asks. The logic
//! never resolves: a [`Resolver`] supplied by the caller answers each [`Query`]
//! (from a cache, a stub resolver, or a test zone), including whether the answer was
//! DNSSEC-authentic (RFC 4035 AD bit), which DANE depends on (RFC 7672 §2.2).

use std::net::{Ipv4Addr, Ipv6Addr};

/// A record type the delivery logic asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QType {
    /// CNAME
    Cname,
    /// MX
    Mx,
    /// A
    A,
    /// AAAA
    Aaaa,
    /// TLSA (RFC 6698)
    Tlsa,
}

impl QType {
    /// The type's mnemonic, e.g. `"MX"`.
    pub fn as_str(&self) -> &'static str {
        match self {
            QType::Cname => "CNAME",
            QType::Mx => "MX",
            QType::A => "A",
            QType::Aaaa => "AAAA",
            QType::Tlsa => "TLSA",
        }
    }
}

/// One DNS question: a fully qualified name (lower case, trailing dot) and a type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Query {
    /// The name, e.g. `"_25._tcp.mx.example."`.
    pub name: String,
    /// The type.
    pub qtype: QType,
}

/// A TLSA record (RFC 6698 §2.1).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Tlsa {
    /// Certificate usage: 2 = DANE-TA, 3 = DANE-EE are usable for SMTP (RFC 7672 §3.1).
    pub usage: u8,
    /// 0 = full certificate, 1 = SubjectPublicKeyInfo.
    pub selector: u8,
    /// 0 = exact, 1 = SHA-256, 2 = SHA-512.
    pub matching_type: u8,
    /// The certificate association data.
    pub data: Vec<u8>,
}

/// One answer record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// CNAME target (absolute name).
    Cname(String),
    /// MX preference and exchange (`"."` for a null MX, RFC 7505).
    Mx {
        /// Preference, lower first.
        pref: u16,
        /// Exchange host name.
        host: String,
    },
    /// IPv4 address.
    A(Ipv4Addr),
    /// IPv6 address.
    Aaaa(Ipv6Addr),
    /// TLSA record.
    Tlsa(Tlsa),
}

/// The answer to one [`Query`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Records of the asked type (possibly none: NODATA).
    Records {
        /// The records.
        records: Vec<Record>,
        /// DNSSEC-validated (AD bit from a validating resolver).
        authentic: bool,
    },
    /// The name does not exist (or has no record of the type).
    NxDomain {
        /// Whether the denial was DNSSEC-validated.
        authentic: bool,
    },
    /// SERVFAIL or another temporary failure.
    ServFail,
}

impl Answer {
    /// Whether the answer was DNSSEC-authentic (never for SERVFAIL).
    pub fn authentic(&self) -> bool {
        match self {
            Answer::Records { authentic, .. } | Answer::NxDomain { authentic } => *authentic,
            Answer::ServFail => false,
        }
    }
}

/// Answers the questions the delivery logic asks. Implemented by the caller; the
/// logic calls it synchronously, so an async caller resolves ahead of time (or runs
/// the gathering on a blocking thread) and answers from its cache.
pub trait Resolver {
    /// Answers one question.
    fn lookup(&mut self, query: &Query) -> Answer;
}

/// Normalises a name: lower case, one trailing dot.
pub fn fqdn(name: &str) -> String {
    let mut n = name.trim_end_matches('.').to_ascii_lowercase();
    n.push('.');
    n
}

/// Validates a host name laxly (letters, digits, hyphen, underscore as seen in the
/// wild for MX targets), each label 1–63 octets, 255 in all.
pub fn valid_host(name: &str) -> bool {
    let n = name.trim_end_matches('.');
    !n.is_empty()
        && n.len() <= 253
        && n.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}
