//! Where to deliver for a next hop — RFC 5321 §5.1 (MX, implicit MX, CNAME at the
//! next hop), RFC 7505 (null MX), RFC 7672 §2.2.2 (which DNS answers must be
//! DNSSEC-authentic for DANE), as mox's `GatherDestinations`.

use std::net::IpAddr;

use std::collections::HashSet;

use crate::dns::{
    drive, expect_query, valid_host, Answer, Gather, QType, Query, Record, Resolver,
    UnexpectedAnswer,
};
use crate::error::DeliveryError;

/// RFC 5321 §5.1 gives no limit; mox follows at most 16 CNAMEs for the next hop.
pub const MAX_NEXT_HOP_CNAMES: usize = 16;

/// The next hop: a domain, or an IP address dialed directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextHop {
    /// A domain (case-insensitive, trailing dot optional).
    Domain(String),
    /// An address literal: dialed as is, no MX, no TLSA.
    Ip(IpAddr),
}

impl NextHop {
    /// Reads `example.org`, `192.0.2.1`, `[192.0.2.1]` or `[IPv6:2001:db8::1]`.
    pub fn parse(s: &str) -> Result<NextHop, DeliveryError> {
        let inner = s
            .strip_prefix('[')
            .and_then(|r| r.strip_suffix(']'))
            .unwrap_or(s);
        let inner = inner
            .strip_prefix("IPv6:")
            .or_else(|| inner.strip_prefix("ipv6:"))
            .unwrap_or(inner);
        if let Ok(ip) = inner.parse::<IpAddr>() {
            return Ok(NextHop::Ip(ip));
        }
        if valid_host(s) {
            Ok(NextHop::Domain(
                s.trim_end_matches('.').to_ascii_lowercase(),
            ))
        } else {
            Err(DeliveryError::InvalidName)
        }
    }
}

/// A host to try: a name (to resolve with [`crate::ips::gather_ips`]) or an address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Host {
    /// A host name, lower case, no trailing dot.
    Name(String),
    /// An address.
    Ip(IpAddr),
}

impl std::fmt::Display for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Host::Name(n) => f.write_str(n),
            Host::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

/// What [`gather_destinations`] found. Every field is meaningful, also with an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Destinations {
    /// MX records were found (a null MX counts).
    pub have_mx: bool,
    /// The first CNAME and MX answers for the original name were authentic.
    pub orig_next_hop_authentic: bool,
    /// Every answer while expanding (CNAMEs and MX) was authentic.
    pub expanded_next_hop_authentic: bool,
    /// The next hop after following CNAMEs (no trailing dot).
    pub expanded_next_hop: String,
    /// Hosts in the order to try.
    pub hosts: Vec<Host>,
    /// The failure is permanent (null MX): do not retry.
    pub permanent: bool,
    /// Why no hosts could be gathered.
    pub error: Option<DeliveryError>,
}

/// Gathers the hosts for `next_hop` with a synchronous resolver: [`GatherDestinations`]
/// run by [`drive`]. MX hosts are ordered by preference; hosts of equal preference are
/// shuffled with `shuffle_seed` (RFC 5321 §5.1 "SHOULD randomize"), or kept in DNS
/// order when it is `None` (for reproducible tests).
pub fn gather_destinations(
    resolver: &mut dyn Resolver,
    next_hop: &NextHop,
    shuffle_seed: Option<u64>,
) -> Destinations {
    drive(GatherDestinations::new(next_hop, shuffle_seed), resolver)
}

/// Where the destination lookup stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Asking for a CNAME at `Destinations::expanded_next_hop`.
    Cname,
    /// Asking for the MX records of `Destinations::expanded_next_hop`.
    Mx,
    /// Finished.
    Done,
}

/// The resumable form of mox's `GatherDestinations` (a [`Gather`] machine): asks
/// `CNAME` for the next hop and for every name it leads to (at most
/// [`MAX_NEXT_HOP_CNAMES`], loops detected), then `MX` at the expanded name. An IP
/// next hop asks nothing.
#[derive(Clone, Debug)]
pub struct GatherDestinations {
    out: Destinations,
    step: Step,
    /// CNAMEs followed so far.
    followed: usize,
    /// Names visited, to detect loops.
    seen: HashSet<String>,
    shuffle_seed: Option<u64>,
}

