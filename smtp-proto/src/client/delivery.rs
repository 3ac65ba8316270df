//! How one transaction ended, folded from its events — the per-recipient result type
//! every driver returns (rule 18 guarantees one outcome per recipient).

use alloc::vec::Vec;

use super::Event;
use crate::error::Error;
use crate::reply::Reply;

/// How one `send` ended: each recipient's outcome in envelope order, and the
/// transaction's.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Delivery {
    /// One entry per recipient, in envelope order: the reply that accepted it (its
    /// RCPT reply; for LMTP its reply after the data) or why it failed.
    pub recipients: Vec<Result<Reply, Error>>,
    /// The reply to the data (for LMTP the first positive per-recipient reply), or
    /// why the transaction failed.
    pub result: Result<Reply, Error>,
}

impl Delivery {
    /// True when the message was accepted for every recipient.
    pub fn all_accepted(&self) -> bool {
        self.result.is_ok() && self.recipients.iter().all(Result::is_ok)
    }

    /// Indexes of the recipients the message was accepted for (none when the
    /// transaction failed).
    pub fn accepted(&self) -> impl Iterator<Item = usize> + '_ {
        let delivered = self.result.is_ok();
        self.recipients
            .iter()
            .enumerate()
            .filter(move |(_, r)| delivered && r.is_ok())
            .map(|(i, _)| i)
    }
}

/// Collects a transaction's events into a [`Delivery`]. Hand it every event after
/// `send`; it says when the transaction has ended.
#[derive(Debug, Default)]
pub struct DeliveryFold {
    outcomes: Vec<(usize, Result<Reply, Error>)>,
    result: Option<Result<Reply, Error>>,
}

impl DeliveryFold {
    /// An empty fold for a new transaction.
    #[must_use]
    pub fn new() -> DeliveryFold {
        DeliveryFold::default()
    }

    /// Takes one event; true when it ended the transaction (`Delivered` or
    /// `TransactionFailed`). Events that are not about the transaction are ignored.
    pub fn on_event(&mut self, event: &Event) -> bool {
        match event {
            Event::RecipientAccepted { index, reply } => {
                self.outcomes.push((*index, Ok(reply.clone())));
            }
            Event::RecipientRejected { index, error } => {
                self.outcomes.push((*index, Err(error.clone())));
            }
            Event::Delivered { reply } => self.result = Some(Ok(reply.clone())),
            Event::TransactionFailed { error } => self.result = Some(Err(error.clone())),
            _ => return false,
        }
        self.result.is_some()
    }

    /// True once the ending event was seen.
    pub fn is_done(&self) -> bool {
        self.result.is_some()
    }

    /// The delivery, once the transaction ended; `None` before.
    pub fn finish(self) -> Option<Delivery> {
        let result = self.result?;
        let mut outcomes = self.outcomes;
        outcomes.sort_by_key(|(index, _)| *index);
        Some(Delivery {
            recipients: outcomes.into_iter().map(|(_, r)| r).collect(),
            result,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn folds_outcomes_in_envelope_order_and_ends_at_the_ending_event() {
        let mut f = DeliveryFold::new();
        let ok = Reply::new(250, &["ok"]);
        let refused = Error::new(ErrorKind::Status, true, None, "no");
        assert!(!f.on_event(&Event::Ready));
        assert!(!f.on_event(&Event::RecipientRejected {
            index: 1,
            error: refused.clone()
        }));
        assert!(!f.on_event(&Event::RecipientAccepted {
            index: 0,
            reply: ok.clone()
        }));
        assert!(!f.is_done());
        assert!(f.on_event(&Event::Delivered { reply: ok.clone() }));
        let d = f.finish().unwrap();
        assert_eq!(d.recipients, vec![Ok(ok.clone()), Err(refused)]);
        assert_eq!(d.accepted().collect::<Vec<_>>(), vec![0]);
        assert!(!d.all_accepted());
        assert!(DeliveryFold::new().finish().is_none());
    }

    #[test]
    fn a_failed_transaction_accepts_nobody_and_a_full_success_is_all_accepted() {
        let ok = Reply::new(250, &["ok"]);
        let mut f = DeliveryFold::new();
        for index in [2, 0, 1] {
            f.on_event(&Event::RecipientAccepted {
                index,
                reply: ok.clone(),
            });
        }
        let failed = Error::new(ErrorKind::Status, false, None, "data refused");
        assert!(f.on_event(&Event::TransactionFailed {
            error: failed.clone()
        }));
        assert!(f.is_done());
        let d = f.finish().unwrap();
        assert_eq!(d.result, Err(failed));
        assert_eq!(d.accepted().count(), 0, "nothing delivered");
        assert!(!d.all_accepted());

        let mut f = DeliveryFold::new();
        let refused = Error::new(ErrorKind::Status, true, None, "no");
        f.on_event(&Event::RecipientRejected {
            index: 0,
            error: refused,
        });
        for index in [1, 2] {
            f.on_event(&Event::RecipientAccepted {
                index,
                reply: ok.clone(),
            });
        }
        f.on_event(&Event::Delivered { reply: ok.clone() });
        let d = f.finish().unwrap();
        assert_eq!(d.accepted().collect::<Vec<_>>(), vec![1, 2]);
        assert!(!d.all_accepted());

        let mut f = DeliveryFold::new();
        f.on_event(&Event::RecipientAccepted {
            index: 0,
            reply: ok.clone(),
        });
        f.on_event(&Event::Delivered { reply: ok });
        assert!(f.finish().unwrap().all_accepted());
    }
}
