//! Real servers on 127.0.0.1 through the blocking driver: aiosmtpd (stores what it
//! receives, AUTH PLAIN/LOGIN), Postfix smtp-sink (SMTP and LMTP). They need
//! `scripts/interop-servers.sh` first, so they are ignored in a plain `cargo test`;
//! `.ci/run` starts the servers and runs them with `--ignored`.

use std::net::TcpStream;
use std::path::PathBuf;

use smtp_io_std::{Connection, DriverError, Stream};
use smtp_proto::sasl::{Login, Mechanism, Plain};
use smtp_proto::{Auth, Config, Envelope, ErrorKind, ForwardPath, Host, Recipient, ReversePath};

const AIOSMTPD: u16 = 2525;
const SINK: u16 = 2526;
const LMTP_SINK: u16 = 2527;

fn connect(port: u16, lmtp: bool, auth: Option<Auth>) -> Result<Connection, DriverError> {
    let tcp = TcpStream::connect(("127.0.0.1", port))
        .expect("server running (scripts/interop-servers.sh)");
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.lmtp = lmtp;
    // These servers are plaintext loopback ones: TLS is the TLS suite's business, and
    // AUTH without TLS is an explicit opt-in (rule 15).
    config.tls = smtp_proto::TlsMode::None;
    config.allow_plaintext_auth = true;
    let stream: Box<dyn Stream> = Box::new(tcp);
    Connection::open(stream, config, None, auth)
}

fn envelope(to: &[&str]) -> Envelope {
    let rcpts = to
        .iter()
        .map(|t| Recipient::new(ForwardPath::parse(t).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("a@example.org").unwrap(), rcpts)
}

fn store_dir() -> PathBuf {
    PathBuf::from(
        std::env::var("INTEROP_DIR").unwrap_or_else(|_| "/tmp/smtp-engine-interop".into()),
    )
    .join("aiosmtpd")
}

/// The newest stored message whose recipients include `marker`.
fn stored(marker: &str) -> Vec<u8> {
    let mut found = None;
    for e in std::fs::read_dir(store_dir())
        .expect("aiosmtpd store")
        .flatten()
    {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "rcpt")
            && std::fs::read_to_string(&p).unwrap().contains(marker)
        {
            found = Some(p.with_extension("eml"));
        }
    }
    std::fs::read(found.expect("message stored")).unwrap()
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn aiosmtpd_receives_the_exact_normalised_body() {
    let mut c = connect(AIOSMTPD, false, None).unwrap();
    assert!(c.client().capabilities().unwrap().size_advertised);
    let marker = format!("exact{}@example.net", std::process::id());
    let body = b"Subject: interop\r\n\r\n.leading dot\nbare LF\rbare CR\r\n..two dots\r\n.\r\nend"
        .to_vec();
    let d = c
        .send_mail(envelope(&[&marker, "nobody@example.net"]), &mut &body[..])
        .unwrap();
    assert!(d.recipients[0].is_ok());
    let refused = d.recipients[1].as_ref().unwrap_err();
    assert_eq!(refused.code(), Some(550));
    assert!(d.result.is_ok(), "{:?}", d.result);
    let got = stored(&marker);
    let want = smtp_tests::reference::normalise_line_endings(&body);
    assert_eq!(
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&[want, b"\r\n".to_vec()].concat())
    );
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn aiosmtpd_large_body_streams_with_bounded_memory() {
    let mut c = connect(AIOSMTPD, false, None).unwrap();
    let marker = format!("large{}@example.net", std::process::id());
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 40_000)
        .collect();
    let d = c.send_mail(envelope(&[&marker]), &mut &body[..]).unwrap();
    assert!(d.result.is_ok(), "{:?}", d.result);
    assert_eq!(stored(&marker).len(), body.len());
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn aiosmtpd_auth_plain_and_login() {
    for mech in ["PLAIN", "LOGIN"] {
        let m: Box<dyn Mechanism + Send> = if mech == "PLAIN" {
            Box::new(Plain::new(None, "u", "p").unwrap())
        } else {
            Box::new(Login::new("u", "p").unwrap())
        };
        let mut c = connect(AIOSMTPD, false, Some(Auth::new(vec![m]))).unwrap();
        assert!(c.client().is_authenticated(), "{mech}");
        let marker = format!("auth{mech}{}@example.net", std::process::id());
        let d = c
            .send_mail(envelope(&[&marker]), &mut &b"hi\r\n"[..])
            .unwrap();
        assert!(d.result.is_ok());
        c.quit().unwrap();
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn aiosmtpd_wrong_password_is_a_535_status_error() {
    let m: Box<dyn Mechanism + Send> = Box::new(Plain::new(None, "u", "wrong").unwrap());
    match connect(AIOSMTPD, false, Some(Auth::new(vec![m]))) {
        Err(DriverError::Session(e)) => {
            assert_eq!(e.kind, ErrorKind::Status);
            assert_eq!(e.code(), Some(535));
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("authenticated with a wrong password"),
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn smtp_sink_pipelined_transactions() {
    let mut c = connect(SINK, false, None).unwrap();
    let caps = c.client().capabilities().unwrap().clone();
    assert!(caps.pipelining && caps.enhanced_status_codes && caps.dsn);
    for i in 0..3 {
        let d = c
            .send_mail(
                envelope(&["b@example.net", "c@example.net", "d@example.net"]),
                &mut &b"Subject: x\r\n\r\nbody\r\n"[..],
            )
            .unwrap();
        assert!(d.recipients.iter().all(Result::is_ok), "round {i}: {d:?}");
        let reply = d.result.unwrap();
        assert_eq!(reply.code, 250);
        assert!(reply.enhanced.is_some());
    }
    c.reset().unwrap();
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn smtp_sink_answers_auth_with_250_which_is_not_success() {
    let m: Box<dyn Mechanism + Send> = Box::new(Plain::new(None, "u", "p").unwrap());
    match connect(SINK, false, Some(Auth::new(vec![m]))) {
        Err(DriverError::Session(e)) => {
            assert_eq!(e.kind, ErrorKind::Auth);
            assert_eq!(e.code(), Some(250));
        }
        Err(other) => panic!("unexpected {other}"),
        Ok(_) => panic!("smtp-sink's 250 was taken as AUTH success"),
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by .ci/run)"]
fn smtp_sink_lmtp_replies_per_recipient() {
    let mut c = connect(LMTP_SINK, true, None).unwrap();
    let d = c
        .send_mail(
            envelope(&["b@example.net", "c@example.net"]),
            &mut &b"Subject: lmtp\r\n\r\nx\r\n"[..],
        )
        .unwrap();
    assert_eq!(d.result.as_ref().map(|r| r.code), Ok(250), "{:?}", d.result);
    assert_eq!(d.recipients.len(), 2, "one outcome per recipient");
    for r in &d.recipients {
        assert_eq!(r.as_ref().unwrap().code, 250);
    }
    c.quit().unwrap();
}
