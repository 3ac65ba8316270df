//! smtp-delivery on arbitrary DNS: every `Gather` machine (destinations, addresses,
//! TLSA) answered with arbitrary records, authentic flags, NXDOMAIN and SERVFAIL, and
//! now and then an answer to a question it did not ask; then MTA-STS policy text and
//! the plan. Checked: a bounded number of questions (RFC 5321 §5.1 CNAME limits,
//! loops), a wrong answer refused with nothing changed, DANE's "any TLSA record makes
//! TLS mandatory" (RFC 7672 §2.2), REQUIRETLS never planned without a verification
//! mechanism (RFC 8689 §5), and MTA-STS enforce honoured (RFC 8461 §5).

use std::net::IpAddr;

use arbitrary::{Arbitrary, Unstructured};
use smtp_delivery::dane::{tlsa_names, GatherTlsa, NameInputs};
use smtp_delivery::destinations::{GatherDestinations, Host, NextHop};
use smtp_delivery::dns::{Answer, Gather, QType, Query, Record, Tlsa};
use smtp_delivery::ips::{GatherIps, Network};
use smtp_delivery::mtasts::{Mode, Policy};
use smtp_delivery::plan::{
    attempt_permanent, dane_applicable, delivery_permanent, plaintext_retry_allowed, plan_host,
    sts_mismatch_detail, sts_verdict, tlsa_expanded_authentic, HostVerdict, Refusal,
    TlsRequirement,
};
use smtp_proto::TlsMode;

use super::text::text;

type R<T> = arbitrary::Result<T>;

/// No machine may ask more than this, whatever the answers.
const MAX_QUESTIONS: usize = 64;

const NAMES: &[&str] = &[
    "example.org.",
    "mx.example.org.",
    "mx2.example.org.",
    "alias.example.org.",
    "other.example.",
    "_25._tcp.mx.example.org.",
    "_25._tcp.alias.example.org.",
    ".",
    "",
    "-bad-.example.",
    "a..b",
    "MX.Example.ORG",
];

fn name(u: &mut Unstructured<'_>) -> R<String> {
    Ok(if u8::arbitrary(u)? < 200 {
        String::from(*u.choose(NAMES)?)
    } else {
        text(u, 6)?
    })
}

fn record(u: &mut Unstructured<'_>, q: &Query) -> R<Record> {
    // Mostly the type asked for; sometimes another (a confused resolver).
    let qtype = if u8::arbitrary(u)? < 220 {
        q.qtype
    } else {
        *u.choose(&[QType::Cname, QType::Mx, QType::A, QType::Aaaa, QType::Tlsa])?
    };
    Ok(match qtype {
        QType::Cname => Record::Cname(name(u)?),
        QType::Mx => Record::Mx {
            pref: u16::from(u8::arbitrary(u)? % 4),
            host: name(u)?,
        },
        QType::A => Record::A(<[u8; 4]>::arbitrary(u)?.into()),
        QType::Aaaa => Record::Aaaa(<[u8; 16]>::arbitrary(u)?.into()),
        QType::Tlsa => Record::Tlsa(Tlsa {
            usage: u8::arbitrary(u)? % 5,
            selector: u8::arbitrary(u)? % 3,
            matching_type: u8::arbitrary(u)? % 4,
            data: Vec::arbitrary(u)?,
        }),
    })
}

fn answer(u: &mut Unstructured<'_>, q: &Query) -> R<Answer> {
    Ok(match u8::arbitrary(u)? % 8 {
        0 => Answer::ServFail,
        1 => Answer::NxDomain {
            authentic: bool::arbitrary(u)?,
        },
        _ => {
            let n = u.int_in_range(0..=4)?;
            let mut records = Vec::new();
            for _ in 0..n {
                records.push(record(u, q)?);
            }
            Answer::Records {
                records,
                authentic: u8::arbitrary(u)? % 4 != 0,
            }
        }
    })
}

