//! Arbitrary sessions for the property test and the session fuzz target: server bytes
//! drawn from an SMTP-like alphabet (so fuzzing reaches deep states), EOFs, time steps,
//! TLS outcomes and alerts, partial writes, every request (VRFY included) and every
//! AUTH mechanism, SMTP or LMTP, DATA or BDAT, driven against a [`Client`] while its
//! invariants are checked after every step:
//!
//! - held input stays within the reply bound (rule 4, decision 3) and queued output
//!   within the body bound;
//! - nothing is written after the session closed or was botched (rule 9), and no
//!   plaintext byte between STARTTLS's 220 and the handshake (rule 2);
//! - every command line written ends in CRLF with no CR, LF or NUL inside it; DATA
//!   bodies and BDAT payloads are told apart from command lines, and each message on
//!   the wire — un-stuffed, up to the first `CRLF . CRLF` — is exactly the canonical
//!   form of the bytes the caller handed over (rules 3 and 14), so the terminator comes
//!   once, at the end, whatever the body held;
//! - every recipient gets exactly one outcome, before its transaction's end (rule 18);
//! - `handle_timeout` before the deadline changes nothing (rule 10);
//! - a [`smtp_proto::UsageError`] leaves every observable state as it was (decision 4);
//! - no secret shows in `Debug` of the client or in a trace event (rule 11).

use arbitrary::{Arbitrary, Unstructured};
use base64::Engine as _;
use bytes::Bytes;
use smtp_proto::sasl::{
    CramMd5, External, Login, Mechanism, OAuthBearer, Plain, Scram, ScramHash, XOAuth2,
};
use smtp_proto::{
    ChannelBinding, ChannelBindingKind, Client, Config, Envelope, Event, ForwardPath, Host,
    Instant, LineEndings, Recipient, ReplyLimits, ReversePath, TlsFailure, TlsFailureKind, TlsInfo,
    TlsMode,
};

use crate::fuzz_bodies::sasl::leaks;
use crate::reference::canonical_body;

const CODES: &[&str] = &[
    "220", "250", "354", "221", "421", "451", "452", "500", "502", "503", "550", "552", "554",
    "334", "235", "200", "599",
];
const WORDS: &[&str] = &[
    "PIPELINING",
    "STARTTLS",
    "CHUNKING",
    "SIZE 100",
    "SIZE",
    "8BITMIME",
    "SMTPUTF8",
    "ENHANCEDSTATUSCODES",
    "LIMITS RCPTMAX=1",
    "LIMITS RCPTMAX=2 MAILMAX=3",
    "DSN",
    "REQUIRETLS",
    "BINARYMIME",
    "2.0.0 ok",
    "5.1.1 no",
    "4.2.2 full",
    "mx.example",
    "AUTH PLAIN LOGIN",
    "go ahead",
    "",
];

/// One piece of a server line.
#[derive(Debug, Clone, Arbitrary)]
pub enum Token {
    /// A reply code from a list of interesting ones.
    Code(u8),
    /// `-` or ` `.
    Sep(bool),
    /// A keyword or text.
    Word(u8),
    /// CRLF.
    Crlf,
    /// LF alone.
    Lf,
    /// Any byte.
    Byte(u8),
}

/// One step of an arbitrary session.
#[derive(Debug, Clone, Arbitrary)]
pub enum SessionOp {
    /// Server bytes built from tokens.
    Server(Vec<Token>),
    /// A whole well-formed reply: code index, lines (word indexes).
    Reply(u8, Vec<u8>),
    /// The server closes.
    Eof,
    /// Time passes (milliseconds, scaled).
    Advance(u16),
    /// The TLS handshake succeeds.
    TlsOk,
    /// The TLS handshake fails.
    TlsFail,
    /// Start a transaction with this many recipients (1–4), flags, and a body.
    Send(u8, u8, Vec<u8>),
    /// Hand over body bytes.
    Body(Vec<u8>),
    /// End the body.
    EndBody,
    /// RSET.
    Reset,
    /// NOOP.
    Noop,
    /// QUIT.
    Quit,
    /// The driver writes at most this many bytes.
    Write(u16),
    /// A cooperative server answers the oldest unanswered command; the byte picks
    /// success or failure and which extensions EHLO advertises.
    Answer(u8),
    /// A cooperative round: write everything, hand over the last `Send`'s body when
    /// it is wanted, and answer every command written (the byte as for `Answer`).
    Drive(u8),
    /// VRFY with an argument from a list (some invalid: a usage error).
    Vrfy(u8),
    /// The driver's TLS layer saw a fatal alert.
    TlsAlert(u8),
    /// Hand over at most this many bytes of the last `Send`'s body.
    BodyPart(u16),
}

