//! How often the core allocates on its hot paths, counted with a counting global
//! allocator (issue "performance": a reply in steady state costs no allocation, the
//! capabilities of a 10-line EHLO one, a 1-recipient transaction at most four and each
//! further recipient at most one; a transaction now costs none). Allocation counts are deterministic, so these are
//! exact assertions, not timings. One test runs the scenarios in turn so no other test
//! thread allocates while one is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use bytes::Bytes;
use smtp_proto::{
    Capabilities, Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient,
    ReplyLimits, ReplyParser, ReversePath, TlsMode,
};

struct Counting;

static ALLOCS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::SeqCst);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Allocations and reallocations `f` makes, per call, over `rounds` calls after
/// `rounds` warm-up calls (steady state: buffers have grown to their working size).
fn per_call(rounds: usize, mut f: impl FnMut()) -> f64 {
    for _ in 0..rounds {
        f();
    }
    let start = ALLOCS.load(Ordering::SeqCst);
    for _ in 0..rounds {
        f();
    }
    (ALLOCS.load(Ordering::SeqCst) - start) as f64 / rounds as f64
}

const EHLO: &[u8] = b"250-mx.example.net Hello client.example [192.0.2.1]\r\n\
250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n\
250-CHUNKING\r\n250-SMTPUTF8\r\n250-ENHANCEDSTATUSCODES\r\n250-DSN\r\n250 HELP\r\n";

fn one_line_reply_allocates_nothing() -> f64 {
    let mut parser = ReplyParser::new(ReplyLimits::default());
    parser.set_enhanced_codes(true);
    per_call(1000, || {
        let mut input: &[u8] = b"250 2.1.5 Ok\r\n";
        let reply = parser.parse(&mut input).unwrap().unwrap();
        assert_eq!((reply.code, reply.first_line()), (250, &b"2.1.5 Ok"[..]));
    })
}

fn ehlo_capabilities_allocate_at_most_one() -> (f64, f64) {
    let mut parser = ReplyParser::new(ReplyLimits::default());
    let parse = per_call(1000, || {
        let mut input = EHLO;
        let reply = parser.parse(&mut input).unwrap().unwrap();
        assert_eq!(reply.line_count(), 10);
    });
    let reply = parser.parse(&mut &EHLO[..]).unwrap().unwrap();
    let caps = per_call(1000, || {
        let caps = Capabilities::parse(&reply).unwrap();
        assert!(caps.pipelining && caps.chunking && caps.max_size == Some(52_428_800));
    });
    (parse, caps)
}

const T0: Instant = Instant::ZERO;

/// A session after EHLO with PIPELINING (and CHUNKING when `chunking`).
fn ready_client(chunking: bool) -> Client {
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Client::new(T0, config);
    c.receive(T0, b"220 mx.example.net ESMTP\r\n");
    drain(&mut c);
    let caps: &[u8] = if chunking {
        b"250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 1000000\r\n250 CHUNKING\r\n"
    } else {
        b"250-mx\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 1000000\r\n"
    };
    c.receive(T0, caps);
    drain(&mut c);
    assert!(c.is_ready());
    c
}

/// Takes every byte written and every event; returns how many events there were.
fn drain(c: &mut Client) -> usize {
    let n = c.transmit().len();
    c.transmitted(T0, n);
    std::iter::from_fn(|| c.poll_event()).count()
}

/// The server's side of one pipelined transaction with `rcpts` recipients.
fn server_replies(rcpts: usize, chunking: bool) -> Vec<u8> {
    let mut wire = b"250 2.1.0 Ok\r\n".to_vec();
    for _ in 0..rcpts {
        wire.extend_from_slice(b"250 2.1.5 Ok\r\n");
    }
    if !chunking {
        wire.extend_from_slice(b"354 End data with <CR><LF>.<CR><LF>\r\n");
    }
    wire
}

/// One whole transaction from the caller's `send` to `Delivered`; the envelope is the
/// caller's (built outside the count), the body one shared `Bytes`.
fn transaction(c: &mut Client, env: Envelope, body: &Bytes, wire: &[u8], chunking: bool) {
    c.send(T0, env).unwrap();
    if chunking {
        assert!(drain(c) >= 1); // BodyWanted
        c.body(T0, body.clone()).unwrap();
        c.end_body(T0).unwrap();
        drain(c);
        c.receive(T0, wire);
    } else {
        drain(c);
        c.receive(T0, wire);
        drain(c);
        c.body(T0, body.clone()).unwrap();
        c.end_body(T0).unwrap();
    }
    drain(c);
    c.receive(T0, b"250 2.0.0 Ok: queued as 1234\r\n");
    let mut delivered = false;
    let n = c.transmit().len();
    c.transmitted(T0, n);
    while let Some(e) = c.poll_event() {
        delivered |= matches!(e, Event::Delivered { .. });
    }
    assert!(delivered && c.is_ready());
}

fn envelope(rcpts: usize) -> Envelope {
    let to = (0..rcpts)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("rcpt{i}@example.net")).unwrap()))
        .collect();
    Envelope::new(ReversePath::parse("sender@example.org").unwrap(), to)
}

/// Allocations per transaction of `rcpts` recipients, envelopes built beforehand.
fn transaction_allocations(rcpts: usize, chunking: bool) -> f64 {
    let mut c = ready_client(chunking);
    let body = Bytes::from_static(b"Subject: t\r\n\r\nHello.\r\n");
    let wire = server_replies(rcpts, chunking);
    let mut envelopes: Vec<Envelope> = (0..2000).map(|_| envelope(rcpts)).collect();
    per_call(1000, || {
        let env = envelopes.pop().unwrap();
        transaction(&mut c, env, &body, &wire, chunking);
    })
}

