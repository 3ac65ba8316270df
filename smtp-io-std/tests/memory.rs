//! What an idle connection holds on the heap (issue "performance": at most 4 KiB),
//! counted by a global allocator that tracks the test thread only (the scripted
//! server runs in its own thread). Allocation sizes are deterministic, so these are
//! exact assertions, not timings.

mod peer;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::Duration;

use smtp_io_std::Connection;
use smtp_proto::{Config, Envelope, ForwardPath, Host, Recipient, ReversePath, TlsMode};

struct Counting;

thread_local! {
    /// Heap bytes this thread allocated and not yet freed (frees of its blocks on
    /// other threads are not seen: the driver frees its own).
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = LIVE.try_with(|l| l.set(l.get() + layout.size() as isize));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let _ = LIVE.try_with(|l| l.set(l.get() - layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) };
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = LIVE.try_with(|l| l.set(l.get() + new_size as isize - layout.size() as isize));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

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
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Connection::options(config)
        .connect(addr, Duration::from_secs(10))
        .unwrap();
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
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Connection::options(config)
        .connect(addr, Duration::from_secs(10))
        .unwrap();
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
