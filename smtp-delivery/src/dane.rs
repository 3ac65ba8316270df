//! DANE for SMTP — RFC 7672 §2.2 (TLSA lookup at the CNAME-expanded host when its
//! chain is authentic, else the original), §3.1 (usable records: DANE-TA(2) and
//! DANE-EE(3)), §3.2.2 (names a certificate may carry), RFC 6698 §2.1 (fields), as
//! mox's `GatherTLSA`, `filterUsableTLSARecords` and `GatherTLSANames`.

use crate::destinations::cname_target;
use crate::dns::{
    drive, expect_query, fqdn, valid_host, Answer, Gather, QType, Query, Record, Resolver, Tlsa,
    UnexpectedAnswer,
};
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

/// Looks up TLSA records with a synchronous resolver: [`GatherTlsa`] run by [`drive`].
/// `host` is the MX target whose address lookup was authentic; `expanded_authentic`
/// says whether its CNAME expansion `expanded_host` may be used — mox passes
/// `expanded_next_hop_authentic && ips.expanded_authentic` (see
/// [`crate::plan::tlsa_expanded_authentic`]).
pub fn gather_tlsa(
    resolver: &mut dyn Resolver,
    host: &str,
    expanded_authentic: bool,
    expanded_host: &str,
) -> TlsaResult {
    drive(
        GatherTlsa::new(host, expanded_authentic, expanded_host),
        resolver,
    )
}

/// Where the TLSA lookup stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// Asking for a CNAME at `GatherTlsa::name`.
    Cname,
    /// Asking for TLSA records at `GatherTlsa::name`.
    Tlsa,
    /// Finished.
    Done,
}

/// The resumable form of mox's `GatherTLSA` (a [`Gather`] machine). RFC 7672 §2.2.2:
/// when the host is a CNAME and its expansion was authentic, TLSA records are looked
/// for at `_25._tcp.` of the expanded name first, then of the original name;
/// otherwise only at the original. Each `_25._tcp.` name has its CNAMEs followed (at
/// most [`MAX_TLSA_CNAMES`]); only authentic answers count: an insecure answer means
/// "no DANE here", not an error (RFC 7672 §2.2.1).
#[derive(Clone, Debug)]
pub struct GatherTlsa {
    /// Base domains still to try, in order (the current one first).
    bases: Vec<String>,
    /// The name being asked about.
    name: String,
    /// CNAMEs followed from the current base's `_25._tcp.` name.
    followed: usize,
    step: Step,
    /// What the lookup has found; final once `step` is `Done`.
    found: Result<Vec<Tlsa>, DeliveryError>,
}

impl GatherTlsa {
    /// Starts the lookup; see [`gather_tlsa`] for the arguments.
    #[must_use]
    pub fn new(host: &str, expanded_authentic: bool, expanded_host: &str) -> GatherTlsa {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let expanded = expanded_host.trim_end_matches('.').to_ascii_lowercase();
        let bases = if expanded.is_empty() || host == expanded || !expanded_authentic {
            vec![host]
        } else {
            vec![expanded, host]
        };
        let mut g = GatherTlsa {
            bases,
            name: String::new(),
            followed: 0,
            step: Step::Cname,
            found: Ok(Vec::new()),
        };
        g.start_base();
        g
    }

    /// Begins the lookup at `_25._tcp.` of the current base (RFC 7672 §2.2: port 25,
    /// TCP).
    fn start_base(&mut self) {
        self.name = tlsa_name(&self.bases[0]);
        self.followed = 0;
        self.step = Step::Cname;
    }

    /// The current base is done with `found`: no records at the expanded name (and no
    /// error) moves on to the original name (RFC 7672 §2.2.2).
    fn base_done(&mut self, found: Result<Vec<Tlsa>, DeliveryError>) {
        let try_next = matches!(&found, Ok(l) if l.is_empty()) && self.bases.len() > 1;
        self.found = found;
        if try_next {
            self.bases.remove(0);
            self.start_base();
        } else {
            self.step = Step::Done;
        }
    }