/// Allocations of one 1-recipient transaction right after one with `rcpts`
/// recipients whose addresses have local parts of `local_len` bytes.
fn allocations_after(rcpts: usize, local_len: usize) -> usize {
    allocations_after_envelope(&big_envelope(rcpts, local_len, 0))
}

/// `rcpts` recipients with local parts of `local_len` bytes (plus their index), the
/// last one `extra` bytes longer.
fn big_envelope(rcpts: usize, local_len: usize, extra: usize) -> Envelope {
    let local = "x".repeat(local_len);
    let tail = "y".repeat(extra);
    Envelope::new(
        ReversePath::parse("sender@example.org").unwrap(),
        (0..rcpts)
            .map(|i| {
                let more = if i + 1 == rcpts { tail.as_str() } else { "" };
                let to = format!("{local}{more}{i:02}@example.net");
                Recipient::new(ForwardPath::parse(&to).unwrap())
            })
            .collect(),
    )
}

/// The bytes of MAIL and RCPT lines `env` makes (what a pipelined flight queues
/// before its `DATA\r\n`).
fn line_bytes(env: &Envelope) -> usize {
    let mut c = ready_client(false);
    c.send(T0, env.clone()).unwrap();
    c.buffered_output() - "DATA\r\n".len()
}

fn allocations_after_envelope(big: &Envelope) -> usize {
    let rcpts = big.recipients.len();
    let big = big.clone();
    let mut c = ready_client(false);
    let body = Bytes::from_static(b"Subject: t\r\n\r\nHello.\r\n");
    let small = envelope(1);
    let wire = server_replies(1, false);
    for _ in 0..3 {
        transaction(&mut c, envelope(1), &body, &wire, false);
    }
    transaction(&mut c, big, &body, &server_replies(rcpts, false), false);
    let wire = server_replies(1, false);
    let start = ALLOCS.load(Ordering::SeqCst);
    transaction(&mut c, small, &body, &wire, false);
    ALLOCS.load(Ordering::SeqCst) - start
}

/// Allocations of one BDAT transaction after one whose body has `bare_lfs` bare LFs
/// (each held as two pieces: the text and a CRLF).
fn allocations_after_chunked_body(bare_lfs: usize) -> usize {
    let mut c = ready_client(true);
    let plain = Bytes::from_static(b"Subject: t\r\n\r\nHello.\r\n");
    let many = Bytes::from(b"line\n".repeat(bare_lfs));
    let wire = server_replies(1, true);
    for _ in 0..3 {
        transaction(&mut c, envelope(1), &plain, &wire, true);
    }
    transaction(&mut c, envelope(1), &many, &wire, true);
    let small = envelope(1);
    let start = ALLOCS.load(Ordering::SeqCst);
    transaction(&mut c, small, &plain, &wire, true);
    ALLOCS.load(Ordering::SeqCst) - start
}

/// Buffers are kept for the next transaction up to 64 recipients and 2 KiB of
/// command lines; past either, given back (so an idle session stays small).
fn large_transactions_give_their_buffers_back() {
    assert_eq!(allocations_after(64, 1), 0, "64 recipients: kept");
    assert!(allocations_after(65, 1) > 0, "65 recipients: given back");
    // Lines of ~37 bytes ("RCPT TO:<x..xNN@example.net>" + CRLF): 50 fit in 2 KiB.
    assert_eq!(allocations_after(50, 5), 0, "short lines: kept");
    assert!(allocations_after(50, 30) > 0, "2 KiB of lines: given back");
    // A CHUNKING body held in up to 64 pieces keeps its queue; in many more, not.
    assert_eq!(allocations_after_chunked_body(20), 0, "40 pieces: kept");
    assert!(
        allocations_after_chunked_body(200) > 0,
        "400 pieces: given back"
    );
    // Exactly 2 KiB of lines is kept; one byte more is not.
    let base = big_envelope(29, 43, 0);
    let short = 2048 - line_bytes(&base);
    let exact = big_envelope(29, 43, short);
    assert_eq!(line_bytes(&exact), 2048);
    assert_eq!(
        allocations_after_envelope(&exact),
        0,
        "2048 bytes of lines: kept"
    );
    let over = big_envelope(29, 43, short + 1);
    assert!(
        allocations_after_envelope(&over) > 0,
        "2049 bytes: given back"
    );
}

#[test]
fn hot_paths_allocate_within_their_budgets() {
    large_transactions_give_their_buffers_back();
    let one_line = one_line_reply_allocates_nothing();
    let (ehlo_parse, caps) = ehlo_capabilities_allocate_at_most_one();
    let tx1 = transaction_allocations(1, false);
    let tx2 = transaction_allocations(2, false);
    let tx10 = transaction_allocations(10, false);
    let bdat1 = transaction_allocations(1, true);
    println!(
        "allocations: 1-line reply {one_line}, 10-line EHLO {ehlo_parse}, its capabilities \
         {caps}, transaction 1 rcpt {tx1}, 2 rcpts {tx2}, 10 rcpts {tx10}, BDAT 1 rcpt {bdat1}"
    );
    assert_eq!(one_line, 0.0, "a 1-line reply in steady state");
    assert_eq!(ehlo_parse, 0.0, "a 10-line reply in steady state");
    assert!(caps <= 1.0, "capabilities of a 10-line EHLO: {caps}");
    // The budget is 4 per transaction and 1 per further recipient; in steady
    // state (buffers recycled, short replies inline) a transaction allocates nothing.
    assert_eq!(tx1, 0.0, "1-recipient transaction");
    assert_eq!(tx2, 0.0, "2-recipient transaction");
    assert_eq!(tx10, 0.0, "10-recipient transaction");
    assert_eq!(bdat1, 0.0, "1-recipient BDAT transaction");
}
