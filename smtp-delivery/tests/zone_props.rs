//! Any zone — CNAME cycles, deep chains, random MX — makes gathering terminate after
//! a bounded number of questions, and results name only hosts the zone led to.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use smtp_delivery::dane::gather_tlsa;
use smtp_delivery::destinations::{gather_destinations, Host, NextHop};
use smtp_delivery::dns::{Answer, QType, Query, Record, Resolver};
use smtp_delivery::ips::{gather_ips, Network};

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
    )
        .prop_map(|(cname, mx, a, fail)| RandomZone {
            cname,
            mx,
            a,
            fail,
            asked: 0,
        })
}

/// Names reachable from `start` through CNAME and MX edges.
fn reachable(z: &RandomZone, start: usize) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut todo = vec![start];
    while let Some(i) = todo.pop() {
        if seen.insert(i) {
            todo.extend(z.cname.get(&i));
            todo.extend(z.mx.get(&i).into_iter().flatten().map(|(_, h)| *h));
        }
    }
    seen.into_iter()
        .map(|i| name(i).trim_end_matches('.').to_string())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    #[test]
    fn gathering_terminates_and_stays_in_the_zone(mut z in zone(), start in 0usize..24, seed in any::<Option<u64>>()) {
        let ok_names = reachable(&z, start);
        let hop = NextHop::parse(name(start).trim_end_matches('.')).unwrap();
        let d = gather_destinations(&mut z, &hop, seed);
        prop_assert!(z.asked <= 2 * 17 + 1, "destinations asked {} questions", z.asked);
        prop_assert!(ok_names.contains(&d.expanded_next_hop));
        for h in &d.hosts {
            prop_assert!(ok_names.contains(&h.to_string()), "{h} not led to");
            z.asked = 0;
            let ips = gather_ips(&mut z, h, Network::Ip, &[]);
            prop_assert!(z.asked <= 14, "ips asked {}", z.asked);
            if let Host::Name(n) = h {
                let from_host = reachable(&z, index(&format!("{n}.")).unwrap());
                prop_assert!(from_host.contains(&ips.expanded_host));
                z.asked = 0;
                let _ = gather_tlsa(&mut z, n, ips.expanded_authentic, &ips.expanded_host);
                prop_assert!(z.asked <= 26, "tlsa asked {}", z.asked);
            }
        }
    }
}