    fn on_cname(&mut self, answer: &Answer) {
        if matches!(answer, Answer::ServFail) {
            return self.base_done(Err(DeliveryError::Dns));
        }
        if !answer.authentic() {
            // RFC 7672 §2.2.1: an insecure answer: the host does not do DANE.
            return self.base_done(Ok(Vec::new()));
        }
        match cname_target(answer) {
            Ok(Some(t)) if t != self.name.trim_end_matches('.') => {
                if self.followed == MAX_TLSA_CNAMES {
                    return self.base_done(Err(DeliveryError::CnameLimit));
                }
                if !valid_host(&t) {
                    return self.base_done(Err(DeliveryError::Dns));
                }
                self.followed += 1;
                self.name = fqdn(&t);
            }
            _ => self.step = Step::Tlsa,
        }
    }

    fn on_tlsa(&mut self, answer: Answer) {
        let found = match answer {
            Answer::ServFail => Err(DeliveryError::Dns),
            // No records, or insecure ones: the host does not opt in to DANE.
            Answer::NxDomain { .. }
            | Answer::Records {
                authentic: false, ..
            } => Ok(Vec::new()),
            Answer::Records { records, .. } => Ok(records
                .into_iter()
                .filter_map(|r| match r {
                    Record::Tlsa(t) => Some(t),
                    _ => None,
                })
                .collect()),
        };
        self.base_done(found);
    }
}

impl Gather for GatherTlsa {
    type Output = TlsaResult;

    fn poll_query(&self) -> Option<Query> {
        let qtype = match self.step {
            Step::Cname => QType::Cname,
            Step::Tlsa => QType::Tlsa,
            Step::Done => return None,
        };
        Some(Query::new(&self.name, qtype))
    }

    fn answer(&mut self, query: &Query, answer: Answer) -> Result<(), UnexpectedAnswer> {
        expect_query(self.poll_query(), query)?;
        match self.step {
            Step::Cname => self.on_cname(&answer),
            _ => self.on_tlsa(answer),
        }
        Ok(())
    }

    fn finish(self) -> TlsaResult {
        let tlsa_base_domain = self.bases[0].clone();
        let found = if self.step == Step::Done {
            self.found
        } else {
            Err(DeliveryError::Dns)
        };
        match found {
            // A failed lookup may hide records: DANE stays required (retry later).
            Err(e) => TlsaResult {
                dane_required: true,
                records: Vec::new(),
                tlsa_base_domain,
                error: Some(e),
            },
            Ok(l) => TlsaResult {
                // RFC 7672 §2.2: any TLSA record makes TLS mandatory, even when none
                // is usable (then TLS without certificate verification, §3.1).
                dane_required: !l.is_empty(),
                records: l.into_iter().filter(usable).collect(),
                tlsa_base_domain,
                error: None,
            },
        }
    }
}

/// The TLSA owner name for SMTP at `base`: `_25._tcp.<base>.` (RFC 7672 §2.2,
/// RFC 6698 §3).
#[must_use]
pub fn tlsa_name(base: &str) -> String {
    fqdn(&format!("_25._tcp.{}", base.trim_end_matches('.')))
}

/// RFC 7672 §3.1 / RFC 6698 §2.1: DANE-TA(2) or DANE-EE(3) (PKIX-TA(0) and PKIX-EE(1)
/// are unusable for SMTP, RFC 7672 §3.1.3); selector 0 (certificate) or 1 (SPKI);
/// matching type 0 (the full value, which must be well-formed DER of the right
/// shape), 1 (32 bytes, SHA2-256) or 2 (64 bytes, SHA2-512). Parameters we do not
/// know make a record unusable (RFC 6698 §4.1).
#[must_use]
pub fn usable(r: &Tlsa) -> bool {
    if !matches!(r.usage, 2 | 3) || !matches!(r.selector, 0 | 1) {
        return false;
    }
    match r.matching_type {
        // RFC 5280 §4.1: Certificate ::= SEQUENCE { tbsCertificate SEQUENCE,
        // signatureAlgorithm SEQUENCE, signatureValue BIT STRING }.
        0 if r.selector == 0 => {
            der_sequence_tags(&r.data).as_deref()
                == Some(&[TAG_SEQUENCE, TAG_SEQUENCE, TAG_BIT_STRING])
        }
        // RFC 5280 §4.1: SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE,
        // subjectPublicKey BIT STRING }.
        0 => der_sequence_tags(&r.data).as_deref() == Some(&[TAG_SEQUENCE, TAG_BIT_STRING]),
        1 => r.data.len() == SHA256_LEN,
        2 => r.data.len() == SHA512_LEN,
        _ => false,
    }
}

