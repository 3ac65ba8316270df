//! Thousands of sessions in one runtime: 2,000 concurrent connections to an
//! in-process SMTP sink on 127.0.0.1, one message each, all delivered.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{config, envelope, sink};
use smtp_io_tokio::Connection;
use tokio::net::TcpSocket;

const SESSIONS: usize = 2_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_concurrent_sessions_all_deliver() {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    // Room for every connect at once, so none waits on a SYN retry.
    let listener = socket.listen(4096).unwrap();
    let addr = listener.local_addr().unwrap();
    let stored = Arc::new(AtomicUsize::new(0));
    let server_stored = stored.clone();
    let server = tokio::spawn(async move {
        let mut sessions = Vec::with_capacity(SESSIONS);
        for _ in 0..SESSIONS {
            let (stream, _) = listener.accept().await.unwrap();
            let stored = server_stored.clone();
            sessions.push(tokio::spawn(async move {
                let seen = sink(stream, &["PIPELINING", "CHUNKING", "8BITMIME"]).await;
                stored.fetch_add(seen.messages.len(), Ordering::Relaxed);
            }));
        }
        for s in sessions {
            s.await.unwrap();
        }
    });

    let started = Instant::now();
    let clients: Vec<_> = (0..SESSIONS)
        .map(|i| {
            tokio::spawn(async move {
                let mut conn = Connection::options(config())
                    .connect(addr, Duration::from_secs(20))
                    .await?;
                let message = format!("Subject: {i}\r\n\r\nmessage {i}\r\n");
                let d = conn.send(envelope(1), message.as_bytes()).await?;
                conn.quit().await?;
                Ok::<bool, smtp_io_tokio::DriverError>(d.all_accepted())
            })
        })
        .collect();
    let mut delivered = 0;
    for c in clients {
        if c.await.unwrap().unwrap() {
            delivered += 1;
        }
    }
    let elapsed = started.elapsed();
    server.await.unwrap();
    eprintln!("{SESSIONS} concurrent sessions delivered in {elapsed:?}");
    assert_eq!(delivered, SESSIONS);
    assert_eq!(stored.load(Ordering::Relaxed), SESSIONS);
    assert!(elapsed < Duration::from_secs(30), "{elapsed:?}");
}
