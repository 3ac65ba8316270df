//! TLS with rustls (feature `rustls`): a ready [`TlsUpgrade`] for
//! STARTTLS (RFC 3207) and implicit TLS (RFC 8314).
//!
//! [`TlsStream`] forwards the driver's timeouts and non-blocking mode to the socket,
//! and writes a vectored write's small slices as one plaintext write — so `BDAT n
//! LAST` and its data share a TLS record instead of one record per slice. The
//! upgrade fills [`TlsInfo`] with the version, cipher suite, peer chain and the
//! `tls-exporter` channel binding (RFC 9266) that SCRAM-PLUS needs.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::ServerName;
use rustls::{CertificateError, ClientConfig, ClientConnection};
use smtp_proto::{ChannelBinding, ChannelBindingKind, TlsFailure, TlsFailureKind, TlsInfo};

use crate::{Stream, TlsUpgrade};

/// Slices up to this size together are copied into one plaintext write.
const COALESCE: usize = 16 * 1024;
/// How long the handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// A rustls client session over a driver [`Stream`].
pub struct TlsStream {
    conn: ClientConnection,
    sock: Box<dyn Stream>,
    scratch: Vec<u8>,
    alert: Option<u8>,
}

impl TlsStream {
    /// Runs the handshake over `sock` for `server_name`.
    pub fn handshake(
        config: Arc<ClientConfig>,
        server_name: ServerName<'static>,
        mut sock: Box<dyn Stream>,
    ) -> Result<TlsStream, TlsFailure> {
        let mut conn = ClientConnection::new(config, server_name).map_err(failure)?;
        let io = |e: io::Error| TlsFailure {
            kind: TlsFailureKind::Handshake,
            detail: e.to_string(),
        };
        sock.set_read_timeout(Some(HANDSHAKE_TIMEOUT)).map_err(io)?;
        sock.set_write_timeout(Some(HANDSHAKE_TIMEOUT))
            .map_err(io)?;
        while conn.is_handshaking() {
            if let Err(e) = conn.complete_io(&mut sock) {
                // rustls wraps its own errors in io::Error; unwrap them for the kind.
                let inner = e
                    .get_ref()
                    .and_then(|i| i.downcast_ref::<rustls::Error>())
                    .cloned();
                return Err(match inner {
                    Some(r) => failure(r),
                    None => io(e),
                });
            }
        }
        Ok(TlsStream {
            conn,
            sock,
            scratch: Vec::new(),
            alert: None,
        })
    }

    /// What the engine should know about this session.
    pub fn info(&self) -> TlsInfo {
        let mut info = TlsInfo::default();
        let mut binding = [0u8; 32];
        if self
            .conn
            .export_keying_material(&mut binding, b"EXPORTER-Channel-Binding", None)
            .is_ok()
        {
            info.channel_binding = Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: binding.to_vec(),
            });
        }
        info.protocol = self.conn.protocol_version().map(|v| format!("{v:?}"));
        info.cipher_suite = self
            .conn
            .negotiated_cipher_suite()
            .map(|c| format!("{:?}", c.suite()));
        info.peer_certificates = self
            .conn
            .peer_certificates()
            .map(|chain| chain.iter().map(|c| c.as_ref().to_vec()).collect())
            .unwrap_or_default();
        info
    }

    /// Writes every TLS record rustls holds.
    fn flush_tls(&mut self) -> io::Result<()> {
        while self.conn.wants_write() {
            self.conn.write_tls(&mut self.sock)?;
        }
        Ok(())
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.conn.reader().read(buf) {
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                other => return other,
            }
            if self.conn.read_tls(&mut self.sock)? == 0 {
                return Ok(0);
            }
            if let Err(e) = self.conn.process_new_packets() {
                if let rustls::Error::AlertReceived(a) = &e {
                    self.alert = Some(u8::from(*a));
                }
                // Send our alert, if any, then report the failure.
                let _ = self.flush_tls();
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
        }
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.flush_tls()?;
        let n = self.conn.writer().write(buf)?;
        self.flush_tls()?;
        Ok(n)
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        let total: usize = bufs.iter().map(|b| b.len()).sum();
        if total > COALESCE {
            // Large pieces make full records anyway; write the first one alone.
            let first = bufs.iter().find(|b| !b.is_empty()).map_or(&[][..], |b| b);
            return self.write(first);
        }
        self.scratch.clear();
        for b in bufs {
            self.scratch.extend_from_slice(b);
        }
        let scratch = std::mem::take(&mut self.scratch);
        let result = self.write(&scratch);
        self.scratch = scratch;
        result
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_tls()?;
        self.sock.flush()
    }
}

impl Stream for TlsStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_read_timeout(timeout)
    }
    fn set_write_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        self.sock.set_write_timeout(timeout)
    }
    fn set_nonblocking(&mut self, nonblocking: bool) -> io::Result<()> {
        self.sock.set_nonblocking(nonblocking)
    }
    fn take_tls_alert(&mut self) -> Option<u8> {
        self.alert.take()
    }
}

/// A [`TlsUpgrade`] that runs a rustls handshake for `server_name` with `config`.
pub fn rustls_upgrade(
    config: Arc<ClientConfig>,
    server_name: &str,
) -> Result<TlsUpgrade, rustls::pki_types::InvalidDnsNameError> {
    let name = ServerName::try_from(server_name.to_string())?;
    Ok(Box::new(move |sock: Box<dyn Stream>| {
        let tls = TlsStream::handshake(config.clone(), name.clone(), sock)?;
        let info = tls.info();
        Ok((Box::new(tls) as Box<dyn Stream>, info))
    }))
}

/// A client configuration trusting the CA certificates in a PEM file (the ring
/// provider, TLS 1.2 and 1.3).
pub fn client_config_from_pem(
    path: impl AsRef<std::path::Path>,
) -> Result<Arc<ClientConfig>, Box<dyn std::error::Error + Send + Sync>> {
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_file_iter(path)? {
        roots.add(cert?)?;
    }
    Ok(Arc::new(client_config(roots)))
}

/// A client configuration trusting `roots`, with the ring provider.
pub fn client_config(roots: rustls::RootCertStore) -> ClientConfig {
    ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default versions")
        .with_root_certificates(roots)
        .with_no_client_auth()
}

/// A rustls error as an RFC 8460 result type.
fn failure(e: rustls::Error) -> TlsFailure {
    let kind = match &e {
        rustls::Error::InvalidCertificate(c) => match c {
            CertificateError::UnknownIssuer | CertificateError::BadSignature => {
                TlsFailureKind::CertificateNotTrusted
            }
            CertificateError::Expired | CertificateError::NotValidYet => {
                TlsFailureKind::CertificateExpired
            }
            CertificateError::NotValidForName => TlsFailureKind::CertificateHostMismatch,
            _ => TlsFailureKind::ValidationFailure,
        },
        _ => TlsFailureKind::Handshake,
    };
    TlsFailure {
        kind,
        detail: e.to_string(),
    }
}