/// SHA2-256 digest length (matching type 1).
const SHA256_LEN: usize = 32;
/// SHA2-512 digest length (matching type 2).
const SHA512_LEN: usize = 64;
/// DER tag of a constructed SEQUENCE (X.690 §8.9).
const TAG_SEQUENCE: u8 = 0x30;
/// DER tag of a BIT STRING (X.690 §8.6).
const TAG_BIT_STRING: u8 = 0x03;
/// Nesting deeper than this is refused: certificates need far less, and the walk
/// stays bounded on hostile input.
const MAX_DER_DEPTH: usize = 24;

/// A small DER walk (X.690 §8.1, §10.1): `data` is exactly one SEQUENCE whose contents
/// are well-formed TLVs, recursively for constructed ones, with definite minimal
/// lengths. Returns the tags of the SEQUENCE's direct children.
fn der_sequence_tags(data: &[u8]) -> Option<Vec<u8>> {
    let (tag, content, rest) = der_tlv(data)?;
    if tag != TAG_SEQUENCE || !rest.is_empty() || !der_well_formed(content, 1) {
        return None;
    }
    let mut tags = Vec::new();
    let mut inner = content;
    while !inner.is_empty() {
        let (t, _, r) = der_tlv(inner)?;
        tags.push(t);
        inner = r;
    }
    Some(tags)
}

/// Whether `data` is a series of well-formed TLVs, walking into constructed ones.
fn der_well_formed(mut data: &[u8], depth: usize) -> bool {
    if depth > MAX_DER_DEPTH {
        return false;
    }
    while !data.is_empty() {
        let Some((tag, content, rest)) = der_tlv(data) else {
            return false;
        };
        // Bit 6 set: a constructed encoding whose contents are TLVs themselves.
        if tag & 0x20 != 0 && !der_well_formed(content, depth + 1) {
            return false;
        }
        data = rest;
    }
    true
}

