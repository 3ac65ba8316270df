//! The DNS facts the delivery logic consumes and the questions it asks — RFC 1035
//! (names, NXDOMAIN, SERVFAIL), RFC 4035 §3.2.3 (the AD bit: "authentic"), which DANE
//! depends on (RFC 7672 §2.2). The logic never resolves.
//!
//! Every gathering step is a resumable lookup, a [`Gather`] state machine: the caller
//! polls it for the next [`Query`] with [`Gather::poll_query`], resolves it however it
//! likes (synchronously, from a cache, with `.await`), hands the [`Answer`] back with
//! [`Gather::answer`], and repeats until `poll_query` returns `None`; then
//! [`Gather::finish`] gives the result. [`drive`] runs that loop against a synchronous
//! [`Resolver`], which is what the `gather_*` convenience functions do.

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

/// Answers the questions the delivery logic asks, synchronously. Implemented by the
/// caller (a cache, a stub resolver, a test zone) and used by [`drive`]; an async
/// caller drives a [`Gather`] machine itself instead.
pub trait Resolver {
    /// Answers one question.
    fn lookup(&mut self, query: &Query) -> Answer;
}

/// An answer was handed to a [`Gather`] machine that did not ask that question (or
/// asked nothing): the caller's bug. The machine's state is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("answer for {got:?}, but the pending question is {pending:?}")]
pub struct UnexpectedAnswer {
    /// The question the machine is waiting for, if any.
    pub pending: Option<Query>,
    /// The question the answer was given for.
    pub got: Query,
}

/// A resumable DNS lookup: the sans-IO shape of every gathering step.
///
/// Call order: `poll_query` → resolve → `answer`, until `poll_query` returns `None`;
/// then `finish`. `poll_query` does not advance the machine: calling it twice returns
/// the same question. Every machine asks a bounded number of questions, whatever the
/// answers (CNAME chains are cut at a fixed length, loops are detected).
pub trait Gather {
    /// What the lookup produces.
    type Output;

    /// The question to answer next, or `None` when the lookup is complete.
    #[must_use]
    fn poll_query(&self) -> Option<Query>;

    /// Hands in the answer to the pending question `query`. An answer to any other
    /// question is refused and changes nothing.
    fn answer(&mut self, query: &Query, answer: Answer) -> Result<(), UnexpectedAnswer>;

    /// The result. Called before the lookup completed (the caller gave up, e.g. on a
    /// timeout), the result carries [`crate::DeliveryError::Dns`]: a temporary failure.
    #[must_use]
    fn finish(self) -> Self::Output;
}

/// Runs a [`Gather`] machine to completion against a synchronous [`Resolver`].
pub fn drive<G: Gather>(mut machine: G, resolver: &mut dyn Resolver) -> G::Output {
    for _ in 0..MAX_QUERIES {
        let Some(q) = machine.poll_query() else {
            break;
        };
        let a = resolver.lookup(&q);
        // Cannot fail: `q` is the pending question. Stop rather than loop if it did.
        if machine.answer(&q, a).is_err() {
            break;
        }
    }
    machine.finish()
}

/// More questions than any gathering asks (each follows a bounded CNAME chain per
/// name): [`drive`] stops a machine past it rather than trust it to end.
pub const MAX_QUERIES: usize = 256;

/// Checks that `got` is the `pending` question (both names normalised).
pub(crate) fn expect_query(pending: Option<Query>, got: &Query) -> Result<(), UnexpectedAnswer> {
    match &pending {
        Some(p) if p.qtype == got.qtype && fqdn(&p.name) == fqdn(&got.name) => Ok(()),
        _ => Err(UnexpectedAnswer {
            pending,
            got: got.clone(),
        }),
    }
}

impl Query {
    /// A question for `name` (normalised with [`fqdn`]).
    #[must_use]
    pub fn new(name: &str, qtype: QType) -> Query {
        Query {
            name: fqdn(name),
            qtype,
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Asks the same question for ever, counting the answers it gets.
    struct Endless(usize);

    impl Gather for Endless {
        type Output = usize;
        fn poll_query(&self) -> Option<Query> {
            Some(Query {
                name: "loop.example.".into(),
                qtype: QType::A,
            })
        }
        fn answer(&mut self, _: &Query, _: Answer) -> Result<(), UnexpectedAnswer> {
            self.0 += 1;
            Ok(())
        }
        fn finish(self) -> usize {
            self.0
        }
    }

    struct NoData;

    impl Resolver for NoData {
        fn lookup(&mut self, _: &Query) -> Answer {
            Answer::NxDomain { authentic: false }
        }
    }

    #[test]
    fn drive_stops_a_machine_that_never_ends() {
        assert_eq!(drive(Endless(0), &mut NoData), MAX_QUERIES);
    }
}
