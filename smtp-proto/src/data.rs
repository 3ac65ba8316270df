//! Message data encoders — RFC 5321 §4.1.1.4 (DATA, end of data), §4.5.2
//! (transparency: dot-stuffing), §2.3.8 (lines end in CRLF); RFC 3030 §2 (BDAT
//! chunks, no stuffing) and §3 (BINARYMIME: bytes untouched).
//!
//! Output goes to the caller's queue as `Bytes` pieces: spans that need no change are
//! slices of the input `Bytes` (no copy); inserted bytes are static pieces.
//!
//! SKELETON: signatures are the contract other modules code against.

use alloc::collections::VecDeque;
use bytes::Bytes;

/// What to do with a CR or LF that is not part of a CRLF pair (DESIGN rule 3).
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

/// Streaming DATA payload encoder: CRLF normalisation, dot-stuffing, and the
/// `CRLF . CRLF` terminator. State carries across chunk boundaries, so no chunking of
/// the input can produce `CRLF . CRLF` before [`DataEncoder::finish`].
#[derive(Debug, Clone)]
pub struct DataEncoder {
    _private: (),
}

impl DataEncoder {
    /// A new encoder at the start of the message (the start is a line start).
    #[must_use]
    pub fn new(policy: LineEndings) -> DataEncoder {
        let _ = policy;
        todo!()
    }
    /// Encodes one chunk, pushing pieces to `out`. Under `Reject`, a chunk with a bare
    /// line ending returns an error and pushes nothing (state unchanged).
    pub fn encode(&mut self, chunk: Bytes, out: &mut VecDeque<Bytes>) -> Result<(), DataError> {
        let _ = (chunk, out);
        todo!()
    }
    /// Pushes what ends the data: a CRLF if the body did not end with one (or a pending
    /// CR's LF), then `.\r\n`. The encoder is then done.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) {
        let _ = out;
        todo!()
    }
    /// Bytes pushed to `out` so far.
    pub fn encoded_len(&self) -> u64 {
        todo!()
    }
}

/// Line-ending normaliser for BDAT chunks (no dot-stuffing, no terminator). A
/// BINARYMIME body passes untouched. A CR at the end of a chunk is held back until the
/// next byte shows whether it was half of a CRLF, so chunk lengths count only bytes
/// actually pushed.
#[derive(Debug, Clone)]
pub struct BdatEncoder {
    _private: (),
}

impl BdatEncoder {
    /// A new normaliser; `binary` = BINARYMIME (bytes untouched, policy ignored).
    #[must_use]
    pub fn new(policy: LineEndings, binary: bool) -> BdatEncoder {
        let _ = (policy, binary);
        todo!()
    }
    /// Normalises one chunk, pushing its pieces to `out` and returning how many bytes
    /// were pushed. Errors as [`DataEncoder::encode`].
    pub fn encode(&mut self, chunk: Bytes, out: &mut VecDeque<Bytes>) -> Result<usize, DataError> {
        let _ = (chunk, out);
        todo!()
    }
    /// Pushes whatever is held back (a pending CR becomes CRLF) and returns its length.
    pub fn finish(&mut self, out: &mut VecDeque<Bytes>) -> usize {
        let _ = out;
        todo!()
    }
    /// Appends the `BDAT n[ LAST]\r\n` line (RFC 3030 §2) to `out`.
    pub fn frame(size: u64, last: bool, out: &mut alloc::vec::Vec<u8>) {
        let _ = (size, last, out);
        todo!()
    }
}