impl GatherDestinations {
    /// Starts the lookup for `next_hop`; see [`gather_destinations`] for `shuffle_seed`.
    #[must_use]
    pub fn new(next_hop: &NextHop, shuffle_seed: Option<u64>) -> GatherDestinations {
        let (out, step) = match next_hop {
            // IP addresses are dialed directly and have no TLSA records.
            NextHop::Ip(ip) => (
                Destinations {
                    have_mx: false,
                    orig_next_hop_authentic: false,
                    expanded_next_hop_authentic: false,
                    expanded_next_hop: String::new(),
                    hosts: vec![Host::Ip(*ip)],
                    permanent: false,
                    error: None,
                },
                Step::Done,
            ),
            // Start out assuming authentic; every answer may take it away.
            NextHop::Domain(d) => (
                Destinations {
                    have_mx: false,
                    orig_next_hop_authentic: true,
                    expanded_next_hop_authentic: true,
                    expanded_next_hop: d.trim_end_matches('.').to_ascii_lowercase(),
                    hosts: Vec::new(),
                    permanent: false,
                    error: None,
                },
                Step::Cname,
            ),
        };
        let seen = HashSet::from([out.expanded_next_hop.clone()]);
        GatherDestinations {
            out,
            step,
            followed: 0,
            seen,
            shuffle_seed,
        }
    }

    fn fail(&mut self, e: DeliveryError) {
        self.out.error = Some(e);
        self.step = Step::Done;
    }

    /// RFC 7672 §2.2.2: the first answers (for the original name) decide
    /// `orig_next_hop_authentic`; every answer counts for the expanded name.
    fn note_authentic(&mut self, answer: &Answer) {
        if self.followed == 0 {
            self.out.orig_next_hop_authentic &= answer.authentic();
        }
        self.out.expanded_next_hop_authentic &= answer.authentic();
    }

    /// An explicit CNAME lookup: we need the final name and whether each step was
    /// authentic (RFC 5321 §5.1 allows a CNAME at the next hop).
    fn on_cname(&mut self, answer: &Answer) {
        match cname_target(answer) {
            Err(e) => self.fail(e),
            Ok(Some(target)) if target != self.out.expanded_next_hop => {
                if !valid_host(&target) {
                    return self.fail(DeliveryError::Dns);
                }
                self.out.expanded_next_hop = target.clone();
                self.followed += 1;
                if !self.seen.insert(target) {
                    self.fail(DeliveryError::CnameLoop);
                } else if self.followed == MAX_NEXT_HOP_CNAMES {
                    self.fail(DeliveryError::CnameLimit);
                }
            }
            // No CNAME (or the name itself, as some resolvers answer): ask MX.
            Ok(_) => self.step = Step::Mx,
        }
    }
}

impl Gather for GatherDestinations {
    type Output = Destinations;

    fn poll_query(&self) -> Option<Query> {
        let qtype = match self.step {
            Step::Cname => QType::Cname,
            Step::Mx => QType::Mx,
            Step::Done => return None,
        };
        Some(Query::new(&self.out.expanded_next_hop, qtype))
    }

    fn answer(&mut self, query: &Query, answer: Answer) -> Result<(), UnexpectedAnswer> {
        expect_query(self.poll_query(), query)?;
        self.note_authentic(&answer);
        match self.step {
            Step::Cname => self.on_cname(&answer),
            _ => {
                mx_hosts(&mut self.out, answer, self.shuffle_seed);
                self.step = Step::Done;
            }
        }
        Ok(())
    }

    fn finish(mut self) -> Destinations {
        if self.step != Step::Done && self.out.error.is_none() {
            self.out.error = Some(DeliveryError::Dns);
        }
        self.out
    }
}

