//! How a transaction's failure is worded and classed when its recipients fail
//! (rules 7, 8 and 18): the error a caller retries or bounces on. Mutation testing
//! found these branches unchecked: transcripts check the kind of each event, not
//! every field of the final error.

use bytes::Bytes;
mod common;

use common::{envelope_to as envelope, events, ready_with, take_output, T0};
use smtp_proto::{Client, Error, Event, TlsMode};

/// A session after the hello with `caps` offered; `lmtp` speaks LHLO.
fn ready(caps: &str, lmtp: bool) -> Client {
    let c = ready_with(caps, |config| {
        config.tls = TlsMode::None;
        config.lmtp = lmtp;
    });
    assert!(c.is_ready());
    c
}

/// The transaction's one ending error.
fn failure(evs: &[Event]) -> Error {
    let failed: Vec<&Error> = evs
        .iter()
        .filter_map(|e| match e {
            Event::TransactionFailed { error } => Some(error),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{evs:?}");
    failed[0].clone()
}

/// Pipelined: every RCPT answered with `rcpt_reply`, DATA with 354, the lone dot
/// with 250; returns every event.
fn all_refused(rcpts: usize, rcpt_reply: &str) -> (Client, Vec<Event>) {
    let mut c = ready("250-PIPELINING\r\n", false);
    c.send(T0, envelope(rcpts)).unwrap();
    take_output(&mut c);
    let mut wire = String::from("250 ok\r\n");
    for _ in 0..rcpts {
        wire.push_str(rcpt_reply);
    }
    wire.push_str("354 go\r\n");
    c.receive(T0, wire.as_bytes());
    let mut evs = events(&mut c);
    // Rule 7: the unwanted data phase is closed with a lone dot, whose reply ends
    // the transaction.
    assert_eq!(take_output(&mut c), ".\r\n");
    c.receive(T0, b"250 ok\r\n");
    evs.extend(events(&mut c));
    (c, evs)
}

#[test]
fn one_refused_recipient_is_the_transactions_error() {
    let (c, evs) = all_refused(1, "550 5.1.1 no such user\r\n");
    let e = failure(&evs);
    assert_eq!(
        (e.permanent, e.detail.as_str()),
        (true, "recipient refused")
    );
    assert_eq!(e.reply.map(|r| r.code), Some(550));
    assert!(c.is_ready(), "the lone dot's reply ended the transaction");
}

#[test]
fn several_refused_recipients_are_summed_up() {
    let (c, evs) = all_refused(2, "550 5.1.1 no such user\r\n");
    let e = failure(&evs);
    assert_eq!(
        (e.permanent, e.detail.as_str()),
        (true, "all 2 recipients were refused or deferred")
    );
    assert!(c.is_ready());
    let (_, evs) = all_refused(2, "450 4.2.0 busy\r\n");
    assert!(!failure(&evs).permanent, "transient refusals");
}

#[test]
fn a_deferred_recipient_keeps_the_failure_transient() {
    // RCPTMAX=1: the second recipient is not tried; the first is refused for good.
    let mut c = ready("250-PIPELINING\r\n250-LIMITS RCPTMAX=1\r\n", false);
    c.send(T0, envelope(2)).unwrap();
    let out = take_output(&mut c);
    assert_eq!(out.matches("RCPT TO").count(), 1, "{out}");
    c.receive(T0, b"250 ok\r\n550 5.1.1 no such user\r\n354 go\r\n");
    let mut evs = events(&mut c);
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n");
    evs.extend(events(&mut c));
    let e = failure(&evs);
    assert!(!e.permanent, "retry the deferred recipient: {e}");
    assert_eq!(e.detail, "all 2 recipients were refused or deferred");
}

/// LMTP: both recipients accepted at RCPT, then `after` as their replies to the data.
fn lmtp_after_data(after: [&str; 2]) -> Vec<Event> {
    let mut c = ready("250-PIPELINING\r\n", true);
    c.send(T0, envelope(2)).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n");
    let mut evs = events(&mut c);
    c.body(T0, Bytes::from_static(b"hi\r\n")).unwrap();
    c.end_body(T0).unwrap();
    take_output(&mut c);
    c.receive(T0, format!("{}{}", after[0], after[1]).as_bytes());
    evs.extend(events(&mut c));
    assert!(c.is_ready());
    evs
}

#[test]
fn lmtp_refusal_for_every_recipient_is_permanent_only_when_each_was() {
    let both = failure(&lmtp_after_data([
        "550 5.2.2 full\r\n",
        "552 5.2.2 full\r\n",
    ]));
    assert_eq!(
        (both.permanent, both.detail.as_str()),
        (true, "the message was refused for all 2 recipients")
    );
    let mixed = failure(&lmtp_after_data([
        "550 5.2.2 full\r\n",
        "450 4.2.1 later\r\n",
    ]));
    assert!(!mixed.permanent, "one transient refusal: {mixed}");
    let mixed = failure(&lmtp_after_data([
        "450 4.2.1 later\r\n",
        "550 5.2.2 full\r\n",
    ]));
    assert!(!mixed.permanent, "whatever the order: {mixed}");
}

#[test]
fn lmtp_with_one_recipient_refused_after_the_data_is_its_own_error() {
    let mut c = ready("250-PIPELINING\r\n", true);
    c.send(T0, envelope(1)).unwrap();
    take_output(&mut c);
    c.receive(T0, b"250 ok\r\n250 ok\r\n354 go\r\n");
    events(&mut c);
    c.body(T0, Bytes::from_static(b"hi\r\n")).unwrap();
    c.end_body(T0).unwrap();
    take_output(&mut c);
    c.receive(T0, b"550 5.2.2 mailbox full\r\n");
    let e = failure(&events(&mut c));
    assert_eq!(
        (e.permanent, e.detail.as_str()),
        (true, "message refused for this recipient")
    );
}
