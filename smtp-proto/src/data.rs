//! Message data encoders — RFC 5321 §4.1.1.4 (DATA, end of data), §4.5.2
//! (transparency: dot-stuffing), §2.3.8 (lines end in CRLF); RFC 3030 §2 (BDAT
//! chunks, no stuffing) and §3 (BINARYMIME: bytes untouched).
//!
//! Output goes to the caller's queue as `Bytes` pieces: spans that need no change are
//! slices of the input `Bytes` (no copy); inserted bytes are static pieces. State
//! (a CR held back at a chunk's end, whether we are at a line start) carries across
//! chunks, so no chunking of the input can produce `CRLF . CRLF` before the end.

use alloc::collections::VecDeque;
use bytes::Bytes;

const CRLF: Bytes = Bytes::from_static(b"\r\n");
const DOT: Bytes = Bytes::from_static(b".");
const END: Bytes = Bytes::from_static(b".\r\n");

/// What to do with a CR or LF that is not part of a CRLF pair (rule 3).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineEndings {
    /// Turn every bare CR and bare LF into CRLF.
    #[default]
    Normalize,
    /// Refuse a chunk holding a bare CR or LF, before any of its bytes are produced.
    Reject,
}

/// Why message data cannot be encoded. The caller's fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A bare CR or LF under [`LineEndings::Reject`]; `offset` is into the refused chunk
    /// (a CR at a chunk's end followed by a non-LF is reported at offset 0 of the next).
    #[error("bare CR or LF at offset {offset} of the chunk")]
    BareLineEnding {
        /// Byte offset in the chunk passed.
        offset: usize,
    },
}

/// Bytes the fast path checks in one branch-free pass.
const PLAIN_BLOCK: usize = 256;

/// A block's line endings need work (a CR not followed by LF, an LF not after a CR).
const ENDINGS_WORK: u8 = 1;
/// A block has a line starting with a dot (when dot-stuffing).
const DOT_WORK: u8 = 2;

/// What the byte pairs starting in `start..end` of `chunk` need ([`ENDINGS_WORK`],
/// [`DOT_WORK`], or 0 for nothing); `end < chunk.len()`, so each pair's second byte
/// exists. No early exit, so the loop compiles to vector instructions.
fn block_work(chunk: &[u8], start: usize, end: usize, stuff: bool) -> u8 {
    let (first, second) = (&chunk[start..end], &chunk[start + 1..end + 1]);
    let dot = if stuff { b'.' } else { b'\n' }; // an LF after an LF is flagged anyway
    let pair_work = |(e, d): (u8, u8), (&a, &b): (&u8, &u8)| {
        (
            e | u8::from((a == b'\r') != (b == b'\n')),
            d | (u8::from(a == b'\n') & u8::from(b == dot)),
        )
    };
    // Fixed-size lanes of 32 pairs, then the rest: the shape vectorises best.
    let lanes = first.chunks_exact(32).zip(second.chunks_exact(32));
    let (mut endings, mut dots) = (0, 0);
    for (a, b) in lanes {
        let (e, d) = a.iter().zip(b).fold((0u8, 0u8), pair_work);
        (endings, dots) = (endings | e, dots | d);
    }
    let tail = first.len() - first.len() % 32;
    let (e, d) = first[tail..]
        .iter()
        .zip(&second[tail..])
        .fold((0, 0), pair_work);
    // Added, not or-ed: the two flags never share a bit, and a sum leaves no
    // equivalent mutant.
    ((endings | e) != 0) as u8 * ENDINGS_WORK + ((dots | d) != 0) as u8 * DOT_WORK
}

/// Where the fast pass may resume after the exact walk took a block ending at `end`:
/// just after a line end whose next byte needs no work of its own (the pair of that
/// LF and its next byte is never checked again), or the chunk's end.
fn resume_point(chunk: &[u8], end: usize, stuff: bool) -> usize {
    let mut resume = end;
    loop {
        resume = memchr::memchr(b'\n', &chunk[resume..]).map_or(chunk.len(), |i| resume + i + 1);
        let next = chunk.get(resume);
        if !(next == Some(&b'\n') || (stuff && next == Some(&b'.'))) {
            return resume;
        }
    }
}