/// The CNAME target in an answer, if any; SERVFAIL is a DNS error.
pub(crate) fn cname_target(answer: &Answer) -> Result<Option<String>, DeliveryError> {
    match answer {
        Answer::ServFail => Err(DeliveryError::Dns),
        Answer::NxDomain { .. } => Ok(None),
        Answer::Records { records, .. } => Ok(records.iter().find_map(|r| match r {
            Record::Cname(t) => Some(t.trim_end_matches('.').to_ascii_lowercase()),
            _ => None,
        })),
    }
}

fn mx_hosts(d: &mut Destinations, answer: Answer, shuffle_seed: Option<u64>) {
    let records = match answer {
        Answer::ServFail => {
            d.error = Some(DeliveryError::Dns);
            return;
        }
        Answer::NxDomain { .. } => Vec::new(),
        Answer::Records { records, .. } => records,
    };
    let mut mxs: Vec<(u16, String)> = records
        .into_iter()
        .filter_map(|r| match r {
            Record::Mx { pref, host } => Some((pref, host)),
            _ => None,
        })
        .collect();
    if mxs.is_empty() {
        // RFC 5321 §5.1: no MX, the domain itself is the implicit MX.
        d.hosts = vec![Host::Name(d.expanded_next_hop.clone())];
        return;
    }
    // RFC 7505 §3: a "." MX says the domain accepts no mail. It is its explicit wish
    // not to be bothered, so the failure is permanent. A "." among other MX records is
    // forbidden by the same section; we read it as the same wish (behaviour choice 19)
    // and never deliver to the other hosts.
    if mxs.iter().any(|(_, h)| h.trim_end_matches('.').is_empty()) {
        d.have_mx = true;
        d.permanent = true;
        d.error = Some(DeliveryError::NullMx);
        return;
    }
    // Invalid targets are dropped while valid ones remain, as mox's resolver filters
    // them (RFC 5321 §5.1). With none valid, the lookup failed as a whole: a temporary
    // DNS error, no MX seen.
    mxs.retain(|(_, h)| valid_host(h));
    if mxs.is_empty() {
        d.error = Some(DeliveryError::Dns);
        return;
    }
    d.have_mx = true;
    mxs.sort_by_key(|(p, _)| *p);
    if let Some(seed) = shuffle_seed {
        shuffle_equal_preferences(&mut mxs, seed);
    }
    d.hosts = mxs
        .into_iter()
        .map(|(_, h)| Host::Name(h.trim_end_matches('.').to_ascii_lowercase()))
        .collect();
}

