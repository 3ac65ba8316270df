//! The `Client` API contract beyond transcripts: usage errors change nothing, timers
//! behave as documented, partial writes work, traces never carry secrets, AUTH picks
//! and guards mechanisms.

use bytes::Bytes;
use smtp_proto::sasl::{Mechanism, Plain, SaslError};
mod common;

use common::{envelope, envelope_to, events, ready_with, take_output, T0};
use smtp_proto::{
    Auth, Client, Config, Envelope, ErrorKind, Event, Host, Instant, ReversePath, TlsInfo, TlsMode,
    Trace, UsageError,
};

fn config() -> Config {
    Config::new(Host::parse("client.example").unwrap())
}

fn ready(caps: &str) -> Client {
    ready_with(caps, |_| {})
}

#[test]
fn requests_before_ready_are_usage_errors_and_change_nothing() {
    let mut c = Client::new(T0, config());
    assert_eq!(c.send(T0, envelope()), Err(UsageError::NotReady));
    assert_eq!(c.noop(T0), Err(UsageError::NotReady));
    assert_eq!(
        c.body(T0, Bytes::from_static(b"x")),
        Err(UsageError::NoBodyWanted)
    );
    assert_eq!(c.end_body(T0), Err(UsageError::NoBodyWanted));
    assert!(c.transmit().is_empty());
    c.receive(T0, b"220 mx\r\n");
    assert_eq!(take_output(&mut c), "EHLO client.example\r\n");
}

#[test]
fn bad_envelope_is_refused_without_writing() {
    let mut c = ready("");
    let empty = Envelope::new(ReversePath::null(), vec![]);
    assert_eq!(c.send(T0, empty), Err(UsageError::NoRecipients));
    assert!(c.transmit().is_empty());
    assert!(c.is_ready());
    c.send(T0, envelope()).unwrap();
    assert_eq!(take_output(&mut c), "MAIL FROM:<a@example.org>\r\n");
}

#[test]
fn early_handle_timeout_does_nothing_and_deadline_fires_once() {
    let mut c = Client::new(T0, config());
    let deadline = c.poll_timeout().expect("greeting deadline");
    assert_eq!(deadline, Instant::from_millis(300_000));
    c.handle_timeout(Instant::from_millis(299_999));
    assert!(!c.is_closed());
    c.handle_timeout(deadline);
    assert!(c.is_closed());
    let evs = events(&mut c);
    assert!(matches!(&evs[..], [Event::Closed { error: Some(e) }] if e.kind == ErrorKind::Timeout));
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn reply_timer_starts_only_when_the_command_is_written() {
    let mut c = Client::new(T0, config());
    c.receive(T0, b"220 mx\r\n");
    // EHLO queued but not written: only the write-stall timer runs (3 minutes).
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(180_000)));
    let at = Instant::from_millis(1000);
    let n = c.transmit().len();
    c.transmitted(at, n);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(301_000)));
}

#[test]
fn partial_writes_and_gather_slices() {
    let mut c = ready("250-PIPELINING\r\n");
    c.send(T0, envelope()).unwrap();
    let all = c.transmit().to_vec();
    assert_eq!(
        all,
        b"MAIL FROM:<a@example.org>\r\nRCPT TO:<b@example.net>\r\nDATA\r\n"
    );
    c.transmitted(T0, 5);
    assert_eq!(c.transmit().to_vec(), &all[5..]);
    let mut slices = [std::io::IoSlice::new(&[]); 4];
    let n = c.transmit().io_slices(&mut slices);
    let joined: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(joined, &all[5..]);
    c.transmitted(T0, 10_000);
    assert!(c.transmit().is_empty());
}

#[test]
fn body_is_taken_up_to_capacity_without_copying_clean_spans() {
    let mut cfg = config();
    cfg.max_pending_body = 16;
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 mx\r\n");
    c.send(T0, envelope()).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    take_output(&mut c);
    assert_eq!(c.body_capacity(), 0, "no body before the 354");
    c.receive(T0, b"354 go\r\n");
    assert!(events(&mut c).contains(&Event::BodyWanted));
    let body = Bytes::from(vec![b'x'; 40]);
    assert_eq!(c.body(T0, body.clone()).unwrap(), 16);
    assert_eq!(c.body_capacity(), 0);
    assert_eq!(c.body(T0, body.slice(16..)).unwrap(), 0);
    assert_eq!(
        c.transmit().chunk().as_ptr(),
        body.as_ptr(),
        "clean span handed out uncopied"
    );
    take_output(&mut c);
    assert_eq!(c.body_capacity(), 16);
}

