//! DANE for SMTP — RFC 7672 §2.2 (TLSA lookup at the CNAME-expanded host when its
//! chain is authentic, else the original), §3.1 (usable records: DANE-TA(2) and
//! DANE-EE(3)), §3.2.2 (names a certificate may carry), RFC 6698 §2.1 (fields), as
//! mox's `GatherTLSA`, `filterUsableTLSARecords` and `GatherTLSANames`.

use crate::destinations::cname_target;
use crate::dns::{fqdn, Answer, QType, Query, Record, Resolver, Tlsa};
use crate::error::DeliveryError;

/// CNAMEs followed for a TLSA name (mox: 10).
pub const MAX_TLSA_CNAMES: usize = 10;

/// What [`gather_tlsa`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsaResult {
    /// TLSA records exist (or the lookup failed): TLS is required. With no usable
    /// record left, TLS is required without certificate verification.
    pub dane_required: bool,
    /// The usable records.
    pub records: Vec<Tlsa>,
    /// The name the records were found for (no trailing dot).
    pub tlsa_base_domain: String,
    /// A lookup failure (DANE is then required: retry later).
    pub error: Option<DeliveryError>,
}

/// Looks up TLSA records for `host` (whose address lookup was authentic) or its
/// authentic CNAME expansion `expanded_host`.
pub fn gather_tlsa(
    resolver: &mut dyn Resolver,
    host: &str,
    expanded_authentic: bool,
    expanded_host: &str,
) -> TlsaResult {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    let expanded = expanded_host.trim_end_matches('.').to_ascii_lowercase();
    let mut base = host.clone();
    let mut found = if host == expanded || !expanded_authentic {
        lookup_tlsa(resolver, &host)
    } else {
        // RFC 7672 §2.2.2: the expanded name first, then the original.
        base = expanded.clone();
        let r = lookup_tlsa(resolver, &expanded);
        if matches!(&r, Ok(l) if l.is_empty()) {
            base = host.clone();
            lookup_tlsa(resolver, &host)
        } else {
            r
        }
    };
    match &mut found {
        Err(e) => TlsaResult {
            dane_required: true,
            records: Vec::new(),
            tlsa_base_domain: base,
            error: Some(e.clone()),
        },
        Ok(l) if l.is_empty() => TlsaResult {
            dane_required: false,
            records: Vec::new(),
            tlsa_base_domain: base,
            error: None,
        },
        Ok(l) => {
            let records = std::mem::take(l).into_iter().filter(usable).collect();
            TlsaResult {
                dane_required: true,
                records,
                tlsa_base_domain: base,
                error: None,
            }
        }
    }
}

/// `_25._tcp.<host>` with CNAMEs followed; only authentic answers count (an
/// inauthentic one means "no DANE", not an error).
fn lookup_tlsa(resolver: &mut dyn Resolver, host: &str) -> Result<Vec<Tlsa>, DeliveryError> {
    let mut name = format!("_25._tcp.{host}");
    for i in 0.. {
        let answer = resolver.lookup(&Query {
            name: fqdn(&name),
            qtype: QType::Cname,
        });
        if !answer.authentic() && !matches!(answer, Answer::ServFail) {
            return Ok(Vec::new());
        }
        match cname_target(&answer)? {
            Some(t) if t != name => {
                if i == MAX_TLSA_CNAMES {
                    return Err(DeliveryError::CnameLimit);
                }
                name = t;
            }
            _ => break,
        }
    }
    match resolver.lookup(&Query {
        name: fqdn(&name),
        qtype: QType::Tlsa,
    }) {
        Answer::ServFail => Err(DeliveryError::Dns),
        Answer::NxDomain { .. } => Ok(Vec::new()),
        Answer::Records {
            authentic: false, ..
        } => Ok(Vec::new()),
        Answer::Records { records, .. } => Ok(records
            .into_iter()
            .filter_map(|r| match r {
                Record::Tlsa(t) => Some(t),
                _ => None,
            })
            .collect()),
    }
}

/// RFC 7672 §3.1 / RFC 6698 §2.1: DANE-TA(2) or DANE-EE(3); selector 0 or 1;
/// matching type 0 (well-formed DER), 1 (32 bytes) or 2 (64 bytes).
pub fn usable(r: &Tlsa) -> bool {
    if !matches!(r.usage, 2 | 3) || !matches!(r.selector, 0 | 1) {
        return false;
    }
    match r.matching_type {
        0 if r.selector == 0 => der_sequence_items(&r.data).is_some_and(|n| n >= 3),
        0 => der_sequence_items(&r.data) == Some(2),
        1 => r.data.len() == 32,
        2 => r.data.len() == 64,
        _ => false,
    }
}

/// A small DER walk: `data` is exactly one definite-length SEQUENCE whose contents
/// are well-formed TLVs; returns how many. A certificate has three (tbsCertificate,
/// signatureAlgorithm, signatureValue), a SubjectPublicKeyInfo two.
fn der_sequence_items(data: &[u8]) -> Option<usize> {
    let (tag, content, rest) = der_tlv(data)?;
    if tag != 0x30 || !rest.is_empty() {
        return None;
    }
    let (mut n, mut inner) = (0, content);
    while !inner.is_empty() {
        let (_, _, r) = der_tlv(inner)?;
        inner = r;
        n += 1;
    }
    Some(n)
}

