//! Replays one transcript case against a [`Client`] with no I/O: feeds server bytes
//! (whole, split at an offset, or a byte at a time), collects what the client writes,
//! issues ops when the session can take them, and records how each op ended.

use std::fmt::Write as _;

use bytes::Bytes;
use smtp_proto::command::{BodyType, DeliverBy, EnvId, FutureRelease, Notify, Orcpt, Ret};
use smtp_proto::{
    Client, Config, Envelope, Error, Event, ForwardPath, Host, Instant, Recipient, ReversePath,
    TlsFailure, TlsFailureKind, TlsInfo, TlsMode, UsageError,
};

use smtp_proto::sasl::{
    CramMd5, External, Login, Mechanism, OAuthBearer, Plain, SaslError, Scram, ScramHash, XOAuth2,
    DEFAULT_SCRAM_ITERATION_CAP, DEFAULT_SCRAM_ITERATION_FLOOR,
};
use smtp_proto::{Auth, ChannelBinding, ChannelBindingKind};

use super::case::{AuthConfig, Case, Op, RcptSpec, Step};

/// How server bytes are handed to `receive`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    /// Each step's bytes in one call.
    Whole,
    /// Each step's bytes split in two at this offset (when shorter, whole).
    SplitAt(usize),
    /// One byte per call.
    ByteByByte,
}

/// How one op ended.
#[derive(Debug, Clone, PartialEq)]
pub enum OpResult {
    /// Succeeded; per-recipient results for `send`.
    Ok(Vec<RcptResult>),
    /// Failed with a session error; per-recipient results so far.
    Failed(Error, Vec<RcptResult>),
    /// Refused with a usage error.
    Usage(UsageError),
}

/// One recipient's result.
#[derive(Debug, Clone, PartialEq)]
pub enum RcptResult {
    /// No result yet.
    Pending,
    /// Accepted (or delivered, for LMTP), with the code and enhanced code.
    Ok(u16, Option<String>),
    /// Refused or deferred.
    Err(Error),
}

/// What a replay produced.
#[derive(Debug, Clone, PartialEq)]
pub struct Replay {
    /// Every byte the client wrote, in order.
    pub written: Vec<u8>,
    /// One result per op (None: the op never ended).
    pub results: Vec<Option<OpResult>>,
    /// End state: closed, botched, tls, auth.
    pub closed: bool,
    /// Botched.
    pub botched: bool,
    /// TLS up.
    pub tls: bool,
    /// Authenticated.
    pub auth: bool,
}

/// Builds the client configuration a case asks for.
pub fn config_for(case: &Case) -> Result<Config, String> {
    let c = &case.config;
    let name = c.ehlo.as_deref().unwrap_or("localhost");
    let host = Host::parse(name).map_err(|e| format!("config.ehlo: {e}"))?;
    let mut cfg = Config::new(host);
    cfg.tls = match c.tls.as_deref().unwrap_or("none") {
        "none" => TlsMode::None,
        "opportunistic" => TlsMode::Opportunistic,
        "required-starttls" => TlsMode::RequiredStartTls,
        "immediate" => TlsMode::Immediate,
        other => return Err(format!("config.tls: unknown mode {other:?}")),
    };
    cfg.lmtp = c.lmtp;
    cfg.allow_plaintext_auth = c.allow_plaintext_auth;
    cfg.pipelining = c.pipelining.unwrap_or(true);
    cfg.chunking = c.chunking.unwrap_or(true);
    if let Some(t) = &c.timeouts_ms {
        for (phase, ms) in t {
            if !cfg
                .timeouts
                .set(phase, std::time::Duration::from_millis(*ms))
            {
                return Err(format!("config.timeouts_ms: unknown phase {phase:?}"));
            }
        }
    }
    Ok(cfg)
}

