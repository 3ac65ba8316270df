//! Reply parsing: a one-line reply and a 10-line EHLO reply (with its capabilities),
//! whole and fed a few bytes at a time, with ours (`ReplyParser`, `Capabilities`),
//! Stalwart's `smtp-proto` (`ResponseReceiver`, `EhloResponse::parse`) and lettre's
//! `Response: FromStr` / `ServerInfo::from_response`. Reported in ns/reply, heap
//! allocations per reply and (see `callgrind`) instructions per reply.

use std::hint::black_box;

use lettre::transport::smtp::extension::ServerInfo;
use lettre::transport::smtp::response::Response as LettreResponse;
use smtp_proto::{Capabilities, ReplyLimits, ReplyParser};
use stalwart_smtp_proto::response::parser::ResponseReceiver;
use stalwart_smtp_proto::EhloResponse;

use crate::micro::Op;

/// The one-line reply.
pub const ONE: &[u8] = b"250 2.1.5 Ok\r\n";

/// A 10-line EHLO reply of a typical MTA.
pub const EHLO: &[u8] = b"250-mx.example.net Hello client.example [192.0.2.1]\r\n\
250-SIZE 52428800\r\n250-8BITMIME\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN CRAM-MD5\r\n\
250-CHUNKING\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-SMTPUTF8\r\n250 DSN\r\n";

/// Our parser, reused from reply to reply, enhanced codes on (as after EHLO).
fn ours_parser() -> ReplyParser {
    let mut p = ReplyParser::new(ReplyLimits::default());
    p.set_enhanced_codes(true);
    p
}

/// Ours: feed `input` in pieces of `step` bytes; exactly one reply must come out.
/// Fed whole, that is one call (as [`stalwart_feed`] does for Stalwart).
fn ours_feed(p: &mut ReplyParser, input: &[u8], step: usize) -> smtp_proto::Reply {
    if step >= input.len() {
        let mut s = input;
        let r = p
            .parse(&mut s)
            .expect("valid reply")
            .expect("a complete reply");
        assert!(s.is_empty());
        return r;
    }
    let mut got = None;
    for piece in input.chunks(step) {
        let mut s = piece;
        while !s.is_empty() {
            if let Some(r) = p.parse(&mut s).expect("valid reply") {
                assert!(got.is_none() && s.is_empty());
                got = Some(r);
            }
        }
    }
    got.expect("a complete reply")
}

/// Stalwart: the same, with `ResponseReceiver` (reset after each reply, as
/// mail-send's `read_many` does).
fn stalwart_feed(rx: &mut ResponseReceiver, input: &[u8], step: usize) -> (u16, usize) {
    if step >= input.len() {
        let r = rx.parse(&mut input.iter()).expect("a complete reply");
        rx.reset();
        return (r.code, r.message.len());
    }
    let mut got = None;
    for piece in input.chunks(step) {
        let mut it = piece.iter();
        match rx.parse(&mut it) {
            Ok(r) => got = Some((r.code, r.message.len())),
            Err(stalwart_smtp_proto::Error::NeedsMoreData { .. }) => {}
            Err(e) => panic!("stalwart: {e}"),
        }
    }
    rx.reset();
    got.expect("a complete reply")
}

fn ours_one(_: usize) -> Box<dyn FnMut()> {
    let mut p = ours_parser();
    Box::new(move || {
        let r = ours_feed(&mut p, black_box(ONE), ONE.len());
        assert!(r.code == 250 && r.enhanced.is_some());
        black_box(r);
    })
}

fn stalwart_one(_: usize) -> Box<dyn FnMut()> {
    let mut rx = ResponseReceiver::default();
    Box::new(move || {
        let (code, _) = stalwart_feed(&mut rx, black_box(ONE), ONE.len());
        assert_eq!(code, 250);
    })
}

fn lettre_one(_: usize) -> Box<dyn FnMut()> {
    Box::new(|| {
        let text = std::str::from_utf8(black_box(ONE)).unwrap();
        let r: LettreResponse = text.parse().expect("lettre parses");
        assert!(r.is_positive());
        black_box(r);
    })
}

fn ours_ehlo_caps(_: usize) -> Box<dyn FnMut()> {
    let mut p = ours_parser();
    Box::new(move || {
        let r = ours_feed(&mut p, black_box(EHLO), EHLO.len());
        let caps = Capabilities::parse(&r).expect("250");
        assert!(caps.chunking && caps.pipelining && caps.max_size == Some(52428800));
        black_box(caps);
    })
}

fn stalwart_ehlo_caps(_: usize) -> Box<dyn FnMut()> {
    Box::new(|| {
        let e = EhloResponse::parse(&mut black_box(EHLO).iter()).expect("stalwart EHLO");
        assert!(e.has_capability(stalwart_smtp_proto::EXT_CHUNKING) && e.size == 52428800);
        black_box(e);
    })
}

fn lettre_ehlo_caps(_: usize) -> Box<dyn FnMut()> {
    Box::new(|| {
        let text = std::str::from_utf8(black_box(EHLO)).unwrap();
        let r: LettreResponse = text.parse().expect("lettre parses");
        let info = ServerInfo::from_response(&r).expect("lettre EHLO");
        assert!(info.supports_feature(lettre::transport::smtp::extension::Extension::EightBitMime));
        black_box(info);
    })
}

/// Our parser fed the EHLO reply `step` bytes at a time (reply only).
fn ours_ehlo_step(step: usize) -> Box<dyn FnMut()> {
    let mut p = ours_parser();
    Box::new(move || {
        let r = ours_feed(&mut p, black_box(EHLO), step);
        // As Stalwart's check: the code, and that the text is all there.
        assert!(r.code == 250 && r.raw_text().len() > 150);
        black_box(r);
    })
}

/// Stalwart's `ResponseReceiver` fed the EHLO reply `step` bytes at a time.
fn stalwart_ehlo_step(step: usize) -> Box<dyn FnMut()> {
    let mut rx = ResponseReceiver::default();
    Box::new(move || {
        let (code, len) = stalwart_feed(&mut rx, black_box(EHLO), step);
        assert!(code == 250 && len > 150);
    })
}

/// The parse ops.
pub fn ops() -> Vec<Op> {
    vec![
        Op {
            id: "ours-1line",
            make: ours_one,
        },
        Op {
            id: "stalwart-1line",
            make: stalwart_one,
        },
        Op {
            id: "lettre-1line",
            make: lettre_one,
        },
        Op {
            id: "ours-ehlo-caps",
            make: ours_ehlo_caps,
        },
        Op {
            id: "stalwart-ehlo-caps",
            make: stalwart_ehlo_caps,
        },
        Op {
            id: "lettre-ehlo-caps",
            make: lettre_ehlo_caps,
        },
        Op {
            id: "ours-ehlo-whole",
            make: |_| ours_ehlo_step(EHLO.len()),
        },
        Op {
            id: "stalwart-ehlo-whole",
            make: |_| stalwart_ehlo_step(EHLO.len()),
        },
        Op {
            id: "ours-ehlo-7b",
            make: |_| ours_ehlo_step(7),
        },
        Op {
            id: "stalwart-ehlo-7b",
            make: |_| stalwart_ehlo_step(7),
        },
        Op {
            id: "ours-ehlo-1b",
            make: |_| ours_ehlo_step(1),
        },
        Op {
            id: "stalwart-ehlo-1b",
            make: |_| stalwart_ehlo_step(1),
        },
    ]
}
