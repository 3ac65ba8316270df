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
    Rcpt(u32),
    /// DATA (the 354).
    Data,
    /// The reply after the data's `.` (SMTP).
    DataEnd,
    /// The reply after a lone `.` sent only to close a DATA no recipient needs.
    DataEndDiscard,
    /// LMTP: the `nth` per-recipient reply after the data (RFC 2033 §4.2).
    LmtpResult(u32),
    /// A BDAT chunk's reply.
    Bdat {
        /// The `LAST` chunk.
        last: bool,
    },
}

/// One reply the engine waits for.
/// A recipient's index as a [`Purpose`] holds it (4 bytes keep the queue small): no
/// envelope held in memory has 2^32 recipients, and one that did would saturate.
pub(crate) fn purpose_index(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

#[derive(Clone, Debug)]
pub(crate) struct Expect {
    pub(crate) purpose: Purpose,
    pub(crate) verb: Verb,
    /// Output position just past the command; the timer starts when this much is sent.
    pub(crate) written_at: u64,
    timer: Timer,
}

/// A reply's timer: its length until the command is sent, then its deadline. One
/// word each, so the queue of expected replies stays small.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Timer {
    /// Not started; runs this many nanoseconds once started.
    Waiting(u64),
    /// Started: expires at this instant.
    Armed(Instant),
}

impl Timer {
    fn waiting(timeout: Duration) -> Timer {
        Timer::Waiting(u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX))
    }

    fn arm(self, now: Instant) -> Timer {
        match self {
            Timer::Waiting(nanos) => Timer::Armed(now.saturating_add(Duration::from_nanos(nanos))),
            armed => armed,
        }
    }
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
            written_at,
            timer: Timer::waiting(timeout),
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
        self.queue.push_front(Expect {
            purpose,
            verb,
            written_at: 0,
            timer: Timer::waiting(timeout).arm(now),
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
            if sent >= front.written_at {
                front.timer = front.timer.arm(now);
            }
        }
    }

    /// The front entry's deadline, once armed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        let front = self.queue.front()?;
        match front.timer {
            Timer::Armed(deadline) => Some(deadline),
            Timer::Waiting(_) => None,
        }
    }
}
