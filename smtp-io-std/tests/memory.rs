//! What an idle connection holds on the heap (issue "performance": at most 4 KiB),
//! counted by a global allocator that tracks the test thread only (the scripted
//! server runs in its own thread). Allocation sizes are deterministic, so these are
//! exact assertions, not timings.

mod peer;

use std::time::Duration;

use smtp_io_std::Connection;
use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode};

#[path = "../../tests/src/thread_heap.rs"]
mod thread_heap;
use thread_heap::live;

#[global_allocator]
static ALLOC: thread_heap::Counting = thread_heap::Counting;

const POSTFIX_EHLO: &[&str] = &[
    "PIPELINING",
    "SIZE 10240000",
    "ETRN",
    "ENHANCEDSTATUSCODES",
    "8BITMIME",
    "DSN",
    "SMTPUTF8",
    "CHUNKING",
];

/// One CHUNKING message, answered, then QUIT.
fn serve_one_message() -> (std::net::SocketAddr, std::thread::JoinHandle<()>) {
    peer::serve(|p| {
        p.open(POSTFIX_EHLO);
        p.expect("MAIL");
        p.expect("RCPT");
        let bdat = p.expect("BDAT");
        let size: usize = bdat.split(' ').nth(1).unwrap().parse().unwrap();
        assert!(p.skip(size));
        p.send("250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as 4ZXYZ1\r\n");
        p.expect("QUIT");
        p.send("221 2.0.0 Bye\r\n");
    })
}

/// A plain-text connection to `addr`, through EHLO.
fn connect(addr: std::net::SocketAddr) -> Connection {
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::None;
    Connection::options(config)
        .connect(addr, Duration::from_secs(10))
        .unwrap()
}

fn envelope() -> Envelope {
    Envelope::new(
        ReversePath::parse("sender@example.org").unwrap(),
        vec![Recipient::new(
            ForwardPath::parse("rcpt@example.net").unwrap(),
        )],
    )
}

#[test]
fn an_idle_connection_holds_at_most_four_kib() {
    let (addr, server) = serve_one_message();
    let start = live();
    let mut c = connect(addr);
    let after_open = live() - start;
    let d = c
        .send_bytes(envelope(), &b"Subject: t\r\n\r\nHello.\r\n"[..])
        .unwrap();
    assert!(d.all_accepted(), "{d:?}");
    let after_send = live() - start;
    println!(
        "idle connection: {after_open} B after EHLO, {after_send} B after a message, \
         {} B inline",
        std::mem::size_of::<Connection>()
    );
    assert!(after_open <= 4096, "after EHLO: {after_open} bytes");
    assert!(after_send <= 4096, "after a message: {after_send} bytes");
    c.quit().unwrap();
    server.join().unwrap();
}

#[test]
fn a_short_body_from_a_reader_takes_a_short_read_buffer() {
    let (addr, server) = serve_one_message();
    let body = [&b"Subject: t\r\n\r\n"[..], &[b'x'; 1000], b"\r\n"].concat();
    let start = live();
    let mut c = connect(addr);
    let d = c.send(envelope(), &mut &body[..]).unwrap();
    assert!(d.all_accepted(), "{d:?}");
    let held = live() - start;
    // The read buffer starts at 16 KiB: a 1 KiB body does not grow it to the
    // engine's whole capacity (256 KiB).
    assert!(held > 16 * 1024, "{held} bytes: the read buffer is kept");
    assert!(held <= 16 * 1024 + 4096, "{held} bytes");
    c.quit().unwrap();
    server.join().unwrap();
}
