//! What a hostile server can make the engine hold (rules 4 and 20), measured with a
//! counting global allocator: live heap bytes after each scenario and the peak during
//! it. Allocation sizes are deterministic, so these bounds are exact assertions, not
//! timings. One test runs the scenarios in turn so no other test thread allocates
//! while one is measured.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use smtp_proto::capabilities::{MAX_AUTH_MECHANISMS, MAX_OTHER_KEYWORDS};
use smtp_proto::{
    Capabilities, Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient,
    ReplyLimits, ReplyParser, ReversePath, TlsMode,
};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Runs `f`, returning what it returns, the heap it left live (what the result
/// holds), and the peak above the starting point while it ran.
fn measure<T>(f: impl FnOnce() -> T) -> (T, usize, usize) {
    let start = LIVE.load(Ordering::SeqCst);
    PEAK.store(start, Ordering::SeqCst);
    let out = f();
    let live = LIVE.load(Ordering::SeqCst).saturating_sub(start);
    let peak = PEAK.load(Ordering::SeqCst).saturating_sub(start);
    (out, live, peak)
}

const KIB: usize = 1024;

/// 61,440 bytes of invalid UTF-8 in one reply were once held as 184,050 (lossy
/// decoding turned each byte into three). Now the parser holds at most what it was
/// sent, and the reply keeps the raw bytes.
fn invalid_utf8_reply_is_held_byte_for_byte() {
    let limits = ReplyLimits::default();
    let line = [b"250-".as_slice(), &[0xff; 1020], b"\r\n"].concat();
    let mut wire = Vec::new();
    for _ in 0..60 {
        wire.extend_from_slice(&line);
    }
    wire.extend_from_slice(b"250 end\r\n");
    let (reply, live, peak) = measure(|| {
        let mut p = ReplyParser::new(limits);
        let mut reply = None;
        for chunk in wire.chunks(1000) {
            let mut input = chunk;
            if let Some(r) = p.parse(&mut input).unwrap() {
                reply = Some(r);
            }
            assert!(p.buffered() <= limits.max_reply, "{}", p.buffered());
        }
        reply.unwrap()
    });
    assert_eq!(reply.raw_text().len(), 60 * 1021 + 3);
    assert!(live <= 128 * KIB, "reply holds {live} bytes");
    assert!(peak <= 160 * KIB, "parsing peaked at {peak} bytes");
}

fn ready_client(caps: &str) -> Client {
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.tls = TlsMode::None;
    let mut c = Client::new(Instant::ZERO, config);
    c.receive(Instant::ZERO, b"220 mx\r\n");
    let n = c.transmit().len();
    c.transmitted(Instant::ZERO, n);
    c.receive(
        Instant::ZERO,
        format!("250-mx\r\n{caps}250 OK\r\n").as_bytes(),
    );
    while c.poll_event().is_some() {}
    c
}

/// 300 RCPT replies of 60 KiB each once held 73 MB in the events a driver keeps.
/// A transaction's replies now share a 64 KiB text budget.
fn huge_rcpt_replies_stay_within_the_transaction_budget() {
    let mut c = ready_client("250-PIPELINING\r\n");
    let rcpts = (0..300)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("r{i}@example.net")).unwrap()))
        .collect();
    c.send(
        Instant::ZERO,
        Envelope::new(ReversePath::parse("a@example.org").unwrap(), rcpts),
    )
    .unwrap();
    let n = c.transmit().len();
    c.transmitted(Instant::ZERO, n);
    let mut huge = Vec::new();
    for i in 0..60 {
        let sep = if i == 59 { ' ' } else { '-' };
        huge.extend_from_slice(format!("550{sep}{}\r\n", "n".repeat(1018)).as_bytes());
    }
    let (events, live, _) = measure(|| {
        let mut kept = Vec::new();
        c.receive(Instant::ZERO, b"250 ok\r\n");
        for _ in 0..300 {
            c.receive(Instant::ZERO, &huge);
            kept.extend(std::iter::from_fn(|| c.poll_event()));
        }
        c.receive(Instant::ZERO, b"554 no valid recipients\r\n");
        kept.extend(std::iter::from_fn(|| c.poll_event()));
        kept
    });
    let rejected = events
        .iter()
        .filter(|e| matches!(e, Event::RecipientRejected { .. }))
        .count();
    assert_eq!(rejected, 300);
    assert!(live <= 512 * KIB, "300 huge replies held {live} bytes");
}

