//! The async driver against the same five real servers as `interop.rs` (see
//! tests/INTEROP.md), checked on the server side. Ignored in a plain `cargo test`;
//! `scripts/test` starts the servers and runs them with `--ignored`.

use std::time::Duration;

use smtp_io_tokio::{client_config_from_pem, Connection};
use smtp_proto::sasl::Plain;
use smtp_proto::{
    Auth, Config, Envelope, ErrorKind, ForwardPath, Host, Recipient, ReversePath, TlsMode,
};
use smtp_tests::interop_env::{
    aiosmtpd_message, contains, port, unique, wait_for_messages, Servers,
};

const T: Duration = Duration::from_secs(10);

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

async fn open(port: u16, config: Config, auth: Option<Auth>) -> Connection {
    let roots = client_config_from_pem(Servers::from_env().ca).expect("the test CA");
    let mut options = Connection::options(config).rustls(roots, "localhost".try_into().unwrap());
    if let Some(a) = auth {
        options = options.auth(a);
    }
    options
        .connect(("127.0.0.1", port), T)
        .await
        .expect("session")
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn aiosmtpd_stores_the_exact_normalised_body() {
    let mut c = open(port("AIOSMTPD", 2525), config(TlsMode::None), None).await;
    let marker = unique("tokio-exact", "example.net");
    let body = b"Subject: tokio\r\n\r\n.leading dot\nbare LF\r\n.\r\nend";
    let d = c.send(envelope(&[&marker]), &body[..]).await.unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().await.unwrap();
    let got = aiosmtpd_message(&Servers::from_env().aiosmtpd_store(), &marker).unwrap();
    assert_eq!(got, smtp_tests::reference::canonical_body(body));
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn smtp_sink_many_messages_and_lmtp() {
    let mut c = open(port("SINK", 2526), config(TlsMode::None), None).await;
    for i in 0..200 {
        let d = c
            .send(
                envelope(&["b@example.net"]),
                &b"Subject: n\r\n\r\nx\r\n"[..],
            )
            .await
            .unwrap();
        assert!(d.all_accepted(), "message {i}: {d:?}");
    }
    c.quit().await.unwrap();
    let mut cfg = config(TlsMode::None);
    cfg.lmtp = true;
    let mut c = open(port("LMTP_SINK", 2527), cfg, None).await;
    let d = c
        .send(envelope(&["b@example.net", "c@example.net"]), &b"x\r\n"[..])
        .await
        .unwrap();
    assert_eq!(d.recipients.len(), 2);
    assert!(d.all_accepted(), "{d:?}");
    c.quit().await.unwrap();
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn postfix_starttls_auth_bdat_and_implicit_tls() {
    for (p, mode) in [
        (port("POSTFIX", 2530), TlsMode::RequiredStartTls),
        (port("POSTFIX_TLS", 2531), TlsMode::Immediate),
    ] {
        let auth = Auth::with(Plain::new(None, "u@example.org", "p").unwrap());
        let mut c = open(p, config(mode), Some(auth)).await;
        assert!(c.client().is_authenticated());
        let info = c.client().tls_info().unwrap();
        assert_eq!(
            info.channel_binding.as_ref().map(|b| b.data.len()),
            Some(32)
        );
        let rcpt = unique(&format!("tokio-{p}"), "example.net");
        let d = c
            .send(
                envelope(&[&rcpt]),
                &b"Subject: tokio tls\r\n\r\n.dot\r\n"[..],
            )
            .await
            .unwrap();
        assert!(d.all_accepted(), "{d:?}");
        c.quit().await.unwrap();
        let stored = wait_for_messages(&Servers::from_env().postfix_store(), &rcpt, 1);
        assert_eq!(stored.len(), 1, "{rcpt}");
        assert!(contains(&stored[0], b"\r\n.dot\r\n"));
    }
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn postfix_size_refused_before_mail_then_a_message() {
    let mut c = open(port("POSTFIX", 2530), config(TlsMode::None), None).await;
    let mut env = envelope(&["big@example.net"]);
    env.size = Some(20_000_000);
    let d = c.send(env, &b"never sent\r\n"[..]).await.unwrap();
    assert_eq!(d.result.as_ref().unwrap_err().kind, ErrorKind::Size);
    let rcpt = unique("tokio-after-size", "example.net");
    let d = c.send(envelope(&[&rcpt]), &b"x\r\n"[..]).await.unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().await.unwrap();
    assert_eq!(
        wait_for_messages(&Servers::from_env().postfix_store(), &rcpt, 1).len(),
        1
    );
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn dovecot_lmtp_outcomes_over_bdat_and_data() {
    for chunking in [true, false] {
        let mut cfg = config(TlsMode::Opportunistic);
        cfg.lmtp = true;
        cfg.chunking = chunking;
        let mut c = open(port("DOVECOT_LMTP", 2532), cfg, None).await;
        assert!(c.client().tls_info().is_some(), "Dovecot offers STARTTLS");
        let to = [
            "ok@example.org",
            "full@example.org",
            "broken@example.org",
            "nosuch@example.org",
        ];
        let d = c
            .send(envelope(&to), &b"Subject: tokio lmtp\r\n\r\nhi\r\n"[..])
            .await
            .unwrap();
        let codes: Vec<Option<u16>> = d
            .recipients
            .iter()
            .map(|r| match r {
                Ok(reply) => Some(reply.code),
                Err(e) => e.code(),
            })
            .collect();
        assert_eq!(
            codes,
            [Some(250), Some(552), Some(451), Some(550)],
            "chunking={chunking}"
        );
        assert!(d.result.is_ok());
        c.quit().await.unwrap();
    }
}

#[tokio::test]
#[ignore = "needs real servers: scripts/interop-servers.sh (run by scripts/test)"]
async fn exim_chunking_smtputf8_and_implicit_tls() {
    let mut c = open(port("EXIM", 2533), config(TlsMode::None), None).await;
    let rcpt = unique("tökio", "example.net");
    let body: Vec<u8> = b"line of text\r\n"
        .iter()
        .copied()
        .cycle()
        .take(14 * 10_000)
        .collect();
    let d = c.send(envelope(&[&rcpt]), &body[..]).await.unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().await.unwrap();
    let store = Servers::from_env().exim_store();
    assert!(wait_for_messages(&store, &rcpt, 1)[0].ends_with(&body[body.len() - 100..]));
    let mut c = open(port("EXIM_TLS", 2534), config(TlsMode::Immediate), None).await;
    let rcpt = unique("tokio-465", "example.net");
    let d = c.send(envelope(&[&rcpt]), &b"x\r\n"[..]).await.unwrap();
    assert!(d.all_accepted(), "{d:?}");
    c.quit().await.unwrap();
    assert_eq!(wait_for_messages(&store, &rcpt, 1).len(), 1);
}
