//! Sans-IO delivery decisions for an MTA: where to connect for a recipient domain and
//! how much TLS to demand, before a single SMTP byte is exchanged — a port of the rules
//! of mox's `smtpclient/gather.go` and `queue/direct.go`. The crate never resolves,
//! dials or reads a clock: each DNS step is a [`dns::Gather`] state machine that
//! *asks* questions ([`dns::Gather::poll_query`]) and *takes* answers (records, the
//! DNSSEC-authentic flag, NXDOMAIN, SERVFAIL) through [`dns::Gather::answer`], so a
//! tokio MTA, a blocking one, or a test zone can all drive it. The `gather_*`
//! functions drive the same machines with a synchronous [`dns::Resolver`].
//!
//! # The flow, per message and recipient domain
//!
//! 1. **Destinations** — [`destinations::GatherDestinations`]: next hop → CNAME chain
//!    (≤16, loops caught) → MX. Null MX = permanent failure (RFC 7505); no MX = the
//!    domain itself (implicit MX, RFC 5321 §5.1); invalid MX targets dropped; equal
//!    preferences shuffled with the caller's seed; `orig_/expanded_next_hop_authentic`
//!    tracked for DANE (RFC 7672 §2.2.2).
//! 2. **MTA-STS** — the caller fetches the recipient domain's policy (never at the
//!    CNAME target) and parses it with [`mtasts::Policy::parse`] (RFC 8461 §3.2). Per
//!    host, [`plan::sts_verdict`] skips hosts an `enforce` policy does not list
//!    (RFC 8461 §4.1, §5) and [`plan::sts_mismatch_detail`] reports them.
//! 3. **Addresses** — [`ips::GatherIps`] per host: CNAME-expand the host, A/AAAA,
//!    dual stack, order after earlier attempts (the other family first).
//! 4. **DANE** — if [`plan::dane_applicable`] (every answer on the way authentic),
//!    [`dane::GatherTlsa`]: TLSA at `_25._tcp.` of the expanded host (when
//!    [`plan::tlsa_expanded_authentic`]) or the original, usable records only; any
//!    record at all makes TLS mandatory (RFC 7672 §2.2, §3.1). [`dane::tlsa_names`]
//!    gives the names the certificate may carry, the first for SNI (RFC 7672 §3.2.2).
//! 5. **Plan** — [`plan::plan_host`]: TLS mode (opportunistic, STARTTLS + WebPKI for
//!    MTA-STS enforce, STARTTLS + DANE), `TLS-Required: No`, REQUIRETLS feasibility
//!    (RFC 8689 §5), and the host's TLS-report result (`tlsa` / `no-policy-found`).
//! 6. **Session** — `smtp_proto::Client` with that TLS mode. After a TLS failure,
//!    [`plan::plaintext_retry_allowed`]; after a refusal, [`plan::attempt_permanent`]
//!    (a first-attempt 5.7.x from a dual-stack host is temporary); after every host,
//!    [`plan::delivery_permanent`] (no host could do REQUIRETLS → permanent, counted
//!    with [`plan::missing_requiretls`]).
//!
//! # Example: one message to `example.org`
//!
//! The caller answers questions from a tiny signed zone here; an async MTA would
//! `.await` its resolver at the marked line instead.
//!
//! ```
//! use smtp_delivery::dane::{tlsa_names, GatherTlsa, NameInputs};
//! use smtp_delivery::destinations::{GatherDestinations, NextHop};
//! use smtp_delivery::dns::{Answer, Gather, QType, Query, Record, Tlsa};
//! use smtp_delivery::ips::{GatherIps, Network};
//! use smtp_delivery::mtasts::Policy;
//! use smtp_delivery::plan::*;
//!
//! /// example.org: one MX with one IPv4 address and a DANE-EE record; all signed.
//! fn resolve(q: &Query) -> Answer {
//!     let records = match (q.qtype, q.name.as_str()) {
//!         (QType::Mx, "example.org.") => vec![Record::Mx { pref: 10, host: "mx.example.org.".into() }],
//!         (QType::A, "mx.example.org.") => vec![Record::A([192, 0, 2, 25].into())],
//!         (QType::Tlsa, "_25._tcp.mx.example.org.") => vec![Record::Tlsa(Tlsa {
//!             usage: 3, selector: 1, matching_type: 1, data: vec![0xab; 32],
//!         })],
//!         _ => return Answer::NxDomain { authentic: true },
//!     };
//!     Answer::Records { records, authentic: true }
//! }
//!
//! /// The driving loop every step shares.
//! fn run<G: Gather>(mut g: G) -> G::Output {
//!     while let Some(q) = g.poll_query() {
//!         let answer = resolve(&q); // an async caller: `resolver.lookup(&q).await`
//!         g.answer(&q, answer).expect("answering the question asked");
//!     }
//!     g.finish()
//! }
//!
//! // 1. Destinations.
//! let hop = NextHop::parse("example.org").unwrap();
//! let dest = run(GatherDestinations::new(&hop, Some(42)));
//! assert!(dest.have_mx && dest.error.is_none());
//! let host = &dest.hosts[0];
//! assert_eq!(host.to_string(), "mx.example.org");
//!
//! // 2. MTA-STS: the domain publishes a policy in testing mode; the host matches.
//! let policy = Policy::parse("version: STSv1\nmode: testing\nmx: *.example.org\nmax_age: 86400\n").unwrap();
//! let req = TlsRequirement::RequireTls; // the message was sent with REQUIRETLS
//! assert_eq!(sts_verdict(Some(&policy), "mx.example.org", req), HostVerdict::Try);
//! assert!(sts_mismatch_detail(Some(&policy), "mx.example.org").is_none());
//!
//! // 3. Addresses, no earlier attempt.
//! let ips = run(GatherIps::new(host, Network::Ip, &[]));
//! assert_eq!(ips.ips, ["192.0.2.25".parse::<std::net::IpAddr>().unwrap()]);
//!
//! // 4. DANE: every answer was signed, so TLSA records are looked up.
//! assert!(dane_applicable(ips.authentic, dest.orig_next_hop_authentic, dest.have_mx,
//!                         dest.expanded_next_hop_authentic, true));
//! let expanded_ok = tlsa_expanded_authentic(dest.expanded_next_hop_authentic, ips.expanded_authentic);
//! let tlsa = run(GatherTlsa::new("mx.example.org", expanded_ok, &ips.expanded_host));
//! assert!(tlsa.dane_required && tlsa.records.len() == 1);
//! let names = tlsa_names(&NameInputs {
//!     have_mx: dest.have_mx,
//!     expanded_next_hop_authentic: dest.expanded_next_hop_authentic,
//!     expanded_tlsa_base_domain_authentic: ips.expanded_authentic,
//!     orig_next_hop: "example.org".into(),
//!     expanded_next_hop: dest.expanded_next_hop.clone(),
//!     orig_tlsa_base_domain: "mx.example.org".into(),
//!     expanded_tlsa_base_domain: tlsa.tlsa_base_domain.clone(),
//! });
//! assert_eq!(names, ["mx.example.org", "example.org"]); // SNI: mx.example.org
//!
//! // 5. The plan: STARTTLS verified with DANE, so REQUIRETLS can be met (a testing
//! //    MTA-STS policy alone would not do, RFC 8689 §5).
//! let plan = plan_host("mx.example.org", false, Some(&tlsa), req);
//! assert_eq!(plan.tls, smtp_proto::TlsMode::RequiredStartTls);
//! assert!(plan.refuse.is_none() && plan.dane_records.len() == 1);
//! assert_eq!(plan.report.policy.as_str(), "tlsa");
//!
//! // 6. After the session: a TLS failure never falls back to plaintext here...
//! assert!(!plaintext_retry_allowed(&plan, false, false, req));
//! // ...and a 5.7.1 refusal on the first attempt stays permanent: the host is not
//! // dual-stack, so there is no other address family to try.
//! let code = smtp_proto::EnhancedCode::parse("5.7.1");
//! assert!(attempt_permanent(true, true, ips.dualstack, code));
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod dane;
pub mod destinations;
pub mod dns;
pub mod error;
pub mod ips;
pub mod mtasts;
pub mod plan;

pub use error::DeliveryError;
