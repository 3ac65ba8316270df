//! TLS-reporting accounting for one session — RFC 8460 §4 (report fields), §4.3
//! (result types), §4.4 (failure details), accumulated as mox's client does: one
//! success per established TLS session, one failure per failed handshake or refused
//! STARTTLS, details for each failure, and a TLS alert in the first read after the
//! handshake turning that success into a failure.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;

use crate::tls::TlsFailureKind;

/// RFC 8460 §4.3 result types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResultType {
    /// `starttls-not-supported`
    StartTlsNotSupported,
    /// `certificate-host-mismatch`
    CertificateHostMismatch,
    /// `certificate-expired`
    CertificateExpired,
    /// `certificate-not-trusted`
    CertificateNotTrusted,
    /// `validation-failure`
    ValidationFailure,
    /// `tlsa-invalid`
    TlsaInvalid,
    /// `dnssec-invalid`
    DnssecInvalid,
    /// `dane-required`
    DaneRequired,
    /// `sts-policy-fetch-error`
    StsPolicyFetchError,
    /// `sts-policy-invalid`
    StsPolicyInvalid,
    /// `sts-webpki-invalid`
    StsWebpkiInvalid,
}

impl ResultType {
    /// The name as a report writes it.
    pub fn as_str(&self) -> &'static str {
        match self {
            ResultType::StartTlsNotSupported => "starttls-not-supported",
            ResultType::CertificateHostMismatch => "certificate-host-mismatch",
            ResultType::CertificateExpired => "certificate-expired",
            ResultType::CertificateNotTrusted => "certificate-not-trusted",
            ResultType::ValidationFailure => "validation-failure",
            ResultType::TlsaInvalid => "tlsa-invalid",
            ResultType::DnssecInvalid => "dnssec-invalid",
            ResultType::DaneRequired => "dane-required",
            ResultType::StsPolicyFetchError => "sts-policy-fetch-error",
            ResultType::StsPolicyInvalid => "sts-policy-invalid",
            ResultType::StsWebpkiInvalid => "sts-webpki-invalid",
        }
    }
}

impl From<TlsFailureKind> for ResultType {
    fn from(k: TlsFailureKind) -> ResultType {
        match k {
            TlsFailureKind::CertificateHostMismatch => ResultType::CertificateHostMismatch,
            TlsFailureKind::CertificateExpired => ResultType::CertificateExpired,
            TlsFailureKind::CertificateNotTrusted => ResultType::CertificateNotTrusted,
            TlsFailureKind::TlsaInvalid => ResultType::TlsaInvalid,
            TlsFailureKind::DnssecInvalid => ResultType::DnssecInvalid,
            TlsFailureKind::DaneRequired => ResultType::DaneRequired,
            TlsFailureKind::Handshake | TlsFailureKind::ValidationFailure => {
                ResultType::ValidationFailure
            }
        }
    }
}

/// What the caller knows about the connection, copied into every failure detail.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportContext {
    /// The MX host name we connected to.
    pub receiving_mx_hostname: Option<String>,
    /// The server's address.
    pub receiving_ip: Option<IpAddr>,
    /// Our address.
    pub sending_mta_ip: Option<IpAddr>,
}

/// RFC 8460 §4.4 failure details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FailureDetails {
    /// What failed.
    pub result_type: ResultType,
    /// Our address.
    pub sending_mta_ip: Option<IpAddr>,
    /// The MX host name.
    pub receiving_mx_hostname: Option<String>,
    /// The name in the server's greeting.
    pub receiving_mx_helo: Option<String>,
    /// The server's address.
    pub receiving_ip: Option<IpAddr>,
    /// How many sessions failed this way.
    pub failed_session_count: u64,
    /// Free text.
    pub additional_information: Option<String>,
    /// A machine-readable reason, e.g. `smtp-starttls-reply-code-454`.
    pub failure_reason_code: Option<String>,
}

/// The TLS results of one session, for the caller to merge into its daily reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsReport {
    /// Connection facts from the caller.
    pub context: ReportContext,
    /// The server's greeting name, once known.
    pub receiving_mx_helo: Option<String>,
    /// Successful TLS sessions.
    pub success_count: u64,
    /// Failed TLS sessions.
    pub failure_count: u64,
    /// Details, identical ones merged by count.
    pub failures: Vec<FailureDetails>,
}

impl TlsReport {
    /// An empty report for a connection.
    #[must_use]
    pub fn new(context: ReportContext) -> TlsReport {
        TlsReport {
            context,
            ..TlsReport::default()
        }
    }

    /// A TLS session was established (RFC 8460 §4.1 successful-session-count).
    pub fn record_success(&mut self) {
        self.success_count += 1;
    }