/// The channel binding the runner's `{"tls": "ok"}` reports: `tls-exporter` with the
/// 32 bytes 0x00..0x1f, so SCRAM-PLUS transcripts are reproducible.
pub fn test_tls_info() -> TlsInfo {
    let mut info = TlsInfo::default();
    info.channel_binding = Some(ChannelBinding {
        kind: ChannelBindingKind::TlsExporter,
        data: (0u8..32).collect(),
    });
    info.protocol = Some("TLSv1.3".into());
    info
}

/// Builds the mechanism `config.auth` names.
pub fn auth_for(a: &AuthConfig) -> Result<Auth, String> {
    let user = a.username.as_deref().unwrap_or("");
    let secret = |v: &Option<String>, what: &str| {
        v.clone()
            .ok_or_else(|| format!("config.auth: {} needs {what}", a.mechanism))
    };
    // A constructor that refuses its input is a config error like the others.
    let invalid = |e: SaslError| format!("config.auth: {} refuses its input: {e}", a.mechanism);
    let scram = |hash, plus| -> Result<Box<dyn Mechanism + Send>, String> {
        let nonce = secret(&a.nonce, "nonce")?;
        let password = secret(&a.password, "password")?;
        let floor = a.iteration_floor.unwrap_or(DEFAULT_SCRAM_ITERATION_FLOOR);
        let mech = Scram::new(hash, plus, None, user, &password, &nonce)
            .and_then(|m| m.with_iteration_bounds(floor, DEFAULT_SCRAM_ITERATION_CAP))
            .map_err(invalid)?;
        Ok(Box::new(mech))
    };
    let mech: Box<dyn Mechanism + Send> = match a.mechanism.to_ascii_uppercase().as_str() {
        "PLAIN" => {
            Box::new(Plain::new(None, user, &secret(&a.password, "password")?).map_err(invalid)?)
        }
        "LOGIN" => Box::new(Login::new(user, &secret(&a.password, "password")?).map_err(invalid)?),
        "XOAUTH2" => Box::new(XOAuth2::new(user, &secret(&a.token, "token")?).map_err(invalid)?),
        "OAUTHBEARER" => Box::new(
            OAuthBearer::new(user, None, None, &secret(&a.token, "token")?).map_err(invalid)?,
        ),
        "EXTERNAL" => Box::new(External::new(a.username.as_deref()).map_err(invalid)?),
        "CRAM-MD5" => {
            Box::new(CramMd5::new(user, &secret(&a.password, "password")?).map_err(invalid)?)
        }
        "SCRAM-SHA-1" => scram(ScramHash::Sha1, false)?,
        "SCRAM-SHA-1-PLUS" => scram(ScramHash::Sha1, true)?,
        "SCRAM-SHA-256" => scram(ScramHash::Sha256, false)?,
        "SCRAM-SHA-256-PLUS" => scram(ScramHash::Sha256, true)?,
        other => return Err(format!("unsupported: config.auth mechanism {other:?}")),
    };
    Ok(Auth::new(vec![mech]))
}

/// Builds an envelope from a `send` op; `Err` is a usage error the op ends with.
fn envelope_for(op: &Op) -> Result<(Envelope, Bytes), UsageError> {
    let Op::Send {
        from,
        to,
        body,
        eightbitmime,
        binarymime,
        smtputf8,
        requiretls,
        size,
        ret,
        envid,
        mt_priority,
        by,
        holdfor,
        holduntil,
    } = op
    else {
        unreachable!("envelope_for is called for send ops only")
    };
    let mut recipients = Vec::new();
    for spec in to {
        recipients.push(recipient_for(spec)?);
    }
    let mut env = Envelope::new(ReversePath::parse(from)?, recipients);
    env.size = *size;
    env.body = if *binarymime {
        BodyType::BinaryMime
    } else if *eightbitmime {
        BodyType::EightBitMime
    } else {
        BodyType::SevenBit
    };
    env.smtputf8 = *smtputf8;
    env.requiretls = *requiretls;
    env.ret = match ret.as_deref() {
        None => None,
        Some("FULL") => Some(Ret::Full),
        Some("HDRS") => Some(Ret::Hdrs),
        Some(_) => return Err(UsageError::Config("ret must be FULL or HDRS")),
    };
    env.envid = envid.as_deref().map(EnvId::new).transpose()?;
    env.mt_priority = *mt_priority;
    env.deliver_by = by.as_deref().map(deliver_by_for).transpose()?;
    env.future_release = match (holdfor, holduntil) {
        (Some(n), None) => Some(FutureRelease::HoldFor(*n)),
        (None, Some(t)) => Some(FutureRelease::HoldUntil(t.clone())),
        (None, None) => None,
        _ => {
            return Err(UsageError::Config(
                "holdfor and holduntil exclude each other",
            ))
        }
    };
    Ok((env, Bytes::from(body.clone().into_bytes())))
}

