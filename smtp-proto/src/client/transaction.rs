//! Mail transactions — RFC 5321 §3.3 (MAIL, RCPT, DATA), §4.5.3.1.10 (552 to RCPT
//! is 452), RFC 2920 §3.1 (pipelined flights; the lone `.` after an unwanted 354),
//! RFC 1870 (SIZE), RFC 6152 (8BITMIME), RFC 6531 (SMTPUTF8), RFC 8689 (REQUIRETLS),
//! RFC 9422 (RCPTMAX), RFC 2033 §4.2 (LMTP replies per recipient); rules 7, 8, 9,
//! 12, 13, 17 and 18 of [`crate::rules`].

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;

use super::body::BodyState;
use super::expect::{purpose_index, Purpose};
use super::{Client, Envelope, Event, Recipient, State, Trace};
use crate::address::ReversePath;
use crate::capabilities::Capabilities;
use crate::command::{BodyType, Command, CommandError, MailParams, RcptParams, Verb};
use crate::error::{Error, ErrorKind, UsageError};
use crate::reply::Reply;
use crate::time::Instant;

/// One transaction in progress.
#[derive(Debug)]
pub(super) struct Transaction {
    /// The encoded lines and per-recipient vectors.
    pub(super) bufs: TxBuffers,
    pub(super) recipients: usize,
    /// RCPT lines to write at most: RFC 9422's RCPTMAX, at least one.
    pub(super) rcpt_limit: usize,
    pub(super) pipelined: bool,
    pub(super) chunking: bool,
    pub(super) binary: bool,
    /// RCPT commands written so far.
    pub(super) rcpt_sent: usize,
    /// RCPT replies handled so far.
    pub(super) rcpt_replied: usize,
    /// Every refusal so far was permanent.
    pub(super) all_permanent: bool,
    pub(super) last_rcpt_error: Option<Error>,
    /// A 452/552 stopped further RCPTs (rule 8).
    pub(super) stop_rcpts: bool,
    /// Pipelined, every recipient refused: fail once DATA is answered (rule 7).
    pub(super) all_rejected: Option<Error>,
    /// The body being taken, while the engine wants it.
    pub(super) body: Option<BodyState>,
    /// Reply text kept so far by this transaction's events (rule 20).
    pub(super) reply_text_used: usize,
    /// LMTP: the first positive reply after the data, for [`Event::Delivered`].
    pub(super) lmtp_delivered: Option<Reply>,
    /// The ending event has been emitted; later replies are only consumed.
    pub(super) ended: bool,
}

/// What a transaction fills, kept between transactions so that a session in steady
/// state allocates none of it again.
#[derive(Debug, Default)]
pub(super) struct TxBuffers {
    /// MAIL's line, then each RCPT's, encoded and validated once by `send`, CRLF
    /// included.
    lines: String,
    /// Where each line ends in `lines`: MAIL's, then each RCPT's.
    line_ends: Vec<usize>,
    /// Indexes of accepted recipients, in order.
    pub(super) accepted: Vec<usize>,
    /// Which recipients have had their one outcome event (rule 18).
    pub(super) reported: Vec<bool>,
    /// The queue a CHUNKING body holds its latest chunk in, emptied.
    pub(super) held: alloc::collections::VecDeque<bytes::Bytes>,
}

/// A transaction with more recipients than this gives its buffers back rather than
/// keep them for the next one, so an idle session does not hold what one large
/// envelope needed.
const KEEP_BUFFERS_RECIPIENTS: usize = 64;
/// Likewise for encoded MAIL and RCPT lines longer than this in all.
const KEEP_BUFFERS_LINE_BYTES: usize = 2048;
/// Likewise for a CHUNKING body held in more pieces than this.
const KEEP_BUFFERS_PIECES: usize = 64;

