//! The expectation table: every command written pushes what its reply will mean, and
//! replies are matched in order (RFC 2920 §3.1: replies come in command order). Each
//! entry's timer starts once its command has been fully written and it is at the
//! front (rule 10: a whole reply must arrive within its deadline).

use alloc::collections::VecDeque;
use core::time::Duration;

use crate::command::Verb;
use crate::time::Instant;

/// What a reply will answer, and so how it is handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// The 220 greeting.
    Greeting,
    /// EHLO or LHLO.
    Hello,
    /// HELO after an EHLO refused with 500–504.
    Helo,
    /// STARTTLS.
    StartTls,
    /// One AUTH step.
    Auth,
    /// RSET: `lazy` before a new MAIL (rule 17), else the caller's `reset()`.
    Rset {
        /// Sent automatically before MAIL.
        lazy: bool,
    },
    /// NOOP or VRFY from the caller.
    Simple,
    /// QUIT.
    Quit,
    /// MAIL FROM.
    Mail,
    /// RCPT TO for recipient `index`.
    Rcpt(usize),
    /// DATA (the 354).
    Data,
    /// The reply after the data's `.` (SMTP).
    DataEnd,
    /// The reply after a lone `.` sent only to close a DATA no recipient needs.
    DataEndDiscard,
    /// LMTP: the `nth` per-recipient reply after the data (RFC 2033 §4.2).
    LmtpResult(usize),
    /// A BDAT chunk's reply.
    Bdat {
        /// The `LAST` chunk.
        last: bool,
    },
}

/// One reply the engine waits for.
#[derive(Clone, Debug)]
pub(crate) struct Expect {
    pub(crate) purpose: Purpose,
    pub(crate) verb: Verb,
    pub(crate) timeout: Duration,
    /// Output position just past the command; the timer starts when this much is sent.
    pub(crate) written_at: u64,
    /// When the timer started.
    pub(crate) armed: Option<Instant>,
}

/// The replies in flight, oldest first.
#[derive(Debug, Default)]
pub(crate) struct Expectations {
    queue: VecDeque<Expect>,
}

impl Expectations {
    pub(crate) fn push(
        &mut self,
        purpose: Purpose,
        verb: Verb,
        timeout: Duration,
        written_at: u64,
    ) {
        self.queue.push_back(Expect {
            purpose,
            verb,
            timeout,
            written_at,
            armed: None,
        });
    }

    /// Puts an entry first (LMTP's next per-recipient reply).
    pub(crate) fn push_front(
        &mut self,
        purpose: Purpose,
        verb: Verb,
        timeout: Duration,
        now: Instant,
    ) {
        let armed = Some(now);
        self.queue.push_front(Expect {
            purpose,
            verb,
            timeout,
            written_at: 0,
            armed,
        });
    }

    pub(crate) fn pop(&mut self) -> Option<Expect> {
        self.queue.pop_front()
    }

    pub(crate) fn front(&self) -> Option<&Expect> {
        self.queue.front()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
    }

    /// Starts the front entry's timer once its command is fully written.
    pub(crate) fn arm(&mut self, now: Instant, sent: u64) {
        if let Some(front) = self.queue.front_mut() {
            if front.armed.is_none() && sent >= front.written_at {
                front.armed = Some(now);
            }
        }
    }

    /// The front entry's deadline, once armed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let front = self.queue.front()?;
        front.armed.map(|t| t.saturating_add(front.timeout))
    }
}
