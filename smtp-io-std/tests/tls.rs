//! Real TLS through the `rustls` feature against an in-process rustls server with an
//! rcgen CA and leaf: STARTTLS (EHLO again, tls-exporter, peer chain, AUTH only
//! after TLS), implicit TLS, an untrusted chain, and plaintext injected after 220.
#![cfg(feature = "rustls")]

mod peer;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{RootCertStore, ServerConfig, ServerConnection, StreamOwned};
use smtp_io_std::tls::client_config;
use smtp_io_std::{rustls_upgrade, Connection, DriverError};
use smtp_proto::{Auth, Config, ErrorKind, Host, TlsMode};

const T: Duration = Duration::from_secs(10);

struct Pki {
    ca: CertificateDer<'static>,
    server: Arc<ServerConfig>,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
    let server =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
            .unwrap();
    Pki {
        ca: ca_cert.der().clone(),
        server: Arc::new(server),
    }
}

fn upgrade_trusting(ca: Option<CertificateDer<'static>>) -> smtp_io_std::TlsUpgrade {
    let mut roots = RootCertStore::empty();
    if let Some(ca) = ca {
        roots.add(ca).unwrap();
    }
    rustls_upgrade(Arc::new(client_config(roots)), "localhost").unwrap()
}

/// Speaks SMTP over TLS after the handshake: EHLO (with AUTH), AUTH, QUIT.
fn after_handshake(tls: StreamOwned<ServerConnection, TcpStream>) -> Vec<String> {
    let mut r = BufReader::new(tls);
    let mut seen = Vec::new();
    let mut line = String::new();
    while r.read_line(&mut line).unwrap_or(0) > 0 {
        let l = line.trim_end().to_string();
        line.clear();
        let reply: &[u8] = if l.starts_with("EHLO") {
            b"250-mx.test\r\n250 AUTH PLAIN\r\n"
        } else if l.starts_with("AUTH PLAIN") {
            b"235 2.7.0 ok\r\n"
        } else if l == "QUIT" {
            b"221 bye\r\n"
        } else {
            b"502 no\r\n"
        };
        seen.push(l.clone());
        let s = r.get_mut();
        s.write_all(reply).unwrap();
        s.flush().unwrap();
        if l == "QUIT" {
            break;
        }
    }
    seen
}

#[test]
fn starttls_then_ehlo_again_then_auth_with_the_exporter_binding() {
    let pki = pki();
    let server_config = pki.server.clone();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().unwrap();
        let mut r = BufReader::new(sock.try_clone().unwrap());
        sock.write_all(b"220 mx.test ESMTP\r\n").unwrap();
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        sock.write_all(b"250-mx.test\r\n250 STARTTLS\r\n").unwrap();
        line.clear();
        r.read_line(&mut line).unwrap();
        assert_eq!(line, "STARTTLS\r\n", "no AUTH before TLS");
        sock.write_all(b"220 go ahead\r\n").unwrap();
        let conn = ServerConnection::new(server_config).unwrap();
        after_handshake(StreamOwned::new(conn, sock))
    });
    let mut cfg = Config::new(Host::parse("client.example").unwrap());
    cfg.tls = TlsMode::Opportunistic;
    let c = Connection::options(cfg)
        .tls_upgrade(upgrade_trusting(Some(pki.ca.clone())))
        .auth(Auth::with(
            smtp_proto::sasl::Plain::new(None, "u", "p").unwrap(),
        ))
        .connect(addr, T)
        .unwrap();
    let info = c.client().tls_info().unwrap().clone();
    assert_eq!(info.channel_binding.map(|b| b.data.len()), Some(32));
    assert_eq!(info.peer_certificates.len(), 2, "leaf and CA");
    assert!(info.protocol.is_some() && info.cipher_suite.is_some());
    assert!(c.client().is_authenticated());
    c.quit().unwrap();
    let seen = server.join().unwrap();
    assert!(
        seen[0].starts_with("EHLO") && seen[1].starts_with("AUTH PLAIN"),
        "{seen:?}"
    );
}

#[test]
fn implicit_tls_and_an_untrusted_chain() {
    for trusted in [true, false] {
        let pki = pki();
        let server_config = pki.server.clone();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (sock, _) = listener.accept().unwrap();
            let conn = ServerConnection::new(server_config).unwrap();
            let mut tls = StreamOwned::new(conn, sock);
            if tls.write_all(b"220 mx.test ESMTP\r\n").is_err() || tls.flush().is_err() {
                return Vec::new();
            }
            after_handshake(tls)
        });
        let mut cfg = Config::new(Host::parse("client.example").unwrap());
        cfg.tls = TlsMode::Immediate;
        let opened = Connection::options(cfg)
            .tls_upgrade(upgrade_trusting(trusted.then(|| pki.ca.clone())))
            .connect(addr, T);
        if trusted {
            let c = opened.unwrap();
            assert!(c.client().tls_info().is_some());
            assert_eq!(c.client().tls_report().success_count, 1);
            c.quit().unwrap();
        } else {
            match opened {
                Err(DriverError::Session(e)) => {
                    assert_eq!(e.kind, ErrorKind::Tls);
                    assert!(!e.permanent);
                }
                other => panic!("an untrusted chain was accepted: {other:?}"),
            }
        }
        let _ = server.join();
    }
}

#[test]
fn plaintext_injected_after_220_is_an_injection_error_with_rustls_configured() {
    let (addr, server) = peer::serve(|p| {
        p.open(&["STARTTLS"]);
        p.expect("STARTTLS");
        p.send("220 go ahead\r\n250-mx.test\r\n250 AUTH PLAIN\r\n");
        // Nothing more may come: not a handshake, not a plaintext command.
        p.line()
    });
    let mut cfg = Config::new(Host::parse("client.example").unwrap());
    cfg.tls = TlsMode::RequiredStartTls;
    let err = Connection::options(cfg)
        .tls_upgrade(upgrade_trusting(None))
        .connect(addr, T)
        .unwrap_err();
    match err {
        DriverError::Session(e) => assert_eq!(e.kind, ErrorKind::Injection),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        server.join().unwrap(),
        None,
        "the client wrote after the injection"
    );
}
