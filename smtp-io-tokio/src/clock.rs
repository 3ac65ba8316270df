//! The engine's time (decision 1: `u64` nanoseconds from an epoch the driver picks)
//! on tokio's clock: the epoch is the moment the connection was handed over, so
//! paused test time works too.

use smtp_proto::Instant;

/// Converts between tokio's clock and the engine's instants.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    epoch: tokio::time::Instant,
}

impl Clock {
    /// A clock whose epoch is now.
    pub(crate) fn start() -> Clock {
        Clock {
            epoch: tokio::time::Instant::now(),
        }
    }

    /// Now, as the engine counts.
    pub(crate) fn now(&self) -> Instant {
        let nanos = self.epoch.elapsed().as_nanos();
        Instant::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
    }

    /// An engine instant (a deadline) on tokio's clock.
    pub(crate) fn at(&self, instant: Instant) -> tokio::time::Instant {
        let after = instant.saturating_duration_since(Instant::ZERO);
        self.epoch
            .checked_add(after)
            .unwrap_or_else(|| far_future(self.epoch))
    }
}

/// A point no deadline reaches (about thirty years on), for deadlines past what
/// the platform's clock can hold.
fn far_future(from: tokio::time::Instant) -> tokio::time::Instant {
    from + std::time::Duration::from_secs(86_400 * 365 * 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn deadlines_map_onto_tokios_clock_and_back() {
        let clock = Clock::start();
        let deadline = Instant::from_millis(1500);
        assert_eq!(
            clock.at(deadline) - clock.epoch,
            Duration::from_millis(1500)
        );
        assert!(clock.now() < Instant::from_millis(60_000));
        // The end of the engine's time does not overflow tokio's.
        assert!(clock.at(Instant::from_nanos(u64::MAX)) > clock.epoch);
    }
}