    /// STARTTLS was not offered (opportunistic: a detail, no count — as mox), or was
    /// refused with `reply_code` (a failed session).
    pub fn record_starttls_not_supported(&mut self, reply_code: Option<u16>) {
        let reason = reply_code.map(|c| format!("smtp-starttls-reply-code-{c}"));
        if reply_code.is_some() {
            self.failure_count += 1;
        }
        self.add_detail(ResultType::StartTlsNotSupported, reason, None);
    }

    /// The driver's handshake failed. The driver's `detail` becomes the failure
    /// reason code: RFC 8460 §4.4 makes `failure-reason-code` the field for "a
    /// TLS-related error code or error message", while `additional-information` is a
    /// URI (mox fills only the reason code too).
    pub fn record_handshake_failure(&mut self, kind: TlsFailureKind, detail: &str) {
        self.failure_count += 1;
        let reason = (!detail.is_empty()).then(|| report_text(detail));
        self.add_detail(kind.into(), reason, None);
    }

    /// The server sent a TLS alert in the first read after a handshake that looked
    /// successful (e.g. it refused our certificate): that success becomes a failure.
    pub fn record_alert_after_handshake(&mut self, alert: u8) {
        self.success_count = self.success_count.saturating_sub(1);
        self.failure_count += 1;
        let reason = format!(
            "tls-remote-alert-{alert}{}",
            alert_name(alert).map_or(String::new(), |n| format!("-{n}"))
        );
        self.add_detail(ResultType::ValidationFailure, Some(reason), None);
    }

    fn add_detail(
        &mut self,
        result_type: ResultType,
        reason: Option<String>,
        info: Option<String>,
    ) {
        let d = FailureDetails {
            result_type,
            sending_mta_ip: self.context.sending_mta_ip,
            receiving_mx_hostname: self.context.receiving_mx_hostname.clone(),
            receiving_mx_helo: self.receiving_mx_helo.as_deref().map(report_text),
            receiving_ip: self.context.receiving_ip,
            failed_session_count: 1,
            additional_information: info,
            failure_reason_code: reason,
        };
        let same = |e: &&mut FailureDetails| {
            FailureDetails {
                failed_session_count: 1,
                ..(*e).clone()
            } == d
        };
        match self.failures.iter_mut().find(same) {
            Some(e) => e.failed_session_count += 1,
            None => self.failures.push(d),
        }
    }
}

/// Longest text a report keeps from outside (a driver's TLS error, the server's
/// greeting name); longer text is cut and marked (rule 20).
pub const MAX_REPORT_TEXT: usize = 256;

/// `text` fit for a report: control characters become `?` (reports are read by
/// people and parsers; a server's name or a TLS library's message must not inject
/// lines), and at most [`MAX_REPORT_TEXT`] bytes are kept.
pub(crate) fn report_text(text: &str) -> String {
    const MARKER: &str = "...";
    let mut out = String::with_capacity(text.len().min(MAX_REPORT_TEXT));
    for c in text.chars() {
        if out.len() + c.len_utf8() > MAX_REPORT_TEXT - MARKER.len() {
            out.push_str(MARKER);
            break;
        }
        out.push(if c.is_control() { '?' } else { c });
    }
    out
}

