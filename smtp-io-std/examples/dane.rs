//! DANE (RFC 7672) with the blocking driver: TLSA records — as `smtp-delivery`
//! gathers them from DNSSEC-signed DNS — decide which certificate the server may
//! present, through a rustls custom verifier. Run it with
//! `cargo run -p smtp-io-std --features rustls --example dane`.
//!
//! To stay self-contained it makes a self-signed certificate with rcgen, computes its
//! `3 1 1` record (DANE-EE, SubjectPublicKeyInfo, SHA-256) and starts a loopback
//! STARTTLS server that presents it. A real MTA takes the records from
//! `smtp_delivery::dane::gather_tlsa` (only when the lookups were authentic) and the
//! plan's verdict that DANE applies. Only DANE-EE (usage 3) is checked here: under
//! RFC 7672 §3.1.1 it pins the server's own key, ignoring names and dates. DANE-TA
//! (usage 2) needs chain building from the matched trust anchor and is left out.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, SignatureScheme};
use smtp_delivery::dns::Tlsa;
use smtp_io_std::tls::TlsStream;
use smtp_io_std::{Connection, DriverError, Stream, TlsUpgrade};
use smtp_proto::{
    Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsFailureKind, TlsMode,
};

/// Why no TLSA record matched (shown in the TLS failure detail).
#[derive(Debug)]
struct NoTlsaMatch;

impl std::fmt::Display for NoTlsaMatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no usable TLSA record matches the server's certificate")
    }
}
impl std::error::Error for NoTlsaMatch {}

/// Accepts the server's certificate when a DANE-EE record matches it (RFC 7672
/// §3.1.1); handshake signatures are still verified with the provider.
#[derive(Debug)]
pub struct DaneVerifier {
    records: Vec<Tlsa>,
    provider: Arc<CryptoProvider>,
}

impl DaneVerifier {
    /// A verifier for the usable records among `records`.
    pub fn new(records: Vec<Tlsa>) -> DaneVerifier {
        DaneVerifier {
            records: records
                .into_iter()
                .filter(smtp_delivery::dane::usable)
                .collect(),
            provider: Arc::new(rustls::crypto::ring::default_provider()),
        }
    }

    fn matches(&self, cert: &[u8]) -> bool {
        self.records.iter().filter(|r| r.usage == 3).any(|r| {
            let selected = match r.selector {
                0 => Some(cert),
                _ => subject_public_key_info(cert),
            };
            selected
                .is_some_and(|s| association(r.matching_type, s).as_deref() == Some(&r.data[..]))
        })
    }
}

impl ServerCertVerifier for DaneVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if self.matches(end_entity) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(NoTlsaMatch)),
            )))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(m, c, d, &self.provider.signature_verification_algorithms)
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// RFC 6698 §2.1.3: the data a record of `matching_type` holds for `selected`.
fn association(matching_type: u8, selected: &[u8]) -> Option<Vec<u8>> {
    use ring::digest::{digest, SHA256, SHA512};
    match matching_type {
        0 => Some(selected.to_vec()),
        1 => Some(digest(&SHA256, selected).as_ref().to_vec()),
        2 => Some(digest(&SHA512, selected).as_ref().to_vec()),
        _ => None,
    }
}

/// One DER element at the start of `input`: (tag, content start, end).
fn element(input: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, header) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        if n == 0 || n > 4 {
            return None;
        }
        let len = input
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |a, &b| (a << 8) | b as usize);
        (len, 2 + n)
    };
    let end = header.checked_add(len)?;
    (end <= input.len()).then_some((tag, header, end))
}

/// RFC 5280 §4.1: the SubjectPublicKeyInfo of a certificate, DER (the 7th element of
/// tbsCertificate, counting the optional `[0]` version).
fn subject_public_key_info(cert: &[u8]) -> Option<&[u8]> {
    let (_, h, _) = element(cert)?;
    let tbs = &cert[h..];
    let (_, th, tend) = element(tbs)?;
    let mut rest = &tbs[th..tend];
    if rest.first() == Some(&0xa0) {
        rest = &rest[element(rest)?.2..];
    }
    for _ in 0..5 {
        rest = &rest[element(rest)?.2..]; // serial, signature, issuer, validity, subject
    }
    let (tag, _, end) = element(rest)?;
    (tag == 0x30).then(|| &rest[..end])
}