impl TxBuffers {
    /// Empty, keeping the capacity unless the transaction was large (see
    /// [`KEEP_BUFFERS_RECIPIENTS`]).
    fn emptied(mut self) -> TxBuffers {
        if self.reported.len() > KEEP_BUFFERS_RECIPIENTS
            || self.lines.len() > KEEP_BUFFERS_LINE_BYTES
            || self.held.capacity() > KEEP_BUFFERS_PIECES
        {
            return TxBuffers::default();
        }
        self.lines.clear();
        self.line_ends.clear();
        self.accepted.clear();
        self.reported.clear();
        self.held.clear();
        self
    }

    /// Encodes MAIL and every RCPT, each validated; on an error the caller drops
    /// what was encoded.
    fn encode(
        &mut self,
        from: ReversePath,
        params: MailParams,
        recipients: Vec<Recipient>,
    ) -> Result<(), CommandError> {
        Command::Mail { from, params }.encode_into(&mut self.lines)?;
        self.line_ends.push(self.lines.len());
        for r in recipients {
            let params = RcptParams {
                notify: r.notify,
                orcpt: r.orcpt,
                extra: r.extra,
            };
            Command::Rcpt { to: r.path, params }.encode_into(&mut self.lines)?;
            self.line_ends.push(self.lines.len());
        }
        Ok(())
    }

    /// Line `n` (0 is MAIL, then each RCPT), CRLF included.
    fn line(&self, n: usize) -> &str {
        let start = n.checked_sub(1).map_or(0, |p| self.line_ends[p]);
        &self.lines[start..self.line_ends[n]]
    }
}

impl Client {
    /// Starts a transaction. Validates first: a bad envelope, or a parameter whose
    /// extension the server did not advertise, is a [`UsageError`] and changes nothing.
    /// Refusals the engine can tell before MAIL (SIZE, 8BITMIME, SMTPUTF8, REQUIRETLS)
    /// end the transaction at once with [`Event::TransactionFailed`]. Otherwise MAIL,
    /// RCPTs and DATA follow (in one flight with PIPELINING), with per-recipient events,
    /// [`Event::BodyWanted`], and one ending event.
    pub fn send(&mut self, now: Instant, mut envelope: Envelope) -> Result<(), UsageError> {
        self.require_ready()?;
        if envelope.recipients.is_empty() {
            return Err(UsageError::NoRecipients);
        }
        if self.state == State::Closed {
            let error = Self::closed_error(Verb::Mail);
            self.refuse_whole(envelope.recipients.len(), error);
            return Ok(());
        }
        // Everything the capabilities decide, read by reference (no clone per message).
        let no_caps = Capabilities::default();
        let caps = self.caps.as_ref().unwrap_or(&no_caps);
        check_advertised(&envelope, caps)?;
        let chunking = self.config.chunking && caps.chunking;
        let pipelined = self.config.pipelining && caps.pipelining;
        // RFC 9422: never more RCPTs than RCPTMAX; the rest are deferred.
        let cap = caps
            .limits
            .as_ref()
            .and_then(|l| l.rcptmax)
            .map_or(usize::MAX, |m| m as usize);
        let refusal = self.local_refusal(&envelope, caps, chunking);
        let params = mail_params(&mut envelope, caps);
        let recipients = envelope.recipients.len();
        let binary = envelope.body == BodyType::BinaryMime;
        // Each command is encoded once, here: what is validated is what is written.
        let mut bufs = core::mem::take(&mut self.spare);
        let encoded = bufs.encode(envelope.from, params, envelope.recipients);
        if let Err(e) = encoded {
            self.spare = bufs.emptied();
            return Err(e.into());
        }
        if let Some(error) = refusal {
            self.spare = bufs.emptied();
            self.refuse_whole(recipients, error);
            self.emit(Event::Ready);
            return Ok(());
        }
        bufs.reported.resize(recipients, false);
        self.tx = Some(Transaction {
            bufs,
            recipients,
            rcpt_limit: cap.clamp(1, recipients),
            pipelined,
            chunking,
            binary,
            rcpt_sent: 0,
            rcpt_replied: 0,
            all_permanent: true,
            last_rcpt_error: None,
            stop_rcpts: false,
            all_rejected: None,
            body: None,
            reply_text_used: 0,
            lmtp_delivered: None,
            ended: false,
        });
        self.state = State::Busy;
        self.write_flight(now);
        self.after_input(now);
        Ok(())
    }