#[test]
fn traces_show_commands_and_replies() {
    let mut cfg = config();
    cfg.trace = true;
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    let evs = events(&mut c);
    assert!(evs
        .iter()
        .any(|e| matches!(e, Event::Trace(Trace::Reply(r)) if r.code == 220)));
    assert!(evs
        .iter()
        .any(|e| matches!(e, Event::Trace(Trace::Command(l)) if l == "EHLO client.example")));
}

/// A mechanism for tests: PLAIN-like, with a secret to look for in traces.
#[derive(Debug)]
struct Secret {
    plaintext: bool,
    steps: usize,
    done: bool,
}

impl Mechanism for Secret {
    fn name(&self) -> &str {
        "X-SECRET"
    }
    fn sends_plaintext_secret(&self) -> bool {
        self.plaintext
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        self.done = self.steps == 0;
        Ok(Some(b"hunter2".to_vec()))
    }
    fn step(&mut self, challenge: &[u8]) -> Result<Vec<u8>, SaslError> {
        if self.steps == 0 {
            return Err(SaslError::BadChallenge("no more steps".into()));
        }
        self.steps -= 1;
        self.done = self.steps == 0;
        Ok([b"again-hunter2:".as_slice(), challenge].concat())
    }
    fn is_complete(&self) -> bool {
        self.done
    }
}

/// A client whose only AUTH mechanism is [`Secret`].
fn with_secret(cfg: Config, plaintext: bool, steps: usize) -> Client {
    let mut c = Client::new(T0, cfg);
    let mech: Box<dyn Mechanism + Send> = Box::new(Secret {
        plaintext,
        steps,
        done: false,
    });
    c.set_auth(Auth::new(vec![mech])).unwrap();
    c
}

fn auth_client(tls: TlsMode, plaintext: bool, steps: usize) -> Client {
    let mut cfg = config();
    cfg.tls = tls;
    cfg.trace = true;
    // Mode none is the caller's plaintext link; AUTH over it still needs the opt-in.
    cfg.allow_plaintext_auth = tls == TlsMode::None;
    let mut c = with_secret(cfg, plaintext, steps);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 AUTH PLAIN X-SECRET\r\n");
    c
}

#[test]
fn auth_secrets_never_reach_traces() {
    let mut c = auth_client(TlsMode::None, true, 1);
    assert_eq!(take_output(&mut c), "AUTH X-SECRET aHVudGVyMg==\r\n");
    c.receive(T0, b"334 Y2g=\r\n");
    assert_eq!(take_output(&mut c), "YWdhaW4taHVudGVyMjpjaA==\r\n");
    c.receive(T0, b"235 2.7.0 ok\r\n");
    assert!(c.is_authenticated());
    let evs = events(&mut c);
    let dump = format!("{evs:?}");
    assert!(
        !dump.contains("hunter2") && !dump.contains("aHVudGVyMg"),
        "{dump}"
    );
    assert!(dump.contains("AUTH X-SECRET <redacted>"));
    assert!(evs.contains(&Event::Ready));
}

#[test]
fn config_defaults_are_the_safe_ones() {
    let cfg = config();
    assert_eq!(cfg.tls, TlsMode::Opportunistic);
    assert!(!cfg.allow_plaintext_auth);
}

#[test]
fn auth_refuses_plaintext_secrets_without_the_opt_in_even_in_mode_none() {
    let mut cfg = config();
    cfg.tls = TlsMode::None;
    cfg.trace = true;
    let mut c = with_secret(cfg, true, 0);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 AUTH PLAIN X-SECRET\r\n");
    let written = take_output(&mut c);
    assert!(!written.contains("AUTH"), "{written}");
    let evs = events(&mut c);
    assert!(evs
        .iter()
        .any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth)));
}

#[test]
fn auth_refuses_plaintext_secrets_when_tls_was_wanted() {
    let mut c = auth_client(TlsMode::Opportunistic, true, 0);
    let evs = events(&mut c);
    assert!(evs
        .iter()
        .any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth)));
    assert_eq!(
        take_output(&mut c),
        "QUIT\r\n",
        "no AUTH line, best-effort QUIT only"
    );
}