/// `"120;R"`, `"-10;NT"` (RFC 2852 §4 by-value).
fn deliver_by_for(v: &str) -> Result<DeliverBy, UsageError> {
    let bad = UsageError::Config("by must be <seconds>;<R|N>[T]");
    let (secs, mode) = v.split_once(';').ok_or(bad.clone())?;
    let seconds = secs.parse().map_err(|_| bad.clone())?;
    let (return_on_expiry, trace) = match mode {
        "R" => (true, false),
        "RT" => (true, true),
        "N" => (false, false),
        "NT" => (false, true),
        _ => return Err(bad),
    };
    Ok(DeliverBy {
        seconds,
        return_on_expiry,
        trace,
    })
}

fn recipient_for(spec: &RcptSpec) -> Result<Recipient, UsageError> {
    match spec {
        RcptSpec::Plain(addr) => Ok(Recipient::new(ForwardPath::parse(addr)?)),
        RcptSpec::Full(obj) => {
            let mut r = Recipient::new(ForwardPath::parse(&obj.to)?);
            if let Some(list) = &obj.notify {
                r.notify = Some(notify_for(list)?);
            }
            r.orcpt = obj.orcpt.as_deref().map(Orcpt::parse).transpose()?;
            Ok(r)
        }
    }
}

fn notify_for(list: &[String]) -> Result<Notify, UsageError> {
    if list.len() == 1 && list[0].eq_ignore_ascii_case("NEVER") {
        return Ok(Notify::Never);
    }
    let (mut success, mut failure, mut delay) = (false, false, false);
    for v in list {
        match v.to_ascii_uppercase().as_str() {
            "SUCCESS" => success = true,
            "FAILURE" => failure = true,
            "DELAY" => delay = true,
            _ => {
                return Err(UsageError::Config(
                    "notify values are SUCCESS, FAILURE, DELAY or NEVER",
                ))
            }
        }
    }
    Ok(Notify::On {
        success,
        failure,
        delay,
    })
}

/// The op being carried out.
struct Running {
    index: usize,
    rcpts: Vec<RcptResult>,
    body: Option<Bytes>,
    body_ended: bool,
}

/// The replay state for one run.
struct Driver<'a> {
    case: &'a Case,
    client: Client,
    now: u64,
    collected: Vec<u8>,
    written: Vec<u8>,
    next_op: usize,
    running: Option<Running>,
    results: Vec<Option<OpResult>>,
    auth: bool,
    /// The session has been ready once: after that, ops go to the engine even when it
    /// has closed (it fails them with `closed`).
    opened: bool,
    /// The first broken engine contract seen (e.g. two outcomes for one recipient).
    violation: Option<String>,
}

