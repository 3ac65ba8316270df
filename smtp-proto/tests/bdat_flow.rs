//! How a CHUNKING body is taken and written, step by step (RFC 3030 §2, rule 14):
//! the capacity the engine offers, one chunk held back so the last can go as
//! `BDAT n LAST`, and without PIPELINING each chunk waiting for the previous one's
//! reply. Mutation testing found these gates unchecked by the transcripts, which
//! hand the body over in one piece.

use bytes::Bytes;
mod common;

use common::{envelope, events, ready_with, take_output, T0};
use smtp_proto::{Client, Config, Event, TlsMode, Trace};

/// A session after EHLO offering `caps`, without TLS, with `config` adjusted by
/// `tune`.
fn ready(caps: &str, tune: impl FnOnce(&mut Config)) -> Client {
    let c = ready_with(caps, |config| {
        config.tls = TlsMode::None;
        tune(config);
    });
    assert!(c.is_ready());
    c
}

#[test]
fn without_pipelining_each_chunk_waits_for_the_previous_reply() {
    let mut c = ready("250-CHUNKING\r\n", |cfg| cfg.max_bdat_chunk = 10);
    c.send(T0, envelope()).unwrap();
    assert_eq!(take_output(&mut c), "MAIL FROM:<a@example.org>\r\n");
    c.receive(T0, b"250 ok\r\n");
    assert_eq!(take_output(&mut c), "RCPT TO:<b@example.net>\r\n");
    c.receive(T0, b"250 ok\r\n");
    assert!(events(&mut c)
        .iter()
        .any(|e| matches!(e, Event::BodyWanted)));
    // One chunk's worth at a time; the first is held back, nothing is written yet.
    assert_eq!(c.body_capacity(), 10);
    assert_eq!(
        c.body(T0, Bytes::from_static(b"0123456789abcdefghij\r\n")),
        Ok(10)
    );
    assert_eq!(take_output(&mut c), "");
    assert_eq!(c.body_capacity(), 10);
    // The next chunk sends the held one; then nothing more until its reply.
    assert_eq!(c.body(T0, Bytes::from_static(b"abcdefghij\r\n")), Ok(10));
    assert_eq!(take_output(&mut c), "BDAT 10\r\n0123456789");
    assert_eq!(c.body_capacity(), 0, "the first chunk is not answered yet");
    c.end_body(T0).unwrap();
    assert_eq!(
        take_output(&mut c),
        "",
        "the last chunk waits for the reply too"
    );
    c.receive(T0, b"250 2.0.0 chunk ok\r\n");
    assert_eq!(take_output(&mut c), "BDAT 12 LAST\r\nabcdefghij\r\n");
    c.receive(T0, b"250 2.0.0 queued\r\n");
    let evs = events(&mut c);
    assert!(
        evs.iter().any(|e| matches!(e, Event::Delivered { .. })),
        "{evs:?}"
    );
    assert!(c.is_ready());
}

#[test]
fn with_pipelining_chunks_go_at_once_within_the_pending_budget() {
    let mut c = ready("250-PIPELINING\r\n250-CHUNKING\r\n", |cfg| {
        cfg.max_bdat_chunk = 1000;
        cfg.max_pending_body = 200;
    });
    c.send(T0, envelope()).unwrap();
    events(&mut c);
    let flight = c.buffered_output();
    assert!(flight > 0, "MAIL and RCPT are queued");
    // Capacity: the budget less what is queued and what is held.
    assert_eq!(c.body_capacity(), 200 - flight);
    assert_eq!(c.body(T0, Bytes::from(vec![b'x'; 30])), Ok(30));
    assert_eq!(c.body_capacity(), 200 - (flight + 30));
    assert_eq!(c.body(T0, Bytes::from(vec![b'y'; 20])), Ok(20));
    // The first chunk went into the queue (framed), the second is held.
    let queued = c.buffered_output();
    assert_eq!(queued, flight + "BDAT 30\r\n".len() + 30);
    assert_eq!(c.body_capacity(), 200 - (queued + 20));
    // Written out, the budget comes back though no reply came: pipelining.
    let out = take_output(&mut c);
    assert!(
        out.ends_with(&format!("BDAT 30\r\n{}", "x".repeat(30))),
        "{out}"
    );
    assert_eq!(c.body_capacity(), 200 - 20);
    c.end_body(T0).unwrap();
    assert_eq!(c.body_capacity(), 0, "nothing after end_body");
    let last = take_output(&mut c);
    assert_eq!(last, format!("BDAT 22 LAST\r\n{}\r\n", "y".repeat(20)));
}

#[test]
fn body_bytes_are_traced_once_per_piece_queued_and_only_when_asked() {
    for trace in [true, false] {
        let mut c = ready("250-PIPELINING\r\n", |cfg| cfg.trace = trace);
        c.send(T0, envelope()).unwrap();
        take_output(&mut c);
        c.receive(T0, b"250 ok\r\n250 ok\r\n354 go\r\n");
        events(&mut c);
        c.body(T0, Bytes::from_static(b"hello\r\n.dot\r\n"))
            .unwrap();
        c.end_body(T0).unwrap();
        let data: Vec<u64> = events(&mut c)
            .iter()
            .filter_map(|e| match e {
                Event::Trace(Trace::Data { bytes }) => Some(*bytes),
                _ => None,
            })
            .collect();
        if trace {
            // The body with its dot doubled, then the terminator.
            assert_eq!(data, [14, 3], "trace on");
        } else {
            assert!(data.is_empty(), "trace off: {data:?}");
        }
    }
}

#[test]
fn an_empty_chunking_body_is_one_empty_last_chunk_and_no_data_trace() {
    let mut c = ready("250-PIPELINING\r\n250-CHUNKING\r\n", |cfg| cfg.trace = true);
    c.send(T0, envelope()).unwrap();
    events(&mut c);
    c.end_body(T0).unwrap();
    let out = take_output(&mut c);
    assert!(
        out.ends_with("RCPT TO:<b@example.net>\r\nBDAT 0 LAST\r\n"),
        "{out}"
    );
    let traced_data: Vec<Event> = events(&mut c)
        .into_iter()
        .filter(|e| matches!(e, Event::Trace(Trace::Data { .. })))
        .collect();
    assert!(traced_data.is_empty(), "{traced_data:?}");
}
