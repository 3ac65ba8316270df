//! Time as the engine sees it: an opaque monotonic instant handed in by the caller
//! (decision 1), and the per-phase reply deadlines of RFC 5321 §4.5.3.2.

use core::time::Duration;

/// A point on the caller's monotonic clock, in nanoseconds from an epoch the caller
/// chooses. The engine never reads a clock; tests and fuzzers step it by hand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The caller's epoch.
    pub const ZERO: Instant = Instant(0);

    /// An instant `nanos` nanoseconds after the epoch.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// An instant `millis` milliseconds after the epoch (saturating).
    #[must_use]
    pub const fn from_millis(millis: u64) -> Instant {
        Instant(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// `self + d`, saturating at the end of time.
    #[must_use]
    pub fn saturating_add(self, d: Duration) -> Instant {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }

    /// How long after `earlier` this instant is (zero if it is not after).
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

const MINUTE: Duration = Duration::from_secs(60);

/// How long the engine waits for each reply (and for a stalled write), per phase.
/// Defaults are RFC 5321 §4.5.3.2; phases the RFC does not name get 5 minutes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    /// RFC 5321 §4.5.3.2.1: initial 220 message, 5 minutes.
    pub greeting: Duration,
    /// EHLO, HELO and LHLO replies (5 minutes, as for other commands).
    pub ehlo: Duration,
    /// The STARTTLS reply.
    pub starttls: Duration,
    /// Each AUTH step.
    pub auth: Duration,
    /// RFC 5321 §4.5.3.2.2: MAIL command, 5 minutes.
    pub mail: Duration,
    /// RFC 5321 §4.5.3.2.3: RCPT command, 5 minutes.
    pub rcpt: Duration,
    /// RFC 5321 §4.5.3.2.4: DATA initiation (the 354), 2 minutes.
    pub data_init: Duration,
    /// RFC 5321 §4.5.3.2.5: data block, 3 minutes — how long a write of message data
    /// (or of any pending output) may make no progress.
    pub data_block: Duration,
    /// RFC 5321 §4.5.3.2.6: DATA termination (the reply after `.`, or to a BDAT), 10 minutes.
    pub data_term: Duration,
    /// RSET.
    pub rset: Duration,
    /// NOOP and VRFY.
    pub noop: Duration,
    /// QUIT.
    pub quit: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            greeting: 5 * MINUTE,
            ehlo: 5 * MINUTE,
            starttls: 5 * MINUTE,
            auth: 5 * MINUTE,
            mail: 5 * MINUTE,
            rcpt: 5 * MINUTE,
            data_init: 2 * MINUTE,
            data_block: 3 * MINUTE,
            data_term: 10 * MINUTE,
            rset: 5 * MINUTE,
            noop: 5 * MINUTE,
            quit: 5 * MINUTE,
        }
    }
}

impl Timeouts {
    /// Sets the phase named `name` (`greeting`, `ehlo`, `starttls`, `auth`, `mail`,
    /// `rcpt`, `data_init`, `data_block`, `data_term`, `rset`, `noop`, `quit`);
    /// false for an unknown name.
    pub fn set(&mut self, name: &str, value: Duration) -> bool {
        let slot = match name {
            "greeting" => &mut self.greeting,
            "ehlo" => &mut self.ehlo,
            "starttls" => &mut self.starttls,
            "auth" => &mut self.auth,
            "mail" => &mut self.mail,
            "rcpt" => &mut self.rcpt,
            "data_init" => &mut self.data_init,
            "data_block" => &mut self.data_block,
            "data_term" => &mut self.data_term,
            "rset" => &mut self.rset,
            "noop" => &mut self.noop,
            "quit" => &mut self.quit,
            _ => return false,
        };
        *slot = value;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_phase_can_be_set_by_name() {
        let names = [
            "greeting",
            "ehlo",
            "starttls",
            "auth",
            "mail",
            "rcpt",
            "data_init",
            "data_block",
            "data_term",
            "rset",
            "noop",
            "quit",
        ];
        for (i, name) in names.iter().enumerate() {
            let mut t = Timeouts::default();
            let value = Duration::from_millis(1 + i as u64);
            assert!(t.set(name, value), "{name}");
            let all = [
                t.greeting,
                t.ehlo,
                t.starttls,
                t.auth,
                t.mail,
                t.rcpt,
                t.data_init,
                t.data_block,
                t.data_term,
                t.rset,
                t.noop,
                t.quit,
            ];
            // Exactly the named phase changed.
            for (j, got) in all.iter().enumerate() {
                assert_eq!(*got == value, i == j, "{name} vs {}", names[j]);
            }
        }
        assert!(!Timeouts::default().set("lunch", Duration::from_secs(1)));
    }

    #[test]
    fn durations_between_instants_saturate_at_zero() {
        let (a, b) = (Instant::from_millis(4), Instant::from_millis(10));
        assert_eq!(b.saturating_duration_since(a), Duration::from_millis(6));
        assert_eq!(a.saturating_duration_since(b), Duration::ZERO);
    }

    #[test]
    fn instants_count_nanoseconds() {
        assert_eq!(Instant::from_millis(5).as_nanos(), 5_000_000);
        assert_eq!(Instant::from_nanos(7).as_nanos(), 7);
        assert_eq!(
            Instant::from_millis(u64::MAX).as_nanos(),
            u64::MAX,
            "saturates"
        );
    }
}
