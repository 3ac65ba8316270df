//! Whole sessions against an in-memory sink: the happy paths, how flights are
//! written, traces, and what `open` makes of a read that carries several events.

mod common;

use std::sync::{Arc, Mutex};

use common::{body, config, envelope, sink, Peer, Recorder};
use smtp_io_tokio::{Connection, DriverError};
use smtp_proto::sasl::Plain;
use smtp_proto::{Auth, ErrorKind, Trace};
use tokio::io::duplex;

#[tokio::test]
async fn sends_over_data_with_dot_stuffing_then_resets_noops_and_quits() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING", "8BITMIME"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let d = conn
        .send(envelope(2), &b"Subject: t\r\n\r\nhello\r\n.dot\r\n"[..])
        .await
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    assert_eq!(d.recipients.len(), 2);
    assert_eq!(d.result.as_ref().unwrap().code, 250);
    assert_eq!(conn.reset().await.unwrap().code, 250);
    assert_eq!(conn.noop().await.unwrap().code, 250);
    conn.quit().await.unwrap();
    let seen = server.await.unwrap();
    assert_eq!(
        seen.messages,
        vec![b"Subject: t\r\n\r\nhello\r\n.dot\r\n".to_vec()]
    );
    // The sink undoes dot-stuffing: an unstuffed ".dot" would have come out "dot".
    assert_eq!(seen.commands.last().unwrap(), "QUIT");
}

#[tokio::test]
async fn send_bytes_sends_an_in_memory_message_over_data_and_bdat() {
    // 400 KiB: more than `max_pending_body` (256 KiB), so the engine takes it in parts.
    let message = body(400 * 1024);
    for caps in [&["PIPELINING"][..], &["PIPELINING", "CHUNKING"][..]] {
        let (client, server) = duplex(64 * 1024);
        let server = tokio::spawn(sink(server, caps));
        let mut conn = Connection::options(config()).open(client).await.unwrap();
        let d = conn.send_bytes(envelope(1), message.clone()).await.unwrap();
        assert!(d.all_accepted(), "{caps:?}: {d:?}");
        conn.quit().await.unwrap();
        assert_eq!(
            server.await.unwrap().messages,
            vec![message.clone()],
            "{caps:?}"
        );
    }
}

#[tokio::test]
async fn bdat_chunks_follow_the_engines_chunk_size() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING", "CHUNKING"]));
    let mut cfg = config();
    cfg.max_bdat_chunk = 1000;
    let mut conn = Connection::options(cfg).open(client).await.unwrap();
    let message = body(3400);
    let len = message.len();
    let d = conn.send(envelope(1), &message[..]).await.unwrap();
    assert!(d.all_accepted(), "{d:?}");
    conn.quit().await.unwrap();
    let seen = server.await.unwrap();
    let bdats: Vec<&String> = seen
        .commands
        .iter()
        .filter(|c| c.starts_with("BDAT"))
        .collect();
    let last = len - 3000;
    assert_eq!(
        bdats,
        [
            "BDAT 1000",
            "BDAT 1000",
            "BDAT 1000",
            &format!("BDAT {last} LAST")
        ]
    );
    assert_eq!(seen.messages, vec![message]);
}

