//! A ready [`TlsUpgrade`] with rustls (feature `rustls`): STARTTLS (RFC 3207) and
//! implicit TLS (RFC 8314) through the same handshake, reporting what the engine and
//! the caller want to know afterwards — protocol, cipher suite, the peer's chain and
//! the `tls-exporter` channel binding (RFC 9266) for SCRAM-PLUS — and classifying a
//! failed handshake as an RFC 8460 §4.3 result type.

use std::io;
use std::sync::Arc;

use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, ClientConnection, ProtocolVersion};
use smtp_proto::{ChannelBinding, ChannelBindingKind, TlsFailure, TlsFailureKind, TlsInfo};
use tokio_rustls::TlsConnector;

use crate::stream::{AsyncStream, TlsUpgrade};

/// RFC 9266 §2: the exporter label of the `tls-exporter` binding, 32 bytes, no
/// context.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";

/// The upgrade behind [`Options::rustls`](crate::Options::rustls).
pub(crate) fn upgrade(config: Arc<ClientConfig>, server_name: ServerName<'static>) -> TlsUpgrade {
    // RFC 9266 §3: over TLS 1.2 the exporter is a safe binding only with the
    // extended master secret (RFC 7627), which rustls guarantees only when asked to.
    let tls12_binding = config.require_ems;
    let connector = TlsConnector::from(config);
    Box::new(move |stream: Box<dyn AsyncStream>| {
        let connector = connector.clone();
        let name = server_name.clone();
        Box::pin(async move {
            match connector.connect(name, stream).await {
                Ok(tls) => {
                    let info = tls_info(tls.get_ref().1, tls12_binding);
                    Ok((Box::new(tls) as Box<dyn AsyncStream>, info))
                }
                Err(e) => Err(failure(&e)),
            }
        })
    })
}

/// What the engine keeps about an established session.
fn tls_info(conn: &ClientConnection, tls12_binding: bool) -> TlsInfo {
    let version = conn.protocol_version();
    let mut info = TlsInfo::default();
    info.protocol = version.map(|v| match v {
        ProtocolVersion::TLSv1_3 => "TLSv1.3".to_string(),
        ProtocolVersion::TLSv1_2 => "TLSv1.2".to_string(),
        other => format!("{other:?}"),
    });
    info.cipher_suite = conn.negotiated_cipher_suite().map(|s| {
        s.suite()
            .as_str()
            .map_or_else(|| format!("{:?}", s.suite()), str::to_string)
    });
    info.peer_certificates = conn
        .peer_certificates()
        .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
        .unwrap_or_default();
    let binding_safe = match version {
        Some(ProtocolVersion::TLSv1_3) => true,
        Some(ProtocolVersion::TLSv1_2) => tls12_binding,
        _ => false,
    };
    if binding_safe {
        if let Ok(data) = conn.export_keying_material([0u8; 32], EXPORTER_LABEL, None) {
            info.channel_binding = Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: data.to_vec(),
            });
        }
    }
    info
}

/// A failed handshake as the TLS report names it.
fn failure(e: &io::Error) -> TlsFailure {
    let kind = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        .map_or(TlsFailureKind::Handshake, kind_of);
    TlsFailure {
        kind,
        detail: e.to_string(),
    }
}

/// RFC 8460 §4.3 result type of a rustls error.
fn kind_of(e: &rustls::Error) -> TlsFailureKind {
    let rustls::Error::InvalidCertificate(cert) = e else {
        return TlsFailureKind::Handshake;
    };
    match cert {
        CertificateError::UnknownIssuer => TlsFailureKind::CertificateNotTrusted,
        CertificateError::Expired | CertificateError::ExpiredContext { .. } => {
            TlsFailureKind::CertificateExpired
        }
        CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => {
            TlsFailureKind::CertificateHostMismatch
        }
        // Any other verdict on the chain (bad signature, revoked, wrong purpose, not
        // yet valid) is a `validation-failure`.
        _ => TlsFailureKind::ValidationFailure,
    }
}

/// A client configuration (ring provider, TLS 1.2 and 1.3) trusting the CA
/// certificates of a PEM file — the system bundle, or a private CA.
pub fn client_config_from_pem(
    path: impl AsRef<std::path::Path>,
) -> Result<Arc<ClientConfig>, Box<dyn std::error::Error + Send + Sync>> {
    use rustls::pki_types::{pem::PemObject, CertificateDer};
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path)? {
        roots.add(cert?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrapped(e: rustls::Error) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, e)
    }

    #[test]
    fn certificate_errors_map_to_report_result_types() {
        let cases = [
            (
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer),
                TlsFailureKind::CertificateNotTrusted,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::Expired),
                TlsFailureKind::CertificateExpired,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::NotValidForName),
                TlsFailureKind::CertificateHostMismatch,
            ),
            (
                rustls::Error::InvalidCertificate(CertificateError::BadSignature),
                TlsFailureKind::ValidationFailure,
            ),
            (
                rustls::Error::AlertReceived(rustls::AlertDescription::HandshakeFailure),
                TlsFailureKind::Handshake,
            ),
        ];
        for (error, kind) in cases {
            let shown = error.to_string();
            let f = failure(&wrapped(error));
            assert_eq!(f.kind, kind, "{shown}");
            assert!(f.detail.contains(&shown), "{} vs {shown}", f.detail);
        }
        let plain = failure(&io::Error::new(io::ErrorKind::UnexpectedEof, "eof"));
        assert_eq!(plain.kind, TlsFailureKind::Handshake);
    }
}