/// The line-ending state shared by both encoders.
#[derive(Debug, Clone, Copy)]
struct Lines {
    policy: LineEndings,
    /// The previous chunk ended in CR; its LF (or not) is still to come.
    pending_cr: bool,
    /// The next byte starts a line (the message start counts).
    at_line_start: bool,
}

impl Lines {
    fn new(policy: LineEndings) -> Lines {
        Lines {
            policy,
            pending_cr: false,
            at_line_start: true,
        }
    }

    /// Under `Reject`, the offset of the first bare CR or LF of `chunk`.
    fn first_bare(&self, chunk: &[u8]) -> Option<usize> {
        if self.policy != LineEndings::Reject {
            return None;
        }
        if self.pending_cr && chunk.first().is_some_and(|&b| b != b'\n') {
            return Some(0);
        }
        for i in memchr::memchr2_iter(b'\r', b'\n', chunk) {
            let bare = if chunk[i] == b'\r' {
                chunk.get(i + 1).is_some_and(|&b| b != b'\n')
            } else if i == 0 {
                !self.pending_cr
            } else {
                chunk[i - 1] != b'\r'
            };
            if bare {
                return Some(i);
            }
        }
        None
    }

    /// Encodes `chunk` (dot-stuffed when `stuff`), pushing pieces and returning the
    /// bytes pushed; a chunk with a bare line ending is refused under `Reject` with
    /// nothing pushed. Well-formed text takes the fast path.
    fn encode(
        &mut self,
        chunk: &Bytes,
        stuff: bool,
        out: &mut VecDeque<Bytes>,
    ) -> Result<usize, DataError> {
        if let Some(pushed) = self.walk_crlf(chunk, stuff, out) {
            return Ok(pushed);
        }
        if let Some(offset) = self.first_bare(chunk) {
            return Err(DataError::BareLineEnding { offset });
        }
        Ok(self.walk(chunk, stuff, out))
    }

    /// The fast path (replacing it with `None` is an equivalent mutant: the exact walk
    /// gives the same bytes, only slower): a chunk is checked in blocks of
    /// [`PLAIN_BLOCK`] bytes by a
    /// branch-free pass (which the compiler vectorises) that finds no work in text
    /// whose lines all end in CRLF and do not start with a dot. A plain block is left
    /// in the span being passed through uncopied; a block with work goes to the exact
    /// [`walk`](Lines::walk) up to the next line end, and the fast pass resumes there.
    /// `None` (nothing pushed, state unchanged) sends the chunk to the exact walk
    /// whole: a CR held from the previous chunk, an LF first, or under `Reject` any
    /// block with work, so that a refused chunk pushes nothing.
    fn walk_crlf(
        &mut self,
        chunk: &Bytes,
        stuff: bool,
        out: &mut VecDeque<Bytes>,
    ) -> Option<usize> {
        let len = chunk.len();
        if self.pending_cr || len == 0 || chunk[0] == b'\n' {
            return None;
        }
        let before = out.len();
        // Where the last dot doubled here is: the exact walk must not double it again.
        let mut doubled = None;
        let mut pushed = 0;
        if stuff && self.at_line_start && chunk[0] == b'.' {
            out.push_back(DOT); // RFC 5321 §4.5.2: double a leading dot.
            pushed += 1;
            doubled = Some(0);
        }
        let (mut span, mut pos) = (0, 0);
        while pos + 1 < len {
            let end = (pos + PLAIN_BLOCK).min(len - 1);
            let work = block_work(chunk, pos, end, stuff);
            if work & ENDINGS_WORK == 0 {
                if work == DOT_WORK {
                    // Well-formed lines, some starting with a dot: double each one.
                    let lfs = memchr::memchr_iter(b'\n', &chunk[pos..end]);
                    for dot in lfs.map(|lf| pos + lf + 1).filter(|&d| chunk[d] == b'.') {
                        out.push_back(chunk.slice(span..dot));
                        out.push_back(DOT);
                        pushed += dot - span + 1;
                        span = dot;
                        doubled = Some(dot);
                    }
                }
                pos = end;
                continue;
            }
            if self.policy == LineEndings::Reject {
                out.truncate(before);
                return None;
            }
            // The exact walk starts on a CR's line end, never between CR and LF.
            // (Cutting just after the LF instead is as good: mutants that move the cut
            // there are equivalent.)
            let cut = if pos > 0 && chunk[pos - 1] == b'\r' {
                pos - 1
            } else {
                pos
            };
            if span < cut {
                out.push_back(chunk.slice(span..cut));
                pushed += cut - span;
            }
            // A dot already doubled is not doubled again.
            let at_line_start = match cut.checked_sub(1) {
                Some(p) => chunk[p] == b'\n',
                None => self.at_line_start,
            };
            self.at_line_start = at_line_start && doubled != Some(cut);
            let resume = resume_point(chunk, end, stuff);
            pushed += self.walk(&chunk.slice(cut..resume), stuff, out);
            (span, pos) = (resume, resume);
        }
        // When the exact walk took the chunk to its end it also set the state; the
        // assignments below would set the same, so `span <= len` is equivalent.
        if span < len {
            let held_cr = chunk[len - 1] == b'\r';
            let end = len - usize::from(held_cr);
            if span < end {
                out.push_back(chunk.slice(span..end));
                pushed += end - span;
            }
            self.pending_cr = held_cr;
            self.at_line_start = chunk[len - 1] == b'\n';
        }
        Some(pushed)
    }

