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

/// Byte pairs the fast path checks in one branch-free pass. A block with a bad line
/// ending goes to the exact walk whole: bigger blocks merge their flags less often,
/// smaller ones walk less text around a bad ending.
const PLAIN_BLOCK: usize = 2048;

/// Pairs checked side by side: each lane position keeps its own flag, so the
/// compiler keeps them in vector registers and merges them once per block.
const LANES: usize = 128;

/// Whether the pair (`a`, `b`) is a line ending that needs work: a CR not followed by
/// LF, or an LF not after a CR. All ones if so (what a vector compare gives), else 0.
fn bad_pair(a: u8, b: u8) -> u8 {
    u8::from((a == b'\r') != (b == b'\n')).wrapping_neg()
}

/// Whether a byte pair of `w` (each byte but the last, with the next one) is a
/// [`bad_pair`]: groups of [`LANES`] pairs, then of [`SHORT_LANES`] (the end of a
/// chunk, a short chunk), then one by one. No early exit, so the loops compile to
/// vector instructions (about 0.4 instructions a byte with SSE2). Saying `true` for a
/// plain block only sends it to the exact walk, which gives the same bytes: mutants
/// that over-report (`true`, a `bad_pair` always all ones) are equivalent.
fn endings_work(w: &[u8]) -> bool {
    let (first, second) = (&w[..w.len() - 1], &w[1..]);
    let (wide, n) = lanes_work::<LANES>(first, second);
    let (short, m) = lanes_work::<SHORT_LANES>(&first[n..], &second[n..]);
    let rest = first[n + m..].iter().zip(&second[n + m..]);
    let rest = rest.fold(0, |acc, (&a, &b)| acc | bad_pair(a, b));
    (wide | short | rest) != 0
}

/// Lanes for what is left after the groups of [`LANES`].
const SHORT_LANES: usize = 16;

/// The [`bad_pair`]s of (`first[i]`, `second[i]`) merged, over the whole groups of `N`
/// pairs at their start; and how many pairs that was. (Answering `(0, 0)` is an
/// equivalent mutant: the pairs one by one then cover them all, only slower.)
fn lanes_work<const N: usize>(first: &[u8], second: &[u8]) -> (u8, usize) {
    let mut lanes = [0u8; N];
    for (a, b) in first.chunks_exact(N).zip(second.chunks_exact(N)) {
        let (a, b): (&[u8; N], &[u8; N]) = (a.try_into().unwrap(), b.try_into().unwrap());
        lanes = core::array::from_fn(|i| lanes[i] | bad_pair(a[i], b[i]));
    }
    let merged = lanes.iter().fold(0, |acc, &l| acc | l);
    (merged, first.len() - first.len() % N)
}

/// Where the fast path's plain run from `pos` (`pos` before the last index of `chunk`)
/// ends: the start of the first block of [`PLAIN_BLOCK`] pairs, counted from `pos`,
/// whose line endings need work, or the last index if none does. Every pair
/// starting before the answer is well formed.
fn plain_until(chunk: &[u8], mut pos: usize) -> usize {
    let last = chunk.len() - 1;
    while pos < last {
        let end = (pos + PLAIN_BLOCK).min(last);
        if endings_work(&chunk[pos..=end]) {
            return pos;
        }
        pos = end;
    }
    last
}

/// Dots that start no line, found by [`DotLines`] before it changes method.
const SPARSE_MISSES: usize = 8;

/// The dots of `hay` just after an LF (lines starting with a dot, RFC 5321 §4.5.2),
/// as ascending offsets into `hay`, whose first byte is not an LF. Dots are looked
/// for with `memchr` first, the fastest search there is when dots are rare (as in
/// base64); once [`SPARSE_MISSES`] of them start no line (prose), the rest goes to
/// `memmem` for the pair "\n.", whose speed does not depend on how many dots there
/// are. Either way finds the same dots: when the switch happens changes only the
/// speed, so mutants of the `misses` count and its comparison are equivalent.
struct DotLines<'h> {
    hay: &'h [u8],
    /// Where the search goes on; the byte before it is never an LF with a dot after
    /// it not yet found. (A dot at 0 has no LF before it in `hay`.)
    at: usize,
    /// Dots found so far that start no line.
    misses: usize,
    /// The `memmem` search, once started, and the offset it started at.
    dense: Option<(usize, memchr::memmem::FindIter<'h, 'static>)>,
}

