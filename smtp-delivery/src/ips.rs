//! Which addresses to dial for a host, in which order — RFC 5321 §5.1 (try the
//! addresses of a host), RFC 7672 §2.2.2 and RFC 7671 §7 (DANE needs the
//! CNAME-expanded name and authentic answers), RFC 6555 spirit (after a failure on
//! one address family, try the other first), as mox's `GatherIPs`.

use std::net::IpAddr;

use crate::destinations::{cname_target, Host};
use crate::dns::{fqdn, Answer, QType, Query, Record, Resolver};
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

/// Resolves `host` and orders its addresses. `dialed` lists the addresses of this
/// host tried in earlier attempts, oldest first: after a failure the other family is
/// preferred; an address tried once is retried first within its family.
pub fn gather_ips(
    resolver: &mut dyn Resolver,
    host: &Host,
    network: Network,
    dialed: &[IpAddr],
) -> Ips {
    let name = match host {
        Host::Ip(ip) => {
            return Ips {
                authentic: false,
                expanded_authentic: false,
                expanded_host: String::new(),
                ips: vec![*ip],
                dualstack: false,
                error: None,
            }
        }
        Host::Name(n) => n.trim_end_matches('.').to_ascii_lowercase(),
    };
    let mut r = Ips {
        authentic: true,
        expanded_authentic: true,
        expanded_host: name.clone(),
        ips: Vec::new(),
        dualstack: false,
        error: None,
    };
    // RFC 7671 §7: follow CNAMEs explicitly, DANE needs the final name.
    for i in 0.. {
        let answer = resolver.lookup(&Query {
            name: fqdn(&r.expanded_host),
            qtype: QType::Cname,
        });
        if i == 0 {
            r.authentic = answer.authentic();
        }
        r.expanded_authentic &= answer.authentic();
        match cname_target(&answer) {
            Err(e) => return fail(r, e),
            Ok(Some(t)) if t != r.expanded_host => {
                // As mox: no loop detection here, the limit ends a loop too.
                if i > MAX_HOST_CNAMES {
                    return fail(r, DeliveryError::CnameLimit);
                }
                r.expanded_host = t;
            }
            Ok(_) => break,
        }
    }
    if let Err(e) = lookup_addresses(resolver, &mut r, network) {
        return fail(r, e);
    }
    let (have4, have6) = (
        r.ips.iter().any(IpAddr::is_ipv4),
        r.ips.iter().any(IpAddr::is_ipv6),
    );
    r.dualstack = have4 && have6;
    order_by_previous_attempts(&mut r.ips, dialed);
    r
}

fn fail(mut r: Ips, e: DeliveryError) -> Ips {
    r.ips.clear();
    r.error = Some(e);
    r
}

fn lookup_addresses(
    resolver: &mut dyn Resolver,
    r: &mut Ips,
    network: Network,
) -> Result<(), DeliveryError> {
    let mut types = Vec::new();
    if network != Network::Ip6 {
        types.push(QType::A);
    }
    if network != Network::Ip4 {
        types.push(QType::Aaaa);
    }
    let mut servfail = false;
    for qtype in types {
        let answer = resolver.lookup(&Query {
            name: fqdn(&r.expanded_host),
            qtype,
        });
        r.authentic &= answer.authentic();
        r.expanded_authentic &= answer.authentic();
        match answer {
            Answer::ServFail => servfail = true,
            Answer::NxDomain { .. } => {}
            Answer::Records { records, .. } => {
                r.ips
                    .extend(records.into_iter().filter_map(|rec| match rec {
                        Record::A(a) => Some(IpAddr::V4(a)),
                        Record::Aaaa(a) => Some(IpAddr::V6(a)),
                        _ => None,
                    }));
            }
        }
    }
    if !r.ips.is_empty() {
        return Ok(());
    }
    Err(if servfail {
        DeliveryError::Dns
    } else {
        DeliveryError::NxDomain
    })
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
