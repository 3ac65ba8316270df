//! The decisions an MTA's queue makes around each delivery attempt — RFC 8461 §5
//! (MTA-STS enforce: skip non-matching hosts, require verified TLS), RFC 7672 §2.2
//! (DANE: TLS required once TLSA records exist), RFC 8689 §4–§5 (REQUIRETLS needs
//! DANE or an enforced MTA-STS policy; `TLS-Required: No` ignores verification
//! failures), RFC 8460 §4.3 (the policy a TLS report entry belongs to), as mox's
//! `queue/direct.go` decides them. Values in, values out: no I/O.

use smtp_proto::tlsrpt::{FailureDetails, ResultType};
use smtp_proto::{EnhancedCode, TlsMode};

use crate::dane::TlsaResult;
use crate::dns::Tlsa;
use crate::mtasts::{Mode, Policy};

/// What the message asks of TLS (RFC 8689).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TlsRequirement {
    /// No preference: the destination's policies decide.
    #[default]
    Default,
    /// REQUIRETLS: verified TLS on every hop, or no delivery.
    RequireTls,
    /// `TLS-Required: No`: deliver even if TLS or its verification fails.
    TlsRequiredNo,
}

/// Whether to try a host under the recipient domain's MTA-STS policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostVerdict {
    /// Try it.
    Try,
    /// Try it although an enforced policy does not list it (`TLS-Required: No`).
    TryIgnoringPolicy,
    /// Skip it: an enforced policy does not list it (RFC 8461 §5).
    Skip,
}

/// RFC 8461 §5: with an `enforce` policy, only matching MX hosts are tried; a
/// `testing` policy only reports.
pub fn sts_verdict(policy: Option<&Policy>, host: &str, req: TlsRequirement) -> HostVerdict {
    match policy {
        Some(p) if p.mode == Mode::Enforce && !p.matches(host) => {
            if req == TlsRequirement::TlsRequiredNo {
                HostVerdict::TryIgnoringPolicy
            } else {
                HostVerdict::Skip
            }
        }
        _ => HostVerdict::Try,
    }
}

/// RFC 7672 §2.2.2: DANE applies only when the host's addresses and the MX chain
/// leading to it were all DNSSEC-authentic.
pub fn dane_applicable(
    ips_authentic: bool,
    orig_next_hop_authentic: bool,
    have_mx: bool,
    expanded_next_hop_authentic: bool,
    host_is_name: bool,
) -> bool {
    ips_authentic
        && orig_next_hop_authentic
        && (!have_mx || expanded_next_hop_authentic)
        && host_is_name
}

/// The RFC 8460 policy type a report entry belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportPolicy {
    /// `sts`
    Sts,
    /// `tlsa`
    Tlsa,
    /// `no-policy-found`
    NoPolicyFound,
}

impl ReportPolicy {
    /// The policy type as a report writes it (RFC 8460 §4.4).
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            ReportPolicy::Sts => "sts",
            ReportPolicy::Tlsa => "tlsa",
            ReportPolicy::NoPolicyFound => "no-policy-found",
        }
    }
}

/// One RFC 8460 §4.4 result a decision produces: the policy it is about, the domain
/// the policy belongs to, and the failures found before any session (the session's
/// own TLS failures come from `smtp_proto::tlsrpt::TlsReport`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportResult {
    /// `sts`, `tlsa` or `no-policy-found`.
    pub policy: ReportPolicy,
    /// The policy domain: the recipient domain for `sts`, the TLSA base domain for
    /// `tlsa`, the host for `no-policy-found`.
    pub domain: String,
    /// Failure details (counts are the caller's to add).
    pub failures: Vec<FailureDetails>,
}

impl ReportResult {
    fn new(policy: ReportPolicy, domain: &str) -> ReportResult {
        ReportResult {
            policy,
            domain: domain.trim_end_matches('.').to_ascii_lowercase(),
            failures: Vec::new(),
        }
    }
}

/// A failure detail with a result type, the MX host and a reason code.
fn detail(result_type: ResultType, mx: &str, reason: &str) -> FailureDetails {
    FailureDetails {
        result_type,
        sending_mta_ip: None,
        receiving_mx_hostname: Some(mx.trim_end_matches('.').to_ascii_lowercase()),
        receiving_mx_helo: None,
        receiving_ip: None,
        failed_session_count: 0,
        additional_information: None,
        failure_reason_code: (!reason.is_empty()).then(|| reason.to_string()),
    }
}