    /// Normalises `chunk` (and dot-stuffs when `stuff`), pushing pieces; returns the
    /// number of bytes pushed.
    fn walk(&mut self, chunk: &Bytes, stuff: bool, out: &mut VecDeque<Bytes>) -> usize {
        let mut pushed = 0;
        let mut emit = |piece: Bytes, out: &mut VecDeque<Bytes>| {
            pushed += piece.len();
            if !piece.is_empty() {
                out.push_back(piece);
            }
        };
        let len = chunk.len();
        let (mut pos, mut span) = (0, 0);
        if self.pending_cr && len > 0 {
            // The held CR pairs with a leading LF, or was bare: either way, one CRLF.
            self.pending_cr = false;
            emit(CRLF, out);
            if chunk[0] == b'\n' {
                pos = 1;
                span = 1;
            }
            self.at_line_start = true;
        }
        loop {
            if stuff && self.at_line_start && chunk.get(pos) == Some(&b'.') {
                // RFC 5321 §4.5.2: double a leading dot.
                emit(chunk.slice(span..pos), out);
                emit(DOT, out);
                span = pos;
            }
            let Some(rel) = memchr::memchr2(b'\r', b'\n', &chunk[pos..]) else {
                if pos < len {
                    self.at_line_start = false;
                }
                emit(chunk.slice(span..len), out);
                return pushed;
            };
            let i = pos + rel;
            if chunk[i] == b'\r' && chunk.get(i + 1) == Some(&b'\n') {
                pos = i + 2; // a proper CRLF stays inside the span
            } else if chunk[i] == b'\r' && i + 1 == len {
                emit(chunk.slice(span..i), out);
                self.pending_cr = true;
                self.at_line_start = false;
                return pushed;
            } else {
                // A bare CR or bare LF becomes CRLF (rule 3).
                emit(chunk.slice(span..i), out);
                emit(CRLF, out);
                pos = i + 1;
                span = pos;
            }
            self.at_line_start = true;
        }
    }

    /// Ends the last line: a body that does not end in CRLF gets one (a CR held at
    /// its end becomes that CRLF); returns the bytes pushed.
    fn end_line(&mut self, out: &mut VecDeque<Bytes>) -> usize {
        // A held CR always left `at_line_start` false.
        let pushed = if self.at_line_start {
            0
        } else {
            out.push_back(CRLF);
            2
        };
        self.pending_cr = false;
        self.at_line_start = true;
        pushed
    }
}

/// Streaming DATA payload encoder: CRLF normalisation, dot-stuffing, and the
/// `CRLF . CRLF` terminator. State carries across chunk boundaries, so no chunking of
/// the input can produce `CRLF . CRLF` before [`DataEncoder::finish`].
#[derive(Debug, Clone)]
pub struct DataEncoder {
    lines: Lines,
    encoded: u64,
}

impl DataEncoder {
    /// A new encoder at the start of the message (the start is a line start).
    #[must_use]
    pub fn new(policy: LineEndings) -> DataEncoder {
        DataEncoder {
            lines: Lines::new(policy),
            encoded: 0,
        }
    }

