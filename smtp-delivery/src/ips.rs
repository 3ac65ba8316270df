//! Which addresses to dial for a host, in which order — RFC 5321 §5.1 (try the
//! addresses of a host), RFC 7672 §2.2.2 and RFC 7671 §7 (DANE needs the
//! CNAME-expanded name and authentic answers), RFC 6555 spirit (after a failure on
//! one address family, try the other first), as mox's `GatherIPs`.

use std::net::IpAddr;

use crate::destinations::{cname_target, Host};
use crate::dns::{
    drive, expect_query, valid_host, Answer, Gather, QType, Query, Record, Resolver,
    UnexpectedAnswer,
};
use crate::error::DeliveryError;

/// CNAMEs followed for an MX target (mox: 10).
pub const MAX_HOST_CNAMES: usize = 10;

/// Address families to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Network {
    /// IPv4 and IPv6.
    #[default]
    Ip,
    /// IPv4 only.
    Ip4,
    /// IPv6 only.
    Ip6,
}

/// What [`gather_ips`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ips {
    /// The first CNAME answer and the address answers were authentic.
    pub authentic: bool,
    /// Every answer while expanding was authentic.
    pub expanded_authentic: bool,
    /// The host after following CNAMEs (for TLSA, RFC 7672 §2.2.2).
    pub expanded_host: String,
    /// Addresses in dialing order.
    pub ips: Vec<IpAddr>,
    /// The host has both IPv4 and IPv6 addresses.
    pub dualstack: bool,
    /// Why no address was found.
    pub error: Option<DeliveryError>,
}

/// Resolves `host` and orders its addresses with a synchronous resolver:
/// [`GatherIps`] run by [`drive`]. `dialed` lists the addresses of this host tried in
/// earlier attempts, oldest first: after a failure the other family is preferred; an
/// address tried once is retried first within its family.
pub fn gather_ips(
    resolver: &mut dyn Resolver,
    host: &Host,
    network: Network,
    dialed: &[IpAddr],
) -> Ips {
    drive(GatherIps::new(host, network, dialed), resolver)
}

/// Where the address lookup stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Asking for a CNAME at `Ips::expanded_host`.
    Cname,
    /// Asking for the address types still in `GatherIps::pending`.
    Addresses,
    /// Finished.
    Done,
}

/// The resumable form of mox's `GatherIPs` (a [`Gather`] machine): `CNAME` at the
/// host and every name it leads to (at most [`MAX_HOST_CNAMES`] + 1 followed), then
/// `A` and `AAAA` (as `network` allows) at the expanded name. An IP host asks nothing.
#[derive(Clone, Debug)]
pub struct GatherIps {
    out: Ips,
    step: Step,
    /// CNAME questions answered so far.
    cnames_asked: usize,
    /// Address types still to ask, in order.
    pending: Vec<QType>,
    /// Some address lookup failed temporarily.
    servfail: bool,
    dialed: Vec<IpAddr>,
}

impl GatherIps {
    /// Starts the lookup for `host`; see [`gather_ips`] for `dialed`.
    #[must_use]
    pub fn new(host: &Host, network: Network, dialed: &[IpAddr]) -> GatherIps {
        let mut pending = Vec::with_capacity(2);
        if network != Network::Ip6 {
            pending.push(QType::A);
        }
        if network != Network::Ip4 {
            pending.push(QType::Aaaa);
        }
        let (out, step) = match host {
            Host::Ip(ip) => (
                Ips {
                    authentic: false,
                    expanded_authentic: false,
                    expanded_host: String::new(),
                    ips: vec![*ip],
                    dualstack: false,
                    error: None,
                },
                Step::Done,
            ),
            Host::Name(n) => (
                Ips {
                    authentic: true,
                    expanded_authentic: true,
                    expanded_host: n.trim_end_matches('.').to_ascii_lowercase(),
                    ips: Vec::new(),
                    dualstack: false,
                    error: None,
                },
                Step::Cname,
            ),
        };
        GatherIps {
            out,
            step,
            cnames_asked: 0,
            pending,
            servfail: false,
            dialed: dialed.to_vec(),
        }
    }

    fn fail(&mut self, e: DeliveryError) {
        self.out.ips.clear();
        self.out.error = Some(e);
        self.step = Step::Done;
    }