/// RFC 8460 §4.3.2, as mox: a host that an MTA-STS policy in mode `enforce` or
/// `testing` does not list is a `validation-failure` with reason
/// `mtasts-policy-mx-mismatch`, for the recipient domain's `sts` result (reported
/// for every mismatching host, so owners notice a policy they forgot to update).
#[must_use]
pub fn sts_mismatch_detail(policy: Option<&Policy>, host: &str) -> Option<FailureDetails> {
    let p = policy?;
    (p.mode != Mode::None && !p.matches(host)).then(|| {
        detail(
            ResultType::ValidationFailure,
            host,
            "mtasts-policy-mx-mismatch",
        )
    })
}

/// Fetching the recipient domain's MTA-STS policy failed temporarily: abort this
/// attempt (temporary failure, counted against the `sts` result), except with
/// `TLS-Required: No`, which continues without the policy (RFC 8689 §5).
#[must_use]
pub fn sts_fetch_failure_aborts(req: TlsRequirement) -> bool {
    req != TlsRequirement::TlsRequiredNo
}

/// Whether TLSA may be looked up at the MX target's CNAME expansion: mox requires
/// the next hop's expansion and the host's expansion to both be authentic
/// (RFC 7672 §2.2.2); pass the result to [`crate::dane::gather_tlsa`].
#[must_use]
pub fn tlsa_expanded_authentic(
    expanded_next_hop_authentic: bool,
    ips_expanded_authentic: bool,
) -> bool {
    expanded_next_hop_authentic && ips_expanded_authentic
}

/// How to run one attempt at a host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPlan {
    /// The session's TLS mode (`None` = plaintext, used only for a fallback retry).
    pub tls: TlsMode,
    /// Verify the certificate with WebPKI (MTA-STS enforce).
    pub verify_pkix: bool,
    /// Verify with these DANE records (empty: no DANE verification).
    pub dane_records: Vec<Tlsa>,
    /// Deliver despite verification failures (`TLS-Required: No`).
    pub ignore_verify_errors: bool,
    /// Don't attempt at all: REQUIRETLS cannot be met, or DANE lookups failed.
    pub refuse: Option<Refusal>,
    /// The host's TLS-report result (RFC 8460): `tlsa` when TLSA records (or a
    /// failed TLSA lookup) exist, else `no-policy-found`.
    pub report: ReportResult,
}

/// Why an attempt is not made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// RFC 8689 §4: REQUIRETLS needs usable DANE records or an enforced MTA-STS
    /// policy; the host counts toward "no host can do REQUIRETLS".
    RequireTlsImpossible,
    /// TLSA lookups failed while DANE may apply: try again later (transient).
    DaneLookupFailed,
}

impl Refusal {
    /// The enhanced status code to report (RFC 8689 §5: 5.7.10 for missing REQUIRETLS).
    pub fn enhanced(&self) -> EnhancedCode {
        match self {
            Refusal::RequireTlsImpossible => EnhancedCode {
                class: 5,
                subject: 7,
                detail: 10,
            },
            Refusal::DaneLookupFailed => EnhancedCode {
                class: 4,
                subject: 7,
                detail: 5,
            },
        }
    }
}