const VRFY_ARGS: &[&str] = &["postmaster", "a@example.org", "", "x\r\nRSET", "nul\0", "é"];

/// Small limits so the bounds are exercised.
pub const LIMITS: ReplyLimits = ReplyLimits {
    max_line: 256,
    max_reply: 2048,
};
/// The body bound used by [`run`].
pub const MAX_PENDING_BODY: usize = 4096;

/// How deep a run went, so tests can show the generator reaches real states.
#[derive(Debug, Default, Clone, Copy)]
pub struct Depth {
    /// `Ready` events seen.
    pub ready: usize,
    /// `StartTls` events seen.
    pub starttls: usize,
    /// Recipients accepted.
    pub accepted: usize,
    /// Transactions delivered.
    pub delivered: usize,
    /// AUTH succeeded.
    pub authenticated: usize,
    /// Transactions that ended (delivered or failed) with every recipient reported.
    pub transactions: usize,
    /// Per-recipient outcome events seen.
    pub outcomes: usize,
}

/// Secrets of the mechanisms [`run`] configures: every one starts with
/// [`crate::fuzz_bodies::sasl::MARK`].
const PASSWORD: &str = "S3CR3TpW-password";
const TOKEN: &str = "S3CR3TpW.token";

/// The mechanism `n` of the ten (PLAIN, LOGIN, XOAUTH2, OAUTHBEARER, EXTERNAL,
/// CRAM-MD5, SCRAM-SHA-1, SCRAM-SHA-256, and both -PLUS).
fn mechanism(n: u8) -> Box<dyn Mechanism + Send> {
    let scram = |hash, plus| -> Box<dyn Mechanism + Send> {
        let s = Scram::new(hash, plus, None, "u", PASSWORD, "cnonce").expect("valid SCRAM input");
        // Few rounds keep sessions fast; the server below offers 4 (or 1, refused).
        Box::new(s.with_iteration_bounds(2, 64).expect("floor below cap"))
    };
    match n % 10 {
        0 => Box::new(Plain::new(None, "u", PASSWORD).expect("valid PLAIN input")),
        1 => Box::new(Login::new("u", PASSWORD).expect("valid LOGIN input")),
        2 => Box::new(XOAuth2::new("u", TOKEN).expect("valid XOAUTH2 input")),
        3 => Box::new(OAuthBearer::new("u", Some("mx.example"), Some(587), TOKEN).expect("valid")),
        4 => Box::new(External::new(Some("u")).expect("valid EXTERNAL input")),
        5 => Box::new(CramMd5::new("u", PASSWORD).expect("valid CRAM-MD5 input")),
        6 => scram(ScramHash::Sha1, false),
        7 => scram(ScramHash::Sha256, false),
        8 => scram(ScramHash::Sha1, true),
        _ => scram(ScramHash::Sha256, true),
    }
}

/// Runs `ops` and checks the invariants; panics (with a message) when one breaks.
///
/// `mode` picks the configuration: bits 0–1 the TLS mode, 2 LMTP, 3 no pipelining,
/// 4 no chunking, 5 AUTH, 6 AUTH allowed in plaintext, 7 read `extra`. `extra`:
/// bits 0–3 the preferred mechanism (PLAIN and LOGIN otherwise), 4 PLAIN as a
/// fallback, 5 traces on, 6 `LineEndings::Reject`, 7 no channel binding.
pub fn run(mode: u8, extra: u8, ops: &[SessionOp]) -> Depth {
    let mut config = Config::new(Host::parse("client.example").expect("valid"));
    config.tls = match mode % 4 {
        0 => TlsMode::None,
        1 => TlsMode::Opportunistic,
        2 => TlsMode::RequiredStartTls,
        _ => TlsMode::Immediate,
    };
    config.lmtp = mode & 4 != 0;
    config.pipelining = mode & 8 == 0;
    config.chunking = mode & 16 == 0;
    config.reply_limits = LIMITS;
    config.max_pending_body = MAX_PENDING_BODY;
    config.max_bdat_chunk = 512;
    config.allow_plaintext_auth = mode & 64 != 0;
    let extended = mode & 128 != 0;
    config.trace = extended && extra & 32 != 0;
    if extended && extra & 64 != 0 {
        config.line_endings = LineEndings::Reject;
    }
    let with_auth = mode & 32 != 0;
    let mut s = Session {
        client: Client::new(Instant::ZERO, config),
        now: 0,
        closed: false,
        awaiting_tls: false,
        depth: Depth::default(),
        server: Scripted::default(),
        tx_outcomes: None,
        body: None,
        body_wanted: false,
        wire: Wire::default(),
        handed: Vec::new(),
        channel_binding: !(extended && extra & 128 != 0),
        with_auth,
        steps: 0,
    };
    if with_auth {
        let mechanisms = if extended {
            let mut v = vec![mechanism(extra & 15)];
            if extra & 16 != 0 {
                v.push(mechanism(0));
            }
            v
        } else {
            // PLAIN or LOGIN, chosen from what the scripted server offers.
            vec![mechanism(0), mechanism(1)]
        };
        s.client
            .set_auth(smtp_proto::Auth::new(mechanisms))
            .expect("before opening");
    }
    s.drain_events(Instant::ZERO);
    for op in ops {
        s.step(op);
        s.check();
    }
    if with_auth {
        s.check_secrets();
    }
    s.depth
}