/// Runs `g` to the end on answers drawn from `u`; checks the question bound and that
/// an answer to the wrong question is refused without effect.
fn run<G: Gather>(mut g: G, u: &mut Unstructured<'_>) -> G::Output {
    let mut asked = 0;
    while let Some(q) = g.poll_query() {
        asked += 1;
        assert!(
            asked <= MAX_QUESTIONS,
            "more than {MAX_QUESTIONS} questions"
        );
        assert_eq!(
            g.poll_query().as_ref(),
            Some(&q),
            "poll_query is not idempotent"
        );
        if u8::arbitrary(u).unwrap_or(0) == 255 {
            let wrong = Query::new("wrong.example", QType::Aaaa);
            if wrong != q && g.answer(&wrong, Answer::ServFail).is_ok() {
                panic!("an answer to an unasked question was taken");
            }
            assert_eq!(
                g.poll_query().as_ref(),
                Some(&q),
                "a refused answer changed the machine"
            );
        }
        let Ok(a) = answer(u, &q) else {
            // Out of input: the caller gives up (a timeout); `finish` must cope.
            break;
        };
        g.answer(&q, a)
            .expect("the pending question's answer is taken");
    }
    g.finish()
}

fn requirement(u: &mut Unstructured<'_>) -> R<TlsRequirement> {
    Ok(match u8::arbitrary(u)? % 3 {
        0 => TlsRequirement::Default,
        1 => TlsRequirement::RequireTls,
        _ => TlsRequirement::TlsRequiredNo,
    })
}

/// A policy text: mostly well-formed lines in arbitrary order and values.
fn policy_text(u: &mut Unstructured<'_>) -> R<String> {
    if bool::arbitrary(u)? {
        return text(u, 30);
    }
    let mut s = String::new();
    for _ in 0..u.int_in_range(0..=6)? {
        let key = u.choose(&["version", "mode", "mx", "max_age", "x_ext", "bad key", ""])?;
        let value = match *key {
            "version" => u.choose(&["STSv1", "STSv2", ""])?.to_string(),
            "mode" => u
                .choose(&["enforce", "testing", "none", "Enforce"])?
                .to_string(),
            "mx" => u
                .choose(&[
                    "mx.example.org",
                    "*.example.org",
                    "*.*.x",
                    "MX2.example.org",
                    "*",
                ])?
                .to_string(),
            "max_age" => u
                .choose(&[
                    "86400",
                    "0",
                    "31557600",
                    "31557601",
                    "99999999999",
                    "-1",
                    "1e3",
                ])?
                .to_string(),
            _ => text(u, 4)?,
        };
        let sep = u.choose(&[": ", ":", ":\t", " : "])?;
        let end = u.choose(&["\n", "\r\n", "\r", ""])?;
        s.push_str(&format!("{key}{sep}{value}{end}"));
    }
    Ok(s)
}