    /// Lazy RSET (rule 17), then MAIL, and with PIPELINING every RCPT and
    /// DATA (or the body at once with CHUNKING). Without PIPELINING, MAIL waits for
    /// RSET's reply.
    fn write_flight(&mut self, now: Instant) {
        let pipelined = self.tx.as_ref().is_some_and(|t| t.pipelined);
        if self.need_rset {
            let t = self.config.timeouts.rset;
            self.write_command(now, &Command::Rset, Purpose::Rset { lazy: true }, t);
            if !pipelined {
                return;
            }
        }
        self.write_mail_flight(now);
    }

    /// MAIL, and with PIPELINING the rest of the flight.
    pub(super) fn write_mail_flight(&mut self, now: Instant) {
        let Some(tx) = self.tx.as_ref() else { return };
        let (pipelined, chunking) = (tx.pipelined, tx.chunking);
        self.need_rset = true; // cleared when the transaction completes
        let t = self.config.timeouts.mail;
        self.write_tx_line(now, 0, Verb::Mail, Purpose::Mail, t);
        if !pipelined {
            return;
        }
        while self.next_rcpt(now) {}
        if chunking {
            self.open_body();
        } else {
            let t = self.config.timeouts.data_init;
            self.write_command(now, &Command::Data, Purpose::Data, t);
        }
    }

    /// Writes the next RCPT if one is due; false when none is.
    fn next_rcpt(&mut self, now: Instant) -> bool {
        let Some(tx) = self.tx.as_mut() else {
            return false;
        };
        if tx.stop_rcpts || tx.rcpt_sent >= tx.rcpt_limit {
            return false;
        }
        let i = tx.rcpt_sent;
        tx.rcpt_sent += 1;
        let t = self.config.timeouts.rcpt;
        self.write_tx_line(now, i + 1, Verb::Rcpt, Purpose::Rcpt(purpose_index(i)), t);
        true
    }

    /// Queues line `n` of the transaction (0 is MAIL, then each RCPT) as `send`
    /// encoded it, and expects its reply.
    fn write_tx_line(
        &mut self,
        now: Instant,
        n: usize,
        verb: Verb,
        purpose: Purpose,
        timeout: Duration,
    ) {
        let Some(tx) = self.tx.as_ref() else { return };
        let line = tx.bufs.line(n);
        if self.config.trace {
            let shown = line.trim_end_matches("\r\n").into();
            self.events.push_back(Event::Trace(Trace::Command(shown)));
        }
        if self.out.len() == 0 {
            self.write_since = Some(now);
        }
        self.out.push_raw(line.as_bytes());
        self.expects.push(purpose, verb, timeout, self.out.queued());
    }

    /// Drops the transaction, keeping its buffers for the next one.
    pub(super) fn end_tx(&mut self) {
        if let Some(tx) = self.tx.take() {
            self.spare = tx.bufs.emptied();
        }
    }

    /// What the engine can refuse before MAIL, in mox's order.
    fn local_refusal(&self, env: &Envelope, caps: &Capabilities, chunking: bool) -> Option<Error> {
        let refuse =
            |kind, permanent, detail: &str| Some(Error::new(kind, permanent, None, detail));
        match env.body {
            // Transient, as mox: a front end may hide the real server's 8BITMIME.
            BodyType::EightBitMime if !caps.eight_bit_mime => {
                return refuse(
                    ErrorKind::EightBitMime,
                    false,
                    "message needs 8BITMIME; server does not offer it",
                )
            }
            BodyType::BinaryMime if !(chunking && caps.binarymime) => {
                return refuse(
                    ErrorKind::BinaryMime,
                    false,
                    "message needs BINARYMIME with CHUNKING; server does not offer both",
                )
            }
            _ => {}
        }
        if env.needs_smtputf8() && !caps.smtputf8 {
            return refuse(
                ErrorKind::SmtpUtf8,
                false,
                "message needs SMTPUTF8; server does not offer it",
            );
        }
        if env.requiretls && !(caps.requiretls && self.tls.is_some()) {
            return refuse(
                ErrorKind::RequireTls,
                false,
                "REQUIRETLS needs TLS and the server's REQUIRETLS",
            );
        }
        // RFC 1870 §6 / rule 12: larger than a known limit fails permanent.
        if let (Some(size), Some(max)) = (env.size, caps.max_size) {
            if size > max {
                return refuse(
                    ErrorKind::Size,
                    true,
                    &format!("message of {size} octets exceeds the server's limit of {max}"),
                );
            }
        }
        None
    }

