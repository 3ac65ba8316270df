//! The session state machine: one [`Client`] is one SMTP or LMTP client session —
//! RFC 5321 §3 (procedures), §4.3.2 (command/reply sequences), §4.5.3.2 (timeouts),
//! RFC 2920 (pipelining), RFC 3207 (STARTTLS), RFC 3030 (CHUNKING), RFC 2033 (LMTP).
//!
//! The phases live in their own files: [`opening`](self) (greeting, EHLO/HELO/LHLO,
//! STARTTLS), `transaction` (MAIL, RCPT, DATA replies), `body` (DATA and BDAT
//! streaming), `request` (RSET, NOOP, QUIT); `expect` is the table that matches
//! replies to commands.

mod auth;
mod body;
mod config;
mod delivery;
mod event;
mod expect;
mod opening;
mod output;
mod request;
mod transaction;

use alloc::collections::VecDeque;
use alloc::string::String;
use bytes::Bytes;

pub use auth::Auth;
pub use config::{Config, Envelope, Recipient, TlsMode};
pub use delivery::{Delivery, DeliveryFold};
pub use event::{Event, Trace};
pub use output::Transmit;

use crate::capabilities::Capabilities;
use crate::command::{Command, Verb};
use crate::error::{Error, ErrorKind, UsageError};
use crate::reply::{Reply, ReplyParser};
use crate::time::Instant;
use crate::tls::{TlsFailure, TlsInfo};
use crate::tlsrpt::{ReportContext, TlsReport};
use expect::{Expectations, Purpose};
use output::OutputQueue;
use transaction::Transaction;

/// Where the session is, between inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Implicit TLS: waiting for the driver's handshake before the greeting.
    AwaitImplicitTls,
    /// Greeting and EHLO/HELO/LHLO in flight.
    Opening,
    /// STARTTLS sent.
    StartTls,
    /// STARTTLS answered 220: only `tls_established`/`tls_failed` may follow.
    AwaitTls,
    /// AUTH in progress.
    Auth,
    /// Idle: a request may start.
    Ready,
    /// A request is in progress.
    Busy,
    /// QUIT sent.
    Quitting,
    /// Over; nothing more is read or written (but queued output may be flushed).
    Closed,
}

/// One SMTP or LMTP client session, driven purely by its inputs.
///
/// Inputs: [`receive`](Client::receive), [`receive_eof`](Client::receive_eof),
/// [`tls_established`](Client::tls_established), [`tls_failed`](Client::tls_failed),
/// [`handle_timeout`](Client::handle_timeout) and the requests
/// [`send`](Client::send), [`body`](Client::body), [`end_body`](Client::end_body),
/// [`reset`](Client::reset), [`noop`](Client::noop), [`quit`](Client::quit).
///
/// Outputs, to drain after every input, in this order (the engine stays correct in
/// any other): write what [`transmit`](Client::transmit) shows and report it with
/// [`transmitted`](Client::transmitted); take every [`poll_event`](Client::poll_event);
/// re-arm the timer from [`poll_timeout`](Client::poll_timeout).
#[derive(Debug)]
pub struct Client {
    config: Config,
    state: State,
    parser: ReplyParser,
    out: OutputQueue,
    events: VecDeque<Event>,
    expects: Expectations,
    caps: Option<Capabilities>,
    greeting_domain: Option<String>,
    tls: Option<TlsInfo>,
    /// STARTTLS was attempted this session (never a second one).
    starttls_done: bool,
    tx: Option<Transaction>,
    /// A transaction did not complete: RSET before the next MAIL (rule 17).
    need_rset: bool,
    botched: bool,
    /// When pending output last made progress (or became pending).
    write_since: Option<Instant>,
    /// The request in progress outside transactions (RSET, NOOP, VRFY).
    request: Option<Verb>,
    /// Reused buffer for encoded body pieces.
    scratch: VecDeque<Bytes>,
    /// The last transaction's buffers, emptied, for the next one.
    spare: transaction::TxBuffers,
    /// AUTH wanted, until it starts.
    auth: Option<Auth>,
    /// AUTH in progress.
    auth_run: Option<auth::AuthRun>,
    authenticated: bool,
    /// RFC 8460 accounting for this session.
    report: TlsReport,
    /// TLS is fresh: nothing read over it yet (a TLS alert now is a handshake failure).
    first_read_after_tls: bool,
}