impl<'h> DotLines<'h> {
    /// A search of all of `hay`.
    fn new(hay: &'h [u8]) -> DotLines<'h> {
        DotLines {
            hay,
            at: 1,
            misses: 0,
            dense: None,
        }
    }
}

impl Iterator for DotLines<'_> {
    type Item = usize;

    fn next(&mut self) -> Option<usize> {
        while self.dense.is_none() {
            if self.misses == SPARSE_MISSES {
                // `at` is just after a dot, not an LF: no pair is cut.
                let rest = memchr::memmem::find_iter(&self.hay[self.at..], b"\n.");
                self.dense = Some((self.at, rest));
                break;
            }
            let dot = self.at + memchr::memchr(b'.', self.hay.get(self.at..)?)?;
            self.at = dot + 1;
            if self.hay[dot - 1] == b'\n' {
                return Some(dot);
            }
            self.misses += 1;
        }
        let (base, lfs) = self.dense.as_mut()?;
        lfs.next().map(|lf| *base + lf + 1)
    }
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
    /// gives the same bytes, only slower): a chunk's line endings are checked in
    /// blocks of [`PLAIN_BLOCK`] pairs by a branch-free pass (which the compiler
    /// vectorises), and the run of blocks whose lines all end in CRLF stays in the
    /// span being passed through uncopied, cut only to double the dots that
    /// [`DotLines`] finds at its line starts. A block with bad endings goes to the
    /// exact [`walk`](Lines::walk) up to the next line end, and the fast pass resumes
    /// there. `None` (nothing pushed, state unchanged) sends the chunk to the exact
    /// walk whole: a CR held from the previous chunk, an LF first, or under `Reject`
    /// any block with bad endings, so that a refused chunk pushes nothing.
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
        // (Entering once more with `pos + 1 == len`, as `<=` or `pos * 1 < len` would,
        // finds nothing and breaks below: equivalent mutants.)
        while pos + 1 < len {
            let work = plain_until(chunk, pos);
            // Well-formed lines up to `work`, some starting with a dot: double each
            // (RFC 5321 §4.5.2).
            let dots = DotLines::new(if stuff { &chunk[pos..=work] } else { &[] });
            for dot in dots.map(|d| pos + d) {
                out.push_back(chunk.slice(span..dot));
                out.push_back(DOT);
                pushed += dot - span + 1;
                span = dot;
                doubled = Some(dot);
            }
            pos = work;
            if pos + 1 == len {
                break;
            }
            // The bad block's end, where the exact walk looks for its resume point.
            // Any `end` from `pos` to `len` gives the same bytes (the walk and the
            // fast pass agree; a shorter walk only sends the fast pass over the block
            // again): mutants of this line are equivalent.
            let end = (pos + PLAIN_BLOCK).min(len - 1);
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

    /// What DATA must send for `body`, byte by byte: normalised line endings, a final
    /// CRLF, each line's leading dot doubled, then the terminator.
    fn reference_data(body: &[u8]) -> Vec<u8> {
        let mut text = normalise(body);
        if !text.is_empty() && !text.ends_with(b"\r\n") {
            text.extend_from_slice(b"\r\n");
        }
        let mut out = Vec::new();
        let mut line_start = true;
        for &b in &text {
            if line_start && b == b'.' {
                out.push(b'.');
            }
            out.push(b);
            line_start = b == b'\n';
        }
        out.extend_from_slice(b".\r\n");
        out
    }

    /// Under `Reject`, where the first bare CR or LF of `body` (one chunk) is.
    fn reference_bare(body: &[u8]) -> Option<usize> {
        (0..body.len()).find(|&i| match body[i] {
            b'\r' => body.get(i + 1).is_some_and(|&b| b != b'\n'),
            b'\n' => i == 0 || body[i - 1] != b'\r',
            _ => false,
        })
    }

    /// Encodes `body` whole and split at `cut` under DATA, BDAT and `Reject`, and
    /// compares each with the byte-by-byte references.
    fn check_against_reference(body: &[u8], cut: usize) {
        let want = reference_data(body);
        assert_eq!(d(&[body]), want, "DATA whole, {body:?}");
        assert_eq!(d(&[&body[..cut], &body[cut..]]), want, "DATA cut at {cut}");
        let mut bdat = BdatEncoder::new(LineEndings::Normalize, false);
        let mut out = VecDeque::new();
        bdat.encode(Bytes::copy_from_slice(body), &mut out).unwrap();
        bdat.finish(&mut out);
        let wire: Vec<u8> = out.iter().flat_map(|b| b.iter().copied()).collect();
        let mut text = normalise(body);
        if !text.is_empty() && !text.ends_with(b"\r\n") {
            text.extend_from_slice(b"\r\n");
        }
        assert_eq!(wire, text, "BDAT, {body:?}");
        let rejected = data(&[body], LineEndings::Reject).err();
        let offset = reference_bare(body).map(|offset| DataError::BareLineEnding { offset });
        assert_eq!(rejected, offset, "Reject, {body:?}");
    }

    /// Well-formed 76-byte lines, `len` bytes of them (`len` a multiple of 76).
    fn clean_lines(len: usize) -> Vec<u8> {
        let line = [&b"y".repeat(74)[..], b"\r\n"].concat();
        line.repeat(len / 76)
    }

    #[test]
    fn line_endings_at_block_and_lane_edges() {
        // Each event written over clean text at offsets around the pair check's lane
        // edges and block edges (blocks counted from the chunk start).
        let events: [&[u8]; 8] = [
            b"\n",
            b"\r",
            b"\r\n",
            b"\r\n.",
            b"\n.",
            b"\r\r\n",
            b"\r\n\r\n",
            b"\r\n\n",
        ];
        let base = clean_lines(76 * (2 * PLAIN_BLOCK / 76 + 2));
        let edges = [0, LANES, 4 * LANES, PLAIN_BLOCK, 2 * PLAIN_BLOCK];
        for at in edges
            .into_iter()
            .flat_map(|edge| edge.saturating_sub(9)..edge + 9)
        {
            for ev in events {
                let mut body = base.clone();
                body[at..at + ev.len()].copy_from_slice(ev);
                check_against_reference(&body, at + 1);
            }
        }
        // A block of nothing but line ends, and one of bare LFs.
        check_against_reference(&b"\r\n".repeat(1500), 1024);
        check_against_reference(&b"\n".repeat(1500), 1024);
    }

    #[test]
    fn two_bad_endings_in_one_block_are_both_seen() {
        // Two bare LFs in the same lane, in different lanes, of wide lanes, short
        // lanes or the pairs one by one, or in two of those: no way of merging the
        // pair flags may let one cancel the other.
        let base = clean_lines(76 * (2 * LANES / 76 + 1)); // 2 lanes' worth, then a tail
        assert!(base.len() < PLAIN_BLOCK);
        // Pairs 0..2 * LANES in wide lanes, then 2 * SHORT_LANES in short ones, then 15
        // one by one.
        let short = 2 * LANES;
        let rest = short + 2 * SHORT_LANES;
        assert_eq!(base.len() - 1 - rest, 15);
        for (i, j) in [
            (10, 10 + LANES),
            (10, 20),
            (short + 4, short + 4 + SHORT_LANES),
            (short + 4, short + 14),
            (10, short + 4),
            (rest + 1, rest + 8),
            (short + 4, rest + 8),
            (0, LANES),
        ] {
            let mut body = base.clone();
            body[i + 1] = b'\n';
            body[j + 1] = b'\n';
            check_against_reference(&body, 1);
            assert_eq!(
                data(&[&body], LineEndings::Reject),
                Err(DataError::BareLineEnding { offset: i + 1 })
            );
        }
    }

    #[test]
    fn dotted_lines_among_many_other_dots() {
        // Dots that start no line, more than enough to change the search's method,
        // with dotted lines before, at and after the switch.
        for misses in 0..20 {
            let mut body = b"a".to_vec();
            body.extend_from_slice(&b".".repeat(misses));
            body.extend_from_slice(b"\r\n.b\r\n");
            for _ in 0..misses {
                body.extend_from_slice(b"c.d\r\n..\r\n");
            }
            body.extend_from_slice(b".\r\n.");
            check_against_reference(&body, body.len() / 2);
            // A dot for ".b", each "..", "." and the last "."; a CRLF; ".\r\n".
            assert_eq!(d(&[&body]).len(), body.len() + 1 + misses + 2 + 2 + 3);
        }
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
