//! Real TLS through `Options::rustls` against a tokio-rustls server on 127.0.0.1,
//! with a small rcgen CA and a leaf for "localhost" signed by it: STARTTLS (with
//! the tls-exporter binding checked against the server's), implicit TLS, an
//! untrusted chain, a wrong name, and response injection after STARTTLS's 220.
#![cfg(feature = "rustls")]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use common::{config, envelope, Peer};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore, ServerConfig};
use smtp_io_tokio::{Connection, DriverError};
use smtp_proto::sasl::Plain;
use smtp_proto::{Auth, ChannelBindingKind, ErrorKind, TlsMode};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

/// A CA, a leaf for localhost signed by it, and the server's TLS config.
struct Pki {
    ca: CertificateDer<'static>,
    leaf: CertificateDer<'static>,
    server: Arc<ServerConfig>,
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    // A name of its own: a stranger CA with the same name would look like the
    // issuer and fail as a bad signature instead of an unknown issuer.
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let n = SERIAL.fetch_add(1, Ordering::Relaxed);
    ca.distinguished_name
        .push(DnType::CommonName, format!("smtp-io-tokio test CA {n}"));
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let chain = vec![leaf_cert.der().clone(), ca_cert.der().clone()];
    let server = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    Pki {
        ca: ca_cert.der().clone(),
        leaf: leaf_cert.der().clone(),
        server: Arc::new(server),
    }
}

fn client_tls(ca: &CertificateDer<'static>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

fn localhost() -> ServerName<'static> {
    ServerName::try_from("localhost").unwrap()
}

async fn listen() -> (TcpListener, std::net::SocketAddr) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// Greeting and EHLO in plaintext, STARTTLS answered 220; returns the socket.
async fn plaintext_until_starttls(stream: TcpStream) -> TcpStream {
    let mut peer = Peer::new(stream);
    peer.send("220 mx ESMTP\r\n").await;
    peer.expect("EHLO").await;
    peer.send("250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
        .await;
    peer.expect("STARTTLS").await;
    peer.send("220 2.0.0 ready to start TLS\r\n").await;
    assert!(peer.io.buffer().is_empty(), "bytes before the handshake");
    peer.io.into_inner()
}

/// The SMTP part after TLS: EHLO (with AUTH PLAIN), AUTH, one message, QUIT.
/// Returns the decoded AUTH PLAIN message.
async fn smtp_over_tls<S>(stream: S, greet: bool) -> Vec<u8>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut peer = Peer::new(stream);
    if greet {
        peer.send("220 mx ESMTP\r\n").await;
    }
    peer.expect("EHLO").await;
    peer.send("250-mx\r\n250-PIPELINING\r\n250 AUTH PLAIN\r\n")
        .await;
    let auth = peer.expect("AUTH PLAIN ").await;
    let plain = base64::engine::general_purpose::STANDARD
        .decode(auth["AUTH PLAIN ".len()..].trim())
        .unwrap();
    peer.send("235 2.7.0 ok\r\n").await;
    peer.expect("MAIL").await;
    peer.expect("RCPT").await;
    peer.expect("DATA").await;
    peer.send("250 ok\r\n250 ok\r\n354 go\r\n").await;
    peer.dot_body().await;
    peer.send("250 2.0.0 queued\r\n").await;
    peer.expect("QUIT").await;
    peer.send("221 bye\r\n").await;
    plain
}

fn exporter(conn: &rustls::ServerConnection) -> Vec<u8> {
    conn.export_keying_material([0u8; 32], b"EXPORTER-Channel-Binding", None)
        .unwrap()
        .to_vec()
}