/// Decodes ops from raw bytes (for the fuzz target and proptest).
pub fn run_bytes(data: &[u8]) -> Depth {
    run_decoded(data, decode_op)
}

/// As [`run_bytes`], with a mostly cooperative server: hostile bytes, EOFs, time
/// jumps and failed handshakes are rare, so most sessions reach transactions and the
/// per-recipient contract is checked on real RCPT, DATA, BDAT and LMTP replies.
pub fn run_bytes_cooperative(data: &[u8]) -> Depth {
    run_decoded(data, decode_cooperative_op)
}

fn run_decoded(
    data: &[u8],
    decode: fn(&mut Unstructured<'_>) -> arbitrary::Result<SessionOp>,
) -> Depth {
    let mut u = Unstructured::new(data);
    let Ok(mode) = u8::arbitrary(&mut u) else {
        return Depth::default();
    };
    let extra = if mode & 128 != 0 {
        u8::arbitrary(&mut u).unwrap_or(0)
    } else {
        0
    };
    let mut ops = Vec::new();
    while !u.is_empty() {
        match decode(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    run(mode, extra, &ops)
}

/// One op in 64 is drawn as by [`decode_op`] (so hostile ones still occur); the rest
/// are cooperative rounds, requests and body steps.
pub fn decode_cooperative_op(u: &mut Unstructured<'_>) -> arbitrary::Result<SessionOp> {
    let sel = u8::arbitrary(u)?;
    Ok(match sel {
        0..=119 => SessionOp::Drive(u8::arbitrary(u)?),
        120..=179 => SessionOp::Answer(u8::arbitrary(u)?),
        180..=199 => SessionOp::Write(u16::arbitrary(u)?),
        200..=239 => SessionOp::Send(u8::arbitrary(u)?, u8::arbitrary(u)?, Vec::arbitrary(u)?),
        240..=243 => SessionOp::Body(Vec::arbitrary(u)?),
        244..=247 => SessionOp::EndBody,
        248..=251 => SessionOp::Noop,
        _ => decode_op(u)?,
    })
}

/// Draws an op with weights that keep sessions alive long enough to go deep: mostly
/// cooperative answers, writes and requests; hostile bytes, EOFs and failures rarer.
pub fn decode_op(u: &mut Unstructured<'_>) -> arbitrary::Result<SessionOp> {
    let sel = u8::arbitrary(u)?;
    Ok(match sel {
        0..=79 => SessionOp::Answer(u8::arbitrary(u)?),
        80..=99 => SessionOp::Drive(u8::arbitrary(u)?),
        100..=129 => SessionOp::Write(u16::arbitrary(u)?),
        130..=149 => SessionOp::Send(u8::arbitrary(u)?, u8::arbitrary(u)?, Vec::arbitrary(u)?),
        150..=164 => SessionOp::Body(Vec::arbitrary(u)?),
        165..=174 => SessionOp::EndBody,
        175..=181 => SessionOp::TlsOk,
        182..=186 => SessionOp::Advance(u16::arbitrary(u)?),
        187..=188 => SessionOp::Noop,
        189..=190 => SessionOp::Reset,
        191 => SessionOp::Quit,
        192..=203 => SessionOp::Reply(u8::arbitrary(u)?, Vec::arbitrary(u)?),
        204..=215 => SessionOp::Server(Vec::arbitrary(u)?),
        216 => SessionOp::Eof,
        217 => SessionOp::TlsFail,
        _ => SessionOp::arbitrary(u)?,
    })
}

struct Session {
    client: Client,
    now: u64,
    /// A `Closed` event was seen and the output drained after it.
    closed: bool,
    /// `StartTls` seen, handshake not yet reported.
    awaiting_tls: bool,
    depth: Depth,
    server: Scripted,
    /// Outcome events per recipient of the transaction in progress (rule 18: each
    /// recipient gets exactly one before the transaction's ending event).
    tx_outcomes: Option<Vec<u8>>,
    /// The body of the last `Send`, handed over by `Drive`.
    body: Option<Bytes>,
    /// `BodyWanted` seen and the body not yet ended.
    body_wanted: bool,
    /// What went on the wire, checked line by line and message by message.
    wire: Wire,
    /// The body bytes the engine took in the transaction in progress.
    handed: Vec<u8>,
    /// The handshake reports channel binding data (for the -PLUS mechanisms).
    channel_binding: bool,
    /// AUTH is configured: secrets exist that must never show.
    with_auth: bool,
    /// Steps run.
    steps: usize,
}

/// Everything a caller can see of a client without changing it (events excepted:
/// none may be queued when this is taken or compared).
#[derive(Debug, PartialEq, Eq)]
struct Observed {
    transmit: Vec<u8>,
    timeout: Option<Instant>,
    closed: bool,
    ready: bool,
    botched: bool,
    authenticated: bool,
    input: usize,
    output: usize,
    body_capacity: usize,
    tls: bool,
}

fn observe(c: &Client) -> Observed {
    Observed {
        transmit: c.transmit().to_vec(),
        timeout: c.poll_timeout(),
        closed: c.is_closed(),
        ready: c.is_ready(),
        botched: c.is_botched(),
        authenticated: c.is_authenticated(),
        input: c.buffered_input(),
        output: c.buffered_output(),
        body_capacity: c.body_capacity(),
        tls: c.tls_info().is_some(),
    }
}

impl Session {
    fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn tls_info(&self) -> TlsInfo {
        let mut info = TlsInfo::default();
        if self.channel_binding {
            info.channel_binding = Some(ChannelBinding {
                kind: ChannelBindingKind::TlsExporter,
                data: vec![7; 32],
            });
        }
        info
    }

    /// Runs a request; when it is refused with a usage error, nothing may have
    /// changed and nothing may have been written (decision 4).
    fn request<T, E: core::fmt::Debug>(
        &mut self,
        what: &str,
        f: impl FnOnce(&mut Client, Instant) -> Result<T, E>,
    ) -> Option<T> {
        let now = self.at();
        let before = observe(&self.client);
        match f(&mut self.client, now) {
            Ok(v) => Some(v),
            Err(e) => {
                assert_eq!(
                    observe(&self.client),
                    before,
                    "{what} refused with {e:?} changed the session"
                );
                assert!(
                    self.client.poll_event().is_none(),
                    "{what} refused with {e:?} emitted an event"
                );
                None
            }
        }
    }

    /// Writes the first `n` queued bytes: the wire checker and the server see them.
    fn write(&mut self, now: Instant, n: usize) {
        if n == 0 {
            return;
        }
        assert!(
            !self.awaiting_tls,
            "plaintext output between STARTTLS and the handshake"
        );
        let bytes = self.client.transmit().to_vec();
        let bytes = &bytes[..n];
        self.wire.saw(bytes, &self.handed);
        self.server.saw(bytes);
        self.client.transmitted(now, n);
    }

    fn step(&mut self, op: &SessionOp) {
        let now = self.at();
        match op {
            SessionOp::Server(tokens) => self.client.receive(now, &render(tokens)),
            SessionOp::Reply(code, words) => self.client.receive(now, &reply(*code, words)),
            SessionOp::Answer(kind) => {
                // A cooperative server reads everything first.
                if !self.awaiting_tls && !self.closed {
                    let n = self.client.transmit().len();
                    self.write(now, n);
                }
                if let Some(r) = self.server.answer(*kind) {
                    self.client.receive(now, &r);
                }
            }
            SessionOp::Eof => self.client.receive_eof(now),
            SessionOp::Advance(ms) => {
                self.now += u64::from(*ms) * 50;
                let now = self.at();
                let early = self.client.poll_timeout().is_none_or(|d| now < d);
                let before = early.then(|| observe(&self.client));
                self.client.handle_timeout(now);
                if let Some(before) = before {
                    // Rule 10: before the deadline, a timeout call does nothing.
                    assert_eq!(observe(&self.client), before, "an early timeout acted");
                    assert!(
                        self.client.poll_event().is_none(),
                        "an early timeout emitted"
                    );
                }
            }
            SessionOp::TlsOk => {
                let info = self.tls_info();
                self.client.tls_established(now, info);
                self.awaiting_tls = false;
            }
            SessionOp::TlsFail => {
                self.client.tls_failed(
                    now,
                    TlsFailure {
                        kind: TlsFailureKind::Handshake,
                        detail: "x".into(),
                    },
                );
                self.awaiting_tls = false;
            }
            SessionOp::TlsAlert(alert) => self.client.tls_alert(now, *alert),
            SessionOp::Send(n, flags, body) => {
                let env = envelope(*n, *flags, body.len());
                let recipients = env.recipients.len();
                if self.request("send", |c, now| c.send(now, env)).is_some() {
                    assert!(self.tx_outcomes.is_none(), "a send while one is running");
                    self.tx_outcomes = Some(vec![0; recipients]);
                    self.body = Some(Bytes::from(body.clone()));
                    self.handed.clear();
                }
            }
            SessionOp::Drive(kind) => self.drive(*kind),
            SessionOp::Body(b) => {
                let chunk = Bytes::from(b.clone());
                if let Some(n) = self.request("body", |c, now| c.body(now, chunk)) {
                    self.handed.extend_from_slice(&b[..n]);
                }
            }
            SessionOp::BodyPart(max) => {
                let body = self.body.clone().unwrap_or_default();
                let part = body.slice(..usize::from(*max).min(body.len()));
                if let Some(n) = self.request("body", |c, now| c.body(now, part.clone())) {
                    self.handed.extend_from_slice(&part[..n]);
                    self.body = Some(body.slice(n..));
                }
            }
            SessionOp::EndBody => {
                if self.request("end_body", |c, now| c.end_body(now)).is_some() {
                    self.body_wanted = false;
                }
            }
            SessionOp::Reset => {
                let _ = self.request("reset", |c, now| c.reset(now));
            }
            SessionOp::Noop => {
                let _ = self.request("noop", |c, now| c.noop(now));
            }
            SessionOp::Vrfy(i) => {
                let arg = VRFY_ARGS[usize::from(*i) % VRFY_ARGS.len()];
                let _ = self.request("vrfy", |c, now| c.vrfy(now, arg));
            }
            SessionOp::Quit => {
                let _ = self.request("quit", |c, now| c.quit(now));
            }
            SessionOp::Write(n) => {
                let pending = self.client.transmit().len();
                assert!(
                    !(self.closed && pending > 0),
                    "output after the session closed"
                );
                assert!(
                    !(self.awaiting_tls && pending > 0),
                    "plaintext output between STARTTLS and the handshake"
                );
                self.write(now, usize::from(*n).min(pending));
            }
        }
        self.drain_events(now);
    }

    /// One cooperative round trip (see [`SessionOp::Drive`]).
    fn drive(&mut self, kind: u8) {
        for _ in 0..8 {
            let now = self.at();
            self.drain_events(now);
            if self.body_wanted {
                self.hand_over_body(now);
            }
            if self.closed {
                return;
            }
            if self.awaiting_tls {
                // A cooperative peer completes the handshake.
                let info = self.tls_info();
                self.client.tls_established(now, info);
                self.awaiting_tls = false;
                continue;
            }
            let n = self.client.transmit().len();
            self.write(now, n);
            let mut answered = false;
            while let Some(r) = self.server.answer(kind) {
                self.client.receive(now, &r);
                answered = true;
                if self.client.is_closed() {
                    break;
                }
            }
            if !answered && n == 0 && !self.body_wanted {
                return;
            }
        }
    }

    fn hand_over_body(&mut self, now: Instant) {
        let mut body = self.body.take().unwrap_or_default();
        while !body.is_empty() {
            match self.client.body(now, body.clone()) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    self.handed.extend_from_slice(&body[..n]);
                    let _ = body.split_to(n);
                }
            }
        }
        let done = body.is_empty();
        self.body = Some(body);
        if done && self.client.end_body(now).is_ok() {
            self.body_wanted = false;
        }
    }

    /// Rule 18, checked as events arrive: one outcome per recipient, all of them
    /// before the transaction's ending event, none outside a transaction.
    fn on_outcome(&mut self, index: usize) {
        self.depth.outcomes += 1;
        let counts = self
            .tx_outcomes
            .as_mut()
            .expect("a recipient outcome outside a transaction");
        let slot = counts
            .get_mut(index)
            .expect("outcome for an unknown recipient");
        assert_eq!(*slot, 0, "recipient {index} got a second outcome");
        *slot = 1;
    }

    fn on_transaction_end(&mut self) {
        let counts = self
            .tx_outcomes
            .take()
            .expect("a transaction ended that never started");
        if let Some(i) = counts.iter().position(|&n| n != 1) {
            panic!("recipient {i} had no outcome before the transaction ended");
        }
        self.depth.transactions += 1;
        self.body_wanted = false;
    }

    fn drain_events(&mut self, now: Instant) {
        while let Some(ev) = self.client.poll_event() {
            match ev {
                Event::Ready => self.depth.ready += 1,
                Event::Authenticated { .. } => self.depth.authenticated += 1,
                Event::RecipientAccepted { index, .. } => {
                    self.depth.accepted += 1;
                    self.on_outcome(index);
                }
                Event::RecipientRejected { index, .. } => self.on_outcome(index),
                Event::BodyWanted => {
                    self.body_wanted = true;
                    self.wire.body_wanted();
                }
                Event::Delivered { .. } => {
                    self.depth.delivered += 1;
                    self.on_transaction_end();
                }
                Event::TransactionFailed { .. } => self.on_transaction_end(),
                Event::StartTls => {
                    self.depth.starttls += 1;
                    // Rule 2: STARTTLS is the last plaintext command; nothing is queued
                    // behind it when the switch comes.
                    assert!(
                        self.client.transmit().is_empty(),
                        "bytes queued behind STARTTLS at the switch"
                    );
                    self.awaiting_tls = true;
                }
                Event::Closed { .. } => {
                    assert!(
                        self.tx_outcomes.is_none(),
                        "the session closed with a transaction not ended"
                    );
                    // A best-effort QUIT may still go out.
                    self.awaiting_tls = false;
                    let n = self.client.transmit().len();
                    self.write(now, n);
                    self.closed = true;
                }
                Event::Trace(t) => {
                    assert!(!leaks(&format!("{t:?}")), "a trace shows a secret: {t:?}");
                }
                _ => {}
            }
        }
    }

    fn check_secrets(&self) {
        let shown = format!("{:?}", self.client);
        assert!(!leaks(&shown), "Debug of the client shows a secret");
    }

    fn check(&mut self) {
        self.steps += 1;
        let c = &self.client;
        assert!(
            c.buffered_input() <= LIMITS.max_reply,
            "input buffer {} past bounds",
            c.buffered_input()
        );
        assert!(
            c.buffered_output() <= MAX_PENDING_BODY + 8192,
            "output queue {} past bounds",
            c.buffered_output()
        );
        if self.closed {
            assert!(c.transmit().is_empty(), "output after the session closed");
            assert!(c.poll_timeout().is_none(), "a deadline after close");
        }
        if c.is_botched() {
            assert!(c.is_closed(), "botched but not closed");
            assert!(
                c.transmit().is_empty(),
                "output after the session was botched"
            );
        }
        if self.awaiting_tls {
            assert!(
                c.transmit().is_empty(),
                "plaintext output between STARTTLS and the handshake"
            );
        }
        // Rule 11. Formatting the whole client is most of a step's cost, so it is
        // checked at every step while AUTH may be under way (opening, not yet
        // authenticated), then every 16th step; `run` checks once more at the end.
        let opening = !c.is_ready() && !c.is_authenticated() && !c.is_closed();
        if self.with_auth && (opening || self.steps % 16 == 0) {
            self.check_secrets();
        }
    }
}

/// Where the wire checker is: reading command lines, a DATA body, or a BDAT payload.
#[derive(Debug, Default)]
enum WireMode {
    #[default]
    Command,
    Data,
    Bdat {
        left: usize,
        last: bool,
    },
}

/// Checks the client's bytes as a server would read them (RFC 5321 §2.3.8, §4.1.1.4;
/// RFC 3030 §2).
#[derive(Debug, Default)]
struct Wire {
    mode: WireMode,
    /// The command line being read.
    line: Vec<u8>,
    /// The last complete command line, without its CRLF.
    last_line: Vec<u8>,
    /// The DATA body so far, as written (stuffed).
    data: Vec<u8>,
    /// The BDAT payloads of the message so far.
    bdat: Vec<u8>,
}

impl Wire {
    /// The engine asked for the body: after DATA's 354 the body follows at once.
    fn body_wanted(&mut self) {
        if matches!(self.mode, WireMode::Command)
            && self.line.is_empty()
            && self.last_line == b"DATA"
        {
            self.mode = WireMode::Data;
            self.data.clear();
            self.last_line.clear();
        }
    }

    fn saw(&mut self, mut bytes: &[u8], handed: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.mode {
                WireMode::Command => {
                    let b = bytes[0];
                    bytes = &bytes[1..];
                    self.line.push(b);
                    if b == b'\n' {
                        self.command_line(handed);
                    }
                }
                WireMode::Data => {
                    self.data.push(bytes[0]);
                    bytes = &bytes[1..];
                    if self.data == b".\r\n" || self.data.ends_with(b"\r\n.\r\n") {
                        let body = unstuff(&self.data[..self.data.len() - 3]);
                        assert!(
                            body == canonical_body(handed),
                            "the DATA message on the wire differs from the body handed over"
                        );
                        self.mode = WireMode::Command;
                    }
                }
                WireMode::Bdat { left, last } => {
                    let n = (*left).min(bytes.len());
                    self.bdat.extend_from_slice(&bytes[..n]);
                    bytes = &bytes[n..];
                    *left -= n;
                    if *left == 0 {
                        let last = *last;
                        self.mode = WireMode::Command;
                        if last {
                            self.bdat_message(handed);
                        }
                    }
                }
            }
        }
    }

    fn command_line(&mut self, handed: &[u8]) {
        let line = core::mem::take(&mut self.line);
        assert!(
            line.ends_with(b"\r\n"),
            "a command line without CRLF: {:?}",
            String::from_utf8_lossy(&line)
        );
        let text = &line[..line.len() - 2];
        assert!(
            !text.iter().any(|b| matches!(b, b'\r' | b'\n' | 0)),
            "CR, LF or NUL inside a command line: {:?}",
            String::from_utf8_lossy(&line)
        );
        assert!(line.len() <= smtp_proto::command::MAX_AUTH_LINE);
        let shown = String::from_utf8_lossy(text);
        let mut words = shown.split(' ');
        match words.next() {
            Some("BDAT") => {
                let size: usize = words
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("BDAT with a size");
                let last = match words.next() {
                    None => false,
                    Some("LAST") => true,
                    Some(w) => panic!("BDAT with {w:?}"),
                };
                if size == 0 {
                    assert!(last, "an empty BDAT chunk that is not the last");
                    self.bdat_message(handed);
                } else {
                    self.mode = WireMode::Bdat { left: size, last };
                }
            }
            Some("MAIL") | Some("RSET") => self.bdat.clear(),
            _ => {}
        }
        self.last_line = text.to_vec();
    }

    fn bdat_message(&mut self, handed: &[u8]) {
        let body = core::mem::take(&mut self.bdat);
        assert!(
            body == canonical_body(handed),
            "the BDAT message on the wire differs from the body handed over: {:?} vs {:?}",
            String::from_utf8_lossy(&body),
            String::from_utf8_lossy(handed)
        );
    }
}