    pub(super) fn on_mail(&mut self, now: Instant, reply: Reply) {
        let Some(tx) = self.tx.as_ref() else { return };
        if tx.ended {
            return self.maybe_tx_done();
        }
        if reply.is_positive() {
            if !tx.pipelined {
                self.next_rcpt(now);
            }
            return;
        }
        // Pipelined: the RCPT and DATA replies still come and are only consumed.
        self.fail_tx(Error::status(Verb::Mail, reply, "MAIL FROM refused"));
    }

    pub(super) fn on_rcpt(&mut self, now: Instant, index: usize, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        tx.rcpt_replied += 1;
        if tx.ended {
            return self.maybe_tx_done();
        }
        if reply.is_positive() {
            tx.bufs.accepted.push(index);
            // LMTP: the recipient's outcome is its reply after the data (RFC 2033 §4.2).
            if !self.config.lmtp {
                self.report_accepted(index, reply);
            }
        } else {
            let code = reply.code;
            let mut error = Error::status(Verb::Rcpt, reply, "recipient refused");
            // RFC 5321 §4.5.3.1.10: 552 to RCPT means "too many recipients", like 452.
            if code == 552 {
                error.permanent = false;
            }
            if code == 452 || code == 552 {
                tx.stop_rcpts = true;
            }
            tx.all_permanent &= error.permanent;
            tx.last_rcpt_error = Some(error.clone());
            self.report_rejected(index, error);
        }
        let pipelined = self.tx.as_ref().is_some_and(|t| t.pipelined);
        let more = !pipelined && self.next_rcpt(now);
        let answered = self
            .tx
            .as_ref()
            .is_some_and(|t| t.rcpt_replied == t.rcpt_sent);
        if !more && answered {
            self.rcpts_done(now);
        }
    }

    /// Every RCPT is answered: report deferred recipients, then DATA, the body, or
    /// the failure.
    fn rcpts_done(&mut self, now: Instant) {
        let Some(tx) = self.tx.as_mut() else { return };
        let (sent, total, stopped) = (tx.rcpt_sent, tx.recipients, tx.stop_rcpts);
        for index in sent..total {
            let detail = if stopped {
                "not tried: the server's recipient limit was reached; retry in a new transaction"
            } else {
                "not tried: above the server's LIMITS RCPTMAX; retry in a new transaction"
            };
            let error = Error::new(ErrorKind::Limits, false, Some(Verb::Rcpt), detail);
            self.report_rejected(index, error);
        }
        let Some(tx) = self.tx.as_mut() else { return };
        if tx.bufs.accepted.is_empty() {
            let error = all_rejected_error(tx, sent < total);
            // Rule 7: a pipelined DATA is still to be answered; fail after it.
            if tx.pipelined && !tx.chunking {
                tx.all_rejected = Some(error);
            } else {
                self.fail_tx(error);
            }
            return;
        }
        if !tx.pipelined {
            if tx.chunking {
                self.open_body();
            } else {
                let t = self.config.timeouts.data_init;
                self.write_command(now, &Command::Data, Purpose::Data, t);
            }
        }
    }

