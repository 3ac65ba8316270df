//! Regressions for servers that do not wait their turn: replies that come late,
//! replies that come in the middle of the body, and a server that stops reading.
//! The driver reads while it writes, so each is seen when it happens.

mod common;

use std::time::{Duration, Instant};

use common::{body, config, envelope, Peer};
use smtp_io_tokio::{Connection, DriverError};
use smtp_proto::ErrorKind;
use tokio::io::duplex;
use tokio::time::timeout;

/// A hang is a failure, not a stuck test run.
const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn a_503_to_data_that_comes_late_is_consumed_before_send_returns() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL").await;
        peer.expect("RCPT").await;
        peer.expect("DATA").await;
        peer.send("250 ok\r\n550 5.1.1 no such user\r\n").await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        peer.send("503 5.5.1 no valid recipients\r\n").await;
        peer.expect("NOOP").await;
        peer.send("250 2.0.0 still here\r\n").await;
        peer.expect("QUIT").await;
        peer.send("221 bye\r\n").await;
    });
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let started = Instant::now();
    let d = timeout(LIMIT, conn.send(envelope(1), &b"hi\r\n"[..]))
        .await
        .unwrap()
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "returned before the 503"
    );
    assert_eq!(d.recipients[0].as_ref().unwrap_err().code(), Some(550));
    assert!(d.result.is_err());
    // Had the 503 been left unread, NOOP would have been answered by it.
    let reply = conn.noop().await.unwrap();
    assert_eq!(reply.code, 250);
    assert_eq!(reply.text(), "2.0.0 still here");
    conn.quit().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn a_chunk_refused_mid_body_stops_the_body() {
    // A small in-memory pipe: what the server has not read cannot pile up unseen.
    let (client, server) = duplex(16 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n")
            .await;
        peer.expect("MAIL").await;
        peer.expect("RCPT").await;
        let first = peer.expect("BDAT").await;
        let n: usize = first[5..].trim().parse().unwrap();
        peer.data(n).await;
        peer.send("250 ok\r\n250 ok\r\n552 5.3.4 message too big\r\n")
            .await;
        let mut refused_more = 0;
        // RFC 3030 §2: every further chunk in flight is refused too.
        loop {
            let line = peer.line().await.unwrap();
            if let Some(size) = line.strip_prefix("BDAT ") {
                let n: usize = size.split(' ').next().unwrap().parse().unwrap();
                peer.data(n).await;
                peer.send("551 5.3.4 no more\r\n").await;
                refused_more += 1;
            } else {
                assert_eq!(line, "NOOP");
                break;
            }
        }
        let received = peer.received;
        peer.send("250 ok\r\n").await;
        peer.expect("QUIT").await;
        peer.send("221 bye\r\n").await;
        (received, refused_more)
    });
    let mut cfg = config();
    cfg.max_bdat_chunk = 4096;
    cfg.max_pending_body = 8192;
    let mut conn = Connection::options(cfg).open(client).await.unwrap();
    let message = body(1024 * 1024);
    let d = timeout(LIMIT, conn.send(envelope(1), &message[..]))
        .await
        .unwrap()
        .unwrap();
    let e = d.result.unwrap_err();
    assert_eq!(e.code(), Some(552), "{e}");
    assert!(e.permanent);
    // Every 551 was consumed: the NOOP gets its own reply.
    assert_eq!(conn.noop().await.unwrap().code, 250);
    conn.quit().await.unwrap();
    let (received, refused_more) = server.await.unwrap();
    assert!(
        received < 64 * 1024,
        "the body went on after the 552: {received} of {} bytes",
        message.len()
    );
    eprintln!(
        "bytes received before NOOP: {received}; chunks refused after the 552: {refused_more}"
    );
}

#[tokio::test]
async fn a_server_that_stops_reading_meets_the_data_block_deadline() {
    let (client, server) = duplex(8 * 1024);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL").await;
        peer.expect("RCPT").await;
        peer.expect("DATA").await;
        peer.send("250 ok\r\n250 ok\r\n354 go ahead\r\n").await;
        // Stop reading, but keep the connection open until the test is done.
        let _ = stop_rx.await;
    });
    let mut cfg = config();
    cfg.timeouts.set("data_block", Duration::from_millis(200));
    let mut conn = Connection::options(cfg).open(client).await.unwrap();
    let message = body(1024 * 1024);
    let started = Instant::now();
    let d = timeout(LIMIT, conn.send(envelope(1), &message[..]))
        .await
        .expect("the driver hung on a server that stopped reading")
        .unwrap();
    let e = d.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Timeout, "{e}");
    assert!(!e.permanent);
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    let _ = stop_tx.send(());
    server.await.unwrap();
}

#[tokio::test]
async fn a_421_mid_data_surfaces_before_the_body_is_sent() {
    let (client, server) = duplex(16 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL").await;
        peer.expect("RCPT").await;
        peer.expect("DATA").await;
        peer.send("250 ok\r\n250 ok\r\n354 go ahead\r\n").await;
        peer.data(16 * 1024).await;
        peer.send("421 4.3.2 shutting down\r\n").await;
        peer.drain().await;
        peer.received
    });
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let message = body(1024 * 1024);
    let d = timeout(LIMIT, conn.send(envelope(1), &message[..]))
        .await
        .unwrap()
        .unwrap();
    let e = d.result.clone().unwrap_err();
    assert_eq!(e.code(), Some(421), "{e}");
    assert!(!e.permanent);
    // RCPT had said 250; the transaction's failure means no recipient got it.
    assert_eq!(d.recipients[0].as_ref().unwrap().code, 250);
    assert_eq!(d.accepted().count(), 0);
    assert!(matches!(conn.noop().await, Err(DriverError::Closed)));
    drop(conn);
    let received = server.await.unwrap();
    assert!(
        received < message.len() / 2,
        "the whole body went out after the 421: {received} bytes"
    );
}