/// The message a DATA body carries: each line's leading dot removed (RFC 5321 §4.5.2).
fn unstuff(stuffed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stuffed.len());
    let mut start = true;
    for &b in stuffed {
        if !(start && b == b'.') {
            out.push(b);
        }
        start = b == b'\n';
    }
    out
}

fn render(tokens: &[Token]) -> Vec<u8> {
    let mut out = Vec::new();
    for t in tokens {
        match t {
            Token::Code(i) => {
                out.extend_from_slice(CODES[usize::from(*i) % CODES.len()].as_bytes())
            }
            Token::Sep(h) => out.push(if *h { b'-' } else { b' ' }),
            Token::Word(i) => {
                out.extend_from_slice(WORDS[usize::from(*i) % WORDS.len()].as_bytes())
            }
            Token::Crlf => out.extend_from_slice(b"\r\n"),
            Token::Lf => out.push(b'\n'),
            Token::Byte(b) => out.push(*b),
        }
    }
    out
}

fn reply(code: u8, words: &[u8]) -> Vec<u8> {
    let code = CODES[usize::from(code) % CODES.len()];
    let mut out = Vec::new();
    let lines: Vec<&str> = if words.is_empty() {
        vec![""]
    } else {
        words
            .iter()
            .take(8)
            .map(|w| WORDS[usize::from(*w) % WORDS.len()])
            .collect()
    };
    for (i, l) in lines.iter().enumerate() {
        let sep = if i + 1 == lines.len() { ' ' } else { '-' };
        out.extend_from_slice(format!("{code}{sep}{l}\r\n").as_bytes());
    }
    out
}