    /// Encodes one chunk, pushing pieces to `out`. Under `Reject`, a chunk with a bare
    /// line ending returns an error and pushes nothing (state unchanged).
    pub fn encode(&mut self, chunk: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), DataError> {
        self.encoded += self.lines.encode(&chunk, true, out)? as u64;
        Ok(())
    }

    /// Under `Reject`, whether the body as given so far may end here (a CR at its very
    /// end is bare). `finish` itself never fails: it normalises what is left.
    pub fn check_finish(&self) -> Result<(), DataError> {
        if self.lines.policy == LineEndings::Reject && self.lines.pending_cr {
            return Err(DataError::BareLineEnding { offset: 0 });
        }
        Ok(())
    }

    /// Pushes what ends the data: a CRLF if the body did not end with one (a held CR
    /// becomes that CRLF), then `.\r\n`.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) {
        self.encoded += self.lines.end_line(out) as u64;
        out.push_back(END);
        self.encoded += 3;
    }

    /// Bytes pushed to `out` so far.
    pub fn encoded_len(&self) -> u64 {
        self.encoded
    }
}

/// Line-ending normaliser for BDAT chunks (no dot-stuffing, no terminator). A
/// BINARYMIME body passes untouched. A CR at the end of a chunk is held back until the
/// next byte shows whether it was half of a CRLF, so chunk lengths count only bytes
/// actually pushed.
#[derive(Debug, Clone)]
pub struct BdatEncoder {
    lines: Lines,
    binary: bool,
}

impl BdatEncoder {
    /// A new normaliser; `binary` = BINARYMIME (bytes untouched, policy ignored).
    #[must_use]
    pub fn new(policy: LineEndings, binary: bool) -> BdatEncoder {
        BdatEncoder {
            lines: Lines::new(policy),
            binary,
        }
    }

    /// Normalises one chunk, pushing its pieces to `out` and returning how many bytes
    /// were pushed. Errors as [`DataEncoder::encode`].
    pub fn encode(&mut self, chunk: Bytes, out: &mut VecDeque<Bytes>) -> Result<usize, DataError> {
        if self.binary {
            let n = chunk.len();
            if n > 0 {
                out.push_back(chunk);
            }
            return Ok(n);
        }
        self.lines.encode(&chunk, false, out)
    }

    /// Under `Reject`, whether the body may end here (a held CR is bare); `finish`
    /// itself never fails.
    pub fn check_finish(&self) -> Result<(), DataError> {
        if !self.binary && self.lines.policy == LineEndings::Reject && self.lines.pending_cr {
            return Err(DataError::BareLineEnding { offset: 0 });
        }
        Ok(())
    }

