//! Sans-IO delivery decisions for an MTA: where to connect for a domain and how much
//! TLS to demand, as mox's `smtpclient/gather.go` decides it — port of its rules, no
//! resolver, no sockets, no clock. The logic asks a caller-supplied [`dns::Resolver`]
//! for answers (records, DNSSEC-authentic flag, NXDOMAIN, SERVFAIL).
//!
//! # The flow, per message and recipient domain
//!
//! 1. [`destinations::gather_destinations`]: next hop → CNAME chain (≤16, loops
//!    caught) → MX (null MX = permanent failure, RFC 7505; no MX = the domain itself,
//!    RFC 5321 §5.1) → hosts by preference, with authentic flags for DANE.
//! 2. For each host, [`ips::gather_ips`]: CNAME-expand the host, A/AAAA, order the
//!    addresses given earlier attempts (other family first after a failure).
//! 3. If the host's addresses were DNSSEC-authentic, [`dane::gather_tlsa`]: TLSA at
//!    the expanded host (if its chain is authentic) or the original; usable records
//!    only; any record at all means TLS is required.
//! 4. [`dane::tlsa_names`]: the names the server certificate may carry (first = SNI).
//! 5. [`mtasts::Policy`]: with an MTA-STS policy for the recipient domain, a host
//!    that does not match an `enforce` policy is skipped.
//! 6. [`plan::plan_host`]: the TLS mode, verification (WebPKI for MTA-STS enforce,
//!    DANE records), whether REQUIRETLS can be met; after a TLS failure
//!    [`plan::plaintext_retry_allowed`]; after a refusal [`plan::attempt_permanent`]
//!    (a first-attempt 5.7.x from a dual-stack host is temporary) and
//!    [`plan::delivery_permanent`] (no host can do REQUIRETLS).
//! 7. The session itself is `smtp_proto::Client`, with the TLS mode the plan decides,
//!    and its `TlsReport` feeds RFC 8460 reports under the plan's report policy.
//!
//! # Example
//!
//! ```
//! use smtp_delivery::dns::{Answer, QType, Query, Record, Resolver};
//! use smtp_delivery::destinations::{gather_destinations, NextHop};
//! use smtp_delivery::ips::{gather_ips, Network};
//! use smtp_delivery::dane::gather_tlsa;
//!
//! /// A tiny zone: example.org has one MX with one IPv4 address, all signed.
//! struct Zone;
//! impl Resolver for Zone {
//!     fn lookup(&mut self, q: &Query) -> Answer {
//!         let records = match (q.qtype, q.name.as_str()) {
//!             (QType::Mx, "example.org.") => vec![Record::Mx { pref: 10, host: "mx.example.org.".into() }],
//!             (QType::A, "mx.example.org.") => vec![Record::A("192.0.2.25".parse().unwrap())],
//!             _ => return Answer::NxDomain { authentic: true },
//!         };
//!         Answer::Records { records, authentic: true }
//!     }
//! }
//!
//! let dest = gather_destinations(&mut Zone, &NextHop::parse("example.org").unwrap(), Some(7));
//! assert!(dest.have_mx && dest.error.is_none());
//! let host = &dest.hosts[0];
//! let ips = gather_ips(&mut Zone, host, Network::Ip, &[]);
//! assert_eq!(ips.ips, vec!["192.0.2.25".parse::<std::net::IpAddr>().unwrap()]);
//! // Authentic addresses: look for TLSA. None here, so no DANE.
//! use smtp_delivery::plan::{dane_applicable, plan_host, plaintext_retry_allowed, sts_verdict, HostVerdict, TlsRequirement};
//! assert!(dane_applicable(ips.authentic, dest.orig_next_hop_authentic, dest.have_mx, dest.expanded_next_hop_authentic, true));
//! let tlsa = gather_tlsa(&mut Zone, &host.to_string(), ips.expanded_authentic, &ips.expanded_host);
//! assert!(!tlsa.dane_required);
//! // No MTA-STS policy: the host is tried with opportunistic STARTTLS...
//! assert_eq!(sts_verdict(None, "mx.example.org", TlsRequirement::Default), HostVerdict::Try);
//! let plan = plan_host("mx.example.org", false, Some(&tlsa), TlsRequirement::Default);
//! assert_eq!(plan.tls, smtp_proto::TlsMode::Opportunistic);
//! // ...and after a TLS failure it may be retried in plaintext, unless REQUIRETLS,
//! // which this destination cannot meet at all (no DANE, no enforced MTA-STS).
//! assert!(plaintext_retry_allowed(&plan, false, false, TlsRequirement::Default));
//! assert!(plan_host("mx.example.org", false, Some(&tlsa), TlsRequirement::RequireTls).refuse.is_some());
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