/// One TLV: (tag, contents, rest). Only single-byte tags and definite lengths.
fn der_tlv(data: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = data.split_first()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let mut len = 0usize;
        for &b in &rest[..n] {
            len = (len << 8) | usize::from(b);
        }
        rest = &rest[n..];
        len
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The inputs of [`tlsa_names`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NameInputs {
    /// MX records were found for the next hop.
    pub have_mx: bool,
    /// The CNAME-expanded next hop was authentic.
    pub expanded_next_hop_authentic: bool,
    /// The CNAME-expanded TLSA base domain was authentic.
    pub expanded_tlsa_base_domain_authentic: bool,
    /// The original next hop.
    pub orig_next_hop: String,
    /// The CNAME-expanded next hop.
    pub expanded_next_hop: String,
    /// The original TLSA base domain (the MX host).
    pub orig_tlsa_base_domain: String,
    /// The CNAME-expanded TLSA base domain.
    pub expanded_tlsa_base_domain: String,
}

/// RFC 7672 §3.2.2: the names a DANE-TA (or PKIX) certificate may carry, in order;
/// the first is the SNI name.
pub fn tlsa_names(i: &NameInputs) -> Vec<String> {
    let norm = |s: &str| s.trim_end_matches('.').to_ascii_lowercase();
    let (orig_hop, exp_hop) = (norm(&i.orig_next_hop), norm(&i.expanded_next_hop));
    let (orig_base, exp_base) = (
        norm(&i.orig_tlsa_base_domain),
        norm(&i.expanded_tlsa_base_domain),
    );
    if !i.have_mx {
        // RFC 7672 §3.2.2: without MX, only the base domains count.
        if !i.expanded_tlsa_base_domain_authentic || orig_base == exp_base {
            return vec![orig_base];
        }
        return vec![exp_base, orig_base];
    }
    if !i.expanded_next_hop_authentic {
        // DANE is not attempted after an insecure MX, but RFC 7672 §3.2.2 says this.
        return vec![orig_hop];
    }
    let mut l = Vec::new();
    if i.expanded_tlsa_base_domain_authentic {
        l.push(exp_base.clone());
    }
    // As mox: the original base domain is added only when it differs.
    if exp_base != orig_base {
        l.push(orig_base);
    }
    l.push(orig_hop.clone());
    if orig_hop != exp_hop {
        l.push(exp_hop);
    }
    l
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(usage: u8, selector: u8, matching_type: u8, data: Vec<u8>) -> Tlsa {
        Tlsa {
            usage,
            selector,
            matching_type,
            data,
        }
    }

    #[test]
    fn usability_follows_rfc7672() {
        assert!(usable(&t(3, 1, 1, vec![0; 32])));
        assert!(usable(&t(2, 0, 2, vec![0; 64])));
        assert!(
            !usable(&t(1, 1, 1, vec![0; 32])),
            "PKIX-EE is not usable for SMTP"
        );
        assert!(!usable(&t(0, 1, 1, vec![0; 32])));
        assert!(!usable(&t(3, 2, 1, vec![0; 32])));
        assert!(!usable(&t(3, 1, 3, vec![0; 32])));
        assert!(!usable(&t(3, 1, 1, vec![0; 31])));
        assert!(!usable(&t(3, 1, 2, vec![0; 32])));
    }

    #[test]
    fn full_values_need_well_formed_der() {
        // SEQUENCE { SEQUENCE {}, BIT STRING {00} }: an SPKI shape.
        let spki = vec![0x30, 0x06, 0x30, 0x00, 0x03, 0x02, 0x00, 0x00];
        assert!(usable(&t(3, 1, 0, spki.clone())));
        assert!(!usable(&t(3, 0, 0, spki)), "a certificate has three parts");
        let cert = vec![
            0x30, 0x09, 0x30, 0x00, 0x30, 0x00, 0x03, 0x03, 0x00, 0x01, 0x02,
        ];
        assert!(usable(&t(2, 0, 0, cert)));
        assert!(
            !usable(&t(3, 1, 0, vec![0x30, 0x05, 0x30, 0x00])),
            "length past the end"
        );
        assert!(
            !usable(&t(3, 1, 0, vec![0x30, 0x00, 0x00])),
            "trailing bytes"
        );
        let long = [vec![0x30, 0x81, 0x04], vec![0x05, 0x00, 0x05, 0x00]].concat();
        assert_eq!(der_sequence_items(&long), Some(2));
    }

    #[test]
    fn names_with_and_without_mx() {
        let base = NameInputs {
            have_mx: true,
            expanded_next_hop_authentic: true,
            expanded_tlsa_base_domain_authentic: true,
            orig_next_hop: "example.org".into(),
            expanded_next_hop: "example.org".into(),
            orig_tlsa_base_domain: "mx.example.org".into(),
            expanded_tlsa_base_domain: "mx.example.org".into(),
        };
        assert_eq!(tlsa_names(&base), vec!["mx.example.org", "example.org"]);
        let no_mx = NameInputs {
            have_mx: false,
            ..base.clone()
        };
        assert_eq!(tlsa_names(&no_mx), vec!["mx.example.org"]);
        let insecure = NameInputs {
            expanded_next_hop_authentic: false,
            ..base
        };
        assert_eq!(tlsa_names(&insecure), vec!["example.org"]);
    }
}