    /// Ends the body and returns how many bytes it pushed: a held CR becomes CRLF,
    /// and a non-empty body that does not end in CRLF gets one, so the message is the
    /// same as under DATA whether or not the server offers CHUNKING. A BINARYMIME body
    /// goes byte for byte: nothing is added.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) -> usize {
        if self.binary {
            return 0;
        }
        self.lines.end_line(out)
    }

    /// Appends the `BDAT n[ LAST]\r\n` line (RFC 3030 §2) to `out`.
    pub fn frame(size: u64, last: bool, out: &mut alloc::vec::Vec<u8>) {
        out.extend_from_slice(b"BDAT ");
        push_decimal(size, out);
        if last {
            out.extend_from_slice(b" LAST");
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// Appends `n` in decimal, without allocating.
fn push_decimal(mut n: u64, out: &mut alloc::vec::Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    fn data(chunks: &[&[u8]], policy: LineEndings) -> Result<Vec<u8>, DataError> {
        let mut enc = DataEncoder::new(policy);
        let mut out = VecDeque::new();
        for c in chunks {
            enc.encode(Bytes::copy_from_slice(c), &mut out)?;
        }
        enc.finish(&mut out);
        let v: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(v.len() as u64, enc.encoded_len());
        Ok(v)
    }

    fn d(chunks: &[&[u8]]) -> Vec<u8> {
        data(chunks, LineEndings::Normalize).unwrap()
    }

    #[test]
    fn stuffs_leading_dots_everywhere() {
        assert_eq!(d(&[b".a\r\n"]), b"..a\r\n.\r\n");
        assert_eq!(d(&[b"a\r\n.b\r\n"]), b"a\r\n..b\r\n.\r\n");
        assert_eq!(d(&[b"a\n.b"]), b"a\r\n..b\r\n.\r\n");
        assert_eq!(d(&[b"a\r.b"]), b"a\r\n..b\r\n.\r\n");
        assert_eq!(d(&[b"a\r\n.\r\nb"]), b"a\r\n..\r\nb\r\n.\r\n");
        assert_eq!(d(&[b"a.b"]), b"a.b\r\n.\r\n");
    }

    #[test]
    fn stuffing_survives_every_split() {
        let body = b"x\r\n.\r\ny";
        for k in 0..=body.len() {
            assert_eq!(
                d(&[&body[..k], &body[k..]]),
                b"x\r\n..\r\ny\r\n.\r\n",
                "split at {k}"
            );
        }
    }

    #[test]
    fn normalises_bare_line_endings() {
        assert_eq!(d(&[b"a\nb\rc\r\n"]), b"a\r\nb\r\nc\r\n.\r\n");
        assert_eq!(d(&[b"a\r", b"\nb"]), b"a\r\nb\r\n.\r\n");
        assert_eq!(d(&[b"a\r", b"b"]), b"a\r\nb\r\n.\r\n");
        assert_eq!(d(&[b"a\r"]), b"a\r\n.\r\n");
        assert_eq!(d(&[b"a\r\r\n"]), b"a\r\n\r\n.\r\n");
    }

    #[test]
    fn empty_body_is_only_the_terminator() {
        assert_eq!(d(&[]), b".\r\n");
        assert_eq!(d(&[b""]), b".\r\n");
        assert_eq!(d(&[b"\r\n"]), b"\r\n.\r\n");
    }

    #[test]
    fn reject_refuses_before_output_and_keeps_state() {
        let mut enc = DataEncoder::new(LineEndings::Reject);
        let mut out = VecDeque::new();
        enc.encode(Bytes::from_static(b"ok\r"), &mut out).unwrap();
        let before = out.len();
        assert_eq!(
            enc.encode(Bytes::from_static(b"x"), &mut out),
            Err(DataError::BareLineEnding { offset: 0 })
        );
        assert_eq!(out.len(), before);
        assert_eq!(
            enc.encode(Bytes::from_static(b"a\nb"), &mut out),
            Err(DataError::BareLineEnding { offset: 0 })
        );
        enc.encode(Bytes::from_static(b"\nb"), &mut out).unwrap();
        assert_eq!(
            enc.encode(Bytes::from_static(b"ab\rc"), &mut out),
            Err(DataError::BareLineEnding { offset: 2 })
        );
        assert_eq!(
            data(&[b"a\nb"], LineEndings::Reject),
            Err(DataError::BareLineEnding { offset: 1 })
        );
        enc.encode(Bytes::from_static(b"\r"), &mut out).unwrap();
        assert!(enc.check_finish().is_err());
    }

    #[test]
    fn reject_finds_the_bare_ending_after_good_ones() {
        // A chunk with work leaves the fast path; the exact scan must not call a CR
        // before its LF, or an LF after its CR, bare.
        for (body, offset) in [
            (&b"a\r\nb\nc"[..], 4),
            (b"a\r\nb\rc", 4),
            (b"..\r\nx\ry", 5),
        ] {
            assert_eq!(
                data(&[body], LineEndings::Reject),
                Err(DataError::BareLineEnding { offset }),
                "{body:?}"
            );
        }
        assert!(data(&[b"a\r\n.b\r\n"], LineEndings::Reject).is_ok());
    }

    #[test]
    fn check_finish_refuses_only_a_held_cr_under_reject() {
        let mut enc = DataEncoder::new(LineEndings::Reject);
        let mut out = VecDeque::new();
        enc.encode(Bytes::from_static(b"ok\r\n"), &mut out).unwrap();
        assert!(enc.check_finish().is_ok(), "nothing held");
        let mut normal = DataEncoder::new(LineEndings::Normalize);
        normal
            .encode(Bytes::from_static(b"ok\r"), &mut out)
            .unwrap();
        assert!(
            normal.check_finish().is_ok(),
            "Normalize turns the CR into CRLF"
        );
        let mut bdat = BdatEncoder::new(LineEndings::Reject, false);
        bdat.encode(Bytes::from_static(b"ok\r\n"), &mut out)
            .unwrap();
        assert!(bdat.check_finish().is_ok());
        bdat.encode(Bytes::from_static(b"x\r"), &mut out).unwrap();
        assert!(bdat.check_finish().is_err());
        let mut binary = BdatEncoder::new(LineEndings::Reject, true);
        binary.encode(Bytes::from_static(b"x\r"), &mut out).unwrap();
        assert!(
            binary.check_finish().is_ok(),
            "BINARYMIME bytes are not line endings"
        );
    }

    #[test]
    fn finish_counts_the_crlf_it_adds() {
        for (body, added) in [(&b"abc\r"[..], 2), (b"abc", 2), (b"abc\r\n", 0), (b"", 0)] {
            let mut enc = BdatEncoder::new(LineEndings::Normalize, false);
            let mut out = VecDeque::new();
            let n = enc.encode(Bytes::copy_from_slice(body), &mut out).unwrap();
            let before: usize = out.iter().map(Bytes::len).sum();
            assert_eq!(before, n);
            assert_eq!(enc.finish(&mut out), added, "{body:?}");
            let after: usize = out.iter().map(Bytes::len).sum();
            assert_eq!(after - before, added, "{body:?}");
        }
    }

    #[test]
    fn clean_spans_are_not_copied() {
        let input = Bytes::from(b"hello world\r\nsecond line\r\n".to_vec());
        let mut enc = DataEncoder::new(LineEndings::Normalize);
        let mut out = VecDeque::new();
        enc.encode(input.clone(), &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].as_ptr(), input.as_ptr());
        // Many blocks of clean text: still one uncopied piece (the fast path).
        let line = b"Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusm\r\n";
        let long = Bytes::from(line.repeat(100));
        let mut out = VecDeque::new();
        DataEncoder::new(LineEndings::Normalize)
            .encode(long.clone(), &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!((out[0].as_ptr(), out[0].len()), (long.as_ptr(), long.len()));
        // A dotted line in the middle: the text before it, the added dot, the rest.
        let mut dotted = line.repeat(50);
        dotted.extend_from_slice(b".");
        dotted.extend_from_slice(&line.repeat(50));
        let dotted = Bytes::from(dotted);
        let mut out = VecDeque::new();
        DataEncoder::new(LineEndings::Normalize)
            .encode(dotted.clone(), &mut out)
            .unwrap();
        let lens: Vec<usize> = out.iter().map(Bytes::len).collect();
        assert_eq!(lens, [50 * line.len(), 1, 50 * line.len() + 1]);
        assert_eq!(out[2].as_ptr(), dotted[50 * line.len()..].as_ptr());
    }

    #[test]
    fn bdat_counts_normalised_bytes_and_holds_cr() {
        let mut enc = BdatEncoder::new(LineEndings::Normalize, false);
        let mut out = VecDeque::new();
        assert_eq!(
            enc.encode(Bytes::from_static(b".a\n"), &mut out).unwrap(),
            4
        );
        assert_eq!(enc.encode(Bytes::from_static(b"b\r"), &mut out).unwrap(), 1);
        assert_eq!(enc.encode(Bytes::from_static(b"\nc"), &mut out).unwrap(), 3);
        assert_eq!(enc.finish(&mut out), 2);
        let v: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(v, b".a\r\nb\r\nc\r\n");
        let mut bin = BdatEncoder::new(LineEndings::Reject, true);
        assert_eq!(
            bin.encode(Bytes::from_static(b"a\nb\r"), &mut out).unwrap(),
            4
        );
        let mut frame = Vec::new();
        BdatEncoder::frame(42, true, &mut frame);
        BdatEncoder::frame(7, false, &mut frame);
        assert_eq!(frame, b"BDAT 42 LAST\r\nBDAT 7\r\n");
    }

    /// The reference decoder: split on CRLF, stop at the lone ".", strip one leading dot.
    fn unstuff(wire: &[u8]) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut rest = wire;
        loop {
            let i = rest.windows(2).position(|w| w == b"\r\n")?;
            let line = &rest[..i];
            rest = &rest[i + 2..];
            if line == b"." {
                return rest.is_empty().then_some(out);
            }
            out.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
            out.extend_from_slice(b"\r\n");
        }
    }

    fn normalise(body: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < body.len() {
            match body[i] {
                b'\r' if body.get(i + 1) == Some(&b'\n') => {
                    out.extend_from_slice(b"\r\n");
                    i += 1;
                }
                b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
                b => out.push(b),
            }
            i += 1;
        }
        out
    }

    fn chunked(body: &[u8], cuts: &[usize]) -> Vec<Bytes> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
        cuts.sort_unstable();
        let mut prev = 0;
        let mut v = Vec::new();
        for c in cuts.into_iter().chain(core::iter::once(body.len())) {
            v.push(Bytes::copy_from_slice(&body[prev..c]));
            prev = c;
        }
        v
    }

    /// Short bodies of troublesome bytes, and long ones of mostly well-formed lines
    /// (several of the fast path's blocks) with the occasional dot or bare ending.
    fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
        let bytes = proptest::collection::vec(
            prop_oneof![
                Just(b'\r'),
                Just(b'\n'),
                Just(b'.'),
                Just(b'a'),
                any::<u8>()
            ],
            0..200,
        );
        let line = (0..120usize).prop_map(|n| [&b"x".repeat(n)[..], b"\r\n"].concat());
        let piece = prop_oneof![
            20 => line,
            1 => Just(b".\r\n".to_vec()),
            1 => Just(b"..".to_vec()),
            1 => Just(b"\n".to_vec()),
            1 => Just(b"\r".to_vec()),
            1 => Just(b"\r\r\n".to_vec()),
        ];
        let lines = proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat());
        prop_oneof![bytes, lines]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

        #[test]
        fn data_round_trips_for_any_chunking(body in body_strategy(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
            let mut enc = DataEncoder::new(LineEndings::Normalize);
            let mut out = VecDeque::new();
            for c in chunked(&body, &cuts) {
                enc.encode(c, &mut out).unwrap();
            }
            enc.finish(&mut out);
            prop_assert!(out.iter().all(|p| !p.is_empty()), "an empty piece");
            let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
            let whole = d(&[&body]);
            prop_assert_eq!(&wire, &whole);
            let mut expected = normalise(&body);
            if !expected.is_empty() && !expected.ends_with(b"\r\n") {
                expected.extend_from_slice(b"\r\n");
            }
            prop_assert_eq!(unstuff(&wire), Some(expected));
            let mut framed = b"\r\n".to_vec();
            framed.extend_from_slice(&wire);
            let ends = framed.windows(5).filter(|w| *w == b"\r\n.\r\n").count();
            prop_assert_eq!(ends, 1);
            prop_assert!(framed.ends_with(b"\r\n.\r\n"));
        }

        #[test]
        fn bdat_is_normalised_body_for_any_chunking(body in body_strategy(), cuts in proptest::collection::vec(any::<usize>(), 0..8)) {
            let mut enc = BdatEncoder::new(LineEndings::Normalize, false);
            let mut out = VecDeque::new();
            let mut total = 0;
            for c in chunked(&body, &cuts) {
                let before: usize = out.iter().map(Bytes::len).sum();
                let n = enc.encode(c, &mut out).unwrap();
                let after: usize = out.iter().map(Bytes::len).sum();
                prop_assert_eq!(after - before, n);
                total += n;
            }
            total += enc.finish(&mut out);
            prop_assert!(out.iter().all(|p| !p.is_empty()), "an empty piece");
            let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
            prop_assert_eq!(wire.len(), total);
            let mut expected = normalise(&body);
            if !expected.is_empty() && !expected.ends_with(b"\r\n") {
                expected.extend_from_slice(b"\r\n");
            }
            prop_assert_eq!(wire, expected);
            let mut bin = BdatEncoder::new(LineEndings::Normalize, true);
            let mut bout = VecDeque::new();
            for c in chunked(&body, &cuts) {
                bin.encode(c, &mut bout).unwrap();
            }
            prop_assert!(bout.iter().all(|p| !p.is_empty()), "an empty binary piece");
            let raw: Vec<u8> = bout.iter().flat_map(|b| b.iter().copied()).collect();
            prop_assert_eq!(raw, body);
        }
    }
}