/// Replays `case` with the given feeding; `Err` names the first script mismatch.
pub fn replay(case: &Case, feed: Feed) -> Result<Replay, String> {
    let config = config_for(case)?;
    let mut client = Client::new(Instant::ZERO, config);
    if let Some(a) = &case.config.auth {
        client
            .set_auth(auth_for(a)?)
            .map_err(|e| format!("config.auth: {e}"))?;
    }
    let mut d = Driver {
        case,
        client,
        now: 0,
        collected: Vec::new(),
        written: Vec::new(),
        next_op: 0,
        running: None,
        results: vec![None; case.ops.len()],
        auth: false,
        opened: false,
        violation: None,
    };
    for (i, step) in case.script.iter().enumerate() {
        d.pump();
        d.step(step, feed)
            .map_err(|e| format!("script step {i}: {e}"))?;
    }
    d.pump();
    if let Some(v) = d.violation {
        return Err(v);
    }
    Ok(Replay {
        written: d.written,
        results: d.results,
        closed: d.client.is_closed(),
        botched: d.client.is_botched(),
        tls: d.client.tls_info().is_some(),
        auth: d.auth,
    })
}

impl Driver<'_> {
    fn at(&self) -> Instant {
        Instant::from_millis(self.now)
    }

    fn step(&mut self, step: &Step, feed: Feed) -> Result<(), String> {
        if let Some(line) = &step.server {
            self.feed(format!("{line}\r\n").as_bytes(), feed);
        } else if let Some(raw) = &step.server_raw {
            self.feed(raw.as_bytes(), feed);
        } else if let Some(line) = &step.client {
            self.expect_client(format!("{line}\r\n").as_bytes())?;
        } else if let Some(raw) = &step.client_raw {
            self.expect_client(raw.as_bytes())?;
        } else if step.client_none == Some(true) {
            self.take_output();
            if !self.collected.is_empty() {
                return Err(format!(
                    "client wrote {:?}, expected nothing",
                    show(&self.collected)
                ));
            }
        } else if let Some(tls) = &step.tls {
            match tls.as_str() {
                "ok" => self.client.tls_established(self.at(), test_tls_info()),
                "fail" => {
                    let f = TlsFailure {
                        kind: TlsFailureKind::Handshake,
                        detail: "handshake failed".into(),
                    };
                    self.client.tls_failed(self.at(), f);
                }
                other => return Err(format!("tls step {other:?} is not ok/fail")),
            }
        } else if step.eof == Some(true) {
            self.client.receive_eof(self.at());
        } else if let Some(ms) = step.advance_ms {
            self.now += ms;
            while self.client.poll_timeout().is_some_and(|t| t <= self.at()) {
                self.client.handle_timeout(self.at());
                self.pump();
            }
        } else {
            return Err("empty step".into());
        }
        Ok(())
    }

    /// Feeds one server step. Split modes hand the fragments over back to back, with
    /// nothing in between but draining events: splitting tests the parser, not timing.
    fn feed(&mut self, bytes: &[u8], feed: Feed) {
        match feed {
            Feed::Whole => self.client.receive(self.at(), bytes),
            Feed::SplitAt(k) if k > 0 && k < bytes.len() => {
                self.client.receive(self.at(), &bytes[..k]);
                self.drain_events();
                self.client.receive(self.at(), &bytes[k..]);
            }
            Feed::SplitAt(_) => self.client.receive(self.at(), bytes),
            Feed::ByteByByte => {
                for b in bytes {
                    self.client.receive(self.at(), std::slice::from_ref(b));
                    self.drain_events();
                }
            }
        }
    }

    fn expect_client(&mut self, want: &[u8]) -> Result<(), String> {
        self.take_output();
        if self.collected.starts_with(want) {
            self.collected.drain(..want.len());
            return Ok(());
        }
        Err(format!(
            "expected client {:?}, client wrote {:?}",
            show(want),
            show(&self.collected)
        ))
    }

    /// Drains events, hands over body bytes and issues ops until nothing changes.
    /// Output is not taken here: only a client step takes it (tests/TRANSCRIPTS.md, "The runner").
    fn pump(&mut self) {
        loop {
            let mut progressed = self.drain_events();
            progressed |= self.feed_body();
            progressed |= self.issue_op();
            if !progressed {
                return;
            }
        }
    }

    fn drain_events(&mut self) -> bool {
        let mut any = false;
        while let Some(ev) = self.client.poll_event() {
            self.on_event(ev);
            any = true;
        }
        any
    }

    /// At a client step: writes everything the engine has queued (reporting it with
    /// `transmitted`), letting the session go on until it queues nothing more.
    fn take_output(&mut self) {
        loop {
            let out = self.client.transmit().to_vec();
            if out.is_empty() {
                return;
            }
            self.client.transmitted(self.at(), out.len());
            self.collected.extend_from_slice(&out);
            self.written.extend_from_slice(&out);
            self.pump();
        }
    }

    fn feed_body(&mut self) -> bool {
        let Some(run) = self.running.as_mut() else {
            return false;
        };
        let Some(body) = run.body.as_mut() else {
            return false;
        };
        if run.body_ended || self.client.body_capacity() == 0 {
            return false;
        }
        let mut progressed = false;
        while !body.is_empty() {
            match self
                .client
                .body(Instant::from_millis(self.now), body.clone())
            {
                Ok(0) => break,
                Ok(n) => {
                    let _ = body.split_to(n);
                    progressed = true;
                }
                Err(e) => {
                    let index = run.index;
                    self.results[index] = Some(OpResult::Usage(e));
                    self.running = None;
                    return true;
                }
            }
        }
        if body.is_empty() && self.client.end_body(Instant::from_millis(self.now)).is_ok() {
            run.body_ended = true;
            progressed = true;
        }
        progressed
    }

    fn issue_op(&mut self) -> bool {
        let can_take = self.client.is_ready() || (self.opened && self.client.is_closed());
        if self.running.is_some() || self.next_op >= self.case.ops.len() || !can_take {
            return false;
        }
        let index = self.next_op;
        self.next_op += 1;
        let op = &self.case.ops[index];
        let now = self.at();
        let started = match op {
            Op::Send { .. } => match envelope_for(op) {
                Ok((env, body)) => {
                    let n = env.recipients.len();
                    self.running = Some(Running {
                        index,
                        rcpts: vec![RcptResult::Pending; n],
                        body: Some(body),
                        body_ended: false,
                    });
                    self.client.send(now, env)
                }
                Err(e) => Err(e),
            },
            Op::Reset {} => self.start_simple(index, |c| c.reset(now)),
            Op::Noop {} => self.start_simple(index, |c| c.noop(now)),
            Op::Quit {} => self.start_simple(index, |c| c.quit(now)),
        };
        if let Err(e) = started {
            self.running = None;
            self.results[index] = Some(OpResult::Usage(e));
        }
        true
    }

    fn start_simple(
        &mut self,
        index: usize,
        f: impl FnOnce(&mut Client) -> Result<(), UsageError>,
    ) -> Result<(), UsageError> {
        self.running = Some(Running {
            index,
            rcpts: Vec::new(),
            body: None,
            body_ended: true,
        });
        f(&mut self.client)
    }

    fn finish(&mut self, result: impl FnOnce(Vec<RcptResult>) -> OpResult) {
        self.check_every_rcpt_reported();
        if let Some(run) = self.running.take() {
            self.results[run.index] = Some(result(run.rcpts));
        }
    }

    fn on_event(&mut self, ev: Event) {
        match ev {
            Event::RecipientAccepted { index, reply } => {
                self.set_rcpt(index, RcptResult::Ok(reply.code, enh(&reply)))
            }
            Event::RecipientRejected { index, error } => {
                self.set_rcpt(index, RcptResult::Err(error))
            }
            Event::Delivered { .. } => self.finish(OpResult::Ok),
            Event::TransactionFailed { error } => self.finish(|r| OpResult::Failed(error, r)),
            Event::CommandDone { .. } => self.finish(OpResult::Ok),
            Event::CommandFailed { error, .. } => self.finish(|r| OpResult::Failed(error, r)),
            Event::Authenticated { .. } => self.auth = true,
            Event::Ready => self.opened = true,
            Event::Closed { error } => self.on_closed(error),
            _ => {}
        }
    }

    /// An op is ending: every recipient must have had its outcome already.
    fn check_every_rcpt_reported(&mut self) {
        let Some(run) = self.running.as_ref() else {
            return;
        };
        if let Some(i) = run.rcpts.iter().position(|r| *r == RcptResult::Pending) {
            self.violation
                .get_or_insert(format!("recipient {i}: no outcome before the op ended"));
        }
    }

    /// Records a recipient's outcome; a second one for the same recipient breaks the
    /// engine's contract (exactly one outcome each) and fails the case.
    fn set_rcpt(&mut self, index: usize, res: RcptResult) {
        let Some(run) = self.running.as_mut() else {
            self.violation
                .get_or_insert(format!("recipient {index}: an outcome outside any op"));
            return;
        };
        match run.rcpts.get_mut(index) {
            Some(slot @ RcptResult::Pending) => *slot = res,
            Some(_) => {
                self.violation
                    .get_or_insert(format!("recipient {index}: a second outcome"));
            }
            None => {
                self.violation
                    .get_or_insert(format!("recipient {index}: no such recipient"));
            }
        }
    }

    /// The op in progress ends with the session's error (a QUIT ends fine). When the
    /// session never opened, every op not yet issued ends with that error too; after
    /// it opened, later ops are issued and the engine fails them with `closed`.
    fn on_closed(&mut self, error: Option<Error>) {
        self.check_every_rcpt_reported();
        if let Some(run) = self.running.take() {
            self.results[run.index] = Some(match &error {
                Some(e) => OpResult::Failed(e.clone(), run.rcpts),
                None => OpResult::Ok(run.rcpts),
            });
        }
        if self.opened {
            return;
        }
        let closed = error.unwrap_or_else(closed_error);
        for i in self.next_op..self.case.ops.len() {
            self.results[i] = Some(OpResult::Failed(closed.clone(), Vec::new()));
        }
        self.next_op = self.case.ops.len();
    }
}