/// Vigna's SplitMix64: a small, well-mixed stream from a caller's seed (no clock and
/// no OS randomness in the core).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Fisher–Yates within each run of equal preference, driven by a SplitMix64 stream.
fn shuffle_equal_preferences(mxs: &mut [(u16, String)], seed: u64) {
    let mut stream = SplitMix64(seed);
    let mut next = move || stream.next();
    let mut start = 0;
    while start < mxs.len() {
        let end = start
            + mxs[start..]
                .iter()
                .take_while(|(p, _)| *p == mxs[start].0)
                .count();
        for i in (start + 1..end).rev() {
            let j = start + (next() % (i - start + 1) as u64) as usize;
            mxs.swap(i, j);
        }
        start = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_is_the_reference_stream() {
        // The published outputs of SplitMix64 from seed 0.
        let mut s = SplitMix64(0);
        assert_eq!(
            [s.next(), s.next(), s.next()],
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F
            ]
        );
    }

    #[test]
    fn shuffle_permutes_each_run_of_equal_preference_only() {
        let names = ["a", "b", "c", "d", "e", "f", "g"];
        let prefs = [10, 20, 20, 20, 20, 30, 30];
        let order = |seed| {
            let mut mxs: Vec<(u16, String)> = prefs
                .iter()
                .zip(names)
                .map(|(&p, n)| (p, n.to_string()))
                .collect();
            shuffle_equal_preferences(&mut mxs, seed);
            mxs.into_iter()
                .map(|(p, n)| format!("{p}{n}"))
                .collect::<Vec<_>>()
                .join(" ")
        };
        // Pinned: the order is a function of the seed (a caller can reproduce it).
        assert_eq!(order(1), "10a 20d 20b 20e 20c 30f 30g");
        assert_eq!(order(1), order(1));
        let orders: std::collections::BTreeSet<String> = (0..64).map(order).collect();
        assert!(orders.len() > 10, "seeds give different orders: {orders:?}");
        for o in &orders {
            let words: Vec<&str> = o.split(' ').collect();
            assert_eq!(words[0], "10a", "{o}");
            let mut middle: Vec<&str> = words[1..5].to_vec();
            middle.sort_unstable();
            assert_eq!(middle, ["20b", "20c", "20d", "20e"], "{o}");
            let mut last: Vec<&str> = words[5..].to_vec();
            last.sort_unstable();
            assert_eq!(last, ["30f", "30g"], "{o}");
        }
    }

    #[test]
    fn shuffle_keeps_preference_order_and_permutes_ties() {
        let mut v: Vec<(u16, String)> = (0..6)
            .map(|i| (if i < 4 { 10 } else { 20 }, format!("h{i}")))
            .collect();
        let orig = v.clone();
        shuffle_equal_preferences(&mut v, 42);
        assert!(v[..4].iter().all(|(p, _)| *p == 10) && v[4..].iter().all(|(p, _)| *p == 20));
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, orig);
        let seeds_differ = (0..20u64).any(|s| {
            let mut w = orig.clone();
            shuffle_equal_preferences(&mut w, s);
            w != orig
        });
        assert!(seeds_differ);
    }

    #[test]
    fn an_ip_next_hop_asks_nothing() {
        let g = GatherDestinations::new(&NextHop::parse("[192.0.2.1]").unwrap(), None);
        assert_eq!(g.poll_query(), None);
        assert_eq!(
            g.finish().hosts,
            vec![Host::Ip("192.0.2.1".parse().unwrap())]
        );
    }

    #[test]
    fn machine_asks_cname_then_mx_and_gives_up_as_temporary() {
        let mut g = GatherDestinations::new(&NextHop::parse("Example.org").unwrap(), None);
        let q = g.poll_query().unwrap();
        assert_eq!(q, Query::new("example.org", QType::Cname));
        g.answer(&q, Answer::NxDomain { authentic: true }).unwrap();
        assert_eq!(g.poll_query(), Some(Query::new("example.org", QType::Mx)));
        let unfinished = g.finish();
        assert_eq!(unfinished.error, Some(DeliveryError::Dns));
        assert!(unfinished.hosts.is_empty());
    }

    #[test]
    fn null_mx_is_permanent_alone_and_among_others() {
        let mx = |hosts: &[&str]| Answer::Records {
            records: hosts
                .iter()
                .map(|h| Record::Mx {
                    pref: 10,
                    host: (*h).into(),
                })
                .collect(),
            authentic: true,
        };
        let mut d = GatherDestinations::new(&NextHop::Domain("x.example".into()), None).out;
        mx_hosts(&mut d, mx(&["."]), None);
        assert_eq!(
            (d.error, d.permanent, d.have_mx),
            (Some(DeliveryError::NullMx), true, true)
        );
        let mut d = GatherDestinations::new(&NextHop::Domain("x.example".into()), None).out;
        mx_hosts(&mut d, mx(&["mx.x.example.", "."]), None);
        assert_eq!(
            (d.error, d.permanent, d.have_mx),
            (Some(DeliveryError::NullMx), true, true)
        );
        assert!(d.hosts.is_empty(), "never the other host: {:?}", d.hosts);
    }

    #[test]
    fn next_hop_parsing() {
        assert_eq!(
            NextHop::parse("[192.0.2.1]"),
            Ok(NextHop::Ip("192.0.2.1".parse().unwrap()))
        );
        assert_eq!(
            NextHop::parse("[IPv6:2001:db8::1]"),
            Ok(NextHop::Ip("2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            NextHop::parse("Example.ORG."),
            Ok(NextHop::Domain("example.org".into()))
        );
        assert_eq!(NextHop::parse("bad name"), Err(DeliveryError::InvalidName));
    }
}