#[tokio::test]
async fn starttls_upgrades_authenticates_and_reports_the_session() {
    let pki = pki();
    let (listener, addr) = listen().await;
    let acceptor = TlsAcceptor::from(pki.server.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tcp = plaintext_until_starttls(tcp).await;
        let tls = acceptor.accept(tcp).await.unwrap();
        let binding = exporter(tls.get_ref().1);
        let plain = smtp_over_tls(tls, false).await;
        (binding, plain)
    });
    // The default mode, opportunistic, with AUTH allowed only over TLS.
    let mut cfg = config();
    cfg.tls = TlsMode::Opportunistic;
    let mut conn = Connection::options(cfg)
        .rustls(client_tls(&pki.ca), localhost())
        .auth(Auth::with(Plain::new(None, "user", "secret").unwrap()))
        .connect(addr, Duration::from_secs(5))
        .await
        .unwrap();
    let info = conn.client().tls_info().unwrap().clone();
    assert!(conn.client().is_authenticated());
    assert!(format!("{conn:?}").contains("tls: true"));
    let d = conn.send(envelope(1), &b"hi\r\n"[..]).await.unwrap();
    assert!(d.all_accepted());
    conn.quit().await.unwrap();
    let (server_binding, plain) = server.await.unwrap();

    assert_eq!(plain, b"\0user\0secret");
    assert_eq!(info.protocol.as_deref(), Some("TLSv1.3"));
    assert!(
        info.cipher_suite.as_deref().unwrap().starts_with("TLS13_"),
        "{info:?}"
    );
    assert_eq!(info.peer_certificates.len(), 2);
    assert_eq!(info.peer_certificates[0], pki.leaf.as_ref());
    let binding = info.channel_binding.unwrap();
    assert_eq!(binding.kind, ChannelBindingKind::TlsExporter);
    assert_eq!(binding.data.len(), 32);
    assert_eq!(binding.data, server_binding);
}

#[tokio::test]
async fn implicit_tls_runs_the_same_upgrade_before_the_greeting() {
    let pki = pki();
    let (listener, addr) = listen().await;
    let acceptor = TlsAcceptor::from(pki.server.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tls = acceptor.accept(tcp).await.unwrap();
        smtp_over_tls(tls, true).await
    });
    let mut cfg = config();
    cfg.tls = TlsMode::Immediate;
    let mut conn = Connection::options(cfg)
        .rustls(client_tls(&pki.ca), localhost())
        .auth(Auth::with(Plain::new(None, "user", "secret").unwrap()))
        .connect(addr, Duration::from_secs(5))
        .await
        .unwrap();
    assert!(conn.client().tls_info().unwrap().channel_binding.is_some());
    let d = conn.send(envelope(1), &b"hi\r\n"[..]).await.unwrap();
    assert!(d.all_accepted());
    conn.quit().await.unwrap();
    assert_eq!(server.await.unwrap(), b"\0user\0secret");
}

/// Runs STARTTLS against a server whose handshake the client must refuse; `client`
/// makes the client's side from the server's PKI.
async fn refused_handshake(
    client: impl FnOnce(&Pki) -> (Arc<ClientConfig>, ServerName<'static>),
) -> smtp_proto::Error {
    let pki = pki();
    let (tls, name) = client(&pki);
    let (listener, addr) = listen().await;
    let acceptor = TlsAcceptor::from(pki.server.clone());
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let tcp = plaintext_until_starttls(tcp).await;
        assert!(acceptor.accept(tcp).await.is_err());
    });
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let err = Connection::options(cfg)
        .rustls(tls, name)
        .connect(addr, Duration::from_secs(5))
        .await
        .unwrap_err();
    server.await.unwrap();
    match err {
        DriverError::Session(e) => e,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_untrusted_chain_is_a_transient_tls_error() {
    let stranger = pki();
    let e = refused_handshake(|_| (client_tls(&stranger.ca), localhost())).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    assert!(!e.permanent);
    assert!(e.detail.contains("UnknownIssuer"), "{e}");
}

#[tokio::test]
async fn a_certificate_for_another_name_is_a_tls_error() {
    // The roots trust the server's CA; only the name is wrong.
    let other = ServerName::try_from("mx.example.net").unwrap();
    let e = refused_handshake(|pki| (client_tls(&pki.ca), other)).await;
    assert_eq!(e.kind, ErrorKind::Tls, "{e}");
    assert!(!e.permanent);
    assert!(e.detail.contains("not valid for name"), "{e}");
}

#[tokio::test]
async fn plaintext_injected_after_the_starttls_220_is_an_injection_error() {
    let pki = pki();
    let (listener, addr) = listen().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut peer = Peer::new(tcp);
        peer.send("220 mx ESMTP\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 STARTTLS\r\n").await;
        peer.expect("STARTTLS").await;
        // One write: the 220 and a forged reply meant to be read as if over TLS.
        peer.send("220 go ahead\r\n250-mx\r\n250 AUTH PLAIN\r\n")
            .await;
        // The client never starts a handshake on the attacked stream.
        peer.drain().await
    });
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let err = Connection::options(cfg)
        .rustls(client_tls(&pki.ca), localhost())
        .connect(addr, Duration::from_secs(5))
        .await
        .unwrap_err();
    match err {
        DriverError::Session(e) => assert_eq!(e.kind, ErrorKind::Injection, "{e}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.await.unwrap(), 0, "a ClientHello went out");
}