    /// RFC 7671 §7, RFC 7672 §2.2.2: follow CNAMEs explicitly, DANE needs the final
    /// name. An MX target should not be a CNAME (RFC 5321 §5.1, RFC 2181 §10.3), but
    /// it happens and resolvers follow it.
    fn on_cname(&mut self, answer: &Answer) {
        let first = self.cnames_asked == 0;
        self.cnames_asked += 1;
        if first {
            self.out.authentic = answer.authentic();
        }
        self.out.expanded_authentic &= answer.authentic();
        match cname_target(answer) {
            Err(e) => self.fail(e),
            Ok(Some(t)) if t != self.out.expanded_host => {
                // As mox: no loop detection here, the limit ends a loop too.
                if self.cnames_asked > MAX_HOST_CNAMES + 1 {
                    return self.fail(DeliveryError::CnameLimit);
                }
                if !valid_host(&t) {
                    return self.fail(DeliveryError::InvalidName);
                }
                self.out.expanded_host = t;
            }
            Ok(_) => self.step = Step::Addresses,
        }
    }

    fn on_addresses(&mut self, answer: Answer) {
        self.out.authentic &= answer.authentic();
        self.out.expanded_authentic &= answer.authentic();
        match answer {
            Answer::ServFail => self.servfail = true,
            Answer::NxDomain { .. } => {}
            Answer::Records { records, .. } => {
                // Only records of the type asked: an AAAA record in the answer to an
                // A question must not give an IPv4-only caller an IPv6 address.
                let asked = self.pending.first().copied();
                self.out
                    .ips
                    .extend(records.into_iter().filter_map(|rec| match (rec, asked) {
                        (Record::A(a), Some(QType::A)) => Some(IpAddr::V4(a)),
                        (Record::Aaaa(a), Some(QType::Aaaa)) => Some(IpAddr::V6(a)),
                        _ => None,
                    }));
            }
        }
        if !self.pending.is_empty() {
            self.pending.remove(0);
        }
        if self.pending.is_empty() {
            self.complete();
        }
    }

    /// All address answers are in: an empty list is an error (temporary if any lookup
    /// failed, else "no such host"); otherwise note dual stack and order.
    fn complete(&mut self) {
        if self.out.ips.is_empty() {
            let e = if self.servfail {
                DeliveryError::Dns
            } else {
                DeliveryError::NxDomain
            };
            return self.fail(e);
        }
        let have4 = self.out.ips.iter().any(IpAddr::is_ipv4);
        let have6 = self.out.ips.iter().any(IpAddr::is_ipv6);
        self.out.dualstack = have4 && have6;
        order_by_previous_attempts(&mut self.out.ips, &self.dialed);
        self.step = Step::Done;
    }
}

impl Gather for GatherIps {
    type Output = Ips;

    fn poll_query(&self) -> Option<Query> {
        let qtype = match self.step {
            Step::Cname => QType::Cname,
            Step::Addresses => *self.pending.first()?,
            Step::Done => return None,
        };
        Some(Query::new(&self.out.expanded_host, qtype))
    }

    fn answer(&mut self, query: &Query, answer: Answer) -> Result<(), UnexpectedAnswer> {
        expect_query(self.poll_query(), query)?;
        match self.step {
            Step::Cname => self.on_cname(&answer),
            _ => self.on_addresses(answer),
        }
        Ok(())
    }

    fn finish(mut self) -> Ips {
        if self.step != Step::Done && self.out.error.is_none() {
            self.fail(DeliveryError::Dns);
        }
        self.out
    }
}

