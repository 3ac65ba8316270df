//! Arbitrary sessions for the property test and the session fuzz target: server bytes
//! drawn from an SMTP-like alphabet (so fuzzing reaches deep states), EOFs, time steps,
//! TLS outcomes and requests, driven against a [`Client`] while its invariants are
//! checked after every step.

use arbitrary::{Arbitrary, Unstructured};
use bytes::Bytes;
use smtp_proto::{
    Client, Config, Envelope, Event, ForwardPath, Host, Instant, Recipient, ReplyLimits,
    ReversePath, TlsFailure, TlsFailureKind, TlsInfo, TlsMode,
};

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
}

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

/// Runs `ops` and checks the invariants; panics (with a message) when one breaks.
pub fn run(mode: u8, ops: &[SessionOp]) -> Depth {
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
    };
    if with_auth {
        // PLAIN or LOGIN, chosen from what the scripted server offers.
        let plain: Box<dyn smtp_proto::sasl::Mechanism + Send> =
            Box::new(smtp_proto::sasl::Plain::new(None, "u", "p").expect("valid PLAIN input"));
        let login: Box<dyn smtp_proto::sasl::Mechanism + Send> =
            Box::new(smtp_proto::sasl::Login::new("u", "p").expect("valid LOGIN input"));
        s.client
            .set_auth(smtp_proto::Auth::new(vec![plain, login]))
            .expect("before opening");
    }
    s.drain_events(Instant::ZERO);
    for op in ops {
        s.step(op);
        s.check();
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
    let mut ops = Vec::new();
    while !u.is_empty() {
        match decode(&mut u) {
            Ok(op) => ops.push(op),
            Err(_) => break,
        }
    }
    run(mode, &ops)
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
}

impl Session {
    fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn step(&mut self, op: &SessionOp) {
        let now = self.at();
        let c = &mut self.client;
        match op {
            SessionOp::Server(tokens) => c.receive(now, &render(tokens)),
            SessionOp::Reply(code, words) => c.receive(now, &reply(*code, words)),
            SessionOp::Answer(kind) => {
                // A cooperative server reads everything first.
                let bytes = c.transmit().to_vec();
                if !self.awaiting_tls && !self.closed {
                    self.server.saw(&bytes);
                    c.transmitted(now, bytes.len());
                }
                if let Some(r) = self.server.answer(*kind) {
                    self.client.receive(now, &r);
                }
            }
            SessionOp::Eof => c.receive_eof(now),
            SessionOp::Advance(ms) => {
                self.now += u64::from(*ms) * 50;
                let now = self.at();
                self.client.handle_timeout(now);
            }
            SessionOp::TlsOk => {
                c.tls_established(now, TlsInfo::default());
                self.awaiting_tls = false;
            }
            SessionOp::TlsFail => {
                c.tls_failed(
                    now,
                    TlsFailure {
                        kind: TlsFailureKind::Handshake,
                        detail: "x".into(),
                    },
                );
                self.awaiting_tls = false;
            }
            SessionOp::Send(n, flags, body) => {
                let env = envelope(*n, *flags, body.len());
                let recipients = env.recipients.len();
                if c.send(now, env).is_ok() {
                    assert!(self.tx_outcomes.is_none(), "a send while one is running");
                    self.tx_outcomes = Some(vec![0; recipients]);
                    self.body = Some(Bytes::from(body.clone()));
                }
            }
            SessionOp::Drive(kind) => self.drive(*kind),
            SessionOp::Body(b) => {
                let _ = c.body(now, Bytes::from(b.clone()));
            }
            SessionOp::EndBody => {
                if c.end_body(now).is_ok() {
                    self.body_wanted = false;
                }
            }
            SessionOp::Reset => {
                let _ = c.reset(now);
            }
            SessionOp::Noop => {
                let _ = c.noop(now);
            }
            SessionOp::Quit => {
                let _ = c.quit(now);
            }
            SessionOp::Write(n) => {
                let pending = c.transmit().len();
                assert!(
                    !(self.closed && pending > 0),
                    "output after the session closed"
                );
                assert!(
                    !(self.awaiting_tls && pending > 0),
                    "plaintext output between STARTTLS and the handshake"
                );
                let n = usize::from(*n).min(pending);
                let bytes = c.transmit().to_vec();
                self.server.saw(&bytes[..n]);
                c.transmitted(now, n);
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
                self.client.tls_established(now, TlsInfo::default());
                self.awaiting_tls = false;
                continue;
            }
            let bytes = self.client.transmit().to_vec();
            self.server.saw(&bytes);
            self.client.transmitted(now, bytes.len());
            let mut answered = false;
            while let Some(r) = self.server.answer(kind) {
                self.client.receive(now, &r);
                answered = true;
                if self.client.is_closed() {
                    break;
                }
            }
            if !answered && bytes.is_empty() && !self.body_wanted {
                return;
            }
        }
    }

    fn hand_over_body(&mut self, now: Instant) {
        let body = self.body.get_or_insert_with(Bytes::new);
        while !body.is_empty() {
            match self.client.body(now, body.clone()) {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let _ = body.split_to(n);
                }
            }
        }
        if self.client.end_body(now).is_ok() {
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
                Event::BodyWanted => self.body_wanted = true,
                Event::Delivered { .. } => {
                    self.depth.delivered += 1;
                    self.on_transaction_end();
                }
                Event::TransactionFailed { .. } => self.on_transaction_end(),
                Event::StartTls => {
                    self.depth.starttls += 1;
                    self.awaiting_tls = true;
                    // Whatever was queued before the switch is written first.
                    let n = self.client.transmit().len();
                    self.client.transmitted(now, n);
                }
                Event::Closed { .. } => {
                    assert!(
                        self.tx_outcomes.is_none(),
                        "the session closed with a transaction not ended"
                    );
                    let n = self.client.transmit().len();
                    self.client.transmitted(now, n);
                    self.closed = true;
                }
                _ => {}
            }
        }
    }

    fn check(&self) {
        let c = &self.client;
        assert!(
            c.buffered_input() <= LIMITS.max_line + LIMITS.max_reply,
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
        if self.awaiting_tls {
            assert!(
                c.transmit().is_empty(),
                "plaintext output between STARTTLS and the handshake"
            );
        }
    }
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
/// oldest, so generated sessions get past the greeting and into transactions.
#[derive(Debug, Default)]
struct Scripted {
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
}

impl Scripted {
    fn saw(&mut self, mut bytes: &[u8]) {
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
        if verb == "BDAT" {
            self.skip = line
                .split(' ')
                .nth(1)
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
        }
        self.pending.push_back(verb);
    }

    fn answer(&mut self, kind: u8) -> Option<Vec<u8>> {
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
                    "AUTH PLAIN LOGIN",
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
                "334 VXNlcm5hbWU6\r\n".into()
            }
            "AUTH" => "235 ok\r\n".into(),
            "RCPT" if kind % 8 == 6 => "452 4.5.3 too many\r\n".into(),
            _ if fail => "550 5.0.0 no\r\n".into(),
            _ => "250 2.0.0 ok\r\n".into(),
        };
        Some(text.into_bytes())
    }
}
