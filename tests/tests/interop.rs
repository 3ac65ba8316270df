//! The blocking driver against five real servers on 127.0.0.1 (tests/INTEROP.md):
//! aiosmtpd, Postfix smtp-sink, Postfix smtpd, Dovecot LMTP and Exim, each checked on
//! the server side too (stored files). They need `scripts/interop-servers.sh start`,
//! so they are ignored in a plain `cargo test`; `scripts/test` runs them with
//! `--ignored`.

use std::time::Duration;

use smtp_io_std::{rustls_upgrade, tls::client_config_from_pem, Connection, DriverError};
use smtp_proto::command::{EnvId, Notify, Orcpt};
use smtp_proto::sasl::{Login, Mechanism, Plain};
use smtp_proto::{
    Auth, Config, Envelope, ErrorKind, ForwardPath, Host, Recipient, ReversePath, TlsMode,
};
use smtp_tests::interop_env::{
    aiosmtpd_message, contains, port, unique, wait_for_messages, Servers,
};

const T: Duration = Duration::from_secs(10);
const IGNORE: &str = "needs real servers: scripts/interop-servers.sh (run by scripts/test)";

fn config(tls: TlsMode) -> Config {
    let mut c = Config::new(Host::parse("client.example").unwrap());
    c.tls = tls;
    c
}