/// One 60 KiB EHLO of tiny keywords and parameters once cost 3.6 MB (a `String`
/// each). Capabilities now share the reply's buffer and keep capped spans.
fn tiny_ehlo_parameters_cost_little() {
    let mut caps = String::new();
    for i in 0..2400 {
        caps.push_str(&format!("250-X{i} a b c d e f g h\r\n"));
    }
    let wire = format!("250-mx\r\n{caps}250 OK\r\n");
    assert!(wire.len() > 55 * KIB && wire.len() < 64 * KIB);
    let (parsed, live, _) = measure(|| {
        let mut p = ReplyParser::new(ReplyLimits::default());
        let mut input = wire.as_bytes();
        let reply = p.parse(&mut input).unwrap().unwrap();
        Capabilities::parse(&reply).unwrap()
    });
    assert_eq!(parsed.other().count(), MAX_OTHER_KEYWORDS);
    assert!(live <= 96 * KIB, "capabilities held {live} bytes");
}

/// 16,000 AUTH mechanisms in one 64 KiB reply took 0.4–0.65 s of quadratic
/// de-duplication. At most 64 distinct ones are kept, each compared against at most
/// 64: one bounded pass.
fn sixteen_thousand_mechanisms_parse_in_one_pass() {
    let mut lines = String::new();
    let mut line = String::from("250-AUTH");
    for i in 0..16_000 {
        let m = format!(" M{}", i % 5000);
        if line.len() + m.len() > 4000 {
            lines.push_str(&line);
            lines.push_str("\r\n");
            line = String::from("250-AUTH");
        }
        line.push_str(&m);
    }
    lines.push_str(&line);
    lines.push_str("\r\n");
    let wire = format!("250-mx\r\n{lines}250 OK\r\n");
    let limits = ReplyLimits {
        max_line: 4096,
        max_reply: 128 * KIB,
    };
    let (caps, live, _) = measure(|| {
        let mut p = ReplyParser::new(limits);
        let mut input = wire.as_bytes();
        let reply = p.parse(&mut input).unwrap().unwrap();
        Capabilities::parse(&reply).unwrap()
    });
    assert_eq!(caps.auth_mechanisms().count(), MAX_AUTH_MECHANISMS);
    assert!(caps.supports_auth("m0") && !caps.supports_auth("M64"));
    assert!(live <= 128 * KIB, "{live}");
}

/// What one idle session holds (issue "performance": at most 1 KiB of heap) after a
/// Postfix-like EHLO, and what 10,000 of them hold. After a transaction it also keeps
/// the buffers that let the next one allocate nothing (the encoded lines, recipient
/// vectors, body pieces, output and reply buffers): at most 1.5 KiB.
fn idle_sessions_hold_at_most_one_kib() {
    let ehlo = "250-SIZE 10240000\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n\
                250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n\
                250-CHUNKING\r\n";
    let (mut c, live, _) = measure(|| ready_client(ehlo));
    let after_ehlo = live;
    assert!(live <= KIB, "an idle session after EHLO holds {live} bytes");
    let env = Envelope::new(
        ReversePath::parse("sender@example.org").unwrap(),
        vec![Recipient::new(
            ForwardPath::parse("rcpt@example.net").unwrap(),
        )],
    );
    let before = LIVE.load(Ordering::SeqCst);
    c.send(Instant::ZERO, env).unwrap();
    while c.poll_event().is_some() {}
    c.body(Instant::ZERO, bytes::Bytes::from_static(b"Hi\r\n"))
        .unwrap();
    c.end_body(Instant::ZERO).unwrap();
    let n = c.transmit().len();
    c.transmitted(Instant::ZERO, n);
    c.receive(
        Instant::ZERO,
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: queued as 1\r\n",
    );
    while c.poll_event().is_some() {}
    assert!(c.is_ready());
    let after = LIVE.load(Ordering::SeqCst) + live - before;
    assert!(
        after <= 3 * KIB / 2,
        "an idle session after a transaction holds {after} bytes"
    );
    let (many, live, _) = measure(|| (0..10_000).map(|_| ready_client(ehlo)).collect::<Vec<_>>());
    let per_session = (live - many.capacity() * std::mem::size_of::<Client>()) / many.len();
    println!(
        "idle session: {after_ehlo} B after EHLO, {after} B after a transaction; 10,000 \
         sessions: {per_session} B of heap each plus {} B inline",
        std::mem::size_of::<Client>(),
    );
    assert!(per_session <= KIB, "{per_session} bytes per idle session");
}

#[test]
fn hostile_replies_stay_within_documented_bounds() {
    idle_sessions_hold_at_most_one_kib();
    invalid_utf8_reply_is_held_byte_for_byte();
    huge_rcpt_replies_stay_within_the_transaction_budget();
    tiny_ehlo_parameters_cost_little();
    sixteen_thousand_mechanisms_parse_in_one_pass();
}
