//! RFC 3030 / rule 14 as a property: for any body and any chunking handed to
//! `Client::body`, the BDAT chunks on the wire concatenate to the normalised body,
//! each count matches its chunk, and exactly the last is `BDAT n LAST`.

use bytes::Bytes;
use proptest::prelude::*;
use smtp_proto::{
    Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient, ReversePath,
};

fn open(pipelining: bool) -> Client {
    let mut config = Config::new(Host::parse("client.example").unwrap());
    config.max_bdat_chunk = 64;
    config.max_pending_body = 256;
    let mut c = Client::new(Instant::ZERO, config);
    c.receive(Instant::ZERO, b"220 mx\r\n");
    // The EHLO goes out before its reply can answer it.
    let n = c.transmit().len();
    c.transmitted(Instant::ZERO, n);
    let caps: &[u8] = if pipelining {
        b"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n"
    } else {
        b"250-mx\r\n250 CHUNKING\r\n"
    };
    c.receive(Instant::ZERO, caps);
    c
}

/// Splits the wire into `(count, last, data)` frames after MAIL/RCPT lines.
fn frames(wire: &[u8]) -> Vec<(usize, bool, Vec<u8>)> {
    let mut out = Vec::new();
    let mut rest = wire;
    while !rest.is_empty() {
        let eol = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a command line");
        let line = std::str::from_utf8(&rest[..eol]).unwrap().to_string();
        rest = &rest[eol + 2..];
        if let Some(args) = line.strip_prefix("BDAT ") {
            let mut it = args.split(' ');
            let n: usize = it.next().unwrap().parse().unwrap();
            let last = it.next() == Some("LAST");
            out.push((n, last, rest[..n].to_vec()));
            rest = &rest[n..];
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn bdat_chunks_carry_exactly_the_normalised_body(
        body in proptest::collection::vec(prop_oneof![Just(b'\r'), Just(b'\n'), Just(b'.'), any::<u8>()], 0..600),
        sizes in proptest::collection::vec(1usize..100, 1..20),
        pipelining in any::<bool>(),
    ) {
        let now = Instant::ZERO;
        let mut c = open(pipelining);
        let env = Envelope::new(ReversePath::parse("a@example.org").unwrap(), vec![Recipient::new(ForwardPath::parse("b@example.net").unwrap())]);
        c.send(now, env).unwrap();
        let mut wire = Vec::new();
        let drain = |c: &mut Client, wire: &mut Vec<u8>| {
            let out = c.transmit().to_vec();
            c.transmitted(now, out.len());
            wire.extend_from_slice(&out);
        };
        if !pipelining {
            // Lock-step: RCPT goes out only after MAIL's reply.
            drain(&mut c, &mut wire);
            c.receive(now, b"250 ok\r\n");
            drain(&mut c, &mut wire);
            c.receive(now, b"250 ok\r\n");
        }
        let mut rest = Bytes::from(body.clone());
        let mut k = 0;
        let mut replies_owed = 0usize;
        while !rest.is_empty() {
            let want = sizes[k % sizes.len()].min(rest.len());
            k += 1;
            let taken = c.body(now, rest.slice(..want)).unwrap();
            let _ = rest.split_to(taken);
            let before = wire.len();
            drain(&mut c, &mut wire);
            replies_owed += frames(&wire[before..]).len();
            if taken == 0 {
                // Lock-step: the previous chunk's reply frees the next one.
                prop_assert!(replies_owed > 0, "stalled without an outstanding chunk");
                c.receive(now, b"250 ok\r\n");
                replies_owed -= 1;
            }
        }
        c.end_body(now).unwrap();
        // Answer whatever is still owed, so a held last chunk can go.
        for _ in 0..100_000 {
            let before = wire.len();
            drain(&mut c, &mut wire);
            replies_owed += frames(&wire[before..]).len();
            if replies_owed == 0 { break; }
            c.receive(now, b"250 ok\r\n");
            replies_owed -= 1;
        }
        let f = frames(&wire);
        prop_assert!(!f.is_empty());
        let mut joined = Vec::new();
        for (i, (n, last, data)) in f.iter().enumerate() {
            prop_assert_eq!(*n, data.len());
            prop_assert_eq!(*last, i + 1 == f.len());
            prop_assert!(*n > 0 || *last, "an empty chunk that is not the last");
            joined.extend_from_slice(data);
        }
        // Rule 14: a body not ending in CRLF gets one, as under DATA.
        prop_assert_eq!(joined, smtp_tests::reference::canonical_body(&body));
        if pipelining {
            c.receive(now, b"250 ok\r\n250 ok\r\n");
        }
        let mut delivered = false;
        while let Some(ev) = c.poll_event() {
            delivered |= matches!(ev, Event::Delivered { .. });
        }
        prop_assert!(delivered);
    }
}