/// One TLV: (tag, contents, rest). Only single-byte tags (all X.509 needs) and
/// definite lengths in their shortest form, as DER demands (X.690 §10.1).
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
        // More than 4 length octets is beyond any record that fits in DNS; a leading
        // zero octet is not the shortest form.
        let octets = rest.get(..n)?;
        if n > 4 || octets.first() == Some(&0) {
            return None;
        }
        let len = octets
            .iter()
            .fold(0usize, |len, &b| len * 256 + usize::from(b));
        // Not the shortest form; also 0x80, the indefinite form (BER only), which has
        // no length octets and so length 0.
        if len < 0x80 {
            return None;
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
    fn full_values_need_well_formed_der_of_the_right_shape() {
        // SEQUENCE { SEQUENCE {}, BIT STRING {00} }: an SPKI shape.
        let spki = vec![0x30, 0x06, 0x30, 0x00, 0x03, 0x02, 0x00, 0x00];
        assert!(usable(&t(3, 1, 0, spki.clone())));
        assert!(!usable(&t(3, 0, 0, spki)), "a certificate has three parts");
        // SEQUENCE { SEQUENCE {}, SEQUENCE {}, BIT STRING }: a certificate shape.
        let cert = vec![
            0x30, 0x09, 0x30, 0x00, 0x30, 0x00, 0x03, 0x03, 0x00, 0x01, 0x02,
        ];
        assert!(usable(&t(2, 0, 0, cert)));
        let wrong_order = vec![0x30, 0x06, 0x03, 0x02, 0x00, 0x00, 0x30, 0x00];
        assert!(
            !usable(&t(3, 1, 0, wrong_order)),
            "BIT STRING must come last"
        );
        assert!(
            !usable(&t(3, 1, 0, vec![0x30, 0x05, 0x30, 0x00])),
            "length past the end"
        );
        assert!(
            !usable(&t(3, 1, 0, vec![0x30, 0x00, 0x00])),
            "trailing bytes"
        );
    }

    #[test]
    fn der_walk_refuses_broken_nesting_and_non_minimal_lengths() {
        // The inner SEQUENCE claims 3 content bytes but holds a truncated TLV.
        let bad_inner = vec![0x30, 0x07, 0x30, 0x03, 0x02, 0x05, 0x00, 0x03, 0x00];
        assert_eq!(der_sequence_tags(&bad_inner), None);
        let long_form_short_len = vec![0x30, 0x81, 0x02, 0x05, 0x00];
        assert_eq!(der_sequence_tags(&long_form_short_len), None);
        let indefinite = vec![0x30, 0x80, 0x05, 0x00, 0x00, 0x00];
        assert_eq!(der_sequence_tags(&indefinite), None);
        let mut long = vec![0x30, 0x81, 0x80];
        long.extend(std::iter::repeat_n([0x05, 0x00], 64).flatten());
        assert_eq!(der_sequence_tags(&long).map(|t| t.len()), Some(64));
        // 40 nested SEQUENCEs: deeper than the walk goes.
        let mut deep = vec![0x05, 0x00];
        for _ in 0..40 {
            deep = [vec![0x30, deep.len() as u8], deep].concat();
        }
        assert_eq!(der_sequence_tags(&deep), None);
    }

    /// `n` SEQUENCEs nested around a NULL.
    fn nested(n: usize) -> Vec<u8> {
        let mut der = vec![0x05, 0x00];
        for _ in 0..n {
            der = [vec![0x30, der.len() as u8], der].concat();
        }
        der
    }

    #[test]
    fn der_walk_boundaries() {
        // The outer SEQUENCE is depth 0 of the walk: MAX_DER_DEPTH levels inside it.
        assert_eq!(
            der_sequence_tags(&nested(MAX_DER_DEPTH)),
            Some(vec![TAG_SEQUENCE])
        );
        assert_eq!(der_sequence_tags(&nested(MAX_DER_DEPTH + 1)), None);
        assert_eq!(der_sequence_tags(&nested(MAX_DER_DEPTH + 2)), None);
        // Exactly one SEQUENCE: not a SET, nothing after it.
        assert_eq!(der_sequence_tags(&[0x30, 0x00]), Some(vec![]));
        assert_eq!(der_sequence_tags(&[0x31, 0x00]), None);
        assert_eq!(der_sequence_tags(&[0x30, 0x00, 0x05]), None);
        // Single-byte tags only; a tag with low bits zero is an ordinary tag.
        assert_eq!(der_sequence_tags(&[0x30, 0x03, 0x1f, 0x01, 0x00]), None);
        assert_eq!(
            der_sequence_tags(&[0x30, 0x02, 0x80, 0x00]),
            Some(vec![0x80])
        );
    }

    #[test]
    fn der_lengths_are_definite_and_shortest() {
        let content = |len: usize| vec![0u8; len];
        // Two length octets: 256 bytes.
        let two = [&[0x04, 0x82, 0x01, 0x00][..], &content(256)].concat();
        assert_eq!(
            der_tlv(&two).map(|(t, c, r)| (t, c.len(), r.len())),
            Some((0x04, 256, 0))
        );
        // Four length octets are the most accepted.
        let four = [&[0x04, 0x84, 0x01, 0x00, 0x00, 0x00][..], &content(1 << 24)].concat();
        assert_eq!(der_tlv(&four).map(|(_, c, _)| c.len()), Some(1 << 24));
        assert_eq!(der_tlv(&[0x04, 0x85, 0x01, 0x00, 0x00, 0x00, 0x00]), None);
        // The indefinite form, even with enough bytes after it to pass for a length.
        let indefinite = [&[0x30, 0x80][..], &[0x05, 0x00].repeat(64)].concat();
        assert_eq!(der_tlv(&indefinite), None);
        // A leading zero length octet, and length octets missing.
        let zero_led = [&[0x04, 0x82, 0x00, 0x90][..], &content(0x90)].concat();
        assert_eq!(der_tlv(&zero_led), None);
        assert_eq!(der_tlv(&[0x04, 0x82]), None);
        assert_eq!(der_tlv(&[0x04, 0x82, 0x01]), None);
        // Contents shorter than the length.
        assert_eq!(der_tlv(&[0x04, 0x81, 0x80, 0x00]), None);
    }

    #[test]
    fn a_tlsa_name_whose_cname_is_itself_is_asked_for_tlsa() {
        let mut g = GatherTlsa::new("mx.example", false, "mx.example");
        let mut asked = Vec::new();
        while let Some(q) = g.poll_query() {
            asked.push(format!("{} {}", q.qtype.as_str(), q.name));
            assert!(asked.len() <= 8, "runaway lookup: {asked:?}");
            let a = match q.qtype {
                QType::Cname => Answer::Records {
                    records: vec![Record::Cname("_25._tcp.mx.example.".into())],
                    authentic: true,
                },
                _ => Answer::Records {
                    records: vec![Record::Tlsa(t(3, 1, 1, vec![7; 32]))],
                    authentic: true,
                },
            };
            g.answer(&q, a).unwrap();
        }
        assert_eq!(
            asked,
            ["CNAME _25._tcp.mx.example.", "TLSA _25._tcp.mx.example."]
        );
        let r = g.finish();
        assert_eq!((r.error, r.records.len()), (None, 1));
    }

    fn zone_answer(q: &Query) -> Answer {
        match (q.qtype, q.name.as_str()) {
            (QType::Cname, "_25._tcp.mx.example.") => Answer::Records {
                records: vec![Record::Cname("_25._tcp.tlsa.example.".into())],
                authentic: true,
            },
            (QType::Tlsa, "_25._tcp.tlsa.example.") => Answer::Records {
                records: vec![Record::Tlsa(t(3, 1, 1, vec![7; 32]))],
                authentic: true,
            },
            _ => Answer::NxDomain { authentic: true },
        }
    }

    #[test]
    fn tlsa_machine_follows_the_cname_of_the_tlsa_name() {
        let mut g = GatherTlsa::new("mx.example", false, "mx.example");
        let mut asked = Vec::new();
        while let Some(q) = g.poll_query() {
            asked.push(format!("{} {}", q.qtype.as_str(), q.name));
            assert!(asked.len() <= 8, "runaway lookup: {asked:?}");
            let a = zone_answer(&q);
            g.answer(&q, a).unwrap();
        }
        assert_eq!(
            asked,
            [
                "CNAME _25._tcp.mx.example.",
                "CNAME _25._tcp.tlsa.example.",
                "TLSA _25._tcp.tlsa.example."
            ]
        );
        let r = g.finish();
        assert!(r.dane_required);
        assert_eq!(r.records.len(), 1);
        assert_eq!(r.tlsa_base_domain, "mx.example");
    }

    #[test]
    fn tlsa_machine_refuses_an_answer_to_another_question() {
        let mut g = GatherTlsa::new("mx.example", false, "mx.example");
        let wrong = Query::new("_25._tcp.other.example", QType::Cname);
        let err = g
            .answer(&wrong, Answer::NxDomain { authentic: true })
            .unwrap_err();
        assert_eq!(err.got, wrong);
        assert_eq!(
            g.poll_query(),
            Some(Query::new("_25._tcp.mx.example", QType::Cname)),
            "state unchanged"
        );
        let unfinished = g.finish();
        assert_eq!(unfinished.error, Some(DeliveryError::Dns));
        assert!(unfinished.dane_required);
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