#[tokio::test]
async fn a_flight_leaves_in_one_gather_write() {
    // CHUNKING: MAIL, RCPT, BDAT n LAST and the data in one write.
    let (client, server) = duplex(64 * 1024);
    let (client, writes) = Recorder::new(client);
    let server = tokio::spawn(sink(server, &["PIPELINING", "CHUNKING"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let message = b"Subject: t\r\n\r\nhello\r\n";
    conn.send(envelope(1), &message[..]).await.unwrap();
    conn.quit().await.unwrap();
    server.await.unwrap();
    let writes = writes.lock().unwrap().clone();
    let flight = writes.iter().find(|w| w.starts_with(b"MAIL")).unwrap();
    let expected = b"MAIL FROM:<a@example.org>\r\nRCPT TO:<r0@example.net>\r\nBDAT 21 LAST\r\nSubject: t\r\n\r\nhello\r\n";
    assert_eq!(
        String::from_utf8_lossy(flight),
        String::from_utf8_lossy(expected)
    );

    // DATA: the body's tail and the terminator in one write after the 354.
    let (client, server) = duplex(64 * 1024);
    let (client, writes) = Recorder::new(client);
    let server = tokio::spawn(sink(server, &["PIPELINING"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    conn.send(envelope(1), &message[..]).await.unwrap();
    conn.quit().await.unwrap();
    server.await.unwrap();
    let writes = writes.lock().unwrap().clone();
    assert!(
        writes
            .iter()
            .any(|w| w.as_slice() == b"Subject: t\r\n\r\nhello\r\n.\r\n"),
        "{writes:?}"
    );
}

#[tokio::test]
async fn traces_reach_the_hook_with_auth_redacted() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING", "AUTH PLAIN"]));
    let mut cfg = config();
    cfg.trace = true;
    cfg.allow_plaintext_auth = true;
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let hook_lines = lines.clone();
    let mut conn = Connection::options(cfg)
        .auth(Auth::with(Plain::new(None, "user", "hunter2").unwrap()))
        .on_trace(move |t: &Trace| {
            let line = match t {
                Trace::Command(c) => format!("C: {c}"),
                Trace::Reply(r) => format!("S: {}", r.code),
                Trace::Data { bytes } => format!("D: {bytes}"),
                _ => "?".into(),
            };
            hook_lines.lock().unwrap().push(line);
        })
        .open(client)
        .await
        .unwrap();
    conn.send(envelope(1), &b"hi\r\n"[..]).await.unwrap();
    conn.quit().await.unwrap();
    server.await.unwrap();
    let lines = lines.lock().unwrap().clone();
    assert_eq!(lines[0], "S: 220");
    assert!(
        lines.contains(&"C: EHLO client.example".to_string()),
        "{lines:?}"
    );
    assert!(
        lines.contains(&"C: AUTH PLAIN <redacted>".to_string()),
        "{lines:?}"
    );
    assert!(lines.contains(&"S: 235".to_string()), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("D: ")), "{lines:?}");
    assert_eq!(lines.last().unwrap(), "S: 221");
    assert!(!lines.iter().any(|l| l.contains("hunter2")));
}

#[tokio::test]
async fn debug_shows_state_and_capabilities_but_no_secrets() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING", "SIZE 1000000", "AUTH PLAIN"]));
    let mut cfg = config();
    cfg.allow_plaintext_auth = true;
    let conn = Connection::options(cfg)
        .auth(Auth::with(Plain::new(None, "user", "hunter2").unwrap()))
        .open(client)
        .await
        .unwrap();
    let shown = format!("{conn:?}");
    for part in [
        "ready",
        "PIPELINING",
        "SIZE=1000000",
        "AUTH=PLAIN",
        "tls: false",
        "authenticated: true",
    ] {
        assert!(shown.contains(part), "{part} in {shown}");
    }
    // Neither the password nor the base64 of the PLAIN message.
    assert!(
        !shown.contains("hunter2") && !shown.contains("dXNlcgBodW50ZXIy"),
        "{shown}"
    );
    conn.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn open_acts_on_every_event_of_a_read() {
    // Ready and a 421 arrive in one read: the session is closed, so open fails.
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250 mx\r\n421 4.3.2 going away\r\n").await;
        peer.drain().await;
    });
    let err = Connection::options(config())
        .open(client)
        .await
        .unwrap_err();
    match err {
        DriverError::Session(e) => assert_eq!(e.code(), Some(421), "{e}"),
        other => panic!("{other:?}"),
    }
    server.await.unwrap();
}

#[tokio::test]
async fn offered_starttls_without_an_upgrade_is_no_tls_upgrade() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 STARTTLS\r\n").await;
        peer.expect("STARTTLS").await;
        peer.send("220 go ahead\r\n").await;
        peer.drain().await
    });
    // The default TLS mode is opportunistic: an offered STARTTLS is taken.
    let mut cfg = config();
    cfg.tls = smtp_proto::TlsMode::Opportunistic;
    let err = Connection::options(cfg).open(client).await.unwrap_err();
    assert!(matches!(err, DriverError::NoTlsUpgrade), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the server offered STARTTLS (or TLS was required) but no TLS upgrade was supplied"
    );
    // Nothing more went out in plaintext.
    assert_eq!(server.await.unwrap(), 0);
}

#[tokio::test]
async fn a_421_to_mail_is_a_delivery_and_later_calls_say_closed() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL").await;
        peer.send("421 4.3.2 closing\r\n").await;
        peer.drain().await;
    });
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let d = conn.send(envelope(2), &b"hi\r\n"[..]).await.unwrap();
    assert_eq!(d.recipients.len(), 2);
    assert!(d
        .recipients
        .iter()
        .all(|r| r.as_ref().unwrap_err().code() == Some(421)));
    let e = d.result.unwrap_err();
    assert_eq!(e.code(), Some(421));
    assert!(!e.permanent);
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    assert!(matches!(
        conn.send(envelope(1), &b"x"[..]).await,
        Err(DriverError::Closed)
    ));
    assert!(format!("{conn:?}").contains("closed"));
    assert!(matches!(conn.quit().await, Err(DriverError::Closed)));
    server.await.unwrap();
}

#[tokio::test]
async fn a_lost_socket_mid_send_is_a_delivery_of_transient_closed_errors() {
    let (client, server) = duplex(64 * 1024);
    let (mut client, _writes) = Recorder::new(client);
    // Greeting reply, EHLO: the next write (the MAIL flight) fails.
    client.fail_after = Some("EHLO client.example\r\n".len());
    let server = tokio::spawn(sink(server, &["PIPELINING"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let d = conn.send(envelope(1), &b"hi\r\n"[..]).await.unwrap();
    let e = d.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Closed);
    assert!(!e.permanent);
    assert!(e.detail.contains("connection lost"), "{e}");
    assert_eq!(
        d.recipients[0].as_ref().unwrap_err().kind,
        ErrorKind::Closed
    );
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    drop(conn);
    server.await.unwrap();
}

/// A body reader that fails after its first bytes.
struct Failing(bool);

impl tokio::io::AsyncRead for Failing {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        if self.0 {
            return std::task::Poll::Ready(Err(std::io::Error::other("disk gone")));
        }
        self.0 = true;
        buf.put_slice(b"Subject: t\r\n");
        std::task::Poll::Ready(Ok(()))
    }
}

#[tokio::test]
async fn a_body_that_cannot_be_completed_closes_the_session() {
    // A bare LF under the Reject policy: a usage error, and the half-sent message
    // cannot be taken back.
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING"]));
    let mut cfg = config();
    cfg.line_endings = smtp_proto::LineEndings::Reject;
    let mut conn = Connection::options(cfg).open(client).await.unwrap();
    let err = conn
        .send(envelope(1), &b"bare\nLF\r\n"[..])
        .await
        .unwrap_err();
    assert!(matches!(err, DriverError::Usage(_)), "{err:?}");
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    let seen = server.await.unwrap();
    assert!(seen.messages.is_empty());

    // A body reader that fails: its error, and the session is over too.
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING", "CHUNKING"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let err = conn.send(envelope(1), Failing(false)).await.unwrap_err();
    match err {
        DriverError::Io(e) => assert_eq!(e.to_string(), "disk gone"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    assert!(server.await.unwrap().messages.is_empty());
}
