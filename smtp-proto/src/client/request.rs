//! Requests outside a transaction — RFC 5321 §4.1.1.5 (RSET), §4.1.1.9 (NOOP),
//! §4.1.1.6 (VRFY), §4.1.1.10 (QUIT), rules 9 and 17.

use alloc::string::String;

use super::{Client, Event, State};
use crate::command::{Command, Verb};
use crate::error::{Error, ErrorKind, UsageError};
use crate::reply::Reply;
use crate::time::Instant;

use super::expect::Purpose;
use super::Ending;

impl Client {
    /// Sends RSET. Ends with [`Event::CommandDone`] or [`Event::CommandFailed`].
    /// On a closed session it fails at once with `closed` and writes nothing.
    pub fn reset(&mut self, now: Instant) -> Result<(), UsageError> {
        self.simple_request(now, Command::Rset, Purpose::Rset { lazy: false })
    }

    /// Sends NOOP. Ends with [`Event::CommandDone`] or [`Event::CommandFailed`].
    pub fn noop(&mut self, now: Instant) -> Result<(), UsageError> {
        self.simple_request(now, Command::Noop, Purpose::Simple)
    }

    /// Sends `VRFY arg`. Ends with [`Event::CommandDone`] or [`Event::CommandFailed`].
    pub fn vrfy(&mut self, now: Instant, arg: &str) -> Result<(), UsageError> {
        let cmd = Command::Vrfy(String::from(arg));
        cmd.validate()?;
        self.simple_request(now, cmd, Purpose::Simple)
    }

    /// Sends QUIT; [`Event::Closed`] follows with no error once the server answers or
    /// closes. On a closed session it writes nothing and fails at once with
    /// [`Event::CommandFailed`] of kind `closed` (behaviour choice 9).
    pub fn quit(&mut self, now: Instant) -> Result<(), UsageError> {
        if self.state == State::Closed {
            self.emit(Event::CommandFailed {
                verb: Verb::Quit,
                error: Self::closed_error(Verb::Quit),
            });
            return Ok(());
        }
        self.require_ready()?;
        self.state = State::Quitting;
        let t = self.config.timeouts.quit;
        self.write_command(now, &Command::Quit, Purpose::Quit, t);
        self.after_input(now);
        Ok(())
    }

    fn simple_request(
        &mut self,
        now: Instant,
        cmd: Command,
        purpose: Purpose,
    ) -> Result<(), UsageError> {
        self.require_ready()?;
        let verb = cmd.verb();
        if self.state == State::Closed {
            self.emit(Event::CommandFailed {
                verb,
                error: Self::closed_error(verb),
            });
            return Ok(());
        }
        self.state = State::Busy;
        self.request = Some(verb);
        let t = if verb == Verb::Rset {
            self.config.timeouts.rset
        } else {
            self.config.timeouts.noop
        };
        self.write_command(now, &cmd, purpose, t);
        self.after_input(now);
        Ok(())
    }

    pub(super) fn on_simple(&mut self, _now: Instant, verb: Verb, reply: Reply) {
        self.request = None;
        if reply.is_positive() {
            self.emit(Event::CommandDone { verb, reply });
        } else {
            let error = Error::status(verb, reply, "request refused");
            self.emit(Event::CommandFailed { verb, error });
        }
        self.become_ready();
    }

    /// RSET's reply. A lazy RSET that fails leaves the server in an unknown state:
    /// the session is botched.
    pub(super) fn on_rset(&mut self, now: Instant, reply: Reply, lazy: bool) {
        if reply.is_positive() {
            self.need_rset = false;
        }
        if lazy && reply.is_positive() && self.tx.as_ref().is_some_and(|t| !t.pipelined) {
            self.write_mail_flight(now);
            return;
        }
        if !lazy {
            self.on_simple(now, Verb::Rset, reply);
            return;
        }
        if !reply.is_positive() {
            let mut err = Error::status(Verb::Rset, reply, "RSET before the transaction failed");
            err.kind = ErrorKind::Protocol;
            err.permanent = false;
            self.fail_session(now, err, Ending::Botched);
        }
    }
}