#[test]
fn auth_success_before_the_mechanism_finished_is_an_error() {
    let mut c = auth_client(TlsMode::None, false, 1);
    take_output(&mut c);
    c.receive(T0, b"235 ok\r\n");
    assert!(!c.is_authenticated());
    assert!(events(&mut c)
        .iter()
        .any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth)));
}

#[test]
fn auth_cancels_with_star_when_the_mechanism_fails() {
    let mut c = auth_client(TlsMode::None, false, 0);
    take_output(&mut c);
    c.receive(T0, b"334 bW9yZQ==\r\n");
    assert_eq!(take_output(&mut c), "*\r\n");
    c.receive(T0, b"501 5.0.0 cancelled\r\n");
    let evs = events(&mut c);
    assert!(evs.iter().any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth && err.code() == Some(501))));
}

#[test]
fn auth_bad_base64_and_multiline_challenges_cancel() {
    for challenge in [&b"334 !!!notbase64\r\n"[..], b"334-YQ==\r\n334 Yg==\r\n"] {
        let mut c = auth_client(TlsMode::None, false, 1);
        take_output(&mut c);
        c.receive(T0, challenge);
        assert_eq!(take_output(&mut c), "*\r\n");
    }
}

#[test]
fn auth_250_is_not_success() {
    // Postfix smtp-sink answers AUTH with 250.
    let mut c = auth_client(TlsMode::None, false, 0);
    take_output(&mut c);
    c.receive(T0, b"250 2.0.0 Ok\r\n");
    assert!(!c.is_authenticated());
    assert!(events(&mut c)
        .iter()
        .any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth)));
}

#[test]
fn auth_535_is_a_status_error() {
    let mut c = auth_client(TlsMode::None, false, 0);
    take_output(&mut c);
    c.receive(T0, b"535 5.7.8 bad credentials\r\n");
    assert!(events(&mut c).iter().any(|e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Status && err.permanent)));
}

#[test]
fn auth_without_an_offered_mechanism_ends_the_session() {
    let mut cfg = config();
    cfg.tls = TlsMode::None;
    let mut c = with_secret(cfg, false, 0);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 AUTH PLAIN\r\n");
    assert_eq!(take_output(&mut c), "QUIT\r\n");
    assert!(c.is_closed());
}

#[test]
fn auth_mechanism_is_chosen_after_tls_only() {
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let mut c = with_secret(cfg, true, 0);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    // Offered before TLS: ignored.
    c.receive(T0, b"250-mx\r\n250-STARTTLS\r\n250 AUTH X-SECRET\r\n");
    assert_eq!(take_output(&mut c), "STARTTLS\r\n");
    c.receive(T0, b"220 go\r\n");
    c.tls_established(T0, TlsInfo::default());
    assert_eq!(take_output(&mut c), "EHLO client.example\r\n");
    // Not offered after TLS: the session ends with an auth error, no AUTH written.
    c.receive(T0, b"250-mx\r\n250 AUTH PLAIN\r\n");
    assert_eq!(take_output(&mut c), "QUIT\r\n");
}

fn in_body() -> Client {
    in_body_with(config())
}

/// A plain session with `cfg`, one recipient accepted, after DATA's 354.
fn in_body_with(cfg: Config) -> Client {
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 mx\r\n");
    c.send(T0, envelope()).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    take_output(&mut c);
    c.receive(T0, b"354 go\r\n");
    events(&mut c);
    c
}

#[test]
fn early_reply_during_data_botches_the_session() {
    let mut c = in_body();
    c.body(T0, Bytes::from_static(b"Subject: x\r\n")).unwrap();
    c.receive(T0, b"554 5.7.1 go away\r\n");
    assert!(c.is_botched() && c.is_closed());
    let evs = events(&mut c);
    assert!(evs.iter().any(
        |e| matches!(e, Event::TransactionFailed { error } if error.kind == ErrorKind::Protocol)
    ));
    assert!(
        c.transmit().is_empty(),
        "nothing more is written after a botch"
    );
    assert_eq!(
        c.body(T0, Bytes::from_static(b"more")),
        Err(UsageError::NoBodyWanted)
    );
}

