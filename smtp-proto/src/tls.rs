//! What the driver tells the engine about TLS — RFC 3207 (STARTTLS), RFC 8314
//! (implicit TLS), RFC 9266 / RFC 5929 (channel bindings for SCRAM-PLUS), RFC 8460
//! §4.3 (result types a failed handshake is reported as).

use alloc::string::String;
use alloc::vec::Vec;

/// A TLS channel binding (RFC 5056), for SCRAM `-PLUS` mechanisms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelBinding {
    /// The binding type.
    pub kind: ChannelBindingKind,
    /// The binding data (e.g. 32 bytes of keying material for `tls-exporter`).
    pub data: Vec<u8>,
}

/// Channel binding types (RFC 5929, RFC 9266).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelBindingKind {
    /// `tls-exporter` (RFC 9266), the one to use with TLS 1.3.
    TlsExporter,
    /// `tls-server-end-point` (RFC 5929 §4).
    TlsServerEndPoint,
    /// `tls-unique` (RFC 5929 §3), TLS 1.2 only.
    TlsUnique,
}

impl ChannelBindingKind {
    /// The name used in SCRAM's GS2 header, e.g. `tls-exporter`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChannelBindingKind::TlsExporter => "tls-exporter",
            ChannelBindingKind::TlsServerEndPoint => "tls-server-end-point",
            ChannelBindingKind::TlsUnique => "tls-unique",
        }
    }
}

/// Facts about an established TLS session, handed over by the driver with
/// `Client::tls_established`. Build with `TlsInfo::default()` and set what the TLS
/// library tells (`#[non_exhaustive]`: new facts get defaults).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct TlsInfo {
    /// Channel binding data, when the driver's TLS library exposes it.
    pub channel_binding: Option<ChannelBinding>,
    /// Protocol version, e.g. `TLSv1.3`, for logs.
    pub protocol: Option<String>,
    /// Cipher suite name, for logs.
    pub cipher_suite: Option<String>,
    /// The server's certificate chain, DER, leaf first (for logs, pinning, DANE
    /// checks after the fact).
    pub peer_certificates: Vec<Vec<u8>>,
}

/// Why the driver's TLS handshake failed, in RFC 8460 §4.3 terms so that TLS reports
/// can be built from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailureKind {
    /// The handshake itself failed (protocol, alert, no shared cipher).
    Handshake,
    /// `certificate-host-mismatch`
    CertificateHostMismatch,
    /// `certificate-expired`
    CertificateExpired,
    /// `certificate-not-trusted`
    CertificateNotTrusted,
    /// `validation-failure` (any other verification failure)
    ValidationFailure,
    /// `tlsa-invalid`: no usable TLSA record matched (DANE).
    TlsaInvalid,
    /// `dnssec-invalid`
    DnssecInvalid,
    /// `dane-required`
    DaneRequired,
}

/// A failed TLS handshake, reported by the driver with `Client::tls_failed`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsFailure {
    /// What failed, as a TLS-report result type.
    pub kind: TlsFailureKind,
    /// Human-readable detail from the TLS library.
    pub detail: String,
}
