//! The bodies of the `fuzz/` targets, shared so that `cargo test` on stable replays
//! the committed corpus through exactly the code the fuzzer runs. Each asserts the
//! invariants its module promises, not just "no panic".

use std::collections::VecDeque;

use bytes::Bytes;
use smtp_proto::{
    BdatEncoder, Capabilities, DataEncoder, Limits, LineEndings, Reply, ReplyLimits, ReplyParser,
};

/// Feeds `data` to a reply parser in chunks chosen by its first byte; every reply has
/// a valid code and the buffer stays within its bounds.
pub fn reply_parser(data: &[u8]) {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let limits = ReplyLimits {
        max_line: 64,
        max_reply: 512,
    };
    let mut p = ReplyParser::new(limits);
    p.set_enhanced_codes(first & 1 == 1);
    let step = usize::from(first >> 1).max(1);
    for chunk in rest.chunks(step) {
        let mut input = chunk;
        while !input.is_empty() {
            match p.parse(&mut input) {
                Ok(Some(r)) => {
                    assert!((200..600).contains(&r.code));
                    assert!(r.line_count() >= 1);
                    assert!(r.raw_text().len() <= limits.max_reply);
                    if let Some(e) = r.enhanced {
                        assert_eq!(u16::from(e.class), r.code / 100);
                    }
                }
                Ok(None) => assert!(input.is_empty()),
                Err(_) => return,
            }
        }
        // Rule 4: what is held is bounded in bytes, whatever the encoding.
        assert!(p.buffered() <= limits.max_reply);
    }
}

/// Reads `data` as the lines of an EHLO reply.
pub fn capabilities(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let reply = Reply::new(250, &lines);
    let caps = Capabilities::parse(&reply).expect("250 always parses");
    let first = String::from_utf8_lossy(reply.first_line()).into_owned();
    assert_eq!(caps.domain(), first.split(' ').next().unwrap_or(""));
    assert!(caps.auth_mechanisms().count() <= smtp_proto::capabilities::MAX_AUTH_MECHANISMS);
    if let Some(l) = Limits::parse(lines[0]) {
        for n in [l.mailmax, l.rcptmax, l.rcptdomainmax]
            .into_iter()
            .flatten()
        {
            assert!((1..=999_999).contains(&n));
        }
    }
}

/// Encodes `data` as a DATA body in chunks chosen by its first byte; the terminator
/// appears exactly once, at the end, and un-stuffing gives back the normalised body.
pub fn data_encoder(data: &[u8]) {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let step = usize::from(first).max(1);
    let mut enc = DataEncoder::new(LineEndings::Normalize);
    let mut bdat = BdatEncoder::new(LineEndings::Normalize, false);
    let (mut out, mut bout) = (VecDeque::new(), VecDeque::new());
    let mut bdat_len = 0;
    for chunk in body.chunks(step) {
        enc.encode(Bytes::copy_from_slice(chunk), &mut out)
            .expect("normalize never fails");
        bdat_len += bdat
            .encode(Bytes::copy_from_slice(chunk), &mut bout)
            .expect("normalize never fails");
    }
    enc.finish(&mut out);
    bdat_len += bdat.finish(&mut bout);
    let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
    let mut framed = b"\r\n".to_vec();
    framed.extend_from_slice(&wire);
    assert_eq!(framed.windows(5).filter(|w| *w == b"\r\n.\r\n").count(), 1);
    assert!(framed.ends_with(b"\r\n.\r\n"));
    let bwire: Vec<u8> = bout.iter().flat_map(|b| b.iter().copied()).collect();
    assert_eq!(bwire.len(), bdat_len);
    assert_eq!(bwire, crate::reference::canonical_body(body));
}

/// Drives a whole session from `data` (see [`crate::session_ops`]).
pub fn session(data: &[u8]) {
    let _ = crate::session_ops::run_bytes(data);
}
