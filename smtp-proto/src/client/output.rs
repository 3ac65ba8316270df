//! The engine-owned output queue (decision 2): command bytes are coalesced into
//! one buffer, body spans that need no stuffing are the caller's own `Bytes`, and the
//! driver sees all of it through a borrowed [`Transmit`] view.

use alloc::collections::VecDeque;
use bytes::{Buf, Bytes, BytesMut};

use crate::command::Command;

/// Bytes waiting to be written, in order. Its `Debug` shows sizes only: the bytes
/// include AUTH lines, whose base64 carries passwords and tokens.
#[derive(Default)]
pub(crate) struct OutputQueue {
    /// Frozen pieces, oldest first; the tail buffer follows them.
    pieces: VecDeque<Bytes>,
    /// Command bytes not yet frozen (coalesced so a pipelined flight is one write).
    tail: BytesMut,
    /// Total bytes ever queued.
    queued: u64,
    /// Total bytes ever transmitted.
    sent: u64,
    /// Scratch for encoding one command line.
    line: alloc::string::String,
}

impl core::fmt::Debug for OutputQueue {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("OutputQueue")
            .field("pieces", &self.pieces.len())
            .field("tail_len", &self.tail.len())
            .field("queued", &self.queued)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl OutputQueue {
    /// Appends an encoded command line.
    pub(crate) fn push_command(&mut self, cmd: &Command) {
        // One reused line buffer: no allocation per command once it has grown.
        self.line.clear();
        cmd.encode_unchecked(&mut self.line);
        self.tail.extend_from_slice(self.line.as_bytes());
        self.queued += self.line.len() as u64;
    }

    /// Appends bytes the engine produced (copied into the coalescing buffer).
    pub(crate) fn push_raw(&mut self, bytes: &[u8]) {
        self.tail.extend_from_slice(bytes);
        self.queued += bytes.len() as u64;
    }

    /// Appends message bytes (a slice of the caller's buffer, or a static piece).
    pub(crate) fn push_body(&mut self, piece: Bytes) {
        if piece.is_empty() {
            return;
        }
        if piece.len() <= 8 {
            // Tiny inserted pieces (".", CRLF) are cheaper coalesced than queued.
            self.tail.extend_from_slice(&piece);
        } else {
            self.freeze_tail();
            self.queued += piece.len() as u64;
            self.pieces.push_back(piece);
            return;
        }
        self.queued += piece.len() as u64;
    }

    fn freeze_tail(&mut self) {
        if !self.tail.is_empty() {
            let t = self.tail.split().freeze();
            self.pieces.push_back(t);
        }
    }

    /// Total bytes ever queued (a position in the output stream).
    pub(crate) fn queued(&self) -> u64 {
        self.queued
    }

    /// Total bytes ever transmitted.
    pub(crate) fn sent(&self) -> u64 {
        self.sent
    }

    /// Bytes waiting.
    pub(crate) fn len(&self) -> usize {
        (self.queued - self.sent) as usize
    }

    /// Drops everything queued and not yet written (after a fatal error).
    pub(crate) fn clear(&mut self) {
        self.pieces.clear();
        self.tail.clear();
        self.sent = self.queued;
    }

    /// Marks `n` bytes from the front as written; returns how many were (at most
    /// what was queued).
    pub(crate) fn advance(&mut self, n: usize) -> usize {
        let mut left = n.min(self.len());
        let done = left;
        while left > 0 {
            let take = if let Some(front) = self.pieces.front_mut() {
                let take = left.min(front.len());
                front.advance(take);
                if front.is_empty() {
                    self.pieces.pop_front();
                }
                take
            } else {
                let take = left.min(self.tail.len());
                self.tail.advance(take);
                take
            };
            left -= take;
        }
        self.sent += done as u64;
        done
    }

    /// The view handed to the driver.
    pub(crate) fn view(&self) -> Transmit<'_> {
        Transmit { queue: self }
    }
}

/// Borrowed view of the bytes waiting to be written. Write some, then tell the engine
/// how many with `Client::transmitted`.
#[derive(Debug, Clone, Copy)]
pub struct Transmit<'a> {
    queue: &'a OutputQueue,
}

impl<'a> Transmit<'a> {
    /// The first contiguous run of waiting bytes (empty when nothing waits).
    pub fn chunk(&self) -> &'a [u8] {
        match self.queue.pieces.front() {
            Some(p) => p,
            None => &self.queue.tail,
        }
    }

    /// Total bytes waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// True when nothing waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `dst` with slices of the waiting bytes for a gather write, returning how
    /// many were filled.
    #[cfg(feature = "std")]
    pub fn io_slices<'s>(&self, dst: &mut [std::io::IoSlice<'s>]) -> usize
    where
        'a: 's,
    {
        let q = self.queue;
        let runs = q
            .pieces
            .iter()
            .map(|p| &p[..])
            .chain(core::iter::once(&q.tail[..]));
        let mut n = 0;
        for (slot, run) in dst.iter_mut().zip(runs.filter(|r| !r.is_empty())) {
            *slot = std::io::IoSlice::new(run);
            n += 1;
        }
        n
    }

    /// Copies every waiting byte into a vector (for tests and simple drivers).
    pub fn to_vec(&self) -> alloc::vec::Vec<u8> {
        let q = self.queue;
        let mut v = alloc::vec::Vec::with_capacity(q.len());
        for p in &q.pieces {
            v.extend_from_slice(p);
        }
        v.extend_from_slice(&q.tail);
        v
    }
}