fn envelope(to: &[&str]) -> Envelope {
    let rcpts = to
        .iter()
        .map(|t| Recipient::new(ForwardPath::parse(t).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("a@example.org").unwrap(), rcpts)
}

/// A connection to a plaintext port, AUTH over it being the test's explicit choice.
fn plain(port: u16, config: Config, auth: Option<Auth>) -> Result<Connection, DriverError> {
    let mut options = Connection::options(config);
    if let Some(a) = auth {
        options = options.auth(a);
    }
    options.connect(("127.0.0.1", port), T)
}

/// A connection with the rustls upgrade trusting the test CA, for `localhost`.
fn tls(port: u16, config: Config, auth: Option<Auth>) -> Connection {
    let ca = client_config_from_pem(Servers::from_env().ca).expect("the test CA");
    let mut options =
        Connection::options(config).tls_upgrade(rustls_upgrade(ca, "localhost").unwrap());
    if let Some(a) = auth {
        options = options.auth(a);
    }
    options
        .connect(("127.0.0.1", port), T)
        .expect("TLS session")
}

fn postfix_auth(mech: &str) -> Auth {
    let (u, p) = ("u@example.org", "p");
    let m: Box<dyn Mechanism + Send> = match mech {
        "PLAIN" => Box::new(Plain::new(None, u, p).unwrap()),
        _ => Box::new(Login::new(u, p).unwrap()),
    };
    Auth::new(vec![m])
}

// ----- aiosmtpd ---------------------------------------------------------------

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn aiosmtpd_stores_the_exact_normalised_dot_stuffed_body() {
    let _ = IGNORE;
    let mut c = plain(port("AIOSMTPD", 2525), config(TlsMode::None), None).unwrap();
    assert!(c.client().capabilities().unwrap().size_advertised);
    let marker = unique("exact", "example.net");
    let body = b"Subject: interop\r\n\r\n.leading dot\nbare LF\rbare CR\r\n..two dots\r\n.\r\nend";
    let d = c
        .send(envelope(&[&marker, "nobody@example.net"]), &mut &body[..])
        .unwrap();
    assert!(d.recipients[0].is_ok());
    assert_eq!(d.recipients[1].as_ref().unwrap_err().code(), Some(550));
    assert!(d.result.is_ok(), "{:?}", d.result);
    let got = aiosmtpd_message(&Servers::from_env().aiosmtpd_store(), &marker).unwrap();
    assert_eq!(got, smtp_tests::reference::canonical_body(body));
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn aiosmtpd_streams_a_large_body() {
    let mut c = plain(port("AIOSMTPD", 2525), config(TlsMode::None), None).unwrap();
    let marker = unique("large", "example.net");
    let line = b"0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\r\n";
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 40_000)
        .collect();
    let d = c.send(envelope(&[&marker]), &mut &body[..]).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    let got = aiosmtpd_message(&Servers::from_env().aiosmtpd_store(), &marker).unwrap();
    assert_eq!(got.len(), body.len());
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn aiosmtpd_auth_plain_and_login_with_the_plaintext_opt_in() {
    for mech in ["PLAIN", "LOGIN"] {
        let m: Box<dyn Mechanism + Send> = match mech {
            "PLAIN" => Box::new(Plain::new(None, "u", "p").unwrap()),
            _ => Box::new(Login::new("u", "p").unwrap()),
        };
        let mut cfg = config(TlsMode::None);
        cfg.allow_plaintext_auth = true;
        let mut c = plain(port("AIOSMTPD", 2525), cfg, Some(Auth::new(vec![m]))).unwrap();
        assert!(c.client().is_authenticated(), "{mech}");
        let d = c
            .send(
                envelope(&[&unique(mech, "example.net")]),
                &mut &b"hi\r\n"[..],
            )
            .unwrap();
        assert!(d.all_accepted());
        c.quit().unwrap();
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn aiosmtpd_wrong_password_is_a_535_and_no_plaintext_without_opt_in() {
    let mut cfg = config(TlsMode::None);
    cfg.allow_plaintext_auth = true;
    let wrong = Auth::with(Plain::new(None, "u", "wrong").unwrap());
    match plain(port("AIOSMTPD", 2525), cfg, Some(wrong)) {
        Err(DriverError::Session(e)) => {
            assert_eq!((e.kind, e.code()), (ErrorKind::Status, Some(535)))
        }
        other => panic!("{other:?}"),
    }
    let right = Auth::with(Plain::new(None, "u", "p").unwrap());
    match plain(port("AIOSMTPD", 2525), config(TlsMode::None), Some(right)) {
        Err(DriverError::Session(e)) => assert_eq!(e.kind, ErrorKind::Auth),
        other => panic!("credentials went out in plaintext: {other:?}"),
    }
}

// ----- Postfix smtp-sink ------------------------------------------------------

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn smtp_sink_takes_many_messages_on_one_connection() {
    let mut c = plain(port("SINK", 2526), config(TlsMode::None), None).unwrap();
    let caps = c.client().capabilities().unwrap();
    assert!(
        caps.pipelining && caps.dsn,
        "its empty last EHLO line is skipped"
    );
    for i in 0..200 {
        let d = c
            .send(
                envelope(&["b@example.net", "c@example.net"]),
                &mut &b"Subject: n\r\n\r\nx\r\n"[..],
            )
            .unwrap();
        assert!(d.all_accepted(), "message {i}: {d:?}");
    }
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn smtp_sink_answering_auth_with_250_is_an_auth_failure() {
    let mut cfg = config(TlsMode::None);
    cfg.allow_plaintext_auth = true;
    match plain(
        port("SINK", 2526),
        cfg,
        Some(Auth::with(Plain::new(None, "u", "p").unwrap())),
    ) {
        Err(DriverError::Session(e)) => {
            assert_eq!(e.kind, ErrorKind::Auth);
            assert_eq!(e.code(), Some(250));
        }
        other => panic!("smtp-sink's 250 was taken as AUTH success: {other:?}"),
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn smtp_sink_lmtp_answers_per_recipient() {
    let mut cfg = config(TlsMode::None);
    cfg.lmtp = true;
    let mut c = plain(port("LMTP_SINK", 2527), cfg, None).unwrap();
    let d = c
        .send(
            envelope(&["b@example.net", "c@example.net"]),
            &mut &b"Subject: lmtp\r\n\r\nx\r\n"[..],
        )
        .unwrap();
    assert_eq!(d.recipients.len(), 2, "one outcome per recipient");
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
}

// ----- Postfix smtpd ----------------------------------------------------------

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn postfix_starttls_then_auth_plain_and_login_then_bdat() {
    for mech in ["PLAIN", "LOGIN"] {
        let mut c = tls(
            port("POSTFIX", 2530),
            config(TlsMode::RequiredStartTls),
            Some(postfix_auth(mech)),
        );
        let client = c.client();
        assert!(client.is_authenticated(), "{mech}");
        let info = client.tls_info().expect("TLS is up");
        assert_eq!(
            info.channel_binding.as_ref().map(|b| b.data.len()),
            Some(32)
        );
        assert!(!info.peer_certificates.is_empty());
        let caps = client.capabilities().unwrap();
        assert!(
            caps.chunking && caps.pipelining && caps.supports_auth(mech),
            "after TLS"
        );
        assert_eq!(client.tls_report().success_count, 1);
        let rcpt = unique(&format!("bdat-{mech}"), "example.net");
        let body = b"Subject: over TLS\r\n\r\n.dot stays a dot under BDAT\r\n";
        let d = c.send(envelope(&[&rcpt]), &mut &body[..]).unwrap();
        assert!(d.all_accepted(), "{d:?}");
        c.quit().unwrap();
        let stored = wait_for_messages(&Servers::from_env().postfix_store(), &rcpt, 1);
        assert_eq!(stored.len(), 1, "{rcpt}");
        assert!(contains(&stored[0], b"\r\n.dot stays a dot under BDAT\r\n"));
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn postfix_implicit_tls_with_auth() {
    let mut c = tls(
        port("POSTFIX_TLS", 2531),
        config(TlsMode::Immediate),
        Some(postfix_auth("PLAIN")),
    );
    assert!(c.client().is_authenticated());
    let rcpt = unique("implicit", "example.net");
    let d = c
        .send(envelope(&[&rcpt]), &mut &b"Subject: 465\r\n\r\nx\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    assert_eq!(
        wait_for_messages(&Servers::from_env().postfix_store(), &rcpt, 1).len(),
        1
    );
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn postfix_smtputf8_and_dsn_with_xtext() {
    let mut c = plain(port("POSTFIX", 2530), config(TlsMode::None), None).unwrap();
    let rcpt = unique("用户", "example.net");
    let mut env = envelope(&[&rcpt]);
    env.envid = Some(EnvId::new("id+with=signs").unwrap());
    env.recipients[0].notify = Some(Notify::On {
        success: false,
        failure: true,
        delay: true,
    });
    env.recipients[0].orcpt = Some(Orcpt::parse(&format!("rfc822;{rcpt}")).unwrap());
    let d = c
        .send(env, &mut &"Subject: ünïcödé\r\n\r\nx\r\n".as_bytes()[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    let stored = wait_for_messages(&Servers::from_env().postfix_store(), &rcpt, 1);
    assert_eq!(stored.len(), 1, "stored under its UTF-8 name");
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn postfix_size_is_refused_before_mail_and_the_session_goes_on() {
    let mut c = plain(port("POSTFIX", 2530), config(TlsMode::None), None).unwrap();
    assert_eq!(
        c.client().capabilities().unwrap().max_size,
        Some(10_485_760)
    );
    let mut env = envelope(&["big@example.net", "big2@example.net"]);
    env.size = Some(20_000_000);
    let d = c.send(env, &mut &b"never sent\r\n"[..]).unwrap();
    let e = d.result.as_ref().unwrap_err();
    assert_eq!(
        (e.kind, e.permanent, e.reply.is_none()),
        (ErrorKind::Size, true, true)
    );
    assert!(d
        .recipients
        .iter()
        .all(|r| r.as_ref().is_err_and(|e| e.kind == ErrorKind::Size)));
    let rcpt = unique("after-size", "example.net");
    let d = c.send(envelope(&[&rcpt]), &mut &b"x\r\n"[..]).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn postfix_three_transactions_with_a_failure_in_the_middle() {
    let mut c = plain(port("POSTFIX", 2530), config(TlsMode::None), None).unwrap();
    let first = unique("first", "example.net");
    let third = unique("third", "example.net");
    let d = c
        .send(envelope(&[&first]), &mut &b"Subject: 1\r\n\r\none\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    let d = c
        .send(
            envelope(&["nobody@example.net"]),
            &mut &b"Subject: 2\r\n\r\ntwo\r\n"[..],
        )
        .unwrap();
    let e = d.result.as_ref().unwrap_err();
    assert_eq!((e.code(), e.permanent), (Some(550), true), "{e}");
    let d = c
        .send(
            envelope(&[&third]),
            &mut &b"Subject: 3\r\n\r\nthree\r\n"[..],
        )
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    let store = Servers::from_env().postfix_store();
    assert!(contains(
        &wait_for_messages(&store, &first, 1)[0],
        b"one\r\n"
    ));
    assert!(contains(
        &wait_for_messages(&store, &third, 1)[0],
        b"three\r\n"
    ));
}

// ----- Dovecot LMTP -----------------------------------------------------------

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn dovecot_lmtp_outcomes_per_recipient_over_data_and_bdat() {
    for chunking in [false, true] {
        let mut cfg = config(if chunking {
            TlsMode::RequiredStartTls
        } else {
            TlsMode::None
        });
        cfg.lmtp = true;
        cfg.chunking = chunking;
        let mut c = if chunking {
            tls(port("DOVECOT_LMTP", 2532), cfg, None)
        } else {
            plain(port("DOVECOT_LMTP", 2532), cfg, None).unwrap()
        };
        let to = [
            "ok@example.org",
            "full@example.org",
            "broken@example.org",
            "nosuch@example.org",
        ];
        let body = format!("Subject: lmtp chunking={chunking}\r\n\r\nhello\r\n");
        let d = c.send(envelope(&to), &mut body.as_bytes()).unwrap();
        assert_eq!(d.recipients.len(), 4);
        assert_eq!(d.recipients[0].as_ref().map(|r| r.code), Ok(250), "{d:?}");
        let full = d.recipients[1].as_ref().unwrap_err();
        assert_eq!(
            (
                full.code(),
                full.enhanced().map(|e| e.to_string()),
                full.permanent
            ),
            (Some(552), Some("5.2.2".into()), true)
        );
        let broken = d.recipients[2].as_ref().unwrap_err();
        assert_eq!((broken.code(), broken.permanent), (Some(451), false));
        assert_eq!(d.recipients[3].as_ref().unwrap_err().code(), Some(550));
        assert!(d.result.is_ok(), "delivered to one: {d:?}");
        c.quit().unwrap();
        let stored = wait_for_messages(&Servers::from_env().dovecot_store(), "ok@example.org", 1);
        assert!(stored
            .iter()
            .any(|m| contains(m, body.split("\r\n\r\n").next().unwrap().as_bytes())));
    }
}

// ----- Exim ---------------------------------------------------------------------

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn exim_chunking_smtputf8_and_pipelining() {
    let mut c = plain(port("EXIM", 2533), config(TlsMode::None), None).unwrap();
    let caps = c.client().capabilities().unwrap();
    assert!(caps.chunking && caps.pipelining && caps.smtputf8);
    let rcpt = unique("ünï", "example.net");
    let other = unique("second", "example.net");
    let line = b"a line of the message body, long enough to matter a little\r\n";
    let body: Vec<u8> = line
        .iter()
        .copied()
        .cycle()
        .take(line.len() * 4000)
        .collect();
    let d = c.send(envelope(&[&rcpt, &other]), &mut &body[..]).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().unwrap();
    let store = Servers::from_env().exim_store();
    for r in [&rcpt, &other] {
        let m = wait_for_messages(&store, r, 1);
        assert_eq!(m.len(), 1, "{r}");
        assert!(m[0].ends_with(&body[body.len() - 200..]));
    }
}

#[test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
fn exim_starttls_and_implicit_tls() {
    for (p, mode) in [
        (port("EXIM", 2533), TlsMode::RequiredStartTls),
        (port("EXIM_TLS", 2534), TlsMode::Immediate),
    ] {
        let mut c = tls(p, config(mode), None);
        assert!(c.client().tls_info().is_some());
        let rcpt = unique(&format!("tls{p}"), "example.net");
        let d = c
            .send(envelope(&[&rcpt]), &mut &b"Subject: tls\r\n\r\nx\r\n"[..])
            .unwrap();
        assert!(d.all_accepted(), "{d:?}");
        c.quit().unwrap();
        assert_eq!(
            wait_for_messages(&Servers::from_env().exim_store(), &rcpt, 1).len(),
            1
        );
    }
}
