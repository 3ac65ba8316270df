//! Property test over whole sessions: arbitrary server bytes (on an SMTP-like
//! alphabet), EOFs, timeouts, TLS outcomes and requests never panic, never grow
//! buffers past their bounds, and never produce output after the session closed or
//! plaintext between STARTTLS and the handshake.

use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_sessions_keep_invariants(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = smtp_tests::session_ops::run_bytes(&data);
    }
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
    }
    println!("{total:?}");
    assert!(total.ready > 100, "{total:?}");
    assert!(total.starttls > 10, "{total:?}");
    assert!(total.accepted > 10, "{total:?}");
    assert!(total.delivered > 0, "{total:?}");
    assert!(total.authenticated > 0, "{total:?}");
}