fn envelope(n: u8, flags: u8, size: usize) -> Envelope {
    let rcpts = (0..(n % 4) + 1)
        .map(|i| Recipient::new(ForwardPath::parse(&format!("r{i}@example.net")).expect("valid")))
        .collect();
    let mut env = Envelope::new(ReversePath::parse("a@example.org").expect("valid"), rcpts);
    if flags & 1 != 0 {
        env.size = Some(size as u64 * 10);
    }
    if flags & 2 != 0 {
        env.body = smtp_proto::command::BodyType::EightBitMime;
    }
    if flags & 4 != 0 {
        env.smtputf8 = true;
    }
    if flags & 8 != 0 {
        env.requiretls = true;
    }
    env
}

/// A cooperative server: remembers the commands the client wrote and answers the
/// oldest, so generated sessions get past the greeting and into transactions. Also
/// the peer of the `driver_std` fuzz target.
#[derive(Debug, Default)]
pub struct Scripted {
    /// Unanswered commands, oldest first (the greeting counts as one).
    pending: std::collections::VecDeque<String>,
    greeted: bool,
    /// Bytes of the line being read.
    line: Vec<u8>,
    /// Inside DATA (after a 354): lines until "." are message.
    in_data: bool,
    /// BDAT payload bytes still to skip.
    skip: usize,
    /// A 334 was sent: the next client line answers it.
    auth_continuation: bool,
    /// The client nonce of the newest SCRAM client-first message.
    scram_nonce: Option<String>,
}

