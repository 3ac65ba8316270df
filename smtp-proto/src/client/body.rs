//! Streaming the message — RFC 5321 §4.1.1.4 and §4.5.2 (DATA, dot-stuffing, the
//! terminator), RFC 3030 §2 (BDAT chunks; rule 14: one chunk of look-ahead so
//! the last goes as `BDAT n LAST`), RFC 2033 §4.2 (LMTP replies after the data).

use alloc::collections::VecDeque;
use bytes::Bytes;

use super::expect::Purpose;
use super::transaction::Transaction;
use super::{Client, Event, Trace};
use crate::command::{Command, Verb};
use crate::data::{BdatEncoder, DataEncoder};
use crate::error::{Error, UsageError};
use crate::reply::Reply;
use crate::time::Instant;

/// How the body is being encoded.
#[derive(Debug)]
pub(super) enum BodyState {
    /// After DATA's 354.
    Data(DataEncoder),
    /// CHUNKING: the most recent chunk is held back until the next one or the end.
    Bdat(BdatBody),
}

#[derive(Debug)]
pub(super) struct BdatBody {
    enc: BdatEncoder,
    held: VecDeque<Bytes>,
    held_len: usize,
    /// BDAT replies not yet received.
    outstanding: usize,
    /// `end_body` was called but (without pipelining) a reply is still awaited.
    end_requested: bool,
}

impl Transaction {
    /// Ends the body phase, keeping the held-chunk queue's room for the next body.
    pub(super) fn drop_body(&mut self) {
        if let Some(BodyState::Bdat(mut b)) = self.body.take() {
            b.held.clear();
            self.bufs.held = b.held;
        }
    }
}

impl Client {
    /// Opens the body phase and tells the driver.
    pub(super) fn open_body(&mut self) {
        let policy = self.config.line_endings;
        let Some(tx) = self.tx.as_mut() else { return };
        tx.body = Some(if tx.chunking {
            BodyState::Bdat(BdatBody {
                enc: BdatEncoder::new(policy, tx.binary),
                held: core::mem::take(&mut tx.bufs.held),
                held_len: 0,
                outstanding: 0,
                end_requested: false,
            })
        } else {
            BodyState::Data(DataEncoder::new(policy))
        });
        self.emit(Event::BodyWanted);
    }

    /// How many body bytes [`body`](Client::body) takes now: 0 when no body is
    /// wanted, or while the output queue is full (backpressure).
    #[must_use]
    pub fn body_capacity(&self) -> usize {
        let Some(tx) = self.tx.as_ref() else { return 0 };
        let max = self.config.max_pending_body;
        match &tx.body {
            None => 0,
            Some(BodyState::Data(_)) => max.saturating_sub(self.out.len()),
            Some(BodyState::Bdat(b)) => {
                if b.end_requested || (!tx.pipelined && b.outstanding > 0) {
                    0
                } else {
                    max.saturating_sub(self.out.len() + b.held_len)
                        .min(self.config.max_bdat_chunk)
                }
            }
        }
    }

    /// Takes a prefix of `chunk`, at most [`body_capacity`](Client::body_capacity)
    /// bytes, and returns its length; hand the rest over later. Spans needing no
    /// change are queued as slices of `chunk`, uncopied. Under
    /// [`LineEndings::Reject`](crate::LineEndings::Reject) a bare CR or LF is a usage
    /// error and nothing is taken.
    pub fn body(&mut self, now: Instant, chunk: Bytes) -> Result<usize, UsageError> {
        let cap = self.body_capacity();
        let Some(tx) = self.tx.as_mut() else {
            return Err(UsageError::NoBodyWanted);
        };
        let Some(state) = tx.body.as_mut() else {
            return Err(UsageError::NoBodyWanted);
        };
        let take = cap.min(chunk.len());
        if take == 0 {
            return Ok(0);
        }
        let piece = chunk.slice(..take);
        let mut pieces = core::mem::take(&mut self.scratch);
        match state {
            BodyState::Data(enc) => {
                enc.encode(piece, &mut pieces)?;
                self.queue_pieces(now, &mut pieces);
            }
            BodyState::Bdat(b) => {
                // Encode into scratch first so a refused chunk changes nothing.
                let n = b.enc.encode(piece, &mut pieces)?;
                if b.held_len > 0 {
                    self.flush_held(now, false);
                }
                if let Some(BodyState::Bdat(b)) = self.tx.as_mut().and_then(|t| t.body.as_mut()) {
                    b.held.extend(pieces.drain(..));
                    b.held_len += n;
                }
            }
        }
        self.scratch = pieces;
        self.after_input(now);
        Ok(take)
    }

