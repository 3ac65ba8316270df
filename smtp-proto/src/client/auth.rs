//! SMTP AUTH — RFC 4954 §4 (the exchange, initial response, `*` cancel, 334/235),
//! RFC 4422 (SASL), rules 15 and 16: the mechanism is chosen from
//! what the server offers after TLS, plaintext secrets are refused without TLS unless
//! the caller opted in, and a failed AUTH ends the session before MAIL.

use alloc::boxed::Box;
use alloc::format;
use alloc::vec::Vec;
use base64::Engine as _;

use super::expect::Purpose;
use super::{Client, Ending, Event, State};
use crate::command::{Command, Verb, MAX_COMMAND_LINE};
use crate::error::{Error, ErrorKind, UsageError};
use crate::reply::Reply;
use crate::sasl::Mechanism;
use crate::time::Instant;

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

/// What the caller wants for AUTH: mechanisms in order of preference. Whether they
/// may run without TLS is [`Config::allow_plaintext_auth`](super::Config).
#[non_exhaustive]
pub struct Auth {
    /// Mechanisms in order of preference; the first one the server offers after TLS
    /// is used (rule 15: none offered ends the session with an `auth` error).
    pub mechanisms: Vec<Box<dyn Mechanism + Send>>,
}

impl Auth {
    /// AUTH with these mechanisms, most preferred first.
    #[must_use]
    pub fn new(mechanisms: Vec<Box<dyn Mechanism + Send>>) -> Auth {
        Auth { mechanisms }
    }

    /// AUTH with one mechanism.
    #[must_use]
    pub fn with(mechanism: impl Mechanism + Send + 'static) -> Auth {
        Auth {
            mechanisms: alloc::vec![Box::new(mechanism)],
        }
    }
}

impl core::fmt::Debug for Auth {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Names only: the mechanisms hold the secrets.
        let names: Vec<&str> = self.mechanisms.iter().map(|m| m.name()).collect();
        f.debug_struct("Auth").field("mechanisms", &names).finish()
    }
}

/// An AUTH exchange in progress. Its `Debug` leaves out the held initial response,
/// which carries the mechanism's secret.
pub(super) struct AuthRun {
    mech: Box<dyn Mechanism + Send>,
    /// The initial response, when it did not fit on the AUTH line (rule 16).
    pending_initial: Option<Vec<u8>>,
    /// The client gave up (cancelled with `*` or answered an error challenge).
    gave_up: Option<Error>,
}

impl core::fmt::Debug for AuthRun {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("AuthRun")
            .field("mech", &self.mech)
            .field(
                "pending_initial",
                &self.pending_initial.as_ref().map(|_| "<redacted>"),
            )
            .field("gave_up", &self.gave_up)
            .finish()
    }
}

impl Client {
    /// Sets up AUTH for this session; call before the session is ready (right after
    /// [`Client::new`]). AUTH runs after EHLO (and after TLS, if any).
    pub fn set_auth(&mut self, auth: Auth) -> Result<(), UsageError> {
        if matches!(
            self.state,
            State::Ready | State::Busy | State::Quitting | State::Closed | State::Auth
        ) {
            return Err(UsageError::Config(
                "AUTH must be set before the session opens",
            ));
        }
        self.auth = Some(auth);
        Ok(())
    }

    /// True once AUTH succeeded.
    pub fn is_authenticated(&self) -> bool {
        self.authenticated
    }

    /// After EHLO (and TLS): AUTH if configured, else ready.
    pub(super) fn start_auth_or_ready(&mut self, now: Instant) {
        let Some(auth) = self.auth.take() else {
            self.become_ready();
            return;
        };
        match self.begin_auth(now, auth) {
            Ok(()) => {}
            Err(detail) => {
                let err = Error::new(ErrorKind::Auth, true, Some(Verb::Auth), detail);
                self.fail_session(now, err, Ending::Quit);
            }
        }
    }