#[test]
fn data_block_timer_restarts_on_write_progress() {
    let mut c = in_body();
    let body = Bytes::from(vec![b'x'; 1000]);
    c.body(T0, body).unwrap();
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(180_000)));
    c.transmitted(Instant::from_millis(100_000), 10);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(280_000)));
    c.handle_timeout(Instant::from_millis(279_999));
    assert!(!c.is_closed());
    c.handle_timeout(Instant::from_millis(280_000));
    assert!(c.is_closed() && c.is_botched());
    assert!(events(&mut c).iter().any(
        |e| matches!(e, Event::TransactionFailed { error } if error.kind == ErrorKind::Timeout)
    ));
}

#[test]
fn data_termination_timer_starts_after_the_terminator_is_written() {
    let mut c = in_body();
    c.body(T0, Bytes::from_static(b"hi\r\n")).unwrap();
    c.end_body(T0).unwrap();
    let at = Instant::from_millis(5_000);
    let n = c.transmit().len();
    c.transmitted(at, n);
    assert_eq!(c.poll_timeout(), Some(Instant::from_millis(605_000)));
}

#[test]
fn tls_report_counts_like_mox() {
    use smtp_proto::tlsrpt::{ReportContext, ResultType};
    let ctx = ReportContext {
        receiving_mx_hostname: Some("mx.example.net".into()),
        ..ReportContext::default()
    };
    // Opportunistic, no STARTTLS: a detail without a count.
    let mut cfg = config();
    cfg.tls = TlsMode::Opportunistic;
    let mut c = Client::new(T0, cfg.clone());
    c.set_report_context(ctx.clone());
    c.receive(T0, b"220 mx.greeting ESMTP\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 mx\r\n");
    let r = c.tls_report();
    assert_eq!((r.success_count, r.failure_count), (0, 0));
    assert_eq!(r.failures[0].result_type, ResultType::StartTlsNotSupported);
    assert_eq!(
        r.failures[0].receiving_mx_helo.as_deref(),
        Some("mx.greeting")
    );
    // The caller's context is copied into the detail.
    assert_eq!(
        r.failures[0].receiving_mx_hostname.as_deref(),
        Some("mx.example.net")
    );
    // Refused STARTTLS: a failure with the reply code.
    let mut c = Client::new(T0, cfg.clone());
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 STARTTLS\r\n");
    take_output(&mut c);
    c.receive(T0, b"454 4.7.0 no TLS\r\n");
    assert_eq!(c.tls_report().failure_count, 1);
    assert_eq!(
        c.tls_report().failures[0].failure_reason_code.as_deref(),
        Some("smtp-starttls-reply-code-454")
    );
    // Success, then an alert in the first read: the success becomes a failure.
    let mut c = Client::new(T0, cfg.clone());
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 STARTTLS\r\n");
    take_output(&mut c);
    c.receive(T0, b"220 go\r\n");
    c.tls_established(T0, TlsInfo::default());
    assert_eq!(c.tls_report().success_count, 1);
    c.tls_alert(T0, 42);
    assert_eq!(
        (c.tls_report().success_count, c.tls_report().failure_count),
        (0, 1)
    );
    assert!(c.is_closed());
    // An alert after the first read does not change the counts.
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 STARTTLS\r\n");
    take_output(&mut c);
    c.receive(T0, b"220 go\r\n");
    c.tls_established(T0, TlsInfo::default());
    c.receive(T0, b"250 mx\r\n");
    c.tls_alert(T0, 0x50);
    assert_eq!(
        (c.tls_report().success_count, c.tls_report().failure_count),
        (1, 0)
    );
    // A failed handshake is a failure with its result type.
    let mut cfg = config();
    cfg.tls = TlsMode::Immediate;
    let mut c = Client::new(T0, cfg);
    c.tls_failed(
        T0,
        smtp_proto::TlsFailure {
            kind: smtp_proto::TlsFailureKind::CertificateExpired,
            detail: "expired".into(),
        },
    );
    assert_eq!(
        c.tls_report().failures[0].result_type,
        ResultType::CertificateExpired
    );
}

