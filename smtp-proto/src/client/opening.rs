//! Opening a session — RFC 5321 §3.1 (greeting), §4.1.1.1 (EHLO, HELO fallback),
//! RFC 2033 §4.1 (LHLO), RFC 3207 §4 (STARTTLS, and §4.2: forget everything learnt
//! before TLS), rules 1, 2, 5 and 6.

use alloc::format;
use alloc::string::String;

use super::{Client, Ending, Event, State, TlsMode};
use crate::capabilities::Capabilities;
use crate::command::{Command, Verb};
use crate::error::{Error, ErrorKind};
use crate::reply::Reply;
use crate::time::Instant;

use super::expect::Purpose;

impl Client {
    pub(super) fn expect_greeting(&mut self, now: Instant) {
        let t = self.config.timeouts.greeting;
        self.expects.push(Purpose::Greeting, Verb::Greeting, t, 0);
        self.expects.arm(now, self.out.sent());
    }

    /// rule 5: only 220 opens the session; 4xx/5xx is a status error and any
    /// other code a protocol error, with a best-effort QUIT.
    pub(super) fn on_greeting(&mut self, now: Instant, reply: Reply) {
        if reply.code != 220 {
            let err = if reply.is_transient() || reply.is_permanent() {
                Error::status(Verb::Greeting, reply, "server refused the session")
            } else {
                let detail = format!("greeting code {} is not 220", reply.code);
                Error::new(ErrorKind::Protocol, false, Some(Verb::Greeting), detail)
                    .with_reply(reply)
            };
            self.fail_session(now, err, Ending::Quit);
            return;
        }
        // RFC 5321 §4.3.1: the greeting starts with the server's name.
        let domain = first_word(reply.first_line());
        self.greeting_domain = Some(domain.clone());
        self.report.receiving_mx_helo = Some(domain.clone());
        self.emit(Event::Greeting { domain, reply });
        self.send_hello(now);
    }

    /// EHLO (or LHLO for LMTP), first thing and again after TLS.
    pub(super) fn send_hello(&mut self, now: Instant) {
        self.state = State::Opening;
        let host = self.config.hello_name.clone();
        let cmd = if self.config.lmtp {
            Command::Lhlo(host)
        } else {
            Command::Ehlo(host)
        };
        let t = self.config.timeouts.ehlo;
        self.write_command(now, &cmd, Purpose::Hello, t);
    }

    pub(super) fn on_hello(&mut self, now: Instant, reply: Reply) {
        // rule 6 / RFC 5321 §4.1.4: 500–504 to EHLO means "say HELO". LMTP has
        // no HELO (RFC 2033 §4.1), so a refused LHLO is final.
        if (500..=504).contains(&reply.code) && !self.config.lmtp {
            let host = self.config.hello_name.clone();
            let t = self.config.timeouts.ehlo;
            self.write_command(now, &Command::Helo(host), Purpose::Helo, t);
            return;
        }
        let verb = if self.config.lmtp {
            Verb::Lhlo
        } else {
            Verb::Ehlo
        };
        if reply.code != 250 {
            let err = Error::status(verb, reply, "server refused our hello");
            self.fail_session(now, err, Ending::Quit);
            return;
        }
        match Capabilities::parse(&reply) {
            Ok(caps) => self.learned(now, caps),
            Err(e) => {
                let err = Error::new(ErrorKind::Protocol, false, Some(verb), format!("{e}"))
                    .with_reply(reply);
                self.fail_session(now, err, Ending::Botched);
            }
        }
    }

    pub(super) fn on_helo(&mut self, now: Instant, reply: Reply) {
        if reply.code != 250 {
            let err = Error::status(Verb::Helo, reply, "server refused HELO");
            self.fail_session(now, err, Ending::Quit);
            return;
        }
        // HELO: no extensions at all.
        let caps = Capabilities::from_helo(&reply);
        self.learned(now, caps);
    }

    /// Capabilities are in: STARTTLS if the TLS mode calls for it, then AUTH, then ready.
    fn learned(&mut self, now: Instant, caps: Capabilities) {
        self.parser.set_enhanced_codes(caps.enhanced_status_codes);
        self.emit(Event::Capabilities(alloc::boxed::Box::new(caps.clone())));
        let wants_tls = match self.config.tls {
            TlsMode::RequiredStartTls => true, // rule 1: even when not advertised
            TlsMode::Opportunistic => caps.starttls,
            TlsMode::None | TlsMode::Immediate => false,
        };
        if self.config.tls == TlsMode::Opportunistic && !caps.starttls && self.tls.is_none() {
            // RFC 8460 §4.3: a detail, not a failed session (as mox).
            self.report.record_starttls_not_supported(None);
        }
        self.caps = Some(caps);
        if wants_tls && self.tls.is_none() && !self.starttls_done {
            self.starttls_done = true;
            self.state = State::StartTls;
            let t = self.config.timeouts.starttls;
            self.write_command(now, &Command::StartTls, Purpose::StartTls, t);
            return;
        }
        self.start_auth_or_ready(now);
    }

    /// RFC 3207 §4: 220 means "start TLS now"; anything else ends the session with a
    /// transient TLS error (no plaintext fallback inside the session).
    pub(super) fn on_starttls(&mut self, now: Instant, reply: Reply) {
        if reply.code == 220 {
            // `receive` announces `StartTls` once the rest of the read is known to hold
            // no injected bytes (rule 2).
            self.state = State::AwaitTls;
            return;
        }
        self.report.record_starttls_not_supported(Some(reply.code));
        let mut err = Error::status(Verb::StartTls, reply, "server refused STARTTLS");
        err.kind = ErrorKind::Tls;
        err.permanent = false;
        self.fail_session(now, err, Ending::Quit);
    }
}

/// The first space-separated word of a line (invalid UTF-8 replaced).
fn first_word(line: &[u8]) -> String {
    let end = line.iter().position(|&b| b == b' ').unwrap_or(line.len());
    String::from_utf8_lossy(&line[..end]).into_owned()
}