impl Client {
    /// A new session at `now` (when the connection was made). With
    /// [`TlsMode::Immediate`] the first event is [`Event::StartTls`].
    #[must_use]
    pub fn new(now: Instant, config: Config) -> Client {
        let parser = ReplyParser::new(config.reply_limits);
        let mut client = Client {
            state: State::Opening,
            parser,
            out: OutputQueue::default(),
            events: VecDeque::new(),
            expects: Expectations::default(),
            caps: None,
            greeting_domain: None,
            tls: None,
            starttls_done: false,
            tx: None,
            need_rset: false,
            botched: false,
            write_since: None,
            request: None,
            scratch: VecDeque::new(),
            spare: transaction::TxBuffers::default(),
            auth: None,
            auth_run: None,
            authenticated: false,
            report: TlsReport::default(),
            first_read_after_tls: false,
            config,
        };
        if client.config.tls == TlsMode::Immediate {
            client.state = State::AwaitImplicitTls;
            client.events.push_back(Event::StartTls);
        } else {
            client.expect_greeting(now);
        }
        client
    }

    // ----- inputs -------------------------------------------------------------

    /// Bytes read from the server. Never refuses input; holds at most one bounded
    /// incomplete reply (decision 3). Ignored once the session is closed.
    pub fn receive(&mut self, now: Instant, mut data: &[u8]) {
        if self.state == State::Closed || data.is_empty() {
            return;
        }
        if matches!(self.state, State::AwaitTls | State::AwaitImplicitTls) {
            self.injection(now);
            return;
        }
        self.first_read_after_tls = false;
        while !data.is_empty() && self.state != State::Closed {
            match self.parser.parse(&mut data) {
                Ok(Some(reply)) => {
                    self.on_reply(now, reply);
                    // RFC 3207 §5 / rule 2: bytes after STARTTLS's 220 are injected.
                    if self.state == State::AwaitTls && !data.is_empty() {
                        self.injection(now);
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let verb = self.expects.front().map(|x| x.verb);
                    let err = Error::new(
                        ErrorKind::Protocol,
                        false,
                        verb,
                        alloc::format!("malformed reply: {e}"),
                    );
                    self.fail_session(now, err, Ending::Botched);
                }
            }
        }
        // STARTTLS was answered 220 in this read and nothing followed it: switch now.
        // With injected bytes the session is already closed and no `StartTls` is
        // emitted, so a driver never starts a handshake on an attacked stream.
        if self.state == State::AwaitTls {
            self.emit(Event::StartTls);
        }
        self.after_input(now);
    }

    /// The server closed the connection (EOF).
    pub fn receive_eof(&mut self, now: Instant) {
        // A closed session ignores it: fail_session does nothing then.
        match self.state {
            State::Quitting => self.close(None),
            _ => {
                let verb = self.expects.front().map(|x| x.verb);
                let err = Error::new(
                    ErrorKind::Closed,
                    false,
                    verb,
                    "connection closed by the server",
                );
                self.fail_session(now, err, Ending::Botched);
            }
        }
        self.after_input(now);
    }

    /// The TLS handshake the engine asked for ([`Event::StartTls`]) succeeded. The
    /// session forgets every capability and says EHLO again (RFC 3207 §4.2).
    pub fn tls_established(&mut self, now: Instant, info: TlsInfo) {
        match self.state {
            State::AwaitTls => {
                self.report.record_success();
                self.first_read_after_tls = true;
                self.tls = Some(info);
                self.parser = ReplyParser::new(self.config.reply_limits);
                self.caps = None;
                self.send_hello(now);
            }
            State::AwaitImplicitTls => {
                self.report.record_success();
                self.first_read_after_tls = true;
                self.tls = Some(info);
                self.state = State::Opening;
                self.expect_greeting(now);
            }
            _ => {}
        }
        self.after_input(now);
    }

    /// The TLS handshake failed: a transient TLS error ends the session; nothing more
    /// is written in plaintext.
    pub fn tls_failed(&mut self, now: Instant, failure: TlsFailure) {
        if matches!(self.state, State::AwaitTls | State::AwaitImplicitTls) {
            self.report
                .record_handshake_failure(failure.kind, &failure.detail);
            // The driver's text is bounded and cleaned like the report's (rule 20).
            let shown = crate::tlsrpt::report_text(&failure.detail);
            let detail = alloc::format!("TLS handshake failed: {shown}");
            let err = Error::new(ErrorKind::Tls, false, Some(Verb::StartTls), detail);
            self.fail_session(now, err, Ending::Silent);
        }
        self.after_input(now);
    }

    /// The driver's TLS layer received an alert from the server (a fatal one, not
    /// `close_notify`). In the first read after the handshake it means the server
    /// refused the session (e.g. our certificate): the TLS report counts a failure
    /// instead of the success. Either way the session ends with a transient TLS error.
    pub fn tls_alert(&mut self, now: Instant, alert: u8) {
        if self.state == State::Closed || self.tls.is_none() {
            return;
        }
        if self.first_read_after_tls {
            self.report.record_alert_after_handshake(alert);
            self.first_read_after_tls = false;
        }
        let verb = self.expects.front().map(|x| x.verb);
        let err = Error::new(
            ErrorKind::Tls,
            false,
            verb,
            alloc::format!("TLS alert {alert} from the server"),
        );
        self.fail_session(now, err, Ending::Botched);
    }

    /// Facts about the connection for the TLS report (RFC 8460 §4.4): the MX name
    /// and both addresses. Call any time; later failure details carry them.
    pub fn set_report_context(&mut self, context: ReportContext) {
        self.report.context = context;
    }

    /// The TLS results of this session so far (RFC 8460), as mox accumulates them.
    pub fn tls_report(&self) -> &TlsReport {
        &self.report
    }

    /// A deadline announced by [`poll_timeout`](Client::poll_timeout) may have passed.
    /// Calling it early does nothing; a passed deadline is a transient `timeout` error
    /// that ends the session.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state == State::Closed {
            return;
        }
        if let Some(deadline) = self.expects.deadline() {
            if now >= deadline {
                let verb = self.expects.front().map(|x| x.verb);
                let what = verb.map_or("reply", |v| v.as_str());
                let err = Error::new(
                    ErrorKind::Timeout,
                    false,
                    verb,
                    alloc::format!("no reply to {what} in time"),
                );
                self.fail_session(now, err, Ending::Botched);
                return;
            }
        }
        if let Some(deadline) = self.write_deadline() {
            if now >= deadline {
                let verb = self.expects.front().map(|x| x.verb);
                let err = Error::new(
                    ErrorKind::Timeout,
                    false,
                    verb,
                    "the server stopped reading our writes",
                );
                self.fail_session(now, err, Ending::Botched);
            }
        }
    }

    /// The driver wrote the first `n` bytes that [`transmit`](Client::transmit) showed.
    pub fn transmitted(&mut self, now: Instant, n: usize) {
        // Progress restarts the write-stall clock (unused once nothing is pending).
        if self.out.advance(n) > 0 {
            self.write_since = Some(now);
        }
        self.after_input(now);
    }

    // ----- outputs ------------------------------------------------------------

    /// The bytes waiting to be written (empty when none).
    #[must_use]
    pub fn transmit(&self) -> Transmit<'_> {
        self.out.view()
    }

    /// The next event, or `None` when drained.
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Client::handle_timeout) should be called next, or
    /// `None` when no deadline runs (idle, or closed).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.state == State::Closed {
            return None;
        }
        match (self.expects.deadline(), self.write_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    // ----- queries ------------------------------------------------------------

    /// The server's capabilities from the newest EHLO/LHLO, once known.
    pub fn capabilities(&self) -> Option<&Capabilities> {
        self.caps.as_ref()
    }

    /// The name the server gave in its greeting.
    pub fn greeting_domain(&self) -> Option<&str> {
        self.greeting_domain.as_deref()
    }

    /// TLS facts, when the session runs over TLS.
    pub fn tls_info(&self) -> Option<&TlsInfo> {
        self.tls.as_ref()
    }

    /// Bytes held for a reply not yet complete: bounded by the reply limits
    /// (one partial line plus the finished lines of one multi-line reply).
    pub fn buffered_input(&self) -> usize {
        self.parser.buffered()
    }

    /// Bytes waiting to be written.
    pub fn buffered_output(&self) -> usize {
        self.out.len()
    }

    /// True when a request may start now.
    pub fn is_ready(&self) -> bool {
        self.state == State::Ready
    }

    /// True once the session is over.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// True when the session ended in an unknown protocol state (malformed or
    /// unexpected reply, timeout, EOF, injection): no QUIT was attempted.
    pub fn is_botched(&self) -> bool {
        self.botched
    }

    // ----- internals shared by the phases ------------------------------------

    /// Queues a command and the reply it expects.
    fn write_command(
        &mut self,
        now: Instant,
        cmd: &Command,
        purpose: Purpose,
        timeout: core::time::Duration,
    ) {
        if self.config.trace {
            self.events
                .push_back(Event::Trace(Trace::Command(cmd.trace_line())));
        }
        self.queue_bytes_start(now);
        self.out.push_command(cmd);
        self.expects
            .push(purpose, cmd.verb(), timeout, self.out.queued());
    }

    /// Notes that output is about to be queued (starts the write-stall clock).
    fn queue_bytes_start(&mut self, now: Instant) {
        if self.out.len() == 0 {
            self.write_since = Some(now);
        }
    }

    fn write_deadline(&self) -> Option<Instant> {
        if self.out.len() == 0 {
            return None;
        }
        self.write_since
            .map(|t| t.saturating_add(self.config.timeouts.data_block))
    }

    fn after_input(&mut self, now: Instant) {
        self.expects.arm(now, self.out.sent());
    }

    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    fn trace_reply(&mut self, reply: &Reply) {
        if self.config.trace {
            self.events
                .push_back(Event::Trace(Trace::Reply(reply.clone())));
        }
    }

    /// Rule 20: the replies one transaction keeps (in its events) share a text
    /// budget; past it each reply keeps only a short, marked prefix, in a buffer of
    /// its own, so a server cannot make a transaction hold its 64 KiB replies by the
    /// hundred.
    fn within_text_budget(&mut self, reply: Reply) -> Reply {
        let budget = self.config.max_transaction_reply_text;
        let Some(tx) = self.tx.as_mut() else {
            return reply;
        };
        let len = reply.raw_text().len();
        if tx.reply_text_used + len <= budget {
            tx.reply_text_used += len;
            return reply;
        }
        let short = reply.truncated(TRUNCATED_REPLY_TEXT);
        tx.reply_text_used = tx.reply_text_used.saturating_add(short.raw_text().len());
        short
    }

    /// Dispatches one complete reply to the phase that asked for it.
    fn on_reply(&mut self, now: Instant, reply: Reply) {
        let reply = self.within_text_budget(reply);
        self.trace_reply(&reply);
        // rule 9: 421 at any point — even unasked — closes the session,
        // transient for everything in flight.
        let front = self.expects.front().map(|e| (e.purpose, e.verb));
        if reply.code == 421 && front.is_none_or(|(p, _)| p != Purpose::Quit) {
            let verb = front.map_or(Verb::Greeting, |(_, v)| v);
            let mut err = Error::status(verb, reply, "service not available, closing");
            if front.is_none() {
                err.command = None;
            }
            self.fail_session(now, err, Ending::Silent);
            return;
        }
        // Rule 9: a reply answers a command only once its last byte went out.
        let answerable = self
            .expects
            .front()
            .is_some_and(|e| e.written_at <= self.out.sent());
        let Some(exp) = self.expects.pop().filter(|_| answerable) else {
            let detail = match front {
                Some((_, verb)) => alloc::format!("a reply before {verb} was sent"),
                None => String::from("a reply nobody asked for"),
            };
            let command = front.map(|(_, verb)| verb);
            let err = Error::new(ErrorKind::Protocol, false, command, detail).with_reply(reply);
            self.fail_session(now, err, Ending::Botched);
            return;
        };
        match exp.purpose {
            Purpose::Greeting => self.on_greeting(now, reply),
            Purpose::Hello => self.on_hello(now, reply),
            Purpose::Helo => self.on_helo(now, reply),
            Purpose::StartTls => self.on_starttls(now, reply),
            Purpose::Auth => self.on_auth(now, reply),
            Purpose::Quit => self.close(None),
            Purpose::Rset { lazy } => self.on_rset(now, reply, lazy),
            Purpose::Simple => self.on_simple(now, exp.verb, reply),
            Purpose::Mail => self.on_mail(now, reply),
            Purpose::Rcpt(i) => self.on_rcpt(now, i as usize, reply),
            Purpose::Data => self.on_data(now, reply),
            Purpose::DataEnd => self.on_data_end(now, reply),
            Purpose::DataEndDiscard => self.on_data_end_discard(now),
            Purpose::LmtpResult(nth) => self.on_lmtp_result(now, nth as usize, exp.verb, reply),
            Purpose::Bdat { last } => self.on_bdat(now, last, reply),
        }
    }

    fn injection(&mut self, now: Instant) {
        let err = Error::new(
            ErrorKind::Injection,
            false,
            Some(Verb::StartTls),
            "plaintext bytes arrived where only a TLS handshake may follow (response injection)",
        );
        self.fail_session(now, err, Ending::Botched);
    }

    /// Ends the session with `error`: every request in flight fails with it.
    fn fail_session(&mut self, now: Instant, error: Error, ending: Ending) {
        let _ = now;
        if self.state == State::Closed {
            return;
        }
        if self.tx.as_ref().is_some_and(|t| !t.ended) {
            // Rule 9: a reply that already decided the outcome (every recipient
            // refused, waiting only for DATA's reply) stands; EOF does not change it.
            let decided = self.tx.as_mut().and_then(|t| t.all_rejected.take());
            let tx_error = decided.unwrap_or_else(|| error.clone());
            self.reject_unreported(&error);
            self.emit(Event::TransactionFailed { error: tx_error });
        }
        self.end_tx();
        if let Some(verb) = self.request.take() {
            self.emit(Event::CommandFailed {
                verb,
                error: error.clone(),
            });
        }
        self.expects.clear();
        match ending {
            Ending::Botched => {
                self.botched = true;
                self.out.clear();
            }
            Ending::Silent => self.out.clear(),
            Ending::Quit => {
                // Best effort: nobody waits for the reply.
                self.out.push_command(&Command::Quit);
            }
        }
        self.close(Some(error));
    }

    fn close(&mut self, error: Option<Error>) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.expects.clear();
        self.emit(Event::Closed { error });
    }

    /// Becomes idle and says so, once nothing is in flight. (Every caller comes
    /// here with nothing in flight and in one of these states, so no test tells
    /// `&&` from `||` below: an equivalent mutant, kept as a guard.)
    fn become_ready(&mut self) {
        if self.expects.is_empty()
            && matches!(self.state, State::Busy | State::Opening | State::Auth)
        {
            self.state = State::Ready;
            self.emit(Event::Ready);
        }
    }

    fn require_ready(&self) -> Result<(), UsageError> {
        match self.state {
            State::Ready | State::Closed => Ok(()),
            _ => Err(UsageError::NotReady),
        }
    }

    /// For a request on a closed session: fails at once with `closed` (rule 9).
    fn closed_error(verb: Verb) -> Error {
        Error::new(
            ErrorKind::Closed,
            false,
            Some(verb),
            "the session is closed",
        )
    }

    /// Queues message bytes.
    fn push_body(&mut self, now: Instant, piece: Bytes) {
        self.queue_bytes_start(now);
        self.out.push_body(piece);
    }
}

/// How much of a reply's text is kept once its transaction's text budget is spent.
const TRUNCATED_REPLY_TEXT: usize = 128;

/// How a failed session ends on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ending {
    /// State unknown: drop queued output, write nothing, mark botched.
    Botched,
    /// Drop queued output, write nothing (421, TLS failure).
    Silent,
    /// Queue a best-effort QUIT (greeting or EHLO refused).
    Quit,
}
