//! The DATA and BDAT body encoders (rules 3 and 14).

use std::collections::VecDeque;

use bytes::Bytes;
use smtp_proto::{BdatEncoder, DataEncoder, DataError, LineEndings};

use crate::reference::canonical_body;

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
    assert_eq!(bwire, canonical_body(body));
}

/// Feeds arbitrary chunks to a [`BdatEncoder`] (rule 14) under either line-ending
/// policy, BINARYMIME or not: each `encode` returns exactly the bytes it pushed, a
/// refused chunk (`Reject`, rule 3) pushes nothing and leaves the state as it was,
/// and the whole output is the canonical form of the accepted chunks (a BINARYMIME
/// body byte for byte). The chunk framing line is `BDAT n[ LAST]` + CRLF.
pub fn bdat_encoder(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let binary = flags & 1 != 0;
    let policy = if flags & 2 != 0 {
        LineEndings::Reject
    } else {
        LineEndings::Normalize
    };
    let mut enc = BdatEncoder::new(policy, binary);
    let mut out = VecDeque::new();
    let mut accepted = Vec::new();
    // Chunk lengths come from the input itself: a length byte, then that many bytes.
    let mut rest = rest;
    while let Some((&len, tail)) = rest.split_first() {
        let n = usize::from(len).min(tail.len());
        let (chunk, tail) = tail.split_at(n);
        rest = tail;
        let before = out.len();
        match enc.encode(Bytes::copy_from_slice(chunk), &mut out) {
            Ok(pushed) => {
                let got: usize = out.iter().skip(before).map(Bytes::len).sum();
                assert_eq!(pushed, got, "BDAT length differs from the bytes pushed");
                accepted.extend_from_slice(chunk);
            }
            Err(DataError::BareLineEnding { offset }) => {
                assert_eq!(policy, LineEndings::Reject, "Normalize never refuses");
                assert!(!binary, "BINARYMIME never refuses");
                assert!(
                    offset < chunk.len().max(1),
                    "offset {offset} past the chunk"
                );
                assert_eq!(out.len(), before, "a refused chunk pushed bytes");
            }
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    if policy == LineEndings::Reject && !binary && enc.check_finish().is_err() {
        assert!(
            accepted.ends_with(b"\r"),
            "only a held CR may refuse the end"
        );
    }
    let before = out.len();
    let pushed = enc.finish(&mut out);
    assert_eq!(
        pushed,
        out.iter().skip(before).map(Bytes::len).sum::<usize>()
    );
    let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
    if binary {
        assert_eq!(wire, accepted, "BINARYMIME must go byte for byte");
    } else {
        assert_eq!(wire, canonical_body(&accepted));
    }
    let mut frame = Vec::new();
    let last = flags & 4 != 0;
    BdatEncoder::frame(wire.len() as u64, last, &mut frame);
    let want = if last {
        format!("BDAT {} LAST\r\n", wire.len())
    } else {
        format!("BDAT {}\r\n", wire.len())
    };
    assert_eq!(frame, want.as_bytes());
}