#[test]
fn reject_policy_refuses_bare_line_endings_including_a_trailing_cr() {
    let mut cfg = config();
    cfg.line_endings = smtp_proto::LineEndings::Reject;
    let mut c = in_body_with(cfg);
    assert!(matches!(
        c.body(T0, Bytes::from_static(b"a\nb")),
        Err(UsageError::Body(_))
    ));
    assert!(
        c.transmit().is_empty(),
        "nothing of the refused chunk was written"
    );
    assert_eq!(c.body(T0, Bytes::from_static(b"ok\r\nend\r")).unwrap(), 8);
    assert!(
        matches!(c.end_body(T0), Err(UsageError::Body(_))),
        "a trailing bare CR is refused at the end"
    );
    assert_eq!(c.body(T0, Bytes::from_static(b"\n")).unwrap(), 1);
    c.end_body(T0).unwrap();
    assert_eq!(take_output(&mut c), "ok\r\nend\r\n.\r\n");
}

/// Asserts that `dump` shows neither `secret`, nor its bytes as a `[u8]` list, nor
/// any of the base64 payloads in `wire` (what the client wrote carrying it).
fn assert_hides(dump: &str, secret: &[u8], wire: &[String], when: &str) {
    let list = format!("{secret:?}");
    let mut needles = vec![
        String::from_utf8_lossy(secret).into_owned(),
        list.trim_matches(['[', ']']).to_string(),
    ];
    needles.extend(wire.iter().cloned());
    for n in needles {
        assert!(!dump.contains(n.as_str()), "{when}: {n:?} shows in {dump}");
    }
}

/// The base64 payload of a written AUTH line or AUTH response line.
fn payload(line: &str) -> String {
    let line = line.trim_end();
    line.strip_prefix("AUTH PLAIN")
        .unwrap_or(line)
        .trim()
        .to_string()
}

#[test]
fn client_debug_never_shows_auth_secrets() {
    const PW: &str = "tanstaaftanstaaf";
    // A short user sends the response on the AUTH line; a long one makes the engine
    // hold it until an empty 334 (RFC 4954 §4).
    for user in ["tim".to_string(), "u".repeat(400)] {
        let mut cfg = config();
        cfg.allow_plaintext_auth = true;
        let mut c = Client::new(T0, cfg);
        let mech: Box<dyn Mechanism + Send> = Box::new(Plain::new(None, &user, PW).unwrap());
        c.set_auth(Auth::new(vec![mech])).unwrap();
        c.receive(T0, b"220 mx\r\n");
        take_output(&mut c);
        c.receive(T0, b"250-mx\r\n250 AUTH PLAIN\r\n");
        let queued = format!("{c:?}");
        let auth_line = take_output(&mut c);
        assert!(auth_line.starts_with("AUTH PLAIN"), "{auth_line}");
        let mut wire = vec![];
        if user.len() > 3 {
            assert_eq!(auth_line, "AUTH PLAIN\r\n");
            assert!(
                queued.contains("pending_initial: Some(\"<redacted>\")"),
                "the held response is shown as held, never as itself: {queued}"
            );
            c.receive(T0, b"334 \r\n");
            let held = format!("{c:?}");
            let response = take_output(&mut c);
            wire.push(payload(&response));
            assert_hides(&held, PW.as_bytes(), &wire, "response queued");
        } else {
            wire.push(payload(&auth_line));
        }
        assert_hides(&queued, PW.as_bytes(), &wire, "AUTH queued");
        assert_hides(&format!("{c:?}"), PW.as_bytes(), &wire, "written");
        c.receive(T0, b"235 2.7.0 ok\r\n");
        assert!(c.is_authenticated());
        assert_hides(&format!("{c:?}"), PW.as_bytes(), &wire, "authenticated");
    }
}

#[test]
fn starttls_injection_in_the_same_read_emits_only_the_error() {
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 mx\r\n");
    assert_eq!(take_output(&mut c), "STARTTLS\r\n");
    events(&mut c);
    c.receive(T0, b"220 go ahead\r\n250-injected\r\n");
    let evs = events(&mut c);
    assert!(
        !evs.iter().any(|e| matches!(e, Event::StartTls)),
        "no handshake on an attacked stream: {evs:?}"
    );
    assert!(evs.iter().any(
        |e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Injection)
    ));
    assert!(c.transmit().is_empty());
}

#[test]
fn starttls_220_alone_still_asks_for_the_handshake() {
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250 mx\r\n");
    take_output(&mut c);
    events(&mut c);
    c.receive(T0, b"220 go ahead\r\n");
    assert_eq!(events(&mut c), vec![Event::StartTls]);
}