fn closed_error() -> Error {
    Error::new(
        smtp_proto::ErrorKind::Closed,
        false,
        None,
        "the session is closed",
    )
}

fn enh(reply: &smtp_proto::Reply) -> Option<String> {
    reply.enhanced.map(|e| e.to_string())
}

/// Bytes as a readable string for messages.
pub fn show(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes.iter().take(400) {
        match b {
            b'\r' => s.push_str("\\r"),
            b'\n' => s.push_str("\\n"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > 400 {
        s.push_str("...");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(mechanism: &str, password: &str, nonce: Option<&str>) -> AuthConfig {
        AuthConfig {
            mechanism: mechanism.into(),
            username: Some("u".into()),
            password: Some(password.into()),
            token: None,
            nonce: nonce.map(String::from),
            iteration_floor: None,
        }
    }

    #[test]
    fn refused_mechanism_input_is_a_config_error() {
        let err = auth_for(&auth("PLAIN", "hunter2\0admin", None)).unwrap_err();
        assert!(err.starts_with("config.auth: PLAIN"), "{err}");
        assert!(err.contains("password"), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
        let err = auth_for(&auth("SCRAM-SHA-256", "p", Some("a,b"))).unwrap_err();
        assert!(err.contains("client nonce"), "{err}");
        let mut floor_above_cap = auth("SCRAM-SHA-1", "p", Some("n"));
        floor_above_cap.iteration_floor = Some(u32::MAX);
        assert!(auth_for(&floor_above_cap)
            .unwrap_err()
            .contains("iteration bounds"));
        assert!(auth_for(&auth("PLAIN", "p", None)).is_ok());
    }
}