    fn begin_auth(&mut self, now: Instant, auth: Auth) -> Result<(), alloc::string::String> {
        let caps = self.caps.clone().unwrap_or_default();
        let offered: Vec<alloc::string::String> = caps
            .auth_mechanisms()
            .map(alloc::string::String::from)
            .collect();
        let Some(mut mech) = auth
            .mechanisms
            .into_iter()
            .find(|m| caps.supports_auth(m.name()))
        else {
            return Err(format!(
                "no mechanism we allow is offered (server offers: {})",
                offered.join(" ")
            ));
        };
        // Rule 15: reusable secrets never travel without TLS unless the caller opted in.
        if mech.sends_plaintext_secret() && self.tls.is_none() && !self.config.allow_plaintext_auth
        {
            return Err(format!(
                "{} would send credentials without TLS",
                mech.name()
            ));
        }
        mech.offered(&offered);
        let initial = mech
            .initial_response(self.tls.as_ref())
            .map_err(|e| format!("{e}"))?;
        let name = alloc::string::String::from(mech.name());
        // Rule 16 / RFC 4954 §4: the initial response goes on the AUTH line unless the
        // line would pass 512 octets; then it follows an empty 334.
        let line_len = "AUTH ".len()
            + name.len()
            + 1
            + initial.as_ref().map_or(0, |r| r.len().div_ceil(3) * 4)
            + 2;
        let (on_line, pending_initial) = if line_len > MAX_COMMAND_LINE {
            (None, initial)
        } else {
            (initial, None)
        };
        let cmd = Command::Auth {
            mechanism: name,
            initial: on_line,
        };
        cmd.validate().map_err(|e| format!("{e}"))?;
        self.auth_run = Some(AuthRun {
            mech,
            pending_initial,
            gave_up: None,
        });
        self.state = State::Auth;
        let t = self.config.timeouts.auth;
        self.write_command(now, &cmd, Purpose::Auth, t);
        Ok(())
    }

    /// One reply during AUTH: 334 continues, 235 ends it, anything else fails it.
    pub(super) fn on_auth(&mut self, now: Instant, reply: Reply) {
        let Some(run) = self.auth_run.as_mut() else {
            let err = Error::new(
                ErrorKind::Protocol,
                false,
                Some(Verb::Auth),
                "AUTH reply without AUTH",
            );
            return self.fail_session(now, err.with_reply(reply), Ending::Botched);
        };
        match reply.code {
            235 => self.auth_success(now, reply),
            334 if run.gave_up.is_none() => self.auth_challenge(now, reply),
            _ => {
                let err = match run.gave_up.take() {
                    Some(e) if reply.code == 334 || reply.code == 501 || reply.class() == 2 => {
                        e.with_reply(reply)
                    }
                    _ if reply.is_transient() || reply.is_permanent() => {
                        Error::status(Verb::Auth, reply, "authentication refused")
                    }
                    _ => {
                        // Only 235 succeeds (rule 16): smtp-sink's 250 is a failure.
                        let detail = format!("unexpected reply {} to AUTH", reply.code);
                        Error::new(ErrorKind::Auth, false, Some(Verb::Auth), detail)
                            .with_reply(reply)
                    }
                };
                self.auth_run = None;
                self.fail_session(now, err, Ending::Quit);
            }
        }
    }

    fn auth_success(&mut self, now: Instant, reply: Reply) {
        let Some(run) = self.auth_run.take() else {
            return;
        };
        let failure = match run.gave_up {
            Some(e) => Some(e.with_reply(reply.clone())),
            None if !run.mech.is_complete() => Some(
                Error::new(
                    ErrorKind::Auth,
                    false,
                    Some(Verb::Auth),
                    "server reported success before the mechanism finished",
                )
                .with_reply(reply.clone()),
            ),
            None => None,
        };
        if let Some(err) = failure {
            return self.fail_session(now, err, Ending::Quit);
        }
        self.authenticated = true;
        self.emit(Event::Authenticated {
            mechanism: alloc::string::String::from(run.mech.name()),
        });
        self.become_ready();
    }

    fn auth_challenge(&mut self, now: Instant, reply: Reply) {
        let Some(run) = self.auth_run.as_mut() else {
            return;
        };
        let response = if reply.line_count() != 1 {
            Err(("a multi-line 334 challenge", None))
        } else {
            match B64.decode(reply.raw_text().trim_ascii()) {
                Err(_) => Err(("a 334 challenge that is not base64", None)),
                Ok(challenge) => match run.pending_initial.take() {
                    Some(initial) => Ok(initial),
                    None => run.mech.step(&challenge).map_err(|e| ("", Some(e))),
                },
            }
        };
        let t = self.config.timeouts.auth;
        match response {
            Ok(bytes) => self.write_command(now, &Command::AuthResponse(bytes), Purpose::Auth, t),
            Err((what, sasl)) => {
                let detail = match &sasl {
                    Some(e) => format!("{e}"),
                    None => format!("server sent {what}"),
                };
                let answer = sasl.as_ref().and_then(|_| run.mech.error_response());
                run.gave_up = Some(Error::new(ErrorKind::Auth, false, Some(Verb::Auth), detail));
                let cmd = match answer {
                    Some(bytes) => Command::AuthResponse(bytes),
                    None => Command::AuthCancel,
                };
                self.write_command(now, &cmd, Purpose::Auth, t);
            }
        }
    }
}