    pub(super) fn on_data(&mut self, now: Instant, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        if tx.ended || tx.all_rejected.is_some() {
            if reply.code == 354 {
                // RFC 2920 §3.1: close the data phase nobody needs with a lone ".".
                self.queue_bytes_start(now);
                self.out.push_raw(b".\r\n");
                let t = self.config.timeouts.data_term;
                self.expects
                    .push(Purpose::DataEndDiscard, Verb::DataEnd, t, self.out.queued());
            }
            match self.tx.as_mut().and_then(|t| t.all_rejected.take()) {
                Some(error) => self.fail_tx(error),
                None => self.maybe_tx_done(),
            }
            return;
        }
        if reply.code == 354 {
            self.open_body();
        } else {
            self.fail_tx(Error::status(Verb::Data, reply, "DATA refused"));
        }
    }

    pub(super) fn on_data_end(&mut self, _now: Instant, reply: Reply) {
        if self.tx.as_ref().is_none_or(|t| t.ended) {
            return self.maybe_tx_done();
        }
        if reply.is_positive() {
            self.complete_tx(Event::Delivered { reply });
        } else {
            self.fail_tx(Error::status(Verb::DataEnd, reply, "message refused"));
        }
    }

    pub(super) fn on_data_end_discard(&mut self, _now: Instant) {
        self.maybe_tx_done();
    }

    /// LMTP (RFC 2033 §4.2): the `nth` reply after the data belongs to the `nth`
    /// accepted recipient and is that recipient's outcome (rule 18).
    pub(super) fn on_lmtp_result(&mut self, now: Instant, nth: usize, verb: Verb, reply: Reply) {
        let Some(tx) = self.tx.as_mut() else { return };
        if tx.ended {
            return self.maybe_tx_done();
        }
        let Some(&index) = tx.bufs.accepted.get(nth) else {
            // No recipient was accepted: the one reply answers the data as a whole.
            return self.fail_tx(Error::status(verb, reply, "message refused"));
        };
        let more = nth + 1 < tx.bufs.accepted.len();
        if reply.is_positive() {
            tx.lmtp_delivered.get_or_insert_with(|| reply.clone());
            self.report_accepted(index, reply);
        } else {
            let error = Error::status(verb, reply, "message refused for this recipient");
            if let Some(tx) = self.tx.as_mut() {
                tx.all_permanent &= error.permanent;
                tx.last_rcpt_error = Some(error.clone());
            }
            self.report_rejected(index, error);
        }
        if more {
            let t = self.config.timeouts.data_term;
            self.expects
                .push_front(Purpose::LmtpResult(purpose_index(nth + 1)), verb, t, now);
            return;
        }
        let Some(tx) = self.tx.as_mut() else { return };
        match tx.lmtp_delivered.take() {
            Some(reply) => self.complete_tx(Event::Delivered { reply }),
            None => {
                let error = lmtp_refused_error(tx);
                self.need_rset = false; // the data was answered: the server reset itself
                self.fail_tx(error);
            }
        }
    }

    /// Emits a recipient's one success outcome.
    fn report_accepted(&mut self, index: usize, reply: Reply) {
        if self.mark_reported(index) {
            self.emit(Event::RecipientAccepted { index, reply });
        }
    }

    /// Emits a recipient's one failure outcome.
    fn report_rejected(&mut self, index: usize, error: Error) {
        if self.mark_reported(index) {
            self.emit(Event::RecipientRejected { index, error });
        }
    }

    /// Marks `index` as reported; false when it already was (never twice, rule 18).
    fn mark_reported(&mut self, index: usize) -> bool {
        let Some(slot) = self
            .tx
            .as_mut()
            .and_then(|t| t.bufs.reported.get_mut(index))
        else {
            return false;
        };
        !core::mem::replace(slot, true)
    }

    /// Every recipient without an outcome yet fails with `error` (rule 18).
    pub(super) fn reject_unreported(&mut self, error: &Error) {
        let total = self.tx.as_ref().map_or(0, |t| t.recipients);
        for index in 0..total {
            let reported = self.tx.as_ref().is_none_or(|t| t.bufs.reported[index]);
            if !reported {
                self.report_rejected(index, error.clone());
            }
        }
    }

    /// A transaction refused before MAIL: each recipient fails with the error, then
    /// the transaction does (rule 18).
    fn refuse_whole(&mut self, recipients: usize, error: Error) {
        for index in 0..recipients {
            self.emit(Event::RecipientRejected {
                index,
                error: error.clone(),
            });
        }
        self.emit(Event::TransactionFailed { error });
    }