/// RFC 8446 §6 alert names for the alerts a server sends after a handshake.
fn alert_name(alert: u8) -> Option<&'static str> {
    Some(match alert {
        40 => "handshake-failure",
        42 => "bad-certificate",
        43 => "unsupported-certificate",
        44 => "certificate-revoked",
        45 => "certificate-expired",
        46 => "certificate-unknown",
        48 => "unknown-ca",
        49 => "access-denied",
        80 => "internal-error",
        116 => "certificate-required",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> ReportContext {
        ReportContext {
            receiving_mx_hostname: Some("mx.example.net".into()),
            receiving_ip: "192.0.2.1".parse().ok(),
            sending_mta_ip: "192.0.2.9".parse().ok(),
        }
    }

    #[test]
    fn starttls_not_offered_is_a_detail_without_count() {
        let mut r = TlsReport::new(ctx());
        r.record_starttls_not_supported(None);
        assert_eq!((r.success_count, r.failure_count), (0, 0));
        assert_eq!(r.failures[0].result_type.as_str(), "starttls-not-supported");
        assert_eq!(r.failures[0].failure_reason_code, None);
    }

    #[test]
    fn starttls_refused_counts_with_reply_code() {
        let mut r = TlsReport::new(ctx());
        r.receiving_mx_helo = Some("mx".into());
        r.record_starttls_not_supported(Some(454));
        assert_eq!(r.failure_count, 1);
        let d = &r.failures[0];
        assert_eq!(
            d.failure_reason_code.as_deref(),
            Some("smtp-starttls-reply-code-454")
        );
        assert_eq!(d.receiving_mx_helo.as_deref(), Some("mx"));
        assert_eq!(d.receiving_ip, "192.0.2.1".parse().ok());
    }

    #[test]
    fn handshake_failures_map_and_merge() {
        let mut r = TlsReport::new(ctx());
        r.record_handshake_failure(TlsFailureKind::CertificateExpired, "expired");
        r.record_handshake_failure(TlsFailureKind::CertificateExpired, "expired");
        r.record_handshake_failure(TlsFailureKind::Handshake, "no shared cipher");
        assert_eq!(r.failure_count, 3);
        assert_eq!(r.failures.len(), 2);
        assert_eq!(r.failures[0].failed_session_count, 2);
        assert_eq!(r.failures[1].result_type, ResultType::ValidationFailure);
        assert_eq!(
            r.failures[1].failure_reason_code.as_deref(),
            Some("no shared cipher")
        );
        assert_eq!(r.failures[1].additional_information, None);
    }

    #[test]
    fn alert_after_handshake_turns_success_into_failure() {
        let mut r = TlsReport::new(ctx());
        r.record_success();
        r.record_alert_after_handshake(42);
        assert_eq!((r.success_count, r.failure_count), (0, 1));
        assert_eq!(
            r.failures[0].failure_reason_code.as_deref(),
            Some("tls-remote-alert-42-bad-certificate")
        );
    }

    #[test]
    fn every_failure_kind_has_its_rfc_8460_result_type() {
        use TlsFailureKind as K;
        let table = [
            (K::Handshake, "validation-failure"),
            (K::CertificateHostMismatch, "certificate-host-mismatch"),
            (K::CertificateExpired, "certificate-expired"),
            (K::CertificateNotTrusted, "certificate-not-trusted"),
            (K::ValidationFailure, "validation-failure"),
            (K::TlsaInvalid, "tlsa-invalid"),
            (K::DnssecInvalid, "dnssec-invalid"),
            (K::DaneRequired, "dane-required"),
        ];
        for (kind, name) in table {
            assert_eq!(ResultType::from(kind).as_str(), name, "{kind:?}");
        }
        // The policy results a driver records (RFC 8460 §4.3.2).
        let sts = [
            (ResultType::StsPolicyFetchError, "sts-policy-fetch-error"),
            (ResultType::StsPolicyInvalid, "sts-policy-invalid"),
            (ResultType::StsWebpkiInvalid, "sts-webpki-invalid"),
            (ResultType::StartTlsNotSupported, "starttls-not-supported"),
        ];
        for (result, name) in sts {
            assert_eq!(result.as_str(), name);
        }
    }

    #[test]
    fn every_named_alert_is_named_and_others_are_numbers() {
        let named = [
            (40, "handshake-failure"),
            (42, "bad-certificate"),
            (43, "unsupported-certificate"),
            (44, "certificate-revoked"),
            (45, "certificate-expired"),
            (46, "certificate-unknown"),
            (48, "unknown-ca"),
            (49, "access-denied"),
            (80, "internal-error"),
            (116, "certificate-required"),
        ];
        for (alert, name) in named {
            assert_eq!(alert_name(alert), Some(name));
        }
        for alert in [0, 41, 47, 50, 255] {
            assert_eq!(alert_name(alert), None, "{alert}");
        }
        let mut r = TlsReport::new(ctx());
        r.record_alert_after_handshake(41);
        r.record_alert_after_handshake(41);
        r.record_alert_after_handshake(41);
        assert_eq!(
            r.failures.len(),
            1,
            "the same failure is counted, not repeated"
        );
        assert_eq!(r.failures[0].failed_session_count, 3);
        assert_eq!(
            r.failures[0].failure_reason_code.as_deref(),
            Some("tls-remote-alert-41")
        );
    }

    #[test]
    fn outside_text_in_reports_is_capped_and_sanitised() {
        let mut r = TlsReport {
            receiving_mx_helo: Some("mx\nINFO forged".into()),
            ..TlsReport::default()
        };
        let huge = "x".repeat(10 * 1024 * 1024);
        r.record_handshake_failure(TlsFailureKind::Handshake, &huge);
        r.record_handshake_failure(TlsFailureKind::Handshake, "bad\r\ncert\x1b[2J");
        let reasons: Vec<&str> = r
            .failures
            .iter()
            .filter_map(|f| f.failure_reason_code.as_deref())
            .collect();
        assert_eq!(reasons.len(), 2);
        assert_eq!(reasons[0].len(), MAX_REPORT_TEXT);
        assert!(reasons[0].ends_with("..."));
        assert_eq!(reasons[1], "bad??cert?[2J");
        assert_eq!(
            r.failures[0].receiving_mx_helo.as_deref(),
            Some("mx?INFO forged")
        );
        // Short text is kept as it is.
        assert_eq!(report_text("tls-alert-42"), "tls-alert-42");
    }
}