    /// The body is complete: DATA's terminator, or the held chunk as `BDAT n LAST`.
    pub fn end_body(&mut self, now: Instant) -> Result<(), UsageError> {
        let lmtp = self.config.lmtp;
        let Some(tx) = self.tx.as_mut() else {
            return Err(UsageError::NoBodyWanted);
        };
        match tx.body.as_mut() {
            None => return Err(UsageError::NoBodyWanted),
            Some(BodyState::Data(enc)) => {
                // rule 3: under Reject, a trailing bare CR is refused too.
                enc.check_finish()?;
                let mut pieces = core::mem::take(&mut self.scratch);
                enc.finish(&mut pieces);
                tx.drop_body();
                self.queue_pieces(now, &mut pieces);
                self.scratch = pieces;
                let (purpose, t) = if lmtp {
                    (Purpose::LmtpResult(0), self.config.timeouts.data_term)
                } else {
                    (Purpose::DataEnd, self.config.timeouts.data_term)
                };
                self.expects
                    .push(purpose, Verb::DataEnd, t, self.out.queued());
            }
            Some(BodyState::Bdat(b)) => {
                b.enc.check_finish()?;
                b.end_requested = true;
                self.try_finish_bdat(now);
            }
        }
        self.after_input(now);
        Ok(())
    }

    fn queue_pieces(&mut self, now: Instant, pieces: &mut VecDeque<Bytes>) {
        let mut bytes = 0u64;
        for p in pieces.drain(..) {
            bytes += p.len() as u64;
            self.push_body(now, p);
        }
        if self.config.trace && bytes > 0 {
            self.emit(Event::Trace(Trace::Data { bytes }));
        }
    }

    /// Sends the held chunk as `BDAT n` (or `BDAT n LAST`) with its data.
    fn flush_held(&mut self, now: Instant, last: bool) {
        let lmtp = self.config.lmtp;
        let Some(BodyState::Bdat(b)) = self.tx.as_mut().and_then(|t| t.body.as_mut()) else {
            return;
        };
        let size = b.held_len as u64;
        let mut held = core::mem::take(&mut b.held);
        b.held_len = 0;
        b.outstanding += 1;
        let cmd = Command::Bdat { size, last };
        if self.config.trace {
            self.emit(Event::Trace(Trace::Command(cmd.trace_line())));
        }
        self.queue_bytes_start(now);
        self.out.push_command(&cmd);
        self.queue_pieces(now, &mut held);
        if let Some(BodyState::Bdat(b)) = self.tx.as_mut().and_then(|t| t.body.as_mut()) {
            b.held = held; // emptied; its room is kept for the next chunk
        }
        let purpose = if last && lmtp {
            Purpose::LmtpResult(0)
        } else {
            Purpose::Bdat { last }
        };
        let t = self.config.timeouts.data_term;
        self.expects.push(purpose, Verb::Bdat, t, self.out.queued());
    }

    /// Without pipelining the last chunk waits for the previous chunk's reply.
    fn try_finish_bdat(&mut self, now: Instant) {
        let Some(tx) = self.tx.as_mut() else { return };
        let pipelined = tx.pipelined;
        let Some(BodyState::Bdat(b)) = tx.body.as_mut() else {
            return;
        };
        if !b.end_requested || (!pipelined && b.outstanding > 0) {
            return;
        }
        let mut tail = VecDeque::new();
        let n = b.enc.finish(&mut tail);
        b.held.extend(tail);
        b.held_len += n;
        self.flush_held(now, true);
        if let Some(tx) = self.tx.as_mut() {
            tx.drop_body();
        }
    }

    /// A BDAT chunk's reply (RFC 3030 §2: each chunk is answered).
    pub(super) fn on_bdat(&mut self, now: Instant, last: bool, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        if let Some(BodyState::Bdat(b)) = tx.body.as_mut() {
            b.outstanding = b.outstanding.saturating_sub(1);
        }
        if tx.ended {
            return self.maybe_tx_done();
        }
        if !reply.is_positive() {
            // Remaining chunks are not sent; RSET precedes the next transaction.
            return self.fail_tx(Error::status(Verb::Bdat, reply, "BDAT chunk refused"));
        }
        if last {
            self.complete_delivery(reply);
        } else {
            self.try_finish_bdat(now);
        }
    }

    fn complete_delivery(&mut self, reply: Reply) {
        self.need_rset = false;
        if let Some(tx) = self.tx.as_mut() {
            tx.ended = true;
            tx.drop_body();
        }
        self.emit(Event::Delivered { reply });
        self.maybe_tx_done();
    }
}