/// mox's ordering: the family other than the last attempt's first; within the last
/// family, the last address first if it was the only one of its family tried. The
/// sort is stable, so DNS order is otherwise kept.
fn order_by_previous_attempts(ips: &mut [IpAddr], dialed: &[IpAddr]) {
    let Some(&prev) = dialed.last() else { return };
    let prev_is4 = prev.is_ipv4();
    let same_family = dialed.iter().filter(|ip| ip.is_ipv4() == prev_is4).count();
    let prefer_prev = same_family == 1;
    ips.sort_by(|a, b| {
        let rank = |ip: &IpAddr| -> u8 {
            if ip.is_ipv4() != prev_is4 {
                0
            } else if prefer_prev && *ip == prev {
                1
            } else {
                2
            }
        };
        rank(a).cmp(&rank(b))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(v: &[&str]) -> Vec<IpAddr> {
        v.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn machine_asks_a_then_aaaa_and_notes_dual_stack() {
        let mut g = GatherIps::new(&Host::Name("mx.example".into()), Network::Ip, &[]);
        let answers = [
            Answer::NxDomain { authentic: true },
            Answer::Records {
                records: vec![Record::A("192.0.2.1".parse().unwrap())],
                authentic: true,
            },
            Answer::Records {
                records: vec![Record::Aaaa("2001:db8::1".parse().unwrap())],
                authentic: false,
            },
        ];
        let mut asked = Vec::new();
        for a in answers {
            let q = g.poll_query().unwrap();
            asked.push(q.qtype);
            g.answer(&q, a).unwrap();
        }
        assert_eq!(asked, [QType::Cname, QType::A, QType::Aaaa]);
        assert_eq!(g.poll_query(), None);
        let r = g.finish();
        assert!(r.dualstack && !r.authentic && !r.expanded_authentic);
        assert_eq!(r.ips, ips(&["192.0.2.1", "2001:db8::1"]));
    }

    #[test]
    fn a_host_whose_cname_is_itself_is_asked_for_addresses() {
        let mut g = GatherIps::new(&Host::Name("mx.example".into()), Network::Ip4, &[]);
        let mut asked = Vec::new();
        while let Some(q) = g.poll_query() {
            asked.push(q.qtype);
            assert!(asked.len() <= 4, "runaway lookup: {asked:?}");
            let a = match q.qtype {
                QType::Cname => Answer::Records {
                    records: vec![Record::Cname("mx.example.".into())],
                    authentic: true,
                },
                _ => Answer::Records {
                    records: vec![Record::A("192.0.2.1".parse().unwrap())],
                    authentic: true,
                },
            };
            g.answer(&q, a).unwrap();
        }
        assert_eq!(asked, [QType::Cname, QType::A]);
        let r = g.finish();
        assert_eq!((r.error, r.ips), (None, ips(&["192.0.2.1"])));
        assert_eq!(r.expanded_host, "mx.example");
    }

    #[test]
    fn records_of_another_type_than_asked_are_ignored() {
        // Found by the `delivery` fuzz target: an AAAA record answering the A question
        // of an IPv4-only lookup was returned as an address to dial.
        let mut g = GatherIps::new(&Host::Name("mx.example".into()), Network::Ip4, &[]);
        let q = g.poll_query().unwrap();
        g.answer(&q, Answer::NxDomain { authentic: true }).unwrap();
        let q = g.poll_query().unwrap();
        assert_eq!(q.qtype, QType::A);
        let records = vec![
            Record::Aaaa("2001:db8::1".parse().unwrap()),
            Record::A("192.0.2.1".parse().unwrap()),
        ];
        g.answer(
            &q,
            Answer::Records {
                records,
                authentic: true,
            },
        )
        .unwrap();
        let r = g.finish();
        assert_eq!(r.ips, ips(&["192.0.2.1"]));
        assert!(!r.dualstack);
    }

    #[test]
    fn an_unfinished_lookup_is_a_temporary_error() {
        let g = GatherIps::new(&Host::Name("mx.example".into()), Network::Ip4, &[]);
        let r = g.finish();
        assert_eq!(r.error, Some(DeliveryError::Dns));
        assert!(r.ips.is_empty());
    }

    #[test]
    fn other_family_first_after_a_failure() {
        let mut v = ips(&["10.0.0.1", "2001:db8::1", "10.0.0.2"]);
        order_by_previous_attempts(&mut v, &ips(&["10.0.0.1"]));
        assert_eq!(v, ips(&["2001:db8::1", "10.0.0.1", "10.0.0.2"]));
        let mut w = ips(&["10.0.0.1", "10.0.0.2", "2001:db8::1"]);
        order_by_previous_attempts(&mut w, &ips(&["10.0.0.2", "10.0.0.2"]));
        assert_eq!(w, ips(&["2001:db8::1", "10.0.0.1", "10.0.0.2"]));
        let mut same = ips(&["10.0.0.1", "10.0.0.2"]);
        order_by_previous_attempts(&mut same, &[]);
        assert_eq!(same, ips(&["10.0.0.1", "10.0.0.2"]));
    }
}