    /// The transaction completed at the server (its state is reset): no RSET needed.
    fn complete_tx(&mut self, event: Event) {
        self.need_rset = false;
        if let Some(tx) = self.tx.as_mut() {
            tx.ended = true;
            tx.drop_body();
        }
        self.emit(event);
        self.maybe_tx_done();
    }

    /// Ends the transaction with `error`; recipients without an outcome fail with it
    /// (rule 18), and replies still in flight are only consumed.
    pub(super) fn fail_tx(&mut self, error: Error) {
        if self.tx.as_ref().is_some_and(|t| !t.ended) {
            self.reject_unreported(&error);
            if let Some(tx) = self.tx.as_mut() {
                tx.ended = true;
                tx.drop_body();
            }
            self.emit(Event::TransactionFailed { error });
        }
        self.maybe_tx_done();
    }

    /// Once the transaction has ended and nothing of it is in flight, the session is ready.
    pub(super) fn maybe_tx_done(&mut self) {
        if self.tx.as_ref().is_some_and(|t| t.ended) && self.expects.is_empty() {
            self.end_tx();
            self.become_ready();
        }
    }
}

/// Parameters the caller asked for whose extension is not advertised are usage errors.
fn check_advertised(env: &Envelope, caps: &Capabilities) -> Result<(), UsageError> {
    if env.uses_dsn() && !caps.dsn {
        return Err(UsageError::NotAdvertised("DSN"));
    }
    if env.mt_priority.is_some() && !caps.mt_priority {
        return Err(UsageError::NotAdvertised("MT-PRIORITY"));
    }
    if env.deliver_by.is_some() && !caps.deliverby {
        return Err(UsageError::NotAdvertised("DELIVERBY"));
    }
    if env.future_release.is_some() && !caps.futurerelease {
        return Err(UsageError::NotAdvertised("FUTURERELEASE"));
    }
    Ok(())
}

/// MAIL parameters per rule 13: SIZE whenever advertised and known; BODY
/// whenever 8BITMIME is advertised (or BINARYMIME is used).
fn mail_params(env: &mut Envelope, caps: &Capabilities) -> MailParams {
    let body = match env.body {
        BodyType::SevenBit => caps.eight_bit_mime.then_some(BodyType::SevenBit),
        other => Some(other),
    };
    MailParams {
        size: if caps.size_advertised { env.size } else { None },
        body,
        smtputf8: env.needs_smtputf8(),
        requiretls: env.requiretls,
        ret: env.ret,
        envid: env.envid.take(),
        mt_priority: env.mt_priority,
        deliver_by: env.deliver_by,
        future_release: env.future_release.take(),
        extra: core::mem::take(&mut env.extra),
    }
}

/// rule 7: with one recipient the RCPT reply itself; otherwise a status error
/// that is permanent only when every refusal was.
fn all_rejected_error(tx: &Transaction, some_deferred: bool) -> Error {
    let last = tx.last_rcpt_error.clone();
    if tx.recipients == 1 {
        if let Some(e) = last {
            return e;
        }
    }
    let mut error =
        last.unwrap_or_else(|| Error::new(ErrorKind::Limits, false, Some(Verb::Rcpt), ""));
    error.permanent = tx.all_permanent && !some_deferred && error.reply.is_some();
    error.detail = format!("all {} recipients were refused or deferred", tx.recipients);
    error
}

/// LMTP, every accepted recipient refused after the data: the last refusal, permanent
/// only when every refusal of the transaction was.
fn lmtp_refused_error(tx: &Transaction) -> Error {
    let mut error = tx
        .last_rcpt_error
        .clone()
        .unwrap_or_else(|| Error::new(ErrorKind::Status, false, Some(Verb::DataEnd), ""));
    if tx.recipients > 1 {
        error.permanent = tx.all_permanent && error.permanent;
        error.detail = format!(
            "the message was refused for all {} recipients",
            tx.recipients
        );
    }
    error
}