/// The 334 challenges the server picks from (base64): LOGIN's prompts, an OAuth error,
/// a CRAM-MD5 challenge, a SCRAM server-first (built from the client's nonce), an
/// empty one, one that is not base64, and a SCRAM server-final that does not verify.
const CHALLENGES: &[&str] = &[
    "VXNlcm5hbWU6",
    "UGFzc3dvcmQ6",
    "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiYmVhcmVyIn0=",
    "PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+",
    "",
    "",
    "!!not base64",
    "dj1ybUY5cHFWOFM3c3VBb1pXamE0ZEpSa0ZzS1E9",
];

impl Scripted {
    /// Takes bytes the client wrote.
    pub fn saw(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            let b = bytes[0];
            bytes = &bytes[1..];
            self.line.push(b);
            if b == b'\n' {
                let line = String::from_utf8_lossy(&self.line).trim_end().to_string();
                self.line.clear();
                self.command(line);
            }
        }
    }

    fn command(&mut self, line: String) {
        if self.auth_continuation {
            self.auth_continuation = false;
            self.pending.push_back("AUTH".into());
            return;
        }
        if self.in_data {
            if line == "." {
                self.in_data = false;
                self.pending.push_back(".".into());
            }
            return;
        }
        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
        if verb == "AUTH" {
            // RFC 5802 §7: the client-first message's `r=` is the client nonce.
            let first = line.split(' ').nth(2).unwrap_or("");
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(first)
                .unwrap_or_default();
            self.scram_nonce = String::from_utf8_lossy(&decoded)
                .split(',')
                .find_map(|a| a.strip_prefix("r=").map(String::from));
        }
        if verb == "BDAT" {
            self.skip = line
                .split(' ')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
        self.pending.push_back(verb);
    }

    /// Answers the oldest unanswered command (the greeting first), or `None`.
    pub fn answer(&mut self, kind: u8) -> Option<Vec<u8>> {
        if !self.greeted {
            self.greeted = true;
            return Some(b"220 mx.example ESMTP\r\n".to_vec());
        }
        let verb = self.pending.pop_front()?;
        let fail = kind % 8 == 7;
        let text: String = match verb.as_str() {
            "EHLO" | "LHLO" => {
                let mut r = String::from("250-mx.example\r\n");
                let exts = [
                    "PIPELINING",
                    "STARTTLS",
                    "CHUNKING",
                    "8BITMIME",
                    "SIZE 100000",
                    "ENHANCEDSTATUSCODES",
                    "AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER EXTERNAL CRAM-MD5 SCRAM-SHA-1 \
                     SCRAM-SHA-256 SCRAM-SHA-1-PLUS SCRAM-SHA-256-PLUS",
                    "LIMITS RCPTMAX=2",
                ];
                for (i, e) in exts.iter().enumerate() {
                    if kind & (1 << i) != 0 {
                        r.push_str(&format!("250-{e}\r\n"));
                    }
                }
                r.push_str("250 DSN\r\n");
                r
            }
            "STARTTLS" => "220 go ahead\r\n".into(),
            "DATA" if !fail => {
                self.in_data = true;
                "354 go\r\n".into()
            }
            "QUIT" => "221 bye\r\n".into(),
            "AUTH" if kind % 4 == 1 => {
                // A challenge: LOGIN's next step, or one too many for PLAIN.
                self.auth_continuation = true;
                let pick = usize::from(kind >> 2) % CHALLENGES.len();
                match (pick, self.scram_nonce.take()) {
                    (4, Some(nonce)) => {
                        let i = if kind & 64 != 0 { 1 } else { 4 };
                        let first = format!("r={nonce}srv,s=c2FsdA==,i={i}");
                        let b64 = base64::engine::general_purpose::STANDARD.encode(first);
                        format!("334 {b64}\r\n")
                    }
                    _ => format!("334 {}\r\n", CHALLENGES[pick]),
                }
            }
            "AUTH" => "235 ok\r\n".into(),
            "RCPT" if kind % 8 == 6 => "452 4.5.3 too many\r\n".into(),
            _ if fail => "550 5.0.0 no\r\n".into(),
            _ => "250 2.0.0 ok\r\n".into(),
        };
        Some(text.into_bytes())
    }
}
