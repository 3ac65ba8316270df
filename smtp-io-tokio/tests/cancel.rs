//! Cancel safety: a dropped call future leaves the connection clearly closed
//! (`Cancelled` from then on, the stream shut), never a hang or a session that
//! goes on out of step with the server.

mod common;

use std::time::Duration;

use common::{config, envelope, sink, Peer};
use smtp_io_tokio::{Connection, DriverError};
use tokio::io::duplex;
use tokio::time::timeout;

#[tokio::test]
async fn a_send_dropped_mid_request_makes_later_calls_cancelled() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        peer.send("220 mx\r\n").await;
        peer.expect("EHLO").await;
        peer.send("250-mx\r\n250 PIPELINING\r\n").await;
        peer.expect("MAIL").await;
        // Stall: read on, answer nothing, until the client goes away.
        peer.drain().await
    });
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let cut = timeout(
        Duration::from_millis(100),
        conn.send(envelope(1), &b"hi\r\n"[..]),
    )
    .await;
    assert!(cut.is_err(), "the stalled send finished: {cut:?}");
    assert!(format!("{conn:?}").contains("busy"));
    assert!(matches!(conn.noop().await, Err(DriverError::Cancelled)));
    // The stream is gone: the server sees EOF at once, with nothing more written.
    let after = timeout(Duration::from_secs(5), server)
        .await
        .expect("the stream stayed open after the cancel")
        .unwrap();
    assert!(after > 0, "the flight itself had been read");
    assert!(matches!(
        conn.send(envelope(1), &b"hi\r\n"[..]).await,
        Err(DriverError::Cancelled)
    ));
    assert!(matches!(conn.reset().await, Err(DriverError::Cancelled)));
    assert!(format!("{conn:?}").contains("cancelled"));
    assert!(matches!(conn.quit().await, Err(DriverError::Cancelled)));
}

#[tokio::test]
async fn a_timeout_that_does_not_fire_or_a_future_never_polled_changes_nothing() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(sink(server, &["PIPELINING"]));
    let mut conn = Connection::options(config()).open(client).await.unwrap();
    let reply = timeout(Duration::from_secs(5), conn.noop()).await.unwrap();
    assert_eq!(reply.unwrap().code, 250);
    drop(conn.send(envelope(1), &b"never\r\n"[..]));
    let d = conn.send(envelope(1), &b"hi\r\n"[..]).await.unwrap();
    assert!(d.all_accepted());
    conn.quit().await.unwrap();
    let seen = server.await.unwrap();
    assert_eq!(seen.messages, vec![b"hi\r\n".to_vec()]);
}

#[tokio::test]
async fn an_open_dropped_mid_greeting_closes_the_stream() {
    let (client, server) = duplex(64 * 1024);
    let server = tokio::spawn(async move {
        let mut peer = Peer::new(server);
        // No greeting: the client waits, then gives up.
        peer.drain().await
    });
    let cut = timeout(
        Duration::from_millis(50),
        Connection::options(config()).open(client),
    )
    .await;
    assert!(cut.is_err());
    let read = timeout(Duration::from_secs(5), server)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read, 0);
}