/// Plans one delivery from arbitrary DNS and policy.
pub fn delivery(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(hop_text) = name(&mut u) else {
        return;
    };
    let Ok(hop) = NextHop::parse(&hop_text) else {
        return;
    };
    let seed = Option::<u64>::arbitrary(&mut u).unwrap_or(None);
    let dest = run(GatherDestinations::new(&hop, seed), &mut u);
    if dest.error.is_some() {
        assert!(dest.hosts.is_empty() || !dest.permanent);
    }
    if dest.permanent {
        assert!(
            dest.hosts.is_empty(),
            "a permanent failure with hosts to try"
        );
    }
    let policy = policy_text(&mut u).ok().and_then(|t| {
        let p = Policy::parse(&t).ok()?;
        assert!(p.max_age <= smtp_delivery::mtasts::MAX_MAX_AGE);
        assert!(p.mode == Mode::None || !p.mx.is_empty());
        Some(p)
    });
    let req = requirement(&mut u).unwrap_or_default();
    let (mut permanent, mut missing, mut tried) = (false, 0, 0);
    for host in dest.hosts.iter().take(3) {
        let host_name = host.to_string();
        let verdict = sts_verdict(policy.as_ref(), &host_name, req);
        let listed = policy.as_ref().is_none_or(|p| p.matches(&host_name));
        let enforce = policy.as_ref().is_some_and(|p| p.mode == Mode::Enforce);
        if enforce && !listed {
            assert_ne!(verdict, HostVerdict::Try, "an unlisted host under enforce");
        }
        let _ = sts_mismatch_detail(policy.as_ref(), &host_name);
        let network = *u
            .choose(&[Network::Ip, Network::Ip4, Network::Ip6])
            .unwrap_or(&Network::Ip);
        let dialed: Vec<IpAddr> = Vec::<[u8; 4]>::arbitrary(&mut u)
            .unwrap_or_default()
            .into_iter()
            .take(3)
            .map(IpAddr::from)
            .collect();
        let ips = run(GatherIps::new(host, network, &dialed), &mut u);
        // A name's addresses are of the families asked for (an address next hop is
        // dialed as given).
        for ip in ips.ips.iter().filter(|_| matches!(host, Host::Name(_))) {
            match network {
                Network::Ip4 => assert!(ip.is_ipv4()),
                Network::Ip6 => assert!(ip.is_ipv6()),
                Network::Ip => {}
            }
        }
        let is_name = matches!(host, Host::Name(_));
        let tlsa = if dane_applicable(
            ips.authentic,
            dest.orig_next_hop_authentic,
            dest.have_mx,
            dest.expanded_next_hop_authentic,
            is_name,
        ) {
            let expanded_ok =
                tlsa_expanded_authentic(dest.expanded_next_hop_authentic, ips.expanded_authentic);
            let t = run(
                GatherTlsa::new(&host_name, expanded_ok, &ips.expanded_host),
                &mut u,
            );
            for r in &t.records {
                assert!(
                    smtp_delivery::dane::usable(r),
                    "an unusable TLSA record kept"
                );
            }
            assert!(t.records.is_empty() || t.dane_required);
            let names = tlsa_names(&NameInputs {
                have_mx: dest.have_mx,
                expanded_next_hop_authentic: dest.expanded_next_hop_authentic,
                expanded_tlsa_base_domain_authentic: ips.expanded_authentic,
                orig_next_hop: hop_text.clone(),
                expanded_next_hop: dest.expanded_next_hop.clone(),
                orig_tlsa_base_domain: host_name.clone(),
                expanded_tlsa_base_domain: t.tlsa_base_domain.clone(),
            });
            assert!(!names.is_empty(), "no name for the certificate");
            Some(t)
        } else {
            None
        };
        let enforce_listed = enforce && listed;
        let plan = plan_host(&host_name, enforce_listed, tlsa.as_ref(), req);
        if plan.refuse.is_none() {
            if tlsa
                .as_ref()
                .is_some_and(|t| t.dane_required && t.error.is_none())
            {
                assert_eq!(
                    plan.tls,
                    TlsMode::RequiredStartTls,
                    "TLSA records but no TLS"
                );
            }
            if enforce_listed {
                assert_eq!(
                    plan.tls,
                    TlsMode::RequiredStartTls,
                    "MTA-STS enforce but no TLS"
                );
                assert!(plan.verify_pkix);
            }
            if req == TlsRequirement::RequireTls {
                assert!(
                    !plan.dane_records.is_empty() || plan.verify_pkix,
                    "REQUIRETLS without a verification mechanism"
                );
            }
        }
        let plain = plaintext_retry_allowed(&plan, enforce_listed, false, req);
        if req != TlsRequirement::TlsRequiredNo {
            if plain {
                assert!(plan.dane_records.is_empty() && !enforce_listed);
                assert_ne!(req, TlsRequirement::RequireTls);
            }
            assert!(!plaintext_retry_allowed(&plan, enforce_listed, true, req));
        }
        let failed_permanent = bool::arbitrary(&mut u).unwrap_or(false);
        let enhanced = smtp_proto::EnhancedCode::parse(
            u.choose(&["5.7.1", "5.7.10", "4.7.0", "5.1.1", "x"])
                .unwrap_or(&"x"),
        );
        let p = attempt_permanent(failed_permanent, true, ips.dualstack, enhanced);
        assert!(!p || failed_permanent);
        permanent |= p;
        if matches!(plan.refuse, Some(Refusal::RequireTlsImpossible))
            || smtp_delivery::plan::missing_requiretls(enhanced)
        {
            missing += 1;
        }
        tried += 1;
    }
    if tried > 0 {
        let _ = delivery_permanent(permanent, missing.min(tried), tried);
    }
}