/// The TLS upgrade for DANE: the handshake with [`DaneVerifier`], and a mismatch
/// reported as `tlsa-invalid` for the TLS report (RFC 8460 §4.3).
pub fn dane_upgrade(records: Vec<Tlsa>, host: &str) -> TlsUpgrade {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default versions")
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(DaneVerifier::new(records)))
        .with_no_client_auth();
    let config = Arc::new(config);
    let name = ServerName::try_from(host.to_string()).expect("a host name");
    Box::new(move |sock: Box<dyn Stream>| {
        match TlsStream::handshake(config.clone(), name.clone(), sock) {
            Ok(tls) => {
                let info = tls.info();
                Ok((Box::new(tls) as Box<dyn Stream>, info))
            }
            Err(mut f) => {
                if f.detail.contains("NoTlsaMatch") {
                    f.kind = TlsFailureKind::TlsaInvalid;
                }
                Err(f)
            }
        }
    })
}

/// A loopback STARTTLS server presenting `cert` for one session.
fn server(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> SocketAddr {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut sock, _)) = listener.accept() else {
            return;
        };
        let mut r = BufReader::new(sock.try_clone().unwrap());
        let mut line = String::new();
        let _ = sock.write_all(b"220 mx.dane.example ESMTP\r\n");
        let _ = r.read_line(&mut line);
        let _ = sock.write_all(b"250-mx.dane.example\r\n250 STARTTLS\r\n");
        line.clear();
        let _ = r.read_line(&mut line);
        let _ = sock.write_all(b"220 go ahead\r\n");
        let conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        let mut tls = BufReader::new(rustls::StreamOwned::new(conn, sock));
        loop {
            line.clear();
            if tls.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let l = line.trim_end();
            let reply: &[u8] = match l.get(..4).unwrap_or(l) {
                "EHLO" => b"250-mx.dane.example\r\n250 PIPELINING\r\n",
                "MAIL" | "RCPT" => b"250 ok\r\n",
                "DATA" => b"354 go\r\n",
                "." => b"250 queued\r\n",
                "QUIT" => b"221 bye\r\n",
                _ => continue, // message lines
            };
            let _ = tls.get_mut().write_all(reply);
        }
    });
    addr
}

/// Sends one message to a server presenting `cert`, trusting only `records`.
pub fn send_with_dane(
    records: Vec<Tlsa>,
    cert: CertificateDer<'static>,
    key: PrivateKeyDer<'static>,
) -> Result<(), DriverError> {
    let addr = server(cert, key);
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::RequiredStartTls; // DANE makes TLS mandatory (RFC 7672 §2.2)
    let mut c = Connection::options(config)
        .tls_upgrade(dane_upgrade(records, "mx.dane.example"))
        .connect(addr, Duration::from_secs(5))?;
    let env = Envelope::new(
        ReversePath::parse("a@example.org").unwrap(),
        vec![Recipient::new(
            ForwardPath::parse("b@dane.example").unwrap(),
        )],
    );
    let d = c.send(env, &mut &b"Subject: over DANE\r\n\r\nhello\r\n"[..])?;
    println!("delivered: {}", d.all_accepted());
    match d.result {
        Ok(_) => c.quit(),
        Err(e) => Err(DriverError::Session(e)),
    }
}

/// A self-signed certificate, its key, and its `3 1 1` TLSA record.
pub fn server_identity() -> (CertificateDer<'static>, PrivateKeyDer<'static>, Tlsa) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["mx.dane.example".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der = cert.der().clone();
    let spki = subject_public_key_info(&der)
        .expect("a certificate")
        .to_vec();
    let record = Tlsa {
        usage: 3,
        selector: 1,
        matching_type: 1,
        data: association(1, &spki).unwrap(),
    };
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (der, key, record)
}

#[allow(dead_code)]
fn main() {
    let (cert, key, record) = server_identity();
    println!(
        "TLSA 3 1 1 {}",
        record
            .data
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    send_with_dane(vec![record.clone()], cert.clone(), key.clone_key())
        .expect("the pinned key matches");
    let mut wrong = record;
    wrong.data[0] ^= 0xff;
    match send_with_dane(vec![wrong], cert, key) {
        Err(DriverError::Session(e)) => println!("with a wrong record: {e}"),
        other => panic!("a certificate no record matches was accepted: {other:?}"),
    }
}
