//! Real TLS: STARTTLS with rustls against aiosmtpd (started by the test with an
//! rcgen certificate chain), through the blocking driver's caller-supplied upgrade.
//! Needs aiosmtpd installed (scripts/interop-servers.sh), so ignored in a plain
//! `cargo test`; `.ci/run` runs it with `--ignored`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::Duration;

use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use rustls::pki_types::CertificateDer;
use rustls::RootCertStore;
use smtp_io_std::tls::client_config;
use smtp_io_std::{rustls_upgrade, Connection, DriverError, TlsUpgrade};
use smtp_proto::sasl::{Mechanism, Plain};
use smtp_proto::{
    Auth, Config, Envelope, ErrorKind, ForwardPath, Host, Recipient, ReversePath, TlsMode,
};

struct Server {
    child: Child,
    port: u16,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A CA and a leaf for localhost/127.0.0.1, written for the server; the CA for us.
fn certificates(dir: &Path) -> CertificateDer<'static> {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf_cert = leaf.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    std::fs::write(dir.join("cert.pem"), leaf_cert.pem() + &ca_cert.pem()).unwrap();
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).unwrap();
    ca_cert.der().clone()
}

/// Starts a server with its own certificates; `name` keeps parallel tests apart.
fn start_server(name: &str) -> (Server, CertificateDer<'static>) {
    let dir = std::env::temp_dir().join(format!("smtp-engine-tls-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let ca = certificates(&dir);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/aiosmtpd_store.py");
    let child = Command::new("python3")
        .arg(script)
        .arg(port.to_string())
        .arg(dir.join("store"))
        .arg(dir.join("cert.pem"))
        .arg(dir.join("key.pem"))
        .spawn()
        .expect("python3 with aiosmtpd");
    for _ in 0..100 {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (Server { child, port, dir }, ca)
}

/// The driver's own rustls upgrade trusting `roots`, for `localhost`.
fn upgrade(roots: RootCertStore) -> TlsUpgrade {
    rustls_upgrade(Arc::new(client_config(roots)), "localhost").unwrap()
}

fn config() -> Config {
    let mut c = Config::new(Host::parse("client.example").unwrap());
    c.tls = TlsMode::RequiredStartTls;
    c
}

#[test]
#[ignore = "needs aiosmtpd: scripts/interop-servers.sh (run by .ci/run)"]
fn starttls_with_rustls_then_auth_and_delivery() {
    let (server, ca) = start_server("trusted");
    let mut roots = RootCertStore::empty();
    roots.add(ca).unwrap();
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let plain: Box<dyn Mechanism + Send> = Box::new(Plain::new(None, "u", "p").unwrap());
    let mut c = Connection::options(config())
        .tls_upgrade(upgrade(roots))
        .auth(Auth::new(vec![plain]))
        .open(tcp)
        .expect("STARTTLS, EHLO again, AUTH");
    let info = c.client().tls_info().expect("TLS is up");
    assert_eq!(
        info.channel_binding.as_ref().map(|b| b.data.len()),
        Some(32)
    );
    assert!(c.client().is_authenticated());
    assert!(
        c.client().capabilities().unwrap().supports_auth("PLAIN"),
        "capabilities from after TLS"
    );
    assert_eq!(
        (
            c.client().tls_report().success_count,
            c.client().tls_report().failure_count
        ),
        (1, 0)
    );
    let env = Envelope::new(
        ReversePath::parse("a@example.org").unwrap(),
        vec![Recipient::new(
            ForwardPath::parse("tls@example.net").unwrap(),
        )],
    );
    let d = c
        .send(env, &mut &b"Subject: over TLS\r\n\r\nsecret\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
}

#[test]
#[ignore = "needs aiosmtpd: scripts/interop-servers.sh (run by .ci/run)"]
fn untrusted_certificate_fails_as_a_tls_error_with_nothing_sent_in_plaintext() {
    let (server, _ca) = start_server("untrusted");
    let tcp = TcpStream::connect(("127.0.0.1", server.port)).unwrap();
    let plain: Box<dyn Mechanism + Send> = Box::new(Plain::new(None, "u", "p").unwrap());
    let opened = Connection::options(config())
        .tls_upgrade(upgrade(RootCertStore::empty()))
        .auth(Auth::new(vec![plain]))
        .open(tcp);
    match opened {
        Err(DriverError::Session(e)) => {
            assert_eq!(e.kind, ErrorKind::Tls);
            assert!(!e.permanent);
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("an untrusted certificate was accepted"),
    }
}