/// Plans one attempt at `host` (the MX target name, or the address as text):
/// `enforce_mtasts` when the recipient domain has an enforced policy listing this
/// host; `tlsa` the TLSA result when DANE was applicable (see [`dane_applicable`]),
/// else `None`. As mox's `deliverHost`.
#[must_use]
pub fn plan_host(
    host: &str,
    enforce_mtasts: bool,
    tlsa: Option<&TlsaResult>,
    req: TlsRequirement,
) -> HostPlan {
    let mut plan = HostPlan {
        tls: TlsMode::Opportunistic,
        verify_pkix: false,
        dane_records: Vec::new(),
        ignore_verify_errors: req == TlsRequirement::TlsRequiredNo,
        refuse: None,
        report: ReportResult::new(ReportPolicy::NoPolicyFound, host),
    };
    if enforce_mtasts {
        // RFC 8461 §5: STARTTLS required, certificate verified with WebPKI.
        plan.tls = TlsMode::RequiredStartTls;
        plan.verify_pkix = true;
    }
    let mut dane_usable = false;
    match tlsa {
        // DANE not applicable (insecure DNS): nothing to report but "no policy".
        None => {}
        Some(t) if t.error.is_some() => {
            // The lookup failed while DANE may apply: records may exist, so don't
            // connect without them (temporary), unless `TLS-Required: No`.
            plan.report = ReportResult::new(ReportPolicy::Tlsa, &t.tlsa_base_domain);
            plan.report
                .failures
                .push(detail(ResultType::TlsaInvalid, host, ""));
            if req != TlsRequirement::TlsRequiredNo {
                plan.refuse = Some(Refusal::DaneLookupFailed);
                return plan;
            }
        }
        Some(t) if t.dane_required => {
            // RFC 7672 §2.2: TLSA records exist, TLS is mandatory.
            plan.tls = TlsMode::RequiredStartTls;
            plan.report = ReportResult::new(ReportPolicy::Tlsa, &t.tlsa_base_domain);
            if t.records.is_empty() {
                // RFC 7672 §3.1: none usable: TLS, but without verification.
                plan.report.failures.push(detail(
                    ResultType::TlsaInvalid,
                    host,
                    "all-unusable-records+ignored",
                ));
            } else {
                plan.dane_records = t.records.clone();
                dane_usable = true;
            }
        }
        Some(t) => {
            plan.report = ReportResult::new(ReportPolicy::NoPolicyFound, &t.tlsa_base_domain)
        }
    }
    // RFC 8689 §5: REQUIRETLS needs a verification mechanism: usable DANE records or
    // an enforced MTA-STS policy (mox is strict: unusable-only TLSA and `testing`
    // policies don't count).
    if req == TlsRequirement::RequireTls && !dane_usable && !enforce_mtasts {
        plan.refuse = Some(Refusal::RequireTlsImpossible);
    }
    plan
}

/// After a TLS failure, may the same host be retried in plaintext at once? Only for
/// opportunistic TLS without DANE, never under MTA-STS enforce, REQUIRETLS, or for
/// DMARC reports (which must not leak); always with `TLS-Required: No`.
pub fn plaintext_retry_allowed(
    plan: &HostPlan,
    enforce_mtasts: bool,
    is_dmarc_report: bool,
    req: TlsRequirement,
) -> bool {
    if req == TlsRequirement::TlsRequiredNo {
        return true;
    }
    req != TlsRequirement::RequireTls
        && !enforce_mtasts
        && plan.tls == TlsMode::Opportunistic
        && plan.dane_records.is_empty()
        && plan.report.policy != ReportPolicy::Tlsa
        && !is_dmarc_report
}

/// Whether a failed attempt is permanent: a policy refusal (5.7.x) on the first
/// attempt from a dual-stack host becomes temporary, so the next attempt can come
/// from the other address family (our address may be on a block list).
pub fn attempt_permanent(
    permanent: bool,
    first_attempt: bool,
    dualstack: bool,
    enhanced: Option<EnhancedCode>,
) -> bool {
    let policy_refusal = enhanced.is_some_and(|e| e.subject == 7);
    permanent && !(first_attempt && dualstack && policy_refusal)
}

/// Whether a failed attempt counts toward "this host cannot do REQUIRETLS": our own
/// refusal ([`Refusal::RequireTlsImpossible`]) or the server's, both 5.7.10
/// (RFC 8689 §5).
#[must_use]
pub fn missing_requiretls(enhanced: Option<EnhancedCode>) -> bool {
    enhanced.is_some_and(|e| e.subject == 7 && e.detail == 10)
}

