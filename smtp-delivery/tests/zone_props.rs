//! Any zone — CNAME cycles, deep chains, random MX — makes gathering terminate after
//! a bounded number of questions, and results name only hosts the zone led to.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use smtp_delivery::dane::{GatherTlsa, MAX_TLSA_CNAMES};
use smtp_delivery::destinations::{
    gather_destinations, GatherDestinations, Host, NextHop, MAX_NEXT_HOP_CNAMES,
};
use smtp_delivery::dns::{Answer, Gather, QType, Query, Record, Resolver};
use smtp_delivery::ips::{GatherIps, Network, MAX_HOST_CNAMES};

#[derive(Debug, Clone)]
struct RandomZone {
    cname: BTreeMap<usize, usize>,
    mx: BTreeMap<usize, Vec<(u16, usize)>>,
    a: BTreeSet<usize>,
    fail: BTreeSet<usize>,
    asked: usize,
}

fn name(i: usize) -> String {
    format!("n{i}.example.")
}

fn index(n: &str) -> Option<usize> {
    n.strip_prefix("_25._tcp.")
        .unwrap_or(n)
        .strip_prefix('n')?
        .strip_suffix(".example.")?
        .parse()
        .ok()
}

impl Resolver for RandomZone {
    fn lookup(&mut self, q: &Query) -> Answer {
        self.asked += 1;
        let Some(i) = index(&q.name) else {
            return Answer::NxDomain { authentic: true };
        };
        if self.fail.contains(&i) {
            return Answer::ServFail;
        }
        let records = match q.qtype {
            QType::Cname => self
                .cname
                .get(&i)
                .map(|t| vec![Record::Cname(name(*t))])
                .unwrap_or_default(),
            QType::Mx => self
                .mx
                .get(&i)
                .map(|l| {
                    l.iter()
                        .map(|(p, h)| Record::Mx {
                            pref: *p,
                            host: name(*h),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            QType::A if self.a.contains(&i) => vec![Record::A([10, 0, 0, (i % 250) as u8].into())],
            _ => vec![],
        };
        if records.is_empty() {
            Answer::NxDomain {
                authentic: i % 3 != 0,
            }
        } else {
            Answer::Records {
                records,
                authentic: i % 2 == 0,
            }
        }
    }
}

/// A random zone; with `deep`, also a CNAME chain 0 → 1 → … → `deep` (deeper than
/// every limit when `deep` ≥ 17), which random maps rarely build.
fn zone() -> impl Strategy<Value = RandomZone> {
    (
        proptest::collection::btree_map(0usize..24, 0usize..24, 0..24),
        proptest::collection::btree_map(
            0usize..24,
            proptest::collection::vec((0u16..5, 0usize..24), 0..5),
            0..12,
        ),
        proptest::collection::btree_set(0usize..24, 0..24),
        proptest::collection::btree_set(0usize..24, 0..3),
        proptest::option::of(1usize..23),
    )
        .prop_map(|(mut cname, mx, a, fail, deep)| {
            if let Some(d) = deep {
                for i in 0..d {
                    cname.insert(i, i + 1);
                }
            }
            RandomZone {
                cname,
                mx,
                a,
                fail,
                asked: 0,
            }
        })
}

/// Names reachable from `start` through CNAME edges, and also MX edges if `mx`.
fn reachable(z: &RandomZone, start: usize, mx: bool) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        if seen.insert(i) {
            todo.extend(z.cname.get(&i));
            if mx {
                todo.extend(z.mx.get(&i).into_iter().flatten().map(|(_, h)| *h));
            }
        }
    }
    seen.into_iter()
        .map(|i| name(i).trim_end_matches('.').to_string())
        .collect()
}

/// Runs a machine by hand, as an async caller would: every question must be about a
/// name in `allowed` (the `_25._tcp.` prefix aside), and a wrong answer is refused
/// without changing the pending question. Returns the output and the question count.
fn run_checked<G: Gather>(
    mut g: G,
    z: &mut RandomZone,
    allowed: &BTreeSet<String>,
) -> Result<(G::Output, usize), TestCaseError> {
    let mut asked = 0;
    while let Some(q) = g.poll_query() {
        asked += 1;
        prop_assert!(asked <= 64, "runaway lookup");
        let bare = q.name.strip_prefix("_25._tcp.").unwrap_or(&q.name);
        prop_assert!(
            allowed.contains(bare.trim_end_matches('.')),
            "asked about {} which the zone did not lead to",
            q.name
        );
        let wrong = Query::new("elsewhere.invalid", q.qtype);
        prop_assert!(g.answer(&wrong, Answer::ServFail).is_err());
        prop_assert_eq!(g.poll_query(), Some(q.clone()));
        let a = z.lookup(&q);
        prop_assert!(g.answer(&q, a).is_ok());
    }
    Ok((g.finish(), asked))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn gathering_terminates_and_stays_in_the_zone(mut z in zone(), start in 0usize..24, seed in any::<Option<u64>>()) {
        let via_mx = reachable(&z, start, true);
        let via_cname = reachable(&z, start, false);
        let hop = NextHop::parse(name(start).trim_end_matches('.')).unwrap();
        let (d, asked) = run_checked(GatherDestinations::new(&hop, seed), &mut z, &via_cname)?;
        // At most 16 CNAME questions, then one MX.
        prop_assert!(asked <= MAX_NEXT_HOP_CNAMES + 1, "destinations asked {}", asked);
        prop_assert!(via_cname.contains(&d.expanded_next_hop));
        for h in &d.hosts {
            prop_assert!(via_mx.contains(&h.to_string()), "{} not led to", h);
            let Host::Name(n) = h else { continue };
            let from_host = reachable(&z, index(&format!("{n}.")).unwrap(), false);
            let (ips, asked) = run_checked(GatherIps::new(h, Network::Ip, &[]), &mut z, &from_host)?;
            // At most 12 CNAME questions, then A and AAAA.
            prop_assert!(asked <= MAX_HOST_CNAMES + 2 + 2, "ips asked {}", asked);
            prop_assert!(from_host.contains(&ips.expanded_host));
            prop_assert!(ips.error.is_some() == ips.ips.is_empty());
            let mut tlsa_ok = from_host.clone();
            for base in [n.as_str(), ips.expanded_host.as_str()] {
                tlsa_ok.extend(reachable(&z, index(&format!("{base}.")).unwrap(), false));
            }
            let (t, asked) = run_checked(
                GatherTlsa::new(n, ips.expanded_authentic, &ips.expanded_host),
                &mut z,
                &tlsa_ok,
            )?;
            // Two base domains at most, each ≤ 11 CNAME questions and one TLSA.
            prop_assert!(asked <= 2 * (MAX_TLSA_CNAMES + 2), "tlsa asked {}", asked);
            prop_assert!(t.tlsa_base_domain == *n || t.tlsa_base_domain == ips.expanded_host);
            prop_assert!(t.error.is_none() || t.dane_required);
        }
    }

    #[test]
    fn sync_and_resumable_gathering_agree(mut z in zone(), start in 0usize..24) {
        let hop = NextHop::parse(name(start).trim_end_matches('.')).unwrap();
        let all: BTreeSet<String> = (0..24).map(|i| name(i).trim_end_matches('.').to_string()).collect();
        let (by_hand, _) = run_checked(GatherDestinations::new(&hop, Some(3)), &mut z, &all)?;
        prop_assert_eq!(gather_destinations(&mut z, &hop, Some(3)), by_hand);
    }
}