#[test]
fn error_display_escapes_server_text() {
    let mut c = ready("250-PIPELINING\r\n");
    c.send(T0, envelope()).unwrap();
    take_output(&mut c);
    c.receive(T0, b"550 no\x1b[2J\r\n");
    let evs = events(&mut c);
    let shown: Vec<String> = evs
        .iter()
        .filter_map(|e| match e {
            Event::TransactionFailed { error } => Some(error.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(shown.len(), 1, "{evs:?}");
    assert!(shown[0].contains("550 no\\x1b[2J"), "{}", shown[0]);
    assert!(!shown[0].chars().any(char::is_control), "{}", shown[0]);
    // The raw bytes stay available.
    let raw = evs.iter().find_map(|e| match e {
        Event::TransactionFailed { error } => error.reply.as_ref().map(|r| r.raw_text().to_vec()),
        _ => None,
    });
    assert_eq!(raw.as_deref(), Some(&b"no\x1b[2J"[..]));
}

#[test]
fn a_transaction_keeps_its_reply_text_within_the_budget() {
    let mut c = ready_with("250-PIPELINING\r\n", |cfg| {
        cfg.tls = TlsMode::None;
        cfg.max_transaction_reply_text = 10_000;
    });
    c.send(T0, envelope_to(20)).unwrap();
    take_output(&mut c);
    let long = format!("550 {}\r\n", "x".repeat(3000));
    let mut wire = b"250 ok\r\n".to_vec();
    for _ in 0..20 {
        wire.extend_from_slice(long.as_bytes());
    }
    wire.extend_from_slice(b"554 no valid recipients\r\n");
    c.receive(T0, &wire);
    let kept: usize = events(&mut c)
        .iter()
        .filter_map(|e| match e {
            Event::RecipientRejected { error, .. } => error.reply.as_ref(),
            _ => None,
        })
        .map(|r| r.raw_text().len())
        .sum();
    // 3 full replies fit in 10,000 bytes; the other 17 keep 128 bytes and a marker.
    assert!(kept <= 10_000 + 17 * 200, "{kept}");
    assert!(kept >= 3 * 3000, "{kept}");
}

#[test]
fn auth_can_only_be_set_before_the_session_opens() {
    let mut c = Client::new(T0, config());
    assert!(c
        .set_auth(Auth::with(Plain::new(None, "u", "p").unwrap()))
        .is_ok());
    let mut ready = ready("250-AUTH PLAIN\r\n");
    assert!(matches!(
        ready.set_auth(Auth::with(Plain::new(None, "u", "p").unwrap())),
        Err(UsageError::Config(_))
    ));
    assert!(!ready.is_authenticated());
    assert!(
        ready.transmit().is_empty(),
        "nothing written for a refused request"
    );
}

#[test]
fn the_write_stall_clock_starts_when_output_becomes_pending() {
    // EHLO was written at T0; a message queued 100 s later may stall for data_block
    // from then, not from the last write (RFC 5321 §4.5.3.2.5-style bound, rule 10).
    let mut c = ready("250-PIPELINING\r\n");
    let later = Instant::from_millis(100_000);
    c.send(later, envelope()).unwrap();
    let block = config().timeouts.data_block;
    assert_eq!(c.poll_timeout(), Some(later.saturating_add(block)));
    // Without PIPELINING the MAIL line alone is queued: the clock starts with it too.
    let mut lockstep = ready("250-8BITMIME\r\n");
    lockstep.send(later, envelope()).unwrap();
    assert_eq!(lockstep.poll_timeout(), Some(later.saturating_add(block)));
    // A write of nothing is no progress.
    c.transmitted(Instant::from_millis(120_000), 0);
    assert_eq!(c.poll_timeout(), Some(later.saturating_add(block)));
    // Partly written: the clock restarts from the progress.
    let then = Instant::from_millis(150_000);
    c.transmitted(then, 4);
    assert_eq!(c.poll_timeout(), Some(then.saturating_add(block)));
}

#[test]
fn accessors_report_the_session() {
    let mut c = Client::new(T0, config());
    assert!(c.capabilities().is_none() && c.greeting_domain().is_none());
    c.receive(T0, b"220 mx.example.net ESMTP\r\n");
    assert_eq!(c.greeting_domain(), Some("mx.example.net"));
    let ehlo = c.buffered_output();
    assert_eq!(ehlo, "EHLO client.example\r\n".len());
    take_output(&mut c);
    assert_eq!(c.buffered_output(), 0);
    c.receive(T0, b"250-mx.example.net\r\n250 PIPE");
    assert_eq!(
        c.buffered_input(),
        "mx.example.net\n".len() + "250 PIPE".len()
    );
    c.receive(T0, b"LINING\r\n");
    assert_eq!(c.buffered_input(), 0);
    let caps = c.capabilities().expect("capabilities after EHLO");
    assert!(caps.pipelining && caps.domain() == "mx.example.net");
}

#[test]
fn every_request_ends_with_exactly_one_ready() {
    let mut c = ready("250-PIPELINING\r\n");
    let readies = |evs: &[Event]| evs.iter().filter(|e| matches!(e, Event::Ready)).count();
    c.noop(T0).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    assert_eq!(readies(&events(&mut c)), 1, "NOOP");
    c.send(T0, envelope()).unwrap();
    take_output(&mut c);
    c.receive(T0, b"550 no\r\n");
    assert_eq!(
        readies(&events(&mut c)),
        0,
        "RCPT and DATA replies still to come"
    );
    assert!(!c.is_ready());
    c.receive(T0, b"503 no mail\r\n503 no mail\r\n");
    assert_eq!(
        readies(&events(&mut c)),
        1,
        "the refused transaction, once consumed"
    );
    c.reset(T0).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    assert_eq!(readies(&events(&mut c)), 1, "RSET");
}

#[test]
fn an_empty_read_while_awaiting_the_handshake_is_no_injection() {
    let mut cfg = config();
    cfg.tls = TlsMode::RequiredStartTls;
    let mut c = Client::new(T0, cfg);
    c.receive(T0, b"220 mx\r\n");
    take_output(&mut c);
    c.receive(T0, b"250-mx\r\n250 STARTTLS\r\n");
    take_output(&mut c);
    events(&mut c);
    c.receive(T0, b"220 go ahead\r\n");
    assert_eq!(events(&mut c), vec![Event::StartTls]);
    c.receive(T0, b"");
    assert!(
        events(&mut c).is_empty(),
        "nothing was read, nothing was injected"
    );
    assert!(!c.is_closed());
}

#[test]
fn a_tls_alert_without_tls_is_ignored() {
    let mut c = ready("250-PIPELINING\r\n");
    c.tls_alert(T0, 42);
    assert!(events(&mut c).is_empty());
    assert!(c.is_ready() && !c.is_closed());
    assert_eq!(c.tls_report().failure_count, 0);
}

#[test]
fn auth_debug_names_the_mechanisms_only() {
    let auth = Auth::new(vec![
        Box::new(Plain::new(None, "tim", "tanstaaf").unwrap()),
        Box::new(smtp_proto::sasl::Login::new("tim", "tanstaaf").unwrap()),
    ]);
    assert_eq!(
        format!("{auth:?}"),
        r#"Auth { mechanisms: ["PLAIN", "LOGIN"] }"#
    );
}

/// A mechanism named `XTST` whose initial response is `len` bytes.
#[derive(Debug)]
struct Sized4(usize);

impl Mechanism for Sized4 {
    fn name(&self) -> &str {
        "XTST"
    }
    fn sends_plaintext_secret(&self) -> bool {
        false
    }
    fn initial_response(&mut self, _tls: Option<&TlsInfo>) -> Result<Option<Vec<u8>>, SaslError> {
        Ok(Some(vec![b'a'; self.0]))
    }
    fn step(&mut self, _: &[u8]) -> Result<Vec<u8>, SaslError> {
        Err(SaslError::BadChallenge("no steps".into()))
    }
    fn is_complete(&self) -> bool {
        true
    }
}

#[test]
fn the_initial_response_goes_on_the_auth_line_up_to_512_octets() {
    // "AUTH XTST " + base64 + CRLF: 375 bytes encode to 500 characters, a 512-octet
    // line; 376 encode to 504, past it (RFC 4954 §4: then after an empty 334).
    for (len, on_line) in [(375, true), (376, false)] {
        let mut c = Client::new(T0, config());
        let mech: Box<dyn Mechanism + Send> = Box::new(Sized4(len));
        c.set_auth(Auth::new(vec![mech])).unwrap();
        c.receive(T0, b"220 mx\r\n");
        take_output(&mut c);
        c.receive(T0, b"250-mx\r\n250 AUTH XTST\r\n");
        let line = take_output(&mut c);
        if on_line {
            assert_eq!(line.len(), 512, "{len}");
            assert!(line.starts_with("AUTH XTST YWFh"));
        } else {
            assert_eq!(line, "AUTH XTST\r\n", "{len}");
            c.receive(T0, b"334 \r\n");
            assert_eq!(take_output(&mut c).len(), 504 + 2);
        }
    }
}

#[test]
fn a_334_after_the_client_gave_up_ends_the_session() {
    let mut c = auth_client(TlsMode::None, false, 0);
    take_output(&mut c);
    c.receive(T0, b"334 bW9yZQ==\r\n");
    assert_eq!(take_output(&mut c), "*\r\n");
    // The server asks again instead of accepting the cancel: no second answer.
    c.receive(T0, b"334 YWdhaW4=\r\n");
    let evs = events(&mut c);
    assert!(
        evs.iter().any(
            |e| matches!(e, Event::Closed { error: Some(err) } if err.kind == ErrorKind::Auth)
        ),
        "{evs:?}"
    );
    assert!(!take_output(&mut c).contains("again-hunter2"));
}

#[test]
fn any_one_dsn_parameter_makes_the_envelope_use_dsn() {
    use smtp_proto::command::{EnvId, Notify, Orcpt, Ret};
    assert!(!envelope().uses_dsn());
    let mut e = envelope();
    e.ret = Some(Ret::Hdrs);
    assert!(e.uses_dsn(), "RET");
    let mut e = envelope();
    e.envid = Some(EnvId::new("id-1").unwrap());
    assert!(e.uses_dsn(), "ENVID");
    let mut e = envelope();
    e.recipients[0].notify = Some(Notify::Never);
    assert!(e.uses_dsn(), "NOTIFY");
    let mut e = envelope();
    e.recipients[0].orcpt = Some(Orcpt::parse("rfc822;b@example.net").unwrap());
    assert!(e.uses_dsn(), "ORCPT");
}

#[test]
fn transmit_counts_exactly_the_bytes_it_shows() {
    let mut c = ready("250-PIPELINING\r\n250-CHUNKING\r\n");
    assert!(c.transmit().is_empty());
    assert_eq!(c.transmit().len(), 0);
    c.send(T0, envelope()).unwrap();
    events(&mut c);
    // A body of more than one piece: a long slice, a coalesced CRLF, another slice.
    let body = [b"x".repeat(300), b"\nyyyyyyyyyyyy\r\n".to_vec()].concat();
    c.body(T0, Bytes::from(body)).unwrap();
    c.end_body(T0).unwrap();
    let all = c.transmit().to_vec();
    assert!(!c.transmit().is_empty());
    assert_eq!(c.transmit().len(), all.len());
    assert_eq!(c.buffered_output(), all.len());
    // Written chunk by chunk, it is the same bytes, and then nothing is left.
    let mut written = Vec::new();
    while !c.transmit().is_empty() {
        let chunk = c.transmit().chunk().to_vec();
        assert!(!chunk.is_empty());
        let half = chunk.len().div_ceil(2);
        written.extend_from_slice(&chunk[..half]);
        c.transmitted(T0, half);
        assert_eq!(c.transmit().len(), all.len() - written.len());
    }
    assert_eq!(written, all);
    assert_eq!(c.buffered_output(), 0);
}

#[test]
fn nothing_is_read_after_a_421_in_the_same_read() {
    let mut c = ready("250-PIPELINING\r\n");
    c.noop(T0).unwrap();
    take_output(&mut c);
    c.receive(T0, b"421 4.3.2 shutting down\r\n250 ok\r\n");
    let evs = events(&mut c);
    let closed = evs.iter().position(|e| matches!(e, Event::Closed { .. }));
    assert_eq!(
        closed,
        Some(evs.len() - 1),
        "Closed is the last event: {evs:?}"
    );
    assert!(c.is_closed());
    assert_eq!(c.poll_timeout(), None, "no reply is awaited any more");
    let shown = format!("{c:?}");
    assert!(
        shown.contains("OutputQueue") && shown.contains("queued"),
        "{shown}"
    );
}