/// Whether the delivery failed permanently after trying every host: any permanent
/// failure, or no host at all could do REQUIRETLS (RFC 8689 §5).
pub fn delivery_permanent(
    any_permanent: bool,
    hosts_missing_requiretls: usize,
    hosts: usize,
) -> bool {
    any_permanent || (hosts_missing_requiretls > 0 && hosts_missing_requiretls == hosts)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MX: &str = "mx.example.org";

    fn policy(mode: &str) -> Policy {
        Policy::parse(&format!(
            "version: STSv1\nmode: {mode}\nmx: mx.example.org\nmax_age: 100\n"
        ))
        .unwrap()
    }

    fn tlsa(records: usize, error: bool) -> TlsaResult {
        TlsaResult {
            dane_required: true,
            records: (0..records)
                .map(|_| Tlsa {
                    usage: 3,
                    selector: 1,
                    matching_type: 1,
                    data: vec![0; 32],
                })
                .collect(),
            tlsa_base_domain: "mx.example.org".into(),
            error: error.then_some(crate::DeliveryError::Dns),
        }
    }

    #[test]
    fn sts_enforce_skips_unlisted_hosts() {
        let p = policy("enforce");
        assert_eq!(
            sts_verdict(Some(&p), "mx.example.org", TlsRequirement::Default),
            HostVerdict::Try
        );
        assert_eq!(
            sts_verdict(Some(&p), "evil.example", TlsRequirement::Default),
            HostVerdict::Skip
        );
        assert_eq!(
            sts_verdict(Some(&p), "evil.example", TlsRequirement::TlsRequiredNo),
            HostVerdict::TryIgnoringPolicy
        );
        assert_eq!(
            sts_verdict(
                Some(&policy("testing")),
                "evil.example",
                TlsRequirement::Default
            ),
            HostVerdict::Try
        );
        assert_eq!(
            sts_verdict(None, "any", TlsRequirement::Default),
            HostVerdict::Try
        );
    }

    #[test]
    fn dane_needs_an_authentic_chain() {
        assert!(dane_applicable(true, true, true, true, true));
        assert!(!dane_applicable(true, true, true, false, true));
        assert!(
            dane_applicable(true, true, false, false, true),
            "no MX: the expanded chain does not matter"
        );
        assert!(!dane_applicable(false, true, true, true, true));
        assert!(
            !dane_applicable(true, true, true, true, false),
            "IP hosts have no TLSA"
        );
    }

    #[test]
    fn plans_follow_policies() {
        let opp = plan_host(MX, false, None, TlsRequirement::Default);
        assert_eq!(
            (opp.tls, opp.verify_pkix, opp.report.policy),
            (TlsMode::Opportunistic, false, ReportPolicy::NoPolicyFound)
        );
        assert!(plaintext_retry_allowed(
            &opp,
            false,
            false,
            TlsRequirement::Default
        ));
        assert!(
            !plaintext_retry_allowed(&opp, false, true, TlsRequirement::Default),
            "never for DMARC reports"
        );
        let sts = plan_host(MX, true, None, TlsRequirement::Default);
        assert_eq!(
            (sts.tls, sts.verify_pkix),
            (TlsMode::RequiredStartTls, true)
        );
        assert!(!plaintext_retry_allowed(
            &sts,
            true,
            false,
            TlsRequirement::Default
        ));
        let dane = plan_host(MX, false, Some(&tlsa(1, false)), TlsRequirement::Default);
        assert_eq!(
            (dane.tls, dane.dane_records.len(), dane.report.policy),
            (TlsMode::RequiredStartTls, 1, ReportPolicy::Tlsa)
        );
        assert!(!plaintext_retry_allowed(
            &dane,
            false,
            false,
            TlsRequirement::Default
        ));
        let unusable = plan_host(MX, false, Some(&tlsa(0, false)), TlsRequirement::Default);
        assert_eq!(unusable.tls, TlsMode::RequiredStartTls);
        assert!(unusable.dane_records.is_empty());
        let d = &unusable.report.failures[0];
        assert_eq!(d.result_type, ResultType::TlsaInvalid);
        assert_eq!(
            d.failure_reason_code.as_deref(),
            Some("all-unusable-records+ignored")
        );
        assert_eq!(d.receiving_mx_hostname.as_deref(), Some(MX));
        assert_eq!(unusable.report.domain, "mx.example.org");
        let failed = plan_host(MX, false, Some(&tlsa(0, true)), TlsRequirement::Default);
        assert_eq!(failed.refuse, Some(Refusal::DaneLookupFailed));
        let ignored = plan_host(
            MX,
            false,
            Some(&tlsa(0, true)),
            TlsRequirement::TlsRequiredNo,
        );
        assert_eq!(ignored.refuse, None);
        assert!(ignored.ignore_verify_errors);
        assert!(plaintext_retry_allowed(
            &dane,
            true,
            true,
            TlsRequirement::TlsRequiredNo
        ));
    }

    #[test]
    fn requiretls_needs_dane_or_enforced_sts() {
        assert_eq!(
            plan_host(MX, false, None, TlsRequirement::RequireTls).refuse,
            Some(Refusal::RequireTlsImpossible)
        );
        assert_eq!(
            plan_host(MX, false, Some(&tlsa(0, false)), TlsRequirement::RequireTls).refuse,
            Some(Refusal::RequireTlsImpossible)
        );
        assert_eq!(
            plan_host(MX, false, Some(&tlsa(2, false)), TlsRequirement::RequireTls).refuse,
            None
        );
        assert_eq!(
            plan_host(MX, true, None, TlsRequirement::RequireTls).refuse,
            None
        );
        assert_eq!(
            Refusal::RequireTlsImpossible.enhanced().to_string(),
            "5.7.10"
        );
        assert!(!plaintext_retry_allowed(
            &plan_host(MX, true, None, TlsRequirement::RequireTls),
            true,
            false,
            TlsRequirement::RequireTls
        ));
    }

    #[test]
    fn sts_mismatch_is_reported_in_enforce_and_testing_only() {
        let d = sts_mismatch_detail(Some(&policy("testing")), "evil.example").unwrap();
        assert_eq!(d.result_type, ResultType::ValidationFailure);
        assert_eq!(
            d.failure_reason_code.as_deref(),
            Some("mtasts-policy-mx-mismatch")
        );
        assert!(sts_mismatch_detail(Some(&policy("enforce")), "evil.example").is_some());
        assert!(sts_mismatch_detail(Some(&policy("enforce")), MX).is_none());
        let none = Policy::parse("version: STSv1\nmode: none\nmax_age: 100\n").unwrap();
        assert!(sts_mismatch_detail(Some(&none), "evil.example").is_none());
        assert!(sts_mismatch_detail(None, "evil.example").is_none());
        assert!(sts_fetch_failure_aborts(TlsRequirement::Default));
        assert!(!sts_fetch_failure_aborts(TlsRequirement::TlsRequiredNo));
    }

    #[test]
    fn report_results_name_the_policy_and_its_domain() {
        assert_eq!(ReportPolicy::NoPolicyFound.as_str(), "no-policy-found");
        let failed = plan_host(MX, false, Some(&tlsa(0, true)), TlsRequirement::Default);
        assert_eq!(failed.report.policy.as_str(), "tlsa");
        assert_eq!(
            failed.report.failures[0].result_type,
            ResultType::TlsaInvalid
        );
        assert_eq!(failed.report.failures[0].failure_reason_code, None);
        let mut none = tlsa(0, false);
        none.dane_required = false;
        none.tlsa_base_domain = "base.example".into();
        let plan = plan_host(MX, false, Some(&none), TlsRequirement::Default);
        assert_eq!(
            (plan.report.policy, plan.report.domain.as_str()),
            (ReportPolicy::NoPolicyFound, "base.example")
        );
        assert!(plan.report.failures.is_empty());
        assert!(tlsa_expanded_authentic(true, true));
        assert!(!tlsa_expanded_authentic(false, true));
    }

    #[test]
    fn requiretls_misses_count_from_5_7_10_only() {
        assert!(missing_requiretls(Some(
            Refusal::RequireTlsImpossible.enhanced()
        )));
        assert!(missing_requiretls(EnhancedCode::parse("5.7.10")));
        assert!(!missing_requiretls(EnhancedCode::parse("5.7.1")));
        assert!(!missing_requiretls(None));
    }

    #[test]
    fn permanence_rules() {
        let policy_code = EnhancedCode::parse("5.7.1");
        assert!(
            !attempt_permanent(true, true, true, policy_code),
            "first attempt, dual stack, 5.7.x: temporary"
        );
        assert!(attempt_permanent(true, false, true, policy_code));
        assert!(attempt_permanent(true, true, false, policy_code));
        assert!(attempt_permanent(
            true,
            true,
            true,
            EnhancedCode::parse("5.1.1")
        ));
        assert!(!attempt_permanent(false, true, true, policy_code));
        assert!(delivery_permanent(false, 2, 2), "no host can do REQUIRETLS");
        assert!(!delivery_permanent(false, 1, 2));
        assert!(delivery_permanent(true, 0, 2));
        assert!(
            !delivery_permanent(false, 0, 0),
            "no host tried says nothing"
        );
    }
}
