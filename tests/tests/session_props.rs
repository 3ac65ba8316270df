//! Property test over whole sessions: arbitrary server bytes (on an SMTP-like
//! alphabet), EOFs, timeouts, TLS outcomes and requests never panic, never grow
//! buffers past their bounds, and never produce output after the session closed or
//! plaintext between STARTTLS and the handshake — and every recipient of every
//! transaction gets exactly one outcome event before the transaction's ending event
//! (behaviour choice 18; checked by `session_ops` as the events arrive).

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sessions_keep_invariants(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = smtp_tests::session_ops::run_bytes(&data);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Behaviour choice 18 on sessions that mostly get through: every recipient index
    /// exactly once, before the transaction's ending event, whatever the replies.
    #[test]
    fn every_recipient_gets_exactly_one_outcome(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = smtp_tests::session_ops::run_bytes_cooperative(&data);
    }
}

/// The cooperative generator reaches real transactions, so the property above checks
/// the contract on RCPT, DATA, BDAT and LMTP replies, not only on early failures.
#[test]
fn cooperative_sessions_reach_transactions() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(any::<u8>(), 512..2048);
    let mut total = smtp_tests::session_ops::Depth::default();
    for _ in 0..300 {
        let data = strategy.new_tree(&mut runner).expect("value").current();
        let d = smtp_tests::session_ops::run_bytes_cooperative(&data);
        total.accepted += d.accepted;
        total.delivered += d.delivered;
        total.outcomes += d.outcomes;
        total.transactions += d.transactions;
    }
    println!("{total:?}");
    assert!(total.accepted > 200, "{total:?}");
    assert!(total.delivered > 50, "{total:?}");
}

/// The generator must reach deep states, or the property above proves little.
#[test]
fn generated_sessions_reach_delivery() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = proptest::collection::vec(any::<u8>(), 512..2048);
    let mut total = smtp_tests::session_ops::Depth::default();
    for _ in 0..1000 {
        let data = strategy.new_tree(&mut runner).expect("value").current();
        let d = smtp_tests::session_ops::run_bytes(&data);
        total.ready += d.ready;
        total.starttls += d.starttls;
        total.accepted += d.accepted;
        total.delivered += d.delivered;
        total.authenticated += d.authenticated;
        total.transactions += d.transactions;
        total.outcomes += d.outcomes;
    }
    println!("{total:?}");
    assert!(total.ready > 100, "{total:?}");
    assert!(total.starttls > 10, "{total:?}");
    assert!(total.accepted > 10, "{total:?}");
    assert!(total.delivered > 0, "{total:?}");
    assert!(total.authenticated > 0, "{total:?}");
    // The recipient contract is checked on many ended transactions, not a handful.
    assert!(total.transactions > 100, "{total:?}");
    assert!(total.outcomes > 200, "{total:?}");
}
